use hub_webhooks::{Scheme, WebhookError};

use crate::support::{Delivery, assert_refused, at, concat, headers, hmac_sha256, secrets};

const SECRET: &str = "whsec_stripe_endpoint_secret";
const ROTATED: &str = "whsec_stripe_next_secret";
const BODY: &[u8] = br#"{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","type":"charge.succeeded"}
"#;
const T: u64 = 1_700_000_000;

fn v1(secret: &str, t: u64, body: &[u8]) -> String {
    hex::encode(hmac_sha256(secret.as_bytes(), &concat(&[t.to_string().as_bytes(), b".", body])))
}

fn delivery(header: &str) -> Delivery {
    Delivery::post(headers(&[("Stripe-Signature", header)]), BODY)
}

#[test]
fn a_signed_delivery_verifies_and_names_its_event() {
    let delivery = delivery(&format!("t={T},v1={},v0=deadbeef", v1(SECRET, T, BODY)));
    let verified = delivery.verify(Scheme::Stripe, &secrets(&[SECRET]), at(T + 10)).expect("valid");
    assert_eq!(verified.secret_index, 0);
    assert_eq!(verified.event_id.as_deref(), Some("evt_1NG8Du2eZvKYlo2CUI79vXWy"));
    assert_eq!(verified.signed_at, Some(at(T)));
    assert!(!verified.is_handshake());
}

#[test]
fn a_tampered_body_or_a_wrong_secret_matches_nothing() {
    let delivery = delivery(&format!("t={T},v1={}", v1(SECRET, T, BODY)));
    // The trailing newline is part of what Stripe signed: dropping it is a change.
    let trimmed = delivery.with_body(&BODY[..BODY.len() - 1]);
    assert_refused(trimmed.verify(Scheme::Stripe, &secrets(&[SECRET]), at(T)), "no signature matched");
    let error =
        assert_refused(delivery.verify(Scheme::Stripe, &secrets(&["whsec_other"]), at(T)), "no signature matched");
    assert_eq!(error, WebhookError::NoSignatureMatched { header: "Stripe-Signature", signatures: 1, secrets: 1 });
    let changed_t = self::delivery(&format!("t={},v1={}", T + 1, v1(SECRET, T, BODY)));
    assert_refused(changed_t.verify(Scheme::Stripe, &secrets(&[SECRET]), at(T)), "no signature matched");
}

#[test]
fn a_stale_or_future_timestamp_is_refused_by_how_much() {
    let delivery = delivery(&format!("t={T},v1={}", v1(SECRET, T, BODY)));
    let secrets = secrets(&[SECRET]);
    assert!(delivery.verify(Scheme::Stripe, &secrets, at(T + 300)).is_ok(), "300 s is still inside");
    assert_refused(
        delivery.verify(Scheme::Stripe, &secrets, at(T + 301)),
        "outside tolerance by 1 s: signed 301 s ago",
    );
    assert_refused(delivery.verify(Scheme::Stripe, &secrets, at(T - 400)), "signed 400 s in the future");
}

#[test]
fn a_missing_or_malformed_header_is_named() {
    let none = Delivery::post(headers(&[]), BODY);
    assert_refused(none.verify(Scheme::Stripe, &secrets(&[SECRET]), at(T)), "missing header Stripe-Signature");
    for (header, reason) in [
        (format!("v1={}", v1(SECRET, T, BODY)), "no t= timestamp"),
        (format!("t=soon,v1={}", v1(SECRET, T, BODY)), "not a whole number"),
        (format!("t={T},v0={}", v1(SECRET, T, BODY)), "no v1= signature"),
        (format!("t={T},v1=zz"), "no v1= value is a 32-byte HMAC-SHA256"),
    ] {
        assert_refused(delivery(&header).verify(Scheme::Stripe, &secrets(&[SECRET]), at(T)), reason);
    }
}

#[test]
fn during_a_rotation_both_secrets_verify() {
    let both = secrets(&[SECRET, ROTATED]);
    let old = delivery(&format!("t={T},v1={}", v1(SECRET, T, BODY)));
    let new = delivery(&format!("t={T},v1={}", v1(ROTATED, T, BODY)));
    assert_eq!(old.verify(Scheme::Stripe, &both, at(T)).expect("old").secret_index, 0);
    assert_eq!(new.verify(Scheme::Stripe, &both, at(T)).expect("new").secret_index, 1);
    // Stripe itself sends one v1 per active secret while it rolls one.
    let rolling = delivery(&format!("t={T},v1={},v1={}", v1("whsec_expired", T, BODY), v1(ROTATED, T, BODY)));
    assert_eq!(rolling.verify(Scheme::Stripe, &secrets(&[ROTATED]), at(T)).expect("rolling").secret_index, 0);
}
