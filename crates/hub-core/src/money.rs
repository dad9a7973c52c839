//! Money: an exact decimal amount with its ISO 4217 currency, never a float.
//!
//! Providers send amounts in minor units (`{"amount": 3500, "currency": "USD"}` is $35.00); the
//! hub keeps decimals scaled to the currency's minor unit, so sums and differences are exact and
//! serialize as strings (`"35.00"`).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::ValidationError;
use crate::tenancy::Currency;

/// Currencies without a minor unit (ISO 4217 exponent 0).
const EXPONENT_0: &[&str] =
    &["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"];
/// Currencies with three decimals (ISO 4217 exponent 3).
const EXPONENT_3: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];

/// How many decimals the currency's minor unit has (USD 2, JPY 0, KWD 3).
pub fn minor_unit_exponent(currency: Currency) -> u32 {
    let code = currency.as_str();
    if EXPONENT_0.contains(&code) {
        0
    } else if EXPONENT_3.contains(&code) {
        3
    } else {
        2
    }
}

/// Converts an amount in minor units (cents) into a decimal of the currency's scale.
pub fn from_minor_units(amount: i64, currency: Currency) -> Decimal {
    Decimal::new(amount, minor_unit_exponent(currency))
}

/// Converts a decimal into minor units; refuses amounts with more decimals than the currency has.
pub fn to_minor_units(amount: Decimal, currency: Currency) -> Result<i64, ValidationError> {
    let exponent = minor_unit_exponent(currency);
    let scaled = amount * Decimal::from(10_i64.pow(exponent));
    if scaled.fract() != Decimal::ZERO {
        return Err(ValidationError::new(format!("has more decimals than {currency} allows")));
    }
    i64::try_from(scaled.trunc()).map_err(|_| ValidationError::new("is out of range"))
}

/// Rounds to the currency's minor unit, halves away from zero (how invoices round).
pub fn round_to_currency(amount: Decimal, currency: Currency) -> Decimal {
    amount.round_dp_with_strategy(minor_unit_exponent(currency), rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// An amount of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Serialized as a string (`"35.00"`) so no JSON reader turns it into a float.
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    /// `amount` of `currency`.
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// Zero of `currency`, at its scale.
    pub fn zero(currency: Currency) -> Self {
        Self { amount: from_minor_units(0, currency), currency }
    }

    /// The sum, refusing to add different currencies.
    pub fn checked_add(self, other: Money) -> Result<Money, ValidationError> {
        if self.currency != other.currency {
            return Err(ValidationError::new(format!("cannot add {} to {}", other.currency, self.currency)));
        }
        Ok(Money { amount: self.amount + other.amount, currency: self.currency })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd() -> Currency {
        Currency::parse("USD").expect("USD")
    }

    #[test]
    fn minor_units_follow_the_currency() {
        assert_eq!(from_minor_units(3500, usd()).to_string(), "35.00");
        assert_eq!(from_minor_units(3500, Currency::parse("JPY").expect("JPY")).to_string(), "3500");
        assert_eq!(from_minor_units(3500, Currency::parse("KWD").expect("KWD")).to_string(), "3.500");
        assert!(to_minor_units(Decimal::new(12345, 3), usd()).is_err(), "12.345 USD has a third decimal");
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_to_currency(Decimal::new(12345, 3), usd()).to_string(), "12.35");
        assert_eq!(round_to_currency(Decimal::new(-12345, 3), usd()).to_string(), "-12.35");
        assert_eq!(round_to_currency(Decimal::new(12344, 3), usd()).to_string(), "12.34");
    }

    #[test]
    fn money_serializes_as_a_string_and_refuses_mixed_sums() {
        let money = Money::new(from_minor_units(1999, usd()), usd());
        assert_eq!(serde_json::to_string(&money).ok().as_deref(), Some(r#"{"amount":"19.99","currency":"USD"}"#));
        let euros = Money::zero(Currency::parse("EUR").expect("EUR"));
        assert!(money.checked_add(euros).is_err());
    }

    proptest! {
        #[test]
        fn minor_units_round_trip(amount in -1_000_000_000_000_i64..1_000_000_000_000) {
            prop_assert_eq!(to_minor_units(from_minor_units(amount, usd()), usd()).ok(), Some(amount));
        }
    }
}
