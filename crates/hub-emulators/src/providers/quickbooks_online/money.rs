//! Exact decimals for amounts, prices and quantities (QBO's `xs:decimal`): parsed from the JSON
//! number's text, never through arithmetic on floats, and written back as JSON numbers.

use std::fmt;

use serde_json::Value;

/// Fixed point with six decimal places.
const SCALE: i128 = 1_000_000;
const PLACES: u32 = 6;

/// An exact decimal with at most six places.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Decimal(i128);

impl Decimal {
    pub const ZERO: Self = Self(0);

    /// Parses `-12`, `12.5`, `0.000001`; refuses exponents, more than six places and junk.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
            return None;
        }
        let fraction = fraction.trim_end_matches('0');
        if fraction.len() > PLACES as usize || whole.len() > 18 {
            return None;
        }
        let whole: i128 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
        let padded = format!("{fraction:0<6}");
        let fraction: i128 = padded.parse().ok()?;
        let units = whole * SCALE + fraction;
        Some(Self(if negative { -units } else { units }))
    }

    /// A JSON number, or a string holding one (QBO's parser takes both).
    pub fn from_json(value: &Value) -> Option<Self> {
        match value {
            Value::Number(number) => Self::parse(&number.to_string()),
            Value::String(text) => Self::parse(text),
            _ => None,
        }
    }

    /// How many decimal places the value needs.
    pub fn places(self) -> u32 {
        let mut rest = self.0.rem_euclid(SCALE);
        if rest == 0 {
            return 0;
        }
        let mut places = PLACES;
        while rest % 10 == 0 {
            rest /= 10;
            places -= 1;
        }
        places
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn add(self, other: Self) -> Self {
        Self(self.0.saturating_add(other.0))
    }

    pub fn sub(self, other: Self) -> Self {
        Self(self.0.saturating_sub(other.0))
    }

    /// `self × other` rounded half away from zero to cents, as QBO compares line amounts.
    pub fn times_to_cents(self, other: Self) -> Self {
        let product = self.0.saturating_mul(other.0); // scale 10^12
        let cent = SCALE * SCALE / 100;
        let cents = product / cent;
        let rest = product % cent;
        let rounded = if rest.abs() * 2 >= cent { cents + product.signum() } else { cents };
        Self(rounded * (SCALE / 100))
    }

    /// As a JSON number (`100.0`, `12.34`), the way QBO writes decimals.
    pub fn to_json(self) -> Value {
        let float = self.0 as f64 / SCALE as f64;
        serde_json::Number::from_f64(float).map_or(Value::Null, Value::Number)
    }
}

impl fmt::Display for Decimal {
    /// `100.0`, `12.5`: at least one decimal place, as QBO echoes amounts in messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let units = self.0.unsigned_abs();
        let whole = units / SCALE.unsigned_abs();
        let fraction = format!("{:06}", units % SCALE.unsigned_abs());
        let fraction = fraction.trim_end_matches('0');
        let fraction = if fraction.is_empty() { "0" } else { fraction };
        write!(f, "{sign}{whole}.{fraction}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Decimal;

    fn decimal(text: &str) -> Decimal {
        Decimal::parse(text).unwrap_or_else(|| panic!("`{text}` parses"))
    }

    #[test]
    fn parses_exact_text_and_refuses_what_is_not_a_decimal() {
        assert_eq!(decimal("12.50"), decimal("12.5"));
        assert_eq!(decimal("-0.01").to_string(), "-0.01");
        assert_eq!(decimal("100").to_string(), "100.0");
        assert_eq!(decimal(".5").to_string(), "0.5");
        for junk in ["", "-", ".", "1e3", "abc", "1.0000001", "1,5", "--1"] {
            assert_eq!(Decimal::parse(junk), None, "`{junk}`");
        }
    }

    #[test]
    fn reads_json_numbers_and_strings_and_writes_numbers_back() {
        assert_eq!(Decimal::from_json(&json!(1234.56)), Some(decimal("1234.56")));
        assert_eq!(Decimal::from_json(&json!("0.1")), Some(decimal("0.1")));
        assert_eq!(Decimal::from_json(&json!(true)), None);
        assert_eq!(decimal("1234.56").to_json(), json!(1234.56));
        assert_eq!(decimal("0.1").add(decimal("0.2")).to_json(), json!(0.3));
    }

    #[test]
    fn places_and_cent_rounding() {
        assert_eq!(decimal("12.340").places(), 2);
        assert_eq!(decimal("-3").places(), 0);
        assert_eq!(decimal("0.125").places(), 3);
        assert_eq!(decimal("3").times_to_cents(decimal("33.335")), decimal("100.01"));
        assert_eq!(decimal("-1").times_to_cents(decimal("0.005")), decimal("-0.01"));
        assert_eq!(decimal("2").times_to_cents(decimal("0.004")), decimal("0.01"));
    }
}
