//! The generic cell rate algorithm: one timestamp per bucket (the theoretical arrival time) says
//! when the next request conforms to `requests` per `per` with bursts of up to `burst`.

use std::time::{Duration, Instant};

use crate::error::ResilienceError;

/// A quota given by the caller: `requests` per `per`, allowing up to `burst` back to back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitPolicy {
    requests: u32,
    per: Duration,
    burst: u32,
}

impl RateLimitPolicy {
    /// `requests` per `per`, evenly spaced (burst of one); both must be non-zero.
    pub fn new(requests: u32, per: Duration) -> Result<Self, ResilienceError> {
        if requests == 0 || per.is_zero() {
            return Err(ResilienceError::InvalidRequest {
                reason: format!("rate limit of {requests} per {per:?} allows nothing"),
            });
        }
        Ok(Self { requests, per, burst: 1 })
    }

    /// The same rate, letting up to `burst` requests go back to back (at least one).
    pub fn with_burst(mut self, burst: u32) -> Self {
        self.burst = burst.max(1);
        self
    }

    pub fn requests(&self) -> u32 {
        self.requests
    }

    pub fn per(&self) -> Duration {
        self.per
    }

    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// Time between two requests at the sustained rate.
    fn emission_interval(&self) -> Duration {
        self.per / self.requests
    }

    /// How far ahead of the sustained schedule a burst may run.
    fn tolerance(&self) -> Duration {
        self.emission_interval().saturating_mul(self.burst - 1)
    }
}

/// One bucket's state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gcra {
    theoretical_arrival: Instant,
}

impl Gcra {
    pub(crate) fn new(now: Instant) -> Self {
        Self { theoretical_arrival: now }
    }

    /// The earliest instant at which one more request conforms (`now` if it already does).
    pub(crate) fn ready_at(&self, policy: &RateLimitPolicy, now: Instant) -> Instant {
        let allowed_from = self.theoretical_arrival.checked_sub(policy.tolerance());
        match allowed_from {
            Some(at) if at > now => at,
            _ => now,
        }
    }

    /// Spends one request; call only when `ready_at(now) == now`.
    pub(crate) fn take(&mut self, policy: &RateLimitPolicy, now: Instant) {
        let base = self.theoretical_arrival.max(now);
        self.theoretical_arrival = base + policy.emission_interval();
    }

    /// True when the bucket is full again, i.e. the state carries no information.
    pub(crate) fn is_idle(&self, now: Instant) -> bool {
        self.theoretical_arrival <= now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_even_spacing() -> Result<(), ResilienceError> {
        let policy = RateLimitPolicy::new(10, Duration::from_secs(1))?.with_burst(3);
        let start = Instant::now();
        let mut bucket = Gcra::new(start);
        for _ in 0..3 {
            assert_eq!(bucket.ready_at(&policy, start), start);
            bucket.take(&policy, start);
        }
        assert_eq!(bucket.ready_at(&policy, start), start + Duration::from_millis(100));
        let later = start + Duration::from_millis(100);
        bucket.take(&policy, later);
        assert_eq!(bucket.ready_at(&policy, later), later + Duration::from_millis(100));
        Ok(())
    }

    #[test]
    fn zero_rates_are_refused() {
        assert!(RateLimitPolicy::new(0, Duration::from_secs(1)).is_err());
        assert!(RateLimitPolicy::new(1, Duration::ZERO).is_err());
    }
}
