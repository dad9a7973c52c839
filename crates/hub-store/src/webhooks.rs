//! Storage of webhooks in both directions.
//!
//! Inbound: the sources providers deliver to (found by the hash of their URL token; secrets sealed
//! by the caller), and the verified deliveries themselves, written many at a time by the inbound
//! group-commit writer ([`WebhookStore::insert_inbound_events`]: one transaction, one fsync for a
//! whole batch) and then processed from the table as from a queue (claim with a lease, finish).
//!
//! Outbound: subscribers' endpoints, the events the hub emits, one delivery per (event, matching
//! endpoint) made in the transaction that stores the event (so fan-out happens exactly once), the
//! delivery attempts log, and the producer's cursor over the change feed, advanced in that same
//! transaction.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hub_core::access::{Role, TenantScope};
use hub_core::id::{
    ConnectionId, DeliveryAttemptId, DeliveryId, FranchiseeId, InboundEventId, LocationId, NetworkId, TerritoryId,
    WebhookEndpointId, WebhookEventId, WebhookSourceId,
};
use hub_core::page::{Page, PageRequest};
use hub_core::records::Change;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{ChangeContext, StoreResult};

/// What a sealed secret is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretPurpose {
    /// Verifies (inbound) or signs (outbound) deliveries.
    Signing,
    /// Meta's subscription handshake token (inbound only).
    VerifyToken,
}

/// One secret, sealed by the vault; several during a rotation, each valid until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedSecret {
    pub purpose: SecretPurpose,
    /// The vault's ciphertext (never the secret).
    pub sealed: String,
    pub added_at: DateTime<Utc>,
    /// When a rotation retires it; `None` while it is the current one.
    pub expires_at: Option<DateTime<Utc>>,
}

impl SealedSecret {
    /// Whether it still verifies or signs at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

/// A source to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhookSource {
    pub id: WebhookSourceId,
    pub provider: String,
    /// SHA-256 (hex) of the URL token: the token itself is shown once and never stored.
    pub token_hash: String,
    pub connection_id: Option<ConnectionId>,
    /// The hierarchy node the source belongs to (from its connection, or the caller's scope).
    pub franchisee_id: Option<FranchiseeId>,
    pub location_id: Option<LocationId>,
    pub notification_url: Option<String>,
    pub secrets: Vec<SealedSecret>,
}

/// Where one provider sends the hub its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSource {
    pub id: WebhookSourceId,
    pub network_id: NetworkId,
    pub provider: String,
    pub connection_id: Option<ConnectionId>,
    pub franchisee_id: Option<FranchiseeId>,
    pub location_id: Option<LocationId>,
    pub notification_url: Option<String>,
    pub secrets: Vec<SealedSecret>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One verified delivery to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInboundEvent {
    pub id: InboundEventId,
    pub network_id: NetworkId,
    pub source_id: WebhookSourceId,
    pub provider: String,
    pub connection_id: Option<ConnectionId>,
    /// The provider's event id (or ids, or a hash of the body when it sends none): a second
    /// delivery with the same key for the same source is a repeat.
    pub dedup_key: String,
    pub event_ids: Vec<String>,
    /// The headers worth keeping (JSON object), for processing and debugging.
    pub headers: String,
    pub body: Vec<u8>,
    pub received_at: DateTime<Utc>,
}

/// What storing one delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundOutcome {
    /// Stored now.
    Stored,
    /// The same source already delivered this event: nothing new was stored.
    Duplicate,
}

/// A stored inbound delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct InboundEvent {
    pub id: InboundEventId,
    pub network_id: NetworkId,
    pub source_id: WebhookSourceId,
    pub provider: String,
    pub connection_id: Option<ConnectionId>,
    pub dedup_key: String,
    pub event_ids: Vec<String>,
    /// `received`, `processed` or `failed`.
    pub status: String,
    pub attempts: u32,
    pub error: Option<String>,
    pub received_at: DateTime<Utc>,
    pub processed_at: Option<DateTime<Utc>>,
    /// Whether the raw payload is still kept (it is purged after the retention period).
    pub payload_kept: bool,
    #[serde(skip)]
    pub body: Option<Vec<u8>>,
}

/// How processing one inbound delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundResult {
    pub network_id: NetworkId,
    pub id: InboundEventId,
    /// `None`: processed. `Some(reason)`: failed; retried until `give_up`.
    pub error: Option<String>,
    /// With an error: stop retrying (status `failed`).
    pub give_up: bool,
}

