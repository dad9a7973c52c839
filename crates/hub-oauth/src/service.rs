//! The connection lifecycle: start an authorization, complete the callback, hand out access
//! tokens (refreshing them with one refresh in flight per connection across all nodes), revoke.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use hub_core::connection::{Connection, ConnectionStatus};
use hub_core::id::{ConnectionId, NetworkId};
use hub_store::{ChangeContext, CredentialUpdate, OAuthState, StateRejection, StatusChange, Store, StoreError};
use secrecy::{ExposeSecret, SecretString};

use crate::app::OAuthApp;
use crate::pkce::{PkceVerifier, random_token, sha256_hex};
use crate::tokens::{self, CallFor, TokenError, TokenSet};
use crate::vault::{CredentialVault, VaultFailure};
use hub_resilience::{Priority, ProviderCall, ProviderResponse, ResilientClient};

/// How long a `state` stays usable.
const STATE_TTL: chrono::Duration = chrono::Duration::minutes(10);
/// How long a refresh lease is held before another node may take over.
const LEASE_TTL: chrono::Duration = chrono::Duration::seconds(30);
/// How long a caller waits for another node's refresh before giving up.
const WAIT_FOR_OTHER_NODE: Duration = Duration::from_secs(20);

/// Why a connection could not produce a usable token.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("the connection needs to be authorized again: {0}")]
    NeedsReauthorization(String),
    #[error("the connection is {0} and has no usable credentials")]
    NotConnected(&'static str),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Vault(#[from] VaultFailure),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("another node's token refresh did not finish in time")]
    RefreshTimedOut,
}

/// Why a callback was refused. None of these changes the connection.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    #[error("missing `state`: this page must be reached from the provider's consent screen")]
    MissingState,
    #[error("this authorization request is unknown")]
    UnknownState,
    #[error("this authorization request has expired; start again")]
    ExpiredState,
    #[error("this authorization request was already used")]
    ReplayedState,
    #[error("whoever started this authorization may no longer do so")]
    PrincipalNoLongerValid,
    #[error("the provider reported `{0}`: authorization was not granted")]
    ProviderError(String),
    #[error("the provider did not return a code")]
    MissingCode,
    #[error("the connection can no longer be authorized (it was revoked)")]
    ConnectionClosed,
    #[error("the provider refused the code exchange: {0}")]
    Exchange(#[from] OAuthError),
}

/// The query string of `/oauth/callback`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Where to send the person who authorizes.
pub struct AuthorizationStart {
    pub authorize_url: String,
}

/// Shared by every request handler and worker of a process.
pub struct ConnectionService {
    store: Arc<dyn Store>,
    vault: Arc<CredentialVault>,
    http: ResilientClient,
    node_id: String,
    refresh_margin: Duration,
    /// Serialises token work per connection inside this process (the store lease does it across).
    locks: Mutex<HashMap<ConnectionId, Arc<tokio::sync::Mutex<()>>>>,
    /// Opened token sets by connection, so hot paths neither hit the store nor decrypt.
    cache: Mutex<HashMap<ConnectionId, Arc<TokenSet>>>,
}

