//! One breaker's state and its transitions: closed → open when the failure rate over a rolling
//! window passes the threshold; open → half-open after a short cool-down, letting one probe
//! through; half-open → closed when the probe succeeds, back to open when it fails.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::shared::SharedBreaker;

/// A breaker's position, as the API and metrics show it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CircuitState {
    /// Calls go through.
    #[default]
    Closed,
    /// Calls are refused until the cool-down ends.
    Open,
    /// One probe call is allowed through to test recovery.
    HalfOpen,
}

impl CircuitState {
    /// `closed`, `open` or `half_open`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
        }
    }

    /// The gauge value exported for this state: 0 closed, 1 half-open, 2 open.
    pub fn gauge_value(self) -> f64 {
        match self {
            Self::Closed => 0.0,
            Self::HalfOpen => 1.0,
            Self::Open => 2.0,
        }
    }
}

impl fmt::Display for CircuitState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a breaker trips and how fast it tries again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerPolicy {
    /// At most this many recent outcomes are kept.
    pub window_size: usize,
    /// Outcomes older than this are forgotten.
    pub window_duration: Duration,
    /// No decision on fewer outcomes than this.
    pub min_requests: usize,
    /// Open when failures / outcomes in the window reach this (0.0–1.0).
    pub failure_rate: f64,
    /// How long an open breaker refuses calls before letting a probe through. Short, so calls
    /// resume within a second of the provider recovering.
    pub open_cooldown: Duration,
    /// A probe that has not reported after this long no longer blocks the next probe.
    pub probe_timeout: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self {
            window_size: 20,
            window_duration: Duration::from_secs(30),
            min_requests: 5,
            failure_rate: 0.5,
            open_cooldown: Duration::from_millis(400),
            probe_timeout: Duration::from_secs(5),
        }
    }
}

/// What one call's answer means to a breaker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The provider answered sensibly (including 4xx: it is up).
    Success,
    /// The provider failed (5xx, timeout, connection refused); the text is kept as `last_error`.
    Failure(String),
    /// Tells nothing about health (rate limited, call abandoned).
    Neutral,
}

/// Whether a call may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admit {
    Pass,
    /// Allowed as the single half-open probe.
    Probe,
    /// Refused; try again after this long.
    Refuse(Duration),
}

/// Everything one breaker knows. Kept by a [`crate::BreakerStateStore`].
#[derive(Debug, Clone, Default)]
pub struct BreakerRecord {
    pub state: CircuitState,
    /// When the breaker last opened (wall clock, for people).
    pub opened_at: Option<DateTime<Utc>>,
    /// While open: when a probe may go.
    pub reopen_at: Option<Instant>,
    /// While half-open: when the probe in flight started.
    pub probe_started: Option<Instant>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Recent outcomes, oldest first: `true` for a failure.
    pub outcomes: VecDeque<(Instant, bool)>,
}

impl BreakerRecord {
    /// Without changing anything: how long a call would be refused, if it would be.
    pub(crate) fn refusal(&self, policy: &BreakerPolicy, now: Instant) -> Option<Duration> {
        match self.state {
            CircuitState::Closed => None,
            CircuitState::Open => self.reopen_at.filter(|at| *at > now).map(|at| at - now),
            CircuitState::HalfOpen => self.probe_busy_for(policy, now),
        }
    }

    /// While a probe is in flight, how long until it no longer blocks others.
    fn probe_busy_for(&self, policy: &BreakerPolicy, now: Instant) -> Option<Duration> {
        let started = self.probe_started?;
        let free_at = started + policy.probe_timeout;
        // Poll again soon: the probe usually answers well before its timeout.
        (free_at > now).then(|| (free_at - now).min(policy.open_cooldown / 4))
    }

    /// Decides on one call, moving open → half-open when the cool-down is over.
    pub(crate) fn admit(&mut self, policy: &BreakerPolicy, now: Instant) -> Admit {
        if let Some(wait) = self.refusal(policy, now) {
            return Admit::Refuse(wait);
        }
        match self.state {
            CircuitState::Closed => Admit::Pass,
            CircuitState::Open | CircuitState::HalfOpen => {
                self.state = CircuitState::HalfOpen;
                self.reopen_at = None;
                self.probe_started = Some(now);
                Admit::Probe
            }
        }
    }

