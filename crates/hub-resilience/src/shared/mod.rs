//! State shared between hub nodes through the database: circuit-breaker transitions and the
//! pauses providers ask for. The seam is [`SharedStateBackend`]; the hub implements it over its
//! store (`breaker_states`, `rate_limit_pauses`).
//!
//! The hot path never waits on it. A client keeps every breaker and bucket in memory, as without
//! sharing; it *publishes* a breaker opening or closing and every pause a provider asked for (at
//! once, from a background task), and every [`SharedState::refresh_every`] it reads what other
//! nodes published and folds it into its own state. So one node opening a breaker makes the
//! others fail fast within one refresh, a successful probe on any node closes the breaker on all
//! of them as fast, and a provider's `Retry-After` seen by one node holds back that key
//! everywhere. Rolling failure windows, half-open probes and GCRA buckets stay per node.

pub(crate) mod outbox;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::breaker::{BreakerKey, CircuitState};
use crate::call::ScopeKey;

/// Why the backend could not read or write shared state. Only logged and counted: a node whose
/// database is away keeps working on its own state.
pub type SharedStateError = Box<dyn std::error::Error + Send + Sync>;

/// A breaker transition one node tells the others about. Only `Open` and `Closed` are published:
/// half-open is a node's own probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedBreaker {
    pub key: BreakerKey,
    /// The provider, for the metrics of the nodes that fold it in.
    pub provider: String,
    /// For a connection breaker: the host the connection calls, so health on other nodes can
    /// show the host's breaker too.
    pub host: Option<String>,
    pub state: CircuitState,
    pub opened_at: Option<DateTime<Utc>>,
    /// While open: the end of the cool-down, after which any node may probe.
    pub reopen_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// The node that saw the transition.
    pub node: String,
}

/// A published breaker transition as read back, with the version the backend gave it (rising per
/// key; each is folded in once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedBreaker {
    pub breaker: SharedBreaker,
    pub version: i64,
}

/// A pause a provider asked one node for: on the app (`connection: None`) or one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedPause {
    pub app_key: ScopeKey,
    pub connection: Option<ScopeKey>,
    pub provider: String,
    /// No request for the key before this instant.
    pub until: DateTime<Utc>,
    pub node: String,
}

/// Where nodes meet. Implementations talk to a database; every method may be slow or fail, and
/// none is called on the path of a provider call.
#[async_trait]
pub trait SharedStateBackend: Send + Sync + fmt::Debug {
    /// Records a breaker transition; returns the version it was given.
    async fn publish_breaker(&self, breaker: &SharedBreaker) -> Result<i64, SharedStateError>;
    /// Transitions published after `changed_after`; with `None`, every breaker that is open.
    async fn breaker_changes(
        &self,
        changed_after: Option<DateTime<Utc>>,
    ) -> Result<Vec<PublishedBreaker>, SharedStateError>;
    /// Records a pause (keeping a later one already recorded for the key).
    async fn publish_pause(&self, pause: &SharedPause) -> Result<(), SharedStateError>;
    /// Every pause still running at `now`.
    async fn active_pauses(&self, now: DateTime<Utc>) -> Result<Vec<SharedPause>, SharedStateError>;
    /// Forgets pauses that ended and closed breakers unchanged since `before`.
    async fn purge(&self, before: DateTime<Utc>) -> Result<(), SharedStateError>;
}

/// How a client shares its state: through which backend, under which node name, how often it
/// reads the other nodes' changes.
#[derive(Debug, Clone)]
pub struct SharedState {
    pub(crate) backend: Arc<dyn SharedStateBackend>,
    pub(crate) node_id: String,
    pub(crate) refresh_interval: Duration,
}

impl SharedState {
    /// Sharing through `backend`, as a node with a fresh random name, reading others' changes
    /// every 100 ms.
    pub fn new(backend: Arc<dyn SharedStateBackend>) -> Self {
        Self {
            backend,
            node_id: format!("node_{:016x}", rand::random::<u64>()),
            refresh_interval: Duration::from_millis(100),
        }
    }

    /// Names this node in what it publishes (logs on the other nodes show it).
    pub fn node_id(mut self, node_id: impl Into<String>) -> Self {
        self.node_id = node_id.into();
        self
    }

    /// How often other nodes' changes are read (at least every 10 ms). This bounds how long
    /// another node takes to fail fast after a breaker opens here, or to resume after it closes.
    pub fn refresh_every(mut self, interval: Duration) -> Self {
        self.refresh_interval = interval.max(Duration::from_millis(10));
        self
    }
}
