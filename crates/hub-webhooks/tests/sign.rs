//! Outbound Standard Webhooks signatures, checked against the specification's example and by the
//! reference `standardwebhooks` library, and round-tripped through the hub's own verifier.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, Method};
use hub_webhooks::{InboundRequest, Scheme, SigningSecret, WebhookSecret, sign, verify};

const SPEC_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const SPEC_ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
const SPEC_BODY: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;

fn headers_of(secrets: &[SigningSecret], id: &str, at: SystemTime, body: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    sign(secrets, id, at, body).expect("sign").apply(&mut headers);
    headers
}

fn hub_verifies(secret: &SigningSecret, headers: &HeaderMap, body: &[u8], now: SystemTime) -> bool {
    let secrets = [WebhookSecret::new(secret.to_whsec()).expect("secret")];
    let request = InboundRequest { method: &Method::POST, url: None, headers, body };
    verify(Scheme::StandardWebhooks, &secrets, &request, now).is_ok()
}

#[test]
fn signing_the_specifications_example_gives_its_signature() {
    let secret = SigningSecret::parse(SPEC_SECRET).expect("secret");
    let signed = sign(&[secret], SPEC_ID, UNIX_EPOCH + Duration::from_secs(1_649_367_553), SPEC_BODY).expect("sign");
    assert_eq!(signed.id, SPEC_ID);
    assert_eq!(signed.timestamp, "1649367553");
    assert_eq!(signed.signature, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
    assert_eq!(SigningSecret::parse(SPEC_SECRET).expect("secret").to_whsec(), SPEC_SECRET);
}

#[test]
fn the_reference_library_verifies_what_the_hub_signs() {
    let secret = SigningSecret::generate();
    let body = br#"{"type":"sale.created","data":{"sale_id":"sale_01J","total":{"amount":"42.50","currency":"USD"}}}"#;
    let headers = headers_of(std::slice::from_ref(&secret), "msg_01JABCDEF", SystemTime::now(), body);
    let reference = standardwebhooks::Webhook::new(&secret.to_whsec()).expect("reference accepts the secret");
    reference.verify(body, &headers).expect("the reference library verifies the hub's signature");
    assert!(reference.verify(b"{}", &headers).is_err(), "and refuses another body");
    assert!(hub_verifies(&secret, &headers, body, SystemTime::now()));
}

#[test]
fn during_a_rotation_subscribers_holding_either_secret_verify() {
    let (old, new) = (SigningSecret::generate(), SigningSecret::generate());
    let body = br#"{"type":"appointment.booked"}"#;
    let now = SystemTime::now();
    let headers = headers_of(&[old.clone(), new.clone()], "msg_rotating", now, body);
    let signature = headers["webhook-signature"].to_str().expect("ascii");
    assert_eq!(signature.split(' ').count(), 2, "one v1 per secret: {signature}");
    for secret in [&old, &new] {
        let reference = standardwebhooks::Webhook::new(&secret.to_whsec()).expect("secret");
        reference.verify(body, &headers).expect("the reference library verifies with either secret");
        assert!(hub_verifies(secret, &headers, body, now));
    }
    let stranger = SigningSecret::generate();
    assert!(standardwebhooks::Webhook::new(&stranger.to_whsec()).expect("secret").verify(body, &headers).is_err());
    assert!(!hub_verifies(&stranger, &headers, body, now));
}

#[test]
fn applying_the_headers_replaces_earlier_ones() {
    let secret = SigningSecret::generate();
    let mut headers = HeaderMap::new();
    headers.insert("webhook-id", "stale".parse().expect("value"));
    sign(&[secret], "msg_2", SystemTime::now(), b"{}").expect("sign").apply(&mut headers);
    assert_eq!(headers.get_all("webhook-id").iter().count(), 1);
    assert_eq!(headers["webhook-id"], "msg_2");
    assert!(headers["webhook-signature"].to_str().expect("ascii").starts_with("v1,"));
}