/// A subscriber's endpoint to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhookEndpoint {
    pub id: WebhookEndpointId,
    pub url: String,
    pub description: Option<String>,
    /// Event types it receives; empty means every type.
    pub event_types: Vec<String>,
    pub scope: EndpointScope,
    /// The subscriber's role: payloads are stripped of customer PII when it may not see PII.
    pub role: Role,
    /// At most this many deliveries per second (`None`: unlimited).
    pub rate_limit_per_second: Option<u32>,
    /// Deliver in order, one at a time (a failing message holds back the ones after it).
    pub ordered: bool,
    pub secrets: Vec<SealedSecret>,
}

/// Which part of the hierarchy an endpoint hears about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EndpointScope {
    /// Every event in the network.
    Network,
    /// Events of one franchisee's shops (and the franchisee's own).
    Franchisee(FranchiseeId),
    /// Events of one shop (whose owner is kept so the owner's keys see the endpoint).
    Location { franchisee_id: FranchiseeId, location_id: LocationId },
    /// Events of shops in a territory or any territory inside it.
    Territory(TerritoryId),
}

/// A subscriber's endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: WebhookEndpointId,
    pub network_id: NetworkId,
    pub url: String,
    pub description: Option<String>,
    pub event_types: Vec<String>,
    pub scope: EndpointScope,
    pub role: Role,
    pub rate_limit_per_second: Option<u32>,
    pub ordered: bool,
    pub secrets: Vec<SealedSecret>,
    /// `enabled` or `disabled`.
    pub status: String,
    pub disabled_reason: Option<String>,
    /// When deliveries started failing without a success since (auto-disable after 5 days).
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WebhookEndpoint {
    pub fn is_enabled(&self) -> bool {
        self.status == "enabled"
    }
}

/// An event to emit: stored once per `dedup_key` and fanned out to every matching endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhookEvent {
    pub id: WebhookEventId,
    pub event_type: String,
    /// Emitting the same key twice stores one event (`change:<seq>`, `sync.failed:<run id>`, …).
    pub dedup_key: String,
    /// Where in the hierarchy the event happened (routes it to scoped endpoints).
    pub franchisee_id: Option<FranchiseeId>,
    pub location_id: Option<LocationId>,
    /// The event's `data` object (JSON text).
    pub data: String,
    pub occurred_at: DateTime<Utc>,
}

/// A batch of events to emit in one transaction, with the producer's cursor move when the
/// events come from the change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmitBatch {
    pub network_id: NetworkId,
    pub events: Vec<NewWebhookEvent>,
    /// `(from, to)`: the change-feed cursor moves from `from` to `to` in the same transaction,
    /// or nothing is written when another producer moved it first.
    pub cursor: Option<(i64, i64)>,
    /// Per-record marks the producer compares against next time (a sale's refunded total).
    pub marks: Vec<(String, String)>,
}

/// What [`WebhookStore::emit_webhook_events`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmitOutcome {
    /// False when the cursor had moved: nothing was written.
    pub written: bool,
    /// The events stored now (repeats of a dedup key are left out).
    pub stored: Vec<WebhookEventId>,
    /// Deliveries created.
    pub deliveries: u64,
}

/// An outbound event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WebhookEvent {
    pub id: WebhookEventId,
    #[serde(rename = "type")]
    pub event_type: String,
    pub network_id: NetworkId,
    pub franchisee_id: Option<FranchiseeId>,
    pub location_id: Option<LocationId>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// A change of the feed with the record as it is now (`None` once the record is gone).
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeWithRecord {
    pub change: Change,
    pub data: Option<serde_json::Value>,
}

/// A delivery claimed for an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedDelivery {
    pub id: DeliveryId,
    pub network_id: NetworkId,
    pub endpoint_id: WebhookEndpointId,
    pub event_id: WebhookEventId,
    pub event_type: String,
    /// This attempt's number since the delivery was (re)queued, from 1.
    pub attempt: u32,
    pub event_data: String,
    pub event_franchisee_id: Option<String>,
    pub event_location_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// What became of one claimed delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryState {
    /// The endpoint answered 2xx.
    Succeeded,
    /// Failed; try again at the instant.
    Retry(DateTime<Utc>),
    /// Failed for the last time: dead-lettered.
    Dead,
    /// Not attempted (rate limit, open breaker, disabled endpoint): release it until the instant,
    /// without counting an attempt.
    Postponed(DateTime<Utc>),
}

