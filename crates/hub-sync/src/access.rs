//! The seams the engine reaches providers and connectors through: a [`ProviderAccess`] that makes a
//! [`ProviderApi`] for a connection (credentials, base URL, rate limits: the API layer knows those),
//! and the [`ConnectorRegistry`] of the providers the hub can read.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use hub_connectors::source::{ConnectorError, ProviderApi, SourceConnector};
use hub_core::connection::Connection;
use hub_resilience::Priority;

/// Makes the HTTP seam a connector calls its provider through, for one connection.
#[async_trait]
pub trait ProviderAccess: Send + Sync + 'static {
    /// A client that sends requests for `connection` with its credentials, at `priority`, through
    /// the resilient outbound stack with the provider's rate limits.
    async fn api_for(
        &self,
        connection: &Connection,
        priority: Priority,
    ) -> Result<Arc<dyn ProviderApi>, ConnectorError>;
}

/// The connectors the hub has, by provider id.
#[derive(Clone, Default)]
pub struct ConnectorRegistry {
    connectors: HashMap<&'static str, Arc<dyn SourceConnector>>,
}

impl ConnectorRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every connector the hub ships (`hub_connectors::SOURCE_PROVIDERS`).
    pub fn standard() -> Self {
        let mut registry = Self::new();
        for provider in hub_connectors::SOURCE_PROVIDERS {
            if let Some(connector) = hub_connectors::source_connector(provider) {
                registry.connectors.insert(connector.provider(), connector);
            }
        }
        registry
    }

    /// Adds `connector` for its provider (replacing any earlier one).
    pub fn with(mut self, connector: impl SourceConnector) -> Self {
        self.connectors.insert(connector.provider(), Arc::new(connector));
        self
    }

    /// The connector for `provider`, if the hub has one.
    pub fn get(&self, provider: &str) -> Option<Arc<dyn SourceConnector>> {
        self.connectors.get(provider).cloned()
    }

    /// The providers the hub can sync, sorted.
    pub fn providers(&self) -> Vec<&'static str> {
        let mut providers: Vec<&'static str> = self.connectors.keys().copied().collect();
        providers.sort_unstable();
        providers
    }

    /// Whether the hub can sync `provider`.
    pub fn supports(&self, provider: &str) -> bool {
        self.connectors.contains_key(provider)
    }
}
