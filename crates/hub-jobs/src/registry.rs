//! Handlers by job kind: what a worker runs for each job it claims.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use hub_core::id::WorkerId;
use hub_store::{Job, JobKind};
use tokio_util::sync::CancellationToken;

use crate::error::{JobError, JobsError};

/// What a handler knows about the attempt it runs.
#[derive(Debug, Clone)]
pub struct JobContext {
    /// The worker holding the job's lease.
    pub worker_id: WorkerId,
    /// This attempt's number (1 for the first).
    pub attempt: u32,
    /// Fires when the worker loses the job's lease (it expired and another worker reclaimed the
    /// job, or someone cancelled it): whatever the handler does next will not be recorded.
    pub lease_lost: CancellationToken,
}

/// Runs jobs of one kind. Delivery is at least once, so effects should be idempotent (keyed by
/// `job.id`).
#[async_trait]
pub trait JobHandler: Send + Sync + 'static {
    /// Does the job's work; an error says whether another attempt can help.
    async fn handle(&self, job: &Job, ctx: &JobContext) -> Result<(), JobError>;
}

/// A handler made from an async closure over owned copies of the job and its context.
pub struct FnHandler<F>(F);

/// Wraps `f` as a [`JobHandler`] (handy for small handlers and tests).
pub fn handler_fn<F, Fut>(f: F) -> FnHandler<F>
where
    F: Fn(Job, JobContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    FnHandler(f)
}

#[async_trait]
impl<F, Fut> JobHandler for FnHandler<F>
where
    F: Fn(Job, JobContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    async fn handle(&self, job: &Job, ctx: &JobContext) -> Result<(), JobError> {
        (self.0)(job.clone(), ctx.clone()).await
    }
}

/// The handlers a worker can run, one per kind. A worker claims only the kinds registered here,
/// so a node never takes work it cannot do.
#[derive(Default, Clone)]
pub struct JobRegistry {
    handlers: HashMap<JobKind, Arc<dyn JobHandler>>,
}

impl JobRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` for `kind`; a second handler for one kind is refused.
    pub fn register(&mut self, kind: JobKind, handler: impl JobHandler) -> Result<&mut Self, JobsError> {
        if self.handlers.contains_key(&kind) {
            return Err(JobsError::DuplicateHandler { kind: kind.to_string() });
        }
        self.handlers.insert(kind, Arc::new(handler));
        Ok(self)
    }

    /// The handler for `kind`, if one is registered.
    pub fn handler(&self, kind: &JobKind) -> Option<Arc<dyn JobHandler>> {
        self.handlers.get(kind).cloned()
    }

    /// Every registered kind, sorted.
    pub fn kinds(&self) -> Vec<JobKind> {
        let mut kinds: Vec<JobKind> = self.handlers.keys().cloned().collect();
        kinds.sort();
        kinds
    }

    /// Whether no handler is registered.
    pub fn is_empty(&self) -> bool {
        self.handlers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_handler_per_kind() {
        let kind = JobKind::parse("sync.connection").expect("kind");
        let mut registry = JobRegistry::new();
        registry.register(kind.clone(), handler_fn(|_, _| async { Ok(()) })).expect("first");
        let second = registry.register(kind.clone(), handler_fn(|_, _| async { Ok(()) }));
        assert!(matches!(second, Err(JobsError::DuplicateHandler { .. })));
        assert_eq!(registry.kinds(), vec![kind]);
    }
}
