//! The limiter on its own: fast path, pauses, deadlines, bounded queues and ordering of turns.

use std::time::{Duration, Instant};

use super::*;

fn limiter(max_queued: usize) -> Limiter {
    Limiter::new(InFlightLimits { per_app: 64, per_connection: 8 }, max_queued)
}

fn admission<'a>(app: &'a ScopeKey, connection: Option<&'a ScopeKey>, priority: Priority) -> Admission<'a> {
    Admission {
        app_key: app,
        connection,
        priority,
        app_limit: RateLimitPolicy::new(10, Duration::from_secs(1)).ok(),
        connection_limit: None,
        deadline: Instant::now() + Duration::from_secs(5),
    }
}

#[tokio::test]
async fn a_pause_longer_than_the_deadline_fails_fast() {
    let limiter = limiter(100);
    let app = ScopeKey::from("app");
    let connection = ScopeKey::from("conn_a");
    limiter.pause(&app, Some(&connection), Instant::now() + Duration::from_secs(60));
    let started = Instant::now();
    let refused = limiter.acquire(admission(&app, Some(&connection), Priority::Interactive)).await;
    assert!(matches!(refused, Err(AdmissionError::Paused { ref key, .. }) if *key == connection));
    assert!(started.elapsed() < Duration::from_secs(1));

    let other = ScopeKey::from("conn_b");
    let admitted = limiter.acquire(admission(&app, Some(&other), Priority::Interactive)).await;
    assert!(admitted.is_ok(), "a pause of one connection leaves the others alone");
}

#[tokio::test]
async fn the_queue_is_bounded() {
    let limiter = Arc::new(limiter(2));
    let app = ScopeKey::from("app");
    let mut held = Vec::new();
    // Ten per second with a burst of one: the first goes at once, the next two queue.
    held.push(limiter.acquire(admission(&app, None, Priority::Backfill)).await);
    let mut waiting = Vec::new();
    for _ in 0..2 {
        let limiter = Arc::clone(&limiter);
        let app = app.clone();
        waiting.push(tokio::spawn(async move {
            limiter.acquire(admission(&app, None, Priority::Backfill)).await.map(drop)
        }));
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    let refused = limiter.acquire(admission(&app, None, Priority::Backfill)).await;
    assert_eq!(refused.map(drop), Err(AdmissionError::QueueFull));
    for task in waiting {
        assert_eq!(task.await.ok(), Some(Ok(())));
    }
    assert!(held.iter().all(Result::is_ok));
}

#[tokio::test]
async fn in_flight_limit_holds_the_next_call_until_a_release() {
    let limiter = Arc::new(Limiter::new(InFlightLimits { per_app: 1, per_connection: 1 }, 10));
    let app = ScopeKey::from("app");
    let unlimited = |app| Admission { app_limit: None, ..admission(app, None, Priority::Scheduled) };
    let first = limiter.acquire(unlimited(&app)).await;
    let second = {
        let limiter = Arc::clone(&limiter);
        let app = app.clone();
        tokio::spawn(async move {
            let admission = Admission { app_limit: None, ..admission(&app, None, Priority::Scheduled) };
            limiter.acquire(admission).await.map(drop)
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!second.is_finished(), "only one request may be in flight");
    drop(first);
    let outcome = tokio::time::timeout(Duration::from_secs(1), second).await;
    assert!(matches!(outcome, Ok(Ok(Ok(())))));
}
