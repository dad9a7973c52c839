//! Registering subscribers' endpoints: the URL is checked against the SSRF guard (every address
//! it resolves to must be public unless allow-listed), the event types against the catalog, and a
//! `whsec_` secret is generated, sealed by the vault and shown once. Rotation adds a new secret
//! and keeps the old one signing (deliveries carry both signatures) for an overlap.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use hub_core::access::{Role, TenantScope};
use hub_core::id::WebhookEndpointId;
use hub_oauth::CredentialVault;
use hub_resilience::AllowList;
use hub_store::{
    ChangeContext, EndpointScope, NewWebhookEndpoint, SealedSecret, SecretPurpose, Store, WebhookEndpoint,
};

use super::event_types::event_type;
use crate::SigningSecret;
use crate::runtime_error::RuntimeError;

/// Why an endpoint cannot be registered, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct EndpointRefusal {
    pub field: &'static str,
    pub reason: String,
}

/// An endpoint to register, as the API received it.
#[derive(Debug, Clone)]
pub struct EndpointRequest {
    pub url: String,
    pub description: Option<String>,
    pub event_types: Vec<String>,
    pub scope: EndpointScope,
    pub role: Role,
    pub rate_limit_per_second: Option<u32>,
    pub ordered: bool,
}

/// Registers endpoints and rotates their secrets.
pub struct EndpointDirectory {
    store: Arc<dyn Store>,
    vault: Arc<CredentialVault>,
    allow: AllowList,
}

impl EndpointDirectory {
    pub fn new(store: Arc<dyn Store>, vault: Arc<CredentialVault>, allow: AllowList) -> Self {
        Self { store, vault, allow }
    }

    /// Checks a URL: http(s), a host, and every address it resolves to allowed.
    pub async fn check_url(&self, text: &str) -> Result<url::Url, EndpointRefusal> {
        let refuse = |reason: String| EndpointRefusal { field: "url", reason };
        if text.len() > 2048 {
            return Err(refuse("must be at most 2048 characters".into()));
        }
        let url = url::Url::parse(text).map_err(|error| refuse(format!("is not a URL: {error}")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse("must not carry credentials".into()));
        }
        hub_resilience::ssrf::check_url(&url, &self.allow).await.map_err(|refusal| refuse(refusal.to_string()))?;
        Ok(url)
    }

    /// Checks the event types against the catalog.
    pub fn check_event_types(types: &[String]) -> Result<(), EndpointRefusal> {
        if types.len() > 100 {
            return Err(EndpointRefusal { field: "event_types", reason: "at most 100 types".into() });
        }
        for name in types {
            if event_type(name).is_none() {
                return Err(EndpointRefusal {
                    field: "event_types",
                    reason: format!("`{name}` is not an event type (see GET /v1/event-types)"),
                });
            }
        }
        Ok(())
    }

    async fn seal(
        &self,
        scope: &TenantScope,
        id: &WebhookEndpointId,
        secret: &SigningSecret,
    ) -> Result<SealedSecret, RuntimeError> {
        let sealed = self.vault.seal(&scope.network_id, id.as_str(), secret.to_whsec().as_bytes()).await?;
        Ok(SealedSecret { purpose: SecretPurpose::Signing, sealed, added_at: Utc::now(), expires_at: None })
    }

    /// Registers an endpoint; returns it with its `whsec_` secret (shown once).
    pub async fn register(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        request: EndpointRequest,
    ) -> Result<(WebhookEndpoint, String), RuntimeError> {
        let id = WebhookEndpointId::new();
        let secret = SigningSecret::generate();
        let sealed = self.seal(scope, &id, &secret).await?;
        let new = NewWebhookEndpoint {
            id,
            url: request.url,
            description: request.description,
            event_types: request.event_types,
            scope: request.scope,
            role: request.role,
            rate_limit_per_second: request.rate_limit_per_second,
            ordered: request.ordered,
            secrets: vec![sealed],
        };
        let endpoint = self.store.create_webhook_endpoint(scope, ctx, new).await?;
        Ok((endpoint, secret.to_whsec()))
    }

    /// A new secret for the endpoint; the current one keeps signing for `overlap`.
    pub async fn rotate(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        id: &WebhookEndpointId,
        overlap: Duration,
    ) -> Result<(WebhookEndpoint, String), RuntimeError> {
        let endpoint = self.store.get_webhook_endpoint(scope, id).await?;
        let now = Utc::now();
        let retire_at = now + chrono::Duration::from_std(overlap).unwrap_or(chrono::Duration::days(1));
        let mut secrets: Vec<SealedSecret> = endpoint
            .secrets
            .into_iter()
            .filter(|sealed| sealed.is_live(now))
            .map(|mut sealed| {
                sealed.expires_at.get_or_insert(retire_at);
                sealed
            })
            .collect();
        let secret = SigningSecret::generate();
        secrets.push(self.seal(scope, id, &secret).await?);
        let updated = self.store.set_webhook_endpoint_secrets(scope, ctx, id, secrets).await?;
        Ok((updated, secret.to_whsec()))
    }
}
