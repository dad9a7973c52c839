//! Rate limit and concurrency limit in one place: GCRA buckets per provider app and per
//! connection, pauses a provider asked for, a fair round-robin across connections sharing an app
//! quota, and priority classes. A caller gets a [`SlotGuard`]; dropping it frees the slot.
//!
//! Callers that find nobody waiting and a conforming bucket go straight through. Otherwise they
//! queue, and one dispatcher task per app (started on demand, stopping when the queue is empty)
//! hands out turns as buckets refill, pauses end and in-flight requests finish.

mod gcra;
mod queue;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, oneshot};

pub use gcra::RateLimitPolicy;
pub(crate) use queue::InFlightLimits;
use queue::{AppState, Next};

use crate::call::{Priority, ScopeKey};

/// Locks a std mutex, ignoring poisoning: every critical section here leaves the state valid.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a caller asks the limiter for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Admission<'a> {
    pub(crate) app_key: &'a ScopeKey,
    pub(crate) connection: Option<&'a ScopeKey>,
    pub(crate) priority: Priority,
    pub(crate) app_limit: Option<RateLimitPolicy>,
    pub(crate) connection_limit: Option<RateLimitPolicy>,
    pub(crate) deadline: Instant,
}

/// Why no turn was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AdmissionError {
    /// The key is paused past the caller's deadline.
    Paused { key: ScopeKey, wait: Duration },
    /// The deadline passed while waiting.
    Deadline,
    /// The app already has the maximum number of waiting calls.
    QueueFull,
}

/// Rate and concurrency limits for every app the process talks to.
#[derive(Debug)]
pub(crate) struct Limiter {
    apps: Mutex<HashMap<ScopeKey, Arc<AppQueue>>>,
    limits: InFlightLimits,
    max_queued: usize,
}

/// One app's state, its wake-up signal for the dispatcher, and its limits.
#[derive(Debug)]
pub(crate) struct AppQueue {
    state: Mutex<AppState>,
    wake: Notify,
    limits: InFlightLimits,
}

impl Limiter {
    pub(crate) fn new(limits: InFlightLimits, max_queued: usize) -> Self {
        let limits = InFlightLimits { per_app: limits.per_app.max(1), per_connection: limits.per_connection.max(1) };
        Self { apps: Mutex::new(HashMap::new()), limits, max_queued: max_queued.max(1) }
    }

    fn app(&self, key: &ScopeKey) -> Arc<AppQueue> {
        let mut apps = lock(&self.apps);
        let queue = apps.entry(key.clone()).or_insert_with(|| {
            Arc::new(AppQueue {
                state: Mutex::new(AppState::new(Instant::now())),
                wake: Notify::new(),
                limits: self.limits,
            })
        });
        Arc::clone(queue)
    }

    /// Waits for a turn under the app's and the connection's limits, or fails fast when a pause
    /// outlasts the deadline.
    pub(crate) async fn acquire(&self, admission: Admission<'_>) -> Result<SlotGuard, AdmissionError> {
        let queue = self.app(admission.app_key);
        let connection = admission.connection.cloned();
        let (receiver, start_dispatcher) = {
            let mut state = lock(&queue.state);
            let now = Instant::now();
            state.set_policies(&connection, admission.app_limit, admission.connection_limit, now);
            if let Some(until) = state.paused_until(&connection, now)
                && until > admission.deadline
            {
                let key = connection.clone().unwrap_or_else(|| admission.app_key.clone());
                return Err(AdmissionError::Paused { key, wait: until - now });
            }
            if state.try_admit_now(&connection, now, self.limits) {
                return Ok(SlotGuard { queue: Arc::clone(&queue), connection });
            }
            if state.queued >= self.max_queued {
                state.sweep_cancelled();
                if state.queued >= self.max_queued {
                    return Err(AdmissionError::QueueFull);
                }
            }
            let (sender, receiver) = oneshot::channel();
            state.enqueue(connection, admission.priority, sender, now);
            let start_dispatcher = !state.dispatcher_running;
            state.dispatcher_running = true;
            (receiver, start_dispatcher)
        };
        if start_dispatcher {
            tokio::spawn(run_dispatcher(Arc::clone(&queue)));
        } else {
            queue.wake.notify_one();
        }
        match tokio::time::timeout_at(admission.deadline.into(), receiver).await {
            Ok(Ok(guard)) => Ok(guard),
            // The dispatcher went away without answering (runtime shutting down) or time ran out.
            Ok(Err(_)) | Err(_) => Err(AdmissionError::Deadline),
        }
    }

    /// Holds back every request of the app (`connection: None`) or of one connection until `until`.
    pub(crate) fn pause(&self, app_key: &ScopeKey, connection: Option<&ScopeKey>, until: Instant) {
        let queue = self.app(app_key);
        let mut state = lock(&queue.state);
        match connection {
            None => state.pause_app(until),
            Some(key) => state.pause_connection(&Some(key.clone()), until, Instant::now()),
        }
    }
}

/// Hands out turns for one app until nobody is waiting.
async fn run_dispatcher(queue: Arc<AppQueue>) {
    loop {
        let (grants, next) = {
            let mut state = lock(&queue.state);
            let (grants, next) = state.dispatch(Instant::now(), queue.limits);
            if next == Next::Idle {
                state.dispatcher_running = false;
            }
            (grants, next)
        };
        for (waiter, connection) in grants {
            // A caller that gave up meanwhile drops the guard, which frees the slot again.
            let _ = waiter.send(SlotGuard { queue: Arc::clone(&queue), connection });
        }
        match next {
            Next::Idle => return,
            Next::At(at) => {
                tokio::select! {
                    () = tokio::time::sleep_until(at.into()) => {}
                    () = queue.wake.notified() => {}
                }
            }
            Next::Release => queue.wake.notified().await,
        }
    }
}

/// One admitted request: holds its in-flight places until dropped.
#[derive(Debug)]
pub(crate) struct SlotGuard {
    queue: Arc<AppQueue>,
    connection: Option<ScopeKey>,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        let waiting = {
            let mut state = lock(&self.queue.state);
            state.release(&self.connection, Instant::now());
            state.queued > 0
        };
        if waiting {
            self.queue.wake.notify_one();
        }
    }
}

#[cfg(test)]
mod tests;
