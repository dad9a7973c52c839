//! How connectors reach providers: for each connection, a [`ProviderApi`] that resolves the
//! network's app and base URL, adds the connection's access token (refreshed as needed), applies
//! the provider's rate limits from the catalog, and sends through the resilient outbound stack.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use hub_connectors::catalog::{self, Environment, ProviderDefinition, RateLimitScope};
use hub_connectors::source::{ApiRequest, ApiResponse, ConnectorError, HttpMethod, ProviderApi};
use hub_core::access::Actor;
use hub_core::connection::Connection;
use hub_oauth::{ConnectionService, OAuthApp, OAuthError, TokenError};
use hub_resilience::{Priority, ProviderCall, RateLimitPolicy};
use hub_store::{ChangeContext, Store};
use secrecy::ExposeSecret;

use crate::providers::ProviderDirectory;

/// Makes [`ProviderApi`]s for the sync engine and other background work.
pub struct HubProviderAccess {
    store: Arc<dyn Store>,
    connections: Arc<ConnectionService>,
    providers: Arc<ProviderDirectory>,
}

impl HubProviderAccess {
    pub fn new(store: Arc<dyn Store>, connections: Arc<ConnectionService>, providers: Arc<ProviderDirectory>) -> Self {
        Self { store, connections, providers }
    }
}

fn unavailable(provider: &str, message: impl Into<String>) -> ConnectorError {
    ConnectorError::Unavailable { provider: provider.to_owned(), message: message.into(), retry_after: None }
}

#[async_trait]
impl hub_sync::ProviderAccess for HubProviderAccess {
    async fn api_for(
        &self,
        connection: &Connection,
        priority: Priority,
    ) -> Result<Arc<dyn ProviderApi>, ConnectorError> {
        let provider = connection.provider.as_str();
        let definition = catalog::provider(provider)
            .ok_or_else(|| ConnectorError::Unsupported(format!("`{provider}` is not in the catalog")))?;
        let environment = Environment::parse(&connection.environment)
            .ok_or_else(|| ConnectorError::Unsupported(format!("unknown environment `{}`", connection.environment)))?;
        let (app, resolved) = self
            .providers
            .oauth_app(&*self.store, self.connections.vault(), &connection.network_id, definition, environment)
            .await
            .map_err(|error| ConnectorError::Unsupported(format!("{provider}: {}", error.detail)))?;
        let (app_limit, mut connection_limit) = limits(definition);
        if let Some(rate) = self.providers.overrides.get(provider).and_then(|configured| configured.requests_per_second)
        {
            connection_limit =
                RateLimitPolicy::new(rate, Duration::from_secs(1)).ok().map(|limit| limit.with_burst(rate));
        }
        Ok(Arc::new(ConnectionApi {
            connections: Arc::clone(&self.connections),
            connection: connection.clone(),
            app,
            base: resolved.api_base.trim_end_matches('/').to_owned(),
            priority,
            app_limit,
            connection_limit,
        }))
    }
}

/// The catalog's rate limit as the outbound stack's app and connection buckets.
fn limits(definition: &ProviderDefinition) -> (Option<RateLimitPolicy>, Option<RateLimitPolicy>) {
    let Some(policy) = definition.rate_limit else { return (None, None) };
    let rate = RateLimitPolicy::new(policy.requests, policy.per).ok().map(|rate| rate.with_burst(policy.burst));
    match policy.scope {
        RateLimitScope::App => (rate, None),
        RateLimitScope::Connection => (None, rate),
        RateLimitScope::Both => {
            let app = policy.app_wide.and_then(|app| RateLimitPolicy::new(app.requests, app.per).ok());
            (app, rate)
        }
    }
}

/// One connection's provider account.
struct ConnectionApi {
    connections: Arc<ConnectionService>,
    connection: Connection,
    app: OAuthApp,
    base: String,
    priority: Priority,
    app_limit: Option<RateLimitPolicy>,
    connection_limit: Option<RateLimitPolicy>,
}

#[async_trait]
impl ProviderApi for ConnectionApi {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, ConnectorError> {
        let provider = self.connection.provider.as_str();
        if !request.path.starts_with('/') {
            return Err(ConnectorError::Unsupported(format!("request path `{}` must start with /", request.path)));
        }
        let mut url = reqwest::Url::parse(&format!("{}{}", self.base, request.path)).map_err(|error| {
            ConnectorError::Unsupported(format!("cannot build a URL for `{}`: {error}", request.path))
        })?;
        if !request.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&request.query);
        }
        let method = match request.method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Put => reqwest::Method::PUT,
            HttpMethod::Patch => reqwest::Method::PATCH,
            HttpMethod::Delete => reqwest::Method::DELETE,
        };
        let ctx = ChangeContext { actor: Actor::System, request_id: None };
        let build = |http: &reqwest::Client, token: &secrecy::SecretString| {
            let mut builder = http.request(method.clone(), url.clone()).bearer_auth(token.expose_secret());
            for (name, value) in &request.headers {
                builder = builder.header(name, value);
            }
            match &request.json {
                Some(json) => builder.json(json),
                None => builder,
            }
        };
        let shape = |mut call: ProviderCall| {
            if let Some(limit) = self.app_limit {
                call = call.app_limit(limit);
            }
            if let Some(limit) = self.connection_limit {
                call = call.connection_limit(limit);
            }
            if request.idempotent_write {
                call = call.with_idempotency_key();
            }
            call.total_timeout(Duration::from_secs(120))
        };
        let response = self
            .connections
            .call_with_token_shaped(&self.connection, &self.app, &ctx, self.priority, build, shape)
            .await
            .map_err(|error| match error {
                OAuthError::NeedsReauthorization(reason) => {
                    ConnectorError::Unauthorized { provider: provider.to_owned(), message: reason }
                }
                OAuthError::NotConnected(status) => ConnectorError::Unauthorized {
                    provider: provider.to_owned(),
                    message: format!("the connection is {status}"),
                },
                OAuthError::Token(TokenError::Rejected { code, .. }) => ConnectorError::Unauthorized {
                    provider: provider.to_owned(),
                    message: format!("the token endpoint refused the refresh ({code})"),
                },
                other => unavailable(provider, other.to_string()),
            })?;
        Ok(ApiResponse {
            status: response.status.as_u16(),
            headers: response
                .headers
                .iter()
                .filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())))
                .collect(),
            body: response.body.to_vec(),
        })
    }
}
