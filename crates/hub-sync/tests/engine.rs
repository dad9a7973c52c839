//! The sync engine against a real store on both backends, driven through the real job queue, with
//! a scripted connector at the `SourceConnector` seam standing in for a provider.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use hub_connectors::source::{
    ApiRequest, ApiResponse, ConnectorError, FetchRequest, FetchedPage, ProviderApi, SourceConnector,
};
use hub_core::access::TenantScope;
use hub_core::connection::{Connection, ConnectionStatus};
use hub_core::id::ConnectionId;
use hub_core::page::PageRequest;
use hub_core::records::{Customer, Model, RecordData, SourceRecord, StaffMember, SyncMode};
use hub_core::tenancy::{Currency, Name, NewFranchisee, NewLocation, TimeZone};
use hub_jobs::{Backoff, JobOutcome, JobQueue, JobRegistry, Worker, WorkerConfig};
use hub_resilience::Priority;
use hub_store::{ChangeContext, NewConnection, RecordFilter, Store, SyncRunStatus};
use hub_sync::{ConnectorRegistry, ProviderAccess, SyncEngine, SyncSettings, SyncTrigger};

hub_store::tests_on_both_backends!(
    a_second_incremental_sync_with_no_upstream_change_writes_nothing,
    a_sync_interrupted_mid_walk_resumes_from_its_checkpoint,
    full_syncs_delete_what_the_provider_no_longer_has,
    incremental_syncs_read_from_the_high_water_mark_minus_the_overlap,
    refused_credentials_need_reauthorization_and_exhausted_retries_mark_the_connection_failing,
    requests_join_the_active_run_and_the_schedule_skips_recent_syncs,
    small_pages_are_written_together_with_the_checkpoint_after_the_last,
);

/// What the scripted provider holds: external id → (updated at, name).
#[derive(Default)]
struct Provider {
    customers: BTreeMap<String, (DateTime<Utc>, String)>,
    staff: Vec<String>,
    page_size: usize,
    /// Fail the fetch whose cursor is this offset, once.
    fail_at_offset: Option<(usize, ConnectorError)>,
    /// Every fetch: (model, cursor, changed_since).
    fetches: Vec<(Model, Option<String>, Option<DateTime<Utc>>)>,
}

#[derive(Clone)]
struct Scripted(Arc<Mutex<Provider>>);

impl Scripted {
    fn with<R>(&self, f: impl FnOnce(&mut Provider) -> R) -> R {
        f(&mut self.0.lock().expect("provider lock"))
    }
}

#[async_trait]
impl SourceConnector for Scripted {
    fn provider(&self) -> &'static str {
        "test-pos"
    }

    fn models(&self) -> &'static [Model] {
        &[Model::StaffMember, Model::Customer]
    }

    async fn fetch(&self, _api: &dyn ProviderApi, request: FetchRequest<'_>) -> Result<FetchedPage, ConnectorError> {
        self.with(|provider| {
            provider.fetches.push((request.model, request.cursor.map(str::to_owned), request.changed_since));
            let offset: usize =
                request.cursor.map_or(Ok(0), str::parse).map_err(|_| ConnectorError::Unsupported("cursor".into()))?;
            if provider.fail_at_offset.as_ref().is_some_and(|(at, _)| *at == offset) {
                let (_, error) = provider.fail_at_offset.take().expect("checked");
                return Err(error);
            }
            let records: Vec<SourceRecord> = match request.model {
                Model::StaffMember => provider
                    .staff
                    .iter()
                    .map(|name| SourceRecord {
                        external_id: name.clone(),
                        remote_updated_at: None,
                        provider_location_id: None,
                        data: RecordData::StaffMember(StaffMember {
                            given_name: Some(name.clone()),
                            family_name: None,
                            active: true,
                            provider_location_ids: vec![],
                        }),
                    })
                    .collect(),
                _ => {
                    let mut changed: Vec<_> = provider
                        .customers
                        .iter()
                        .filter(|(_, (updated, _))| request.changed_since.is_none_or(|since| *updated >= since))
                        .collect();
                    changed.sort_by_key(|(id, (updated, _))| (*updated, (*id).clone()));
                    changed
                        .into_iter()
                        .map(|(id, (updated, name))| SourceRecord {
                            external_id: id.clone(),
                            remote_updated_at: Some(*updated),
                            provider_location_id: Some("L1".into()),
                            data: RecordData::Customer(Customer {
                                given_name: Some(name.clone()),
                                family_name: None,
                                email: None,
                                phone: None,
                                first_seen_at: None,
                            }),
                        })
                        .collect()
                }
            };
            let end = (offset + provider.page_size).min(records.len());
            let next_cursor = (end < records.len()).then(|| end.to_string());
            Ok(FetchedPage { records: records[offset.min(end)..end].to_vec(), deleted: vec![], next_cursor })
        })
    }
}

