//! Storage of unified records, their change feed, and the sync engine's runs and cursors.
//!
//! The sync engine writes one provider page at a time with [`RecordStore::apply_sync_page`]: the
//! records, their change-log entries, the run's counters and its checkpoint commit together, so a
//! crash between pages resumes from the last checkpoint with nothing lost and nothing doubled.
//! Upserts are keyed by (connection, model, external id) and compare content hashes: a payload
//! that changed nothing writes nothing.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hub_core::access::TenantScope;
use hub_core::id::{ConnectionId, FranchiseeId, LocationId, NetworkId, RecordId, SyncRunId};
use hub_core::page::{Page, PageRequest};
use hub_core::records::{Change, Model, StoredRecord, SyncMode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::StoreResult;

/// The most records one page write may carry.
pub const MAX_PAGE_RECORDS: usize = 5_000;

/// A record ready to store: content in its stored form, placed in the hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordUpsert {
    pub external_id: String,
    pub franchisee_id: Option<FranchiseeId>,
    pub location_id: Option<LocationId>,
    pub provider_location_id: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub remote_updated_at: Option<DateTime<Utc>>,
    /// [`hub_core::records::RecordData::to_json`].
    pub data: String,
    pub content_hash: String,
}

/// Where a run stands within its models; stored with the run after every page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SyncCheckpoint {
    /// Models this run has finished.
    pub done: Vec<Model>,
    /// The model being walked.
    pub model: Option<Model>,
    /// The connector's cursor for the model's next page (`None`: start the walk).
    pub cursor: Option<String>,
    /// The newest `remote_updated_at` seen in this walk: the next incremental sync starts there.
    pub high_water: Option<DateTime<Utc>>,
    /// When the walk began; a resumed walk keeps it, so it reads the same window.
    pub walk_started_at: Option<DateTime<Utc>>,
    /// The walk's last page is written; only completing the model (the sweep) is left.
    #[serde(default)]
    pub walk_finished: bool,
}

/// One or more provider pages to write together, with the run's checkpoint after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncPage {
    pub network_id: NetworkId,
    pub run_id: SyncRunId,
    pub connection_id: ConnectionId,
    pub provider: String,
    pub model: Model,
    /// Full syncs mark every record they see, so [`RecordStore::complete_sync_model`] can sweep
    /// the ones the provider no longer has.
    pub mark_seen: bool,
    pub upserts: Vec<RecordUpsert>,
    /// External ids the provider reported deleted.
    pub deletes: Vec<String>,
    /// How many records the provider sent in the pages this write carries.
    pub fetched: u64,
    /// How many provider pages this write carries (the engine coalesces small pages).
    pub pages: u64,
    pub checkpoint: SyncCheckpoint,
}

/// What one page write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct PageCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub deleted: u64,
}

impl PageCounts {
    /// Records written (created, updated or deleted): each also wrote one change-log entry.
    pub fn written(&self) -> u64 {
        self.created + self.updated + self.deleted
    }
}

/// Where a sync run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncRunStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
}

impl SyncRunStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Queued, Self::Running, Self::Succeeded, Self::Failed].into_iter().find(|s| s.as_str() == text)
    }
}

/// A sync to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSyncRun {
    pub network_id: NetworkId,
    pub connection_id: ConnectionId,
    pub franchisee_id: Option<FranchiseeId>,
    pub location_id: Option<LocationId>,
    pub mode: SyncMode,
    /// Who asked: `api`, `schedule`, `webhook`, `cli`.
    pub trigger: String,
}

/// One sync of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SyncRun {
    pub id: SyncRunId,
    pub network_id: NetworkId,
    pub connection_id: ConnectionId,
    pub franchisee_id: Option<FranchiseeId>,
    pub location_id: Option<LocationId>,
    pub mode: SyncMode,
    pub trigger: String,
    pub status: SyncRunStatus,
    pub checkpoint: SyncCheckpoint,
    /// Records the provider sent.
    pub fetched: u64,
    pub created: u64,
    pub updated: u64,
    pub deleted: u64,
    pub unchanged: u64,
    pub pages: u64,
    /// What went wrong, oldest first (retried failures and the final one).
    pub errors: Vec<String>,
    pub requested_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// From start to finish (or to now, while running).
    pub duration_ms: Option<i64>,
}