    /// Applies one outcome; `probe` says whether the call was the half-open probe.
    pub(crate) fn record(&mut self, outcome: Outcome, probe: bool, policy: &BreakerPolicy, now: Instant) {
        if let Outcome::Failure(error) = &outcome {
            self.last_error = Some(error.clone());
            self.last_error_at = Some(Utc::now());
        }
        match (self.state, probe) {
            (CircuitState::HalfOpen, true) => match outcome {
                Outcome::Success => self.close(),
                Outcome::Failure(_) => self.open(policy, now),
                Outcome::Neutral => self.probe_started = None,
            },
            (CircuitState::Closed, _) => {
                let failed = match outcome {
                    Outcome::Success => false,
                    Outcome::Failure(_) => true,
                    Outcome::Neutral => return,
                };
                self.outcomes.push_back((now, failed));
                self.trim(policy, now);
                if self.should_open(policy) {
                    self.open(policy, now);
                }
            }
            // Answers to calls admitted before the breaker opened tell nothing new.
            _ => {}
        }
    }

    /// Takes over another node's transition: open until its cool-down ends (then this node may
    /// probe on its own), or closed. The newer of the two last errors is kept.
    pub(crate) fn adopt(&mut self, remote: &SharedBreaker, now: Instant, wall: DateTime<Utc>) {
        if remote.last_error_at > self.last_error_at {
            self.last_error.clone_from(&remote.last_error);
            self.last_error_at = remote.last_error_at;
        }
        match remote.state {
            CircuitState::Closed => self.close(),
            CircuitState::Open | CircuitState::HalfOpen => {
                let wait = remote.reopen_at.and_then(|at| (at - wall).to_std().ok()).unwrap_or_default();
                if self.state == CircuitState::Closed {
                    self.opened_at = remote.opened_at.or(Some(wall));
                }
                self.state = CircuitState::Open;
                self.reopen_at = Some(now + wait);
                self.probe_started = None;
                self.outcomes.clear();
            }
        }
    }

    fn trim(&mut self, policy: &BreakerPolicy, now: Instant) {
        while self.outcomes.len() > policy.window_size.max(1) {
            self.outcomes.pop_front();
        }
        while self.outcomes.front().is_some_and(|(at, _)| now.saturating_duration_since(*at) > policy.window_duration) {
            self.outcomes.pop_front();
        }
    }

    fn should_open(&self, policy: &BreakerPolicy) -> bool {
        let total = self.outcomes.len();
        if total == 0 || total < policy.min_requests {
            return false;
        }
        let failures = self.outcomes.iter().filter(|(_, failed)| *failed).count();
        failures as f64 / total as f64 >= policy.failure_rate
    }

    fn open(&mut self, policy: &BreakerPolicy, now: Instant) {
        if self.state == CircuitState::Closed {
            self.opened_at = Some(Utc::now());
        }
        self.state = CircuitState::Open;
        self.reopen_at = Some(now + policy.open_cooldown);
        self.probe_started = None;
        self.outcomes.clear();
    }

