//! Per-endpoint health kept in memory by each dispatcher: a circuit breaker (consecutive failures
//! open it for a cool-down; one attempt then probes) and a GCRA rate limit. Both only postpone
//! deliveries; they never drop one.

use std::time::{Duration, Instant};

/// One endpoint's breaker and limiter.
#[derive(Debug, Default)]
pub struct EndpointHealth {
    consecutive_failures: u32,
    open_until: Option<Instant>,
    /// A probe is in flight after the cool-down; others wait for its answer.
    probing: bool,
    /// GCRA: the theoretical arrival time of the next allowed delivery.
    tat: Option<Instant>,
}

/// Why a delivery must wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    BreakerOpen(Duration),
    RateLimited(Duration),
}

impl Hold {
    pub fn wait(self) -> Duration {
        match self {
            Self::BreakerOpen(wait) | Self::RateLimited(wait) => wait,
        }
    }
}

impl EndpointHealth {
    /// Whether a delivery may go now; takes a rate-limit slot when it may.
    pub fn admit(&mut self, now: Instant, rate_per_second: Option<u32>, cooldown: Duration) -> Result<(), Hold> {
        if let Some(open_until) = self.open_until {
            if now < open_until {
                return Err(Hold::BreakerOpen(open_until - now));
            }
            if self.probing {
                return Err(Hold::BreakerOpen(cooldown.min(Duration::from_secs(1))));
            }
            self.probing = true;
        }
        if let Some(rate) = rate_per_second.filter(|rate| *rate > 0) {
            let interval = Duration::from_secs(1) / rate;
            // A burst of up to one second's worth is allowed.
            let tolerance = Duration::from_secs(1).saturating_sub(interval);
            let tat = self.tat.map_or(now, |tat| tat.max(now));
            if tat > now + tolerance {
                if self.probing {
                    self.probing = false;
                }
                return Err(Hold::RateLimited(tat - (now + tolerance)));
            }
            self.tat = Some(tat + interval);
        }
        Ok(())
    }

    /// Records an attempt's outcome; returns true when this failure opened the breaker.
    pub fn record(&mut self, success: bool, now: Instant, threshold: u32, cooldown: Duration) -> bool {
        self.probing = false;
        if success {
            self.consecutive_failures = 0;
            self.open_until = None;
            return false;
        }
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        if self.consecutive_failures >= threshold.max(1) {
            let opened = self.open_until.is_none();
            self.open_until = Some(now + cooldown);
            return opened;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_opens_after_the_threshold_and_probes_after_the_cooldown() {
        let mut health = EndpointHealth::default();
        let now = Instant::now();
        let cooldown = Duration::from_secs(30);
        for _ in 0..4 {
            assert!(health.admit(now, None, cooldown).is_ok());
            assert!(!health.record(false, now, 5, cooldown));
        }
        assert!(health.record(false, now, 5, cooldown), "the fifth failure opens it");
        assert!(matches!(health.admit(now, None, cooldown), Err(Hold::BreakerOpen(_))));
        let later = now + cooldown;
        assert!(health.admit(later, None, cooldown).is_ok(), "one probe");
        assert!(health.admit(later, None, cooldown).is_err(), "only one");
        health.record(true, later, 5, cooldown);
        assert!(health.admit(later, None, cooldown).is_ok(), "closed again");
    }

    #[test]
    fn the_rate_limit_spaces_deliveries_after_a_one_second_burst() {
        let mut health = EndpointHealth::default();
        let now = Instant::now();
        let admitted = (0..20).filter(|_| health.admit(now, Some(10), Duration::ZERO).is_ok()).count();
        assert_eq!(admitted, 10);
        let Err(Hold::RateLimited(wait)) = health.admit(now, Some(10), Duration::ZERO) else { panic!("limited") };
        assert!(wait <= Duration::from_millis(100));
        assert!(health.admit(now + Duration::from_millis(100), Some(10), Duration::ZERO).is_ok());
    }
}
