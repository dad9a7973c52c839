//! The connector's own cursor: opaque JSON that carries everything a walk needs to continue after
//! a restart — Square's page cursor, and the query that cursor belongs to (Square requires the
//! original query with every cursor), frozen when the walk started: the location ids, the time
//! window, the incremental boundary.
//!
//! The envelope is `{"connector":"square","version":1,"model":"sale","state":{…}}`; the state is
//! one of the `*Walk` types below, read with unknown fields refused. Anything else — another
//! connector's cursor, another model's, an older version, a stray string — is
//! [`ConnectorError::Unsupported`], never a guess.

use chrono::{DateTime, Utc};
use hub_core::records::Model;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::PROVIDER;
use crate::source::ConnectorError;

/// Bumped whenever a walk's state changes shape; older cursors are then refused.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<T> {
    connector: String,
    version: u32,
    model: Model,
    state: T,
}

/// The cursor text for the next page of `model`'s walk.
pub(crate) fn encode<T: Serialize>(model: Model, state: &T) -> String {
    let envelope = Envelope { connector: PROVIDER.to_owned(), version: VERSION, model, state };
    serde_json::to_string(&envelope).expect("walk states serialize: plain fields, string keys")
}

/// Reads a cursor this connector made for `model`.
pub(crate) fn decode<T: DeserializeOwned>(text: &str, model: Model) -> Result<T, ConnectorError> {
    let refuse = |why: &str| ConnectorError::Unsupported(format!("not a Square {model} cursor: {why}"));
    let envelope: Envelope<serde_json::Value> = serde_json::from_str(text).map_err(|_| refuse("unreadable"))?;
    if envelope.connector != PROVIDER {
        return Err(refuse("made by another connector"));
    }
    if envelope.version != VERSION {
        return Err(refuse("made by another version of the connector"));
    }
    if envelope.model != model {
        return Err(refuse("made for another model"));
    }
    serde_json::from_value(envelope.state).map_err(|_| refuse("unexpected state"))
}

/// Square's cursor as the connector keeps it: absent and empty both mean "last page".
pub(crate) fn next_page(cursor: Option<String>) -> Option<String> {
    cursor.filter(|cursor| !cursor.is_empty())
}

/// Team members: the seller's location ids (for members assigned to all of them) and Square's
/// cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StaffWalk {
    pub location_ids: Vec<String>,
    pub page: Option<String>,
}

/// Customers: the `updated_at` boundary of an incremental walk and Square's cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CustomerWalk {
    pub updated_since: Option<DateTime<Utc>>,
    pub page: Option<String>,
}

/// Orders: every location id, which batch of ten the walk is in, the `updated_at` boundary and
/// Square's cursor within the batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SaleWalk {
    pub location_ids: Vec<String>,
    pub batch: usize,
    pub updated_since: Option<DateTime<Utc>>,
    pub page: Option<String>,
}

/// Refunds: the `created_at` range (`begin_time`, and `end_time` pinned to the walk's start so
/// Square's "now" default cannot move under the cursor), the `updated_at` boundary and Square's
/// cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefundWalk {
    pub begin_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub updated_since: Option<DateTime<Utc>>,
    pub page: Option<String>,
}

/// Payouts: every location id, which one the walk is at, the `created_at` range (as refunds) and
/// Square's cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PayoutWalk {
    pub location_ids: Vec<String>,
    pub index: usize,
    pub begin_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub page: Option<String>,
}

/// Timecards: the earliest shift start read and Square's cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TimecardWalk {
    pub start_from: Option<DateTime<Utc>>,
    pub page: Option<String>,
}

/// Bookings: the current `start_at` window, where the walk ends, and Square's cursor within the
/// window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AppointmentWalk {
    pub window_start: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub page: Option<String>,
}
