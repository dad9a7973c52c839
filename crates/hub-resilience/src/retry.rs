//! Backoff between attempts: exponential growth with full jitter, so many callers that failed
//! together do not come back together.

use std::time::Duration;

use rand::Rng;

use crate::config::RetryPolicy;

/// The wait before the next attempt, after `attempts_made` requests (1 or more) have failed.
pub(crate) fn backoff(policy: &RetryPolicy, attempts_made: u32) -> Duration {
    full_jitter(ceiling(policy, attempts_made))
}

/// The largest wait full jitter may pick after `attempts_made` failures.
pub(crate) fn ceiling(policy: &RetryPolicy, attempts_made: u32) -> Duration {
    let doublings = attempts_made.saturating_sub(1).min(31);
    policy.base_delay.saturating_mul(1u32 << doublings).min(policy.max_delay)
}

fn full_jitter(ceiling: Duration) -> Duration {
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(rand::rng().random_range(0..=nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_and_is_capped() {
        let policy =
            RetryPolicy { max_attempts: 10, base_delay: Duration::from_millis(100), max_delay: Duration::from_secs(1) };
        let ceilings: Vec<_> = (1..=6).map(|n| ceiling(&policy, n).as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(ceiling(&policy, u32::MAX), Duration::from_secs(1));
    }

    #[test]
    fn full_jitter_spreads_waits_over_the_whole_range() {
        let policy =
            RetryPolicy { max_attempts: 10, base_delay: Duration::from_millis(100), max_delay: Duration::from_secs(1) };
        let waits: Vec<_> = (0..200).map(|_| backoff(&policy, 3)).collect();
        assert!(waits.iter().all(|wait| *wait <= Duration::from_millis(400)));
        assert!(waits.iter().any(|wait| *wait < Duration::from_millis(100)), "low waits occur");
        assert!(waits.iter().any(|wait| *wait > Duration::from_millis(300)), "high waits occur");
    }
}
