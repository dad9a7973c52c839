//! Processing stored inbound deliveries: claimed from `inbound_events` in batches under a lease
//! (a crashed node's claims come back), routed to their source's connection, and handed to an
//! [`InboundApplier`] (the sync engine, behind a trait so this crate does not depend on it).
//! Deliveries of one connection in one batch make one call: a storm of events becomes one
//! targeted sync, not thousands.
//!
//! The raw payloads are purged after the retention period by [`InboundProcessor::purge`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use hub_core::id::{ConnectionId, NetworkId};
use hub_store::{InboundEvent, InboundResult, Store};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Deliveries claimed at once.
const CLAIM: u32 = 200;
/// How long a claim is held before another node may take the deliveries.
const LEASE: Duration = Duration::from_secs(120);
/// Attempts before a delivery is marked failed for good.
const MAX_ATTEMPTS: u32 = 10;

/// Why applying failed, and whether to try again later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyError {
    pub reason: String,
    pub retryable: bool,
}

/// Turns a connection's stored deliveries into record changes.
#[async_trait]
pub trait InboundApplier: Send + Sync + 'static {
    /// Applies `events` (all from `connection_id`): directly, when their payloads are complete
    /// records, or by a targeted sync of the connection otherwise.
    async fn apply(
        &self,
        network_id: &NetworkId,
        connection_id: &ConnectionId,
        events: &[InboundEvent],
    ) -> Result<(), ApplyError>;
}

/// Runs the processing loop and the retention purge.
pub struct InboundProcessor {
    store: Arc<dyn Store>,
    applier: Arc<dyn InboundApplier>,
    wake: Arc<Notify>,
    poll_interval: Duration,
    retention: Duration,
}

impl InboundProcessor {
    pub fn new(
        store: Arc<dyn Store>,
        applier: Arc<dyn InboundApplier>,
        wake: Arc<Notify>,
        poll_interval: Duration,
        retention: Duration,
    ) -> Self {
        Self { store, applier, wake, poll_interval, retention }
    }

    /// Processes one batch; returns how many deliveries it claimed (0: nothing to do).
    pub async fn process_batch(&self) -> Result<usize, hub_store::StoreError> {
        let lease_until = Utc::now() + chrono::Duration::from_std(LEASE).unwrap_or(chrono::Duration::minutes(2));
        let claimed = self.store.claim_inbound_events(CLAIM, lease_until).await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let count = claimed.len();
        let mut by_connection: HashMap<(NetworkId, ConnectionId), Vec<InboundEvent>> = HashMap::new();
        let mut results = Vec::with_capacity(count);
        for event in claimed {
            match event.connection_id.clone() {
                Some(connection) => {
                    by_connection.entry((event.network_id.clone(), connection)).or_default().push(event)
                }
                // A network-level source with no connection: kept for the record, nothing to apply.
                None => results.push(InboundResult {
                    network_id: event.network_id,
                    id: event.id,
                    error: None,
                    give_up: false,
                }),
            }
        }
        for ((network, connection), events) in by_connection {
            let outcome = self.applier.apply(&network, &connection, &events).await;
            for event in events {
                let (error, give_up) = match &outcome {
                    Ok(()) => (None, false),
                    Err(failure) => {
                        (Some(failure.reason.clone()), !failure.retryable || event.attempts >= MAX_ATTEMPTS)
                    }
                };
                results.push(InboundResult { network_id: event.network_id, id: event.id, error, give_up });
            }
        }
        let retry_at = Utc::now() + chrono::Duration::seconds(30);
        self.store.finish_inbound_events(&results, retry_at).await?;
        Ok(count)
    }

    /// Processes until nothing is left (tests, and each wake-up of the loop).
    pub async fn run_until_idle(&self) -> Result<usize, hub_store::StoreError> {
        let mut total = 0;
        loop {
            let done = self.process_batch().await?;
            if done == 0 {
                return Ok(total);
            }
            total += done;
        }
    }

    /// Drops raw payloads older than the retention period.
    pub async fn purge(&self) -> Result<u64, hub_store::StoreError> {
        let before = Utc::now() - chrono::Duration::from_std(self.retention).unwrap_or(chrono::Duration::days(30));
        self.store.purge_inbound_payloads(before).await
    }

    /// Processes deliveries as they arrive until `shutdown`; purges once an hour.
    pub async fn run(&self, shutdown: CancellationToken) {
        let mut last_purge = std::time::Instant::now() - Duration::from_secs(3600);
        // Failed attempts are retried no sooner than this.
        let backoff = self.poll_interval.max(Duration::from_secs(1));
        loop {
            if shutdown.is_cancelled() {
                return;
            }
            match self.run_until_idle().await {
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "processing inbound webhooks failed; retrying");
                }
            }
            if last_purge.elapsed() >= Duration::from_secs(3600) {
                last_purge = std::time::Instant::now();
                match self.purge().await {
                    Ok(purged) if purged > 0 => tracing::info!(purged, "purged inbound webhook payloads"),
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "purging inbound webhook payloads failed"),
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(backoff * 4) => {}
            }
        }
    }
}
