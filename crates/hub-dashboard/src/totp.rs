//! Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP, HMAC-SHA1, 6 digits, 30 s): the
//! codes authenticator apps show, the `otpauth://` URI that enrols them, and the ±1 step check.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Bytes of a new secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding: how authenticator apps take secrets.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0_u32, 0_u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((buffer >> bits) & 0x1f) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32[((buffer << (5 - bits)) & 0x1f) as usize] as char);
    }
    out
}

/// A fresh random secret.
pub fn generate_secret() -> Vec<u8> {
    use rand::RngCore;
    let mut secret = vec![0_u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut secret);
    secret
}

/// The RFC 4226 code for `counter`.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let binary = (u32::from(digest[offset] & 0x7f) << 24)
        | (u32::from(digest[offset + 1]) << 16)
        | (u32::from(digest[offset + 2]) << 8)
        | u32::from(digest[offset + 3]);
    binary % 10_u32.pow(digits)
}

/// The time step `unix_seconds` falls in.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The 6-digit code for `step`, zero-padded.
pub fn code_for_step(secret: &[u8], step: i64) -> String {
    format!("{:0width$}", hotp(secret, u64::try_from(step).unwrap_or(0), DIGITS), width = DIGITS as usize)
}

/// The step whose code `code` is, among the current step and one either side (clock drift);
/// `None` when it matches none. Compared in constant time.
pub fn verify(secret: &[u8], code: &str, unix_seconds: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(unix_seconds);
    let mut found = None;
    for step in [now - 1, now, now + 1] {
        if step >= 0 && code_for_step(secret, step).as_bytes().ct_eq(code.as_bytes()).into() {
            found = Some(step);
        }
    }
    found
}

/// The `otpauth://` URI an authenticator app scans or takes pasted.
pub fn enrol_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let label: String = url::form_urlencoded::byte_serialize(format!("{issuer}:{account}").as_bytes()).collect();
    let issuer: String = url::form_urlencoded::byte_serialize(issuer.as_bytes()).collect();
    format!(
        "otpauth://totp/{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        label.replace('+', "%20"),
        base32_encode(secret),
        issuer.replace('+', "%20")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn matches_the_rfc_6238_sha1_vectors() {
        // RFC 6238 appendix B, SHA-1, 8 digits.
        for (time, expected) in [
            (59_i64, 94_287_082_u32),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ] {
            assert_eq!(hotp(RFC_SECRET, step_at(time) as u64, 8), expected, "t={time}");
        }
        assert_eq!(code_for_step(RFC_SECRET, step_at(59)), "287082");
        assert_eq!(code_for_step(RFC_SECRET, step_at(1_111_111_109)), "081804", "zero-padded");
    }

    #[test]
    fn accepts_one_step_of_drift_and_nothing_else() {
        let now = 1_700_000_000;
        let current = code_for_step(RFC_SECRET, step_at(now));
        assert_eq!(verify(RFC_SECRET, &current, now), Some(step_at(now)));
        let previous = code_for_step(RFC_SECRET, step_at(now) - 1);
        assert_eq!(verify(RFC_SECRET, &previous, now), Some(step_at(now) - 1));
        let next = code_for_step(RFC_SECRET, step_at(now) + 1);
        assert_eq!(verify(RFC_SECRET, &next, now), Some(step_at(now) + 1));
        let stale = code_for_step(RFC_SECRET, step_at(now) - 2);
        if stale != current && stale != previous && stale != next {
            assert_eq!(verify(RFC_SECRET, &stale, now), None);
        }
        for bad in ["", "12345", "1234567", "abcdef", " 12 34 "] {
            assert_eq!(verify(RFC_SECRET, bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn base32_and_uri_are_what_apps_expect() {
        assert_eq!(base32_encode(b""), "");
        assert_eq!(base32_encode(b"f"), "MY");
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_encode(RFC_SECRET), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let uri = enrol_uri("Franchise Hub", "ana@example.com", RFC_SECRET);
        assert_eq!(
            uri,
            "otpauth://totp/Franchise%20Hub%3Aana%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Franchise%20Hub&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(generate_secret().len(), SECRET_BYTES);
        assert_ne!(generate_secret(), generate_secret());
    }
}
