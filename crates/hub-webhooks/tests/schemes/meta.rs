use http::Method;
use hub_webhooks::{DeliveryKind, Scheme};

use crate::support::{Delivery, assert_refused, at, headers, hmac_sha256, secrets};

const APP_SECRET: &str = "meta-app-secret";
const BODY: &[u8] = br#"{"object":"page","entry":[{"id":"1234","time":1700000000,"changes":[{"field":"leadgen","value":{"leadgen_id":"987"}}]}]}"#;

fn signed(secret: &str, body: &[u8]) -> Delivery {
    let signature = format!("sha256={}", hex::encode(hmac_sha256(secret.as_bytes(), body)));
    Delivery::post(headers(&[("X-Hub-Signature-256", &signature)]), body)
}

fn handshake(query: &str) -> Delivery {
    Delivery::post(headers(&[]), b"").method(Method::GET).url(&format!("https://hub.example.com/webhooks/meta?{query}"))
}

#[test]
fn a_signed_delivery_verifies_and_a_tampered_one_does_not() {
    let delivery = signed(APP_SECRET, BODY);
    let verified = delivery.verify(Scheme::Meta, &secrets(&[APP_SECRET]), at(0)).expect("valid");
    assert_eq!(verified.kind, DeliveryKind::Event);
    let upper = delivery.with_header(
        "X-Hub-Signature-256",
        &format!("sha256={}", hex::encode_upper(hmac_sha256(APP_SECRET.as_bytes(), BODY))),
    );
    assert!(upper.verify(Scheme::Meta, &secrets(&[APP_SECRET]), at(0)).is_ok(), "hex case does not matter");
    let tampered = delivery.with_body(&BODY.iter().map(|b| if *b == b'7' { b'8' } else { *b }).collect::<Vec<_>>());
    assert_refused(tampered.verify(Scheme::Meta, &secrets(&[APP_SECRET]), at(0)), "no signature matched");
    assert_refused(delivery.verify(Scheme::Meta, &secrets(&["other-secret"]), at(0)), "no signature matched");
}

#[test]
fn a_missing_malformed_or_sha1_only_header_is_refused() {
    let missing = Delivery::post(headers(&[]), BODY);
    assert_refused(missing.verify(Scheme::Meta, &secrets(&[APP_SECRET]), at(0)), "missing header X-Hub-Signature-256");
    let legacy = Delivery::post(headers(&[("X-Hub-Signature", "sha1=0000000000000000000000000000000000000000")]), BODY);
    assert_refused(
        legacy.verify(Scheme::Meta, &secrets(&[APP_SECRET]), at(0)),
        "unsupported signature version \"sha1\"",
    );
    let unprefixed = signed(APP_SECRET, BODY).with_header("X-Hub-Signature-256", &hex::encode([0u8; 32]));
    assert_refused(unprefixed.verify(Scheme::Meta, &secrets(&[APP_SECRET]), at(0)), "no sha256= prefix");
}

#[test]
fn the_subscription_handshake_answers_the_challenge_only_for_a_known_token() {
    let tokens = secrets(&["old-verify-token", "verify-token"]);
    let good = handshake("hub.mode=subscribe&hub.verify_token=verify-token&hub.challenge=1158201444");
    let verified = good.verify(Scheme::Meta, &tokens, at(0)).expect("subscribed");
    assert!(verified.is_handshake());
    assert_eq!(verified.secret_index, 1);
    assert_eq!(verified.kind, DeliveryKind::MetaSubscription { challenge: "1158201444".to_owned() });
    let wrong = handshake("hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1");
    assert_refused(
        wrong.verify(Scheme::Meta, &tokens, at(0)),
        "hub.verify_token matches none of the 2 configured token(s)",
    );
    let mode = handshake("hub.mode=unsubscribe&hub.verify_token=verify-token&hub.challenge=1");
    assert_refused(mode.verify(Scheme::Meta, &tokens, at(0)), "subscription refused: hub.mode is \"unsubscribe\"");
    let no_challenge = handshake("hub.mode=subscribe&hub.verify_token=verify-token");
    assert_refused(no_challenge.verify(Scheme::Meta, &tokens, at(0)), "missing query parameter hub.challenge");
}

#[test]
fn during_a_rotation_both_app_secrets_verify() {
    let both = secrets(&[APP_SECRET, "meta-next-secret"]);
    assert_eq!(signed(APP_SECRET, BODY).verify(Scheme::Meta, &both, at(0)).expect("old").secret_index, 0);
    assert_eq!(signed("meta-next-secret", BODY).verify(Scheme::Meta, &both, at(0)).expect("new").secret_index, 1);
}
