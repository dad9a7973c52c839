//! The job queue's storage conformance suite: written once, run against SQLite and PostgreSQL.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use hub_core::access::TenantScope;
use hub_core::id::{JobId, NetworkId, WorkerId};
use hub_core::page::PageRequest;
use hub_core::tenancy::{Currency, Name};
use hub_store::{
    ChangeContext, Job, JobFilter, JobKind, JobStatus, JobVisibility, NewJob, NewSchedule, Store, StoreError,
};
use serde_json::json;

hub_store::tests_on_both_backends!(
    enqueued_jobs_round_trip_and_are_scoped_by_network,
    a_thousand_concurrent_enqueues_of_one_unique_job_queue_one,
    claims_take_due_jobs_by_priority_then_run_at,
    concurrent_claimers_claim_each_job_exactly_once,
    expired_leases_are_reclaimed_and_the_stale_worker_cannot_finish,
    failures_retry_then_dead_letter_with_the_reason,
    a_lease_lost_on_the_last_attempt_dead_letters_the_job,
    retry_and_cancel_change_only_jobs_in_the_right_state,
    job_lists_page_newest_first_within_scope,
    schedules_fire_once_across_concurrent_firers,
    batch_completion_skips_jobs_the_worker_does_not_hold,
    completing_and_claiming_in_one_go_records_the_held_jobs_and_leases_only_due_ones,
    purge_removes_only_jobs_finished_before_the_cutoff,
);

const LONG_LEASE: Duration = Duration::from_secs(60);

fn kind(text: &str) -> JobKind {
    JobKind::parse(text).expect("valid kind")
}

fn job(text: &str) -> NewJob {
    NewJob::new(kind(text), json!({ "kind": text }))
}

async fn network(store: &dyn Store, label: &str) -> NetworkId {
    let name = Name::parse(label).expect("name");
    store.create_network(&ChangeContext::cli(), name, Currency::parse("USD").expect("USD")).await.expect("network").id
}

/// Makes a held lease run out (almost) at once, without waiting a whole lease.
async fn expire_lease(store: &dyn Store, worker: &WorkerId, id: &JobId) {
    let held = store.heartbeat(worker, std::slice::from_ref(id), Duration::from_millis(1)).await.expect("heartbeat");
    assert_eq!(held, vec![id.clone()]);
    tokio::time::sleep(Duration::from_millis(20)).await;
}

async fn enqueued_jobs_round_trip_and_are_scoped_by_network(store: Arc<dyn Store>) {
    let mine = network(&*store, "Mine").await;
    let theirs = network(&*store, "Theirs").await;
    let enqueued = store.enqueue(job("sync.connection").in_network(mine.clone()).priority(3)).await.expect("enqueue");
    assert!(enqueued.is_new());
    let created = enqueued.into_job();
    assert_eq!((created.status, created.attempts, created.priority), (JobStatus::Queued, 0, 3));
    assert_eq!(created.payload, json!({ "kind": "sync.connection" }));
    assert_eq!(created.max_attempts, hub_store::DEFAULT_MAX_ATTEMPTS);

    let own_view = JobVisibility::Network(mine.clone());
    assert_eq!(store.get_job(&own_view, &created.id).await.expect("get"), created);
    assert_eq!(store.get_job(&JobVisibility::Operator, &created.id).await.expect("get"), created);
    let other_view = JobVisibility::Network(theirs.clone());
    assert!(matches!(store.get_job(&other_view, &created.id).await, Err(StoreError::NotFound { .. })));

    let system = store.enqueue(job("system.purge")).await.expect("system job").into_job();
    assert!(matches!(store.get_job(&own_view, &system.id).await, Err(StoreError::NotFound { .. })));
    assert_eq!(store.get_job(&JobVisibility::Operator, &system.id).await.expect("operator").network_id, None);

    let ghost = store.enqueue(job("sync.connection").in_network(NetworkId::new())).await;
    assert!(matches!(ghost, Err(StoreError::Invalid(ref e)) if e.field.as_deref() == Some("network_id")), "{ghost:?}");
    let refused = store.enqueue(job("sync.connection").max_attempts(0)).await;
    assert!(matches!(refused, Err(StoreError::Invalid(ref e)) if e.field.as_deref() == Some("max_attempts")));
}

