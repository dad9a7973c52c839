//! The currencies a generated Square location may use, with what follows from each: minor
//! units, price level, the additive sales tax on products, Square's card processing rate, and
//! the country and language of the location.

use std::fmt;
use std::str::FromStr;

/// A currency the generator knows prices, tax and fees for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Currency {
    Usd,
    Cad,
    Gbp,
    Eur,
    Aud,
    Jpy,
}

/// A rate as a fraction of 100 000 (8.875 % is 8 875).
pub(crate) type Rate = i64;

impl Currency {
    pub const ALL: [Self; 6] = [Self::Usd, Self::Cad, Self::Gbp, Self::Eur, Self::Aud, Self::Jpy];

    /// The ISO 4217 code, as Square writes it.
    pub fn code(self) -> &'static str {
        match self {
            Self::Usd => "USD",
            Self::Cad => "CAD",
            Self::Gbp => "GBP",
            Self::Eur => "EUR",
            Self::Aud => "AUD",
            Self::Jpy => "JPY",
        }
    }

    /// A price list in US cents becomes this currency's minor units: `cents × scale / 100`.
    fn price_scale(self) -> i64 {
        match self {
            Self::Usd => 100,
            Self::Cad => 135,
            Self::Gbp => 80,
            Self::Eur => 92,
            Self::Aud => 150,
            // The yen has no minor unit: $1 is about ¥150, so one US cent is ¥1.5.
            Self::Jpy => 150,
        }
    }

    /// The smallest step a menu price is rounded to (50 cents, ¥100).
    fn price_step(self) -> i64 {
        match self {
            Self::Jpy => 100,
            _ => 50,
        }
    }

    /// The smallest step tips are rounded to: a whole dollar, pound or euro, or ¥100 (both
    /// are 100 minor units of the currencies emulated).
    pub fn tip_step(self) -> i64 {
        100
    }

    /// A menu price (given in US cents) in this currency, rounded to a price step.
    pub fn price(self, us_cents: i64) -> i64 {
        let step = self.price_step();
        let scaled = us_cents * self.price_scale() / 100;
        ((scaled + step / 2) / step).max(1) * step
    }

    /// The name and rate of the additive tax charged on retail products.
    pub fn product_tax(self) -> (&'static str, Rate) {
        match self {
            Self::Usd => ("Sales Tax", 8_875),
            Self::Cad => ("HST", 13_000),
            Self::Gbp => ("VAT", 20_000),
            Self::Eur => ("VAT", 20_000),
            Self::Aud => ("GST", 10_000),
            Self::Jpy => ("Consumption Tax", 10_000),
        }
    }

    /// Square's in-person card rate and fixed part (US: 2.6 % + 15¢).
    pub fn card_fee(self) -> (Rate, i64) {
        match self {
            Self::Usd => (2_600, 15),
            Self::Cad => (2_650, 0),
            Self::Gbp => (1_750, 0),
            Self::Eur => (1_750, 0),
            Self::Aud => (1_600, 0),
            Self::Jpy => (3_250, 0),
        }
    }

    /// The ISO 3166 country of a location in this currency and time zone.
    pub fn country(self, timezone: &str) -> &'static str {
        match self {
            Self::Usd => "US",
            Self::Cad => "CA",
            Self::Gbp => "GB",
            Self::Aud => "AU",
            Self::Jpy => "JP",
            Self::Eur => match timezone {
                "Europe/Madrid" => "ES",
                "Europe/Dublin" => "IE",
                "Europe/Berlin" => "DE",
                "Europe/Amsterdam" => "NL",
                "Europe/Rome" => "IT",
                _ => "FR",
            },
        }
    }

    /// The location's language, in BCP 47.
    pub fn language(self, country: &str) -> &'static str {
        match country {
            "US" => "en-US",
            "CA" => "en-CA",
            "GB" => "en-GB",
            "AU" => "en-AU",
            "JP" => "ja-JP",
            "ES" => "es-ES",
            "IE" => "en-IE",
            "DE" => "de-DE",
            "NL" => "nl-NL",
            "IT" => "it-IT",
            _ => "fr-FR",
        }
    }
}

/// `amount × rate`, rounded half up (amounts are never negative where this is used).
pub(crate) fn apply_rate(amount: i64, rate: Rate) -> i64 {
    (amount * rate + 50_000).div_euclid(100_000)
}

/// A rate as Square writes percentages: `"8.875"`, `"20"`.
pub(crate) fn percentage_text(rate: Rate) -> String {
    let whole = rate / 1000;
    let fraction = rate % 1000;
    if fraction == 0 {
        return whole.to_string();
    }
    let digits = format!("{fraction:03}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

impl FromStr for Currency {
    type Err = String;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|currency| currency.code() == code).ok_or_else(|| {
            let known: Vec<&str> = Self::ALL.iter().map(|currency| currency.code()).collect();
            format!("currency `{code}` is not emulated (use one of {})", known.join(", "))
        })
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::{Currency, apply_rate, percentage_text};

    #[test]
    fn prices_tax_and_percentages() {
        assert_eq!(Currency::Usd.price(3500), 3500);
        assert_eq!(Currency::Jpy.price(3500), 5300);
        assert_eq!(Currency::Gbp.price(3500), 2800);
        assert_eq!(apply_rate(2200, 8_875), 195);
        assert_eq!(percentage_text(8_875), "8.875");
        assert_eq!(percentage_text(20_000), "20");
        assert_eq!(percentage_text(2_500), "2.5");
        assert_eq!("EUR".parse::<Currency>(), Ok(Currency::Eur));
        assert!("XYZ".parse::<Currency>().is_err());
    }
}
