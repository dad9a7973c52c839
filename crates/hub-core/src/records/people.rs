//! Places and people: a provider's view of a shop, its staff, and its customers (personal data).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::tenancy::Currency;

/// A shop as the provider knows it (a Square location, a Clover merchant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderLocation {
    pub name: String,
    /// The IANA zone the provider has for it, which may differ from the hub location's.
    pub time_zone: Option<String>,
    pub currency: Option<Currency>,
    /// One line, as the provider formats it.
    pub address: Option<String>,
    pub active: bool,
}

/// Someone who works at a shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffMember {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub active: bool,
    /// The provider's location ids the person works at.
    pub provider_location_ids: Vec<String>,
}

/// A shop's customer. The name and contact fields are personal data (see [`Customer::PII_FIELDS`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// When the customer first became known to the provider (new-versus-returning figures).
    pub first_seen_at: Option<DateTime<Utc>>,
}

impl Customer {
    /// The fields that identify a person: removed for roles that see aggregates only, and on erasure.
    pub const PII_FIELDS: [&'static str; 4] = ["given_name", "family_name", "email", "phone"];
}
