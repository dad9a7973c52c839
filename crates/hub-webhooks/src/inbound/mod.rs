//! Inbound webhooks: a provider's delivery is verified on the raw bytes with its source's secrets,
//! stored durably by the group-commit writer (the 2xx leaves only after the transaction holding
//! it committed), deduplicated by the provider's event id, and later processed from the table by
//! [`processor::InboundProcessor`]. Handshakes (Meta's `hub.challenge`, Google's `sync`) are
//! answered without storing anything; refusals change nothing and are counted and audited at
//! most once a minute per source.

pub mod processor;
pub mod sources;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use chrono::Utc;
use http::{HeaderMap, Method};
use hub_core::id::InboundEventId;
use hub_store::{InboundOutcome, NewInboundEvent, Store};
use sha2::Digest;
use tokio::sync::Notify;

use crate::batch::Batcher;
use crate::runtime_error::RuntimeError;
use crate::{DeliveryKind, InboundRequest, Scheme, WebhookError, event_ids, verify};
use sources::{OpenedSource, SourceDirectory};

/// Refusals of one source are audited at most this often (the count in between is kept).
const AUDIT_EVERY: Duration = Duration::from_secs(60);
/// Headers never kept with a stored delivery.
const DROPPED_HEADERS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

/// One delivery as the HTTP layer received it.
pub struct InboundCall<'a> {
    pub provider: &'a str,
    pub token: &'a str,
    pub method: &'a Method,
    /// The query string, without `?`.
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: Bytes,
}

/// What to answer a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundReply {
    /// Verified and stored (durably).
    Stored,
    /// Verified; the same event was stored before, nothing new was.
    Duplicate,
    /// Meta's subscription handshake: answer 200 with exactly this text.
    Challenge(String),
    /// A handshake that needs only a 200 (Google's channel `sync`).
    Acknowledged,
}

/// Why a delivery was refused.
#[derive(Debug, thiserror::Error)]
pub enum InboundRejection {
    /// No source answers at this URL (unknown provider or token).
    #[error("no webhook source at this URL")]
    NotFound,
    /// The delivery does not verify.
    #[error("the delivery does not verify: {0}")]
    Unauthenticated(WebhookError),
    /// A handshake that must be refused.
    #[error("refused: {0}")]
    Forbidden(WebhookError),
    /// The hub could not verify or store it (answer 5xx so the provider retries).
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

/// Receives inbound deliveries.
pub struct InboundService {
    sources: Arc<SourceDirectory>,
    writer: Batcher<NewInboundEvent, InboundOutcome>,
    store: Arc<dyn Store>,
    public_url: String,
    /// Wakes the processor when a batch committed.
    processed: Arc<Notify>,
    refusals: Mutex<HashMap<String, (Instant, u64)>>,
}

impl InboundService {
    /// The service over `store`, with a group-commit writer of `batch` deliveries at most.
    pub fn new(
        store: Arc<dyn Store>,
        sources: Arc<SourceDirectory>,
        public_url: String,
        batch: usize,
        wake_processor: Arc<Notify>,
    ) -> Self {
        let writer_store = Arc::clone(&store);
        let wake = Arc::clone(&wake_processor);
        let writer = Batcher::spawn(batch * 8, batch, move |events: Vec<NewInboundEvent>| {
            let store = Arc::clone(&writer_store);
            let wake = Arc::clone(&wake);
            async move {
                let outcomes = store.insert_inbound_events(&events).await;
                if outcomes.is_ok() {
                    wake.notify_one();
                }
                outcomes
            }
        });
        Self { sources, writer, store, public_url, processed: wake_processor, refusals: Mutex::new(HashMap::new()) }
    }

    /// The sources directory (registration and rotation).
    pub fn sources(&self) -> &Arc<SourceDirectory> {
        &self.sources
    }

    /// The processor's wake-up.
    pub fn processor_wake(&self) -> &Arc<Notify> {
        &self.processed
    }

    /// The URL a provider must call for the source with `token`.
    pub fn url_for(&self, provider: &str, token: &str) -> String {
        format!("{}/webhooks/{provider}/{token}", self.public_url)
    }

    /// Verifies, stores and answers one delivery.
    pub async fn receive(&self, call: InboundCall<'_>) -> Result<InboundReply, InboundRejection> {
        let outcome = self.receive_inner(&call).await;
        let label = match &outcome {
            Ok(InboundReply::Stored) => "stored",
            Ok(InboundReply::Duplicate) => "duplicate",
            Ok(_) => "handshake",
            Err(InboundRejection::NotFound) => "not_found",
            Err(InboundRejection::Unauthenticated(_) | InboundRejection::Forbidden(_)) => "refused",
            Err(InboundRejection::Runtime(_)) => "error",
        };
        metrics::counter!("hub_webhooks_inbound_total", "provider" => provider_label(call.provider), "outcome" => label)
            .increment(1);
        outcome
    }

