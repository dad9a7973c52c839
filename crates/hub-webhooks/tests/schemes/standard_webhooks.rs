use hub_webhooks::{Scheme, WebhookError};

use crate::support::{Delivery, assert_refused, at, b64, concat, headers, hmac_sha256, secrets};

// The specification's example (also the reference Rust library's test vector).
const SPEC_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const SPEC_ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
const SPEC_TIMESTAMP: u64 = 1_649_367_553;
const SPEC_BODY: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;
const SPEC_SIGNATURE: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

const LEAD: &[u8] =
    br#"{"type":"lead.created","data":{"source":"ifpg","broker":"Pat Broker","territory":"TX-Austin"}}"#;

fn delivery(id: &str, timestamp: u64, signature: &str, body: &[u8]) -> Delivery {
    Delivery::post(
        headers(&[("webhook-id", id), ("webhook-timestamp", &timestamp.to_string()), ("webhook-signature", signature)]),
        body,
    )
}

/// The specification's rule, the plain way: base64 HMAC-SHA256 of `id.timestamp.body`, keyed
/// with the base64-decoded part of `whsec_…`.
fn v1(secret: &str, id: &str, timestamp: u64, body: &[u8]) -> String {
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD.decode(secret.trim_start_matches("whsec_")).expect("key");
    let message = concat(&[id.as_bytes(), b".", timestamp.to_string().as_bytes(), b".", body]);
    format!("v1,{}", b64(&hmac_sha256(&key, &message)))
}

#[test]
fn the_specifications_example_verifies() {
    assert_eq!(v1(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY), SPEC_SIGNATURE, "the test-side rule is right");
    let delivery = delivery(SPEC_ID, SPEC_TIMESTAMP, SPEC_SIGNATURE, SPEC_BODY);
    let verified = delivery.verify(Scheme::StandardWebhooks, &secrets(&[SPEC_SECRET]), at(SPEC_TIMESTAMP)).expect("ok");
    assert_eq!(verified.event_id.as_deref(), Some(SPEC_ID));
    assert_eq!(verified.signed_at, Some(at(SPEC_TIMESTAMP)));
}

#[test]
fn a_lead_feed_delivery_verifies_and_tampering_or_a_wrong_secret_does_not() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let signed = delivery("msg_lead_1", 1_700_000_000, &v1(secret, "msg_lead_1", 1_700_000_000, LEAD), LEAD);
    assert!(signed.verify(Scheme::StandardWebhooks, &secrets(&[secret]), at(1_700_000_000)).is_ok());
    let tampered = signed.with_body(&LEAD[..LEAD.len() - 2]);
    assert_refused(
        tampered.verify(Scheme::StandardWebhooks, &secrets(&[secret]), at(1_700_000_000)),
        "no signature matched",
    );
    let other_id = signed.with_header("webhook-id", "msg_lead_2");
    assert_refused(
        other_id.verify(Scheme::StandardWebhooks, &secrets(&[secret]), at(1_700_000_000)),
        "no signature matched",
    );
    assert_refused(
        signed.verify(Scheme::StandardWebhooks, &secrets(&[SPEC_SECRET]), at(1_700_000_000)),
        "no signature matched: 1 signature(s) in webhook-signature checked against 1 secret(s)",
    );
}

#[test]
fn a_timestamp_more_than_five_minutes_away_is_refused() {
    let delivery = delivery(SPEC_ID, SPEC_TIMESTAMP, SPEC_SIGNATURE, SPEC_BODY);
    let secrets = secrets(&[SPEC_SECRET]);
    assert!(delivery.verify(Scheme::StandardWebhooks, &secrets, at(SPEC_TIMESTAMP + 300)).is_ok());
    let stale =
        assert_refused(delivery.verify(Scheme::StandardWebhooks, &secrets, at(SPEC_TIMESTAMP + 3600)), "by 3300 s");
    assert_eq!(stale, WebhookError::TimestampOutsideTolerance { skew_seconds: 3600, tolerance_seconds: 300 });
    assert_refused(delivery.verify(Scheme::StandardWebhooks, &secrets, at(SPEC_TIMESTAMP - 301)), "in the future");
}

#[test]
fn missing_headers_and_unusable_secrets_are_named() {
    let delivery = delivery(SPEC_ID, SPEC_TIMESTAMP, SPEC_SIGNATURE, SPEC_BODY);
    let secrets = secrets(&[SPEC_SECRET]);
    for header in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let missing = delivery.without_header(header);
        assert_refused(
            missing.verify(Scheme::StandardWebhooks, &secrets, at(SPEC_TIMESTAMP)),
            &format!("missing header {header}"),
        );
    }
    let v2_only = delivery.with_header("webhook-signature", "v2,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
    assert_refused(
        v2_only.verify(Scheme::StandardWebhooks, &secrets, at(SPEC_TIMESTAMP)),
        "no v1,<base64 HMAC-SHA256> entry",
    );
    assert_refused(
        delivery.verify(Scheme::StandardWebhooks, &crate::support::secrets(&["whsec_%%%"]), at(SPEC_TIMESTAMP)),
        "secret #1 is unusable",
    );
}

#[test]
fn during_a_rotation_either_secret_or_either_signature_verifies() {
    let next = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let both = secrets(&[next, SPEC_SECRET]);
    let old = delivery(SPEC_ID, SPEC_TIMESTAMP, SPEC_SIGNATURE, SPEC_BODY);
    assert_eq!(old.verify(Scheme::StandardWebhooks, &both, at(SPEC_TIMESTAMP)).expect("old").secret_index, 1);
    let list = format!("v1a,ignored {} {}", v1(next, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY), SPEC_SIGNATURE);
    let signed_twice = delivery(SPEC_ID, SPEC_TIMESTAMP, &list, SPEC_BODY);
    assert!(signed_twice.verify(Scheme::StandardWebhooks, &secrets(&[next]), at(SPEC_TIMESTAMP)).is_ok());
    assert!(signed_twice.verify(Scheme::StandardWebhooks, &secrets(&[SPEC_SECRET]), at(SPEC_TIMESTAMP)).is_ok());
}
