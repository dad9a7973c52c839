//! QBO webhooks for one realm (`quickbooks-online.md`): a target URL and verifier token, one
//! notification per changed entity, signed with `intuit-signature` = base64 HMAC-SHA256 of the
//! raw body keyed with the verifier token.
//!
//! The body is the current **CloudEvents** format by default (a JSON array of
//! `{specversion, id, source, type: "qbo.invoice.created.v1", datacontenttype, time,
//! intuitentityid, intuitaccountid, data}`), or the legacy `eventNotifications` format when
//! configured. QBO aggregates changes over minutes in production; the emulator sends each one
//! at once, in order per realm, retrying failed deliveries after the configured delays.

pub(crate) mod delivery;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::SecondsFormat;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;

use super::company::Change;
use super::entity::EntityKind;

/// The body format of notifications.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// The current format: a CloudEvents 1.0 array.
    #[default]
    CloudEvents,
    /// The legacy `{"eventNotifications":[{realmId, dataChangeEvent:{entities:[…]}}]}`.
    Legacy,
}

/// Where and how one realm's notifications are delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// The endpoint notifications are POSTed to.
    pub url: String,
    /// The app's verifier token: the HMAC key of `intuit-signature`.
    pub verifier_token: String,
    pub format: WebhookFormat,
    /// How long to wait before each retry of a failed delivery; its length is the number of
    /// retries. (QBO waits 10 s, 20 s, 30 s, 5 min …; tests need shorter.)
    pub retry_delays: Vec<Duration>,
    /// The entities that notify; `None` means all four.
    pub entities: Option<Vec<EntityKind>>,
}

impl WebhookConfig {
    /// CloudEvents to `url`, signed with `verifier_token`, retried after 50 ms, 200 ms and 1 s.
    pub fn new(url: impl Into<String>, verifier_token: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            verifier_token: verifier_token.into(),
            format: WebhookFormat::CloudEvents,
            retry_delays: vec![Duration::from_millis(50), Duration::from_millis(200), Duration::from_secs(1)],
            entities: None,
        }
    }

    /// The same, in another body format.
    pub fn with_format(mut self, format: WebhookFormat) -> Self {
        self.format = format;
        self
    }

    /// The same, with other retry delays.
    pub fn with_retry_delays(mut self, retry_delays: Vec<Duration>) -> Self {
        self.retry_delays = retry_delays;
        self
    }

    /// The same, notifying only for these entities.
    pub fn with_entities(mut self, entities: Vec<EntityKind>) -> Self {
        self.entities = Some(entities);
        self
    }

    fn notifies(&self, kind: EntityKind) -> bool {
        self.entities.as_ref().is_none_or(|entities| entities.contains(&kind))
    }
}

/// `intuit-signature` for a body: base64(HMAC-SHA256(verifier token, raw body)).
pub fn intuit_signature(verifier_token: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(verifier_token.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// A notification ready to send: its id, raw body and signature.
#[derive(Debug, Clone)]
pub(crate) struct Notification {
    pub event_id: String,
    pub kind: EntityKind,
    pub entity_id: String,
    pub operation: &'static str,
    pub body: String,
    pub signature: String,
}

/// The source QBO names in CloudEvents: `intuit.` and an opaque app identifier.
const CLOUD_EVENTS_SOURCE: &str = "intuit.ZW11bGF0ZWQtcXVpY2tib29rcy1hcHA=";

/// The notification a change makes, if the realm's configuration asks for it.
pub(crate) fn notification(config: &WebhookConfig, realm: &str, change: &Change) -> Option<Notification> {
    if !config.notifies(change.kind) {
        return None;
    }
    let event_id = uuid::Uuid::new_v4().to_string();
    let body = match config.format {
        WebhookFormat::CloudEvents => json!([{
            "specversion": "1.0",
            "id": event_id,
            "source": CLOUD_EVENTS_SOURCE,
            "type": format!("qbo.{}.{}.v1", change.kind.name().to_ascii_lowercase(), change.operation.past_tense()),
            "datacontenttype": "application/json",
            "time": change.at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "intuitentityid": change.id.to_string(),
            "intuitaccountid": realm,
            "data": {},
        }]),
        WebhookFormat::Legacy => json!({"eventNotifications": [{
            "realmId": realm,
            "dataChangeEvent": {"entities": [{
                "name": change.kind.name(),
                "id": change.id.to_string(),
                "operation": change.operation.name(),
                "lastUpdated": change.at.to_rfc3339_opts(SecondsFormat::Millis, true),
            }]},
        }]}),
    }
    .to_string();
    let signature = intuit_signature(&config.verifier_token, body.as_bytes());
    Some(Notification {
        event_id,
        kind: change.kind,
        entity_id: change.id.to_string(),
        operation: change.operation.name(),
        body,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::intuit_signature;

    #[test]
    fn signature_is_base64_hmac_sha256_of_the_raw_body() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            intuit_signature("Jefe", b"what do ya want for nothing?"),
            "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="
        );
    }
}
