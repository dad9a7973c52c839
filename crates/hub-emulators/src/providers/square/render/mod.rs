//! Square's JSON for each record, rendered on demand from the compact model with borrowed
//! `Serialize` views (no intermediate `serde_json::Value`), so big pages stay cheap. Field
//! names, enums and nesting follow the spec's schemas; fields Square leaves out when empty are
//! left out here too.

pub(crate) mod labor;
pub(crate) mod orders;
pub(crate) mod payments;
pub(crate) mod people;

use std::fmt::Write;

use chrono::{Datelike, Offset, TimeZone, Timelike};
use chrono_tz::Tz;
use serde::Serialize;

use super::currency::Currency;
use super::model::Millis;

/// Square's `Money`: an amount in minor units and its currency.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Money {
    pub amount: i64,
    pub currency: &'static str,
}

pub(crate) fn money(amount: i64, currency: Currency) -> Money {
    Money { amount, currency: currency.code() }
}

/// An RFC 3339 UTC timestamp with milliseconds (`2025-06-30T17:04:05.123Z`).
pub(crate) fn time(millis: Millis) -> String {
    let Some(instant) = chrono::DateTime::from_timestamp_millis(millis) else {
        return String::from("1970-01-01T00:00:00.000Z");
    };
    let mut text = String::with_capacity(24);
    let _ = write!(
        text,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        instant.year(),
        instant.month(),
        instant.day(),
        instant.hour(),
        instant.minute(),
        instant.second(),
        millis.rem_euclid(1_000)
    );
    text
}

/// An RFC 3339 timestamp in a location's offset, to the minute, as timecards carry them
/// (`2019-01-21T06:11:00-05:00`).
pub(crate) fn local_minute(millis: Millis, timezone: Tz) -> String {
    let Some(local) = timezone.timestamp_millis_opt(millis).earliest() else {
        return time(millis);
    };
    let offset = local.offset().fix().local_minus_utc();
    let sign = if offset < 0 { '-' } else { '+' };
    let offset = offset.unsigned_abs() / 60;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:00{sign}{:02}:{:02}",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute(),
        offset / 60,
        offset % 60
    )
}

/// Serializes a response body.
pub(crate) fn to_bytes(body: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec())
}

#[cfg(test)]
mod tests {
    use super::{local_minute, time};

    #[test]
    fn timestamps_look_like_squares() {
        assert_eq!(time(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(time(0), "1970-01-01T00:00:00.000Z");
        let new_york: chrono_tz::Tz = "America/New_York".parse().expect("a zone");
        assert_eq!(local_minute(1_700_000_000_123, new_york), "2023-11-14T17:13:00-05:00");
        let kolkata: chrono_tz::Tz = "Asia/Kolkata".parse().expect("a zone");
        assert_eq!(local_minute(1_700_000_000_123, kolkata), "2023-11-15T03:43:00+05:30");
    }
}
