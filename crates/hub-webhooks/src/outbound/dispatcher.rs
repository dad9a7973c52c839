//! The dispatcher: claims due deliveries in batches (woken at once by local emits, and otherwise
//! when the next retry comes due or at the poll interval), sends each with Standard Webhooks
//! headers under a concurrency cap, and records results by group commit.
//!
//! Delivery is at least once: a delivery is leased while it is being sent; if the hub dies before
//! the result is recorded the lease expires and it is sent again with the same `webhook-id`, which
//! subscribers dedup on. Each endpoint's breaker, rate limit and FIFO order hold deliveries back
//! without counting attempts. The destination is checked against the SSRF guard on every attempt
//! (IP literals here, host names by the resolver the client dials through).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use hub_core::access::Permission;
use hub_core::id::{NetworkId, WebhookEndpointId};
use hub_oauth::CredentialVault;
use hub_resilience::AllowList;
use hub_resilience::ssrf::{GuardedResolver, check_url_literal};
use hub_store::{
    AttemptRecord, ClaimedDelivery, DeliveryResult, DeliveryState, DisabledEndpoint, EndpointScope, SecretPurpose,
    Store, StoreError, WebhookEndpoint,
};
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;

use super::emitter::{Emitter, PlatformEvent};
use super::event_types::{event_type, without_pii};
use super::health::EndpointHealth;
use crate::batch::Batcher;
use crate::settings::WebhookSettings;
use crate::{SigningSecret, sign};

/// Deliveries claimed at once, at most.
const CLAIM: usize = 256;
/// How long an endpoint's opened secrets are trusted before being read again.
const ENDPOINT_TTL: Duration = Duration::from_secs(2);
/// How much of a response body the attempts log keeps.
const RESPONSE_KEPT: usize = 1024;

/// An endpoint ready to deliver to.
pub struct ResolvedEndpoint {
    pub endpoint: WebhookEndpoint,
    pub url: Option<url::Url>,
    pub secrets: Vec<SigningSecret>,
    pub sees_pii: bool,
}

/// Endpoints by (network, id), with when they were read.
type EndpointCache = HashMap<(NetworkId, WebhookEndpointId), (Arc<ResolvedEndpoint>, Instant)>;

struct Inner {
    store: Arc<dyn Store>,
    vault: Arc<CredentialVault>,
    settings: WebhookSettings,
    allow: Arc<AllowList>,
    client: reqwest::Client,
    wake: Arc<Notify>,
    permits: Arc<Semaphore>,
    endpoints: Mutex<EndpointCache>,
    health: Mutex<HashMap<WebhookEndpointId, EndpointHealth>>,
    results: Batcher<DeliveryResult, ()>,
}

/// Sends deliveries. Cheap to clone.
#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
}

