//! Where stored inbound webhooks go: each connection's deliveries become one targeted sync
//! through the sync engine (a storm of events for one connection joins one queued run). No
//! connector maps provider webhook payloads to unified records yet, so every delivery is applied
//! by syncing; a connector that learns to will be called here first.
//!
//! QuickBooks Online notifications on the franchisor's (network-level) connection are not synced:
//! an Invoice or Payment change there queues the royalty invoices' paid-status read-back.

use std::sync::Arc;

use async_trait::async_trait;
use hub_core::access::TenantScope;
use hub_core::id::{ConnectionId, NetworkId};
use hub_core::records::SyncMode;
use hub_store::{InboundEvent, Store, StoreError};
use hub_sync::{SyncEngine, SyncError, SyncTrigger};
use hub_webhooks::inbound::processor::{ApplyError, InboundApplier};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::AppState;

/// Turns inbound deliveries into targeted syncs.
pub struct SyncApplier {
    store: Arc<dyn Store>,
    sync: SyncEngine,
    royalties: Option<hub_analytics::royalties::RoyaltyService>,
}

impl SyncApplier {
    pub fn new(store: Arc<dyn Store>, sync: SyncEngine) -> Self {
        Self { store, sync, royalties: None }
    }

    /// Also routes the franchisor's QuickBooks Invoice and Payment notifications to the royalty
    /// read-back.
    pub fn with_royalties(mut self, royalties: hub_analytics::royalties::RoyaltyService) -> Self {
        self.royalties = Some(royalties);
        self
    }
}

/// Whether a QuickBooks delivery names an Invoice or Payment change (legacy `"name":"Invoice"`
/// entities or CloudEvents `qbo.invoice.*` types); a purged body counts as one.
fn mentions_invoices(events: &[InboundEvent]) -> bool {
    events.iter().any(|event| match &event.body {
        None => true,
        Some(body) => {
            let text = String::from_utf8_lossy(body);
            ["\"Invoice\"", "\"Payment\"", "qbo.invoice.", "qbo.payment."].iter().any(|needle| text.contains(needle))
        }
    })
}

#[async_trait]
impl InboundApplier for SyncApplier {
    async fn apply(
        &self,
        network_id: &NetworkId,
        connection_id: &ConnectionId,
        events: &[InboundEvent],
    ) -> Result<(), ApplyError> {
        let scope = TenantScope::network(network_id.clone());
        let connection = match self.store.get_connection(&scope, connection_id).await {
            Ok(connection) => connection,
            Err(StoreError::NotFound { .. }) => {
                return Err(ApplyError { reason: "the source's connection no longer exists".into(), retryable: false });
            }
            Err(error) => return Err(ApplyError { reason: error.to_string(), retryable: error.is_retryable() }),
        };
        if connection.provider == hub_connectors::providers::quickbooks::PROVIDER
            && connection.franchisee_id.is_none()
            && let Some(royalties) = &self.royalties
        {
            if mentions_invoices(events) {
                royalties
                    .enqueue_read_back()
                    .await
                    .map_err(|error| ApplyError { reason: error.to_string(), retryable: error.is_retryable() })?;
            }
            return Ok(());
        }
        match self.sync.request(&connection, SyncMode::Incremental, SyncTrigger::Webhook).await {
            Ok(run) => {
                tracing::debug!(connection = %connection_id, run = %run.id, events = events.len(), "webhooks requested a sync");
                Ok(())
            }
            // Nothing to sync with, or a connection that must be reauthorized first: the
            // deliveries stay stored (and visible) but cannot be applied.
            Err(error @ (SyncError::NoConnector { .. } | SyncError::NotSyncable { .. })) => {
                Err(ApplyError { reason: error.to_string(), retryable: false })
            }
            Err(error) => Err(ApplyError { reason: error.to_string(), retryable: true }),
        }
    }
}

/// Starts the webhook loops (inbound processing, outbound producer and dispatcher) until
/// `shutdown`; `hub serve` calls this beside the job worker.
pub fn start(state: &AppState, shutdown: CancellationToken) -> Vec<JoinHandle<()>> {
    let applier = Arc::new(
        SyncApplier::new(Arc::clone(&state.store), state.sync.clone()).with_royalties(state.royalties.clone()),
    );
    state.webhooks.start(applier, shutdown)
}
