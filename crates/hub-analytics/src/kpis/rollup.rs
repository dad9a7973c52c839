//! The rollup job (`analytics.rollup`): folds each network's change feed into the KPI rollups.
//!
//! A run reads the feed after the network's rollup cursor a page at a time, reads the current
//! state of every sale, appointment and timecard the page names, turns each into its fact (its
//! contribution on its location's local business day, or none when deleted or unplaced) and
//! hands the page to [`hub_store::AnalyticsStore::apply_rollup`], which replaces those facts,
//! recomputes the affected buckets and moves the cursor in one transaction. A crash loses
//! nothing (the cursor did not move) and a replay doubles nothing (buckets are recomputed from
//! facts). A schedule runs the job every minute for every network.

use std::collections::{BTreeSet, HashMap};

use hub_core::access::TenantScope;
use hub_core::id::{LocationId, NetworkId, RecordId};
use hub_core::page::PageRequest;
use hub_core::records::{Appointment, AppointmentStatus, Model, Sale, StoredRecord, Timecard};
use hub_core::tenancy::{Currency, Location};
use hub_jobs::{JobError, JobRegistry, JobsError, handler_fn};
use hub_store::{JobKind, NewSchedule, RollupBatch, RollupFact, RollupFigures, StoreError};

use super::Analytics;
use crate::AnalyticsError;

/// Folds every network's new changes into its rollups.
pub const ROLLUP_JOB: &str = "analytics.rollup";
/// Changes read per batch.
const CHANGES_PER_BATCH: u32 = hub_store::MAX_ROLLUP_BATCH as u32;

/// What a rollup run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RollupProgress {
    /// Changes read from the feed.
    pub changes: u64,
    /// Facts written.
    pub facts: u64,
    /// Day buckets recomputed.
    pub days: u64,
    /// The cursor afterwards.
    pub cursor: i64,
}

fn rollup_kind() -> JobKind {
    JobKind::parse(ROLLUP_JOB).expect("a valid job kind")
}

/// What the fact computation needs to know about the network.
struct Placement {
    currency: Currency,
    locations: HashMap<LocationId, Location>,
}

impl Analytics {
    /// Registers the rollup job's handler.
    pub fn register_jobs(&self, registry: &mut JobRegistry) -> Result<(), JobsError> {
        let analytics = self.clone();
        registry.register(
            rollup_kind(),
            handler_fn(move |_job, _ctx| {
                let analytics = analytics.clone();
                async move {
                    analytics.roll_up_all().await.map_err(|error| {
                        if error.is_retryable() {
                            JobError::retryable(error.to_string())
                        } else {
                            JobError::permanent(error.to_string())
                        }
                    })
                }
            }),
        )?;
        Ok(())
    }

    /// The schedule that keeps the rollups current (every minute).
    pub fn schedules() -> Vec<NewSchedule> {
        vec![NewSchedule {
            name: "analytics-rollup".into(),
            cron: "* * * * *".into(),
            kind: rollup_kind(),
            payload: serde_json::json!({}),
            network_id: None,
            priority: 0,
            max_attempts: 3,
        }]
    }

    /// Catches up the rollups of every network.
    pub async fn roll_up_all(&self) -> Result<(), AnalyticsError> {
        for network in self.store.list_networks().await? {
            let progress = self.roll_up(&network.id).await?;
            if progress.changes > 0 {
                tracing::info!(
                    network = %network.id,
                    changes = progress.changes,
                    facts = progress.facts,
                    days = progress.days,
                    cursor = progress.cursor,
                    "rollups caught up"
                );
            }
        }
        Ok(())
    }

    /// Folds the network's changes after its rollup cursor into the rollups, until none are left.
    pub async fn roll_up(&self, network_id: &NetworkId) -> Result<RollupProgress, AnalyticsError> {
        let mut progress = RollupProgress { cursor: self.store.rollup_cursor(network_id).await?, ..Default::default() };
        let mut placement: Option<Placement> = None;
        loop {
            match self.roll_up_batch(network_id, progress.cursor, &mut placement).await? {
                Some(step) => {
                    progress.changes += step.changes;
                    progress.facts += step.facts;
                    progress.days += step.days;
                    progress.cursor = step.cursor;
                }
                None => return Ok(progress),
            }
        }
    }