impl Dispatcher {
    /// A dispatcher woken by `wake`; `emitter` announces endpoints it disables.
    pub fn new(
        store: Arc<dyn Store>,
        vault: Arc<CredentialVault>,
        settings: WebhookSettings,
        wake: Arc<Notify>,
        emitter: Emitter,
    ) -> Result<Self, reqwest::Error> {
        let allow = Arc::new(settings.allow_list.clone());
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver::new(Arc::clone(&allow))))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.delivery_timeout)
            .connect_timeout(settings.delivery_timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(settings.delivery_concurrency)
            .tcp_nodelay(true)
            .user_agent("FranchiseHub-Webhooks/1")
            .build()?;
        let disable_after = chrono::Duration::from_std(settings.disable_after).unwrap_or(chrono::Duration::days(5));
        let recorder = Arc::clone(&store);
        let results = Batcher::spawn(4096, 512, move |results: Vec<DeliveryResult>| {
            let store = Arc::clone(&recorder);
            let emitter = emitter.clone();
            async move {
                let count = results.len();
                let disabled = store.record_deliveries(&results, Utc::now() - disable_after).await?;
                for endpoint in disabled {
                    tokio::spawn(announce_disabled(emitter.clone(), endpoint));
                }
                Ok::<_, StoreError>(vec![(); count])
            }
        });
        let permits = Arc::new(Semaphore::new(settings.delivery_concurrency));
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                vault,
                settings,
                allow,
                client,
                wake,
                permits,
                endpoints: Mutex::new(HashMap::new()),
                health: Mutex::new(HashMap::new()),
                results,
            }),
        })
    }

    /// Wakes the dispatcher (new deliveries were stored).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// The wake-up producers and emitters notify.
    pub fn wake_handle(&self) -> Arc<Notify> {
        Arc::clone(&self.inner.wake)
    }

    /// Forgets an endpoint's cached settings (after it changed on this node).
    pub fn forget(&self, network_id: &NetworkId, id: &WebhookEndpointId) {
        let mut cache = self.inner.endpoints.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.remove(&(network_id.clone(), id.clone()));
    }

    /// Claims one batch and sends it, waiting for every result to be recorded; returns how many
    /// deliveries it claimed (tests drain with this).
    pub async fn dispatch_once(&self) -> Result<usize, StoreError> {
        let tasks = self.claim_and_start().await?;
        let count = tasks.len();
        for task in tasks {
            let _ = task.await;
        }
        Ok(count)
    }

    /// Dispatches until nothing is due now.
    pub async fn run_until_idle(&self) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let done = self.dispatch_once().await?;
            if done == 0 {
                return Ok(total);
            }
            total += done;
        }
    }

    async fn claim_and_start(&self) -> Result<Vec<tokio::task::JoinHandle<()>>, StoreError> {
        let inner = &self.inner;
        let available = inner.permits.available_permits().min(CLAIM);
        if available == 0 {
            return Ok(Vec::new());
        }
        let now = Utc::now();
        let lease = now
            + chrono::Duration::from_std(inner.settings.delivery_timeout * 2 + Duration::from_secs(30))
                .unwrap_or(chrono::Duration::minutes(1));
        let claimed = inner.store.claim_deliveries(now, lease, available as u32).await?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let endpoints = self.resolve(&claimed).await?;
        let mut tasks = Vec::with_capacity(claimed.len());
        for delivery in claimed {
            let Ok(permit) = Arc::clone(&inner.permits).acquire_owned().await else { break };
            let endpoint = endpoints.get(&(delivery.network_id.clone(), delivery.endpoint_id.clone())).cloned();
            let dispatcher = self.clone();
            tasks.push(tokio::spawn(async move {
                let result = dispatcher.deliver(delivery, endpoint).await;
                if let Err(error) = dispatcher.inner.results.submit(result).await {
                    // The lease expires and the delivery is sent again.
                    tracing::warn!(%error, "could not record a webhook delivery result");
                }
                drop(permit);
            }));
        }
        Ok(tasks)
    }

    /// The endpoints of `claimed`, from the cache or the store (secrets opened once per TTL).
    async fn resolve(
        &self,
        claimed: &[ClaimedDelivery],
    ) -> Result<HashMap<(NetworkId, WebhookEndpointId), Arc<ResolvedEndpoint>>, StoreError> {
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        {
            let cache = self.inner.endpoints.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            for delivery in claimed {
                let key = (delivery.network_id.clone(), delivery.endpoint_id.clone());
                if found.contains_key(&key) || missing.contains(&key) {
                    continue;
                }
                match cache.get(&key) {
                    Some((endpoint, at)) if at.elapsed() < ENDPOINT_TTL => {
                        found.insert(key, Arc::clone(endpoint));
                    }
                    _ => missing.push(key),
                }
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        let loaded = self.inner.store.endpoints_by_id(&missing).await?;
        let now = Utc::now();
        for endpoint in loaded {
            let mut secrets = Vec::new();
            for sealed in endpoint.secrets.iter().filter(|s| s.purpose == SecretPurpose::Signing && s.is_live(now)) {
                match self.inner.vault.open(&endpoint.network_id, endpoint.id.as_str(), &sealed.sealed).await {
                    Ok(opened) => match std::str::from_utf8(&opened).ok().map(SigningSecret::parse) {
                        Some(Ok(secret)) => secrets.push(secret),
                        _ => tracing::error!(endpoint = %endpoint.id, "a stored endpoint secret is unusable"),
                    },
                    Err(error) => tracing::error!(endpoint = %endpoint.id, %error, "cannot open an endpoint secret"),
                }
            }
            let resolved = Arc::new(ResolvedEndpoint {
                url: url::Url::parse(&endpoint.url).ok(),
                sees_pii: endpoint.role.allows(Permission::ReadCustomerPii),
                secrets,
                endpoint,
            });
            let key = (resolved.endpoint.network_id.clone(), resolved.endpoint.id.clone());
            found.insert(key, resolved);
        }
        let mut cache = self.inner.endpoints.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if cache.len() > 10_000 {
            cache.clear();
        }
        for (key, endpoint) in &found {
            cache.insert(key.clone(), (Arc::clone(endpoint), Instant::now()));
        }
        Ok(found)
    }

    async fn deliver(&self, delivery: ClaimedDelivery, endpoint: Option<Arc<ResolvedEndpoint>>) -> DeliveryResult {
        let settings = &self.inner.settings;
        let postpone = |delivery: ClaimedDelivery, wait: Duration| DeliveryResult {
            delivery,
            state: DeliveryState::Postponed(later(wait)),
            attempt: None,
        };
        let Some(endpoint) = endpoint else {
            // Deleted meanwhile: its pending deliveries went with it.
            return DeliveryResult { delivery, state: DeliveryState::Dead, attempt: None };
        };
        if !endpoint.endpoint.is_enabled() {
            return postpone(delivery, Duration::from_secs(60));
        }
        let admitted = {
            let mut health = self.inner.health.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            health.entry(endpoint.endpoint.id.clone()).or_default().admit(
                Instant::now(),
                endpoint.endpoint.rate_limit_per_second,
                settings.breaker_cooldown,
            )
        };
        if let Err(hold) = admitted {
            return postpone(delivery, hold.wait());
        }
        let started = Instant::now();
        let outcome = self.send(&delivery, &endpoint).await;
        let latency_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
        let success = matches!(outcome, Ok((status, _)) if (200..300).contains(&status));
        let opened = {
            let mut health = self.inner.health.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            health.entry(endpoint.endpoint.id.clone()).or_default().record(
                success,
                Instant::now(),
                settings.breaker_threshold,
                settings.breaker_cooldown,
            )
        };
        if opened {
            tracing::warn!(endpoint = %endpoint.endpoint.id, network = %delivery.network_id, "webhook endpoint breaker opened");
        }
        let (status_code, response, error) = match outcome {
            Ok((status, body)) => (Some(status), Some(body), (!success).then(|| format!("HTTP {status}"))),
            Err(error) => (None, None, Some(error)),
        };
        metrics::counter!("hub_webhooks_deliveries_total", "outcome" => if success { "succeeded" } else { "failed" })
            .increment(1);
        let state = if success {
            DeliveryState::Succeeded
        } else {
            match settings.retry_schedule.get(delivery.attempt as usize) {
                Some(wait) => DeliveryState::Retry(later(*wait)),
                None => DeliveryState::Dead,
            }
        };
        DeliveryResult {
            delivery,
            state,
            attempt: Some(AttemptRecord { status_code, latency_ms, response, error, at: Utc::now() }),
        }
    }

    /// One HTTP attempt: the status and the first 1 KiB of the body, or why no answer came.
    async fn send(&self, delivery: &ClaimedDelivery, endpoint: &ResolvedEndpoint) -> Result<(u16, String), String> {
        let url = endpoint.url.as_ref().ok_or_else(|| "the endpoint URL cannot be parsed".to_owned())?;
        check_url_literal(url, &self.inner.allow).map_err(|refusal| format!("refused: {refusal}"))?;
        if endpoint.secrets.is_empty() {
            return Err("the endpoint has no usable signing secret".to_owned());
        }
        let body = envelope(delivery, endpoint.sees_pii);
        let signed = sign(&endpoint.secrets, delivery.event_id.as_str(), std::time::SystemTime::now(), &body)
            .map_err(|error| error.to_string())?;
        let mut headers = http::HeaderMap::new();
        signed.apply(&mut headers);
        headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
        let response =
            self.inner.client.post(url.clone()).headers(headers).body(body).send().await.map_err(|error| {
                match hub_resilience::ssrf::find_in_chain(&error) {
                    Some(refusal) => format!("refused: {refusal}"),
                    None if error.is_timeout() => "timed out".to_owned(),
                    None if error.is_connect() => "could not connect".to_owned(),
                    None => format!("request failed: {}", without_url(&error)),
                }
            })?;
        let status = response.status().as_u16();
        let mut kept = Vec::with_capacity(RESPONSE_KEPT.min(256));
        let mut response = response;
        while kept.len() < RESPONSE_KEPT {
            match response.chunk().await {
                Ok(Some(chunk)) => kept.extend_from_slice(&chunk[..chunk.len().min(RESPONSE_KEPT - kept.len())]),
                Ok(None) | Err(_) => break,
            }
        }
        Ok((status, String::from_utf8_lossy(&kept).into_owned()))
    }

    /// Dispatches until `shutdown`, then waits for deliveries in flight.
    pub async fn run(&self, shutdown: CancellationToken) {
        let inner = &self.inner;
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            if inner.permits.available_permits() == 0 {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    permit = Arc::clone(&inner.permits).acquire_owned() => drop(permit),
                }
                continue;
            }
            match self.claim_and_start().await {
                Ok(tasks) if !tasks.is_empty() => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "claiming webhook deliveries failed; retrying"),
            }
            let mut wait = inner.settings.poll_interval;
            if let Ok(Some(due)) = inner.store.next_delivery_due().await {
                let until = (due - Utc::now()).to_std().unwrap_or(Duration::ZERO);
                wait = wait.min(until.max(Duration::from_millis(5)));
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = inner.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
        // Deliveries in flight finish (each bounded by the timeout) before the runtime stops.
        let _ = inner.permits.acquire_many(inner.settings.delivery_concurrency as u32).await;
    }
}

