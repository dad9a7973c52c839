//! Deliveries for every scheme, signed the plain way (the providers' rules written out with one
//! HMAC or one ECDSA signature over the concatenated bytes), shared by the property tests and
//! the verification benchmark.

use std::time::{Duration, UNIX_EPOCH};

use http::HeaderMap;
use hub_webhooks::{Scheme, SigningSecret, WebhookSecret, sign};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::EncodePublicKey;
use sha2::Digest;

use crate::support::{Delivery, b64, concat, headers, hmac_sha1, hmac_sha256, secrets};

/// When every delivery here was signed (unix seconds).
pub const T: u64 = 1_700_000_000;
/// The URL the URL-signing schemes were called at (one escape HubSpot decodes).
pub const URL: &str = "https://hub.example.com/webhooks/p?x=%3A1";

/// Every scheme whose signature covers the body's bytes.
pub const BODY_SIGNING: [Scheme; 10] = [
    Scheme::Stripe,
    Scheme::Square,
    Scheme::QuickBooks,
    Scheme::HubSpot,
    Scheme::Twilio,
    Scheme::SendGrid,
    Scheme::Meta,
    Scheme::CloverHostedCheckout,
    Scheme::Toast,
    Scheme::StandardWebhooks,
];

pub fn sendgrid_key() -> SigningKey {
    SigningKey::from_bytes(&[3u8; 32].into()).expect("scalar")
}

pub fn sendgrid_public_key() -> String {
    b64(sendgrid_key().verifying_key().to_public_key_der().expect("der").as_bytes())
}

/// A body-signing scheme's delivery of `body`, signed the plain way with `SECRET`.
pub fn signed(scheme: Scheme, body: &[u8]) -> (Delivery, Vec<WebhookSecret>) {
    const SECRET: &str = "property-secret";
    const WHSEC: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    let mac = |message: &[u8]| hmac_sha256(SECRET.as_bytes(), message);
    let t = T.to_string();
    match scheme {
        Scheme::Stripe => {
            let v1 = hex::encode(mac(&concat(&[t.as_bytes(), b".", body])));
            (Delivery::post(headers(&[("Stripe-Signature", &format!("t={t},v1={v1}"))]), body), secrets(&[SECRET]))
        }
        Scheme::CloverHostedCheckout => {
            let v1 = hex::encode(mac(&concat(&[t.as_bytes(), b".", body])));
            (Delivery::post(headers(&[("Clover-Signature", &format!("t={t},v1={v1}"))]), body), secrets(&[SECRET]))
        }
        Scheme::Square => {
            let signature = b64(&mac(&concat(&[URL.as_bytes(), body])));
            (
                Delivery::post(headers(&[("x-square-hmacsha256-signature", &signature)]), body).url(URL),
                secrets(&[SECRET]),
            )
        }
        Scheme::QuickBooks => {
            (Delivery::post(headers(&[("intuit-signature", &b64(&mac(body)))]), body), secrets(&[SECRET]))
        }
        Scheme::Meta => {
            let value = format!("sha256={}", hex::encode(mac(body)));
            (Delivery::post(headers(&[("X-Hub-Signature-256", &value)]), body), secrets(&[SECRET]))
        }
        Scheme::HubSpot => {
            let ms = format!("{t}000");
            let signature = b64(&mac(&concat(&[b"POST", URL.replace("%3A", ":").as_bytes(), body, ms.as_bytes()])));
            let headers = headers(&[("X-HubSpot-Signature-v3", &signature), ("X-HubSpot-Request-Timestamp", &ms)]);
            (Delivery::post(headers, body).url(URL), secrets(&[SECRET]))
        }
        Scheme::Toast => {
            let timestamp = toast_timestamp(body);
            let signature = b64(&mac(&concat(&[body, timestamp.as_bytes()])));
            (Delivery::post(headers(&[("Toast-Signature", &signature)]), body), secrets(&[SECRET]))
        }
        Scheme::Twilio => {
            let url = format!("{URL}&bodySHA256={}", hex::encode(sha2::Sha256::digest(body)));
            let signature = b64(&hmac_sha1(SECRET.as_bytes(), url.as_bytes()));
            let headers = headers(&[("X-Twilio-Signature", &signature), ("Content-Type", "application/json")]);
            (Delivery::post(headers, body).url(&url), secrets(&[SECRET]))
        }
        Scheme::SendGrid => {
            let signature: Signature = sendgrid_key().sign(&concat(&[t.as_bytes(), body]));
            let headers = headers(&[
                ("X-Twilio-Email-Event-Webhook-Signature", &b64(signature.to_der().as_bytes())),
                ("X-Twilio-Email-Event-Webhook-Timestamp", &t),
            ]);
            (Delivery::post(headers, body), secrets(&[&sendgrid_public_key()]))
        }
        Scheme::StandardWebhooks => {
            let key = SigningSecret::parse(WHSEC).expect("secret");
            let mut map = HeaderMap::new();
            sign(&[key], "msg_property", UNIX_EPOCH + Duration::from_secs(T), body).expect("sign").apply(&mut map);
            (Delivery::post(map, body), secrets(&[WHSEC]))
        }
        Scheme::CloverAuthCode | Scheme::GoogleChannelToken => unreachable!("not body-signing"),
    }
}

/// Toast appends the body's `timestamp` member; the generated bodies put it first.
fn toast_timestamp(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    text.strip_prefix("{\"timestamp\":\"").and_then(|rest| rest.split('"').next()).unwrap_or_default().to_owned()
}

/// A token scheme's delivery (Clover REST auth code, Google channel token) with `TOKEN`.
pub fn token_delivery(scheme: Scheme) -> (Delivery, Vec<WebhookSecret>) {
    const TOKEN: &str = "5c1ec3b5-7c1b-4e1e-9a50-2f6f0a3a9d11";
    let headers = match scheme {
        Scheme::CloverAuthCode => headers(&[("X-Clover-Auth", TOKEN)]),
        Scheme::GoogleChannelToken => headers(&[
            ("X-Goog-Channel-ID", "chan_1"),
            ("X-Goog-Channel-Token", TOKEN),
            ("X-Goog-Resource-ID", "res_1"),
            ("X-Goog-Resource-State", "exists"),
            ("X-Goog-Message-Number", "7"),
        ]),
        _ => unreachable!("not a token scheme"),
    };
    (Delivery::post(headers, b""), secrets(&[TOKEN]))
}
