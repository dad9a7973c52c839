//! What a test or the demo asks the Square emulator to generate for one merchant, the checks
//! that make a configuration usable, and the small dataset an unconfigured merchant gets.

use std::ops::RangeInclusive;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::currency::Currency;
use super::ids::fnv1a;
use crate::error::EmulatorError;

/// Most orders a location may take in one day.
pub const MAX_ORDERS_PER_DAY: u32 = 2_000;
/// Most days of history one merchant may have (ten years).
pub const MAX_DAYS: u32 = 3_660;
/// Most locations one merchant may have.
pub const MAX_LOCATIONS: usize = 300;

/// One shop of a merchant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SquareLocationSpec {
    /// The location's name in the Seller Dashboard; unique within the merchant.
    pub name: String,
    /// IANA time zone (`America/New_York`): opening hours, business days and payout dates
    /// follow it.
    pub timezone: String,
    /// ISO 4217 code: one of USD, CAD, GBP, EUR, AUD, JPY.
    pub currency: String,
}

impl SquareLocationSpec {
    pub fn new(name: impl Into<String>, timezone: impl Into<String>, currency: impl Into<String>) -> Self {
        Self { name: name.into(), timezone: timezone.into(), currency: currency.into() }
    }
}

/// Everything the generated history of one Square merchant depends on: the same configuration
/// always yields byte-identical API responses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SquareMerchantConfig {
    /// The OAuth account the data belongs to (`emulator_account` at the authorize endpoint).
    pub merchant_id: String,
    /// The business name on locations and receipts; derived from the seed when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_name: Option<String>,
    pub locations: Vec<SquareLocationSpec>,
    /// Days of history, ending with `end_date`.
    pub days: u32,
    /// The last day of history (in each location's time zone). Explicit, so that the data does
    /// not depend on when it is generated.
    pub end_date: NaiveDate,
    pub seed: u64,
    /// Orders per open day and location, drawn uniformly (Saturdays lean to the top).
    pub orders_per_day: RangeInclusive<u32>,
}

/// Business names an unconfigured merchant may get.
const DEFAULT_BUSINESS_NAMES: [&str; 8] = [
    "Sharp & Co Barbers",
    "Fade Factory",
    "The Gentlemen's Chair",
    "Clipper Kings",
    "Old Town Barbershop",
    "Razor's Edge Grooming",
    "Blade & Brush",
    "Northside Cuts",
];

/// Shops an unconfigured merchant may get: (name suffix, time zone).
const DEFAULT_SHOPS: [(&str, &str); 6] = [
    ("Downtown", "America/New_York"),
    ("Uptown", "America/Chicago"),
    ("Riverside", "America/Los_Angeles"),
    ("Midtown", "America/Denver"),
    ("Harbor", "America/New_York"),
    ("Old Town", "America/Phoenix"),
];

impl SquareMerchantConfig {
    /// The dataset a merchant nobody configured gets on first use: its seed is the FNV-1a hash
    /// of the merchant id, which also picks the business name and one to three US shops (USD,
    /// time zones across the country); 30 days of history ending on `end_date`, 20–35 orders a
    /// day. The emulator calls this with yesterday's date (UTC) when a token for an unknown
    /// merchant is first used, so the history is recent.
    pub fn default_for(merchant_id: &str, end_date: NaiveDate) -> Self {
        let seed = fnv1a(merchant_id.as_bytes());
        let business = DEFAULT_BUSINESS_NAMES[(seed % DEFAULT_BUSINESS_NAMES.len() as u64) as usize];
        let shops = 1 + ((seed >> 8) % 3) as usize;
        let first = ((seed >> 16) % DEFAULT_SHOPS.len() as u64) as usize;
        let locations = (0..shops)
            .map(|offset| {
                let (suffix, timezone) = DEFAULT_SHOPS[(first + offset) % DEFAULT_SHOPS.len()];
                SquareLocationSpec::new(format!("{business} {suffix}"), timezone, "USD")
            })
            .collect();
        Self {
            merchant_id: merchant_id.to_owned(),
            business_name: Some(business.to_owned()),
            locations,
            days: 30,
            end_date,
            seed,
            orders_per_day: 20..=35,
        }
    }

