use http::Method;
use hub_webhooks::{Scheme, event_ids};

use crate::support::{Delivery, assert_refused, at, b64, concat, headers, hmac_sha256, secrets};

const SECRET: &str = "hubspot-client-secret";
const T_MS: u64 = 1_700_000_000_123;
const T: u64 = 1_700_000_000;
const URL: &str = "https://hub.example.com/webhooks/hubspot?portal=62515&label=a%3Ab%2Cc%20d%2fe";
const BODY: &[u8] = br#"[{"eventId":100,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123},{"eventId":101,"subscriptionType":"contact.deletion","objectId":124}]"#;

/// HubSpot's documented decoding, done the plain way: replace each listed escape.
fn hubspot_decoded(uri: &str) -> String {
    let mut decoded = uri.to_owned();
    for (escape, character) in [
        ("%3A", ":"),
        ("%2F", "/"),
        ("%3F", "?"),
        ("%40", "@"),
        ("%21", "!"),
        ("%24", "$"),
        ("%27", "'"),
        ("%28", "("),
        ("%29", ")"),
        ("%2A", "*"),
        ("%2C", ","),
        ("%3B", ";"),
    ] {
        decoded = decoded.replace(escape, character).replace(&escape.to_lowercase(), character);
    }
    decoded
}

fn v3(secret: &str, method: &str, url: &str, body: &[u8], timestamp: u64) -> Delivery {
    let source = concat(&[method.as_bytes(), hubspot_decoded(url).as_bytes(), body, timestamp.to_string().as_bytes()]);
    let signature = b64(&hmac_sha256(secret.as_bytes(), &source));
    let headers =
        headers(&[("X-HubSpot-Signature-v3", &signature), ("X-HubSpot-Request-Timestamp", &timestamp.to_string())]);
    Delivery::post(headers, body).url(url).method(Method::from_bytes(method.as_bytes()).expect("method"))
}

#[test]
fn a_v3_delivery_verifies_over_the_decoded_uri() {
    assert_eq!(hubspot_decoded(URL), "https://hub.example.com/webhooks/hubspot?portal=62515&label=a:b,c%20d/e");
    let delivery = v3(SECRET, "POST", URL, BODY, T_MS);
    let verified = delivery.verify(Scheme::HubSpot, &secrets(&[SECRET]), at(T + 60)).expect("valid");
    assert_eq!(verified.signed_at, Some(at(T) + std::time::Duration::from_millis(123)));
    assert_eq!(verified.event_id, None, "a batch has no single id");
    assert_eq!(event_ids(Scheme::HubSpot, &delivery.request()), ["100", "101"]);
}

#[test]
fn a_v3_signature_covers_method_uri_body_and_timestamp() {
    let delivery = v3(SECRET, "POST", URL, BODY, T_MS);
    let secrets = secrets(&[SECRET]);
    let tampered = delivery.with_body(&BODY[1..]);
    assert_refused(tampered.verify(Scheme::HubSpot, &secrets, at(T)), "no signature matched");
    let other_url = delivery.with_body(BODY).url("https://hub.example.com/webhooks/hubspot?portal=62516");
    assert_refused(other_url.verify(Scheme::HubSpot, &secrets, at(T)), "no signature matched");
    let other_method = delivery.with_body(BODY).method(Method::PUT);
    assert_refused(other_method.verify(Scheme::HubSpot, &secrets, at(T)), "no signature matched");
    let other_time = delivery.with_header("X-HubSpot-Request-Timestamp", &(T_MS + 1).to_string());
    assert_refused(other_time.verify(Scheme::HubSpot, &secrets, at(T)), "no signature matched");
    assert_refused(
        delivery.verify(Scheme::HubSpot, &crate::support::secrets(&["other"]), at(T)),
        "no signature matched",
    );
}

#[test]
fn a_v3_timestamp_older_than_five_minutes_is_refused() {
    let delivery = v3(SECRET, "POST", URL, BODY, T_MS);
    let secrets = secrets(&[SECRET]);
    assert!(delivery.verify(Scheme::HubSpot, &secrets, at(T + 300)).is_ok());
    assert_refused(delivery.verify(Scheme::HubSpot, &secrets, at(T + 302)), "outside tolerance by 2 s");
    assert_refused(delivery.verify(Scheme::HubSpot, &secrets, at(T - 600)), "in the future");
}

#[test]
fn missing_headers_and_unknown_versions_are_named() {
    let delivery = v3(SECRET, "POST", URL, BODY, T_MS);
    let secrets = secrets(&[SECRET]);
    let bare = delivery.without_header("X-HubSpot-Signature-v3");
    assert_refused(bare.verify(Scheme::HubSpot, &secrets, at(T)), "missing header X-HubSpot-Signature-v3");
    let no_time = delivery.without_header("X-HubSpot-Request-Timestamp");
    assert_refused(no_time.verify(Scheme::HubSpot, &secrets, at(T)), "missing header X-HubSpot-Request-Timestamp");
    let v9 = bare.with_header("X-HubSpot-Signature-Version", "v9");
    assert_refused(v9.verify(Scheme::HubSpot, &secrets, at(T)), "unsupported signature version \"v9\"");
}

// Published in HubSpot's "Validating requests" page (v1 and v2 examples).
const DOC_SECRET: &str = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
const DOC_V1_BODY: &str = r#"[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]"#;

#[test]
fn hubspots_published_legacy_examples_verify() {
    let v1 = Delivery::post(
        headers(&[
            ("X-HubSpot-Signature-Version", "v1"),
            ("X-HubSpot-Signature", "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"),
        ]),
        DOC_V1_BODY.as_bytes(),
    );
    assert!(v1.verify(Scheme::HubSpot, &secrets(&[DOC_SECRET]), at(0)).is_ok());
    assert_refused(v1.with_body(b"[]").verify(Scheme::HubSpot, &secrets(&[DOC_SECRET]), at(0)), "no signature matched");
    let v2 = Delivery::post(
        headers(&[
            ("X-HubSpot-Signature-Version", "v2"),
            ("X-HubSpot-Signature", "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"),
        ]),
        b"",
    )
    .method(Method::GET)
    .url("https://www.example.com/webhook_uri");
    assert!(v2.verify(Scheme::HubSpot, &secrets(&[DOC_SECRET]), at(0)).is_ok());
    let elsewhere = v2.with_body(b"").url("https://www.example.com/other_uri");
    assert_refused(elsewhere.verify(Scheme::HubSpot, &secrets(&[DOC_SECRET]), at(0)), "no signature matched");
    let missing = v1.without_header("X-HubSpot-Signature");
    assert_refused(
        missing.verify(Scheme::HubSpot, &secrets(&[DOC_SECRET]), at(0)),
        "missing header X-HubSpot-Signature",
    );
}

#[test]
fn during_a_rotation_both_client_secrets_verify() {
    let both = secrets(&[SECRET, "hubspot-next-secret"]);
    assert_eq!(v3(SECRET, "POST", URL, BODY, T_MS).verify(Scheme::HubSpot, &both, at(T)).expect("old").secret_index, 0);
    let new = v3("hubspot-next-secret", "POST", URL, BODY, T_MS);
    assert_eq!(new.verify(Scheme::HubSpot, &both, at(T)).expect("new").secret_index, 1);
}
