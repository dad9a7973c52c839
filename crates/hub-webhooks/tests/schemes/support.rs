//! Test-side helpers: requests built by hand, and MACs computed the plain way (one `Hmac` over the
//! concatenated message) so that every expected signature is made independently of the crate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use hub_webhooks::{InboundRequest, Scheme, Verified, WebhookError, WebhookSecret, verify};

/// Secrets from plain strings.
pub fn secrets(values: &[&str]) -> Vec<WebhookSecret> {
    values.iter().map(|value| WebhookSecret::new(*value).expect("secret")).collect()
}

/// A header map from name/value pairs (names in any case).
pub fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).expect("name"),
            HeaderValue::from_str(value).expect("value"),
        );
    }
    map
}

/// The instant `seconds` after the epoch.
pub fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("key");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

pub fn hmac_sha1(key: &[u8], message: &[u8]) -> [u8; 20] {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).expect("key");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// One delivery as a test builds it, owning what [`InboundRequest`] borrows.
pub struct Delivery {
    pub method: Method,
    pub url: Option<String>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Delivery {
    pub fn post(headers: HeaderMap, body: &[u8]) -> Self {
        Self { method: Method::POST, url: None, headers, body: body.to_vec() }
    }

    pub fn url(mut self, url: &str) -> Self {
        self.url = Some(url.to_owned());
        self
    }

    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    pub fn with_body(&self, body: &[u8]) -> Self {
        Self { method: self.method.clone(), url: self.url.clone(), headers: self.headers.clone(), body: body.to_vec() }
    }

    pub fn without_header(&self, name: &str) -> Self {
        let mut copy = self.with_body(&self.body);
        copy.headers.remove(name);
        copy
    }

    pub fn with_header(&self, name: &str, value: &str) -> Self {
        let mut copy = self.with_body(&self.body);
        copy.headers.insert(
            HeaderName::from_bytes(name.as_bytes()).expect("name"),
            HeaderValue::from_str(value).expect("value"),
        );
        copy
    }

    pub fn request(&self) -> InboundRequest<'_> {
        InboundRequest { method: &self.method, url: self.url.as_deref(), headers: &self.headers, body: &self.body }
    }

    pub fn verify(&self, scheme: Scheme, secrets: &[WebhookSecret], now: SystemTime) -> Result<Verified, WebhookError> {
        verify(scheme, secrets, &self.request(), now)
    }
}

/// Asserts a refusal whose reason (as an operator reads it) contains `expected`.
#[track_caller]
pub fn assert_refused(result: Result<Verified, WebhookError>, expected: &str) -> WebhookError {
    let error = result.expect_err("the delivery must be refused");
    assert!(error.to_string().contains(expected), "reason {:?} should contain {expected:?}", error.to_string());
    error
}
