//! The background task of a sharing client: publishes what the outbox holds as soon as it is
//! queued, and every refresh interval folds the other nodes' breaker transitions and pauses into
//! this node's state. It holds the client weakly and stops once the last clone is dropped.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::Inner;
use crate::breaker::BreakerKey;
use crate::call::ScopeKey;
use crate::metrics;
use crate::shared::outbox::Outbox;
use crate::shared::{PublishedBreaker, SharedPause, SharedStateBackend};

/// How far back each read reaches before the previous one started: covers clock differences
/// between nodes and writes that committed late.
const OVERLAP: Duration = Duration::from_secs(2);
/// How often ended pauses and long-closed breakers are purged from the backend.
const PURGE_EVERY: Duration = Duration::from_secs(600);
/// What the purge keeps.
const KEEP_FOR: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// What the task remembers between rounds.
struct SyncState {
    /// The version of each breaker's transition already folded in (or published by this node).
    versions: HashMap<BreakerKey, i64>,
    /// The end of each pause already applied here.
    pauses: HashMap<(ScopeKey, Option<ScopeKey>), DateTime<Utc>>,
    /// When the last successful read of breaker changes started; `None` before the first.
    read_from: Option<DateTime<Utc>>,
    last_refresh: Option<Instant>,
    last_purge: Instant,
    /// Whether the backend failed last time (to log a failure and its recovery once each).
    failing: bool,
}

/// Runs until the client is dropped.
pub(super) async fn run(
    client: Weak<Inner>,
    backend: Arc<dyn SharedStateBackend>,
    outbox: Arc<Outbox>,
    every: Duration,
) {
    let mut state = SyncState {
        versions: HashMap::new(),
        pauses: HashMap::new(),
        read_from: None,
        last_refresh: None,
        last_purge: Instant::now(),
        failing: false,
    };
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = outbox.queued() => {}
        }
        let Some(inner) = client.upgrade() else { return };
        let mut ok = publish(&*backend, &outbox, &mut state).await;
        if state.last_refresh.is_none_or(|at| at.elapsed() >= every) {
            state.last_refresh = Some(Instant::now());
            ok &= refresh(&inner, &*backend, &outbox, &mut state).await;
        }
        if state.last_purge.elapsed() >= PURGE_EVERY {
            state.last_purge = Instant::now();
            if let Err(error) = backend.purge(Utc::now() - KEEP_FOR).await {
                tracing::warn!(%error, "purging shared outbound state failed");
            }
        }
        if ok && state.failing {
            tracing::info!("shared outbound state is reachable again");
        }
        state.failing = !ok;
    }
}

/// Publishes what is queued; keeps what failed for the next round.
async fn publish(backend: &dyn SharedStateBackend, outbox: &Outbox, state: &mut SyncState) -> bool {
    let mut pending = outbox.take();
    if pending.is_empty() {
        return true;
    }
    let mut failed = crate::shared::outbox::Pending::default();
    let mut first_error = None;
    for breaker in pending.breakers.drain(..) {
        match backend.publish_breaker(&breaker).await {
            Ok(version) => {
                state.versions.insert(breaker.key.clone(), version);
            }
            Err(error) => {
                first_error.get_or_insert(error);
                failed.breakers.push(breaker);
            }
        }
    }
    for pause in pending.pauses.drain(..) {
        // A pause that is over by now needs no publishing.
        if pause.until <= Utc::now() {
            continue;
        }
        if let Err(error) = backend.publish_pause(&pause).await {
            first_error.get_or_insert(error);
            failed.pauses.push(pause);
        }
    }
    let Some(error) = first_error else { return true };
    metrics::record_shared_state_error("publish");
    if !state.failing {
        tracing::warn!(%error, "publishing outbound state to other nodes failed; will try again");
    }
    outbox.put_back(failed);
    false
}

/// Folds in what other nodes published since the last read.
async fn refresh(inner: &Inner, backend: &dyn SharedStateBackend, outbox: &Outbox, state: &mut SyncState) -> bool {
    let started = Utc::now();
    let mut ok = true;
    let since = state.read_from.map(|at| at - chrono::TimeDelta::from_std(OVERLAP).unwrap_or_default());
    match backend.breaker_changes(since).await {
        Ok(changes) => {
            for change in changes {
                fold_breaker(inner, outbox.node_id(), state, change);
            }
            state.read_from = Some(started);
        }
        Err(error) => {
            ok = false;
            metrics::record_shared_state_error("read_breakers");
            if !state.failing {
                tracing::warn!(%error, "reading other nodes' breaker states failed; will try again");
            }
        }
    }
    match backend.active_pauses(started).await {
        Ok(pauses) => {
            for pause in pauses {
                apply_pause(inner, outbox.node_id(), state, pause);
            }
            state.pauses.retain(|_, until| *until > started);
        }
        Err(error) => {
            ok = false;
            metrics::record_shared_state_error("read_pauses");
            if !state.failing {
                tracing::warn!(%error, "reading other nodes' rate-limit pauses failed; will try again");
            }
        }
    }
    ok
}

/// Applies one published transition once: another node's becomes this node's breaker state.
fn fold_breaker(inner: &Inner, node_id: &str, state: &mut SyncState, change: PublishedBreaker) {
    let breaker = change.breaker;
    if state.versions.get(&breaker.key).is_some_and(|seen| *seen >= change.version) {
        return;
    }
    state.versions.insert(breaker.key.clone(), change.version);
    if let (BreakerKey::Connection(connection), Some(host)) = (&breaker.key, &breaker.host) {
        inner.remember_host(connection, host);
    }
    if breaker.node != node_id {
        inner.breakers.adopt(&breaker);
    }
}

/// Holds back a key another node was told to pause, once per pause.
fn apply_pause(inner: &Inner, node_id: &str, state: &mut SyncState, pause: SharedPause) {
    if pause.node == node_id {
        return;
    }
    let key = (pause.app_key.clone(), pause.connection.clone());
    if state.pauses.get(&key).is_some_and(|until| *until >= pause.until) {
        return;
    }
    state.pauses.insert(key, pause.until);
    let Ok(wait) = (pause.until - Utc::now()).to_std() else { return };
    let wait = super::clamp_pause(wait, &inner.config);
    if wait.is_zero() {
        return;
    }
    inner.limiter.pause(&pause.app_key, pause.connection.as_ref(), Instant::now() + wait);
    metrics::record_pause(&pause.provider, metrics::PauseOrigin::Peer);
    tracing::info!(
        provider = %pause.provider, app = %pause.app_key, connection = ?pause.connection, from_node = %pause.node,
        pause_ms = wait.as_millis() as u64, "another node was asked to wait; key paused here too"
    );
}