/// The scripted connector never calls out, so access hands it an API that refuses to be used.
struct NoNetwork;

#[async_trait]
impl ProviderApi for NoNetwork {
    async fn send(&self, _request: ApiRequest) -> Result<ApiResponse, ConnectorError> {
        Err(ConnectorError::Unsupported("the scripted provider makes no HTTP calls".into()))
    }
}

#[async_trait]
impl ProviderAccess for NoNetwork {
    async fn api_for(&self, _: &Connection, _: Priority) -> Result<Arc<dyn ProviderApi>, ConnectorError> {
        Ok(Arc::new(NoNetwork))
    }
}

struct Setup {
    store: Arc<dyn Store>,
    engine: SyncEngine,
    worker: Worker,
    provider: Scripted,
    connection: Connection,
}

async fn setup(store: Arc<dyn Store>, customers: usize, page_size: usize) -> Setup {
    let usd = Currency::parse("USD").expect("USD");
    let ctx = ChangeContext::cli();
    let network = store.create_network(&ctx, Name::parse("Net").expect("name"), usd).await.expect("network").id;
    let scope = TenantScope::network(network.clone());
    let franchisee = store
        .create_franchisee(&scope, &ctx, NewFranchisee { name: Name::parse("North").expect("name"), currency: usd })
        .await
        .expect("franchisee");
    let location = store
        .create_location(
            &scope,
            &ctx,
            NewLocation {
                franchisee_id: franchisee.id.clone(),
                name: Name::parse("Main St").expect("name"),
                time_zone: TimeZone::parse("America/Chicago").expect("zone"),
                territory_id: None,
            },
        )
        .await
        .expect("location");
    let new = NewConnection {
        provider: "test-pos".into(),
        environment: "emulator".into(),
        scope: TenantScope::location(network.clone(), franchisee.id.clone(), location.id.clone()),
        scopes: vec![],
        status: ConnectionStatus::Active,
        sealed_credentials: None,
    };
    let connection = store.create_connection(&scope, &ctx, &ConnectionId::new(), new).await.expect("connection");
    let start = Utc::now() - TimeDelta::days(1);
    let provider = Scripted(Arc::new(Mutex::new(Provider {
        customers: (0..customers)
            .map(|n| (format!("C{n:04}"), (start + TimeDelta::seconds(n as i64), format!("customer {n}"))))
            .collect(),
        staff: vec!["Ana".into(), "Ben".into()],
        page_size,
        ..Provider::default()
    })));
    let queue = JobQueue::new(Arc::clone(&store) as Arc<dyn hub_jobs::JobStore>);
    let settings = SyncSettings { max_attempts: 3, batch_records: 1, ..SyncSettings::default() };
    let engine = SyncEngine::new(
        Arc::clone(&store),
        queue.clone(),
        Arc::new(NoNetwork),
        ConnectorRegistry::new().with(provider.clone()),
        settings,
    );
    let mut registry = JobRegistry::new();
    engine.register_jobs(&mut registry).expect("register");
    let config = WorkerConfig {
        backoff: Backoff { base: Duration::from_millis(30), max: Duration::from_millis(30) },
        ..WorkerConfig::default()
    };
    let worker = Worker::new(queue, registry, config).expect("worker");
    Setup { store, engine, worker, provider, connection }
}

