//! Properties of every verifier: no input makes one panic; whatever `sign` makes verifies (here
//! and in the reference library); and for every scheme that signs the body's bytes, changing any
//! one byte of the body makes a valid delivery fail.
//!
//! Not covered by the last property, by the schemes' own design: Twilio form callbacks (Twilio
//! signs the decoded, sorted parameters, so `a+b` and `a%20b` are the same delivery), Clover REST
//! webhooks and Google push notifications (a shared token, nothing computed over the body).

#[path = "schemes/support.rs"]
#[allow(dead_code)]
mod support;

#[path = "common/signed.rs"]
#[allow(dead_code)]
mod signed;

use std::time::{Duration, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use hub_webhooks::{InboundRequest, Scheme, SigningSecret, WebhookSecret, event_ids, sign, verify};
use proptest::prelude::*;
use signed::{BODY_SIGNING, T, URL, sendgrid_public_key, signed};
use support::at;

/// Every header any verifier reads, so arbitrary values reach every parser.
const HEADER_NAMES: [&str; 24] = [
    "Stripe-Signature",
    "x-square-hmacsha256-signature",
    "intuit-signature",
    "X-HubSpot-Signature-v3",
    "X-HubSpot-Request-Timestamp",
    "X-HubSpot-Signature",
    "X-HubSpot-Signature-Version",
    "X-Twilio-Signature",
    "Content-Type",
    "X-Twilio-Email-Event-Webhook-Signature",
    "X-Twilio-Email-Event-Webhook-Timestamp",
    "X-Hub-Signature-256",
    "X-Hub-Signature",
    "X-Clover-Auth",
    "Clover-Signature",
    "Toast-Signature",
    "X-Goog-Channel-Token",
    "X-Goog-Channel-ID",
    "X-Goog-Resource-ID",
    "X-Goog-Resource-State",
    "X-Goog-Message-Number",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
];

/// Header values shaped like the real ones, and noise.
fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,80}",
        "t=[0-9]{0,12},v1=[0-9a-f]{0,70}(,v1=[0-9a-zA-Z+/=]{0,50})?",
        "(v1|v1a|v2),[A-Za-z0-9+/=]{0,50}( v1,[A-Za-z0-9+/=]{0,50})?",
        "sha256=[0-9a-fA-F]{0,70}",
        "[0-9]{0,25}",
        "(v1|v2|v3|sync|exists|application/x-www-form-urlencoded|application/json)",
    ]
}

fn arbitrary_headers() -> impl Strategy<Value = HeaderMap> {
    proptest::collection::vec((0..HEADER_NAMES.len(), header_value()), 0..8).prop_map(|pairs| {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            if let Ok(value) = HeaderValue::from_str(&value) {
                map.append(HeaderName::from_bytes(HEADER_NAMES[name].as_bytes()).expect("a valid name"), value);
            }
        }
        map
    })
}

fn arbitrary_secret() -> impl Strategy<Value = String> {
    prop_oneof![
        "[!-~]{1,40}",
        "whsec_[A-Za-z0-9+/=]{0,90}",
        Just(sendgrid_public_key()),
        Just("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_input_makes_a_verifier_panic(
        scheme in proptest::sample::select(Scheme::ALL.to_vec()),
        headers in arbitrary_headers(),
        body in proptest::collection::vec(any::<u8>(), 0..300),
        url in proptest::option::of(prop_oneof!["[ -~]{0,60}", Just(URL.to_owned()), "https?://[a-z.]{1,10}(:[0-9]{0,6})?/[ -~]{0,30}"]),
        get in any::<bool>(),
        secret_values in proptest::collection::vec(arbitrary_secret(), 1..3),
        now in any::<i64>(),
    ) {
        let method = if get { Method::GET } else { Method::POST };
        let secrets: Vec<WebhookSecret> = secret_values.into_iter().filter_map(|value| WebhookSecret::new(value).ok()).collect();
        let request = InboundRequest { method: &method, url: url.as_deref(), headers: &headers, body: &body };
        let now = if now >= 0 { UNIX_EPOCH + Duration::from_secs(now.unsigned_abs() % 10_000_000_000) } else { UNIX_EPOCH };
        let _ = verify(scheme, &secrets, &request, now);
        let _ = event_ids(scheme, &request);
    }

    #[test]
    fn what_sign_makes_always_verifies(
        id in "[A-Za-z0-9_.:-]{1,40}",
        seconds in 0u64..4_000_000_000,
        body in proptest::collection::vec(any::<u8>(), 0..400),
        count in 1usize..4,
    ) {
        let signing: Vec<SigningSecret> = (0..count).map(|_| SigningSecret::generate()).collect();
        let at = UNIX_EPOCH + Duration::from_secs(seconds);
        let mut headers = HeaderMap::new();
        sign(&signing, &id, at, &body).expect("sign").apply(&mut headers);
        let request = InboundRequest { method: &Method::POST, url: None, headers: &headers, body: &body };
        for (index, secret) in signing.iter().enumerate() {
            let secrets = [WebhookSecret::new(secret.to_whsec()).expect("secret")];
            let verified = verify(Scheme::StandardWebhooks, &secrets, &request, at);
            prop_assert!(verified.is_ok(), "secret {index}: {verified:?}");
            // The reference library signs only UTF-8 bodies; where it can, it must agree exactly.
            if let Ok(text) = std::str::from_utf8(&body) {
                let reference = standardwebhooks::Webhook::new(&secret.to_whsec()).expect("reference secret");
                let theirs = reference.sign(&id, i64::try_from(seconds).expect("fits"), text.as_bytes()).expect("reference sign");
                let ours = headers["webhook-signature"].to_str().expect("ascii");
                prop_assert!(ours.split(' ').any(|entry| entry == theirs), "{theirs} not in {ours}");
            }
        }
    }

    #[test]
    fn changing_any_one_byte_of_a_signed_body_fails(
        scheme in proptest::sample::select(BODY_SIGNING.to_vec()),
        content in proptest::collection::vec(any::<u8>(), 1..200),
        position in any::<proptest::sample::Index>(),
        flip in 1u8..=255,
    ) {
        // Toast reads its signed timestamp out of the JSON, so its bodies must stay JSON.
        let content: Vec<u8> =
            if scheme == Scheme::Toast { content.iter().map(|byte| b'a' + byte % 26).collect() } else { content };
        let mut body = b"{\"timestamp\":\"2023-11-14T22:13:20Z\",\"data\":\"".to_vec();
        body.extend_from_slice(&content);
        body.extend_from_slice(b"\"}");
        let (delivery, secrets) = signed(scheme, &body);
        let verified = delivery.verify(scheme, &secrets, at(T));
        prop_assert!(verified.is_ok(), "{scheme} original: {verified:?}");
        let mut changed = body.clone();
        changed[position.index(body.len())] ^= flip;
        let refused = delivery.with_body(&changed).verify(scheme, &secrets, at(T));
        prop_assert!(refused.is_err(), "{scheme} accepted a changed body");
    }
}
