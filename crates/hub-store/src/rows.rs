//! Row shapes shared by both backends, and their conversion into domain types.
//!
//! A row that does not parse back (an id of the wrong kind, an unknown role) was edited outside
//! the hub; it surfaces as [`StoreError::Corrupt`] rather than a panic.

use chrono::{DateTime, Utc};
use hub_core::access::{ApiKey, Role};
use hub_core::audit::AuditEntry;
use hub_core::id::{ApiKeyId, AuditEntryId, FranchiseeId, LocationId, NetworkId, TerritoryId};
use hub_core::tenancy::{Currency, Franchisee, Location, Name, Network, Territory, TimeZone};

use crate::StoreError;

pub(crate) fn parse<T>(
    column: &str,
    text: &str,
    parser: impl FnOnce(&str) -> Result<T, hub_core::ValidationError>,
) -> Result<T, StoreError> {
    parser(text).map_err(|error| StoreError::Corrupt(format!("{column} `{text}`: {error}")))
}

pub(crate) fn parse_optional<T>(
    column: &str,
    text: Option<&str>,
    parser: impl FnOnce(&str) -> Result<T, hub_core::ValidationError>,
) -> Result<Option<T>, StoreError> {
    text.map(|text| parse(column, text, parser)).transpose()
}

#[derive(sqlx::FromRow)]
pub(crate) struct NetworkRow {
    pub id: String,
    pub name: String,
    pub currency: String,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<NetworkRow> for Network {
    type Error = StoreError;
    fn try_from(row: NetworkRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: parse("networks.id", &row.id, NetworkId::parse)?,
            name: parse("networks.name", &row.name, Name::parse)?,
            currency: parse("networks.currency", &row.currency, Currency::parse)?,
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct FranchiseeRow {
    pub network_id: String,
    pub id: String,
    pub name: String,
    pub currency: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<FranchiseeRow> for Franchisee {
    type Error = StoreError;
    fn try_from(row: FranchiseeRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: parse("franchisees.id", &row.id, FranchiseeId::parse)?,
            network_id: parse("franchisees.network_id", &row.network_id, NetworkId::parse)?,
            name: parse("franchisees.name", &row.name, Name::parse)?,
            currency: parse("franchisees.currency", &row.currency, Currency::parse)?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TerritoryRow {
    pub network_id: String,
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<TerritoryRow> for Territory {
    type Error = StoreError;
    fn try_from(row: TerritoryRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: parse("territories.id", &row.id, TerritoryId::parse)?,
            network_id: parse("territories.network_id", &row.network_id, NetworkId::parse)?,
            name: parse("territories.name", &row.name, Name::parse)?,
            parent_id: parse_optional("territories.parent_id", row.parent_id.as_deref(), TerritoryId::parse)?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct LocationRow {
    pub network_id: String,
    pub id: String,
    pub franchisee_id: String,
    pub territory_id: Option<String>,
    pub name: String,
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<LocationRow> for Location {
    type Error = StoreError;
    fn try_from(row: LocationRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: parse("locations.id", &row.id, LocationId::parse)?,
            network_id: parse("locations.network_id", &row.network_id, NetworkId::parse)?,
            franchisee_id: parse("locations.franchisee_id", &row.franchisee_id, FranchiseeId::parse)?,
            territory_id: parse_optional("locations.territory_id", row.territory_id.as_deref(), TerritoryId::parse)?,
            name: parse("locations.name", &row.name, Name::parse)?,
            time_zone: parse("locations.time_zone", &row.time_zone, TimeZone::parse)?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ApiKeyRow {
    pub network_id: String,
    pub id: String,
    pub role: String,
    pub franchisee_id: Option<String>,
    pub location_id: Option<String>,
    pub name: Option<String>,
    pub display_prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = StoreError;
    fn try_from(row: ApiKeyRow) -> Result<Self, StoreError> {
        let role = Role::parse(&row.role)
            .ok_or_else(|| StoreError::Corrupt(format!("api_keys.role `{}` is not a role", row.role)))?;
        Ok(Self {
            id: parse("api_keys.id", &row.id, ApiKeyId::parse)?,
            network_id: parse("api_keys.network_id", &row.network_id, NetworkId::parse)?,
            role,
            franchisee_id: parse_optional("api_keys.franchisee_id", row.franchisee_id.as_deref(), FranchiseeId::parse)?,
            location_id: parse_optional("api_keys.location_id", row.location_id.as_deref(), LocationId::parse)?,
            name: row.name,
            display_prefix: row.display_prefix,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    pub network_id: String,
    pub seq: i64,
    pub id: String,
    pub at: DateTime<Utc>,
    pub actor_kind: String,
    pub actor_id: String,
    pub action: String,
    pub resource_type: String,
    pub resource_id: String,
    pub franchisee_id: Option<String>,
    pub location_id: Option<String>,
    pub request_id: Option<String>,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = StoreError;
    fn try_from(row: AuditRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: parse("audit_log.id", &row.id, AuditEntryId::parse)?,
            network_id: parse("audit_log.network_id", &row.network_id, NetworkId::parse)?,
            seq: row.seq,
            at: row.at,
            actor_kind: row.actor_kind,
            actor_id: row.actor_id,
            action: row.action,
            resource_type: row.resource_type,
            resource_id: row.resource_id,
            franchisee_id: parse_optional(
                "audit_log.franchisee_id",
                row.franchisee_id.as_deref(),
                FranchiseeId::parse,
            )?,
            location_id: parse_optional("audit_log.location_id", row.location_id.as_deref(), LocationId::parse)?,
            request_id: row.request_id,
            details: row.details,
            prev_hash: row.prev_hash,
            hash: row.hash,
        })
    }
}

/// Converts fetched rows into domain values, failing on the first corrupt one.
pub(crate) fn convert_all<R, T: TryFrom<R, Error = StoreError>>(rows: Vec<R>) -> Result<Vec<T>, StoreError> {
    rows.into_iter().map(T::try_from).collect()
}