/// Where the next incremental sync of one (connection, model) starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncCursor {
    pub high_water: Option<DateTime<Utc>>,
    pub last_run_id: SyncRunId,
    pub last_full_sync_at: Option<DateTime<Utc>>,
    pub last_synced_at: DateTime<Utc>,
}

/// Which records a list returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFilter {
    pub model: Model,
    pub location_id: Option<LocationId>,
    pub connection_id: Option<ConnectionId>,
    /// Only records the hub changed at or after this instant.
    pub updated_since: Option<DateTime<Utc>>,
    /// Include soft-deleted records.
    pub include_deleted: bool,
}

impl RecordFilter {
    /// Every live record of `model`.
    pub fn model(model: Model) -> Self {
        Self { model, location_id: None, connection_id: None, updated_since: None, include_deleted: false }
    }
}

/// Storage for records, changes and sync state.
#[async_trait]
pub trait RecordStore: Send + Sync {
    /// Queues a sync, or returns the connection's unfinished one (`false`: nothing new).
    async fn create_sync_run(&self, new: NewSyncRun) -> StoreResult<(SyncRun, bool)>;
    /// One run in scope.
    async fn get_sync_run(&self, scope: &TenantScope, id: &SyncRunId) -> StoreResult<SyncRun>;
    /// Runs in scope (of one connection, if named), newest first.
    async fn list_sync_runs(
        &self,
        scope: &TenantScope,
        connection_id: Option<&ConnectionId>,
        page: &PageRequest,
    ) -> StoreResult<Page<SyncRun>>;
    /// Marks a queued run running (a resumed run stays running); returns it with its checkpoint.
    async fn start_sync_run(&self, network_id: &NetworkId, id: &SyncRunId) -> StoreResult<SyncRun>;
    /// Writes one page: upserts, deletes, their change entries, the run's counters and checkpoint,
    /// in one transaction. Refuses a page for a run that is not running.
    async fn apply_sync_page(&self, page: SyncPage) -> StoreResult<PageCounts>;
    /// Ends the walk of `model`: with `sweep`, soft-deletes the connection's records of the model
    /// that this run did not see; saves `high_water` as the model's incremental start; moves the
    /// checkpoint to the next model. Returns how many records the sweep deleted.
    async fn complete_sync_model(
        &self,
        network_id: &NetworkId,
        run_id: &SyncRunId,
        model: Model,
        high_water: Option<DateTime<Utc>>,
        sweep: bool,
    ) -> StoreResult<u64>;
    /// Records a failure the run will retry from its checkpoint.
    async fn record_sync_error(&self, network_id: &NetworkId, id: &SyncRunId, error: &str) -> StoreResult<()>;
    /// Ends a run: succeeded, or failed with the reason.
    async fn finish_sync_run(
        &self,
        network_id: &NetworkId,
        id: &SyncRunId,
        failure: Option<&str>,
    ) -> StoreResult<SyncRun>;
    /// Active (or failing) connections to one of `providers` with no sync requested after
    /// `before`, the longest-waiting first: the schedule's work list.
    async fn connections_due_for_sync(
        &self,
        providers: &[&str],
        before: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<hub_core::connection::Connection>>;
    /// Where the next incremental sync of (connection, model) starts, if it ever ran.
    async fn sync_cursor(
        &self,
        network_id: &NetworkId,
        connection_id: &ConnectionId,
        model: Model,
    ) -> StoreResult<Option<SyncCursor>>;

    /// Records in scope, by id.
    async fn list_records(
        &self,
        scope: &TenantScope,
        filter: &RecordFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<StoredRecord>>;
    /// One record in scope.
    async fn get_record(&self, scope: &TenantScope, model: Model, id: &RecordId) -> StoreResult<StoredRecord>;
    /// Live records in scope per model.
    async fn count_records(&self, scope: &TenantScope) -> StoreResult<Vec<(Model, u64)>>;
    /// Changes in scope after `after_seq`, oldest first.
    async fn list_changes(&self, scope: &TenantScope, after_seq: i64, limit: u32) -> StoreResult<Vec<Change>>;
}
