use hub_webhooks::{Scheme, verify::clover};

use crate::support::{Delivery, assert_refused, at, b64, concat, headers, hmac_sha256, secrets};

const AUTH_CODE: &str = "5c1ec3b5-7c1b-4e1e-9a50-2f6f0a3a9d11";
const BODY: &[u8] =
    br#"{"appId":"DRKVJT2ZRRRSC","merchants":{"MERCH1":[{"objectId":"O:ORDER1","type":"UPDATE","ts":1700000000123}]}}"#;
const CHECKOUT_SECRET: &str = "clover-hosted-checkout-secret";
const CHECKOUT_BODY: &[u8] = br#"{"type":"PAYMENT","status":"APPROVED","id":"PAY1"}"#;
const T: u64 = 1_700_000_000;

fn rest(code: &str) -> Delivery {
    Delivery::post(headers(&[("X-Clover-Auth", code)]), BODY)
}

fn checkout(secret: &str, t: u64, body: &[u8], hex_encoded: bool) -> Delivery {
    let mac = hmac_sha256(secret.as_bytes(), &concat(&[t.to_string().as_bytes(), b".", body]));
    let v1 = if hex_encoded { hex::encode(mac) } else { b64(&mac) };
    Delivery::post(headers(&[("Clover-Signature", &format!("t={t},v1={v1}"))]), body)
}

#[test]
fn a_rest_webhook_verifies_by_its_auth_code_only() {
    assert!(rest(AUTH_CODE).verify(Scheme::CloverAuthCode, &secrets(&[AUTH_CODE]), at(0)).is_ok());
    assert_refused(
        rest("5c1ec3b5-7c1b-4e1e-9a50-2f6f0a3a9d12").verify(Scheme::CloverAuthCode, &secrets(&[AUTH_CODE]), at(0)),
        "X-Clover-Auth matches none of the 1 configured token(s)",
    );
    assert_refused(rest(AUTH_CODE).verify(Scheme::CloverAuthCode, &secrets(&["other"]), at(0)), "matches none");
    let missing = Delivery::post(headers(&[]), BODY);
    assert_refused(
        missing.verify(Scheme::CloverAuthCode, &secrets(&[AUTH_CODE]), at(0)),
        "missing header X-Clover-Auth",
    );
    // The auth code authenticates the sender, not the bytes: Clover signs no body.
    let other_body = rest(AUTH_CODE).with_body(b"{}");
    assert!(other_body.verify(Scheme::CloverAuthCode, &secrets(&[AUTH_CODE]), at(0)).is_ok());
}

#[test]
fn the_endpoint_verification_code_is_readable_but_never_verified() {
    let body = br#"{"verificationCode":"0b4f3c2a-1111-2222-3333-444455556666"}"#;
    assert_eq!(clover::verification_code(body).as_deref(), Some("0b4f3c2a-1111-2222-3333-444455556666"));
    let unauthenticated = Delivery::post(headers(&[]), body);
    assert!(unauthenticated.verify(Scheme::CloverAuthCode, &secrets(&[AUTH_CODE]), at(0)).is_err());
}

#[test]
fn a_hosted_checkout_webhook_verifies_over_t_and_the_body() {
    let delivery = checkout(CHECKOUT_SECRET, T, CHECKOUT_BODY, true);
    let verified = delivery.verify(Scheme::CloverHostedCheckout, &secrets(&[CHECKOUT_SECRET]), at(T)).expect("valid");
    assert_eq!(verified.signed_at, Some(at(T)));
    let base64 = checkout(CHECKOUT_SECRET, T, CHECKOUT_BODY, false);
    assert!(base64.verify(Scheme::CloverHostedCheckout, &secrets(&[CHECKOUT_SECRET]), at(T)).is_ok());
    // No window is enforced (the note leaves the tolerance unverified): a day later still verifies.
    assert!(delivery.verify(Scheme::CloverHostedCheckout, &secrets(&[CHECKOUT_SECRET]), at(T + 86_400)).is_ok());
    let tampered = delivery.with_body(br#"{"type":"PAYMENT","status":"DECLINED","id":"PAY1"}"#);
    assert_refused(
        tampered.verify(Scheme::CloverHostedCheckout, &secrets(&[CHECKOUT_SECRET]), at(T)),
        "no signature matched",
    );
    assert_refused(delivery.verify(Scheme::CloverHostedCheckout, &secrets(&["other"]), at(T)), "no signature matched");
    let missing = delivery.without_header("Clover-Signature");
    assert_refused(
        missing.verify(Scheme::CloverHostedCheckout, &secrets(&[CHECKOUT_SECRET]), at(T)),
        "missing header Clover-Signature",
    );
}

#[test]
fn during_a_rotation_both_codes_and_both_secrets_verify() {
    let codes = secrets(&[AUTH_CODE, "next-auth-code"]);
    assert_eq!(rest(AUTH_CODE).verify(Scheme::CloverAuthCode, &codes, at(0)).expect("old").secret_index, 0);
    assert_eq!(rest("next-auth-code").verify(Scheme::CloverAuthCode, &codes, at(0)).expect("new").secret_index, 1);
    let both = secrets(&[CHECKOUT_SECRET, "next-checkout-secret"]);
    let new = checkout("next-checkout-secret", T, CHECKOUT_BODY, true);
    assert_eq!(new.verify(Scheme::CloverHostedCheckout, &both, at(T)).expect("new").secret_index, 1);
}