    /// Checks the configuration and resolves time zones and currencies.
    pub(crate) fn validate(&self) -> Result<ValidConfig, EmulatorError> {
        let invalid = |reason: String| Err(EmulatorError::InvalidConfig(reason));
        let id_ok = |id: &str| {
            !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !id_ok(&self.merchant_id) {
            return invalid(format!("merchant_id `{}` must be 1–64 letters, digits, `-` or `_`", self.merchant_id));
        }
        if self.locations.is_empty() || self.locations.len() > MAX_LOCATIONS {
            return invalid(format!("a merchant needs 1–{MAX_LOCATIONS} locations"));
        }
        if self.days == 0 || self.days > MAX_DAYS {
            return invalid(format!("days must be 1–{MAX_DAYS}"));
        }
        let (low, high) = (*self.orders_per_day.start(), *self.orders_per_day.end());
        if low > high || high > MAX_ORDERS_PER_DAY {
            return invalid(format!("orders_per_day must be an ascending range within 0–{MAX_ORDERS_PER_DAY}"));
        }
        if self.end_date.checked_sub_days(chrono::Days::new(u64::from(self.days))).is_none() {
            return invalid("end_date minus days is out of range".to_owned());
        }
        let business_name = match &self.business_name {
            Some(name) if name.trim().is_empty() || name.len() > 255 => {
                return invalid("business_name must be 1–255 characters".to_owned());
            }
            Some(name) => name.clone(),
            None => DEFAULT_BUSINESS_NAMES[(self.seed % DEFAULT_BUSINESS_NAMES.len() as u64) as usize].to_owned(),
        };
        let mut locations = Vec::with_capacity(self.locations.len());
        for spec in &self.locations {
            let name = spec.name.trim();
            if name.is_empty() || name.len() > 255 {
                return invalid(format!("location name `{}` must be 1–255 characters", spec.name));
            }
            if locations.iter().any(|known: &ValidLocation| known.name.eq_ignore_ascii_case(name)) {
                return invalid(format!("location names must be unique within a merchant: `{name}` repeats"));
            }
            // Square's Location.timezone holds at most 30 characters.
            let timezone: Tz = match spec.timezone.parse() {
                Ok(timezone) if spec.timezone.len() <= 30 => timezone,
                _ => return invalid(format!("`{}` is not an IANA time zone Square accepts", spec.timezone)),
            };
            let currency: Currency = spec.currency.parse().map_err(EmulatorError::InvalidConfig)?;
            locations.push(ValidLocation { name: name.to_owned(), timezone, currency });
        }
        Ok(ValidConfig {
            merchant_id: self.merchant_id.clone(),
            business_name,
            locations,
            days: self.days,
            end_date: self.end_date,
            seed: self.seed,
            orders_per_day: (low, high),
            fingerprint: fnv1a(serde_json::to_string(self).unwrap_or_default().as_bytes()),
        })
    }
}

/// A location of a checked configuration.
#[derive(Debug, Clone)]
pub(crate) struct ValidLocation {
    pub name: String,
    pub timezone: Tz,
    pub currency: Currency,
}

/// A checked configuration, ready to generate from.
#[derive(Debug, Clone)]
pub(crate) struct ValidConfig {
    pub merchant_id: String,
    pub business_name: String,
    pub locations: Vec<ValidLocation>,
    pub days: u32,
    pub end_date: NaiveDate,
    pub seed: u64,
    pub orders_per_day: (u32, u32),
    /// A hash of the whole configuration: cursors from another dataset are refused.
    pub fingerprint: u64,
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::{SquareLocationSpec, SquareMerchantConfig};

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 30).expect("a date")
    }

    #[test]
    fn the_default_dataset_is_derived_from_the_merchant_id() {
        let first = SquareMerchantConfig::default_for("MLABC", date());
        assert_eq!(first, SquareMerchantConfig::default_for("MLABC", date()));
        assert_ne!(first.seed, SquareMerchantConfig::default_for("MLXYZ", date()).seed);
        assert!((1..=3).contains(&first.locations.len()));
        assert!(first.validate().is_ok());
    }

    #[test]
    fn bad_configurations_say_what_is_wrong() {
        let mut config = SquareMerchantConfig::default_for("MLABC", date());
        config.locations = vec![SquareLocationSpec::new("A", "Mars/Olympus", "USD")];
        assert!(config.validate().is_err_and(|error| error.to_string().contains("Mars/Olympus")));
        config.locations = vec![SquareLocationSpec::new("A", "Europe/Paris", "XYZ")];
        assert!(config.validate().is_err_and(|error| error.to_string().contains("XYZ")));
        config.locations =
            vec![SquareLocationSpec::new("A", "Europe/Paris", "EUR"), SquareLocationSpec::new("a", "UTC", "EUR")];
        assert!(config.validate().is_err_and(|error| error.to_string().contains("unique")));
        config.locations = vec![SquareLocationSpec::new("A", "Europe/Paris", "EUR")];
        #[allow(clippy::reversed_empty_ranges)]
        {
            config.orders_per_day = 9..=3;
        }
        assert!(config.validate().is_err());
    }
}
