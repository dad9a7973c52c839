//! Row shapes of the record, change and sync tables, their conversion into domain types, and the
//! JSON row sets the batch statements unpack. A row that does not parse back surfaces as
//! [`StoreError::Corrupt`], never a panic.

use chrono::{DateTime, SecondsFormat, Utc};
use hub_core::audit::truncate_to_micros;
use hub_core::id::{ConnectionId, FranchiseeId, LocationId, NetworkId, RecordId, SyncRunId};
use hub_core::records::{Change, ChangeKind, Model, StoredRecord, SyncMode};

use crate::StoreError;
use crate::records::{SyncCheckpoint, SyncCursor, SyncRun, SyncRunStatus};

fn corrupt(column: &str, text: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{column} `{text}`: {why}"))
}

fn id<T>(
    column: &str,
    text: &str,
    parse: impl FnOnce(&str) -> Result<T, hub_core::ValidationError>,
) -> Result<T, StoreError> {
    parse(text).map_err(|error| corrupt(column, text, error))
}

fn optional_id<T>(
    column: &str,
    text: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, hub_core::ValidationError>,
) -> Result<Option<T>, StoreError> {
    text.map(|text| id(column, text, parse)).transpose()
}

fn model(column: &str, text: &str) -> Result<Model, StoreError> {
    Model::parse(text).ok_or_else(|| corrupt(column, text, "unknown model"))
}

fn count(column: &str, value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|error| corrupt(column, &value.to_string(), error))
}

