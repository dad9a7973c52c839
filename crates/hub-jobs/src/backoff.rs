//! Exponential backoff with jitter: how long a failed job waits before its next attempt.

use std::time::Duration;

use rand::Rng;

/// `base · 2^(attempt − 1)`, capped at `max`, then drawn uniformly from its upper half ("equal
/// jitter"), so jobs that failed together do not all come back at the same instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The delay after the first failed attempt (before jitter).
    pub base: Duration,
    /// The longest delay.
    pub max: Duration,
}

impl Default for Backoff {
    /// 1 s, 2 s, 4 s, … up to one hour.
    fn default() -> Self {
        Self { base: Duration::from_secs(1), max: Duration::from_secs(3_600) }
    }
}

impl Backoff {
    /// The delay before the attempt after `attempt` (1 for the first attempt), without jitter.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 2u32.checked_pow(attempt.saturating_sub(1)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// The delay before the attempt after `attempt`, with jitter: within `[ceiling/2, ceiling]`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self.ceiling(attempt);
        let half = ceiling / 2;
        let spread = u64::try_from((ceiling - half).as_micros()).unwrap_or(u64::MAX);
        half + Duration::from_micros(rand::rng().random_range(0..=spread))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_and_jitter_stays_in_the_upper_half() {
        let backoff = Backoff { base: Duration::from_millis(100), max: Duration::from_secs(5) };
        assert_eq!(backoff.ceiling(1), Duration::from_millis(100));
        assert_eq!(backoff.ceiling(2), Duration::from_millis(200));
        assert_eq!(backoff.ceiling(4), Duration::from_millis(800));
        assert_eq!(backoff.ceiling(7), Duration::from_secs(5), "capped");
        assert_eq!(backoff.ceiling(u32::MAX), Duration::from_secs(5), "no overflow");
        for attempt in 1..10 {
            let ceiling = backoff.ceiling(attempt);
            for _ in 0..50 {
                let delay = backoff.delay(attempt);
                assert!(delay >= ceiling / 2 && delay <= ceiling, "{delay:?} outside [{:?}, {ceiling:?}]", ceiling / 2);
            }
        }
    }

    #[test]
    fn jitter_spreads_delays() {
        let backoff = Backoff::default();
        let delays: std::collections::HashSet<_> = (0..20).map(|_| backoff.delay(3)).collect();
        assert!(delays.len() > 1, "twenty draws gave one value");
    }
}
