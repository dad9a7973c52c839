//! Which OAuth app and URLs a network uses for a provider: the catalog's definition, then the
//! operator's configuration (`[providers.<id>]`), then the network's own settings
//! (`PATCH /v1/providers/{id}/settings`), later ones winning.

use std::collections::HashMap;

use hub_connectors::catalog::{self, AuthKind, Environment, Pkce, ProviderDefinition, TokenBody};
use hub_core::ErrorCode;
use hub_core::id::NetworkId;
use hub_oauth::{ClientAuth, CredentialVault, OAuthApp, RevokeStyle, TokenEncoding};
use hub_store::Store;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::problem::ApiError;

/// The client id every emulator accepts, so emulated connections work with no setup.
pub const EMULATOR_CLIENT_ID: &str = "emulator-client";
const EMULATOR_CLIENT_SECRET: &str = "emulator-secret";

/// URL and app overrides for one provider (configuration or a network's settings).
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderOverride {
    pub client_id: Option<String>,
    /// Write-only: never returned.
    #[serde(skip_serializing)]
    #[schema(value_type = Option<String>, write_only)]
    pub client_secret: Option<SecretString>,
    pub authorize_url: Option<String>,
    pub token_url: Option<String>,
    pub revoke_url: Option<String>,
    pub api_base: Option<String>,
    /// Operator configuration only: the provider calls per second each connection may make,
    /// replacing the catalog's limit (a negotiated quota, or an emulator with none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests_per_second: Option<u32>,
}

impl ProviderOverride {
    fn merge_urls(&self, into: &mut Resolved) {
        if let Some(url) = &self.authorize_url {
            into.authorize = Some(url.clone());
        }
        if let Some(url) = &self.token_url {
            into.token = Some(url.clone());
            into.refresh = None;
        }
        if let Some(url) = &self.revoke_url {
            into.revoke = Some(url.clone());
        }
        if let Some(url) = &self.api_base {
            into.api_base = url.clone();
        }
    }
}

/// Where the hub finds providers.
#[derive(Debug, Clone)]
pub struct ProviderDirectory {
    /// The environment new connections use when the request names none.
    pub default_environment: Environment,
    /// The emulators' origin (`http://127.0.0.1:PORT`), when they run.
    pub emulator_base: Option<String>,
    /// Operator configuration per provider id.
    pub overrides: HashMap<String, ProviderOverride>,
}

impl Default for ProviderDirectory {
    fn default() -> Self {
        Self { default_environment: Environment::Production, emulator_base: None, overrides: HashMap::new() }
    }
}

/// The URLs a connection uses after every override.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub authorize: Option<String>,
    pub token: Option<String>,
    pub refresh: Option<String>,
    pub revoke: Option<String>,
    pub api_base: String,
}

/// A provider's definition by id, or a 400 naming the field.
pub fn definition(id: &str) -> Result<&'static ProviderDefinition, ApiError> {
    catalog::provider(id).ok_or_else(|| {
        ApiError::field("provider", format!("`{id}` is not a provider the hub knows (see GET /v1/providers)"))
    })
}

/// An environment by name, or a 400 naming the field.
pub fn environment(name: &str) -> Result<Environment, ApiError> {
    Environment::parse(name).ok_or_else(|| ApiError::field("environment", "must be production, sandbox or emulator"))
}

/// The owner string a network's client secret for `provider` is sealed for.
pub fn settings_owner(provider: &str) -> String {
    format!("provider-settings:{provider}")
}

