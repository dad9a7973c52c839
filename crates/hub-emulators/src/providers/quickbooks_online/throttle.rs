//! Throttling per company (`quickbooks-online.md`): at most 500 requests a minute and 10 in
//! flight per realm by default, answered with QBO's 429 `ThrottleExceeded` fault; a test can
//! shrink the limits or force the next N requests of a realm to be throttled.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The limits applied to every realm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThrottleLimits {
    /// Requests admitted per realm within one `window`.
    pub requests_per_window: u32,
    /// The sliding window (`60 s` in QBO).
    pub window: Duration,
    /// Requests of one realm in flight at once.
    pub concurrent: u32,
}

impl Default for ThrottleLimits {
    /// QBO's documented limits: 500 requests per minute, 10 at once.
    fn default() -> Self {
        Self { requests_per_window: 500, window: Duration::from_secs(60), concurrent: 10 }
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    Forced,
    Concurrency,
    Rate,
}

#[derive(Debug, Default)]
struct RealmUse {
    /// When each admitted request of the current window arrived (at most the limit).
    admitted: VecDeque<Instant>,
    in_flight: u32,
    forced: u32,
    throttled: u64,
}

/// Per-realm counters under the shared limits.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    limits: ThrottleLimits,
    realms: HashMap<String, RealmUse>,
}

impl Throttle {
    pub fn limits(&self) -> ThrottleLimits {
        self.limits
    }

    pub fn set_limits(&mut self, limits: ThrottleLimits) {
        self.limits = limits;
    }

    /// Throttles the realm's next `requests` requests, whatever the limits.
    pub fn force(&mut self, realm: &str, requests: u32) {
        self.realms.entry(realm.to_owned()).or_default().forced = requests;
    }

    /// How many of the realm's requests were answered 429 so far.
    pub fn throttled(&self, realm: &str) -> u64 {
        self.realms.get(realm).map_or(0, |usage| usage.throttled)
    }

    /// Admits a request (counting it in flight until [`Self::finish`]) or says why not.
    pub fn admit(&mut self, realm: &str, now: Instant) -> Result<(), Refusal> {
        let limits = self.limits;
        let usage = self.realms.entry(realm.to_owned()).or_default();
        while usage.admitted.front().is_some_and(|at| now.duration_since(*at) >= limits.window) {
            usage.admitted.pop_front();
        }
        let refusal = if usage.forced > 0 {
            usage.forced -= 1;
            Some(Refusal::Forced)
        } else if usage.in_flight >= limits.concurrent {
            Some(Refusal::Concurrency)
        } else if usage.admitted.len() >= limits.requests_per_window as usize {
            Some(Refusal::Rate)
        } else {
            None
        };
        if let Some(refusal) = refusal {
            usage.throttled += 1;
            return Err(refusal);
        }
        usage.admitted.push_back(now);
        usage.in_flight += 1;
        Ok(())
    }

    /// A request admitted by [`Self::admit`] has been answered.
    pub fn finish(&mut self, realm: &str) {
        if let Some(usage) = self.realms.get_mut(realm) {
            usage.in_flight = usage.in_flight.saturating_sub(1);
        }
    }

    /// Forgets one realm's counters.
    pub fn reset_realm(&mut self, realm: &str) {
        self.realms.remove(realm);
    }

    /// Back to QBO's limits with no counters.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::{Refusal, Throttle, ThrottleLimits};

    #[test]
    fn window_concurrency_and_forced_refusals_per_realm() {
        let mut throttle = Throttle::default();
        throttle.set_limits(ThrottleLimits { requests_per_window: 2, window: Duration::from_secs(60), concurrent: 1 });
        let start = Instant::now();
        assert_eq!(throttle.admit("a", start), Ok(()));
        assert_eq!(throttle.admit("a", start), Err(Refusal::Concurrency), "one in flight already");
        assert_eq!(throttle.admit("b", start), Ok(()), "realms are counted apart");
        throttle.finish("a");
        assert_eq!(throttle.admit("a", start), Ok(()));
        throttle.finish("a");
        assert_eq!(throttle.admit("a", start), Err(Refusal::Rate));
        assert_eq!(throttle.admit("a", start + Duration::from_secs(60)), Ok(()), "the window slid");
        throttle.finish("a");
        throttle.force("a", 1);
        assert_eq!(throttle.admit("a", start + Duration::from_secs(200)), Err(Refusal::Forced));
        assert_eq!(throttle.admit("a", start + Duration::from_secs(200)), Ok(()));
        assert_eq!(throttle.throttled("a"), 3);
    }
}
