//! Circuit breakers per provider host and per connection: a failing provider (or one failing
//! account) is refused quickly instead of tying up workers, and a single probe after a short
//! cool-down lets traffic resume within a second of recovery.

mod record;
mod store;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

pub(crate) use record::{Admit, Outcome};
pub use record::{BreakerPolicy, BreakerRecord, CircuitState};
pub use store::{BreakerStateStore, InMemoryBreakerStore};

use crate::call::ScopeKey;
use crate::shared::SharedBreaker;
use crate::shared::outbox::Outbox;

/// Which breaker: one per provider host (`api.hubapi.com:443`) and one per connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BreakerKey {
    Host(String),
    Connection(ScopeKey),
}

impl BreakerKey {
    /// Parses the text [`fmt::Display`] writes (`host:api.hubapi.com:443`, `connection:conn_…`).
    pub fn parse(text: &str) -> Option<Self> {
        if let Some(host) = text.strip_prefix("host:").filter(|host| !host.is_empty()) {
            return Some(Self::Host(host.to_owned()));
        }
        text.strip_prefix("connection:").filter(|key| !key.is_empty()).map(|key| Self::Connection(key.into()))
    }
}

impl fmt::Display for BreakerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Host(host) => write!(f, "host:{host}"),
            Self::Connection(key) => write!(f, "connection:{key}"),
        }
    }
}

/// A breaker's state as shown to people (`GET /v1/connections/{id}/health`) and dashboards.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakerSnapshot {
    pub state: CircuitState,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    /// Outcomes in the rolling window (while closed).
    pub recent_requests: usize,
    pub recent_failures: usize,
}

impl BreakerSnapshot {
    fn of(record: &BreakerRecord) -> Self {
        Self {
            state: record.state,
            last_error: record.last_error.clone(),
            last_error_at: record.last_error_at,
            opened_at: record.opened_at,
            recent_requests: record.outcomes.len(),
            recent_failures: record.outcomes.iter().filter(|(_, failed)| *failed).count(),
        }
    }

    /// The state of a breaker that has seen nothing.
    pub fn untouched() -> Self {
        Self::of(&BreakerRecord::default())
    }
}

/// A refusal: how long to wait, and what the breaker last saw.
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    pub(crate) key: BreakerKey,
    pub(crate) state: CircuitState,
    pub(crate) retry_after: Duration,
    pub(crate) last_error: Option<String>,
}

/// All breakers of a client, over one store and one policy; with an outbox when the client shares
/// its breakers with other nodes.
#[derive(Debug, Clone)]
pub(crate) struct Breakers {
    store: Arc<dyn BreakerStateStore>,
    policy: BreakerPolicy,
    outbox: Option<Arc<Outbox>>,
}

impl Breakers {
    pub(crate) fn new(store: Arc<dyn BreakerStateStore>, policy: BreakerPolicy, outbox: Option<Arc<Outbox>>) -> Self {
        Self { store, policy, outbox }
    }

    /// Without changing anything: would a call be refused now?
    pub(crate) fn refusal(&self, key: &BreakerKey) -> Option<Refusal> {
        let record = self.store.get(key)?;
        let retry_after = record.refusal(&self.policy, Instant::now())?;
        Some(Refusal { key: key.clone(), state: record.state, retry_after, last_error: record.last_error })
    }

    /// Lets a call to `host` through (possibly as the half-open probe) or refuses it.
    pub(crate) fn admit(&self, key: &BreakerKey, provider: &str, host: &str) -> Result<BreakerPermit, Refusal> {
        let mut verdict = Admit::Pass;
        let mut refused = None;
        self.apply(key, provider, host, &mut |record| {
            verdict = record.admit(&self.policy, Instant::now());
            if let Admit::Refuse(retry_after) = verdict {
                refused = Some((record.state, retry_after, record.last_error.clone()));
            }
        });
        if let Some((state, retry_after, last_error)) = refused {
            return Err(Refusal { key: key.clone(), state, retry_after, last_error });
        }
        Ok(BreakerPermit {
            breakers: self.clone(),
            key: key.clone(),
            provider: provider.to_owned(),
            host: host.to_owned(),
            probe: verdict == Admit::Probe,
            settled: false,
        })
    }

