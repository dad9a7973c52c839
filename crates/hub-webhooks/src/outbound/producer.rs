//! The outbound producer: turns each network's change feed into events, from a cursor stored with
//! the events it produced (one transaction: the events, their deliveries, the cursor's move), so a
//! crash re-reads from where the last commit left and nothing is fanned out twice; and scans for
//! failed syncs and expired connections, whose events carry stable dedup keys.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use hub_core::id::{NetworkId, WebhookEventId};
use hub_core::records::Model;
use hub_store::{EmitBatch, NewWebhookEvent, Store, StoreError};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::event_types::{classify, mark_of};

/// Changes read per batch.
const BATCH: u32 = 500;
/// How far back each platform scan looks before its saved position (commits on PostgreSQL can
/// land out of timestamp order); repeats are dropped by their dedup keys.
const SCAN_OVERLAP: chrono::TimeDelta = chrono::TimeDelta::minutes(10);
/// On the first scan, failures older than this are not announced.
const FIRST_SCAN_WINDOW: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// Produces events from the change feed and the platform.
pub struct Producer {
    store: Arc<dyn Store>,
    dispatcher: Arc<Notify>,
    poll_interval: Duration,
}

impl Producer {
    pub fn new(store: Arc<dyn Store>, dispatcher: Arc<Notify>, poll_interval: Duration) -> Self {
        Self { store, dispatcher, poll_interval }
    }

    /// Fans out one batch of one network's changes; returns how many changes it consumed.
    pub async fn produce_batch(&self, network_id: &NetworkId) -> Result<usize, StoreError> {
        let cursor = self.store.webhook_change_cursor(network_id).await?;
        let changes = self.store.changes_with_records(network_id, cursor, BATCH).await?;
        let Some(last) = changes.last().map(|entry| entry.change.seq) else { return Ok(0) };
        let needing_marks: Vec<String> = changes
            .iter()
            .filter(|entry| mark_of(entry.change.model, &serde_json::Value::Null).is_none())
            .filter(|entry| matches!(entry.change.model, Model::Sale | Model::Appointment))
            .map(|entry| entry.change.record_id.to_string())
            .collect();
        let mut marks = self.store.webhook_marks(network_id, &needing_marks).await?;
        let mut events = Vec::with_capacity(changes.len());
        let mut new_marks = Vec::new();
        // The record data is the record as it is now, so only its last change in the batch moves
        // its mark: an earlier change compared against it would miss what the last one did.
        let mut last_change: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
        for entry in &changes {
            last_change.insert(entry.change.record_id.as_str(), entry.change.seq);
        }
        for entry in &changes {
            let change = &entry.change;
            let record = entry.data.as_ref();
            let previous = marks.get(change.record_id.as_str()).map(String::as_str);
            let Some(event_type) = classify(change.kind, change.model, record, previous) else { continue };
            let is_last = last_change.get(change.record_id.as_str()) == Some(&change.seq);
            if is_last && let Some(mark) = record.and_then(|record| mark_of(change.model, record)) {
                marks.insert(change.record_id.to_string(), mark.clone());
                new_marks.push((change.record_id.to_string(), mark));
            }
            let data = serde_json::json!({
                "model": change.model,
                "record_id": change.record_id,
                "version": change.version,
                "change_seq": change.seq,
                "connection_id": change.connection_id,
                "external_id": change.external_id,
                "record": record,
            });
            events.push(NewWebhookEvent {
                id: WebhookEventId::new(),
                event_type,
                dedup_key: format!("change:{}", change.seq),
                franchisee_id: change.franchisee_id.clone(),
                location_id: change.location_id.clone(),
                data: data.to_string(),
                occurred_at: change.at,
            });
        }
        // One mark per record: the last one of the batch.
        let mut last_mark: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        for (record, mark) in new_marks {
            last_mark.insert(record, mark);
        }
        let new_marks: Vec<(String, String)> = last_mark.into_iter().collect();
        let outcome = self
            .store
            .emit_webhook_events(EmitBatch {
                network_id: network_id.clone(),
                events,
                cursor: Some((cursor, last)),
                marks: new_marks,
            })
            .await?;
        if outcome.deliveries > 0 {
            self.dispatcher.notify_one();
        }
        // Another node moved the cursor first: it produced these changes.
        Ok(if outcome.written { changes.len() } else { 0 })
    }

    /// Fans out every network's pending changes.
    pub async fn produce_all(&self) -> Result<usize, StoreError> {
        let mut total = 0;
        for network in self.store.networks_with_new_changes().await? {
            loop {
                let done = self.produce_batch(&network).await?;
                total += done;
                if done < BATCH as usize {
                    break;
                }
            }
        }
        Ok(total)
    }

    /// Emits `sync.failed` and `connection.expired` for what happened since the last scan.
    pub async fn scan_platform(&self) -> Result<usize, StoreError> {
        let started = Utc::now();
        let since = match self.store.platform_scan_position().await? {
            Some(at) => at - SCAN_OVERLAP,
            None => started - FIRST_SCAN_WINDOW,
        };
        let found = self.store.platform_occurrences_since(since, 1_000).await?;
        let mut by_network: std::collections::HashMap<NetworkId, Vec<NewWebhookEvent>> = Default::default();
        for occurrence in &found {
            let data = serde_json::json!({
                "connection_id": occurrence.connection_id,
                "provider": occurrence.provider,
                "sync_run_id": occurrence.sync_run_id,
                "detail": occurrence.detail,
                "at": occurrence.at,
            });
            by_network.entry(occurrence.network_id.clone()).or_default().push(NewWebhookEvent {
                id: WebhookEventId::new(),
                event_type: occurrence.event_type.to_owned(),
                dedup_key: occurrence.key.clone(),
                franchisee_id: occurrence.franchisee_id.clone(),
                location_id: occurrence.location_id.clone(),
                data: data.to_string(),
                occurred_at: occurrence.at,
            });
        }
        let mut stored = 0;
        for (network_id, events) in by_network {
            let outcome =
                self.store.emit_webhook_events(EmitBatch { network_id, events, cursor: None, marks: vec![] }).await?;
            stored += outcome.stored.len();
            if outcome.deliveries > 0 {
                self.dispatcher.notify_one();
            }
        }
        // A full page may have more behind it: resume from its last instant.
        let position = if found.len() >= 1_000 { found.last().map_or(started, |last| last.at) } else { started };
        self.store.save_platform_scan_position(position).await?;
        Ok(stored)
    }

    /// Produces until `shutdown`: the change feed every poll interval, the platform scan every
    /// few seconds.
    pub async fn run(&self, shutdown: CancellationToken) {
        let mut last_scan = std::time::Instant::now() - Duration::from_secs(60);
        loop {
            if let Err(error) = self.produce_all().await {
                tracing::warn!(%error, "producing webhook events from the change feed failed; retrying");
            }
            if last_scan.elapsed() >= Duration::from_secs(5) {
                last_scan = std::time::Instant::now();
                if let Err(error) = self.scan_platform().await {
                    tracing::warn!(%error, "scanning for platform webhook events failed; retrying");
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(self.poll_interval) => {}
            }
        }
    }
}