async fn a_thousand_concurrent_enqueues_of_one_unique_job_queue_one(store: Arc<dyn Store>) {
    let network_id = network(&*store, "Dedup").await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..1_000 {
        let store = Arc::clone(&store);
        let new = job("sync.connection").in_network(network_id.clone()).unique_key("sync:conn_x");
        tasks.spawn(async move { store.enqueue(new).await });
    }
    let mut ids = HashSet::new();
    let mut added = 0;
    while let Some(result) = tasks.join_next().await {
        let enqueued = result.expect("join").expect("enqueue");
        added += usize::from(enqueued.is_new());
        ids.insert(enqueued.into_job().id);
    }
    assert_eq!((added, ids.len()), (1, 1), "one job added, every caller got it back");
    let view = JobFilter::all(JobVisibility::Network(network_id.clone()));
    let listed = store.list_jobs(&view, &PageRequest::first()).await.expect("list");
    assert_eq!(listed.items.len(), 1);

    // The same key elsewhere, or once the job has finished, is a new job.
    let other = network(&*store, "Other").await;
    let elsewhere = store.enqueue(job("sync.connection").in_network(other).unique_key("sync:conn_x")).await;
    assert!(elsewhere.expect("other network").is_new());
    let system = store.enqueue(job("sync.connection").unique_key("sync:conn_x")).await.expect("system");
    assert!(system.is_new(), "a network-less job has a key space of its own");
    let worker = WorkerId::new();
    let claimed = store.claim(&worker, None, 10, LONG_LEASE).await.expect("claim");
    for job in &claimed {
        store.complete(&worker, &job.id).await.expect("complete");
    }
    let again = store.enqueue(job("sync.connection").in_network(network_id).unique_key("sync:conn_x")).await;
    assert!(again.expect("after completion").is_new());
}

async fn claims_take_due_jobs_by_priority_then_run_at(store: Arc<dyn Store>) {
    let now = Utc::now();
    let low = store.enqueue(job("work.a").priority(-1)).await.expect("low").into_job();
    let high_now = store.enqueue(job("work.a").priority(5)).await.expect("high").into_job();
    let high_earlier =
        store.enqueue(job("work.a").priority(5).run_at(now - TimeDelta::minutes(5))).await.expect("earlier").into_job();
    let later = store.enqueue(job("work.a").priority(9).run_at(now + TimeDelta::hours(1))).await.expect("later");
    let other_kind = store.enqueue(job("work.b").priority(100)).await.expect("other kind").into_job();

    let worker = WorkerId::new();
    let kinds = [kind("work.a")];
    let first = store.claim(&worker, Some(&kinds), 2, LONG_LEASE).await.expect("claim");
    assert_eq!(first.iter().map(|j| &j.id).collect::<Vec<_>>(), vec![&high_earlier.id, &high_now.id]);
    assert!(first.iter().all(|j| j.status == JobStatus::Running && j.attempts == 1));
    assert!(first.iter().all(|j| j.locked_by.as_ref() == Some(&worker) && j.locked_until.is_some()));
    let rest = store.claim(&worker, Some(&kinds), 10, LONG_LEASE).await.expect("claim");
    assert_eq!(rest.iter().map(|j| &j.id).collect::<Vec<_>>(), vec![&low.id], "the future job is not due");
    let any = store.claim(&worker, None, 10, LONG_LEASE).await.expect("claim any");
    assert_eq!(any.iter().map(|j| &j.id).collect::<Vec<_>>(), vec![&other_kind.id]);
    let view = JobVisibility::Operator;
    assert_eq!(store.get_job(&view, &later.job().id).await.expect("later").status, JobStatus::Queued);
}

async fn concurrent_claimers_claim_each_job_exactly_once(store: Arc<dyn Store>) {
    let jobs: Vec<NewJob> = (0..500).map(|n| NewJob::new(kind("work.bulk"), json!({ "n": n }))).collect();
    assert_eq!(store.enqueue_batch(jobs).await.expect("batch").len(), 500);
    let mut claimers = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let store = Arc::clone(&store);
        claimers.spawn(async move {
            let worker = WorkerId::new();
            let mut mine = Vec::new();
            loop {
                let batch = store.claim(&worker, None, 25, LONG_LEASE).await.expect("claim");
                if batch.is_empty() {
                    return mine;
                }
                let ids: Vec<JobId> = batch.iter().map(|j| j.id.clone()).collect();
                assert_eq!(store.complete_batch(&worker, &ids).await.expect("complete").len(), ids.len());
                mine.extend(ids);
            }
        });
    }
    let mut all = Vec::new();
    while let Some(claimed) = claimers.join_next().await {
        all.extend(claimed.expect("claimer"));
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!((all.len(), unique.len()), (500, 500), "every job claimed exactly once");
}