fn later(wait: Duration) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::days(1))
}

/// `reqwest` errors name the URL; the attempts log keeps only the reason.
fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(url.as_str(), "<endpoint>");
    }
    text
}

/// The body subscribers receive: `{"id","type","timestamp","network_id","franchisee_id",
/// "location_id","data"}`, with customer PII removed for roles that may not see it.
pub fn envelope(delivery: &ClaimedDelivery, sees_pii: bool) -> Bytes {
    let strip = !sees_pii && event_type(&delivery.event_type).is_none_or(|known| known.has_pii);
    let data = if strip {
        match serde_json::from_str::<serde_json::Value>(&delivery.event_data) {
            Ok(mut value) => {
                without_pii(&mut value);
                value.to_string()
            }
            Err(_) => "null".to_owned(),
        }
    } else {
        delivery.event_data.clone()
    };
    let optional = |id: &Option<String>| match id {
        Some(id) => format!("\"{id}\""),
        None => "null".to_owned(),
    };
    Bytes::from(format!(
        r#"{{"id":"{}","type":"{}","timestamp":"{}","network_id":"{}","franchisee_id":{},"location_id":{},"data":{}}}"#,
        delivery.event_id,
        delivery.event_type,
        delivery.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        delivery.network_id,
        optional(&delivery.event_franchisee_id),
        optional(&delivery.event_location_id),
        data
    ))
}

/// Emits `endpoint.disabled` for an endpoint the store disabled.
async fn announce_disabled(emitter: Emitter, endpoint: DisabledEndpoint) {
    tracing::warn!(endpoint = %endpoint.endpoint_id, network = %endpoint.network_id, "webhook endpoint disabled after failing too long");
    let data = serde_json::json!({
        "endpoint_id": endpoint.endpoint_id,
        "url": endpoint.url,
        "failing_since": endpoint.failing_since,
    });
    let key = format!("endpoint.disabled:{}:{}", endpoint.endpoint_id, endpoint.failing_since.timestamp_micros());
    let mut event = PlatformEvent::new(endpoint.network_id.clone(), "endpoint.disabled", key, data);
    match endpoint.scope {
        EndpointScope::Franchisee(franchisee) => event = event.for_franchisee(franchisee),
        EndpointScope::Location { franchisee_id, location_id } => {
            event = event.for_location(franchisee_id, location_id)
        }
        EndpointScope::Network | EndpointScope::Territory(_) => {}
    }
    if let Err(error) = emitter.emit(event).await {
        tracing::error!(%error, endpoint = %endpoint.endpoint_id, "could not emit endpoint.disabled");
    }
}
