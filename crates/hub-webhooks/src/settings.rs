//! How the webhook runtime behaves; the defaults are the contract.

use std::time::Duration;

use hub_resilience::AllowList;

/// Settings of the inbound and outbound runtimes.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// The hub's public origin: inbound URLs are `<public_url>/webhooks/<provider>/<token>`, and
    /// URL-signing schemes verify against it unless a source names its own `notification_url`.
    pub public_url: String,
    /// How long raw inbound payloads are kept before they are purged (the rows stay, for dedup).
    pub inbound_retention: Duration,
    /// The most inbound deliveries one group-commit transaction holds.
    pub inbound_batch: usize,
    /// Delays before each attempt of an outbound delivery: the first is the first attempt's
    /// (immediately), then one per retry. After the last, the delivery is dead-lettered.
    pub retry_schedule: Vec<Duration>,
    /// The whole time one delivery attempt may take.
    pub delivery_timeout: Duration,
    /// Deliveries in flight at once, across endpoints.
    pub delivery_concurrency: usize,
    /// An endpoint whose deliveries all failed for this long is disabled.
    pub disable_after: Duration,
    /// Consecutive failures that open an endpoint's circuit breaker.
    pub breaker_threshold: u32,
    /// How long an open breaker holds deliveries back before one is tried again.
    pub breaker_cooldown: Duration,
    /// Private destinations outbound deliveries may reach (empty: public addresses only).
    pub allow_list: AllowList,
    /// How often an idle dispatcher, producer or processor looks for work no local wake-up
    /// announced (another node's, retries coming due).
    pub poll_interval: Duration,
}

/// The retry schedule of the issue: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
pub fn default_retry_schedule() -> Vec<Duration> {
    [0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600].into_iter().map(Duration::from_secs).collect()
}

impl WebhookSettings {
    /// The contract's defaults for a hub reachable at `public_url`.
    pub fn new(public_url: impl Into<String>) -> Self {
        Self {
            public_url: public_url.into().trim_end_matches('/').to_owned(),
            inbound_retention: Duration::from_secs(30 * 24 * 3600),
            inbound_batch: 512,
            retry_schedule: default_retry_schedule(),
            delivery_timeout: Duration::from_secs(15),
            delivery_concurrency: 128,
            disable_after: Duration::from_secs(5 * 24 * 3600),
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(30),
            allow_list: AllowList::new(),
            poll_interval: Duration::from_millis(250),
        }
    }

    /// Refuses settings that cannot work.
    pub fn validate(&self) -> Result<(), String> {
        if self.retry_schedule.is_empty() {
            return Err("retry_schedule needs at least the first attempt".into());
        }
        if self.delivery_timeout.is_zero() || self.delivery_concurrency == 0 || self.inbound_batch == 0 {
            return Err("delivery_timeout, delivery_concurrency and inbound_batch must be above zero".into());
        }
        if self.poll_interval.is_zero() {
            return Err("poll_interval must be above zero".into());
        }
        Ok(())
    }
}