/// An instant in the text form the SQLite driver binds (and PostgreSQL parses), for JSON row sets.
pub(crate) fn instant_text(at: DateTime<Utc>) -> String {
    truncate_to_micros(at).to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// The columns of `records` the API reads.
macro_rules! record_columns {
    () => {
        "network_id, id, model, connection_id, external_id, provider, franchisee_id, location_id, \
         provider_location_id, remote_updated_at, content_hash, version, data, deleted_at, created_at, \
         updated_at"
    };
}
macro_rules! change_columns {
    () => {
        "seq, kind, model, record_id, version, franchisee_id, location_id, connection_id, external_id, at"
    };
}
macro_rules! sync_run_columns {
    () => {
        "network_id, id, connection_id, franchisee_id, location_id, mode, trigger_kind, status, checkpoint, fetched, \
         created, updated, deleted, unchanged, pages, errors, requested_at, started_at, finished_at"
    };
}
pub(crate) use {change_columns, record_columns, sync_run_columns};

#[derive(sqlx::FromRow)]
pub(crate) struct RecordRow {
    pub network_id: String,
    pub id: String,
    pub model: String,
    pub connection_id: String,
    pub external_id: String,
    pub provider: String,
    pub franchisee_id: Option<String>,
    pub location_id: Option<String>,
    pub provider_location_id: Option<String>,
    pub remote_updated_at: Option<DateTime<Utc>>,
    pub content_hash: String,
    pub version: i64,
    pub data: String,
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<RecordRow> for StoredRecord {
    type Error = StoreError;
    fn try_from(row: RecordRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: id("records.id", &row.id, RecordId::parse)?,
            model: model("records.model", &row.model)?,
            network_id: id("records.network_id", &row.network_id, NetworkId::parse)?,
            franchisee_id: optional_id("records.franchisee_id", row.franchisee_id.as_deref(), FranchiseeId::parse)?,
            location_id: optional_id("records.location_id", row.location_id.as_deref(), LocationId::parse)?,
            connection_id: id("records.connection_id", &row.connection_id, ConnectionId::parse)?,
            provider: row.provider,
            external_id: row.external_id,
            provider_location_id: row.provider_location_id,
            remote_updated_at: row.remote_updated_at,
            content_hash: row.content_hash,
            version: row.version,
            deleted_at: row.deleted_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
            data: serde_json::from_str(&row.data).map_err(|error| corrupt("records.data", &row.id, error))?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ChangeRow {
    pub seq: i64,
    pub kind: String,
    pub model: String,
    pub record_id: String,
    pub version: i64,
    pub franchisee_id: Option<String>,
    pub location_id: Option<String>,
    pub connection_id: String,
    pub external_id: String,
    pub at: DateTime<Utc>,
}

impl TryFrom<ChangeRow> for Change {
    type Error = StoreError;
    fn try_from(row: ChangeRow) -> Result<Self, StoreError> {
        Ok(Self {
            seq: row.seq,
            kind: ChangeKind::parse(&row.kind).ok_or_else(|| corrupt("changes.kind", &row.kind, "unknown kind"))?,
            model: model("changes.model", &row.model)?,
            record_id: id("changes.record_id", &row.record_id, RecordId::parse)?,
            version: row.version,
            franchisee_id: optional_id("changes.franchisee_id", row.franchisee_id.as_deref(), FranchiseeId::parse)?,
            location_id: optional_id("changes.location_id", row.location_id.as_deref(), LocationId::parse)?,
            connection_id: id("changes.connection_id", &row.connection_id, ConnectionId::parse)?,
            external_id: row.external_id,
            at: row.at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SyncRunRow {
    pub network_id: String,
    pub id: String,
    pub connection_id: String,
    pub franchisee_id: Option<String>,
    pub location_id: Option<String>,
    pub mode: String,
    pub trigger_kind: String,
    pub status: String,
    pub checkpoint: String,
    pub fetched: i64,
    pub created: i64,
    pub updated: i64,
    pub deleted: i64,
    pub unchanged: i64,
    pub pages: i64,
    pub errors: String,
    pub requested_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl TryFrom<SyncRunRow> for SyncRun {
    type Error = StoreError;
    fn try_from(row: SyncRunRow) -> Result<Self, StoreError> {
        let checkpoint: SyncCheckpoint =
            serde_json::from_str(&row.checkpoint).map_err(|error| corrupt("sync_runs.checkpoint", &row.id, error))?;
        let errors: Vec<String> =
            serde_json::from_str(&row.errors).map_err(|error| corrupt("sync_runs.errors", &row.id, error))?;
        let duration_ms =
            row.started_at.map(|start| (row.finished_at.unwrap_or_else(Utc::now) - start).num_milliseconds());
        Ok(Self {
            id: id("sync_runs.id", &row.id, SyncRunId::parse)?,
            network_id: id("sync_runs.network_id", &row.network_id, NetworkId::parse)?,
            connection_id: id("sync_runs.connection_id", &row.connection_id, ConnectionId::parse)?,
            franchisee_id: optional_id("sync_runs.franchisee_id", row.franchisee_id.as_deref(), FranchiseeId::parse)?,
            location_id: optional_id("sync_runs.location_id", row.location_id.as_deref(), LocationId::parse)?,
            mode: SyncMode::parse(&row.mode).ok_or_else(|| corrupt("sync_runs.mode", &row.mode, "unknown mode"))?,
            trigger: row.trigger_kind,
            status: SyncRunStatus::parse(&row.status)
                .ok_or_else(|| corrupt("sync_runs.status", &row.status, "unknown status"))?,
            checkpoint,
            fetched: count("sync_runs.fetched", row.fetched)?,
            created: count("sync_runs.created", row.created)?,
            updated: count("sync_runs.updated", row.updated)?,
            deleted: count("sync_runs.deleted", row.deleted)?,
            unchanged: count("sync_runs.unchanged", row.unchanged)?,
            pages: count("sync_runs.pages", row.pages)?,
            errors,
            requested_at: row.requested_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
            duration_ms,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SyncCursorRow {
    pub high_water: Option<DateTime<Utc>>,
    pub last_run_id: String,
    pub last_full_sync_at: Option<DateTime<Utc>>,
    pub last_synced_at: DateTime<Utc>,
}

impl TryFrom<SyncCursorRow> for SyncCursor {
    type Error = StoreError;
    fn try_from(row: SyncCursorRow) -> Result<Self, StoreError> {
        Ok(Self {
            high_water: row.high_water,
            last_run_id: id("sync_cursors.last_run_id", &row.last_run_id, SyncRunId::parse)?,
            last_full_sync_at: row.last_full_sync_at,
            last_synced_at: row.last_synced_at,
        })
    }
}

/// What the page write learnt about a record already stored.
#[derive(sqlx::FromRow)]
pub(crate) struct ExistingRow {
    pub external_id: String,
    pub id: String,
    pub content_hash: String,
    pub version: i64,
    pub deleted: bool,
}

/// One record row of a batch statement, borrowed from its upsert: (record id, external id,
/// franchisee, location, provider location, occurred at, remote updated at, content hash, data,
/// version), serialized as a JSON array without copying the record's data first.
#[derive(serde::Serialize)]
struct UpsertRow<'a>(
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<String>,
    Option<String>,
    &'a str,
    &'a str,
    i64,
);

/// The rows of a batch insert or update as one JSON array.
pub(crate) fn upsert_rows_json(rows: &[(String, &crate::records::RecordUpsert, i64)]) -> String {
    let rows: Vec<UpsertRow<'_>> = rows
        .iter()
        .map(|(record_id, upsert, version)| {
            UpsertRow(
                record_id,
                &upsert.external_id,
                upsert.franchisee_id.as_ref().map(|id| id.as_str()),
                upsert.location_id.as_ref().map(|id| id.as_str()),
                upsert.provider_location_id.as_deref(),
                upsert.occurred_at.map(instant_text),
                upsert.remote_updated_at.map(instant_text),
                &upsert.content_hash,
                &upsert.data,
                *version,
            )
        })
        .collect();
    serde_json::to_string(&rows).expect("strings and numbers serialize")
}

/// One change entry to insert, before it has its sequence number.
pub(crate) struct PendingChange {
    pub kind: ChangeKind,
    pub record_id: String,
    pub version: i64,
    pub franchisee_id: Option<String>,
    pub location_id: Option<String>,
    pub external_id: String,
}

/// The change rows as one JSON array (seq, kind, model, record_id, version, franchisee_id,
/// location_id, connection_id, external_id), numbered from `first_seq`.
pub(crate) fn change_rows_json(changes: &[PendingChange], first_seq: i64, model: Model, connection_id: &str) -> String {
    #[derive(serde::Serialize)]
    struct ChangeRowJson<'a>(i64, &'a str, &'a str, &'a str, i64, Option<&'a str>, Option<&'a str>, &'a str, &'a str);
    let rows: Vec<ChangeRowJson<'_>> = changes
        .iter()
        .zip(first_seq..)
        .map(|(change, seq)| {
            ChangeRowJson(
                seq,
                change.kind.as_str(),
                model.as_str(),
                &change.record_id,
                change.version,
                change.franchisee_id.as_deref(),
                change.location_id.as_deref(),
                connection_id,
                &change.external_id,
            )
        })
        .collect();
    serde_json::to_string(&rows).expect("strings and numbers serialize")
}