async fn expired_leases_are_reclaimed_and_the_stale_worker_cannot_finish(store: Arc<dyn Store>) {
    let created = store.enqueue(job("work.slow")).await.expect("enqueue").into_job();
    let (stale, fresh) = (WorkerId::new(), WorkerId::new());
    assert_eq!(store.claim(&stale, None, 1, LONG_LEASE).await.expect("claim").len(), 1);
    assert!(store.claim(&fresh, None, 1, LONG_LEASE).await.expect("claim").is_empty(), "the lease holds");

    expire_lease(&*store, &stale, &created.id).await;
    let reclaimed = store.claim(&fresh, None, 1, LONG_LEASE).await.expect("reclaim");
    assert_eq!(reclaimed.len(), 1);
    assert_eq!((reclaimed[0].attempts, reclaimed[0].locked_by.as_ref()), (2, Some(&fresh)));

    let ids = [created.id.clone()];
    assert!(store.heartbeat(&stale, &ids, LONG_LEASE).await.expect("heartbeat").is_empty());
    assert!(matches!(store.complete(&stale, &created.id).await, Err(StoreError::LeaseLost { .. })));
    assert!(matches!(store.fail(&stale, &created.id, "x", None).await, Err(StoreError::LeaseLost { .. })));
    assert!(store.complete_batch(&stale, &ids).await.expect("batch").is_empty());
    assert_eq!(store.heartbeat(&fresh, &ids, LONG_LEASE).await.expect("heartbeat"), ids.to_vec());
    store.complete(&fresh, &created.id).await.expect("complete");
    let done = store.get_job(&JobVisibility::Operator, &created.id).await.expect("get");
    assert_eq!((done.status, done.locked_by, done.attempts), (JobStatus::Succeeded, None, 2));
    assert!(done.finished_at.is_some());
    assert!(matches!(store.complete(&fresh, &created.id).await, Err(StoreError::LeaseLost { .. })), "only once");
}

async fn failures_retry_then_dead_letter_with_the_reason(store: Arc<dyn Store>) {
    let created = store.enqueue(job("work.flaky").max_attempts(3)).await.expect("enqueue").into_job();
    let worker = WorkerId::new();
    for attempt in 1..=2 {
        let claimed = store.claim(&worker, None, 1, LONG_LEASE).await.expect("claim");
        assert_eq!(claimed.len(), 1, "attempt {attempt} is due");
        let retry_at = Utc::now() - TimeDelta::milliseconds(1);
        let failed = store.fail(&worker, &created.id, &format!("timeout #{attempt}"), Some(retry_at)).await;
        let failed = failed.expect("fail");
        assert_eq!((failed.status, failed.attempts), (JobStatus::Failed, attempt));
        assert_eq!(failed.last_error.as_deref(), Some(format!("timeout #{attempt}").as_str()));
        assert_eq!(failed.run_at, hub_core::audit::truncate_to_micros(retry_at));
    }
    store.claim(&worker, None, 1, LONG_LEASE).await.expect("third claim");
    let dead = store.fail(&worker, &created.id, "timeout #3", Some(Utc::now())).await.expect("fail");
    assert_eq!((dead.status, dead.attempts), (JobStatus::Dead, 3), "attempts used up");
    assert_eq!(dead.last_error.as_deref(), Some("timeout #3"));
    assert!(dead.finished_at.is_some());
    assert!(store.claim(&worker, None, 1, LONG_LEASE).await.expect("claim").is_empty());

    // A retry in the future waits; a permanent error dead-letters at once.
    let later = store.enqueue(job("work.later")).await.expect("enqueue").into_job();
    store.claim(&worker, None, 1, LONG_LEASE).await.expect("claim");
    store.fail(&worker, &later.id, "busy", Some(Utc::now() + TimeDelta::hours(1))).await.expect("fail");
    assert!(store.claim(&worker, None, 1, LONG_LEASE).await.expect("claim").is_empty(), "not due yet");
    let permanent = store.enqueue(job("work.bad")).await.expect("enqueue").into_job();
    store.claim(&worker, None, 1, LONG_LEASE).await.expect("claim");
    let dead = store.fail(&worker, &permanent.id, "payload is not valid", None).await.expect("fail");
    assert_eq!((dead.status, dead.attempts), (JobStatus::Dead, 1));
    let huge = "e".repeat(100_000);
    let clipped = store.enqueue(job("work.huge")).await.expect("enqueue").into_job();
    store.claim(&worker, None, 1, LONG_LEASE).await.expect("claim");
    let dead = store.fail(&worker, &clipped.id, &huge, None).await.expect("fail");
    assert!(dead.last_error.is_some_and(|e| e.len() < 10_000), "errors are clipped");
}

