//! The waiting room of one provider app: per-connection queues per priority class, served
//! round-robin across connections (fair share), highest class first, within the app's and each
//! connection's rate and concurrency limits. Pure state; the caller holds the lock and the clock.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use tokio::sync::oneshot;

use super::SlotGuard;
use super::gcra::{Gcra, RateLimitPolicy};
use crate::call::{Priority, ScopeKey};

/// How many requests may be in flight at once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InFlightLimits {
    pub(crate) per_app: usize,
    pub(crate) per_connection: usize,
}

/// A call waiting for its turn; it receives the slot through the channel.
pub(crate) type Waiter = oneshot::Sender<SlotGuard>;

/// A turn handed out by [`AppState::dispatch`], to be sent once the lock is released.
pub(crate) type Grant = (Waiter, Option<ScopeKey>);

/// What the dispatcher should wait for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Nobody is waiting: the dispatcher may stop.
    Idle,
    /// Someone may go at this instant.
    At(Instant),
    /// Everyone waits for an in-flight request to finish.
    Release,
}

/// One rate-limit bucket with its pause and in-flight count.
#[derive(Debug)]
struct Bucket {
    gcra: Gcra,
    policy: Option<RateLimitPolicy>,
    paused_until: Option<Instant>,
    in_flight: usize,
}

impl Bucket {
    fn new(now: Instant) -> Self {
        Self { gcra: Gcra::new(now), policy: None, paused_until: None, in_flight: 0 }
    }

    /// When one more request may start here; `None` while the in-flight limit is reached.
    fn ready_at(&self, now: Instant, max_in_flight: usize) -> Option<Instant> {
        if self.in_flight >= max_in_flight {
            return None;
        }
        let rate_ready = self.policy.map_or(now, |policy| self.gcra.ready_at(&policy, now));
        Some(self.paused_until.map_or(rate_ready, |until| until.max(rate_ready)))
    }

    fn take(&mut self, now: Instant) {
        if let Some(policy) = self.policy {
            self.gcra.take(&policy, now);
        }
        self.in_flight += 1;
    }

    fn pause(&mut self, until: Instant) {
        self.paused_until = Some(self.paused_until.map_or(until, |current| current.max(until)));
    }

    fn is_idle(&self, now: Instant) -> bool {
        self.in_flight == 0 && self.gcra.is_idle(now) && self.paused_until.is_none_or(|until| until <= now)
    }
}

/// One connection (or the calls without one) inside an app.
#[derive(Debug)]
struct ConnectionSlot {
    bucket: Bucket,
    queues: [VecDeque<Waiter>; 4],
}

/// Everything about one provider app's quota.
#[derive(Debug)]
pub(crate) struct AppState {
    bucket: Bucket,
    connections: HashMap<Option<ScopeKey>, ConnectionSlot>,
    /// Per priority class, the connections with waiters of that class, in round-robin order.
    rings: [VecDeque<Option<ScopeKey>>; 4],
    /// Waiters in all queues, including ones whose caller gave up and is not yet swept.
    pub(crate) queued: usize,
    pub(crate) dispatcher_running: bool,
    releases_since_sweep: u32,
}

impl AppState {
    pub(crate) fn new(now: Instant) -> Self {
        Self {
            bucket: Bucket::new(now),
            connections: HashMap::new(),
            rings: Default::default(),
            queued: 0,
            dispatcher_running: false,
            releases_since_sweep: 0,
        }
    }

    fn slot(&mut self, connection: &Option<ScopeKey>, now: Instant) -> &mut ConnectionSlot {
        self.connections
            .entry(connection.clone())
            .or_insert_with(|| ConnectionSlot { bucket: Bucket::new(now), queues: Default::default() })
    }

    /// Records the limits the caller gave (the latest caller's limits win).
    pub(crate) fn set_policies(
        &mut self,
        connection: &Option<ScopeKey>,
        app: Option<RateLimitPolicy>,
        per_connection: Option<RateLimitPolicy>,
        now: Instant,
    ) {
        self.bucket.policy = app;
        self.slot(connection, now).bucket.policy = per_connection;
    }

    pub(crate) fn pause_app(&mut self, until: Instant) {
        self.bucket.pause(until);
    }

    pub(crate) fn pause_connection(&mut self, connection: &Option<ScopeKey>, until: Instant, now: Instant) {
        self.slot(connection, now).bucket.pause(until);
    }

    /// The later of the app's and the connection's pauses, if one is still running.
    pub(crate) fn paused_until(&self, connection: &Option<ScopeKey>, now: Instant) -> Option<Instant> {
        let own = self.connections.get(connection).and_then(|slot| slot.bucket.paused_until);
        [self.bucket.paused_until, own].into_iter().flatten().filter(|until| *until > now).max()
    }

