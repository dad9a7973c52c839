//! Outbound events and their deliveries: the catalog (`/v1/event-types`), the events emitted in
//! the caller's scope, replay of one event, and the attempts log (`/v1/deliveries`).

use axum::extract::State;
use axum::http::StatusCode;
use hub_core::access::Permission;
use hub_core::id::{WebhookEndpointId, WebhookEventId};
use hub_core::page::PageRequest;
use hub_store::{AttemptFilter, DeliveryAttempt, WebhookEvent};
use hub_webhooks::outbound::{EVENT_TYPES, EventType};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::webhooks_endpoints::Requeued;
use super::{ListQuery, ListResponse};
use crate::AppState;
use crate::extract::{Auth, Path, Query, RequestId};
use crate::problem::{ApiError, Problem};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_event_types))
        .routes(routes!(list_events))
        .routes(routes!(get_event))
        .routes(routes!(replay_event))
        .routes(routes!(list_deliveries))
}

/// Every event type.
#[derive(Serialize, ToSchema)]
struct EventTypes {
    data: Vec<EventType>,
}

/// The event types endpoints can subscribe to.
#[utoipa::path(get, path = "/v1/event-types", tag = "webhooks",
    responses((status = 200, body = EventTypes), (status = "4XX", body = Problem)))]
async fn list_event_types(auth: Auth) -> Result<axum::Json<EventTypes>, ApiError> {
    auth.require(Permission::ReadTenancy)?;
    Ok(axum::Json(EventTypes { data: EVENT_TYPES.to_vec() }))
}

/// Events in the caller's scope, newest first.
#[utoipa::path(get, path = "/v1/events", tag = "webhooks", params(ListQuery),
    responses((status = 200, body = ListResponse<WebhookEvent>), (status = "4XX", body = Problem)))]
async fn list_events(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<ListResponse<WebhookEvent>>, ApiError> {
    let principal = auth.require(Permission::ManageWebhooks)?;
    let mut page = state.store.list_webhook_events(&principal.scope, &query.page()?).await?;
    if !principal.may(Permission::ReadCustomerPii) {
        page.items.iter_mut().for_each(|event| hub_webhooks::outbound::event_types::without_pii(&mut event.data));
    }
    Ok(axum::Json(page.into()))
}

/// One event.
#[utoipa::path(get, path = "/v1/events/{id}", tag = "webhooks", params(("id" = WebhookEventId, Path)),
    responses((status = 200, body = WebhookEvent), (status = "4XX", body = Problem)))]
async fn get_event(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<WebhookEventId>,
) -> Result<axum::Json<WebhookEvent>, ApiError> {
    let principal = auth.require(Permission::ManageWebhooks)?;
    let mut event = state.store.get_webhook_event(&principal.scope, &id).await?;
    if !principal.may(Permission::ReadCustomerPii) {
        hub_webhooks::outbound::event_types::without_pii(&mut event.data);
    }
    Ok(axum::Json(event))
}

/// Sends the event again to every endpoint (in the caller's scope) it was delivered to, with a
/// fresh retry schedule; the `webhook-id` stays the event's id.
#[utoipa::path(post, path = "/v1/events/{id}/replay", tag = "webhooks", params(("id" = WebhookEventId, Path)),
    responses((status = 202, body = Requeued), (status = "4XX", body = Problem)))]
async fn replay_event(
    State(state): State<AppState>,
    auth: Auth,
    RequestId(request_id): RequestId,
    Path(id): Path<WebhookEventId>,
) -> Result<(StatusCode, axum::Json<Requeued>), ApiError> {
    let principal = auth.require(Permission::ManageWebhooks)?;
    let requeued = crate::actions::replay_event(&state, principal, &id, request_id).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(Requeued { requeued })))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DeliveriesQuery {
    /// Only attempts to this endpoint.
    endpoint_id: Option<WebhookEndpointId>,
    /// Only attempts of this event.
    event_id: Option<WebhookEventId>,
    /// Items per page, 1 to 500 (default 50).
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The attempts log, newest first: status, latency and the first 1 KiB of each answer.
#[utoipa::path(get, path = "/v1/deliveries", tag = "webhooks", params(DeliveriesQuery),
    responses((status = 200, body = ListResponse<DeliveryAttempt>), (status = "4XX", body = Problem)))]
async fn list_deliveries(
    State(state): State<AppState>,
    auth: Auth,
    Query(query): Query<DeliveriesQuery>,
) -> Result<axum::Json<ListResponse<DeliveryAttempt>>, ApiError> {
    let principal = auth.require(Permission::ManageWebhooks)?;
    let page = PageRequest::from_query(query.limit, query.cursor.as_deref())?;
    if let Some(endpoint) = &query.endpoint_id {
        // An endpoint outside the caller's scope is not found rather than silently empty.
        state.store.get_webhook_endpoint(&principal.scope, endpoint).await?;
    }
    let filter = AttemptFilter { endpoint_id: query.endpoint_id, event_id: query.event_id };
    Ok(axum::Json(state.store.list_delivery_attempts(&principal.scope, &filter, &page).await?.into()))
}