async fn a_lease_lost_on_the_last_attempt_dead_letters_the_job(store: Arc<dyn Store>) {
    let created = store.enqueue(job("work.crashy").max_attempts(1)).await.expect("enqueue").into_job();
    let worker = WorkerId::new();
    store.claim(&worker, None, 1, LONG_LEASE).await.expect("claim");
    expire_lease(&*store, &worker, &created.id).await;
    assert!(store.claim(&WorkerId::new(), None, 5, LONG_LEASE).await.expect("claim").is_empty());
    let dead = store.get_job(&JobVisibility::Operator, &created.id).await.expect("get");
    assert_eq!((dead.status, dead.attempts), (JobStatus::Dead, 1));
    assert!(dead.last_error.is_some_and(|e| e.contains("lease ran out")));
}

async fn retry_and_cancel_change_only_jobs_in_the_right_state(store: Arc<dyn Store>) {
    let network_id = network(&*store, "Ops").await;
    let view = JobVisibility::Network(network_id.clone());
    let ctx = ChangeContext::cli();
    let worker = WorkerId::new();
    let new = job("sync.connection").in_network(network_id.clone()).unique_key("sync:a");
    let created = store.enqueue(new.clone()).await.expect("enqueue").into_job();
    assert!(matches!(store.retry_job(&view, &ctx, &created.id).await, Err(StoreError::Conflict { .. })));
    store.claim(&worker, None, 1, LONG_LEASE).await.expect("claim");
    store.fail(&worker, &created.id, "gone", None).await.expect("dead");

    let other = JobVisibility::Network(network(&*store, "Elsewhere").await);
    assert!(matches!(store.retry_job(&other, &ctx, &created.id).await, Err(StoreError::NotFound { .. })));
    let retried = store.retry_job(&view, &ctx, &created.id).await.expect("retry");
    assert_eq!((retried.status, retried.attempts, retried.finished_at), (JobStatus::Queued, 0, None));

    // Cancelling a running job takes the lease away from its worker.
    store.claim(&worker, None, 1, LONG_LEASE).await.expect("claim");
    let cancelled = store.cancel_job(&view, &ctx, &created.id).await.expect("cancel");
    assert_eq!(cancelled.status, JobStatus::Cancelled);
    assert!(matches!(store.complete(&worker, &created.id).await, Err(StoreError::LeaseLost { .. })));
    assert!(matches!(store.cancel_job(&view, &ctx, &created.id).await, Err(StoreError::Conflict { .. })));

    // A dead job cannot come back while a newer job holds its unique key.
    let newer = store.enqueue(new).await.expect("enqueue");
    assert!(newer.is_new(), "a cancelled job frees its unique key");
    store.claim(&worker, None, 1, LONG_LEASE).await.expect("claim");
    store.fail(&worker, &newer.job().id, "gone", None).await.expect("dead");
    store.enqueue(job("sync.connection").in_network(network_id.clone()).unique_key("sync:a")).await.expect("third");
    let blocked = store.retry_job(&view, &ctx, &newer.job().id).await;
    assert!(matches!(blocked, Err(StoreError::Conflict { .. })), "{blocked:?}");

    let audit = store.list_audit(&TenantScope::network(network_id), &PageRequest::first()).await.expect("audit");
    let actions: Vec<_> = audit.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, vec!["job.cancel", "job.retry", "network.create"]);
}