    /// Takes a turn at once when nobody is waiting and both buckets allow it.
    pub(crate) fn try_admit_now(
        &mut self,
        connection: &Option<ScopeKey>,
        now: Instant,
        limits: InFlightLimits,
    ) -> bool {
        if self.queued > 0 || self.bucket.ready_at(now, limits.per_app) != Some(now) {
            return false;
        }
        let slot = self.slot(connection, now);
        if slot.bucket.ready_at(now, limits.per_connection) != Some(now) {
            return false;
        }
        slot.bucket.take(now);
        self.bucket.take(now);
        true
    }

    pub(crate) fn enqueue(&mut self, connection: Option<ScopeKey>, priority: Priority, waiter: Waiter, now: Instant) {
        let rank = priority.rank();
        let queue = &mut self.slot(&connection, now).queues[rank];
        let was_empty = queue.is_empty();
        queue.push_back(waiter);
        if was_empty {
            self.rings[rank].push_back(connection);
        }
        self.queued += 1;
    }

    /// Hands out every turn available at `now`, and says what to wait for next.
    pub(crate) fn dispatch(&mut self, now: Instant, limits: InFlightLimits) -> (Vec<Grant>, Next) {
        let mut grants = Vec::new();
        loop {
            if self.queued == 0 {
                return (grants, Next::Idle);
            }
            match self.bucket.ready_at(now, limits.per_app) {
                None => return (grants, Next::Release),
                Some(at) if at > now => return (grants, Next::At(at)),
                Some(_) => {}
            }
            match self.pick(now, limits) {
                Ok(grant) => {
                    self.bucket.take(now);
                    grants.push(grant);
                }
                Err(Some(at)) => return (grants, Next::At(at)),
                Err(None) if self.queued == 0 => return (grants, Next::Idle),
                Err(None) => return (grants, Next::Release),
            }
        }
    }

    /// The next waiter allowed to go: highest class first, round-robin over connections within a
    /// class. Otherwise the earliest instant a connection becomes ready (`None`: wait for a release).
    fn pick(&mut self, now: Instant, limits: InFlightLimits) -> Result<Grant, Option<Instant>> {
        let mut earliest: Option<Instant> = None;
        for rank in 0..Priority::ALL.len() {
            for _ in 0..self.rings[rank].len() {
                let Some(key) = self.rings[rank].pop_front() else { break };
                let Some(slot) = self.connections.get_mut(&key) else { continue };
                let queue = &mut slot.queues[rank];
                while queue.front().is_some_and(|waiter| waiter.is_closed()) {
                    queue.pop_front();
                    self.queued -= 1;
                }
                if queue.is_empty() {
                    continue;
                }
                match slot.bucket.ready_at(now, limits.per_connection) {
                    Some(at) if at <= now => {
                        let Some(waiter) = queue.pop_front() else { continue };
                        self.queued -= 1;
                        if !queue.is_empty() {
                            self.rings[rank].push_back(key.clone());
                        }
                        slot.bucket.take(now);
                        return Ok((waiter, key));
                    }
                    ready => {
                        if let Some(at) = ready {
                            earliest = Some(earliest.map_or(at, |current| current.min(at)));
                        }
                        self.rings[rank].push_back(key);
                    }
                }
            }
        }
        Err(earliest)
    }

    /// A request finished: frees its in-flight places and forgets connections with no state left.
    pub(crate) fn release(&mut self, connection: &Option<ScopeKey>, now: Instant) {
        self.bucket.in_flight = self.bucket.in_flight.saturating_sub(1);
        if let Some(slot) = self.connections.get_mut(connection) {
            slot.bucket.in_flight = slot.bucket.in_flight.saturating_sub(1);
        }
        self.releases_since_sweep += 1;
        if self.releases_since_sweep >= 256 {
            self.releases_since_sweep = 0;
            self.connections
                .retain(|_, slot| !(slot.bucket.is_idle(now) && slot.queues.iter().all(VecDeque::is_empty)));
        }
    }

    /// Drops waiters whose caller gave up, wherever they are in the queues.
    pub(crate) fn sweep_cancelled(&mut self) {
        for slot in self.connections.values_mut() {
            for queue in &mut slot.queues {
                let before = queue.len();
                queue.retain(|waiter| !waiter.is_closed());
                self.queued -= before - queue.len();
            }
        }
        let connections = &self.connections;
        for (rank, ring) in self.rings.iter_mut().enumerate() {
            ring.retain(|key| connections.get(key).is_some_and(|slot| !slot.queues[rank].is_empty()));
        }
    }
}