    pub(crate) fn snapshot(&self, key: &BreakerKey) -> BreakerSnapshot {
        self.store.get(key).map_or_else(BreakerSnapshot::untouched, |record| BreakerSnapshot::of(&record))
    }

    /// Updates one record, reporting state changes to logs and metrics, and publishing a breaker
    /// opening or closing to other nodes.
    fn apply(&self, key: &BreakerKey, provider: &str, host: &str, change: &mut dyn FnMut(&mut BreakerRecord)) {
        let mut transition = None;
        self.store.update(key, &mut |record| {
            let before = record.state;
            change(record);
            if record.state != before {
                transition = Some((before, record.clone()));
            }
        });
        if let Some((from, record)) = transition {
            let (to, last_error) = (record.state, record.last_error.as_deref());
            crate::metrics::record_circuit_transition(provider, key, from, to);
            if let Some(outbox) = &self.outbox
                && is_shared_transition(from, to)
            {
                outbox.breaker(publication(key, provider, host, &record, outbox.node_id()));
            }
            match to {
                CircuitState::Open => tracing::warn!(
                    breaker = %key, provider, from = %from, last_error = last_error.unwrap_or(""),
                    "circuit opened"
                ),
                _ => tracing::info!(breaker = %key, provider, from = %from, to = %to, "circuit changed"),
            }
        }
    }
}

impl Breakers {
    /// Folds another node's transition into this node's record of the breaker.
    pub(crate) fn adopt(&self, remote: &SharedBreaker) {
        let mut transition = None;
        self.store.update(&remote.key, &mut |record| {
            let before = record.state;
            record.adopt(remote, Instant::now(), Utc::now());
            if record.state != before {
                transition = Some((before, record.state));
            }
        });
        if let Some((from, to)) = transition {
            crate::metrics::record_circuit_transition(&remote.provider, &remote.key, from, to);
            tracing::info!(
                breaker = %remote.key, provider = %remote.provider, from = %from, to = %to, by_node = %remote.node,
                "circuit changed on another node"
            );
        }
    }
}

/// Transitions other nodes learn of: a breaker opening (not re-opening after a failed probe of
/// this node's own) and a breaker closing. Half-open is this node's own probe.
fn is_shared_transition(from: CircuitState, to: CircuitState) -> bool {
    matches!((from, to), (CircuitState::Closed, CircuitState::Open) | (_, CircuitState::Closed))
}

/// What other nodes are told of a breaker that has just changed to `record`.
fn publication(key: &BreakerKey, provider: &str, host: &str, record: &BreakerRecord, node: &str) -> SharedBreaker {
    let (now, wall) = (Instant::now(), Utc::now());
    let reopen_at = record.reopen_at.map(|at| {
        let wait = at.saturating_duration_since(now);
        wall + chrono::TimeDelta::from_std(wait).unwrap_or_default()
    });
    SharedBreaker {
        key: key.clone(),
        provider: provider.to_owned(),
        host: matches!(key, BreakerKey::Connection(_)).then(|| host.to_owned()),
        state: record.state,
        opened_at: record.opened_at,
        reopen_at,
        last_error: record.last_error.clone(),
        last_error_at: record.last_error_at,
        node: node.to_owned(),
    }
}

/// Permission for one call to pass a breaker. Report its outcome with [`BreakerPermit::settle`];
/// dropping it unsettled counts as "no information" and frees the probe slot.
#[derive(Debug)]
pub(crate) struct BreakerPermit {
    breakers: Breakers,
    key: BreakerKey,
    provider: String,
    host: String,
    probe: bool,
    settled: bool,
}

impl BreakerPermit {
    pub(crate) fn settle(mut self, outcome: Outcome) {
        self.report(outcome);
    }

    fn report(&mut self, outcome: Outcome) {
        self.settled = true;
        let (probe, policy) = (self.probe, self.breakers.policy);
        let mut outcome = Some(outcome);
        self.breakers.apply(&self.key, &self.provider, &self.host, &mut |record| {
            if let Some(outcome) = outcome.take() {
                record.record(outcome, probe, &policy, Instant::now());
            }
        });
    }
}

impl Drop for BreakerPermit {
    fn drop(&mut self) {
        if !self.settled {
            self.report(Outcome::Neutral);
        }
    }
}