/// One attempt's result, as the attempts log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    pub status_code: Option<u16>,
    pub latency_ms: u32,
    /// The first 1 KiB of the response body (lossy UTF-8).
    pub response: Option<String>,
    pub error: Option<String>,
    pub at: DateTime<Utc>,
}

/// One result to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryResult {
    pub delivery: ClaimedDelivery,
    pub state: DeliveryState,
    /// `None` exactly when the state is `Postponed`.
    pub attempt: Option<AttemptRecord>,
}

/// One line of the attempts log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DeliveryAttempt {
    pub id: DeliveryAttemptId,
    pub delivery_id: DeliveryId,
    pub endpoint_id: WebhookEndpointId,
    pub event_id: WebhookEventId,
    pub event_type: String,
    /// The attempt's number since the delivery was (re)queued.
    pub attempt: u32,
    /// The endpoint's HTTP status; none when no answer came (timeout, refused connection).
    pub status_code: Option<u16>,
    pub latency_ms: u32,
    /// The first 1 KiB of the endpoint's answer.
    pub response: Option<String>,
    pub error: Option<String>,
    /// The delivery's state after this attempt: `pending` (will retry), `succeeded` or `dead`.
    pub outcome: String,
    pub at: DateTime<Utc>,
}

/// Which attempts to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttemptFilter {
    pub endpoint_id: Option<WebhookEndpointId>,
    pub event_id: Option<WebhookEventId>,
}

/// A delivery as operators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Delivery {
    pub id: DeliveryId,
    pub endpoint_id: WebhookEndpointId,
    pub event_id: WebhookEventId,
    pub event_type: String,
    /// `pending`, `succeeded` or `dead`.
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status_code: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// An endpoint that failed for too long and was disabled by [`WebhookStore::record_deliveries`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisabledEndpoint {
    pub network_id: NetworkId,
    pub endpoint_id: WebhookEndpointId,
    pub scope: EndpointScope,
    pub url: String,
    pub failing_since: DateTime<Utc>,
}

/// A failed sync run or an expired connection, found by the platform-event scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformOccurrence {
    pub network_id: NetworkId,
    /// `sync.failed` or `connection.expired`.
    pub event_type: &'static str,
    /// Stable across scans: the dedup key of the event.
    pub key: String,
    pub connection_id: ConnectionId,
    pub provider: Option<String>,
    pub franchisee_id: Option<FranchiseeId>,
    pub location_id: Option<LocationId>,
    /// The sync run, for `sync.failed`.
    pub sync_run_id: Option<String>,
    pub detail: String,
    pub at: DateTime<Utc>,
}