async fn job_lists_page_newest_first_within_scope(store: Arc<dyn Store>) {
    let mine = network(&*store, "Mine").await;
    let theirs = network(&*store, "Theirs").await;
    let mut created = Vec::new();
    for n in 0..5 {
        let kind = if n % 2 == 0 { "sync.even" } else { "sync.odd" };
        created.push(store.enqueue(job(kind).in_network(mine.clone())).await.expect("mine").into_job().id);
    }
    store.enqueue(job("sync.even").in_network(theirs)).await.expect("theirs");
    store.enqueue(job("system.purge")).await.expect("system");

    let filter = JobFilter::all(JobVisibility::Network(mine.clone()));
    let mut seen = Vec::new();
    let mut page = PageRequest { limit: 2, after: None };
    loop {
        let listed = store.list_jobs(&filter, &page).await.expect("list");
        seen.extend(listed.items.iter().map(|j| j.id.clone()));
        match listed.next_cursor {
            Some(cursor) => page.after = Some(hub_core::page::decode_cursor(&cursor).expect("cursor")),
            None => break,
        }
    }
    created.reverse();
    assert_eq!(seen, created, "every job of the network once, newest first");
    let all = store.list_jobs(&JobFilter::all(JobVisibility::Operator), &PageRequest::first()).await.expect("all");
    assert_eq!(all.items.len(), 7);
    let odd = JobFilter { kind: Some(kind("sync.odd")), ..filter.clone() };
    assert_eq!(store.list_jobs(&odd, &PageRequest::first()).await.expect("odd").items.len(), 2);
    let running = JobFilter { status: Some(JobStatus::Running), ..filter };
    assert!(store.list_jobs(&running, &PageRequest::first()).await.expect("running").items.is_empty());
    let bad = PageRequest { limit: 2, after: Some("nonsense".into()) };
    assert!(matches!(
        store.list_jobs(&JobFilter::all(JobVisibility::Operator), &bad).await,
        Err(StoreError::Invalid(_))
    ));
}

fn nightly(network_id: Option<NetworkId>) -> NewSchedule {
    NewSchedule {
        name: "nightly-rollup".into(),
        cron: "0 3 * * *".into(),
        kind: kind("analytics.rollup"),
        payload: json!({ "window": "day" }),
        network_id,
        priority: 2,
        max_attempts: 5,
    }
}

async fn schedules_fire_once_across_concurrent_firers(store: Arc<dyn Store>) {
    let network_id = network(&*store, "Cron").await;
    let due_at = Utc::now() - TimeDelta::seconds(1);
    let schedule = store.upsert_schedule(&nightly(Some(network_id.clone())), due_at).await.expect("upsert");
    let due = store.due_schedules(Utc::now(), 10).await.expect("due");
    assert_eq!(due, vec![schedule.clone()]);

    let next = Utc::now() + TimeDelta::days(1);
    let mut firers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (store, schedule) = (Arc::clone(&store), schedule.clone());
        firers.spawn(async move { store.fire_schedule(&schedule, next).await });
    }
    let mut fired: Vec<Job> = Vec::new();
    while let Some(result) = firers.join_next().await {
        fired.extend(result.expect("join").expect("fire"));
    }
    assert_eq!(fired.len(), 1, "exactly one firer won");
    let job = &fired[0];
    assert_eq!((job.kind.as_str(), job.priority, job.max_attempts), ("analytics.rollup", 2, 5));
    assert_eq!(job.unique_key.as_deref(), Some("schedule:nightly-rollup"));
    assert_eq!(job.network_id.as_ref(), Some(&network_id));
    assert!(store.due_schedules(Utc::now(), 10).await.expect("due").is_empty());
    let listed = store.list_schedules().await.expect("list");
    assert_eq!(listed[0].next_run_at, hub_core::audit::truncate_to_micros(next));
    assert!(listed[0].last_run_at.is_some());

    // Upserting the same cron keeps the next fire time; a new cron takes the given one.
    let kept = store.upsert_schedule(&nightly(Some(network_id.clone())), due_at).await.expect("upsert");
    assert_eq!(kept.next_run_at, listed[0].next_run_at);
    let changed = NewSchedule { cron: "0 4 * * *".into(), ..nightly(Some(network_id.clone())) };
    let moved = store.upsert_schedule(&changed, due_at).await.expect("upsert");
    assert_eq!(moved.next_run_at, hub_core::audit::truncate_to_micros(due_at));
    // While the last run is still queued, firing again adds no second job.
    let again = store.fire_schedule(&moved, next).await.expect("fire").expect("won");
    assert_eq!(again.id, job.id);
    let view = JobFilter::all(JobVisibility::Network(network_id));
    assert_eq!(store.list_jobs(&view, &PageRequest::first()).await.expect("jobs").items.len(), 1);
    store.delete_schedule("nightly-rollup").await.expect("delete");
    assert!(matches!(store.delete_schedule("nightly-rollup").await, Err(StoreError::NotFound { .. })));
}

