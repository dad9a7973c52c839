//! Delivering webhook notifications: one bounded queue and one worker task per realm (so a
//! failing endpoint holds back only its own realm's later events, as QBO does), retries after
//! the configured delays, a 3-second timeout per attempt, and a bounded log of every delivery
//! for tests to inspect. Workers stop when the realm is reset or the emulator is dropped.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::header;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Notification, WebhookConfig, notification};
use crate::providers::quickbooks_online::company::Change;
use crate::providers::quickbooks_online::entity::EntityKind;
use crate::providers::quickbooks_online::lock;

/// Notifications waiting per realm; more are dropped (and logged as such).
const QUEUE_CAPACITY: usize = 1024;
/// Deliveries remembered per realm.
const LOG_CAPACITY: usize = 1000;
/// QBO expects an answer within 3 seconds.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);

/// One try at delivering a notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryAttempt {
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    /// Why no answer came (connection refused, timeout, queue full).
    pub error: Option<String>,
}

/// A notification and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookDelivery {
    /// The CloudEvents `id` (a fresh UUID in the legacy format too).
    pub event_id: String,
    pub entity: EntityKind,
    pub entity_id: String,
    /// `Create`, `Update` or `Delete`.
    pub operation: String,
    pub url: String,
    /// The raw body sent.
    pub body: String,
    /// The `intuit-signature` sent.
    pub signature: String,
    pub attempts: Vec<DeliveryAttempt>,
    /// Whether an attempt got a 2xx.
    pub delivered: bool,
}

type DeliveryLog = Arc<Mutex<VecDeque<WebhookDelivery>>>;

struct Job {
    notification: Notification,
    url: String,
    retry_delays: Vec<Duration>,
}

struct RealmWebhooks {
    config: Option<WebhookConfig>,
    queue: mpsc::Sender<Job>,
    /// The queue's receiving end until a worker takes it (a worker needs a Tokio runtime).
    idle_receiver: Option<mpsc::Receiver<Job>>,
    log: DeliveryLog,
    stop: CancellationToken,
}

impl RealmWebhooks {
    fn new(parent: &CancellationToken) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        Self { config: None, queue, idle_receiver: Some(receiver), log: Arc::default(), stop: parent.child_token() }
    }
}

/// Every realm's webhook configuration, queue, worker and log.
pub(crate) struct WebhookHub {
    realms: Mutex<HashMap<String, RealmWebhooks>>,
    shutdown: CancellationToken,
}

impl Default for WebhookHub {
    fn default() -> Self {
        Self { realms: Mutex::default(), shutdown: CancellationToken::new() }
    }
}

impl Drop for WebhookHub {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl WebhookHub {
    /// Sets (or with `None` removes) a realm's target.
    pub fn configure(&self, realm: &str, config: Option<WebhookConfig>) {
        let mut realms = lock(&self.realms);
        realms.entry(realm.to_owned()).or_insert_with(|| RealmWebhooks::new(&self.shutdown)).config = config;
    }

    pub fn config(&self, realm: &str) -> Option<WebhookConfig> {
        lock(&self.realms).get(realm).and_then(|webhooks| webhooks.config.clone())
    }

    /// Queues a notification for each change the realm's configuration covers.
    pub fn notify(&self, realm: &str, changes: &[Change]) {
        let mut realms = lock(&self.realms);
        let Some(webhooks) = realms.get_mut(realm) else { return };
        let Some(config) = webhooks.config.clone() else { return };
        for change in changes {
            let Some(notification) = notification(&config, realm, change) else { continue };
            let mut delivery = WebhookDelivery {
                event_id: notification.event_id.clone(),
                entity: notification.kind,
                entity_id: notification.entity_id.clone(),
                operation: notification.operation.to_owned(),
                url: config.url.clone(),
                body: notification.body.clone(),
                signature: notification.signature.clone(),
                attempts: Vec::new(),
                delivered: false,
            };
            let job = Job { notification, url: config.url.clone(), retry_delays: config.retry_delays.clone() };
            if webhooks.queue.try_send(job).is_err() {
                tracing::warn!(realm, "emulated quickbooks webhook queue is full; dropping a notification");
                delivery.attempts.push(DeliveryAttempt {
                    at: Utc::now(),
                    status: None,
                    error: Some("the emulator's webhook queue is full".to_owned()),
                });
            }
            remember(&webhooks.log, delivery);
        }
        start_worker(webhooks);
    }

