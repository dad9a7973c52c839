//! Square: reads a seller account through Square's API (Square-Version 2025-08-20) into unified
//! locations, staff, customers, sales, refunds, payouts, timecards and appointments.
//!
//! The folder is the pattern every connector follows:
//! - `mod.rs` — the [`SquareConnector`], its settings and the order it syncs models in;
//! - `walks.rs` — one page of each model: which request, how the walk continues;
//! - `requests.rs` — every request as Square documents it (paths, page sizes, filters, sorts);
//! - `cursor.rs` — the connector's own resumable cursor;
//! - `wire.rs` — serde types of exactly the Square fields read;
//! - `mapping.rs`, `sale.rs` — wire → unified records (`sale.rs` holds the order rules);
//! - `catalog.rs` — the catalog lookups mappings need (service or product, service names);
//! - `errors.rs` — Square's error envelope → [`ConnectorError`];
//! - `tests/` — mappings on payloads built from the spec, requests, errors, walks against a fake
//!   [`ProviderApi`], and property tests.
//!
//! Facts come from `../shared/providers/square.md` and the official spec
//! `../shared/specs/square/api.json`.

mod catalog;
mod cursor;
mod errors;
mod mapping;
mod requests;
mod sale;
mod walks;
mod wire;

#[cfg(test)]
mod tests;

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};
use hub_core::records::Model;

pub use requests::SQUARE_VERSION;

use crate::source::{ConnectorError, FetchRequest, FetchedPage, ProviderApi, SourceConnector};

/// The catalog id of the provider, and the `provider` of every error this connector returns.
pub(crate) const PROVIDER: &str = "square";

/// The models in sync order: what others refer to comes first (sales name locations, staff and
/// customers; refunds name sales; appointments name all three).
const MODELS: &[Model] = &[
    Model::Location,
    Model::StaffMember,
    Model::Customer,
    Model::Sale,
    Model::Refund,
    Model::Payout,
    Model::Timecard,
    Model::Appointment,
];

/// How far back and ahead the connector reads where Square needs explicit time bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SquareSettings {
    /// Where full walks of time-bounded lists begin: `begin_time` of refunds and payouts (which
    /// Square otherwise limits to the last year) and the first bookings window.
    pub history_start: DateTime<Utc>,
    /// How far before `changed_since` incremental walks re-read the lists Square cannot filter by
    /// `updated_at` (payouts by creation, timecards by shift start, bookings by start), so the
    /// late edits these see — a payout sent then paid, a shift corrected, a booking marked no-show
    /// — are not missed.
    pub trailing_window: Duration,
    /// How far past the walk's start bookings are read (the coming weeks' appointments).
    pub appointment_horizon: Duration,
}

impl Default for SquareSettings {
    /// History from 2013-01-01 (set it later for sellers who joined later: a full bookings walk
    /// costs one call per 31 days of it), a 14-day trailing window (a pay period's corrections, a
    /// payout's life from sent to paid), a 90-day horizon.
    fn default() -> Self {
        Self {
            history_start: Utc.with_ymd_and_hms(2013, 1, 1, 0, 0, 0).single().unwrap_or(DateTime::UNIX_EPOCH),
            trailing_window: Duration::days(14),
            appointment_horizon: Duration::days(90),
        }
    }
}

/// Reads one Square seller account, a page at a time; stateless between pages (everything a
/// walk needs is in its cursor), so one instance serves every connection.
#[derive(Debug, Clone, Default)]
pub struct SquareConnector {
    settings: SquareSettings,
}

impl SquareConnector {
    /// A connector with the default [`SquareSettings`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A connector with `settings` (tests, or a network whose history starts later).
    pub fn with_settings(settings: SquareSettings) -> Self {
        Self { settings }
    }

    /// The settings in use.
    pub fn settings(&self) -> &SquareSettings {
        &self.settings
    }
}

#[async_trait]
impl SourceConnector for SquareConnector {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn models(&self) -> &'static [Model] {
        MODELS
    }

    async fn fetch(&self, api: &dyn ProviderApi, request: FetchRequest<'_>) -> Result<FetchedPage, ConnectorError> {
        let settings = &self.settings;
        match request.model {
            Model::Location => walks::locations(api, &request).await,
            Model::StaffMember => walks::staff(api, &request).await,
            Model::Customer => walks::customers(api, &request).await,
            Model::Sale => walks::sales(api, &request).await,
            Model::Refund => walks::refunds(api, settings, &request).await,
            Model::Payout => walks::payouts(api, settings, &request).await,
            Model::Timecard => walks::timecards(api, settings, &request).await,
            Model::Appointment => walks::appointments(api, settings, &request).await,
            other => Err(ConnectorError::Unsupported(format!("Square does not provide {other} records"))),
        }
    }
}