    async fn receive_inner(&self, call: &InboundCall<'_>) -> Result<InboundReply, InboundRejection> {
        let scheme = Scheme::for_provider(call.provider).map_err(|_| InboundRejection::NotFound)?;
        let opened = self.sources.find(call.token).await?.ok_or(InboundRejection::NotFound)?;
        if opened.source.provider != call.provider {
            return Err(InboundRejection::NotFound);
        }
        let url = self.signed_url(&opened, call);
        let request = InboundRequest { method: call.method, url: Some(&url), headers: call.headers, body: &call.body };
        let is_handshake_get = scheme == Scheme::Meta && call.method == Method::GET;
        let secrets = if is_handshake_get { &opened.verify_tokens } else { &opened.signing };
        let verified = match verify(scheme, secrets, &request, SystemTime::now()) {
            Ok(verified) => verified,
            Err(error) => return Err(self.refuse(&opened, error)),
        };
        match &verified.kind {
            DeliveryKind::MetaSubscription { challenge } => return Ok(InboundReply::Challenge(challenge.clone())),
            DeliveryKind::GoogleChannel(notification) if notification.is_sync() => {
                return Ok(InboundReply::Acknowledged);
            }
            _ => {}
        }
        let ids = match &verified.event_id {
            Some(id) => vec![id.clone()],
            None => event_ids(scheme, &request),
        };
        let event = NewInboundEvent {
            id: InboundEventId::new(),
            network_id: opened.source.network_id.clone(),
            source_id: opened.source.id.clone(),
            provider: opened.source.provider.clone(),
            connection_id: opened.source.connection_id.clone(),
            dedup_key: dedup_key(&ids, &call.body),
            event_ids: ids,
            headers: kept_headers(call.headers),
            body: call.body.to_vec(),
            received_at: Utc::now(),
        };
        match self.writer.submit(event).await.map_err(RuntimeError::from)? {
            InboundOutcome::Stored => Ok(InboundReply::Stored),
            InboundOutcome::Duplicate => Ok(InboundReply::Duplicate),
        }
    }

    /// The URL the provider signed: the source's `notification_url` when it names one, else the
    /// hub's public URL for it, with the query string the provider sent.
    fn signed_url(&self, opened: &OpenedSource, call: &InboundCall<'_>) -> String {
        let base = match &opened.source.notification_url {
            Some(url) => url.clone(),
            None => self.url_for(call.provider, call.token),
        };
        match call.query {
            Some(query) if !query.is_empty() && !base.contains('?') => format!("{base}?{query}"),
            _ => base,
        }
    }

    /// Counts a refusal, audits it (at most once a minute per source) and says how to answer.
    fn refuse(&self, opened: &OpenedSource, error: WebhookError) -> InboundRejection {
        tracing::warn!(
            source = %opened.source.id,
            network = %opened.source.network_id,
            provider = %opened.source.provider,
            reason = %error,
            "webhook delivery refused"
        );
        let due = {
            let mut refusals = self.refusals.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let entry = refusals.entry(opened.source.id.to_string()).or_insert((Instant::now() - AUDIT_EVERY, 0));
            entry.1 += 1;
            if entry.0.elapsed() >= AUDIT_EVERY {
                let count = entry.1;
                *entry = (Instant::now(), 0);
                Some(count)
            } else {
                None
            }
        };
        if let Some(count) = due {
            let store = Arc::clone(&self.store);
            let source = opened.source.clone();
            let reason = error.to_string();
            tokio::spawn(async move {
                if let Err(failure) = store.audit_webhook_refusal(&source, &reason, count).await {
                    tracing::warn!(source = %source.id, error = %failure, "could not audit a refused webhook");
                }
            });
        }
        match error.code() {
            hub_core::ErrorCode::Internal => {
                InboundRejection::Runtime(RuntimeError::Misconfigured(format!("source {}: {error}", opened.source.id)))
            }
            hub_core::ErrorCode::Forbidden => InboundRejection::Forbidden(error),
            _ => InboundRejection::Unauthenticated(error),
        }
    }
}

/// What identifies a delivery for dedup: its one event id, a hash of its several, or (for
/// providers that send none) a hash of the body, so a provider's retry of the same bytes is a repeat.
pub fn dedup_key(ids: &[String], body: &[u8]) -> String {
    match ids {
        [one] => one.clone(),
        [] => format!("body:{}", hex::encode(sha2::Sha256::digest(body))),
        many => {
            let mut hasher = sha2::Sha256::new();
            for id in many {
                hasher.update(id.as_bytes());
                hasher.update([0]);
            }
            format!("ids:{}", hex::encode(hasher.finalize()))
        }
    }
}

fn kept_headers(headers: &HeaderMap) -> String {
    let mut kept = serde_json::Map::new();
    for (name, value) in headers {
        if DROPPED_HEADERS.contains(&name.as_str()) {
            continue;
        }
        let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match kept.get_mut(name.as_str()) {
            Some(serde_json::Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&text);
            }
            _ => {
                kept.insert(name.as_str().to_owned(), serde_json::Value::String(text));
            }
        }
    }
    serde_json::Value::Object(kept).to_string()
}

/// Known provider ids as metric labels; anything else is `other` (labels stay bounded).
fn provider_label(provider: &str) -> &'static str {
    Scheme::provider_ids().find(|id| *id == provider).unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_keys_follow_the_ids_or_the_body() {
        assert_eq!(dedup_key(&["evt_1".into()], b"x"), "evt_1");
        assert_eq!(dedup_key(&[], b"x"), dedup_key(&[], b"x"));
        assert_ne!(dedup_key(&[], b"x"), dedup_key(&[], b"y"));
        let two = dedup_key(&["a".into(), "b".into()], b"");
        assert!(two.starts_with("ids:"));
        assert_ne!(two, dedup_key(&["ab".into()], b""));
    }

    #[test]
    fn credentials_are_not_kept_with_a_delivery() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer secret".parse().expect("value"));
        headers.insert("stripe-signature", "t=1,v1=aa".parse().expect("value"));
        let kept = kept_headers(&headers);
        assert!(!kept.contains("secret"));
        assert!(kept.contains("stripe-signature"));
    }
}
