use hub_webhooks::Scheme;

use crate::support::{Delivery, assert_refused, at, b64, concat, headers, hmac_sha256, secrets};

// Published in Square's Python SDK tests (tests/utilities/test_webhooks_helper.py).
const SDK_BODY: &str = r#"{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}"#;
const SDK_SIGNATURE: &str = "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=";
const SDK_KEY: &str = "Ibxx_5AKakO-3qeNVR61Dw";
const SDK_URL: &str = "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9";

const KEY: &str = "square-signature-key";
const URL: &str = "https://hub.example.com/webhooks/square/conn_1";
const BODY: &[u8] =
    br#"{"merchant_id":"M1","type":"payment.updated","event_id":"6a8f5f28-54a1-4eb0-a98a-3111513fd4fc"}"#;

fn signed(key: &str, url: &str, body: &[u8]) -> Delivery {
    let signature = b64(&hmac_sha256(key.as_bytes(), &concat(&[url.as_bytes(), body])));
    Delivery::post(headers(&[("x-square-hmacsha256-signature", &signature)]), body).url(url)
}

#[test]
fn squares_published_example_verifies() {
    let delivery =
        Delivery::post(headers(&[("x-square-hmacsha256-signature", SDK_SIGNATURE)]), SDK_BODY.as_bytes()).url(SDK_URL);
    let verified = delivery.verify(Scheme::Square, &secrets(&[SDK_KEY]), at(0)).expect("valid");
    assert_eq!(verified.event_id.as_deref(), Some("ac3ac95b-f97d-458c-a6e6-18981597e05f"));
    assert_eq!(verified.signed_at, None, "Square signs no timestamp");
    // The SDK's own negative cases: another URL, another key.
    let other_url =
        delivery.with_body(SDK_BODY.as_bytes()).url("https://webhook.site/79a4f3a-dcfa-49ee-bac5-9d0edad886b9");
    assert_refused(other_url.verify(Scheme::Square, &secrets(&[SDK_KEY]), at(0)), "no signature matched");
    assert_refused(
        delivery.verify(Scheme::Square, &secrets(&["MCmhFRxGX82xMwg5FsaoQA"]), at(0)),
        "no signature matched",
    );
}

#[test]
fn a_signed_delivery_verifies_and_a_tampered_one_does_not() {
    let delivery = signed(KEY, URL, BODY);
    assert!(delivery.verify(Scheme::Square, &secrets(&[KEY]), at(0)).is_ok());
    let tampered = delivery.with_body(&BODY.to_ascii_uppercase());
    assert_refused(tampered.verify(Scheme::Square, &secrets(&[KEY]), at(0)), "no signature matched");
    assert_refused(delivery.verify(Scheme::Square, &secrets(&["not-the-key"]), at(0)), "no signature matched");
}

#[test]
fn the_header_and_the_url_are_both_required() {
    let delivery = signed(KEY, URL, BODY);
    let missing = delivery.without_header("x-square-hmacsha256-signature");
    assert_refused(
        missing.verify(Scheme::Square, &secrets(&[KEY]), at(0)),
        "missing header x-square-hmacsha256-signature",
    );
    let mut no_url = delivery.with_body(BODY);
    no_url.url = None;
    assert_refused(no_url.verify(Scheme::Square, &secrets(&[KEY]), at(0)), "Square signs it");
    let garbage = delivery.with_header("x-square-hmacsha256-signature", "not base64!");
    assert_refused(garbage.verify(Scheme::Square, &secrets(&[KEY]), at(0)), "malformed header");
}

#[test]
fn during_a_rotation_both_keys_verify() {
    let both = secrets(&[KEY, "square-next-key"]);
    assert_eq!(signed(KEY, URL, BODY).verify(Scheme::Square, &both, at(0)).expect("old").secret_index, 0);
    assert_eq!(signed("square-next-key", URL, BODY).verify(Scheme::Square, &both, at(0)).expect("new").secret_index, 1);
}