    /// Folds at most one page of changes after `cursor`; `None` when there are none.
    async fn roll_up_batch(
        &self,
        network_id: &NetworkId,
        cursor: i64,
        placement: &mut Option<Placement>,
    ) -> Result<Option<RollupProgress>, AnalyticsError> {
        let scope = TenantScope::network(network_id.clone());
        let changes = self.store.list_changes(&scope, cursor, CHANGES_PER_BATCH).await?;
        let Some(last) = changes.last().map(|change| change.seq) else { return Ok(None) };
        let touched: Vec<RecordId> = changes
            .iter()
            .filter(|change| matches!(change.model, Model::Sale | Model::Appointment | Model::Timecard))
            .map(|change| change.record_id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut facts = Vec::new();
        if !touched.is_empty() {
            let records = self.store.records_by_id(&scope, &touched).await?;
            // A location created after the cached list was read: read the list again.
            let stale = placement.as_ref().is_none_or(|known| {
                records.iter().any(|r| r.location_id.as_ref().is_some_and(|id| !known.locations.contains_key(id)))
            });
            if stale {
                *placement = Some(self.placement(network_id).await?);
            }
            let known = placement.as_ref().expect("placement was just read");
            facts = records.iter().filter_map(|record| fact_of(record, known)).collect();
        }
        let batch = RollupBatch { network_id: network_id.clone(), from_seq: cursor, to_seq: last, touched, facts };
        match self.store.apply_rollup(batch).await {
            Ok(outcome) => Ok(Some(RollupProgress {
                changes: changes.len() as u64,
                facts: outcome.facts,
                days: outcome.days,
                cursor: last,
            })),
            // Another worker applied this page first: continue from where it left the cursor.
            Err(StoreError::Conflict { .. }) => {
                let moved = self.store.rollup_cursor(network_id).await?;
                Ok(Some(RollupProgress { cursor: moved, ..Default::default() }))
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn placement(&self, network_id: &NetworkId) -> Result<Placement, AnalyticsError> {
        let network = self.store.get_network(network_id).await?;
        let scope = TenantScope::network(network_id.clone());
        let mut locations = HashMap::new();
        let mut page = PageRequest { limit: hub_core::page::MAX_LIMIT, after: None };
        loop {
            let found = self.store.list_locations(&scope, &page).await?;
            let next = found.next_cursor;
            locations.extend(found.items.into_iter().map(|location| (location.id.clone(), location)));
            match next {
                Some(cursor) => {
                    page.after = Some(hub_core::page::decode_cursor(&cursor).map_err(|error| {
                        AnalyticsError::Store(StoreError::Corrupt(format!("page cursor: {}", error.reason)))
                    })?)
                }
                None => break,
            }
        }
        Ok(Placement { currency: network.currency, locations })
    }
}

/// The record's contribution to the rollups: `None` when it is deleted, not placed at a known
/// location, or counts for nothing (a cancelled or pending appointment).
fn fact_of(record: &StoredRecord, placement: &Placement) -> Option<RollupFact> {
    if record.deleted_at.is_some() {
        return None;
    }
    let location = placement.locations.get(record.location_id.as_ref()?)?;
    let zone = location.time_zone.tz();
    let customer_key = |customer: &Option<String>| customer.as_ref().map(|id| format!("{}:{id}", record.connection_id));
    let (occurred_at, customer, figures) = match record.model {
        Model::Sale => {
            let sale: Sale = serde_json::from_value(record.data.clone()).ok()?;
            let figures = if sale.currency == placement.currency {
                RollupFigures {
                    gross: sale.gross,
                    net: sale.net,
                    tax: sale.tax,
                    tips: sale.tip,
                    discounts: sale.discount,
                    refunds: sale.refunded,
                    transactions: 1,
                    ..RollupFigures::default()
                }
            } else {
                RollupFigures { foreign_currency_transactions: 1, ..RollupFigures::default() }
            };
            (sale.occurred_at, customer_key(&sale.customer_external_id), figures)
        }
        Model::Appointment => {
            let appointment: Appointment = serde_json::from_value(record.data.clone()).ok()?;
            let (figures, visit) = match appointment.status {
                AppointmentStatus::Booked => (
                    RollupFigures {
                        appointments: 1,
                        booked_minutes: i64::from(appointment.duration_minutes),
                        ..RollupFigures::default()
                    },
                    true,
                ),
                AppointmentStatus::NoShow => {
                    (RollupFigures { appointments: 1, no_shows: 1, ..RollupFigures::default() }, false)
                }
                AppointmentStatus::Pending | AppointmentStatus::Cancelled => return None,
            };
            let customer = if visit { customer_key(&appointment.customer_external_id) } else { None };
            (appointment.start_at, customer, figures)
        }
        Model::Timecard => {
            let timecard: Timecard = serde_json::from_value(record.data.clone()).ok()?;
            let figures =
                RollupFigures { worked_minutes: timecard.worked_minutes().unwrap_or(0), ..RollupFigures::default() };
            (timecard.start_at, None, figures)
        }
        _ => return None,
    };
    Some(RollupFact {
        record_id: record.id.clone(),
        model: record.model,
        location_id: location.id.clone(),
        day: occurred_at.with_timezone(&zone).date_naive(),
        occurred_at,
        customer_key: customer,
        figures,
    })
}
