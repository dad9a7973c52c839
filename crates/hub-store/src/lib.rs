//! Storage: one trait that handlers see, implemented for SQLite (embedded default) and PostgreSQL.
//!
//! Every tenant query takes the caller's [`TenantScope`] and filters by it here, in SQL, so no
//! handler can forget to. Every change is written together with its audit entry, in one transaction.
#![forbid(unsafe_code)]

mod analytics;
mod analytics_sql;
mod connections;
mod connections_sql;
mod error;
mod jobs;
mod jobs_admin_sql;
mod jobs_rows;
mod jobs_sql;
mod outbound;
mod outbound_sql;
mod postgres;
mod records;
mod records_rows;
mod records_sql;
mod rows;
pub mod scratch;
mod sql;
mod sqlite;
mod webhooks;
mod webhooks_rows;
mod webhooks_sql;

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use hub_core::access::{Actor, ApiKey, NewApiKey, TenantScope};
use hub_core::audit::AuditEntry;
use hub_core::id::{ApiKeyId, FranchiseeId, LocationId, NetworkId, TerritoryId};
use hub_core::page::{Page, PageRequest};
use hub_core::tenancy::{
    Currency, Franchisee, FranchiseeChanges, Location, LocationChanges, Name, Network, NewFranchisee, NewLocation,
    NewTerritory, Territory, TerritoryChanges,
};

pub use analytics::{
    AnalyticsStore, DatedRecord, DayCursor, MAX_ROLLUP_BATCH, MONEY_SCALE, RollupBatch, RollupFact, RollupFigures,
    RollupGroup, RollupGrouping, RollupOutcome, month_start, week_start,
};
pub use connections::{
    ConnectLink, ConnectionEvent, ConnectionStore, CredentialUpdate, NewConnection, OAuthState, ProviderSettingsRecord,
    StateRejection, StatusChange, StoredCredentials, StoredDataKey,
};
pub use error::StoreError;
pub use jobs::{
    DEFAULT_MAX_ATTEMPTS, Enqueued, Job, JobFilter, JobKind, JobStatus, JobStore, JobVisibility, MAX_UNIQUE_KEY_LEN,
    NewJob, NewSchedule, Schedule,
};
pub use outbound::{
    BreakerTransition, MAX_OUTBOUND_KEY_LEN, OutboundStateStore, RateLimitPause, SharedBreakerState, SharedCircuit,
};
pub use postgres::PostgresStore;
pub use records::{
    MAX_PAGE_RECORDS, NewSyncRun, PageCounts, RecordFilter, RecordStore, RecordUpsert, SyncCheckpoint, SyncCursor,
    SyncPage, SyncRun, SyncRunStatus,
};
pub use sqlite::SqliteStore;
pub use webhooks::{
    AttemptFilter, AttemptRecord, ChangeWithRecord, ClaimedDelivery, Delivery, DeliveryAttempt, DeliveryResult,
    DeliveryState, DisabledEndpoint, EmitBatch, EmitOutcome, EndpointScope, InboundEvent, InboundOutcome,
    InboundResult, NewInboundEvent, NewWebhookEndpoint, NewWebhookEvent, NewWebhookSource, PlatformOccurrence,
    SealedSecret, SecretPurpose, WebhookEndpoint, WebhookEvent, WebhookSource, WebhookStore, endpoint_matches,
};

/// Result of every store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The name used in flags and figures (`sqlite`, `postgres`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Who is making a change and under which request: what the audit entry records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeContext {
    pub actor: Actor,
    pub request_id: Option<String>,
}

impl ChangeContext {
    /// A change made from the command line.
    pub fn cli() -> Self {
        Self { actor: Actor::Cli, request_id: None }
    }
}

