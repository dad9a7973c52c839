//! Running one sync: walk each model the connector reads, page by page, writing the pages with
//! the run's checkpoint in one transaction, so a run interrupted anywhere resumes from its last
//! written page with no duplicate and no gap.

use chrono::{TimeDelta, Utc};
use hub_connectors::source::{FetchRequest, ProviderApi, SourceConnector};
use hub_core::access::TenantScope;
use hub_core::connection::{Connection, ConnectionStatus};
use hub_core::id::{NetworkId, SyncRunId};
use hub_core::records::{Model, SyncMode};
use hub_store::{SyncCheckpoint, SyncPage, SyncRun};
use tokio_util::sync::CancellationToken;

use crate::SyncEngine;
use crate::error::SyncError;
use crate::placement::place;

impl SyncEngine {
    /// Runs (or resumes) sync run `run_id` to the end. Stops early, with the checkpoint saved, when
    /// `stop` fires (the worker lost the job's lease or is shutting down) or a page cannot be
    /// fetched; the error says whether another attempt can help.
    pub async fn run(
        &self,
        network_id: &NetworkId,
        run_id: &SyncRunId,
        stop: &CancellationToken,
    ) -> Result<SyncRun, SyncError> {
        let run = self.store.start_sync_run(network_id, run_id).await?;
        let scope = TenantScope::network(network_id.clone());
        let connection = self.store.get_connection(&scope, &run.connection_id).await?;
        check_syncable(&connection)?;
        let connector = self
            .connectors
            .get(&connection.provider)
            .ok_or_else(|| SyncError::NoConnector { provider: connection.provider.clone() })?;
        let api = self.access.api_for(&connection, crate::call_priority(run.mode, &run.trigger)).await?;
        tracing::info!(
            run = %run.id, connection = %connection.id, provider = %connection.provider, mode = run.mode.as_str(),
            "sync run started"
        );
        let mut checkpoint = run.checkpoint.clone();
        for &model in connector.models() {
            if checkpoint.done.contains(&model) {
                continue;
            }
            self.walk(&run, &connection, &*connector, &*api, model, &mut checkpoint, stop).await?;
        }
        let finished = self.store.finish_sync_run(network_id, run_id, None).await?;
        tracing::info!(
            run = %finished.id, connection = %connection.id, fetched = finished.fetched, created = finished.created,
            updated = finished.updated, deleted = finished.deleted, unchanged = finished.unchanged,
            duration_ms = finished.duration_ms, "sync run succeeded"
        );
        Ok(finished)
    }

    /// Walks one model from the checkpoint to its last page, then completes it (sweeping what a
    /// full sync did not see).
    #[allow(clippy::too_many_arguments)]
    async fn walk(
        &self,
        run: &SyncRun,
        connection: &Connection,
        connector: &dyn SourceConnector,
        api: &dyn ProviderApi,
        model: Model,
        checkpoint: &mut SyncCheckpoint,
        stop: &CancellationToken,
    ) -> Result<(), SyncError> {
        if checkpoint.model != Some(model) {
            *checkpoint = SyncCheckpoint {
                done: std::mem::take(&mut checkpoint.done),
                model: Some(model),
                walk_started_at: Some(Utc::now()),
                ..SyncCheckpoint::default()
            };
        }
        let changed_since = match run.mode {
            SyncMode::Full => None,
            SyncMode::Incremental => self
                .store
                .sync_cursor(&run.network_id, &run.connection_id, model)
                .await?
                .and_then(|cursor| cursor.high_water)
                .map(|high_water| high_water - TimeDelta::from_std(self.settings.overlap).unwrap_or(TimeDelta::zero())),
        };
        let started_at = checkpoint.walk_started_at.unwrap_or_else(Utc::now);
        let mut batch = WriteBatch::default();
        while !checkpoint.walk_finished {
            if stop.is_cancelled() {
                return Err(SyncError::Interrupted);
            }
            let request =
                FetchRequest { model, mode: run.mode, changed_since, cursor: checkpoint.cursor.as_deref(), started_at };
            let fetch_started = std::time::Instant::now();
            let page = connector.fetch(api, request).await?;
            tracing::debug!(
                model = model.as_str(),
                fetch_us = fetch_started.elapsed().as_micros() as u64,
                "page fetched"
            );
            batch.fetched += (page.records.len() + page.deleted.len()) as u64;
            batch.pages += 1;
            let placed = place(connection, page.records);
            checkpoint.high_water = checkpoint.high_water.max(placed.newest);
            checkpoint.walk_finished = page.next_cursor.is_none();
            checkpoint.cursor = page.next_cursor;
            for refusal in &placed.refused {
                tracing::warn!(run = %run.id, connection = %connection.id, "{refusal}");
                self.store.record_sync_error(&run.network_id, &run.id, refusal).await?;
            }
            batch.upserts.extend(placed.upserts);
            batch.deletes.extend(page.deleted);
            if checkpoint.walk_finished || batch.is_due(self.settings.batch_records, self.settings.batch_wait) {
                self.write(run, connection, model, std::mem::take(&mut batch), checkpoint).await?;
            }
        }
        let swept = self
            .store
            .complete_sync_model(&run.network_id, &run.id, model, checkpoint.high_water, run.mode == SyncMode::Full)
            .await?;
        if swept > 0 {
            tracing::info!(run = %run.id, model = model.as_str(), swept, "full sync deleted what the provider no longer has");
        }
        checkpoint.done.push(model);
        checkpoint.model = None;
        checkpoint.cursor = None;
        checkpoint.high_water = None;
        checkpoint.walk_started_at = None;
        checkpoint.walk_finished = false;
        Ok(())
    }
}