async fn batch_completion_skips_jobs_the_worker_does_not_hold(store: Arc<dyn Store>) {
    store.enqueue_batch(vec![job("work.a"), job("work.a"), job("work.a")]).await.expect("batch");
    let (me, other) = (WorkerId::new(), WorkerId::new());
    let mine = store.claim(&me, None, 2, LONG_LEASE).await.expect("claim");
    let theirs = store.claim(&other, None, 2, LONG_LEASE).await.expect("claim");
    assert_eq!((mine.len(), theirs.len()), (2, 1));
    let mut ids: Vec<JobId> = mine.iter().map(|j| j.id.clone()).collect();
    ids.push(theirs[0].id.clone());
    let done: HashSet<_> = store.complete_batch(&me, &ids).await.expect("complete").into_iter().collect();
    assert_eq!(done, mine.iter().map(|j| j.id.clone()).collect::<HashSet<_>>());
    let still = store.get_job(&JobVisibility::Operator, &theirs[0].id).await.expect("get");
    assert_eq!(still.status, JobStatus::Running);
}

async fn completing_and_claiming_in_one_go_records_the_held_jobs_and_leases_only_due_ones(store: Arc<dyn Store>) {
    let jobs: Vec<NewJob> = (0..5).map(|n| job("work.a").priority(10 - n)).collect();
    let ids = store.enqueue_batch(jobs).await.expect("batch");
    let (me, other) = (WorkerId::new(), WorkerId::new());
    let mine = store.claim(&me, None, 2, LONG_LEASE).await.expect("claim");
    assert_eq!(mine.iter().map(|j| &j.id).collect::<Vec<_>>(), vec![&ids[0], &ids[1]]);
    let theirs = store.claim(&other, None, 1, LONG_LEASE).await.expect("claim");
    assert_eq!(theirs[0].id, ids[2]);
    // My lease on the second job ran out, but nobody took it over: finishing it still counts.
    expire_lease(&*store, &me, &ids[1]).await;

    let done = [ids[0].clone(), ids[1].clone(), ids[2].clone()];
    let kinds = [kind("work.a")];
    let (completed, claimed) =
        store.complete_and_claim(&me, &done, Some(&kinds), 10, LONG_LEASE).await.expect("complete and claim");
    let completed: HashSet<_> = completed.into_iter().collect();
    assert_eq!(completed, HashSet::from([ids[0].clone(), ids[1].clone()]), "only the jobs I held");
    assert_eq!(
        claimed.iter().map(|j| &j.id).collect::<Vec<_>>(),
        vec![&ids[3], &ids[4]],
        "the due jobs in claim order, never one just completed nor one another worker holds"
    );
    assert!(
        claimed.iter().all(|j| j.status == JobStatus::Running && j.attempts == 1 && j.locked_by.as_ref() == Some(&me))
    );
    let view = JobVisibility::Operator;
    for id in &ids[..2] {
        let finished = store.get_job(&view, id).await.expect("get");
        assert_eq!((finished.status, finished.locked_by, finished.attempts), (JobStatus::Succeeded, None, 1));
    }
    assert_eq!(store.get_job(&view, &ids[2]).await.expect("get").locked_by, Some(other.clone()));

    let rest: Vec<JobId> = claimed.iter().map(|j| j.id.clone()).collect();
    let (completed, claimed) = store.complete_and_claim(&me, &rest, None, 10, LONG_LEASE).await.expect("last");
    assert_eq!((completed.len(), claimed.len()), (2, 0));
    let (completed, claimed) = store.complete_and_claim(&me, &[], None, 10, LONG_LEASE).await.expect("nothing");
    assert!(completed.is_empty() && claimed.is_empty());
}

async fn purge_removes_only_jobs_finished_before_the_cutoff(store: Arc<dyn Store>) {
    let worker = WorkerId::new();
    let finished = store.enqueue(job("work.a")).await.expect("enqueue").into_job();
    store.claim(&worker, None, 1, LONG_LEASE).await.expect("claim");
    store.complete(&worker, &finished.id).await.expect("complete");
    let pending = store.enqueue(job("work.a")).await.expect("enqueue").into_job();
    assert_eq!(store.purge_finished_jobs(Utc::now() - TimeDelta::hours(1)).await.expect("purge"), 0);
    assert_eq!(store.purge_finished_jobs(Utc::now() + TimeDelta::seconds(1)).await.expect("purge"), 1);
    let view = JobVisibility::Operator;
    assert!(matches!(store.get_job(&view, &finished.id).await, Err(StoreError::NotFound { .. })));
    assert_eq!(store.get_job(&view, &pending.id).await.expect("kept").status, JobStatus::Queued);
}
