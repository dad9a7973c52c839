//! The unified model: one shape per kind of record, whichever provider it came from, plus the
//! provenance every stored record keeps and the change feed's entries.
//!
//! Connectors turn provider payloads into [`RecordData`]; the sync engine stores them as
//! [`SourceRecord`]s keyed by (connection, model, external id); the API shows [`StoredRecord`]s.

mod model;
mod operations;
mod people;
mod sale;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

pub use model::Model;
pub use operations::{Appointment, AppointmentStatus, Payout, PayoutStatus, Timecard};
pub use people::{Customer, ProviderLocation, StaffMember};
pub use sale::{LineKind, Refund, RefundStatus, Sale, SaleLine, SaleRefund, Tender, TenderKind};

use crate::error::ValidationError;
use crate::id::{ConnectionId, FranchiseeId, LocationId, NetworkId, RecordId};

/// The content of one unified record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum RecordData {
    Location(ProviderLocation),
    StaffMember(StaffMember),
    Customer(Customer),
    Appointment(Appointment),
    Sale(Sale),
    Refund(Refund),
    Payout(Payout),
    Timecard(Timecard),
}

impl RecordData {
    /// Which model this is.
    pub fn model(&self) -> Model {
        match self {
            Self::Location(_) => Model::Location,
            Self::StaffMember(_) => Model::StaffMember,
            Self::Customer(_) => Model::Customer,
            Self::Appointment(_) => Model::Appointment,
            Self::Sale(_) => Model::Sale,
            Self::Refund(_) => Model::Refund,
            Self::Payout(_) => Model::Payout,
            Self::Timecard(_) => Model::Timecard,
        }
    }

    /// The business instant of the record, used for filtering and reporting: when a sale closed,
    /// an appointment starts, a shift starts, a refund or payout was made.
    pub fn occurred_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::Sale(sale) => Some(sale.occurred_at),
            Self::Appointment(appointment) => Some(appointment.start_at),
            Self::Timecard(timecard) => Some(timecard.start_at),
            Self::Refund(refund) => Some(refund.refunded_at),
            Self::Payout(payout) => Some(payout.initiated_at),
            Self::Customer(customer) => customer.first_seen_at,
            Self::Location(_) | Self::StaffMember(_) => None,
        }
    }

    /// Refuses content that cannot be right (a sale whose figures do not add up).
    pub fn validate(&self) -> Result<(), ValidationError> {
        match self {
            Self::Sale(sale) => sale.validate(),
            _ => Ok(()),
        }
    }

    /// The stored form: JSON with fields in declaration order, so equal content gives equal text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("unified records serialize: plain fields, string keys")
    }

    /// Reads the stored form of `model` back.
    pub fn from_json(model: Model, json: &str) -> Result<Self, ValidationError> {
        fn read<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, ValidationError> {
            serde_json::from_str(json).map_err(|error| ValidationError::new(format!("stored record: {error}")))
        }
        Ok(match model {
            Model::Location => Self::Location(read(json)?),
            Model::StaffMember => Self::StaffMember(read(json)?),
            Model::Customer => Self::Customer(read(json)?),
            Model::Appointment => Self::Appointment(read(json)?),
            Model::Sale => Self::Sale(read(json)?),
            Model::Refund => Self::Refund(read(json)?),
            Model::Payout => Self::Payout(read(json)?),
            Model::Timecard => Self::Timecard(read(json)?),
            other => return Err(ValidationError::new(format!("`{other}` records are not stored"))),
        })
    }
}

/// A record as a connector hands it to the sync engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRecord {
    /// The provider's id, unique per (connection, model).
    pub external_id: String,
    /// When the provider last changed it, if it says.
    pub remote_updated_at: Option<DateTime<Utc>>,
    /// The provider's location id, which the engine maps to a hub location.
    pub provider_location_id: Option<String>,
    pub data: RecordData,
}

