//! Emitting platform events: what other components call to tell subscribers something happened
//! (a royalty statement issued, say). Events are stored with their deliveries by group commit —
//! concurrent emits share one transaction per network — and the dispatcher is woken at once.
//!
//! ```ignore
//! state.webhooks.emitter().emit(PlatformEvent::new(
//!     network_id, "royalty.statement.issued", format!("royalty.statement.issued:{statement_id}"),
//!     serde_json::json!({"statement_id": statement_id, "period": "2026-10", "amount": "1234.00"}),
//! ).for_franchisee(franchisee_id)).await?;
//! ```
//!
//! The dedup key makes emitting idempotent: emit after the statement's transaction commits, and
//! emit again on restart if unsure; subscribers receive it once.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use hub_core::id::{FranchiseeId, LocationId, NetworkId, WebhookEventId};
use hub_store::{EmitBatch, NewWebhookEvent, Store, StoreError};
use tokio::sync::Notify;

use crate::batch::Batcher;
use crate::runtime_error::RuntimeError;

/// One event to emit.
#[derive(Debug, Clone, PartialEq)]
pub struct PlatformEvent {
    pub network_id: NetworkId,
    /// One of [`crate::outbound::EVENT_TYPES`] (add new types there, so `/v1/event-types` lists them).
    pub event_type: String,
    /// Stable for the thing that happened: a second emit with the same key stores nothing.
    pub dedup_key: String,
    /// Where it happened: routes the event to endpoints scoped to that franchisee or location.
    pub franchisee_id: Option<FranchiseeId>,
    pub location_id: Option<LocationId>,
    pub data: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
}

impl PlatformEvent {
    /// A network-level event that happened now.
    pub fn new(
        network_id: NetworkId,
        event_type: impl Into<String>,
        dedup_key: impl Into<String>,
        data: serde_json::Value,
    ) -> Self {
        Self {
            network_id,
            event_type: event_type.into(),
            dedup_key: dedup_key.into(),
            franchisee_id: None,
            location_id: None,
            data,
            occurred_at: Utc::now(),
        }
    }

    /// The same event, placed at a franchisee.
    pub fn for_franchisee(mut self, franchisee_id: FranchiseeId) -> Self {
        self.franchisee_id = Some(franchisee_id);
        self
    }

    /// The same event, placed at a shop (and its owner).
    pub fn for_location(mut self, franchisee_id: FranchiseeId, location_id: LocationId) -> Self {
        self.franchisee_id = Some(franchisee_id);
        self.location_id = Some(location_id);
        self
    }
}

/// What became of one emitted event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Emitted {
    /// False when the dedup key was emitted before (nothing new was stored).
    pub stored: bool,
}

/// Emits platform events. Cheap to clone.
#[derive(Clone)]
pub struct Emitter {
    writer: Batcher<(PlatformEvent, WebhookEventId), Emitted>,
}

impl Emitter {
    /// An emitter over `store` that wakes `dispatcher` after each commit.
    pub fn new(store: Arc<dyn Store>, dispatcher: Arc<Notify>) -> Self {
        let writer = Batcher::spawn(4096, 512, move |items: Vec<(PlatformEvent, WebhookEventId)>| {
            let store = Arc::clone(&store);
            let dispatcher = Arc::clone(&dispatcher);
            async move {
                let outcome = write(&*store, &items).await;
                dispatcher.notify_one();
                outcome
            }
        });
        Self { writer }
    }

    /// Stores the event and its deliveries; returns once they are durable.
    pub async fn emit(&self, event: PlatformEvent) -> Result<Emitted, RuntimeError> {
        if !valid_type(&event.event_type) {
            return Err(RuntimeError::Misconfigured(format!("`{}` is not an event type name", event.event_type)));
        }
        Ok(self.writer.submit((event, WebhookEventId::new())).await?)
    }
}

fn valid_type(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 2
        && parts.iter().all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
}

/// One transaction per network in the batch.
async fn write(store: &dyn Store, items: &[(PlatformEvent, WebhookEventId)]) -> Result<Vec<Emitted>, StoreError> {
    let mut by_network: HashMap<&NetworkId, Vec<NewWebhookEvent>> = HashMap::new();
    for (event, id) in items {
        by_network.entry(&event.network_id).or_default().push(NewWebhookEvent {
            id: id.clone(),
            event_type: event.event_type.clone(),
            dedup_key: event.dedup_key.clone(),
            franchisee_id: event.franchisee_id.clone(),
            location_id: event.location_id.clone(),
            data: event.data.to_string(),
            occurred_at: event.occurred_at,
        });
    }
    let mut stored = std::collections::HashSet::new();
    for (network, events) in by_network {
        let outcome = store
            .emit_webhook_events(EmitBatch { network_id: network.clone(), events, cursor: None, marks: vec![] })
            .await?;
        stored.extend(outcome.stored);
    }
    Ok(items.iter().map(|(_, id)| Emitted { stored: stored.contains(id) }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_type_names_are_dotted_lowercase() {
        assert!(valid_type("royalty.statement.issued"));
        assert!(valid_type("sale.created"));
        assert!(!valid_type("sale"));
        assert!(!valid_type("Sale.Created"));
        assert!(!valid_type("sale..created"));
    }
}