/// Pages read but not yet written. Small provider pages (Square's lists give 100 records) are
/// written together, with the checkpoint after the last of them, so a sync commits (and fsyncs)
/// about once per thousand records rather than once per page; a crash loses only what was not yet
/// written, which the resumed walk reads again.
#[derive(Default)]
struct WriteBatch {
    upserts: Vec<hub_store::RecordUpsert>,
    deletes: Vec<String>,
    fetched: u64,
    pages: u64,
    since: Option<std::time::Instant>,
}

impl WriteBatch {
    /// Whether the batch holds `records` or more, or its first page has waited `wait`.
    fn is_due(&mut self, records: usize, wait: std::time::Duration) -> bool {
        let since = *self.since.get_or_insert_with(std::time::Instant::now);
        self.upserts.len() + self.deletes.len() >= records || since.elapsed() >= wait
    }
}

impl SyncEngine {
    /// Writes a batch of pages with the checkpoint after them, in one transaction.
    async fn write(
        &self,
        run: &SyncRun,
        connection: &Connection,
        model: Model,
        batch: WriteBatch,
        checkpoint: &SyncCheckpoint,
    ) -> Result<(), SyncError> {
        let (fetched, pages) = (batch.fetched, batch.pages);
        let written = SyncPage {
            network_id: run.network_id.clone(),
            run_id: run.id.clone(),
            connection_id: connection.id.clone(),
            provider: connection.provider.clone(),
            model,
            mark_seen: run.mode == SyncMode::Full,
            upserts: batch.upserts,
            deletes: batch.deletes,
            fetched,
            pages,
            checkpoint: checkpoint.clone(),
        };
        let write_started = std::time::Instant::now();
        let counts = self.store.apply_sync_page(written).await?;
        tracing::debug!(write_us = write_started.elapsed().as_micros() as u64, records = fetched, "batch written");
        tracing::debug!(
            run = %run.id, model = model.as_str(), fetched, pages, created = counts.created, updated = counts.updated,
            unchanged = counts.unchanged, deleted = counts.deleted, "sync pages written"
        );
        Ok(())
    }
}

/// Refuses connections nobody can sync until a person acts.
pub(crate) fn check_syncable(connection: &Connection) -> Result<(), SyncError> {
    let reason = || connection.last_error.clone().unwrap_or_else(|| "no usable credentials".to_owned());
    match connection.status {
        ConnectionStatus::Active | ConnectionStatus::Refreshing | ConnectionStatus::Failing => Ok(()),
        status @ (ConnectionStatus::Pending | ConnectionStatus::Revoked | ConnectionStatus::NeedsReauthorization) => {
            Err(SyncError::NotSyncable { status: status.as_str(), reason: reason() })
        }
    }
}