impl ConnectionService {
    /// A service; `refresh_margin` is how long before expiry tokens are refreshed proactively.
    pub fn new(
        store: Arc<dyn Store>,
        vault: Arc<CredentialVault>,
        http: ResilientClient,
        refresh_margin: Duration,
    ) -> Self {
        Self {
            store,
            vault,
            http,
            node_id: format!("node-{}", &random_token()[..10]),
            refresh_margin,
            locks: Mutex::new(HashMap::new()),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The outbound client every provider call of this service goes through.
    pub fn client(&self) -> &ResilientClient {
        &self.http
    }

    /// The vault this service seals with.
    pub fn vault(&self) -> &Arc<CredentialVault> {
        &self.vault
    }

    /// Creates the `state` (and PKCE verifier) for a connection and returns the provider URL.
    pub async fn start_authorization(
        &self,
        connection: &Connection,
        app: &OAuthApp,
        redirect_uri: &str,
        started_by: &str,
    ) -> Result<AuthorizationStart, OAuthError> {
        let authorize_url =
            app.authorize_url.as_deref().ok_or(OAuthError::NotConnected("not an authorization-code provider"))?;
        let state = random_token();
        let verifier = app.pkce.then(PkceVerifier::generate);
        let sealed_verifier = match &verifier {
            Some(verifier) => Some(
                self.vault
                    .seal(&connection.network_id, connection.id.as_str(), verifier.secret().expose_secret().as_bytes())
                    .await?,
            ),
            None => None,
        };
        self.store
            .insert_oauth_state(&OAuthState {
                state_hash: sha256_hex(&state),
                network_id: connection.network_id.clone(),
                connection_id: connection.id.clone(),
                started_by: started_by.to_owned(),
                sealed_verifier,
                redirect_uri: redirect_uri.to_owned(),
                expires_at: Utc::now() + STATE_TTL,
            })
            .await?;
        let mut url = url::Url::parse(authorize_url)
            .map_err(|_| OAuthError::Token(TokenError::Malformed("the provider's authorize URL is invalid".into())))?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &app.client_id)
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("state", &state);
            if !app.scopes.is_empty() {
                query.append_pair("scope", &app.scopes.join(&app.scope_separator));
            }
            if let Some(verifier) = &verifier {
                query.append_pair("code_challenge", &verifier.challenge()).append_pair("code_challenge_method", "S256");
            }
            for (name, value) in &app.extra_authorize_params {
                query.append_pair(name, value);
            }
        }
        Ok(AuthorizationStart { authorize_url: url.into() })
    }

    /// First half of a callback: consumes the `state` exactly once.
    pub async fn take_state(&self, params: &CallbackParams) -> Result<OAuthState, CallbackError> {
        let state = params.state.as_deref().filter(|s| !s.is_empty()).ok_or(CallbackError::MissingState)?;
        match self.store.take_oauth_state(&sha256_hex(state), Utc::now()).await.map_err(OAuthError::from)? {
            Ok(state) => Ok(state),
            Err(StateRejection::Unknown) => Err(CallbackError::UnknownState),
            Err(StateRejection::Expired) => Err(CallbackError::ExpiredState),
            Err(StateRejection::AlreadyUsed) => Err(CallbackError::ReplayedState),
        }
    }

    /// Second half: exchanges the code and activates the connection. Any failure leaves the
    /// connection as it was.
    pub async fn complete_authorization(
        &self,
        state: &OAuthState,
        app: &OAuthApp,
        params: &CallbackParams,
        ctx: &ChangeContext,
    ) -> Result<Connection, CallbackError> {
        if let Some(error) = &params.error {
            return Err(CallbackError::ProviderError(error.chars().take(100).collect()));
        }
        let code = params.code.as_deref().filter(|c| !c.is_empty()).ok_or(CallbackError::MissingCode)?;
        let credentials = self
            .store
            .read_credentials(&state.network_id, &state.connection_id, ctx)
            .await
            .map_err(OAuthError::from)?;
        if credentials.status == ConnectionStatus::Revoked {
            return Err(CallbackError::ConnectionClosed);
        }
        let verifier = match &state.sealed_verifier {
            Some(sealed) => {
                let bytes = self
                    .vault
                    .open(&state.network_id, state.connection_id.as_str(), sealed)
                    .await
                    .map_err(OAuthError::from)?;
                Some(SecretString::from(String::from_utf8_lossy(&bytes).into_owned()))
            }
            None => None,
        };
        let call_for = CallFor { connection: Some(state.connection_id.to_string()), priority: Priority::Interactive };
        let tokens = tokens::exchange_code(&self.http, &call_for, app, code, &state.redirect_uri, verifier.as_ref())
            .await
            .map_err(OAuthError::from)?;
        let connection =
            self.save(&state.network_id, &state.connection_id, ctx, &tokens, credentials.version, "authorized").await?;
        Ok(connection)
    }

    async fn save(
        &self,
        network_id: &NetworkId,
        id: &ConnectionId,
        ctx: &ChangeContext,
        tokens: &TokenSet,
        expected_version: i64,
        event: &'static str,
    ) -> Result<Connection, OAuthError> {
        let sealed = self.vault.seal(network_id, id.as_str(), &tokens.to_bytes()).await?;
        let update = CredentialUpdate {
            sealed,
            expires_at: tokens.expires_at,
            scopes: (!tokens.scopes.is_empty()).then(|| tokens.scopes.clone()),
            expected_version,
            event,
        };
        let connection = self.store.save_credentials(network_id, id, ctx, update).await?;
        self.remember(id, tokens.clone());
        Ok(connection)
    }

