//! Row shapes of the webhook tables and their conversion into [`crate::webhooks`] types. A row
//! that does not parse back is [`StoreError::Corrupt`], never a panic.

use chrono::{DateTime, Utc};
use hub_core::access::Role;
use hub_core::id::{
    ConnectionId, DeliveryAttemptId, DeliveryId, FranchiseeId, InboundEventId, LocationId, NetworkId, TerritoryId,
    WebhookEndpointId, WebhookEventId, WebhookSourceId,
};

use crate::StoreError;
use crate::webhooks::{
    ClaimedDelivery, Delivery, DeliveryAttempt, EndpointScope, InboundEvent, SealedSecret, WebhookEndpoint,
    WebhookEvent, WebhookSource,
};

fn corrupt(column: &str, text: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{column} `{text}`: {why}"))
}

/// Parses a stored id with the type's own parser.
pub(crate) fn id<T>(
    column: &str,
    text: &str,
    parse: impl Fn(&str) -> Result<T, hub_core::ValidationError>,
) -> Result<T, StoreError> {
    parse(text).map_err(|error| corrupt(column, text, error))
}

fn opt_id<T>(
    column: &str,
    text: Option<&str>,
    parse: impl Fn(&str) -> Result<T, hub_core::ValidationError>,
) -> Result<Option<T>, StoreError> {
    text.map(|text| id(column, text, &parse)).transpose()
}

fn secrets(column: &str, text: &str) -> Result<Vec<SealedSecret>, StoreError> {
    serde_json::from_str(text).map_err(|error| corrupt(column, "…", error))
}

fn strings(column: &str, text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|error| corrupt(column, text, error))
}

fn small(column: &str, value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|error| corrupt(column, &value.to_string(), error))
}

fn status_code(value: Option<i64>) -> Option<u16> {
    value.and_then(|code| u16::try_from(code).ok())
}

/// The columns of `webhook_sources`, in [`SourceRow`] order.
macro_rules! source_columns {
    () => {
        "network_id, id, provider, connection_id, franchisee_id, location_id, notification_url, secrets, \
         created_at, updated_at"
    };
}

