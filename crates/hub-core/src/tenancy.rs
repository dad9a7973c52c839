//! The tenant hierarchy: network → franchisees → locations, with territories grouping locations.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ValidationError;
use crate::id::{FranchiseeId, LocationId, NetworkId, TerritoryId};

/// Active ISO 4217 currency codes for money that changes hands (no funds, metals or test codes).
const ISO_4217: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD", "BIF", "BMD",
    "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP",
    "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP",
    "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD",
    "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN",
    "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB",
    "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL",
    "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VES", "VND",
    "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
];

/// An ISO 4217 currency code, upper case, known to be in use (ordered alphabetically).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Parses a code such as `USD`; lower case and unknown codes are refused.
    pub fn parse(code: &str) -> Result<Self, ValidationError> {
        let known = ISO_4217.binary_search(&code).is_ok();
        match code.as_bytes() {
            [a, b, c] if known => Ok(Self([*a, *b, *c])),
            _ => Err(ValidationError::new(format!("`{code}` is not an ISO 4217 currency code (e.g. USD)"))),
        }
    }

    /// The three-letter code.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("built only from ASCII codes in ISO_4217")
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An IANA time zone (`America/Chicago`), which sets a location's business-day boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    /// Parses an IANA zone name; abbreviations like `CST` and offsets are refused.
    pub fn parse(name: &str) -> Result<Self, ValidationError> {
        let zone: chrono_tz::Tz = name
            .parse()
            .map_err(|_| ValidationError::new(format!("`{name}` is not an IANA time zone (e.g. America/Chicago)")))?;
        Ok(Self(zone))
    }

    /// The IANA name.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The zone, for date arithmetic.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }
}

/// A human-readable name: trimmed, 1 to 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name(String);

impl Name {
    /// Parses and trims a name.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(ValidationError::new("must not be empty"));
        }
        if trimmed.chars().count() > 200 {
            return Err(ValidationError::new("must be at most 200 characters"));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(ValidationError::new("must not contain control characters"));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_serde {
    ($type:ty, $as_str:ident, $example:literal) => {
        impl Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.$as_str())
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }

        impl utoipa::PartialSchema for $type {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .examples([$example])
                    .into()
            }
        }

        impl ToSchema for $type {}
    };
}

string_serde!(Currency, as_str, "USD");
string_serde!(TimeZone, name, "America/Chicago");
string_serde!(Name, as_str, "Downtown Cuts");

/// The franchisor's brand and the root of every tenant's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Network {
    pub id: NetworkId,
    pub name: Name,
    /// The currency royalties and network figures are consolidated to.
    pub currency: Currency,
    pub created_at: DateTime<Utc>,
}

/// A legal entity that owns shops under a franchise agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Franchisee {
    pub id: FranchiseeId,
    pub network_id: NetworkId,
    pub name: Name,
    pub currency: Currency,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A reporting group of locations; territories may nest (region ▸ territory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Territory {
    pub id: TerritoryId,
    pub network_id: NetworkId,
    pub name: Name,
    pub parent_id: Option<TerritoryId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Location {
    pub id: LocationId,
    pub network_id: NetworkId,
    pub franchisee_id: FranchiseeId,
    pub territory_id: Option<TerritoryId>,
    pub name: Name,
    pub time_zone: TimeZone,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What it takes to create a franchisee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFranchisee {
    pub name: Name,
    pub currency: Currency,
}

/// A partial update of a franchisee; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FranchiseeChanges {
    pub name: Option<Name>,
    pub currency: Option<Currency>,
}

/// What it takes to create a territory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTerritory {
    pub name: Name,
    pub parent_id: Option<TerritoryId>,
}

/// A partial update of a territory; `parent_id: Some(None)` moves it to the top level.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TerritoryChanges {
    pub name: Option<Name>,
    pub parent_id: Option<Option<TerritoryId>>,
}

/// What it takes to create a location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLocation {
    pub franchisee_id: FranchiseeId,
    pub name: Name,
    pub time_zone: TimeZone,
    pub territory_id: Option<TerritoryId>,
}

/// A partial update of a location; `territory_id: Some(None)` removes it from its territory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocationChanges {
    pub name: Option<Name>,
    pub time_zone: Option<TimeZone>,
    pub territory_id: Option<Option<TerritoryId>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_codes_are_checked_against_iso_4217() {
        assert!(ISO_4217.windows(2).all(|pair| pair[0] < pair[1]), "list must stay sorted for binary_search");
        assert_eq!(Currency::parse("USD").map(|c| c.to_string()), Ok("USD".to_owned()));
        for bad in ["usd", "US", "USDD", "XXX", "ABC", ""] {
            assert!(Currency::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn time_zones_must_be_iana_names() {
        assert_eq!(TimeZone::parse("America/Chicago").map(|z| z.name()), Ok("America/Chicago"));
        for bad in ["Mars/Olympus", "", "+02:00"] {
            assert!(TimeZone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(Name::parse("  Main St ").map(|n| n.as_str().to_owned()), Ok("Main St".to_owned()));
        assert!(Name::parse("   ").is_err());
        assert!(Name::parse(&"x".repeat(201)).is_err());
        assert!(Name::parse("a\u{0}b").is_err());
    }
}
