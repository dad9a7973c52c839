//! Group commit: one task owns a bounded queue of writes and commits whatever has gathered in one
//! transaction, so many concurrent callers share one fsync. A caller waits for its own answer,
//! which arrives only after the transaction holding its item committed.
//!
//! There is no timer: the writer takes the first item as soon as it arrives and everything that
//! queued behind it while the previous batch was committing, so an idle hub answers at once and a
//! busy one batches by itself.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

/// Why an item was not written.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BatchError {
    /// The batch's transaction failed; nothing in it was written.
    #[error("the batch could not be written: {0}")]
    Failed(Arc<str>),
    /// The writer has stopped (the hub is shutting down).
    #[error("the writer has stopped")]
    Stopped,
}

type Pending<T, R> = (T, oneshot::Sender<Result<R, BatchError>>);

/// The handle callers submit through. Cheap to clone.
pub struct Batcher<T, R> {
    sender: mpsc::Sender<Pending<T, R>>,
}

impl<T, R> Clone for Batcher<T, R> {
    fn clone(&self) -> Self {
        Self { sender: self.sender.clone() }
    }
}

impl<T: Send + 'static, R: Send + 'static> Batcher<T, R> {
    /// Starts the writer task: `write` receives each batch (at most `max_batch` items, in arrival
    /// order) and answers one result per item, in order. At most `capacity` items wait; past that
    /// callers wait for room (back-pressure instead of an unbounded queue).
    pub fn spawn<F, Fut, E>(capacity: usize, max_batch: usize, write: F) -> Self
    where
        F: Fn(Vec<T>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Vec<R>, E>> + Send,
        E: std::fmt::Display,
    {
        let (sender, mut receiver) = mpsc::channel::<Pending<T, R>>(capacity.max(1));
        let max_batch = max_batch.max(1);
        tokio::spawn(async move {
            let mut items = Vec::with_capacity(max_batch);
            let mut replies = Vec::with_capacity(max_batch);
            while let Some(first) = receiver.recv().await {
                let mut pending = vec![first];
                while pending.len() < max_batch {
                    match receiver.try_recv() {
                        Ok(next) => pending.push(next),
                        Err(_) => break,
                    }
                }
                for (item, reply) in pending {
                    items.push(item);
                    replies.push(reply);
                }
                let count = items.len();
                match write(std::mem::take(&mut items)).await {
                    Ok(results) if results.len() == count => {
                        for (reply, result) in replies.drain(..).zip(results) {
                            let _ = reply.send(Ok(result));
                        }
                    }
                    Ok(results) => {
                        let why: Arc<str> =
                            format!("the writer answered {} results for {count} items", results.len()).into();
                        for reply in replies.drain(..) {
                            let _ = reply.send(Err(BatchError::Failed(Arc::clone(&why))));
                        }
                    }
                    Err(error) => {
                        let why: Arc<str> = error.to_string().into();
                        for reply in replies.drain(..) {
                            let _ = reply.send(Err(BatchError::Failed(Arc::clone(&why))));
                        }
                    }
                }
            }
        });
        Self { sender }
    }

    /// Submits one item and waits until the batch holding it committed (or failed).
    pub async fn submit(&self, item: T) -> Result<R, BatchError> {
        let (reply, answer) = oneshot::channel();
        self.sender.send((item, reply)).await.map_err(|_| BatchError::Stopped)?;
        answer.await.map_err(|_| BatchError::Stopped)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[tokio::test]
    async fn concurrent_items_share_batches_and_each_gets_its_own_answer() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&sizes);
        let batcher = Batcher::spawn(1024, 64, move |items: Vec<u32>| {
            let seen = Arc::clone(&seen);
            async move {
                seen.lock().expect("lock").push(items.len());
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                Ok::<_, String>(items.into_iter().map(|n| n * 2).collect())
            }
        });
        let tasks: Vec<_> = (0..200u32)
            .map(|n| {
                let batcher = batcher.clone();
                tokio::spawn(async move { (n, batcher.submit(n).await) })
            })
            .collect();
        for task in tasks {
            let (n, answer) = task.await.expect("task");
            assert_eq!(answer.expect("written"), n * 2);
        }
        let sizes = sizes.lock().expect("lock").clone();
        assert_eq!(sizes.iter().sum::<usize>(), 200);
        assert!(sizes.len() < 200, "items were batched: {sizes:?}");
        assert!(sizes.iter().all(|&size| size <= 64));
    }

    #[tokio::test]
    async fn a_failed_batch_fails_every_item_in_it() {
        let batcher = Batcher::spawn(8, 8, |_items: Vec<u32>| async { Err::<Vec<u32>, _>("disk full") });
        let error = batcher.submit(1).await.expect_err("fails");
        assert!(error.to_string().contains("disk full"));
    }
}
