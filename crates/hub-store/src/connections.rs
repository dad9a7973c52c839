//! Storage of connections: their state, sealed credentials, refresh leases, authorization
//! states, connect links, events, the vault's wrapped data keys and per-network provider settings.
//!
//! Credentials arrive here already sealed by the vault; the store never sees a plaintext token.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hub_core::access::TenantScope;
use hub_core::connection::{Connection, ConnectionStatus};
use hub_core::id::{ConnectLinkId, ConnectionId, NetworkId};
use hub_core::page::{Page, PageRequest};

use crate::{ChangeContext, StoreResult};

/// A data key as stored: wrapped by the master key named (see `hub_vault::WrappedDataKey`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDataKey {
    pub id: String,
    pub master_key_id: String,
    pub wrapped: String,
}

/// What it takes to create a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConnection {
    pub provider: String,
    pub environment: String,
    /// The network, franchisee or location the connection belongs to.
    pub scope: TenantScope,
    pub scopes: Vec<String>,
    pub status: ConnectionStatus,
    /// Credentials sealed for the new connection's id (API-key and basic connections have them
    /// at once; OAuth connections get them at the callback).
    pub sealed_credentials: Option<String>,
}

/// A connection's sealed credentials and their version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCredentials {
    pub sealed: Option<String>,
    pub version: i64,
    pub expires_at: Option<DateTime<Utc>>,
    pub status: ConnectionStatus,
}

/// New credentials for a connection, written only if nobody wrote since `expected_version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialUpdate {
    pub sealed: String,
    pub expires_at: Option<DateTime<Utc>>,
    /// Granted scopes, when the provider says.
    pub scopes: Option<Vec<String>>,
    pub expected_version: i64,
    /// `authorized` or `refreshed`: the event and audit action recorded with the write.
    pub event: &'static str,
}

/// A connection moving to another status, with the reason a person will read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub status: ConnectionStatus,
    pub last_error: Option<String>,
    /// The event kind and audit action suffix (`revoked`, `needs_reauthorization`).
    pub event: &'static str,
    /// Delete the sealed credentials (revocation).
    pub clear_credentials: bool,
}

/// An authorization attempt in flight, keyed by the hash of its `state` parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthState {
    pub state_hash: String,
    pub network_id: NetworkId,
    pub connection_id: ConnectionId,
    /// The API key or connect link that started it.
    pub started_by: String,
    /// The PKCE verifier, sealed for the connection.
    pub sealed_verifier: Option<String>,
    pub redirect_uri: String,
    pub expires_at: DateTime<Utc>,
}

/// Why a `state` from a callback was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateRejection {
    Unknown,
    Expired,
    AlreadyUsed,
}

/// A connect link: lets whoever holds its token authorize one connection until it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectLink {
    pub id: ConnectLinkId,
    pub network_id: NetworkId,
    pub connection_id: ConnectionId,
    pub created_by: String,
    pub expires_at: DateTime<Utc>,
}

/// One entry of a connection's history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ConnectionEvent {
    pub seq: i64,
    /// `created`, `authorized`, `refreshed`, `needs_reauthorization`, `revoked`, `failed`.
    pub kind: String,
    pub detail: String,
    pub at: DateTime<Utc>,
}