/// Everything the hub keeps. Handlers hold an `Arc<dyn Store>` and never see SQL.
#[async_trait]
pub trait Store:
    AnalyticsStore + ConnectionStore + JobStore + OutboundStateStore + RecordStore + WebhookStore + Send + Sync + 'static
{
    /// Which database this is.
    fn backend(&self) -> Backend;
    /// Applies this backend's pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// Proves the database answers (for `/readyz`).
    async fn ping(&self) -> StoreResult<()>;

    /// Creates a network (a new tenant) with an empty audit chain and records its creation.
    async fn create_network(&self, ctx: &ChangeContext, name: Name, currency: Currency) -> StoreResult<Network>;
    /// One network by id.
    async fn get_network(&self, id: &NetworkId) -> StoreResult<Network>;
    /// Every network, oldest first (operator tooling: `hub audit verify`, first-run checks).
    async fn list_networks(&self) -> StoreResult<Vec<Network>>;

    async fn create_franchisee(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        new: NewFranchisee,
    ) -> StoreResult<Franchisee>;
    async fn get_franchisee(&self, scope: &TenantScope, id: &FranchiseeId) -> StoreResult<Franchisee>;
    async fn list_franchisees(&self, scope: &TenantScope, page: &PageRequest) -> StoreResult<Page<Franchisee>>;
    async fn update_franchisee(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        id: &FranchiseeId,
        changes: FranchiseeChanges,
    ) -> StoreResult<Franchisee>;
    /// Deletes a franchisee with no locations left, revoking its keys.
    async fn delete_franchisee(&self, scope: &TenantScope, ctx: &ChangeContext, id: &FranchiseeId) -> StoreResult<()>;

    async fn create_territory(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        new: NewTerritory,
    ) -> StoreResult<Territory>;
    async fn get_territory(&self, scope: &TenantScope, id: &TerritoryId) -> StoreResult<Territory>;
    async fn list_territories(&self, scope: &TenantScope, page: &PageRequest) -> StoreResult<Page<Territory>>;
    async fn update_territory(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        id: &TerritoryId,
        changes: TerritoryChanges,
    ) -> StoreResult<Territory>;
    /// Deletes a territory that holds no locations and no child territories.
    async fn delete_territory(&self, scope: &TenantScope, ctx: &ChangeContext, id: &TerritoryId) -> StoreResult<()>;

    async fn create_location(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        new: NewLocation,
    ) -> StoreResult<Location>;
    async fn get_location(&self, scope: &TenantScope, id: &LocationId) -> StoreResult<Location>;
    async fn list_locations(&self, scope: &TenantScope, page: &PageRequest) -> StoreResult<Page<Location>>;
    async fn update_location(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        id: &LocationId,
        changes: LocationChanges,
    ) -> StoreResult<Location>;
    /// Deletes a location, revoking the keys scoped to it.
    async fn delete_location(&self, scope: &TenantScope, ctx: &ChangeContext, id: &LocationId) -> StoreResult<()>;

    /// Saves a key whose scope lies within `scope`.
    async fn create_api_key(&self, scope: &TenantScope, ctx: &ChangeContext, new: NewApiKey) -> StoreResult<ApiKey>;
    /// Finds a key by the keyed hash of its secret, revoked or not: authentication, so unscoped.
    async fn find_api_key_by_hash(&self, secret_hash: &str) -> StoreResult<Option<ApiKey>>;
    /// One key in scope, revoked or not.
    async fn get_api_key(&self, scope: &TenantScope, id: &ApiKeyId) -> StoreResult<ApiKey>;
    async fn list_api_keys(&self, scope: &TenantScope, page: &PageRequest) -> StoreResult<Page<ApiKey>>;
    /// Revokes a key at once; revoking twice is not an error.
    async fn revoke_api_key(&self, scope: &TenantScope, ctx: &ChangeContext, id: &ApiKeyId) -> StoreResult<ApiKey>;

    /// Audit entries in scope, newest first.
    async fn list_audit(&self, scope: &TenantScope, page: &PageRequest) -> StoreResult<Page<AuditEntry>>;
    /// Up to `limit` entries of a network's chain after `after_seq`, ascending (for verification).
    async fn audit_chain(&self, network_id: &NetworkId, after_seq: i64, limit: u32) -> StoreResult<Vec<AuditEntry>>;
    /// The recorded last (seq, hash) of a network's chain.
    async fn audit_head(&self, network_id: &NetworkId) -> StoreResult<Option<(i64, String)>>;
}

/// Opens the store the configuration names: PostgreSQL when `database_url` is set, otherwise the
/// SQLite file `hub.db` in `data_dir` (created if missing). Does not migrate.
pub async fn open(database_url: Option<&str>, data_dir: &Path) -> StoreResult<Arc<dyn Store>> {
    match database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Arc::new(PostgresStore::connect(url).await?))
        }
        Some(url) if url.starts_with("sqlite:") => Ok(Arc::new(SqliteStore::open_url(url).await?)),
        Some(_) => {
            Err(StoreError::Config("HUB_DATABASE_URL must start with postgres://, postgresql:// or sqlite:".into()))
        }
        None => Ok(Arc::new(SqliteStore::open(&data_dir.join("hub.db")).await?)),
    }
}
