//! What this node has to tell the others, waiting for the sync task: the hot path drops a
//! transition or a pause here (a lock and a push) and wakes the task, which publishes it.

use std::sync::Mutex;

use tokio::sync::Notify;

use super::{SharedBreaker, SharedPause};
use crate::limiter::lock;

/// Publications waiting to be written, at most one per breaker (the latest wins).
#[derive(Debug, Default)]
pub(crate) struct Pending {
    pub(crate) breakers: Vec<SharedBreaker>,
    pub(crate) pauses: Vec<SharedPause>,
}

impl Pending {
    pub(crate) fn is_empty(&self) -> bool {
        self.breakers.is_empty() && self.pauses.is_empty()
    }
}

/// The queue between the hot path and the sync task.
#[derive(Debug)]
pub(crate) struct Outbox {
    node_id: String,
    pending: Mutex<Pending>,
    wake: Notify,
}

/// Bounds the queue while the database is away: older publications are dropped first, and a
/// breaker's latest state replaces its earlier ones anyway.
const MAX_PENDING: usize = 10_000;

impl Outbox {
    pub(crate) fn new(node_id: String) -> Self {
        Self { node_id, pending: Mutex::new(Pending::default()), wake: Notify::new() }
    }

    /// The name this node publishes under.
    pub(crate) fn node_id(&self) -> &str {
        &self.node_id
    }

    /// Queues a breaker transition, replacing a queued one of the same breaker.
    pub(crate) fn breaker(&self, breaker: SharedBreaker) {
        {
            let mut pending = lock(&self.pending);
            pending.breakers.retain(|queued| queued.key != breaker.key);
            if pending.breakers.len() >= MAX_PENDING {
                pending.breakers.remove(0);
            }
            pending.breakers.push(breaker);
        }
        self.wake.notify_one();
    }

    /// Queues a pause.
    pub(crate) fn pause(&self, pause: SharedPause) {
        {
            let mut pending = lock(&self.pending);
            if pending.pauses.len() >= MAX_PENDING {
                pending.pauses.remove(0);
            }
            pending.pauses.push(pause);
        }
        self.wake.notify_one();
    }

    /// Everything queued so far.
    pub(crate) fn take(&self) -> Pending {
        std::mem::take(&mut *lock(&self.pending))
    }

    /// Queues again what could not be published, unless something newer for the same breaker
    /// was queued meanwhile.
    pub(crate) fn put_back(&self, failed: Pending) {
        let mut pending = lock(&self.pending);
        for breaker in failed.breakers {
            if !pending.breakers.iter().any(|queued| queued.key == breaker.key) && pending.breakers.len() < MAX_PENDING
            {
                pending.breakers.push(breaker);
            }
        }
        for pause in failed.pauses {
            if pending.pauses.len() < MAX_PENDING {
                pending.pauses.push(pause);
            }
        }
    }

    /// Resolves when something was queued since the last call (a queued wake-up is kept).
    pub(crate) async fn queued(&self) {
        self.wake.notified().await;
    }
}