    /// Connects a client-credentials provider (no person involved) and stores its token.
    pub async fn connect_client_credentials(
        &self,
        connection: &Connection,
        app: &OAuthApp,
        ctx: &ChangeContext,
    ) -> Result<Connection, OAuthError> {
        let call_for = CallFor { connection: Some(connection.id.to_string()), priority: Priority::Interactive };
        let tokens = tokens::client_credentials(&self.http, &call_for, app).await?;
        let current = self.store.read_credentials(&connection.network_id, &connection.id, ctx).await?;
        self.save(&connection.network_id, &connection.id, ctx, &tokens, current.version, "authorized").await
    }

    fn remember(&self, id: &ConnectionId, tokens: TokenSet) {
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).insert(id.clone(), Arc::new(tokens));
    }

    fn forget(&self, id: &ConnectionId) {
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    }

    fn cached_fresh(&self, id: &ConnectionId) -> Option<Arc<TokenSet>> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.get(id).filter(|tokens| tokens.fresh_for(self.refresh_margin, Utc::now())).cloned()
    }

    fn lock_for(&self, id: &ConnectionId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(locks.entry(id.clone()).or_default())
    }

    async fn open_tokens(
        &self,
        network_id: &NetworkId,
        id: &ConnectionId,
        sealed: &str,
    ) -> Result<TokenSet, OAuthError> {
        let bytes = self.vault.open(network_id, id.as_str(), sealed).await?;
        Ok(TokenSet::from_bytes(&bytes)?)
    }

    /// A usable access token, refreshed first when it expires within the margin (or `force`).
    pub async fn access_token(
        &self,
        connection: &Connection,
        app: &OAuthApp,
        ctx: &ChangeContext,
        force: bool,
    ) -> Result<SecretString, OAuthError> {
        if !force && let Some(tokens) = self.cached_fresh(&connection.id) {
            return Ok(SecretString::from(tokens.access_token.clone()));
        }
        let lock = self.lock_for(&connection.id);
        let _guard = lock.lock().await;
        if !force && let Some(tokens) = self.cached_fresh(&connection.id) {
            return Ok(SecretString::from(tokens.access_token.clone()));
        }
        let (network_id, id) = (&connection.network_id, &connection.id);
        let stored = self.store.read_credentials(network_id, id, ctx).await?;
        check_usable(stored.status)?;
        let sealed = stored.sealed.as_deref().ok_or(OAuthError::NotConnected("pending"))?;
        let tokens = self.open_tokens(network_id, id, sealed).await?;
        if !force && tokens.fresh_for(self.refresh_margin, Utc::now()) {
            let token = SecretString::from(tokens.access_token.clone());
            self.remember(id, tokens);
            return Ok(token);
        }
        self.refresh_under_lease(connection, app, ctx, stored.version).await
    }

    async fn refresh_under_lease(
        &self,
        connection: &Connection,
        app: &OAuthApp,
        ctx: &ChangeContext,
        seen_version: i64,
    ) -> Result<SecretString, OAuthError> {
        let (network_id, id) = (&connection.network_id, &connection.id);
        let owner = format!("{}:{}", self.node_id, &random_token()[..8]);
        let deadline = tokio::time::Instant::now() + WAIT_FOR_OTHER_NODE;
        loop {
            if self.store.try_acquire_refresh_lease(network_id, id, &owner, Utc::now() + LEASE_TTL).await? {
                return self.refresh_holding_lease(connection, app, ctx, seen_version, &owner).await;
            }
            // Another node is refreshing: wait for its result instead of refreshing twice.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let current = self.store.get_connection(&connection.scope(), id).await?;
            match current.status {
                ConnectionStatus::Refreshing => {}
                ConnectionStatus::Active => {
                    let stored = self.store.read_credentials(network_id, id, ctx).await?;
                    if stored.version != seen_version
                        && let Some(sealed) = stored.sealed.as_deref()
                    {
                        let tokens = self.open_tokens(network_id, id, sealed).await?;
                        let token = SecretString::from(tokens.access_token.clone());
                        self.remember(id, tokens);
                        return Ok(token);
                    }
                }
                other => check_usable(other)?,
            }
            if tokio::time::Instant::now() > deadline {
                return Err(OAuthError::RefreshTimedOut);
            }
        }
    }

    async fn refresh_holding_lease(
        &self,
        connection: &Connection,
        app: &OAuthApp,
        ctx: &ChangeContext,
        seen_version: i64,
        owner: &str,
    ) -> Result<SecretString, OAuthError> {
        let (network_id, id) = (&connection.network_id, &connection.id);
        let stored = self.store.read_credentials(network_id, id, ctx).await?;
        let sealed = stored.sealed.as_deref().ok_or(OAuthError::NotConnected("pending"))?;
        let current = self.open_tokens(network_id, id, sealed).await?;
        if stored.version != seen_version && current.fresh_for(self.refresh_margin, Utc::now()) {
            // Someone refreshed between our read and the lease: use theirs.
            self.store.release_refresh_lease(network_id, id, owner).await?;
            let token = SecretString::from(current.access_token.clone());
            self.remember(id, current);
            return Ok(token);
        }
        let call_for = CallFor { connection: Some(id.to_string()), priority: Priority::Interactive };
        let outcome = if current.refresh_token.is_some() {
            tokens::refresh(&self.http, &call_for, app, &current).await
        } else {
            tokens::client_credentials(&self.http, &call_for, app).await
        };
        match outcome {
            Ok(tokens) => {
                let token = SecretString::from(tokens.access_token.clone());
                self.save(network_id, id, ctx, &tokens, stored.version, "refreshed").await?;
                tracing::info!(connection = %id, provider = %connection.provider, "token refreshed");
                Ok(token)
            }
            Err(TokenError::InvalidGrant(reason)) => {
                self.forget(id);
                let reason = format!("the provider refused the refresh token: {reason}");
                let change = StatusChange {
                    status: ConnectionStatus::NeedsReauthorization,
                    last_error: Some(reason.clone()),
                    event: "needs_reauthorization",
                    clear_credentials: false,
                };
                self.store.set_connection_status(network_id, id, ctx, change).await?;
                tracing::warn!(connection = %id, provider = %connection.provider, "refresh refused: needs reauthorization");
                Err(OAuthError::NeedsReauthorization(reason))
            }
            Err(error) => {
                self.store.release_refresh_lease(network_id, id, owner).await?;
                tracing::warn!(connection = %id, provider = %connection.provider, %error, "token refresh failed; will retry");
                Err(error.into())
            }
        }
    }

    /// Calls the provider with the connection's access token through the resilient stack. A 401
    /// means the provider no longer takes the token: the call is repeated once after a forced
    /// refresh (which, like every refresh, is single-flight across nodes).
    pub async fn call_with_token(
        &self,
        connection: &Connection,
        app: &OAuthApp,
        ctx: &ChangeContext,
        priority: Priority,
        build: impl Fn(&reqwest::Client, &SecretString) -> reqwest::RequestBuilder,
    ) -> Result<ProviderResponse, OAuthError> {
        self.call_with_token_shaped(connection, app, ctx, priority, build, |call| call).await
    }

    /// [`Self::call_with_token`], with `shape` adding what the stack needs to know about this
    /// provider's calls (its rate limits, its classifier, an idempotency key) before each send.
    pub async fn call_with_token_shaped(
        &self,
        connection: &Connection,
        app: &OAuthApp,
        ctx: &ChangeContext,
        priority: Priority,
        build: impl Fn(&reqwest::Client, &SecretString) -> reqwest::RequestBuilder,
        shape: impl Fn(ProviderCall) -> ProviderCall,
    ) -> Result<ProviderResponse, OAuthError> {
        let mut retried = false;
        let mut token = self.access_token(connection, app, ctx, false).await?;
        loop {
            let request = build(self.http.http(), &token)
                .build()
                .map_err(|_| OAuthError::Token(TokenError::Malformed("the request could not be built".into())))?;
            let call = shape(
                ProviderCall::new(app.provider.clone(), format!("{}:{}", app.provider, app.client_id), request)
                    .connection(connection.id.to_string())
                    .priority(priority),
            );
            let response = match self.http.execute(call).await {
                Ok(response) => response,
                Err(error) => match error.response() {
                    Some(response) => response.clone(),
                    None => return Err(OAuthError::Token(TokenError::Unavailable(error.to_string()))),
                },
            };
            if response.status.as_u16() == 401 && !retried {
                tracing::info!(connection = %connection.id, provider = %connection.provider, "provider refused the token; refreshing");
                token = self.replace_rejected(connection, app, ctx, &token).await?;
                retried = true;
                continue;
            }
            return Ok(response);
        }
    }

    /// A token other than `rejected`: someone else's newer one if there is one, else a refresh.
    /// Many calls refused at once therefore cause one refresh, not one each.
    async fn replace_rejected(
        &self,
        connection: &Connection,
        app: &OAuthApp,
        ctx: &ChangeContext,
        rejected: &SecretString,
    ) -> Result<SecretString, OAuthError> {
        let lock = self.lock_for(&connection.id);
        let _guard = lock.lock().await;
        let cached = self.cache.lock().unwrap_or_else(|p| p.into_inner()).get(&connection.id).cloned();
        if let Some(tokens) = cached
            && tokens.access_token != rejected.expose_secret()
        {
            return Ok(SecretString::from(tokens.access_token.clone()));
        }
        let stored = self.store.read_credentials(&connection.network_id, &connection.id, ctx).await?;
        check_usable(stored.status)?;
        let sealed = stored.sealed.as_deref().ok_or(OAuthError::NotConnected("pending"))?;
        let tokens = self.open_tokens(&connection.network_id, &connection.id, sealed).await?;
        if tokens.access_token != rejected.expose_secret() {
            let token = SecretString::from(tokens.access_token.clone());
            self.remember(&connection.id, tokens);
            return Ok(token);
        }
        self.forget(&connection.id);
        self.refresh_under_lease(connection, app, ctx, stored.version).await
    }

    /// Revokes at the provider (when it can) and deletes the credentials. Returns the connection
    /// and whether the provider confirmed the revocation.
    pub async fn revoke(
        &self,
        connection: &Connection,
        app: Option<&OAuthApp>,
        ctx: &ChangeContext,
    ) -> Result<(Connection, bool), OAuthError> {
        let (network_id, id) = (&connection.network_id, &connection.id);
        let stored = self.store.read_credentials(network_id, id, ctx).await?;
        let mut confirmed = false;
        if let (Some(app), Some(sealed)) = (app, stored.sealed.as_deref())
            && app.revoke_url.is_some()
            && let Ok(tokens) = self.open_tokens(network_id, id, sealed).await
        {
            let call_for = CallFor { connection: Some(id.to_string()), priority: Priority::Interactive };
            match tokens::revoke(&self.http, &call_for, app, &tokens).await {
                Ok(()) => confirmed = true,
                Err(error) => {
                    tracing::warn!(connection = %id, %error, "revocation at the provider failed; deleting credentials anyway")
                }
            }
        }
        self.forget(id);
        let reason = (!confirmed && app.and_then(|a| a.revoke_url.as_ref()).is_some())
            .then(|| "credentials deleted; the provider did not confirm revocation".to_owned());
        let change = StatusChange {
            status: ConnectionStatus::Revoked,
            last_error: reason,
            event: "revoked",
            clear_credentials: true,
        };
        let connection = self.store.set_connection_status(network_id, id, ctx, change).await?;
        Ok((connection, confirmed))
    }
}

fn check_usable(status: ConnectionStatus) -> Result<(), OAuthError> {
    match status {
        ConnectionStatus::Pending => Err(OAuthError::NotConnected("pending")),
        ConnectionStatus::Revoked => Err(OAuthError::NotConnected("revoked")),
        ConnectionStatus::NeedsReauthorization => {
            Err(OAuthError::NeedsReauthorization("the provider refused the refresh token".into()))
        }
        ConnectionStatus::Active | ConnectionStatus::Refreshing | ConnectionStatus::Failing => Ok(()),
    }
}
