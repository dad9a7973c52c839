//! The small pieces every verifier shares: MACs over several byte runs without concatenating
//! them, decoding into stack buffers, constant-time comparison and the timestamp window.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::WebhookError;

/// HMAC-SHA256 output.
pub(crate) type Mac256 = [u8; 32];
/// HMAC-SHA1 output.
pub(crate) type Mac160 = [u8; 20];

/// HMAC-SHA256 keyed with `key` over `parts` in order, as if they were one byte string.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Mac256 {
    let mut mac = sha256_mac(key);
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// A keyed HMAC-SHA256 state, for callers that feed it piece by piece.
pub(crate) fn sha256_mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length: longer ones are hashed, shorter ones padded.
    <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// A keyed HMAC-SHA1 state (Twilio).
pub(crate) fn sha1_mac(key: &[u8]) -> Hmac<Sha1> {
    <Hmac<Sha1> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// Plain SHA-256 over `parts` (HubSpot's legacy v1/v2 "signatures", Twilio's body hash).
pub(crate) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// Equality that takes the same time wherever the first difference is.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Whether a shared token equals an expected one, without leaking where they differ or, since
/// both sides are hashed first, how long the expected one is.
pub(crate) fn token_matches(received: &str, expected: &str) -> bool {
    ct_eq(&sha256(&[received.as_bytes()]), &sha256(&[expected.as_bytes()]))
}

/// Decodes lowercase or uppercase hex of exactly `N` bytes.
pub(crate) fn decode_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    hex::decode_to_slice(text.trim(), &mut out).ok()?;
    Some(out)
}

/// Decodes standard (padded) base64 of exactly `N` bytes (N ≤ 64).
pub(crate) fn decode_base64<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut buffer = [0u8; 66];
    let text = text.trim();
    // Longer text cannot be N bytes; refusing it early also keeps the buffer big enough.
    if text.len() > 88 {
        return None;
    }
    let length = STANDARD.decode_slice(text, &mut buffer).ok()?;
    if length != N {
        return None;
    }
    let mut out = [0u8; N];
    out.copy_from_slice(&buffer[..N]);
    Some(out)
}

/// Seconds since the Unix epoch, negative before it.
pub(crate) fn unix_seconds(at: SystemTime) -> i64 {
    match at.duration_since(UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |seconds| -seconds),
    }
}

/// Milliseconds since the Unix epoch, negative before it.
pub(crate) fn unix_millis(at: SystemTime) -> i64 {
    match at.duration_since(UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_millis()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_millis()).map_or(i64::MIN, |millis| -millis),
    }
}

/// The instant `seconds` after the epoch (before it when negative).
pub(crate) fn from_unix_seconds(seconds: i64) -> SystemTime {
    let offset = Duration::from_secs(seconds.unsigned_abs());
    let at = if seconds >= 0 { UNIX_EPOCH.checked_add(offset) } else { UNIX_EPOCH.checked_sub(offset) };
    at.unwrap_or(UNIX_EPOCH)
}

/// The instant `millis` after the epoch (before it when negative).
pub(crate) fn from_unix_millis(millis: i64) -> SystemTime {
    let offset = Duration::from_millis(millis.unsigned_abs());
    let at = if millis >= 0 { UNIX_EPOCH.checked_add(offset) } else { UNIX_EPOCH.checked_sub(offset) };
    at.unwrap_or(UNIX_EPOCH)
}

/// Refuses a time signed `signed_seconds` after the epoch when it is further than `tolerance` from
/// `now` in either direction: an old one may be a replay, a future one would stretch the window.
pub(crate) fn check_window_seconds(
    signed_seconds: i64,
    now: SystemTime,
    tolerance: Duration,
) -> Result<(), WebhookError> {
    check_window(unix_millis(now).saturating_sub(signed_seconds.saturating_mul(1000)), tolerance)
}

/// [`check_window_seconds`] for a time signed in milliseconds (HubSpot).
pub(crate) fn check_window_millis(
    signed_millis: i64,
    now: SystemTime,
    tolerance: Duration,
) -> Result<(), WebhookError> {
    check_window(unix_millis(now).saturating_sub(signed_millis), tolerance)
}

/// Refuses a skew (now minus the signed time, in milliseconds) larger than `tolerance`.
fn check_window(skew_millis: i64, tolerance: Duration) -> Result<(), WebhookError> {
    let tolerance_millis = u64::try_from(tolerance.as_millis()).unwrap_or(u64::MAX);
    if skew_millis.unsigned_abs() > tolerance_millis {
        // Whole seconds, rounded away from zero so a refused skew never reads as "0 s".
        let seconds = skew_millis.unsigned_abs().div_ceil(1000);
        let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
        return Err(WebhookError::TimestampOutsideTolerance {
            skew_seconds: if skew_millis >= 0 { seconds } else { -seconds },
            tolerance_seconds: tolerance.as_secs(),
        });
    }
    Ok(())
}

/// Parses a decimal timestamp header (digits only, no sign, no spaces).
pub(crate) fn parse_timestamp(name: &'static str, text: &str) -> Result<i64, WebhookError> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(WebhookError::malformed(name, "the timestamp is not a whole number"));
    }
    text.parse::<i64>().map_err(|_| WebhookError::malformed(name, "the timestamp is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoders_insist_on_the_exact_length() {
        assert_eq!(decode_hex::<2>("0aFf"), Some([0x0a, 0xff]));
        assert_eq!(decode_hex::<2>("0aff00"), None);
        assert_eq!(decode_base64::<3>("AQID"), Some([1, 2, 3]));
        assert_eq!(decode_base64::<3>("AQIDBA=="), None);
        assert_eq!(decode_base64::<32>(&"A".repeat(400)), None);
    }

    #[test]
    fn the_window_is_symmetric_and_reports_whole_seconds() {
        assert!(check_window(300_000, Duration::from_secs(300)).is_ok());
        assert!(check_window(-300_000, Duration::from_secs(300)).is_ok());
        let old = check_window(301_500, Duration::from_secs(300)).expect_err("old");
        assert_eq!(old, WebhookError::TimestampOutsideTolerance { skew_seconds: 302, tolerance_seconds: 300 });
        assert_eq!(old.to_string(), "timestamp outside tolerance by 2 s: signed 302 s ago, tolerance 300 s");
        let future = check_window(-400_000, Duration::from_secs(300)).expect_err("future");
        assert!(future.to_string().contains("400 s in the future"), "{future}");
        let now = from_unix_seconds(1_000);
        assert!(check_window_seconds(i64::MAX, now, Duration::from_secs(300)).is_err(), "no overflow");
        assert!(check_window_millis(i64::MIN, now, Duration::from_secs(300)).is_err(), "no overflow");
        assert!(check_window_seconds(1_000, now, Duration::from_secs(300)).is_ok());
    }

    #[test]
    fn unix_time_round_trips_on_both_sides_of_the_epoch() {
        assert_eq!(unix_seconds(from_unix_seconds(1_700_000_000)), 1_700_000_000);
        assert_eq!(unix_seconds(from_unix_seconds(-5)), -5);
        assert_eq!(unix_millis(from_unix_millis(1_700_000_000_123)), 1_700_000_000_123);
        assert!(parse_timestamp("t", "-1").is_err());
        assert!(parse_timestamp("t", "99999999999999999999").is_err());
    }
}