    fn close(&mut self) {
        self.state = CircuitState::Closed;
        self.opened_at = None;
        self.reopen_at = None;
        self.probe_started = None;
        self.outcomes.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> BreakerPolicy {
        BreakerPolicy { min_requests: 4, open_cooldown: Duration::from_millis(300), ..BreakerPolicy::default() }
    }

    #[test]
    fn opens_on_failure_rate_then_probes_once_then_closes() {
        let policy = policy();
        let mut record = BreakerRecord::default();
        let now = Instant::now();
        for _ in 0..3 {
            record.record(Outcome::Failure("503".into()), false, &policy, now);
        }
        assert_eq!(record.state, CircuitState::Closed, "three outcomes are below the minimum");
        record.record(Outcome::Failure("503".into()), false, &policy, now);
        assert_eq!(record.state, CircuitState::Open);
        assert!(matches!(record.admit(&policy, now), Admit::Refuse(_)));

        let later = now + Duration::from_millis(300);
        assert_eq!(record.admit(&policy, later), Admit::Probe);
        assert!(matches!(record.admit(&policy, later), Admit::Refuse(_)), "one probe at a time");
        record.record(Outcome::Success, true, &policy, later);
        assert_eq!(record.state, CircuitState::Closed);
        assert_eq!(record.admit(&policy, later), Admit::Pass);
        assert_eq!(record.last_error.as_deref(), Some("503"));
    }

    #[test]
    fn failed_probe_reopens_and_abandoned_probe_frees_the_slot() {
        let policy = policy();
        let mut record = BreakerRecord { state: CircuitState::Open, ..BreakerRecord::default() };
        let now = Instant::now();
        assert_eq!(record.admit(&policy, now), Admit::Probe);
        record.record(Outcome::Failure("timeout".into()), true, &policy, now);
        assert_eq!(record.state, CircuitState::Open);
        let later = now + policy.open_cooldown;
        assert_eq!(record.admit(&policy, later), Admit::Probe);
        record.record(Outcome::Neutral, true, &policy, later);
        assert_eq!(record.admit(&policy, later), Admit::Probe, "an abandoned probe lets the next one go");
    }

    fn remote(state: CircuitState, reopen_in_ms: i64, wall: DateTime<Utc>) -> SharedBreaker {
        SharedBreaker {
            key: super::super::BreakerKey::Host("api.example:443".into()),
            provider: "example".into(),
            host: None,
            state,
            opened_at: Some(wall),
            reopen_at: Some(wall + chrono::TimeDelta::milliseconds(reopen_in_ms)),
            last_error: Some("503 from api.example:443".into()),
            last_error_at: Some(wall),
            node: "node-a".into(),
        }
    }

    #[test]
    fn another_nodes_open_breaker_refuses_here_until_its_cooldown_ends() {
        let policy = policy();
        let (now, wall) = (Instant::now(), Utc::now());
        let mut record = BreakerRecord::default();
        record.record(Outcome::Success, false, &policy, now);
        record.adopt(&remote(CircuitState::Open, 300, wall), now, wall);
        assert_eq!(record.state, CircuitState::Open);
        assert!(record.outcomes.is_empty(), "the node's own window starts over");
        assert_eq!(record.opened_at, Some(wall));
        assert_eq!(record.last_error.as_deref(), Some("503 from api.example:443"));
        match record.admit(&policy, now + Duration::from_millis(100)) {
            Admit::Refuse(wait) => {
                assert!(wait <= Duration::from_millis(200), "refused until the remote cool-down: {wait:?}")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(record.admit(&policy, now + Duration::from_millis(300)), Admit::Probe, "then this node probes");
    }

    #[test]
    fn another_nodes_close_closes_here_and_a_stale_error_is_not_taken() {
        let policy = policy();
        let (now, wall) = (Instant::now(), Utc::now());
        let mut record = BreakerRecord {
            state: CircuitState::Open,
            reopen_at: Some(now + Duration::from_secs(5)),
            ..BreakerRecord::default()
        };
        record.last_error = Some("timeout".into());
        record.last_error_at = Some(wall + chrono::TimeDelta::seconds(1));
        record.adopt(&remote(CircuitState::Closed, 0, wall), now, wall);
        assert_eq!(record.state, CircuitState::Closed);
        assert_eq!(record.admit(&policy, now), Admit::Pass);
        assert_eq!(record.last_error.as_deref(), Some("timeout"), "the newer local error stays");
        let mut past = BreakerRecord::default();
        past.adopt(&remote(CircuitState::Open, -1_000, wall), now, wall);
        assert_eq!(past.admit(&policy, now), Admit::Probe, "a cool-down already over lets a probe go at once");
    }

    #[test]
    fn successes_keep_the_rate_below_the_threshold() {
        let policy = policy();
        let mut record = BreakerRecord::default();
        let now = Instant::now();
        for index in 0..40 {
            let outcome = if index % 3 == 2 { Outcome::Failure("503".into()) } else { Outcome::Success };
            record.record(outcome, false, &policy, now);
        }
        assert_eq!(record.state, CircuitState::Closed);
    }
}
