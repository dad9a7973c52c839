//! Placing what a connector fetched in the tenant hierarchy and in its stored form: which hub
//! location and franchisee a record belongs to, its canonical JSON and its content hash.

use chrono::{DateTime, Utc};
use hub_core::connection::Connection;
use hub_core::records::SourceRecord;
use hub_store::RecordUpsert;

/// A page's records ready to store, and the ones refused with the reason.
#[derive(Debug, Default)]
pub(crate) struct Placed {
    pub upserts: Vec<RecordUpsert>,
    pub refused: Vec<String>,
    /// The newest `remote_updated_at` among them.
    pub newest: Option<DateTime<Utc>>,
}

/// Places `records` fetched for `connection`. A connection made for one location puts every record
/// there; a franchisee's or the network's connection keeps records at its own level.
pub(crate) fn place(connection: &Connection, records: Vec<SourceRecord>) -> Placed {
    let mut placed = Placed { upserts: Vec::with_capacity(records.len()), ..Placed::default() };
    for record in records {
        if let Err(error) = record.data.validate() {
            let field = error.field.as_deref().unwrap_or("record");
            placed.refused.push(format!(
                "skipped {} {}: {field} {}",
                record.data.model(),
                record.external_id,
                error.reason
            ));
            continue;
        }
        if record.external_id.is_empty() || record.external_id.len() > 255 {
            placed.refused.push(format!(
                "skipped a {} with an external id of {} bytes",
                record.data.model(),
                record.external_id.len()
            ));
            continue;
        }
        placed.newest = placed.newest.max(record.remote_updated_at);
        let data = record.data.to_json();
        placed.upserts.push(RecordUpsert {
            content_hash: record.content_hash(&data),
            franchisee_id: connection.franchisee_id.clone(),
            location_id: connection.location_id.clone(),
            occurred_at: record.data.occurred_at(),
            remote_updated_at: record.remote_updated_at,
            provider_location_id: record.provider_location_id,
            external_id: record.external_id,
            data,
        });
    }
    placed
}