#[derive(sqlx::FromRow)]
pub(crate) struct SourceRow {
    network_id: String,
    id: String,
    provider: String,
    connection_id: Option<String>,
    franchisee_id: Option<String>,
    location_id: Option<String>,
    notification_url: Option<String>,
    secrets: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<SourceRow> for WebhookSource {
    type Error = StoreError;
    fn try_from(row: SourceRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: id("webhook_sources.id", &row.id, WebhookSourceId::parse)?,
            network_id: id("webhook_sources.network_id", &row.network_id, NetworkId::parse)?,
            provider: row.provider,
            connection_id: opt_id("webhook_sources.connection_id", row.connection_id.as_deref(), ConnectionId::parse)?,
            franchisee_id: opt_id("webhook_sources.franchisee_id", row.franchisee_id.as_deref(), FranchiseeId::parse)?,
            location_id: opt_id("webhook_sources.location_id", row.location_id.as_deref(), LocationId::parse)?,
            notification_url: row.notification_url,
            secrets: secrets("webhook_sources.secrets", &row.secrets)?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The columns of `inbound_events` the API reads (the body only where asked for).
macro_rules! inbound_columns {
    () => {
        "network_id, id, source_id, provider, connection_id, dedup_key, event_ids, status, attempts, error, \
         received_at, processed_at, body IS NOT NULL AS payload_kept"
    };
}

#[derive(sqlx::FromRow)]
pub(crate) struct InboundRow {
    network_id: String,
    id: String,
    source_id: String,
    provider: String,
    connection_id: Option<String>,
    dedup_key: String,
    event_ids: String,
    status: String,
    attempts: i64,
    error: Option<String>,
    received_at: DateTime<Utc>,
    processed_at: Option<DateTime<Utc>>,
    payload_kept: bool,
    #[sqlx(default)]
    body: Option<Vec<u8>>,
}

impl TryFrom<InboundRow> for InboundEvent {
    type Error = StoreError;
    fn try_from(row: InboundRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: id("inbound_events.id", &row.id, InboundEventId::parse)?,
            network_id: id("inbound_events.network_id", &row.network_id, NetworkId::parse)?,
            source_id: id("inbound_events.source_id", &row.source_id, WebhookSourceId::parse)?,
            provider: row.provider,
            connection_id: opt_id("inbound_events.connection_id", row.connection_id.as_deref(), ConnectionId::parse)?,
            dedup_key: row.dedup_key,
            event_ids: strings("inbound_events.event_ids", &row.event_ids)?,
            status: row.status,
            attempts: small("inbound_events.attempts", row.attempts)?,
            error: row.error,
            received_at: row.received_at,
            processed_at: row.processed_at,
            payload_kept: row.payload_kept,
            body: row.body,
        })
    }
}

/// The columns of `webhook_endpoints`, in [`EndpointRow`] order.
macro_rules! endpoint_columns {
    () => {
        "network_id, id, url, description, event_types, franchisee_id, location_id, territory_id, role, \
         rate_limit_per_second, ordered, secrets, status, disabled_reason, failing_since, created_at, updated_at"
    };
}

#[derive(sqlx::FromRow)]
pub(crate) struct EndpointRow {
    network_id: String,
    id: String,
    url: String,
    description: Option<String>,
    event_types: String,
    franchisee_id: Option<String>,
    location_id: Option<String>,
    territory_id: Option<String>,
    role: String,
    rate_limit_per_second: Option<i64>,
    ordered: bool,
    secrets: String,
    status: String,
    disabled_reason: Option<String>,
    failing_since: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// The stored columns (franchisee, location, territory) of a scope.
pub(crate) fn scope_columns(scope: &EndpointScope) -> (Option<String>, Option<String>, Option<String>) {
    match scope {
        EndpointScope::Network => (None, None, None),
        EndpointScope::Franchisee(franchisee) => (Some(franchisee.to_string()), None, None),
        EndpointScope::Location { franchisee_id, location_id } => {
            (Some(franchisee_id.to_string()), Some(location_id.to_string()), None)
        }
        EndpointScope::Territory(territory) => (None, None, Some(territory.to_string())),
    }
}

pub(crate) fn scope_from_columns(
    franchisee_id: Option<&str>,
    location_id: Option<&str>,
    territory_id: Option<&str>,
) -> Result<EndpointScope, StoreError> {
    Ok(match (franchisee_id, location_id, territory_id) {
        (_, _, Some(territory)) => {
            EndpointScope::Territory(id("webhook_endpoints.territory_id", territory, TerritoryId::parse)?)
        }
        (Some(franchisee), Some(location), None) => EndpointScope::Location {
            franchisee_id: id("webhook_endpoints.franchisee_id", franchisee, FranchiseeId::parse)?,
            location_id: id("webhook_endpoints.location_id", location, LocationId::parse)?,
        },
        (Some(franchisee), None, None) => {
            EndpointScope::Franchisee(id("webhook_endpoints.franchisee_id", franchisee, FranchiseeId::parse)?)
        }
        (None, None, None) => EndpointScope::Network,
        (None, Some(location), None) => {
            return Err(corrupt("webhook_endpoints.location_id", location, "no franchisee"));
        }
    })
}

impl TryFrom<EndpointRow> for WebhookEndpoint {
    type Error = StoreError;
    fn try_from(row: EndpointRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: id("webhook_endpoints.id", &row.id, WebhookEndpointId::parse)?,
            network_id: id("webhook_endpoints.network_id", &row.network_id, NetworkId::parse)?,
            url: row.url,
            description: row.description,
            event_types: strings("webhook_endpoints.event_types", &row.event_types)?,
            scope: scope_from_columns(
                row.franchisee_id.as_deref(),
                row.location_id.as_deref(),
                row.territory_id.as_deref(),
            )?,
            role: Role::parse(&row.role).ok_or_else(|| corrupt("webhook_endpoints.role", &row.role, "unknown role"))?,
            rate_limit_per_second: row
                .rate_limit_per_second
                .map(|limit| small("webhook_endpoints.rate_limit_per_second", limit))
                .transpose()?,
            ordered: row.ordered,
            secrets: secrets("webhook_endpoints.secrets", &row.secrets)?,
            status: row.status,
            disabled_reason: row.disabled_reason,
            failing_since: row.failing_since,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The columns of `webhook_events`, in [`EventRow`] order.
macro_rules! event_columns {
    () => {
        "network_id, id, event_type, franchisee_id, location_id, data, occurred_at, created_at"
    };
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    pub network_id: String,
    pub id: String,
    pub event_type: String,
    pub franchisee_id: Option<String>,
    pub location_id: Option<String>,
    pub data: String,
    pub occurred_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<EventRow> for WebhookEvent {
    type Error = StoreError;
    fn try_from(row: EventRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: id("webhook_events.id", &row.id, WebhookEventId::parse)?,
            event_type: row.event_type,
            network_id: id("webhook_events.network_id", &row.network_id, NetworkId::parse)?,
            franchisee_id: opt_id("webhook_events.franchisee_id", row.franchisee_id.as_deref(), FranchiseeId::parse)?,
            location_id: opt_id("webhook_events.location_id", row.location_id.as_deref(), LocationId::parse)?,
            data: serde_json::from_str(&row.data).map_err(|error| corrupt("webhook_events.data", "…", error))?,
            occurred_at: row.occurred_at,
            created_at: row.created_at,
        })
    }
}

/// What a claim returns of each delivery.
#[derive(sqlx::FromRow)]
pub(crate) struct ClaimRow {
    pub network_id: String,
    pub id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: String,
    pub attempts: i64,
}

impl ClaimRow {
    pub(crate) fn into_claimed(self, event: &EventRow) -> Result<ClaimedDelivery, StoreError> {
        Ok(ClaimedDelivery {
            id: id("webhook_deliveries.id", &self.id, DeliveryId::parse)?,
            network_id: id("webhook_deliveries.network_id", &self.network_id, NetworkId::parse)?,
            endpoint_id: id("webhook_deliveries.endpoint_id", &self.endpoint_id, WebhookEndpointId::parse)?,
            event_id: id("webhook_deliveries.event_id", &self.event_id, WebhookEventId::parse)?,
            event_type: self.event_type,
            attempt: small("webhook_deliveries.attempts", self.attempts)?,
            event_data: event.data.clone(),
            event_franchisee_id: event.franchisee_id.clone(),
            event_location_id: event.location_id.clone(),
            occurred_at: event.occurred_at,
            created_at: event.created_at,
        })
    }
}

/// The columns of `webhook_attempts`, in [`AttemptRow`] order.
macro_rules! attempt_columns {
    () => {
        "id, delivery_id, endpoint_id, event_id, event_type, attempt, status_code, latency_ms, response, error, \
         outcome, at"
    };
}

#[derive(sqlx::FromRow)]
pub(crate) struct AttemptRow {
    id: String,
    delivery_id: String,
    endpoint_id: String,
    event_id: String,
    event_type: String,
    attempt: i64,
    status_code: Option<i64>,
    latency_ms: i64,
    response: Option<String>,
    error: Option<String>,
    outcome: String,
    at: DateTime<Utc>,
}

impl TryFrom<AttemptRow> for DeliveryAttempt {
    type Error = StoreError;
    fn try_from(row: AttemptRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: id("webhook_attempts.id", &row.id, DeliveryAttemptId::parse)?,
            delivery_id: id("webhook_attempts.delivery_id", &row.delivery_id, DeliveryId::parse)?,
            endpoint_id: id("webhook_attempts.endpoint_id", &row.endpoint_id, WebhookEndpointId::parse)?,
            event_id: id("webhook_attempts.event_id", &row.event_id, WebhookEventId::parse)?,
            event_type: row.event_type,
            attempt: small("webhook_attempts.attempt", row.attempt)?,
            status_code: status_code(row.status_code),
            latency_ms: small("webhook_attempts.latency_ms", row.latency_ms)?,
            response: row.response,
            error: row.error,
            outcome: row.outcome,
            at: row.at,
        })
    }
}

/// The columns of `webhook_deliveries` operators read, in [`DeliveryRow`] order.
macro_rules! delivery_columns {
    () => {
        "id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, last_status_code, last_error, \
         created_at, delivered_at"
    };
}

#[derive(sqlx::FromRow)]
pub(crate) struct DeliveryRow {
    id: String,
    endpoint_id: String,
    event_id: String,
    event_type: String,
    status: String,
    attempts: i64,
    next_attempt_at: DateTime<Utc>,
    last_status_code: Option<i64>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = StoreError;
    fn try_from(row: DeliveryRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: id("webhook_deliveries.id", &row.id, DeliveryId::parse)?,
            endpoint_id: id("webhook_deliveries.endpoint_id", &row.endpoint_id, WebhookEndpointId::parse)?,
            event_id: id("webhook_deliveries.event_id", &row.event_id, WebhookEventId::parse)?,
            event_type: row.event_type,
            status: row.status,
            attempts: small("webhook_deliveries.attempts", row.attempts)?,
            next_attempt_at: row.next_attempt_at,
            last_status_code: status_code(row.last_status_code),
            last_error: row.last_error,
            created_at: row.created_at,
            delivered_at: row.delivered_at,
        })
    }
}

pub(crate) use {attempt_columns, delivery_columns, endpoint_columns, event_columns, inbound_columns, source_columns};
