//! Outbound-call state that hub nodes share through the database: circuit-breaker transitions and
//! the pauses providers ask for (`Retry-After`, exhausted rate headers).
//!
//! The outbound stack (`hub-resilience`) keeps its live state in memory, because every provider
//! call reads it; it publishes only *transitions* here (a breaker opening or closing, a key being
//! paused) and reads other nodes' transitions back every fraction of a second. Rolling failure
//! windows and rate-limit buckets stay per node. Nothing here belongs to a tenant: a breaker is
//! keyed by provider host or connection, a pause by provider app or connection, as in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hub_core::ValidationError;

use crate::{StoreError, StoreResult};

/// The longest breaker key, app key or connection key accepted.
pub const MAX_OUTBOUND_KEY_LEN: usize = 500;

/// A breaker position worth telling other nodes about. Half-open is a node's own probe, so it is
/// never shared: other nodes keep refusing until the probe's answer is published as open or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SharedCircuit {
    Open,
    Closed,
}

impl SharedCircuit {
    /// The stored name (`open`, `closed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "open" => Some(Self::Open),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }
}

/// One breaker transition, as a node publishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakerTransition {
    /// `host:api.hubapi.com:443` or `connection:conn_…`.
    pub breaker_key: String,
    /// For metrics labels on the nodes that read it.
    pub provider: String,
    /// For a connection breaker: the provider host the connection calls.
    pub host: Option<String>,
    pub state: SharedCircuit,
    pub opened_at: Option<DateTime<Utc>>,
    /// While open: when the cool-down ends and a node may send a probe.
    pub reopen_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// The node that saw the transition.
    pub node: String,
}

/// A stored breaker state: the latest transition of its key, with the version it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedBreakerState {
    pub transition: BreakerTransition,
    /// Bumped on every publication of the key: readers apply each version once.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// A pause a provider asked for, on a provider app (every connection of it) or one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitPause {
    /// The provider app (`hubspot:net_…`).
    pub app_key: String,
    /// The paused connection; `None` when the whole app is paused.
    pub connection_key: Option<String>,
    pub provider: String,
    /// No request for the key before this instant.
    pub paused_until: DateTime<Utc>,
    /// The node that was told to wait.
    pub node: String,
}

/// Storage of the outbound state nodes share. Both backends implement it with the same semantics
/// (see `tests/outbound_conformance.rs`).
#[async_trait]
pub trait OutboundStateStore: Send + Sync {
    /// Records a breaker's transition, replacing the key's previous one; returns the version given
    /// to it (1 for a key's first publication, then one more each time).
    async fn publish_breaker_transition(&self, transition: &BreakerTransition) -> StoreResult<i64>;
    /// Breaker states published after `changed_after`, oldest first; with `None`, every breaker
    /// that is open (what a node starting up needs to know).
    async fn breaker_states(&self, changed_after: Option<DateTime<Utc>>) -> StoreResult<Vec<SharedBreakerState>>;
    /// Pauses a key until `paused_until`, or keeps the key's later pause.
    async fn publish_rate_limit_pause(&self, pause: &RateLimitPause) -> StoreResult<()>;
    /// Every pause still running at `now`.
    async fn active_rate_limit_pauses(&self, now: DateTime<Utc>) -> StoreResult<Vec<RateLimitPause>>;
    /// Deletes pauses that ended before `before` and closed breakers not changed since then;
    /// returns how many rows went.
    async fn purge_outbound_state(&self, before: DateTime<Utc>) -> StoreResult<u64>;
}

/// Refuses empty or over-long keys before they reach the database.
pub(crate) fn check_key(field: &str, key: &str) -> StoreResult<()> {
    if key.is_empty() || key.len() > MAX_OUTBOUND_KEY_LEN {
        return Err(StoreError::Invalid(ValidationError::new("must be 1 to 500 bytes").for_field(field)));
    }
    Ok(())
}

/// A `breaker_states` row.
#[derive(sqlx::FromRow)]
pub(crate) struct BreakerStateRow {
    pub breaker_key: String,
    pub provider: String,
    pub host: Option<String>,
    pub state: String,
    pub opened_at: Option<DateTime<Utc>>,
    pub reopen_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub updated_by: String,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<BreakerStateRow> for SharedBreakerState {
    type Error = StoreError;
    fn try_from(row: BreakerStateRow) -> Result<Self, StoreError> {
        let state = SharedCircuit::parse(&row.state)
            .ok_or_else(|| StoreError::Corrupt(format!("breaker_states.state `{}`: not a circuit state", row.state)))?;
        Ok(Self {
            transition: BreakerTransition {
                breaker_key: row.breaker_key,
                provider: row.provider,
                host: row.host,
                state,
                opened_at: row.opened_at,
                reopen_at: row.reopen_at,
                last_error: row.last_error,
                last_error_at: row.last_error_at,
                node: row.updated_by,
            },
            version: row.version,
            updated_at: row.updated_at,
        })
    }
}

/// A `rate_limit_pauses` row.
#[derive(sqlx::FromRow)]
pub(crate) struct RateLimitPauseRow {
    pub app_key: String,
    pub connection_key: String,
    pub provider: String,
    pub paused_until: DateTime<Utc>,
    pub updated_by: String,
}

impl From<RateLimitPauseRow> for RateLimitPause {
    fn from(row: RateLimitPauseRow) -> Self {
        Self {
            app_key: row.app_key,
            // '' stands for "the whole app" in the key column, which cannot be NULL.
            connection_key: Some(row.connection_key).filter(|key| !key.is_empty()),
            provider: row.provider,
            paused_until: row.paused_until,
            node: row.updated_by,
        }
    }
}