/// Storage for webhooks in both directions.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Registers a source (audited).
    async fn create_webhook_source(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        new: NewWebhookSource,
    ) -> StoreResult<WebhookSource>;
    async fn get_webhook_source(&self, scope: &TenantScope, id: &WebhookSourceId) -> StoreResult<WebhookSource>;
    async fn list_webhook_sources(&self, scope: &TenantScope, page: &PageRequest) -> StoreResult<Page<WebhookSource>>;
    /// Replaces a source's sealed secrets (rotation; audited, never with the secrets).
    async fn set_webhook_source_secrets(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        id: &WebhookSourceId,
        secrets: Vec<SealedSecret>,
    ) -> StoreResult<WebhookSource>;
    /// Deletes a source: its URL stops answering (audited). Its stored deliveries stay.
    async fn delete_webhook_source(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        id: &WebhookSourceId,
    ) -> StoreResult<()>;
    /// The source whose URL token hashes to `token_hash`: authentication, so unscoped.
    async fn find_webhook_source_by_token(&self, token_hash: &str) -> StoreResult<Option<WebhookSource>>;
    /// Audits a refused delivery (the caller rate-limits): who it claimed to be and why it failed.
    async fn audit_webhook_refusal(&self, source: &WebhookSource, reason: &str, refused: u64) -> StoreResult<()>;

    /// Stores a batch of verified deliveries in one transaction (group commit); answers, in
    /// order, whether each was stored or a repeat.
    async fn insert_inbound_events(&self, events: &[NewInboundEvent]) -> StoreResult<Vec<InboundOutcome>>;
    /// Claims up to `limit` received deliveries to process, leased until `lease_until`.
    async fn claim_inbound_events(&self, limit: u32, lease_until: DateTime<Utc>) -> StoreResult<Vec<InboundEvent>>;
    /// Records how processing went; deliveries to retry are claimable again from `retry_at`.
    async fn finish_inbound_events(&self, results: &[InboundResult], retry_at: DateTime<Utc>) -> StoreResult<()>;
    /// Drops the raw payloads of deliveries received before `before` (the retention period);
    /// returns how many were purged.
    async fn purge_inbound_payloads(&self, before: DateTime<Utc>) -> StoreResult<u64>;
    /// Stored deliveries of a source in scope, newest first.
    async fn list_inbound_events(
        &self,
        scope: &TenantScope,
        source_id: &WebhookSourceId,
        page: &PageRequest,
    ) -> StoreResult<Page<InboundEvent>>;
    /// How many deliveries a source has stored, and the dedup keys of those whose key is in
    /// `keys` (for checks after a crash).
    async fn inbound_keys_present(&self, source_id: &WebhookSourceId, keys: &[String]) -> StoreResult<Vec<String>>;

    /// Registers an endpoint (audited).
    async fn create_webhook_endpoint(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        new: NewWebhookEndpoint,
    ) -> StoreResult<WebhookEndpoint>;
    async fn get_webhook_endpoint(&self, scope: &TenantScope, id: &WebhookEndpointId) -> StoreResult<WebhookEndpoint>;
    async fn list_webhook_endpoints(
        &self,
        scope: &TenantScope,
        page: &PageRequest,
    ) -> StoreResult<Page<WebhookEndpoint>>;
    /// Endpoints by id across networks, for the dispatcher (unscoped: it serves every network).
    async fn endpoints_by_id(&self, ids: &[(NetworkId, WebhookEndpointId)]) -> StoreResult<Vec<WebhookEndpoint>>;
    /// Replaces an endpoint's signing secrets (rotation; audited).
    async fn set_webhook_endpoint_secrets(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        id: &WebhookEndpointId,
        secrets: Vec<SealedSecret>,
    ) -> StoreResult<WebhookEndpoint>;
    /// Deletes an endpoint and its pending deliveries (audited).
    async fn delete_webhook_endpoint(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        id: &WebhookEndpointId,
    ) -> StoreResult<()>;

    /// Stores events (once per dedup key) and their deliveries to every matching enabled
    /// endpoint, with the cursor move and marks, in one transaction.
    async fn emit_webhook_events(&self, batch: EmitBatch) -> StoreResult<EmitOutcome>;
    /// The change-feed position the producer has fanned out up to (0 before the first event).
    async fn webhook_change_cursor(&self, network_id: &NetworkId) -> StoreResult<i64>;
    /// Networks whose change feed is ahead of the producer's cursor.
    async fn networks_with_new_changes(&self) -> StoreResult<Vec<NetworkId>>;
    /// Up to `limit` changes after `after_seq`, each with its record's current data.
    async fn changes_with_records(
        &self,
        network_id: &NetworkId,
        after_seq: i64,
        limit: u32,
    ) -> StoreResult<Vec<ChangeWithRecord>>;
    /// The producer's marks for these records.
    async fn webhook_marks(
        &self,
        network_id: &NetworkId,
        record_ids: &[String],
    ) -> StoreResult<HashMap<String, String>>;
    /// Failed sync runs and connections that need reauthorization since `since`, oldest first.
    async fn platform_occurrences_since(
        &self,
        since: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<PlatformOccurrence>>;
    /// The platform scan's saved position (`None` before the first scan).
    async fn platform_scan_position(&self) -> StoreResult<Option<DateTime<Utc>>>;
    async fn save_platform_scan_position(&self, at: DateTime<Utc>) -> StoreResult<()>;

    /// Claims up to `limit` deliveries due at `now` (for ordered endpoints only the oldest
    /// pending one), leased until `lease_until`.
    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedDelivery>>;
    /// When the next pending delivery comes due (for the dispatcher's sleep).
    async fn next_delivery_due(&self) -> StoreResult<Option<DateTime<Utc>>>;
    /// Records attempts and their outcomes in one transaction; endpoints failing since before
    /// `disable_failing_before` are disabled (their pending deliveries dead-lettered) and returned.
    async fn record_deliveries(
        &self,
        results: &[DeliveryResult],
        disable_failing_before: DateTime<Utc>,
    ) -> StoreResult<Vec<DisabledEndpoint>>;
    /// Queues every delivery of an event in scope again, from a fresh retry schedule (audited).
    async fn replay_webhook_event(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        id: &WebhookEventId,
    ) -> StoreResult<u64>;
    /// Re-enables an endpoint and queues again its dead deliveries created since `since` (audited).
    async fn recover_webhook_endpoint(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        id: &WebhookEndpointId,
        since: DateTime<Utc>,
    ) -> StoreResult<u64>;
    /// One event in scope.
    async fn get_webhook_event(&self, scope: &TenantScope, id: &WebhookEventId) -> StoreResult<WebhookEvent>;
    /// Events in scope, newest first.
    async fn list_webhook_events(&self, scope: &TenantScope, page: &PageRequest) -> StoreResult<Page<WebhookEvent>>;
    /// The attempts log in scope, newest first.
    async fn list_delivery_attempts(
        &self,
        scope: &TenantScope,
        filter: &AttemptFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<DeliveryAttempt>>;
    /// Deliveries of an endpoint in scope, newest first.
    async fn list_deliveries(
        &self,
        scope: &TenantScope,
        endpoint_id: &WebhookEndpointId,
        page: &PageRequest,
    ) -> StoreResult<Page<Delivery>>;
}

/// Whether an endpoint with `scope` and `event_types` hears about an event of `event_type` at
/// (`franchisee_id`, `location_id`); `territory_of` gives each location's territory and
/// `parent_of` each territory's parent (for territory scopes, nested territories included).
pub fn endpoint_matches(
    scope: &EndpointScope,
    event_types: &[String],
    event_type: &str,
    franchisee_id: Option<&str>,
    location_id: Option<&str>,
    territory_of: &HashMap<String, String>,
    parent_of: &HashMap<String, String>,
) -> bool {
    if !event_types.is_empty() && !event_types.iter().any(|wanted| wanted == event_type) {
        return false;
    }
    match scope {
        EndpointScope::Network => true,
        EndpointScope::Franchisee(id) => franchisee_id == Some(id.as_str()),
        EndpointScope::Location { location_id: id, .. } => location_id == Some(id.as_str()),
        EndpointScope::Territory(id) => {
            let Some(mut current) = location_id.and_then(|location| territory_of.get(location)) else {
                return false;
            };
            // Walk up at most as many steps as there are territories (a cycle cannot loop forever).
            for _ in 0..=parent_of.len() {
                if current == id.as_str() {
                    return true;
                }
                match parent_of.get(current) {
                    Some(parent) => current = parent,
                    None => return false,
                }
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_route_events_down_the_hierarchy() {
        let territory_of = HashMap::from([("loc_a".to_owned(), "ter_child".to_owned())]);
        let parent_of = HashMap::from([("ter_child".to_owned(), "ter_region".to_owned())]);
        let region = EndpointScope::Territory(TerritoryId::new());
        let matches = |scope: &EndpointScope, types: &[String], location: Option<&str>| {
            endpoint_matches(scope, types, "sale.created", Some("fr_1"), location, &territory_of, &parent_of)
        };
        assert!(matches(&EndpointScope::Network, &[], None));
        assert!(!matches(&EndpointScope::Network, &["sale.refunded".to_owned()], None));
        assert!(matches(&EndpointScope::Network, &["sale.created".to_owned()], None));
        // A territory id of the form the map uses.
        let mut region_map = parent_of.clone();
        let EndpointScope::Territory(region_id) = &region else { unreachable!() };
        region_map.insert("ter_region".to_owned(), region_id.to_string());
        assert!(endpoint_matches(&region, &[], "x", None, Some("loc_a"), &territory_of, &region_map));
        assert!(!endpoint_matches(&region, &[], "x", None, Some("loc_b"), &territory_of, &region_map));
        assert!(!endpoint_matches(&region, &[], "x", None, None, &territory_of, &region_map));
        let cycle = HashMap::from([("ter_child".to_owned(), "ter_child".to_owned())]);
        assert!(!endpoint_matches(&region, &[], "x", None, Some("loc_a"), &territory_of, &cycle));
    }
}