    /// The realm's deliveries, oldest first.
    pub fn deliveries(&self, realm: &str) -> Vec<WebhookDelivery> {
        let log = lock(&self.realms).get(realm).map(|webhooks| Arc::clone(&webhooks.log));
        log.map(|log| lock(&log).iter().cloned().collect()).unwrap_or_default()
    }

    /// Stops the realm's worker and forgets its configuration, queue and log.
    pub fn reset_realm(&self, realm: &str) {
        if let Some(webhooks) = lock(&self.realms).remove(realm) {
            webhooks.stop.cancel();
        }
    }

    /// Stops every worker and forgets everything.
    pub fn reset(&self) {
        for (_, webhooks) in lock(&self.realms).drain() {
            webhooks.stop.cancel();
        }
    }
}

fn remember(log: &DeliveryLog, delivery: WebhookDelivery) {
    let mut log = lock(log);
    log.push_back(delivery);
    while log.len() > LOG_CAPACITY {
        log.pop_front();
    }
}

/// Spawns the realm's worker if it has none yet and a Tokio runtime is at hand (otherwise the
/// notifications wait in the queue for the next change made inside one).
fn start_worker(webhooks: &mut RealmWebhooks) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    let Some(receiver) = webhooks.idle_receiver.take() else { return };
    runtime.spawn(run(receiver, Arc::clone(&webhooks.log), webhooks.stop.clone()));
}

async fn run(mut receiver: mpsc::Receiver<Job>, log: DeliveryLog, stop: CancellationToken) {
    let client = match reqwest::Client::builder().timeout(ATTEMPT_TIMEOUT).build() {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "emulated quickbooks webhooks cannot build an HTTP client");
            return;
        }
    };
    loop {
        let job = tokio::select! {
            () = stop.cancelled() => break,
            job = receiver.recv() => match job {
                Some(job) => job,
                None => break,
            },
        };
        deliver(&client, &job, &log, &stop).await;
    }
}

async fn deliver(client: &reqwest::Client, job: &Job, log: &DeliveryLog, stop: &CancellationToken) {
    let delays = std::iter::once(Duration::ZERO).chain(job.retry_delays.iter().copied());
    for (attempt, delay) in delays.enumerate() {
        if !delay.is_zero() {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(delay) => {}
            }
        }
        let sent = client
            .post(&job.url)
            .header(header::CONTENT_TYPE, "application/json")
            .header("intuit-signature", &job.notification.signature)
            .body(job.notification.body.clone())
            .send()
            .await;
        let (status, error) = match sent {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(error) => (None, Some(error.to_string())),
        };
        let delivered = status.is_some_and(|status| (200..300).contains(&status));
        record(log, &job.notification.event_id, DeliveryAttempt { at: Utc::now(), status, error }, delivered);
        if delivered {
            return;
        }
        tracing::warn!(
            url = job.url,
            attempt,
            ?status,
            "emulated quickbooks webhook delivery failed; will retry if allowed"
        );
    }
}

fn record(log: &DeliveryLog, event_id: &str, attempt: DeliveryAttempt, delivered: bool) {
    let mut log = lock(log);
    if let Some(delivery) = log.iter_mut().rev().find(|delivery| delivery.event_id == event_id) {
        delivery.attempts.push(attempt);
        delivery.delivered |= delivered;
    }
}