impl ProviderDirectory {
    /// Resolves the OAuth app a network uses for `definition` in `environment`.
    pub async fn oauth_app(
        &self,
        store: &dyn Store,
        vault: &CredentialVault,
        network_id: &NetworkId,
        definition: &ProviderDefinition,
        environment: Environment,
    ) -> Result<(OAuthApp, Resolved), ApiError> {
        let emulator_base = self.emulator_base.as_deref().unwrap_or("");
        if environment == Environment::Emulator && self.emulator_base.is_none() {
            return Err(ApiError::field(
                "environment",
                "the emulators are not running (start the hub with --emulators)",
            ));
        }
        let urls = definition.urls(environment, emulator_base).ok_or_else(|| {
            ApiError::field("environment", format!("{} has no {} environment", definition.name, environment.as_str()))
        })?;
        let mut resolved = Resolved {
            authorize: urls.authorize,
            token: urls.token,
            refresh: urls.refresh,
            revoke: urls.revoke,
            api_base: urls.api_base,
        };
        let configured = self.overrides.get(definition.id).cloned().unwrap_or_default();
        configured.merge_urls(&mut resolved);
        let mut client_id = configured.client_id.clone();
        let mut client_secret = configured.client_secret.clone();
        if let Some(record) = store.provider_settings(network_id, definition.id).await? {
            let network: ProviderOverride = serde_json::from_value(record.settings)
                .map_err(|_| ApiError::new(ErrorCode::Internal, "stored provider settings are unreadable"))?;
            network.merge_urls(&mut resolved);
            if network.client_id.is_some() {
                client_id = network.client_id;
            }
            if let Some(sealed) = record.sealed_client_secret {
                let bytes = vault
                    .open(network_id, &settings_owner(definition.id), &sealed)
                    .await
                    .map_err(|error| ApiError::from(hub_oauth::OAuthError::Vault(error)))?;
                client_secret = Some(SecretString::from(String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
        if environment == Environment::Emulator {
            client_id.get_or_insert_with(|| EMULATOR_CLIENT_ID.to_owned());
            client_secret.get_or_insert_with(|| SecretString::from(EMULATOR_CLIENT_SECRET));
        }
        let not_configured = || {
            ApiError::new(
                ErrorCode::Conflict,
                format!(
                    "the network has no {} app yet: set its client_id and client_secret with PATCH /v1/providers/{}/settings",
                    definition.name, definition.id
                ),
            )
        };
        let client_id = client_id.ok_or_else(not_configured)?;
        let client_secret = client_secret.unwrap_or_else(|| SecretString::from(String::new()));
        let token_url = resolved.token.clone().ok_or_else(not_configured)?;
        let (pkce, client_auth, token_body, scope_separator, extra) = match definition.auth {
            AuthKind::OAuth2Code { pkce, client_auth, token_body, scope_separator, extra_authorize_params } => {
                (pkce != Pkce::Unsupported, client_auth, token_body, scope_separator, extra_authorize_params)
            }
            AuthKind::ClientCredentials { client_auth, token_body }
            | AuthKind::MutualTlsOAuth { client_auth, token_body } => (false, client_auth, token_body, " ", &[][..]),
            _ => {
                return Err(ApiError::field("provider", format!("{} does not use OAuth", definition.name)));
            }
        };
        let app = OAuthApp {
            provider: definition.id.to_owned(),
            authorize_url: resolved.authorize.clone(),
            token_url,
            refresh_url: resolved.refresh.clone(),
            revoke_url: resolved.revoke.clone(),
            // Square is the one catalogued provider whose revocation is not RFC 7009.
            revoke_style: if definition.id == "square" {
                RevokeStyle::SquareClientHeader
            } else {
                RevokeStyle::Rfc7009
            },
            client_id,
            client_secret,
            client_auth: match client_auth {
                catalog::ClientAuth::Basic => ClientAuth::Basic,
                catalog::ClientAuth::Body => ClientAuth::Body,
            },
            token_encoding: match token_body {
                TokenBody::Form => TokenEncoding::Form,
                TokenBody::Json => TokenEncoding::Json,
            },
            scopes: definition.default_scopes.iter().map(|s| (*s).to_owned()).collect(),
            scope_separator: scope_separator.to_owned(),
            pkce,
            extra_authorize_params: extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        };
        Ok((app, resolved))
    }
}
