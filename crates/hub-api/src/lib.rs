//! The hub's HTTP face: `/v1` resources, operations endpoints and the OpenAPI document.
//!
//! Handlers check the caller's role against the permission table and hand the caller's scope to
//! the store, which filters every query by it. Errors leave as RFC 9457 problem details.
#![forbid(unsafe_code)]

mod extract;
mod middleware;
mod problem;
mod routes;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use hub_store::Store;
use hub_vault::ApiKeyHasher;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use problem::ApiError;

/// The largest request body the API reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub hasher: Arc<ApiKeyHasher>,
    pub metrics: PrometheusHandle,
}

impl AppState {
    /// State over a store and the API-key hasher; metrics go to the process-wide recorder.
    pub fn new(store: Arc<dyn Store>, hasher: ApiKeyHasher) -> Self {
        Self { store, hasher: Arc::new(hasher), metrics: middleware::prometheus_handle() }
    }
}

/// The whole application: every route with its middleware.
pub fn app(state: AppState) -> Router {
    let (router, _) = routes::router().split_for_parts();
    middleware::wrap(router.with_state(state.clone()), state)
}

/// The OpenAPI document, generated from the same handlers that serve the routes.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| routes::router().split_for_parts().1)
}

/// Serves `app` on `listener` until `shutdown` is cancelled, then finishes requests in flight.
pub async fn serve(listener: TcpListener, app: Router, shutdown: CancellationToken) -> std::io::Result<()> {
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}
