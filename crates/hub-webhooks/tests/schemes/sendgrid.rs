use hub_webhooks::{Scheme, WebhookError, event_ids};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};

use crate::support::{Delivery, assert_refused, at, b64, headers, secrets};

// Published in SendGrid's Python library tests (test/unit/test_eventwebhook.py).
const SDK_KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==";
const SDK_OTHER_KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==";
const SDK_SIGNATURE: &str =
    "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=";
const SDK_TIMESTAMP: &str = "1600112502";
/// The library's payload: `json.dumps(…, sort_keys=True, separators=(',', ':'))` plus CR LF.
const SDK_PAYLOAD: &str = "[{\"email\":\"hello@world.com\",\"event\":\"dropped\",\"reason\":\"Bounced Address\",\"sg_event_id\":\"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA\",\"sg_message_id\":\"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0\",\"smtp-id\":\"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>\",\"timestamp\":1600112492}]\r\n";

fn delivery(signature: &str, timestamp: &str, body: &[u8]) -> Delivery {
    Delivery::post(
        headers(&[
            ("X-Twilio-Email-Event-Webhook-Signature", signature),
            ("X-Twilio-Email-Event-Webhook-Timestamp", timestamp),
        ]),
        body,
    )
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32].into()).expect("a valid scalar")
}

/// The verification key the way SendGrid's settings show it: base64 DER SubjectPublicKeyInfo.
fn shown(key: &SigningKey) -> String {
    b64(key.verifying_key().to_public_key_der().expect("der").as_bytes())
}

fn signed(key: &SigningKey, timestamp: &str, body: &[u8]) -> Delivery {
    let signature: Signature = key.sign(&[timestamp.as_bytes(), body].concat());
    delivery(&b64(signature.to_der().as_bytes()), timestamp, body)
}

#[test]
fn sendgrids_published_example_verifies_and_lists_its_event() {
    let delivery = delivery(SDK_SIGNATURE, SDK_TIMESTAMP, SDK_PAYLOAD.as_bytes());
    let verified = delivery.verify(Scheme::SendGrid, &secrets(&[SDK_KEY]), at(1_600_112_502)).expect("valid");
    assert_eq!(verified.signed_at, Some(at(1_600_112_502)));
    assert_eq!(
        event_ids(Scheme::SendGrid, &delivery.request()),
        ["ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA"]
    );
    // The library's negative cases: another key, another payload, another signature.
    assert_refused(delivery.verify(Scheme::SendGrid, &secrets(&[SDK_OTHER_KEY]), at(0)), "no signature matched");
    let payload = delivery.with_body(b"payload");
    assert_refused(payload.verify(Scheme::SendGrid, &secrets(&[SDK_KEY]), at(0)), "no signature matched");
    let other = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH3j/0=";
    let signature = delivery.with_header("X-Twilio-Email-Event-Webhook-Signature", other);
    assert_refused(signature.verify(Scheme::SendGrid, &secrets(&[SDK_KEY]), at(0)), "no signature matched");
    let timestamp = delivery.with_header("X-Twilio-Email-Event-Webhook-Timestamp", "timestamp");
    assert_refused(timestamp.verify(Scheme::SendGrid, &secrets(&[SDK_KEY]), at(0)), "not a whole number");
}

#[test]
fn a_signed_delivery_verifies_and_a_tampered_one_does_not() {
    let body = br#"[{"email":"a@example.com","event":"delivered","sg_event_id":"ev1"}]"#;
    let delivery = signed(&key(7), "1700000000", body);
    assert!(delivery.verify(Scheme::SendGrid, &secrets(&[&shown(&key(7))]), at(0)).is_ok());
    let tampered = delivery.with_body(&body[..body.len() - 1]);
    assert_refused(tampered.verify(Scheme::SendGrid, &secrets(&[&shown(&key(7))]), at(0)), "no signature matched");
    assert_refused(delivery.verify(Scheme::SendGrid, &secrets(&[&shown(&key(8))]), at(0)), "no signature matched");
    let retimed = delivery.with_header("X-Twilio-Email-Event-Webhook-Timestamp", "1700000001");
    assert_refused(retimed.verify(Scheme::SendGrid, &secrets(&[&shown(&key(7))]), at(0)), "no signature matched");
}

#[test]
fn the_key_may_also_be_given_as_pem() {
    let pem = key(7).verifying_key().to_public_key_pem(LineEnding::LF).expect("pem");
    let delivery = signed(&key(7), "1700000000", b"[]");
    assert!(delivery.verify(Scheme::SendGrid, &secrets(&[&pem]), at(0)).is_ok());
}

#[test]
fn missing_headers_and_unusable_keys_are_named() {
    let delivery = signed(&key(7), "1700000000", b"[]");
    let key = shown(&key(7));
    let no_signature = delivery.without_header("X-Twilio-Email-Event-Webhook-Signature");
    assert_refused(
        no_signature.verify(Scheme::SendGrid, &secrets(&[&key]), at(0)),
        "missing header X-Twilio-Email-Event-Webhook-Signature",
    );
    let no_timestamp = delivery.without_header("X-Twilio-Email-Event-Webhook-Timestamp");
    assert_refused(
        no_timestamp.verify(Scheme::SendGrid, &secrets(&[&key]), at(0)),
        "missing header X-Twilio-Email-Event-Webhook-Timestamp",
    );
    let garbage = delivery.with_header("X-Twilio-Email-Event-Webhook-Signature", "bm90IERFUg==");
    assert_refused(garbage.verify(Scheme::SendGrid, &secrets(&[&key]), at(0)), "not a DER ECDSA P-256 signature");
    let error =
        assert_refused(delivery.verify(Scheme::SendGrid, &secrets(&["not-a-key"]), at(0)), "secret #1 is unusable");
    assert!(matches!(error, WebhookError::InvalidSecret { index: 0, .. }));
    // A broken new key does not stop the old one from verifying during a rotation.
    assert!(delivery.verify(Scheme::SendGrid, &secrets(&["not-a-key", &key]), at(0)).is_ok());
}

#[test]
fn during_a_rotation_both_keys_verify() {
    let both = secrets(&[&shown(&key(7)), &shown(&key(9))]);
    assert_eq!(signed(&key(7), "1", b"[]").verify(Scheme::SendGrid, &both, at(0)).expect("old").secret_index, 0);
    assert_eq!(signed(&key(9), "1", b"[]").verify(Scheme::SendGrid, &both, at(0)).expect("new").secret_index, 1);
}