impl SourceRecord {
    /// SHA-256 of the stored form, with the provider location: equal hashes mean nothing changed.
    pub fn content_hash(&self, json: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.provider_location_id.as_deref().unwrap_or("").as_bytes());
        hasher.update([0]);
        hasher.update(json.as_bytes());
        hex::encode(hasher.finalize())
    }
}

/// How much to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// Everything the provider has (its whole history within the connector's reach). The engine
    /// soft-deletes what a full sync no longer sees.
    Full,
    /// What changed since the last successful sync of the model.
    Incremental,
}

impl SyncMode {
    /// The wire name (`full`, `incremental`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Incremental => "incremental",
        }
    }

    /// Parses the wire name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "full" => Some(Self::Full),
            "incremental" => Some(Self::Incremental),
            _ => None,
        }
    }
}

/// What happened to a record, as the change feed says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Created,
    Updated,
    Deleted,
}

impl ChangeKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Deleted => "deleted",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Created, Self::Updated, Self::Deleted].into_iter().find(|kind| kind.as_str() == text)
    }
}

/// A stored record with its provenance, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StoredRecord {
    pub id: RecordId,
    pub model: Model,
    pub network_id: NetworkId,
    pub franchisee_id: Option<FranchiseeId>,
    pub location_id: Option<LocationId>,
    pub connection_id: ConnectionId,
    pub provider: String,
    pub external_id: String,
    pub provider_location_id: Option<String>,
    pub remote_updated_at: Option<DateTime<Utc>>,
    pub content_hash: String,
    /// Starts at 1; every change to the content adds one.
    pub version: i64,
    /// Set when the provider deleted it (soft delete: the record stays for history).
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The model's own fields.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// One entry of the change feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Change {
    /// Only grows within a network; resume the feed after the last one seen.
    pub seq: i64,
    pub kind: ChangeKind,
    pub model: Model,
    pub record_id: RecordId,
    pub version: i64,
    pub franchisee_id: Option<FranchiseeId>,
    pub location_id: Option<LocationId>,
    pub connection_id: ConnectionId,
    pub external_id: String,
    pub at: DateTime<Utc>,
}

/// Removes personal data from a record's fields in place (for roles that see aggregates only).
pub fn redact_pii(model: Model, data: &mut serde_json::Value) {
    if model == Model::Customer
        && let Some(object) = data.as_object_mut()
    {
        for field in Customer::PII_FIELDS {
            if let Some(value) = object.get_mut(field) {
                *value = serde_json::Value::Null;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_form_round_trips_and_hash_follows_content() {
        let data = RecordData::Customer(Customer {
            given_name: Some("Ada".into()),
            family_name: Some("Lovelace".into()),
            email: Some("ada@example.com".into()),
            phone: None,
            first_seen_at: None,
        });
        let json = data.to_json();
        assert_eq!(RecordData::from_json(Model::Customer, &json).as_ref(), Ok(&data));
        assert!(RecordData::from_json(Model::Sale, &json).is_err(), "a customer is not a sale");
        let record = SourceRecord {
            external_id: "C1".into(),
            remote_updated_at: None,
            provider_location_id: None,
            data: data.clone(),
        };
        let moved = SourceRecord { provider_location_id: Some("L2".into()), ..record.clone() };
        assert_ne!(record.content_hash(&json), moved.content_hash(&json));
        assert_eq!(record.content_hash(&json), record.content_hash(&data.to_json()));
    }

    #[test]
    fn redaction_blanks_every_personal_field() {
        let mut value = serde_json::json!({"given_name": "Ada", "email": "a@b.c", "phone": "1", "family_name": "L"});
        redact_pii(Model::Customer, &mut value);
        assert!(Customer::PII_FIELDS.iter().all(|field| value[field].is_null()));
        let mut sale = serde_json::json!({"gross": "1.00"});
        redact_pii(Model::Sale, &mut sale);
        assert_eq!(sale["gross"], "1.00");
    }
}
