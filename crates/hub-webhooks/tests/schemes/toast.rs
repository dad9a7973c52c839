use hub_webhooks::Scheme;

use crate::support::{Delivery, assert_refused, at, b64, concat, headers, hmac_sha256, secrets};

const SECRET: &str = "toast-subscription-secret";
const TIMESTAMP: &str = "2023-11-14T22:13:20.000+0000";
const BODY: &[u8] = br#"{"timestamp":"2023-11-14T22:13:20.000+0000","eventCategory":"partners","eventType":"partner_added","guid":"3f2e1d0c-aaaa-bbbb-cccc-0123456789ab","details":{"restaurantGuid":"r-1"}}"#;

fn signed(secret: &str, body: &[u8], timestamp: &str) -> Delivery {
    let signature = b64(&hmac_sha256(secret.as_bytes(), &concat(&[body, timestamp.as_bytes()])));
    Delivery::post(headers(&[("Toast-Signature", &signature), ("Toast-Event-Type", "partner_added")]), body)
}

#[test]
fn a_signed_delivery_verifies_over_the_body_then_its_timestamp() {
    let verified = signed(SECRET, BODY, TIMESTAMP).verify(Scheme::Toast, &secrets(&[SECRET]), at(0)).expect("valid");
    assert_eq!(verified.event_id.as_deref(), Some("3f2e1d0c-aaaa-bbbb-cccc-0123456789ab"));
    // Body first, then the timestamp: the other order is not Toast's signature.
    let reversed = b64(&hmac_sha256(SECRET.as_bytes(), &concat(&[TIMESTAMP.as_bytes(), BODY])));
    let delivery = Delivery::post(headers(&[("Toast-Signature", &reversed)]), BODY);
    assert_refused(delivery.verify(Scheme::Toast, &secrets(&[SECRET]), at(0)), "no signature matched");
}

#[test]
fn a_tampered_body_a_wrong_secret_and_a_missing_header_are_refused() {
    let delivery = signed(SECRET, BODY, TIMESTAMP);
    let tampered = delivery.with_body(&BODY.iter().map(|b| if *b == b'r' { b'R' } else { *b }).collect::<Vec<_>>());
    assert_refused(tampered.verify(Scheme::Toast, &secrets(&[SECRET]), at(0)), "no signature matched");
    assert_refused(delivery.verify(Scheme::Toast, &secrets(&["other"]), at(0)), "no signature matched");
    let missing = delivery.without_header("Toast-Signature");
    assert_refused(missing.verify(Scheme::Toast, &secrets(&[SECRET]), at(0)), "missing header Toast-Signature");
    let untimed = signed(SECRET, br#"{"guid":"g"}"#, "");
    assert_refused(untimed.verify(Scheme::Toast, &secrets(&[SECRET]), at(0)), "no top-level \"timestamp\" member");
}

#[test]
fn during_a_rotation_both_secrets_verify() {
    let both = secrets(&["toast-old-secret", SECRET]);
    assert_eq!(signed(SECRET, BODY, TIMESTAMP).verify(Scheme::Toast, &both, at(0)).expect("new").secret_index, 1);
    let old = signed("toast-old-secret", BODY, TIMESTAMP);
    assert_eq!(old.verify(Scheme::Toast, &both, at(0)).expect("old").secret_index, 0);
}
