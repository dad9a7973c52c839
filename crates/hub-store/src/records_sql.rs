//! The SQL behind [`crate::RecordStore`], written once and expanded for both backends inside a
//! module of their own (it reuses `impl_sql_store!`'s helpers: `now`, `opt`, `Tx`).
//!
//! A page write is a handful of statements whatever its size: one read of the records the page
//! names, one batch insert, one batch update, one mark, one delete, one change-log insert and one
//! run update, each batch carried by a single JSON parameter. What differs between the backends is
//! passed in: how a JSON array parameter becomes a row set or a list, the type instants are cast
//! to, and the row locks PostgreSQL needs where SQLite's single writer already serialises.

/// Implements [`crate::RecordStore`] for `$store` (with `reader` and `writer` pools).
macro_rules! impl_record_store {
    (
        store: $store:ident,
        in_json: ($json_open:literal, $json_close:literal),
        rows: ($rows_open:literal, $rows_close:literal),
        instant: $instant:literal,
        for_update: $for_update:literal
    ) => {
        mod record_store {
            use super::*;
            use std::collections::HashMap;

            use chrono::DateTime;
            use hub_core::id::{ConnectionId, RecordId, SyncRunId};
            use hub_core::records::{Change, ChangeKind, Model, StoredRecord};

            use crate::records::{
                MAX_PAGE_RECORDS, NewSyncRun, PageCounts, RecordFilter, RecordStore, RecordUpsert, SyncCheckpoint,
                SyncCursor, SyncPage, SyncRun, SyncRunStatus,
            };
            use crate::records_rows::{
                ChangeRow, ExistingRow, PendingChange, RecordRow, SyncCursorRow, SyncRunRow, change_columns,
                change_rows_json, record_columns, sync_run_columns, upsert_rows_json,
            };

            /// At most this many errors are kept on a run (the oldest are dropped).
            const MAX_RUN_ERRORS: usize = 20;

            fn count(value: u64, field: &str) -> StoreResult<i64> {
                i64::try_from(value).map_err(|_| {
                    StoreError::Invalid(hub_core::ValidationError::new("is too large").for_field(field))
                })
            }

            fn checkpoint_json(checkpoint: &SyncCheckpoint) -> String {
                serde_json::to_string(checkpoint).expect("a checkpoint serializes: plain fields")
            }

            fn list_json<T: AsRef<str>>(items: &[T]) -> String {
                crate::jobs::json_list(items)
            }

            async fn fetch_run(tx: &mut Tx<'_>, network_id: &NetworkId, id: &SyncRunId) -> StoreResult<SyncRun> {
                let row: Option<SyncRunRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    sync_run_columns!(),
                    " FROM sync_runs WHERE network_id = $1 AND id = $2",
                    $for_update
                ))
                .bind(network_id.as_str())
                .bind(id.as_str())
                .fetch_optional(&mut **tx)
                .await?;
                row.ok_or(StoreError::NotFound { resource: "sync run" })?.try_into()
            }

            async fn require_running(tx: &mut Tx<'_>, network_id: &NetworkId, id: &SyncRunId) -> StoreResult<SyncRun> {
                let run = fetch_run(tx, network_id, id).await?;
                if run.status != SyncRunStatus::Running {
                    return Err(StoreError::conflict(format!("sync run {id} is {}, not running", run.status.as_str())));
                }
                Ok(run)
            }

            /// Numbers `changes` from the network's head and inserts them, in the caller's transaction.
            async fn append_changes(
                tx: &mut Tx<'_>,
                network_id: &NetworkId,
                model: Model,
                connection_id: &str,
                changes: &[PendingChange],
                at: DateTime<Utc>,
            ) -> StoreResult<()> {
                if changes.is_empty() {
                    return Ok(());
                }
                sqlx::query("INSERT INTO change_heads (network_id, seq) VALUES ($1, 0) ON CONFLICT (network_id) DO NOTHING")
                    .bind(network_id.as_str())
                    .execute(&mut **tx)
                    .await?;
                let added = count(changes.len() as u64, "changes")?;
                let (last,): (i64,) =
                    sqlx::query_as("UPDATE change_heads SET seq = seq + $2 WHERE network_id = $1 RETURNING seq")
                        .bind(network_id.as_str())
                        .bind(added)
                        .fetch_one(&mut **tx)
                        .await?;
                let rows = change_rows_json(changes, last - added + 1, model, connection_id);
                sqlx::query(concat!(
                    "INSERT INTO changes (network_id, seq, kind, model, record_id, version, franchisee_id, location_id, \
                     connection_id, external_id, at) SELECT $1, CAST(v.value ->> 0 AS BIGINT), v.value ->> 1, \
                     v.value ->> 2, v.value ->> 3, CAST(v.value ->> 4 AS BIGINT), v.value ->> 5, v.value ->> 6, \
                     v.value ->> 7, v.value ->> 8, $2 FROM ",
                    $rows_open,
                    "$3",
                    $rows_close
                ))
                .bind(network_id.as_str())
                .bind(at)
                .bind(rows)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            /// The deleted rows a soft-delete statement returned, as change entries.
            type DeletedRow = (String, i64, Option<String>, Option<String>, String);

            fn deleted_changes(rows: Vec<DeletedRow>) -> Vec<PendingChange> {
                rows.into_iter()
                    .map(|(record_id, version, franchisee_id, location_id, external_id)| PendingChange {
                        kind: ChangeKind::Deleted,
                        record_id,
                        version,
                        franchisee_id,
                        location_id,
                        external_id,
                    })
                    .collect()
            }

            /// The upserts of a page with repeated external ids collapsed to the last one.
            fn last_per_external_id(upserts: Vec<RecordUpsert>) -> Vec<RecordUpsert> {
                let mut position: HashMap<String, usize> = HashMap::with_capacity(upserts.len());
                let mut kept: Vec<RecordUpsert> = Vec::with_capacity(upserts.len());
                for upsert in upserts {
                    match position.get(&upsert.external_id) {
                        Some(&index) => kept[index] = upsert,
                        None => {
                            position.insert(upsert.external_id.clone(), kept.len());
                            kept.push(upsert);
                        }
                    }
                }
                kept
            }

            fn change_for(kind: ChangeKind, record_id: String, upsert: &RecordUpsert, version: i64) -> PendingChange {
                PendingChange {
                    kind,
                    record_id,
                    version,
                    franchisee_id: upsert.franchisee_id.as_ref().map(|id| id.to_string()),
                    location_id: upsert.location_id.as_ref().map(|id| id.to_string()),
                    external_id: upsert.external_id.clone(),
                }
            }

            #[async_trait]
            impl RecordStore for $store {
                async fn create_sync_run(&self, new: NewSyncRun) -> StoreResult<(SyncRun, bool)> {
                    let mut tx = self.writer.begin().await?;
                    let inserted: Option<SyncRunRow> = sqlx::query_as(concat!(
                        "INSERT INTO sync_runs (network_id, id, connection_id, franchisee_id, location_id, mode, \
                         trigger_kind, status, checkpoint, requested_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $9) ON CONFLICT DO NOTHING RETURNING ",
                        sync_run_columns!()
                    ))
                    .bind(new.network_id.as_str())
                    .bind(SyncRunId::new().as_str())
                    .bind(new.connection_id.as_str())
                    .bind(opt(new.franchisee_id.as_ref()))
                    .bind(opt(new.location_id.as_ref()))
                    .bind(new.mode.as_str())
                    .bind(&new.trigger)
                    .bind(checkpoint_json(&SyncCheckpoint::default()))
                    .bind(now())
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(row) = inserted {
                        tx.commit().await?;
                        return Ok((row.try_into()?, true));
                    }
                    // A run is unfinished: a full sync asked of a queued incremental one upgrades it.
                    if new.mode == hub_core::records::SyncMode::Full {
                        sqlx::query(
                            "UPDATE sync_runs SET mode = 'full' WHERE network_id = $1 AND connection_id = $2 \
                             AND status = 'queued'",
                        )
                        .bind(new.network_id.as_str())
                        .bind(new.connection_id.as_str())
                        .execute(&mut *tx)
                        .await?;
                    }
                    let active: Option<SyncRunRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        sync_run_columns!(),
                        " FROM sync_runs WHERE network_id = $1 AND connection_id = $2 AND status IN ('queued', 'running')"
                    ))
                    .bind(new.network_id.as_str())
                    .bind(new.connection_id.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    match active {
                        Some(row) => Ok((row.try_into()?, false)),
                        None => Err(StoreError::conflict("the connection's sync finished meanwhile; ask again")),
                    }
                }

                async fn get_sync_run(&self, scope: &TenantScope, id: &SyncRunId) -> StoreResult<SyncRun> {
                    let row: Option<SyncRunRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        sync_run_columns!(),
                        " FROM sync_runs WHERE network_id = $1 AND id = $2 AND ($3 IS NULL OR franchisee_id = $3) \
                         AND ($4 IS NULL OR location_id = $4)"
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(id.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(opt(scope.location_id.as_ref()))
                    .fetch_optional(&self.reader)
                    .await?;
                    row.ok_or(StoreError::NotFound { resource: "sync run" })?.try_into()
                }

                async fn list_sync_runs(
                    &self,
                    scope: &TenantScope,
                    connection_id: Option<&ConnectionId>,
                    page: &PageRequest,
                ) -> StoreResult<Page<SyncRun>> {
                    let rows: Vec<SyncRunRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        sync_run_columns!(),
                        " FROM sync_runs WHERE network_id = $1 AND ($2 IS NULL OR franchisee_id = $2) \
                         AND ($3 IS NULL OR location_id = $3) AND ($4 IS NULL OR connection_id = $4) \
                         AND ($5 IS NULL OR id < $5) ORDER BY id DESC LIMIT $6"
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(opt(scope.location_id.as_ref()))
                    .bind(opt(connection_id))
                    .bind(page.after.as_deref())
                    .bind(i64::from(page.limit) + 1)
                    .fetch_all(&self.reader)
                    .await?;
                    let runs = convert_all(rows)?;
                    Ok(Page::from_rows(runs, page.limit, |run: &SyncRun| run.id.to_string()))
                }

                async fn start_sync_run(&self, network_id: &NetworkId, id: &SyncRunId) -> StoreResult<SyncRun> {
                    let mut tx = self.writer.begin().await?;
                    let row: Option<SyncRunRow> = sqlx::query_as(concat!(
                        "UPDATE sync_runs SET status = 'running', started_at = COALESCE(started_at, $3) \
                         WHERE network_id = $1 AND id = $2 AND status IN ('queued', 'running') RETURNING ",
                        sync_run_columns!()
                    ))
                    .bind(network_id.as_str())
                    .bind(id.as_str())
                    .bind(now())
                    .fetch_optional(&mut *tx)
                    .await?;
                    let run = match row {
                        Some(row) => row.try_into()?,
                        None => {
                            let run = fetch_run(&mut tx, network_id, id).await?;
                            return Err(StoreError::conflict(format!(
                                "sync run {id} already {}",
                                run.status.as_str()
                            )));
                        }
                    };
                    tx.commit().await?;
                    Ok(run)
                }

                async fn apply_sync_page(&self, page: SyncPage) -> StoreResult<PageCounts> {
                    if page.upserts.len() + page.deletes.len() > MAX_PAGE_RECORDS {
                        return Err(StoreError::Invalid(
                            hub_core::ValidationError::new(format!("a page holds at most {MAX_PAGE_RECORDS} records"))
                                .for_field("records"),
                        ));
                    }
                    let at = now();
                    let network = page.network_id.as_str();
                    let connection = page.connection_id.as_str();
                    let model = page.model.as_str();
                    let mut tx = self.writer.begin().await?;
                    require_running(&mut tx, &page.network_id, &page.run_id).await?;

                    let upserts = last_per_external_id(page.upserts);
                    let external_ids: Vec<&str> = upserts.iter().map(|u| u.external_id.as_str()).collect();
                    let existing: Vec<ExistingRow> = if upserts.is_empty() {
                        Vec::new()
                    } else {
                        sqlx::query_as(concat!(
                            "SELECT external_id, id, content_hash, version, deleted_at IS NOT NULL AS deleted \
                             FROM records WHERE network_id = $1 AND connection_id = $2 AND model = $3 AND external_id",
                            $json_open,
                            "$4",
                            $json_close,
                            $for_update
                        ))
                        .bind(network)
                        .bind(connection)
                        .bind(model)
                        .bind(list_json(&external_ids))
                        .fetch_all(&mut *tx)
                        .await?
                    };
                    let existing: HashMap<String, ExistingRow> =
                        existing.into_iter().map(|row| (row.external_id.clone(), row)).collect();

                    let mut counts = PageCounts::default();
                    let (mut inserts, mut updates, mut unchanged, mut changes) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
                    for upsert in &upserts {
                        match existing.get(&upsert.external_id) {
                            None => {
                                let id = RecordId::new().to_string();
                                inserts.push((id.clone(), upsert, 1));
                                changes.push(change_for(ChangeKind::Created, id, upsert, 1));
                                counts.created += 1;
                            }
                            Some(row) if row.content_hash == upsert.content_hash && !row.deleted => {
                                unchanged.push(row.id.as_str());
                                counts.unchanged += 1;
                            }
                            Some(row) => {
                                let version = row.version + 1;
                                updates.push((row.id.clone(), upsert, version));
                                changes.push(change_for(ChangeKind::Updated, row.id.clone(), upsert, version));
                                counts.updated += 1;
                            }
                        }
                    }
                    if !inserts.is_empty() {
                        sqlx::query(concat!(
                            "INSERT INTO records (network_id, id, model, connection_id, external_id, provider, \
                             franchisee_id, location_id, provider_location_id, occurred_at, remote_updated_at, \
                             content_hash, version, data, seen_run, created_at, updated_at) \
                             SELECT $1, v.value ->> 0, $2, $3, v.value ->> 1, $4, v.value ->> 2, v.value ->> 3, \
                             v.value ->> 4, CAST(v.value ->> 5 AS ",
                            $instant,
                            "), CAST(v.value ->> 6 AS ",
                            $instant,
                            "), v.value ->> 7, 1, v.value ->> 8, $5, $6, $6 FROM ",
                            $rows_open,
                            "$7",
                            $rows_close
                        ))
                        .bind(network)
                        .bind(model)
                        .bind(connection)
                        .bind(&page.provider)
                        .bind(page.run_id.as_str())
                        .bind(at)
                        .bind(upsert_rows_json(&inserts))
                        .execute(&mut *tx)
                        .await?;
                    }
                    if !updates.is_empty() {
                        sqlx::query(concat!(
                            "UPDATE records SET franchisee_id = v.value ->> 2, location_id = v.value ->> 3, \
                             provider_location_id = v.value ->> 4, occurred_at = CAST(v.value ->> 5 AS ",
                            $instant,
                            "), remote_updated_at = CAST(v.value ->> 6 AS ",
                            $instant,
                            "), content_hash = v.value ->> 7, data = v.value ->> 8, \
                             version = CAST(v.value ->> 9 AS BIGINT), deleted_at = NULL, seen_run = $2, updated_at = $3 \
                             FROM ",
                            $rows_open,
                            "$4",
                            $rows_close,
                            " WHERE records.network_id = $1 AND records.id = v.value ->> 0"
                        ))
                        .bind(network)
                        .bind(page.run_id.as_str())
                        .bind(at)
                        .bind(upsert_rows_json(&updates))
                        .execute(&mut *tx)
                        .await?;
                    }
                    if page.mark_seen && !unchanged.is_empty() {
                        sqlx::query(concat!(
                            "UPDATE records SET seen_run = $2 WHERE network_id = $1 AND id",
                            $json_open,
                            "$3",
                            $json_close
                        ))
                        .bind(network)
                        .bind(page.run_id.as_str())
                        .bind(list_json(&unchanged))
                        .execute(&mut *tx)
                        .await?;
                    }
                    if !page.deletes.is_empty() {
                        let deleted: Vec<DeletedRow> = sqlx::query_as(concat!(
                            "UPDATE records SET deleted_at = $4, version = version + 1, updated_at = $4 \
                             WHERE network_id = $1 AND connection_id = $2 AND model = $3 AND deleted_at IS NULL \
                             AND external_id",
                            $json_open,
                            "$5",
                            $json_close,
                            " RETURNING id, version, franchisee_id, location_id, external_id"
                        ))
                        .bind(network)
                        .bind(connection)
                        .bind(model)
                        .bind(at)
                        .bind(list_json(&page.deletes))
                        .fetch_all(&mut *tx)
                        .await?;
                        counts.deleted = deleted.len() as u64;
                        changes.extend(deleted_changes(deleted));
                    }
                    sqlx::query(
                        "UPDATE sync_runs SET fetched = fetched + $3, created = created + $4, updated = updated + $5, \
                         deleted = deleted + $6, unchanged = unchanged + $7, pages = pages + $9, checkpoint = $8 \
                         WHERE network_id = $1 AND id = $2",
                    )
                    .bind(network)
                    .bind(page.run_id.as_str())
                    .bind(count(page.fetched, "fetched")?)
                    .bind(count(counts.created, "created")?)
                    .bind(count(counts.updated, "updated")?)
                    .bind(count(counts.deleted, "deleted")?)
                    .bind(count(counts.unchanged, "unchanged")?)
                    .bind(checkpoint_json(&page.checkpoint))
                    .bind(count(page.pages, "pages")?)
                    .execute(&mut *tx)
                    .await?;
                    // Last: the network's change head stays locked (PostgreSQL) only from here to
                    // the commit, so concurrent syncs in one network overlap everything else.
                    append_changes(&mut tx, &page.network_id, page.model, connection, &changes, at).await?;
                    tx.commit().await?;
                    Ok(counts)
                }

                async fn complete_sync_model(
                    &self,
                    network_id: &NetworkId,
                    run_id: &SyncRunId,
                    model: Model,
                    high_water: Option<DateTime<Utc>>,
                    sweep: bool,
                ) -> StoreResult<u64> {
                    let at = now();
                    let mut tx = self.writer.begin().await?;
                    let run = require_running(&mut tx, network_id, run_id).await?;
                    let connection = run.connection_id.as_str();
                    let mut swept = 0;
                    if sweep {
                        let deleted: Vec<DeletedRow> = sqlx::query_as(
                            "UPDATE records SET deleted_at = $5, version = version + 1, updated_at = $5 \
                             WHERE network_id = $1 AND connection_id = $2 AND model = $3 AND deleted_at IS NULL \
                             AND (seen_run IS NULL OR seen_run <> $4) \
                             RETURNING id, version, franchisee_id, location_id, external_id",
                        )
                        .bind(network_id.as_str())
                        .bind(connection)
                        .bind(model.as_str())
                        .bind(run_id.as_str())
                        .bind(at)
                        .fetch_all(&mut *tx)
                        .await?;
                        swept = deleted.len() as u64;
                        append_changes(&mut tx, network_id, model, connection, &deleted_changes(deleted), at).await?;
                    }
                    let full_at = (run.mode == hub_core::records::SyncMode::Full).then_some(at);
                    sqlx::query(
                        "INSERT INTO sync_cursors (network_id, connection_id, model, high_water, last_run_id, \
                         last_full_sync_at, last_synced_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (network_id, connection_id, model) DO UPDATE SET \
                         high_water = CASE WHEN sync_cursors.high_water IS NULL \
                             OR excluded.high_water > sync_cursors.high_water \
                             THEN excluded.high_water ELSE sync_cursors.high_water END, \
                         last_run_id = excluded.last_run_id, \
                         last_full_sync_at = COALESCE(excluded.last_full_sync_at, sync_cursors.last_full_sync_at), \
                         last_synced_at = excluded.last_synced_at",
                    )
                    .bind(network_id.as_str())
                    .bind(connection)
                    .bind(model.as_str())
                    .bind(high_water.map(truncate_to_micros))
                    .bind(run_id.as_str())
                    .bind(full_at)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                    let mut checkpoint = run.checkpoint;
                    if !checkpoint.done.contains(&model) {
                        checkpoint.done.push(model);
                    }
                    checkpoint.model = None;
                    checkpoint.cursor = None;
                    checkpoint.high_water = None;
                    checkpoint.walk_started_at = None;
                    checkpoint.walk_finished = false;
                    sqlx::query("UPDATE sync_runs SET checkpoint = $3, deleted = deleted + $4 WHERE network_id = $1 AND id = $2")
                        .bind(network_id.as_str())
                        .bind(run_id.as_str())
                        .bind(checkpoint_json(&checkpoint))
                        .bind(count(swept, "deleted")?)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(swept)
                }

                async fn record_sync_error(&self, network_id: &NetworkId, id: &SyncRunId, error: &str) -> StoreResult<()> {
                    let mut tx = self.writer.begin().await?;
                    let run = fetch_run(&mut tx, network_id, id).await?;
                    let mut errors = run.errors;
                    errors.push(crate::jobs_rows::clip_error(error).to_owned());
                    let overflow = errors.len().saturating_sub(MAX_RUN_ERRORS);
                    errors.drain(..overflow);
                    sqlx::query("UPDATE sync_runs SET errors = $3 WHERE network_id = $1 AND id = $2")
                        .bind(network_id.as_str())
                        .bind(id.as_str())
                        .bind(serde_json::to_string(&errors).expect("strings serialize"))
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn finish_sync_run(
                    &self,
                    network_id: &NetworkId,
                    id: &SyncRunId,
                    failure: Option<&str>,
                ) -> StoreResult<SyncRun> {
                    if let Some(failure) = failure {
                        self.record_sync_error(network_id, id, failure).await?;
                    }
                    let status = if failure.is_some() { SyncRunStatus::Failed } else { SyncRunStatus::Succeeded };
                    let row: Option<SyncRunRow> = sqlx::query_as(concat!(
                        "UPDATE sync_runs SET status = $3, finished_at = $4 WHERE network_id = $1 AND id = $2 \
                         AND status IN ('queued', 'running') RETURNING ",
                        sync_run_columns!()
                    ))
                    .bind(network_id.as_str())
                    .bind(id.as_str())
                    .bind(status.as_str())
                    .bind(now())
                    .fetch_optional(&self.writer)
                    .await?;
                    match row {
                        Some(row) => row.try_into(),
                        None => Err(StoreError::conflict(format!("sync run {id} is not running"))),
                    }
                }

                async fn connections_due_for_sync(
                    &self,
                    providers: &[&str],
                    before: DateTime<Utc>,
                    limit: u32,
                ) -> StoreResult<Vec<hub_core::connection::Connection>> {
                    let rows: Vec<crate::connections::ConnectionRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        crate::connections_sql::connection_columns!(),
                        " FROM connections c WHERE c.status IN ('active', 'failing') AND c.provider",
                        $json_open,
                        "$1",
                        $json_close,
                        " AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.network_id = c.network_id \
                         AND r.connection_id = c.id AND r.requested_at > $2) ORDER BY c.created_at LIMIT $3"
                    ))
                    .bind(list_json(providers))
                    .bind(truncate_to_micros(before))
                    .bind(i64::from(limit))
                    .fetch_all(&self.reader)
                    .await?;
                    convert_all(rows)
                }

                async fn sync_cursor(
                    &self,
                    network_id: &NetworkId,
                    connection_id: &ConnectionId,
                    model: Model,
                ) -> StoreResult<Option<SyncCursor>> {
                    let row: Option<SyncCursorRow> = sqlx::query_as(
                        "SELECT high_water, last_run_id, last_full_sync_at, last_synced_at FROM sync_cursors \
                         WHERE network_id = $1 AND connection_id = $2 AND model = $3",
                    )
                    .bind(network_id.as_str())
                    .bind(connection_id.as_str())
                    .bind(model.as_str())
                    .fetch_optional(&self.reader)
                    .await?;
                    row.map(SyncCursor::try_from).transpose()
                }

                async fn list_records(
                    &self,
                    scope: &TenantScope,
                    filter: &RecordFilter,
                    page: &PageRequest,
                ) -> StoreResult<Page<StoredRecord>> {
                    let rows: Vec<RecordRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        record_columns!(),
                        " FROM records WHERE network_id = $1 AND model = $2 AND ($3 IS NULL OR franchisee_id = $3) \
                         AND ($4 IS NULL OR location_id = $4) AND ($5 IS NULL OR location_id = $5) \
                         AND ($6 IS NULL OR connection_id = $6) AND ($7 IS NULL OR updated_at >= $7) \
                         AND ($8 OR deleted_at IS NULL) AND ($9 IS NULL OR id > $9) ORDER BY id LIMIT $10"
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(filter.model.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(opt(scope.location_id.as_ref()))
                    .bind(opt(filter.location_id.as_ref()))
                    .bind(opt(filter.connection_id.as_ref()))
                    .bind(filter.updated_since.map(truncate_to_micros))
                    .bind(filter.include_deleted)
                    .bind(page.after.as_deref())
                    .bind(i64::from(page.limit) + 1)
                    .fetch_all(&self.reader)
                    .await?;
                    let records = convert_all(rows)?;
                    Ok(Page::from_rows(records, page.limit, |record: &StoredRecord| record.id.to_string()))
                }

                async fn get_record(&self, scope: &TenantScope, model: Model, id: &RecordId) -> StoreResult<StoredRecord> {
                    let row: Option<RecordRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        record_columns!(),
                        " FROM records WHERE network_id = $1 AND id = $2 AND model = $3 \
                         AND ($4 IS NULL OR franchisee_id = $4) AND ($5 IS NULL OR location_id = $5)"
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(id.as_str())
                    .bind(model.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(opt(scope.location_id.as_ref()))
                    .fetch_optional(&self.reader)
                    .await?;
                    row.ok_or(StoreError::NotFound { resource: "record" })?.try_into()
                }

                async fn count_records(&self, scope: &TenantScope) -> StoreResult<Vec<(Model, u64)>> {
                    let rows: Vec<(String, i64)> = sqlx::query_as(
                        "SELECT model, COUNT(*) FROM records WHERE network_id = $1 AND deleted_at IS NULL \
                         AND ($2 IS NULL OR franchisee_id = $2) AND ($3 IS NULL OR location_id = $3) \
                         GROUP BY model ORDER BY model",
                    )
                    .bind(scope.network_id.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(opt(scope.location_id.as_ref()))
                    .fetch_all(&self.reader)
                    .await?;
                    rows.into_iter()
                        .map(|(model, count)| {
                            let parsed = Model::parse(&model)
                                .ok_or_else(|| StoreError::Corrupt(format!("records.model `{model}`")))?;
                            Ok((parsed, u64::try_from(count).unwrap_or(0)))
                        })
                        .collect()
                }

                async fn list_changes(&self, scope: &TenantScope, after_seq: i64, limit: u32) -> StoreResult<Vec<Change>> {
                    let rows: Vec<ChangeRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        change_columns!(),
                        " FROM changes WHERE network_id = $1 AND seq > $2 AND ($3 IS NULL OR franchisee_id = $3) \
                         AND ($4 IS NULL OR location_id = $4) ORDER BY seq LIMIT $5"
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(after_seq)
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(opt(scope.location_id.as_ref()))
                    .bind(i64::from(limit))
                    .fetch_all(&self.reader)
                    .await?;
                    convert_all(rows)
                }
            }
        }
    };
}
pub(crate) use impl_record_store;
