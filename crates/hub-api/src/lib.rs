//! The hub's HTTP face: `/v1` resources, operations endpoints and the OpenAPI document.
//!
//! Handlers check the caller's role against the permission table and hand the caller's scope to
//! the store, which filters every query by it. Errors leave as RFC 9457 problem details.
#![forbid(unsafe_code)]

pub mod actions;
pub mod background;
mod extract;
mod middleware;
pub mod outbound;
mod problem;
pub mod provider_api;
pub mod providers;
pub mod refresher;
mod routes;
pub mod webhook_sync;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use hub_oauth::{ConnectionService, CredentialVault};
use hub_store::Store;
use hub_vault::{ApiKeyHasher, Keyring};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use hub_connectors::catalog::Environment;
pub use problem::{ApiError, status_for as problem_status};
pub use providers::{ProviderDirectory, ProviderOverride};

/// The largest request body the API reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub hasher: Arc<ApiKeyHasher>,
    pub metrics: PrometheusHandle,
    pub connections: Arc<ConnectionService>,
    pub providers: Arc<ProviderDirectory>,
    /// The hub's own origin as the outside world reaches it (OAuth redirects, connect links).
    pub public_url: String,
    /// The durable job queue this process enqueues on (its workers wake at once).
    pub jobs: hub_jobs::JobQueue,
    /// Requests and runs syncs of connections into unified records.
    pub sync: hub_sync::SyncEngine,
    /// Inbound and outbound webhooks (start their loops with [`webhook_sync::start`]).
    pub webhooks: Arc<hub_webhooks::WebhookService>,
    /// KPI reports, exports, and the rollup job that keeps KPIs current.
    pub analytics: hub_analytics::Analytics,
    /// Computes, issues and invoices royalty statements.
    pub royalties: hub_analytics::royalties::RoyaltyService,
}

/// How the API is set up beyond its store and keys.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    pub public_url: String,
    pub providers: ProviderDirectory,
    /// Refresh access tokens this long before they expire.
    pub refresh_margin: std::time::Duration,
    /// The keyring file, re-read when a data key names a master key this process has not seen.
    pub keyring_path: Option<std::path::PathBuf>,
    /// Let outbound calls reach loopback addresses (emulators, local setups, tests); otherwise
    /// private, loopback and link-local destinations are refused (SSRF).
    pub allow_private_targets: bool,
    /// How syncs are paced (interval, overlap, attempts).
    pub sync: hub_sync::SyncSettings,
    /// How webhooks behave (retry schedule, timeouts, retention); its `public_url` follows
    /// `public_url`. Outbound deliveries reach private addresses only through its `allow_list`
    /// (`hub serve --allow-private-webhook-targets` sets loopback and private ranges).
    pub webhooks: hub_webhooks::WebhookSettings,
}

impl ApiSettings {
    /// Settings for a hub reachable at `public_url`, with no emulators and no overrides.
    pub fn new(public_url: impl Into<String>) -> Self {
        Self {
            public_url: public_url.into().trim_end_matches('/').to_owned(),
            providers: ProviderDirectory::default(),
            refresh_margin: std::time::Duration::from_secs(300),
            keyring_path: None,
            allow_private_targets: false,
            sync: hub_sync::SyncSettings::default(),
            webhooks: hub_webhooks::WebhookSettings::new(""),
        }
    }
}

impl AppState {
    /// State over a store and the master keyring; metrics go to the process-wide recorder.
    ///
    /// Every provider call goes through one `ResilientClient`, which shares its breakers and the
    /// pauses providers ask for with every other node on the same database
    /// ([`outbound::StoreSharedState`]). That starts a background task, so this must be called
    /// inside the Tokio runtime.
    pub fn new(store: Arc<dyn Store>, keyring: &Keyring, settings: ApiSettings) -> Self {
        let vault = Arc::new(CredentialVault::new(Arc::clone(&store), keyring.clone(), settings.keyring_path.clone()));
        let mut resilience = hub_resilience::ResilienceConfig::default();
        if settings.allow_private_targets {
            resilience.allow_list = hub_resilience::AllowList::loopback();
        }
        let shared = hub_resilience::SharedState::new(Arc::new(outbound::StoreSharedState(Arc::clone(&store))));
        let http = hub_resilience::ResilientClient::with_shared_state(resilience, reqwest::Client::builder(), shared)
            .expect("the outbound client's settings are valid and the hub builds its state inside the runtime");
        let connections =
            Arc::new(ConnectionService::new(Arc::clone(&store), Arc::clone(&vault), http, settings.refresh_margin));
        let mut webhook_settings = settings.webhooks;
        webhook_settings.public_url = settings.public_url.clone();
        let webhooks = Arc::new(
            hub_webhooks::WebhookService::new(Arc::clone(&store), vault, webhook_settings)
                .expect("the webhook settings are valid"),
        );
        let providers = Arc::new(settings.providers);
        let jobs = hub_jobs::JobQueue::new(Arc::clone(&store) as Arc<dyn hub_store::JobStore>);
        let access: Arc<dyn hub_sync::ProviderAccess> = Arc::new(provider_api::HubProviderAccess::new(
            Arc::clone(&store),
            Arc::clone(&connections),
            Arc::clone(&providers),
        ));
        let royalties = hub_analytics::royalties::RoyaltyService::new(
            Arc::clone(&store),
            jobs.clone(),
            webhooks.emitter().clone(),
            Arc::clone(&access),
        );
        let sync = hub_sync::SyncEngine::new(
            Arc::clone(&store),
            jobs.clone(),
            access,
            hub_sync::ConnectorRegistry::standard(),
            settings.sync,
        );
        let analytics = hub_analytics::Analytics::new(Arc::clone(&store));
        Self {
            analytics,
            connections,
            store,
            hasher: Arc::new(ApiKeyHasher::new(keyring)),
            metrics: middleware::prometheus_handle(),
            providers,
            public_url: settings.public_url,
            jobs,
            sync,
            webhooks,
            royalties,
        }
    }
}

/// The whole application: every route with its middleware.
pub fn app(state: AppState) -> Router {
    app_with_pages(state, Router::new())
}

/// The application with `pages` (the dashboard) merged beside the API, under the same
/// middleware (request ids, tracing, metrics, panic safety) and over the same state.
pub fn app_with_pages(state: AppState, pages: Router<AppState>) -> Router {
    let (router, _) = routes::router().split_for_parts();
    middleware::wrap(router.merge(pages).with_state(state.clone()), state)
}

/// What a worker-only node serves: `/healthz`, `/readyz` and `/metrics`, under the same middleware;
/// every other path answers 404.
pub fn operations_app(state: AppState) -> Router {
    const OPERATIONS: [&str; 3] = ["/healthz", "/readyz", "/metrics"];
    let (router, _) = routes::router().split_for_parts();
    let router = router.layer(axum::middleware::from_fn(
        |request: axum::extract::Request, next: axum::middleware::Next| async move {
            if OPERATIONS.contains(&request.uri().path()) {
                next.run(request).await
            } else {
                use axum::response::IntoResponse;
                ApiError::new(hub_core::ErrorCode::NotFound, "this node runs jobs only; the API is on the api nodes")
                    .into_response()
            }
        },
    ));
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