impl Setup {
    /// Runs the next job attempt, waiting (up to two seconds) for one to come due: retries wait out
    /// their backoff first.
    async fn step(&self) -> hub_jobs::JobRun {
        for _ in 0..200 {
            if let Some(run) = self.worker.try_run_one().await.expect("worker") {
                return run;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no job came due");
    }

    /// Requests a sync and runs job attempts until the run has finished.
    async fn sync(&self, mode: SyncMode) -> hub_store::SyncRun {
        let run = self.engine.request(&self.connection, mode, SyncTrigger::Api).await.expect("request");
        loop {
            let current = self.store.get_sync_run(&self.scope(), &run.id).await.expect("run");
            if matches!(current.status, SyncRunStatus::Succeeded | SyncRunStatus::Failed) {
                return current;
            }
            self.step().await;
        }
    }

    fn scope(&self) -> TenantScope {
        TenantScope::network(self.connection.network_id.clone())
    }

    async fn customers(&self) -> Vec<String> {
        let mut ids = Vec::new();
        let mut page = PageRequest { limit: 500, after: None };
        loop {
            let listed = self
                .store
                .list_records(&self.scope(), &RecordFilter::model(Model::Customer), &page)
                .await
                .expect("list");
            ids.extend(listed.items.into_iter().map(|record| record.external_id));
            match listed.next_cursor {
                Some(cursor) => page.after = Some(hub_core::page::decode_cursor(&cursor).expect("cursor")),
                None => return ids,
            }
        }
    }

    async fn change_count(&self) -> usize {
        self.store.list_changes(&self.scope(), 0, 100_000).await.expect("changes").len()
    }
}

async fn a_second_incremental_sync_with_no_upstream_change_writes_nothing(store: Arc<dyn Store>) {
    let setup = setup(store, 120, 50).await;
    let first = setup.sync(SyncMode::Incremental).await;
    assert_eq!(first.status, SyncRunStatus::Succeeded, "{:?}", first.errors);
    assert_eq!((first.created, first.fetched), (122, 122));
    let changes = setup.change_count().await;
    assert_eq!(changes, 122);

    let second = setup.sync(SyncMode::Incremental).await;
    assert_eq!(second.status, SyncRunStatus::Succeeded);
    assert_eq!((second.created, second.updated, second.deleted), (0, 0, 0));
    assert!(second.unchanged > 0, "the overlap re-reads records at the boundary: {second:?}");
    assert_eq!(setup.change_count().await, changes, "no change-log entry");
}

async fn a_sync_interrupted_mid_walk_resumes_from_its_checkpoint(store: Arc<dyn Store>) {
    let setup = setup(store, 230, 50).await;
    let outage = ConnectorError::Unavailable { provider: "test-pos".into(), message: "503".into(), retry_after: None };
    setup.provider.with(|provider| provider.fail_at_offset = Some((150, outage)));
    let run = setup.sync(SyncMode::Full).await;
    assert_eq!(run.status, SyncRunStatus::Succeeded, "{:?}", run.errors);
    assert_eq!(run.errors.len(), 1, "the failed attempt is on record: {:?}", run.errors);
    let cursors: Vec<Option<String>> = setup.provider.with(|provider| {
        provider
            .fetches
            .iter()
            .filter(|(model, ..)| *model == Model::Customer)
            .map(|(_, cursor, _)| cursor.clone())
            .collect()
    });
    let expected: Vec<Option<String>> = [None, Some("50"), Some("100"), Some("150"), Some("150"), Some("200")]
        .into_iter()
        .map(|cursor| cursor.map(str::to_owned))
        .collect();
    assert_eq!(cursors, expected, "the second attempt asks again for the failed page only");
    let staff_walks =
        setup.provider.with(|p| p.fetches.iter().filter(|(model, ..)| *model == Model::StaffMember).count());
    assert_eq!(staff_walks, 1, "the finished model is not walked again");
    let mut ids = setup.customers().await;
    assert_eq!(ids.len(), 230);
    ids.dedup();
    assert_eq!(ids.len(), 230, "no duplicate");
    assert_eq!(run.created, 232);
}

async fn full_syncs_delete_what_the_provider_no_longer_has(store: Arc<dyn Store>) {
    let setup = setup(store, 10, 4).await;
    assert_eq!(setup.sync(SyncMode::Full).await.created, 12);
    setup.provider.with(|provider| {
        provider.customers.remove("C0003");
        provider.staff.pop();
    });
    let incremental = setup.sync(SyncMode::Incremental).await;
    assert_eq!(incremental.deleted, 0, "an incremental sync cannot see deletions");
    let full = setup.sync(SyncMode::Full).await;
    assert_eq!((full.deleted, full.created, full.updated), (2, 0, 0));
    assert!(!setup.customers().await.contains(&"C0003".to_owned()));
    let last = setup.store.list_changes(&setup.scope(), 0, 1000).await.expect("changes");
    let deleted: Vec<_> = last
        .iter()
        .filter(|c| c.kind == hub_core::records::ChangeKind::Deleted)
        .map(|c| c.external_id.as_str())
        .collect();
    assert_eq!(deleted, vec!["Ben", "C0003"]);
}

async fn incremental_syncs_read_from_the_high_water_mark_minus_the_overlap(store: Arc<dyn Store>) {
    let setup = setup(store, 5, 10).await;
    setup.sync(SyncMode::Incremental).await;
    let newest = setup.provider.with(|p| p.customers.values().map(|(at, _)| *at).max()).expect("customers");
    setup.provider.with(|provider| {
        provider.fetches.clear();
        provider.customers.insert("C9999".into(), (Utc::now(), "late".into()));
    });
    let run = setup.sync(SyncMode::Incremental).await;
    assert_eq!(run.created, 1);
    let since =
        setup.provider.with(|p| p.fetches.iter().find(|(model, ..)| *model == Model::Customer).and_then(|f| f.2));
    let expected = hub_core::audit::truncate_to_micros(newest) - TimeDelta::seconds(120);
    assert_eq!(since, Some(expected));
}

async fn refused_credentials_need_reauthorization_and_exhausted_retries_mark_the_connection_failing(
    store: Arc<dyn Store>,
) {
    let setup = setup(store, 5, 10).await;
    let refused = ConnectorError::Unauthorized { provider: "test-pos".into(), message: "ACCESS_TOKEN_REVOKED".into() };
    setup.provider.with(|provider| provider.fail_at_offset = Some((0, refused)));
    let run = setup.sync(SyncMode::Full).await;
    assert_eq!(run.status, SyncRunStatus::Failed);
    let connection = setup.store.get_connection(&setup.scope(), &setup.connection.id).await.expect("connection");
    assert_eq!(connection.status, ConnectionStatus::NeedsReauthorization);
    let refused_again = setup.engine.request(&connection, SyncMode::Full, SyncTrigger::Api).await;
    assert!(matches!(refused_again, Err(hub_sync::SyncError::NotSyncable { .. })), "{refused_again:?}");

    let other = crate::setup(Arc::clone(&setup.store), 5, 10).await;
    let request = other.engine.request(&other.connection, SyncMode::Full, SyncTrigger::Api).await.expect("request");
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        let outage =
            ConnectorError::Unavailable { provider: "test-pos".into(), message: "503".into(), retry_after: None };
        other.provider.with(|provider| provider.fail_at_offset = Some((0, outage)));
        let joined = other.engine.request(&other.connection, SyncMode::Full, SyncTrigger::Api).await;
        assert_eq!(joined.expect("joins").id, request.id, "a request while retrying joins the run");
        outcomes.push(other.step().await.outcome);
    }
    assert!(
        matches!(outcomes[..], [JobOutcome::Retrying { .. }, JobOutcome::Retrying { .. }, JobOutcome::Dead { .. }]),
        "{outcomes:?}"
    );
    let runs = other.store.list_sync_runs(&other.scope(), None, &PageRequest::first()).await.expect("runs");
    assert_eq!(runs.items[0].status, SyncRunStatus::Failed, "three attempts used: {:?}", runs.items[0]);
    assert_eq!(runs.items[0].errors.len(), 3);
    let failing = other.store.get_connection(&other.scope(), &other.connection.id).await.expect("connection");
    assert_eq!(failing.status, ConnectionStatus::Failing);
    assert!(failing.last_error.as_deref().is_some_and(|e| e.contains("503")), "{failing:?}");

    let recovered = other.sync(SyncMode::Incremental).await;
    assert_eq!(recovered.status, SyncRunStatus::Succeeded);
    let active = other.store.get_connection(&other.scope(), &other.connection.id).await.expect("connection");
    assert_eq!(active.status, ConnectionStatus::Active);
}

async fn requests_join_the_active_run_and_the_schedule_skips_recent_syncs(store: Arc<dyn Store>) {
    let setup = setup(store, 5, 10).await;
    assert_eq!(setup.engine.request_due().await.expect("due"), 1, "a connection never synced is due");
    let queued = setup.store.list_sync_runs(&setup.scope(), None, &PageRequest::first()).await.expect("runs").items;
    assert_eq!((queued.len(), queued[0].trigger.as_str()), (1, "schedule"));
    let joined = setup.engine.request(&setup.connection, SyncMode::Incremental, SyncTrigger::Api).await.expect("join");
    assert_eq!(joined.id, queued[0].id);
    assert_eq!(setup.step().await.outcome, JobOutcome::Succeeded);
    assert!(setup.worker.try_run_one().await.expect("worker").is_none(), "one job for the joined requests");
    assert_eq!(setup.engine.request_due().await.expect("due"), 0, "synced within the interval");
}

async fn small_pages_are_written_together_with_the_checkpoint_after_the_last(store: Arc<dyn Store>) {
    let mut setup = setup(store, 230, 50).await;
    let queue = JobQueue::new(Arc::clone(&setup.store) as Arc<dyn hub_jobs::JobStore>);
    let settings = SyncSettings { batch_records: 120, batch_wait: Duration::from_secs(60), ..SyncSettings::default() };
    setup.engine = SyncEngine::new(
        Arc::clone(&setup.store),
        queue.clone(),
        Arc::new(NoNetwork),
        ConnectorRegistry::new().with(setup.provider.clone()),
        settings,
    );
    let mut registry = JobRegistry::new();
    setup.engine.register_jobs(&mut registry).expect("register");
    setup.worker = Worker::new(queue, registry, WorkerConfig::default()).expect("worker");
    let run = setup.sync(SyncMode::Full).await;
    assert_eq!(run.status, SyncRunStatus::Succeeded, "{:?}", run.errors);
    assert_eq!(run.created, 232);
    // One page of staff, then customers in pages of 50, written after 150 and after 230.
    assert_eq!(run.pages, 6, "every provider page is counted");
    assert_eq!(run.checkpoint.done, vec![Model::StaffMember, Model::Customer]);
    let writes = setup.store.list_changes(&setup.scope(), 0, 1_000).await.expect("changes");
    assert_eq!(writes.len(), 232);
}