/// A network's settings for one provider: its own OAuth app and URL overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSettingsRecord {
    pub provider: String,
    /// JSON object: `client_id`, `authorize_url`, `token_url`, `revoke_url`, `api_base`, …
    pub settings: serde_json::Value,
    pub sealed_client_secret: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// Storage for connections and the secrets around them.
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    /// Saves a new wrapped data key for a network.
    async fn insert_data_key(&self, network_id: &NetworkId, key: &StoredDataKey) -> StoreResult<()>;
    /// The network's newest data key, used to seal new secrets.
    async fn newest_data_key(&self, network_id: &NetworkId) -> StoreResult<Option<StoredDataKey>>;
    /// One data key by id.
    async fn data_key(&self, network_id: &NetworkId, key_id: &str) -> StoreResult<Option<StoredDataKey>>;
    /// Every data key of every network (key rotation).
    async fn all_data_keys(&self) -> StoreResult<Vec<(NetworkId, StoredDataKey)>>;
    /// Replaces a data key's wrapping (after a master key rotation); the key itself is unchanged.
    async fn rewrap_data_key(&self, network_id: &NetworkId, key: &StoredDataKey) -> StoreResult<()>;

    /// Creates a connection within `scope`.
    async fn create_connection(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        id: &ConnectionId,
        new: NewConnection,
    ) -> StoreResult<Connection>;
    async fn get_connection(&self, scope: &TenantScope, id: &ConnectionId) -> StoreResult<Connection>;
    async fn list_connections(&self, scope: &TenantScope, page: &PageRequest) -> StoreResult<Page<Connection>>;
    /// Every connection of every network, for key rotation and schedules (operator paths only).
    async fn all_connection_ids(&self) -> StoreResult<Vec<(NetworkId, ConnectionId)>>;
    /// Active connections whose token expires before `before` (proactive refresh).
    async fn connections_expiring_before(&self, before: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Connection>>;

    /// Active connections to `provider` last refreshed (or created) before `before`: providers
    /// that revoke idle refresh tokens must be refreshed regularly.
    async fn connections_refreshed_before(
        &self,
        provider: &str,
        before: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<Connection>>;
    /// The sealed credentials; every read is written to the audit log.
    async fn read_credentials(
        &self,
        network_id: &NetworkId,
        id: &ConnectionId,
        ctx: &ChangeContext,
    ) -> StoreResult<StoredCredentials>;
    /// Writes new credentials if the version still matches (else `Conflict`), marks the
    /// connection active, clears its lease and error, and records the event.
    async fn save_credentials(
        &self,
        network_id: &NetworkId,
        id: &ConnectionId,
        ctx: &ChangeContext,
        update: CredentialUpdate,
    ) -> StoreResult<Connection>;
    /// Replaces the sealed credentials with the same secret sealed under another data key
    /// (re-encryption), if the version still matches; true when written. Nothing else changes.
    async fn reseal_credentials(
        &self,
        network_id: &NetworkId,
        id: &ConnectionId,
        expected_version: i64,
        sealed: &str,
    ) -> StoreResult<bool>;
    /// Moves a connection to `status` with a reason, recording `event`; `clear_credentials`
    /// deletes the sealed credentials (revocation).
    async fn set_connection_status(
        &self,
        network_id: &NetworkId,
        id: &ConnectionId,
        ctx: &ChangeContext,
        change: StatusChange,
    ) -> StoreResult<Connection>;
    /// Takes the refresh lease if nobody holds a live one; true when taken.
    async fn try_acquire_refresh_lease(
        &self,
        network_id: &NetworkId,
        id: &ConnectionId,
        owner: &str,
        until: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Gives the lease back (when the refresh failed without a status change).
    async fn release_refresh_lease(&self, network_id: &NetworkId, id: &ConnectionId, owner: &str) -> StoreResult<()>;
    /// A connection's history, newest first.
    async fn connection_events(
        &self,
        network_id: &NetworkId,
        id: &ConnectionId,
        limit: u32,
    ) -> StoreResult<Vec<ConnectionEvent>>;

    async fn insert_oauth_state(&self, state: &OAuthState) -> StoreResult<()>;
    /// Marks a state used and returns it, exactly once, if it exists and has not expired.
    async fn take_oauth_state(
        &self,
        state_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<OAuthState, StateRejection>>;

    async fn insert_connect_link(&self, token_hash: &str, link: &ConnectLink) -> StoreResult<()>;
    async fn find_connect_link(&self, token_hash: &str) -> StoreResult<Option<ConnectLink>>;

    async fn provider_settings(
        &self,
        network_id: &NetworkId,
        provider: &str,
    ) -> StoreResult<Option<ProviderSettingsRecord>>;
    /// Every provider's settings for a network.
    async fn list_provider_settings(&self, network_id: &NetworkId) -> StoreResult<Vec<ProviderSettingsRecord>>;
    async fn put_provider_settings(
        &self,
        network_id: &NetworkId,
        ctx: &ChangeContext,
        record: &ProviderSettingsRecord,
    ) -> StoreResult<()>;
}

/// A `connections` row as both backends return it.
#[derive(sqlx::FromRow)]
pub(crate) struct ConnectionRow {
    pub network_id: String,
    pub id: String,
    pub franchisee_id: Option<String>,
    pub location_id: Option<String>,
    pub provider: String,
    pub environment: String,
    pub status: String,
    pub scopes: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_refreshed_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<ConnectionRow> for Connection {
    type Error = crate::StoreError;
    fn try_from(row: ConnectionRow) -> Result<Self, crate::StoreError> {
        let corrupt = |what: &str, value: &str| crate::StoreError::Corrupt(format!("connections.{what} `{value}`"));
        Ok(Self {
            id: ConnectionId::parse(&row.id).map_err(|_| corrupt("id", &row.id))?,
            network_id: NetworkId::parse(&row.network_id).map_err(|_| corrupt("network_id", &row.network_id))?,
            franchisee_id: row
                .franchisee_id
                .as_deref()
                .map(hub_core::id::FranchiseeId::parse)
                .transpose()
                .map_err(|_| corrupt("franchisee_id", row.franchisee_id.as_deref().unwrap_or("")))?,
            location_id: row
                .location_id
                .as_deref()
                .map(hub_core::id::LocationId::parse)
                .transpose()
                .map_err(|_| corrupt("location_id", row.location_id.as_deref().unwrap_or("")))?,
            provider: row.provider,
            environment: row.environment,
            status: ConnectionStatus::parse(&row.status).ok_or_else(|| corrupt("status", &row.status))?,
            scopes: row.scopes.split_whitespace().map(str::to_owned).collect(),
            expires_at: row.expires_at,
            last_refreshed_at: row.last_refreshed_at,
            last_error: row.last_error,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}
