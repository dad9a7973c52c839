//! Every route, registered together with its OpenAPI description so the document cannot miss one.

mod api_keys;
mod audit;
mod connections;
mod exports;
mod franchisees;
mod jobs;
mod kpis;
mod locations;
mod oauth;
mod ops;
mod providers;
mod records;
mod royalties;
mod sync;
mod territories;
mod webhooks_endpoints;
mod webhooks_events;
mod webhooks_inbound;
mod webhooks_sources;

pub(crate) use connections::{app_for, start_for};
use hub_core::access::{Principal, TenantScope};
use hub_core::id::{FranchiseeId, LocationId};
use hub_core::page::{Page, PageRequest};
use hub_store::StoreError;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use crate::problem::ApiError;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Franchise Hub API",
        description = "Connects a franchise network's third-party systems. Authenticate with \
                       `Authorization: Bearer <api key>`. Errors are RFC 9457 problem details."
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(crate::problem::Problem, crate::problem::FieldError))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// All routes and their documentation.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(ops::router())
        .merge(franchisees::router())
        .merge(territories::router())
        .merge(locations::router())
        .merge(api_keys::router())
        .merge(audit::router())
        .merge(connections::router())
        .merge(providers::router())
        .merge(oauth::router())
        .merge(jobs::router())
        .merge(records::router())
        .merge(royalties::router())
        .merge(sync::router())
        .merge(webhooks_inbound::router())
        .merge(webhooks_sources::router())
        .merge(webhooks_endpoints::router())
        .merge(webhooks_events::router())
        .merge(kpis::router())
        .merge(exports::router())
}

/// `limit` and `cursor` for every list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Items per page, 1 to 500 (default 50).
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

impl ListQuery {
    fn page(&self) -> Result<PageRequest, ApiError> {
        Ok(PageRequest::from_query(self.limit, self.cursor.as_deref())?)
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse<T> {
    pub data: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> From<Page<T>> for ListResponse<T> {
    fn from(page: Page<T>) -> Self {
        Self { data: page.items, next_cursor: page.next_cursor }
    }
}

/// The scope a request body names with `franchisee_id` or `location_id` (at most one), checked
/// to exist within the caller's scope (else a 400 on that field, revealing nothing);
/// `otherwise` when the body names neither.
pub(crate) async fn scope_from_body(
    state: &AppState,
    principal: &Principal,
    franchisee_id: Option<FranchiseeId>,
    location_id: Option<LocationId>,
    otherwise: TenantScope,
) -> Result<TenantScope, ApiError> {
    let network_id = principal.scope.network_id.clone();
    let unknown = |field: &'static str, what: &'static str| {
        move |error: StoreError| match error {
            StoreError::NotFound { .. } => StoreError::unknown_reference(field, what),
            other => other,
        }
    };
    match (franchisee_id, location_id) {
        (Some(_), Some(_)) => Err(ApiError::field("location_id", "give franchisee_id or location_id, not both")),
        (Some(franchisee_id), None) => {
            state
                .store
                .get_franchisee(&principal.scope, &franchisee_id)
                .await
                .map_err(unknown("franchisee_id", "franchisee"))?;
            Ok(TenantScope::franchisee(network_id, franchisee_id))
        }
        (None, Some(location_id)) => {
            let location = state
                .store
                .get_location(&principal.scope, &location_id)
                .await
                .map_err(unknown("location_id", "location"))?;
            Ok(TenantScope::location(network_id, location.franchisee_id, location.id))
        }
        (None, None) => Ok(otherwise),
    }
}

/// For PATCH bodies: tells "absent" (`None`) from "null" (`Some(None)`).
fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}
