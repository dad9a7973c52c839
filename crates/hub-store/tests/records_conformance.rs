//! The records store's conformance suite (records, change feed, sync runs and cursors): written
//! once, run against SQLite and PostgreSQL.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use hub_core::access::TenantScope;
use hub_core::id::{ConnectionId, FranchiseeId, LocationId, NetworkId, SyncRunId};
use hub_core::page::PageRequest;
use hub_core::records::{ChangeKind, Model, SyncMode};
use hub_core::tenancy::{Currency, Name, NewFranchisee, NewLocation, TimeZone};
use hub_store::{
    ChangeContext, NewSyncRun, RecordFilter, RecordUpsert, Store, StoreError, SyncCheckpoint, SyncPage, SyncRunStatus,
};

hub_store::tests_on_both_backends!(
    an_unchanged_page_writes_nothing_and_a_changed_one_bumps_the_version,
    full_syncs_sweep_what_the_provider_no_longer_has,
    provider_deletes_are_soft_and_a_returning_record_is_restored,
    records_and_changes_are_scoped_to_the_caller,
    sync_runs_join_upgrade_and_refuse_pages_once_finished,
    incremental_start_keeps_the_newest_high_water,
    concurrent_writers_get_a_gapless_ascending_change_feed,
    record_lists_filter_and_page,
);

struct Shop {
    network: NetworkId,
    franchisee: FranchiseeId,
    location: LocationId,
}

async fn shop(store: &dyn Store, network: Option<NetworkId>, label: &str) -> Shop {
    let usd = Currency::parse("USD").expect("USD");
    let network = match network {
        Some(network) => network,
        None => {
            store.create_network(&ChangeContext::cli(), Name::parse("Net").expect("name"), usd).await.expect("net").id
        }
    };
    let scope = TenantScope::network(network.clone());
    let franchisee = store
        .create_franchisee(
            &scope,
            &ChangeContext::cli(),
            NewFranchisee { name: Name::parse(label).expect("name"), currency: usd },
        )
        .await
        .expect("franchisee");
    let location = store
        .create_location(
            &scope,
            &ChangeContext::cli(),
            NewLocation {
                franchisee_id: franchisee.id.clone(),
                name: Name::parse(&format!("{label} Main St")).expect("name"),
                time_zone: TimeZone::parse("America/Chicago").expect("zone"),
                territory_id: None,
            },
        )
        .await
        .expect("location");
    Shop { network, franchisee: franchisee.id, location: location.id }
}

fn upsert(shop: &Shop, external_id: &str, content: &str, updated: DateTime<Utc>) -> RecordUpsert {
    RecordUpsert {
        external_id: external_id.to_owned(),
        franchisee_id: Some(shop.franchisee.clone()),
        location_id: Some(shop.location.clone()),
        provider_location_id: Some("L1".into()),
        occurred_at: Some(updated),
        remote_updated_at: Some(updated),
        data: format!(r#"{{"name":"{content}"}}"#),
        content_hash: format!("hash-{content}"),
    }
}

async fn run(store: &dyn Store, shop: &Shop, connection: &ConnectionId, mode: SyncMode) -> SyncRunId {
    let new = NewSyncRun {
        network_id: shop.network.clone(),
        connection_id: connection.clone(),
        franchisee_id: Some(shop.franchisee.clone()),
        location_id: Some(shop.location.clone()),
        mode,
        trigger: "test".into(),
    };
    let (created, fresh) = store.create_sync_run(new).await.expect("create run");
    assert!(fresh);
    store.start_sync_run(&shop.network, &created.id).await.expect("start").id
}

fn page(
    shop: &Shop,
    run: &SyncRunId,
    connection: &ConnectionId,
    mode: SyncMode,
    upserts: Vec<RecordUpsert>,
) -> SyncPage {
    SyncPage {
        network_id: shop.network.clone(),
        run_id: run.clone(),
        connection_id: connection.clone(),
        provider: "square".into(),
        model: Model::Customer,
        mark_seen: mode == SyncMode::Full,
        fetched: upserts.len() as u64,
        pages: 1,
        upserts,
        deletes: Vec::new(),
        checkpoint: SyncCheckpoint {
            model: Some(Model::Customer),
            cursor: Some("next".into()),
            ..SyncCheckpoint::default()
        },
    }
}

async fn all_changes(store: &dyn Store, scope: &TenantScope) -> Vec<hub_core::records::Change> {
    store.list_changes(scope, 0, 10_000).await.expect("changes")
}

async fn an_unchanged_page_writes_nothing_and_a_changed_one_bumps_the_version(store: Arc<dyn Store>) {
    let shop = shop(&*store, None, "North").await;
    let connection = ConnectionId::new();
    let t0 = Utc::now();
    let first = run(&*store, &shop, &connection, SyncMode::Incremental).await;
    let records = vec![upsert(&shop, "C1", "ada", t0), upsert(&shop, "C2", "bob", t0), upsert(&shop, "C1", "ada", t0)];
    let counts = store
        .apply_sync_page(page(&shop, &first, &connection, SyncMode::Incremental, records.clone()))
        .await
        .expect("page");
    assert_eq!((counts.created, counts.updated, counts.unchanged), (2, 0, 0), "a repeated id in a page counts once");
    let again =
        store.apply_sync_page(page(&shop, &first, &connection, SyncMode::Incremental, records)).await.expect("page");
    assert_eq!((again.created, again.updated, again.unchanged, again.written()), (0, 0, 2, 0));
    let scope = TenantScope::network(shop.network.clone());
    assert_eq!(all_changes(&*store, &scope).await.len(), 2, "unchanged records write no change entry");

    let changed = vec![upsert(&shop, "C1", "ada lovelace", t0)];
    let counts =
        store.apply_sync_page(page(&shop, &first, &connection, SyncMode::Incremental, changed)).await.expect("page");
    assert_eq!(counts.updated, 1);
    let listed =
        store.list_records(&scope, &RecordFilter::model(Model::Customer), &PageRequest::first()).await.expect("list");
    let ada = listed.items.iter().find(|record| record.external_id == "C1").expect("C1");
    assert_eq!((ada.version, ada.data["name"].as_str()), (2, Some("ada lovelace")));
    let changes = all_changes(&*store, &scope).await;
    let kinds: Vec<_> =
        changes.iter().map(|change| (change.kind, change.external_id.as_str(), change.version)).collect();
    assert_eq!(
        kinds,
        vec![(ChangeKind::Created, "C1", 1), (ChangeKind::Created, "C2", 1), (ChangeKind::Updated, "C1", 2)]
    );
    assert!(changes.windows(2).all(|pair| pair[0].seq < pair[1].seq));

    let finished = store.finish_sync_run(&shop.network, &first, None).await.expect("finish");
    assert_eq!(
        (finished.status, finished.created, finished.updated, finished.unchanged, finished.pages),
        (SyncRunStatus::Succeeded, 2, 1, 2, 3)
    );
    assert_eq!(finished.fetched, 7);
    assert_eq!(finished.checkpoint.cursor.as_deref(), Some("next"), "the last page's checkpoint is kept");
}

async fn full_syncs_sweep_what_the_provider_no_longer_has(store: Arc<dyn Store>) {
    let shop = shop(&*store, None, "North").await;
    let connection = ConnectionId::new();
    let t0 = Utc::now();
    let first = run(&*store, &shop, &connection, SyncMode::Full).await;
    let both = vec![upsert(&shop, "C1", "ada", t0), upsert(&shop, "C2", "bob", t0)];
    store.apply_sync_page(page(&shop, &first, &connection, SyncMode::Full, both)).await.expect("page");
    assert_eq!(
        store.complete_sync_model(&shop.network, &first, Model::Customer, Some(t0), true).await.expect("complete"),
        0
    );
    store.finish_sync_run(&shop.network, &first, None).await.expect("finish");

    let incremental = run(&*store, &shop, &connection, SyncMode::Incremental).await;
    store.apply_sync_page(page(&shop, &incremental, &connection, SyncMode::Incremental, vec![])).await.expect("page");
    assert_eq!(
        store.complete_sync_model(&shop.network, &incremental, Model::Customer, None, false).await.expect("complete"),
        0
    );
    store.finish_sync_run(&shop.network, &incremental, None).await.expect("finish");

    let second = run(&*store, &shop, &connection, SyncMode::Full).await;
    let only_ada = vec![upsert(&shop, "C1", "ada", t0)];
    let counts =
        store.apply_sync_page(page(&shop, &second, &connection, SyncMode::Full, only_ada)).await.expect("page");
    assert_eq!(counts.unchanged, 1);
    assert_eq!(
        store.complete_sync_model(&shop.network, &second, Model::Customer, Some(t0), true).await.expect("sweep"),
        1
    );
    let done = store.finish_sync_run(&shop.network, &second, None).await.expect("finish");
    assert_eq!(done.deleted, 1);
    assert_eq!(done.checkpoint.done, vec![Model::Customer]);

    let scope = TenantScope::network(shop.network.clone());
    let live =
        store.list_records(&scope, &RecordFilter::model(Model::Customer), &PageRequest::first()).await.expect("list");
    assert_eq!(live.items.iter().map(|r| r.external_id.as_str()).collect::<Vec<_>>(), vec!["C1"]);
    let last = all_changes(&*store, &scope).await.pop().expect("a change");
    assert_eq!((last.kind, last.external_id.as_str(), last.version), (ChangeKind::Deleted, "C2", 2));
}

async fn provider_deletes_are_soft_and_a_returning_record_is_restored(store: Arc<dyn Store>) {
    let shop = shop(&*store, None, "North").await;
    let connection = ConnectionId::new();
    let t0 = Utc::now();
    let id = run(&*store, &shop, &connection, SyncMode::Incremental).await;
    store
        .apply_sync_page(page(&shop, &id, &connection, SyncMode::Incremental, vec![upsert(&shop, "C1", "ada", t0)]))
        .await
        .expect("page");
    let mut deleting = page(&shop, &id, &connection, SyncMode::Incremental, vec![]);
    deleting.deletes = vec!["C1".into(), "never-seen".into()];
    assert_eq!(store.apply_sync_page(deleting.clone()).await.expect("delete").deleted, 1);
    assert_eq!(store.apply_sync_page(deleting).await.expect("delete again").deleted, 0, "deleting twice is a no-op");

    let scope = TenantScope::network(shop.network.clone());
    let mut filter = RecordFilter::model(Model::Customer);
    assert!(store.list_records(&scope, &filter, &PageRequest::first()).await.expect("list").items.is_empty());
    filter.include_deleted = true;
    let kept = store.list_records(&scope, &filter, &PageRequest::first()).await.expect("list");
    assert!(kept.items[0].deleted_at.is_some(), "the row stays for history");

    let back = store
        .apply_sync_page(page(&shop, &id, &connection, SyncMode::Incremental, vec![upsert(&shop, "C1", "ada", t0)]))
        .await
        .expect("page");
    assert_eq!(back.updated, 1, "same content, but it was deleted: restoring it is a change");
    let restored = store.get_record(&scope, Model::Customer, &kept.items[0].id).await.expect("get");
    assert_eq!((restored.deleted_at, restored.version), (None, 3));
}

async fn records_and_changes_are_scoped_to_the_caller(store: Arc<dyn Store>) {
    let north = shop(&*store, None, "North").await;
    let south = shop(&*store, Some(north.network.clone()), "South").await;
    let t0 = Utc::now();
    for (shop, name) in [(&north, "n"), (&south, "s")] {
        let connection = ConnectionId::new();
        let id = run(&*store, shop, &connection, SyncMode::Incremental).await;
        store
            .apply_sync_page(page(shop, &id, &connection, SyncMode::Incremental, vec![upsert(shop, name, name, t0)]))
            .await
            .expect("page");
    }
    let north_scope = TenantScope::franchisee(north.network.clone(), north.franchisee.clone());
    let south_shop = TenantScope::location(south.network.clone(), south.franchisee.clone(), south.location.clone());
    let filter = RecordFilter::model(Model::Customer);
    let seen = store.list_records(&north_scope, &filter, &PageRequest::first()).await.expect("list");
    assert_eq!(seen.items.iter().map(|r| r.external_id.as_str()).collect::<Vec<_>>(), vec!["n"]);
    let south_record = store.list_records(&south_shop, &filter, &PageRequest::first()).await.expect("list").items;
    assert_eq!(south_record.len(), 1);
    let hidden = store.get_record(&north_scope, Model::Customer, &south_record[0].id).await;
    assert!(matches!(hidden, Err(StoreError::NotFound { .. })), "{hidden:?}");
    assert_eq!(all_changes(&*store, &north_scope).await.len(), 1);
    assert_eq!(all_changes(&*store, &TenantScope::network(north.network.clone())).await.len(), 2);
    let other_network = TenantScope::network(NetworkId::new());
    assert!(all_changes(&*store, &other_network).await.is_empty());
    let counts = store.count_records(&south_shop).await.expect("counts");
    assert_eq!(counts, vec![(Model::Customer, 1)]);
    let runs = store.list_sync_runs(&north_scope, None, &PageRequest::first()).await.expect("runs");
    assert_eq!(runs.items.len(), 1, "a franchisee sees only its own runs");
}

async fn sync_runs_join_upgrade_and_refuse_pages_once_finished(store: Arc<dyn Store>) {
    let shop = shop(&*store, None, "North").await;
    let connection = ConnectionId::new();
    let new = |mode| NewSyncRun {
        network_id: shop.network.clone(),
        connection_id: connection.clone(),
        franchisee_id: Some(shop.franchisee.clone()),
        location_id: Some(shop.location.clone()),
        mode,
        trigger: "api".into(),
    };
    let (queued, fresh) = store.create_sync_run(new(SyncMode::Incremental)).await.expect("create");
    assert!(fresh && queued.status == SyncRunStatus::Queued && queued.started_at.is_none());
    let (joined, fresh) = store.create_sync_run(new(SyncMode::Full)).await.expect("join");
    assert!(!fresh);
    assert_eq!(
        (joined.id.clone(), joined.mode),
        (queued.id.clone(), SyncMode::Full),
        "a full request upgrades a queued run"
    );
    let started = store.start_sync_run(&shop.network, &queued.id).await.expect("start");
    assert_eq!(started.status, SyncRunStatus::Running);
    let resumed = store.start_sync_run(&shop.network, &queued.id).await.expect("resume");
    assert_eq!(resumed.started_at, started.started_at, "resuming keeps the first start");
    let (still, fresh) = store.create_sync_run(new(SyncMode::Incremental)).await.expect("join running");
    assert!(!fresh && still.id == queued.id);

    store.record_sync_error(&shop.network, &queued.id, "square is unavailable: 503").await.expect("error");
    let failed = store.finish_sync_run(&shop.network, &queued.id, Some("gave up")).await.expect("finish");
    assert_eq!(failed.status, SyncRunStatus::Failed);
    assert_eq!(failed.errors, vec!["square is unavailable: 503".to_owned(), "gave up".to_owned()]);
    assert!(failed.duration_ms.is_some());
    let late = store.apply_sync_page(page(&shop, &queued.id, &connection, SyncMode::Full, vec![])).await;
    assert!(matches!(late, Err(StoreError::Conflict { .. })), "{late:?}");
    assert!(matches!(store.start_sync_run(&shop.network, &queued.id).await, Err(StoreError::Conflict { .. })));

    let (next, fresh) = store.create_sync_run(new(SyncMode::Incremental)).await.expect("after finish");
    assert!(fresh && next.id != queued.id);
    let listed = store
        .list_sync_runs(&TenantScope::network(shop.network.clone()), Some(&connection), &PageRequest::first())
        .await
        .expect("list");
    assert_eq!(listed.items.iter().map(|r| r.id.clone()).collect::<Vec<_>>(), vec![next.id, queued.id], "newest first");
}

async fn incremental_start_keeps_the_newest_high_water(store: Arc<dyn Store>) {
    let shop = shop(&*store, None, "North").await;
    let connection = ConnectionId::new();
    assert_eq!(store.sync_cursor(&shop.network, &connection, Model::Sale).await.expect("cursor"), None);
    let newer = Utc::now();
    let older = newer - TimeDelta::hours(1);
    for (mode, high_water) in
        [(SyncMode::Full, Some(newer)), (SyncMode::Incremental, Some(older)), (SyncMode::Incremental, None)]
    {
        let id = run(&*store, &shop, &connection, mode).await;
        store.complete_sync_model(&shop.network, &id, Model::Sale, high_water, false).await.expect("complete");
        store.finish_sync_run(&shop.network, &id, None).await.expect("finish");
        let cursor = store.sync_cursor(&shop.network, &connection, Model::Sale).await.expect("cursor").expect("set");
        assert_eq!(cursor.high_water, Some(hub_core::audit::truncate_to_micros(newer)), "{mode:?} {high_water:?}");
        assert_eq!(cursor.last_run_id, id);
        assert!(cursor.last_full_sync_at.is_some());
    }
}

async fn concurrent_writers_get_a_gapless_ascending_change_feed(store: Arc<dyn Store>) {
    let shop = Arc::new(shop(&*store, None, "North").await);
    let writers = (0..4).map(|writer| {
        let (store, shop) = (Arc::clone(&store), Arc::clone(&shop));
        tokio::spawn(async move {
            let connection = ConnectionId::new();
            let id = run(&*store, &shop, &connection, SyncMode::Incremental).await;
            for batch in 0..10 {
                let records =
                    (0..5).map(|n| upsert(&shop, &format!("w{writer}-b{batch}-{n}"), "x", Utc::now())).collect();
                store
                    .apply_sync_page(page(&shop, &id, &connection, SyncMode::Incremental, records))
                    .await
                    .expect("page");
            }
        })
    });
    for writer in writers.collect::<Vec<_>>() {
        writer.await.expect("writer");
    }
    let seqs: Vec<i64> =
        all_changes(&*store, &TenantScope::network(shop.network.clone())).await.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, (1..=200).collect::<Vec<i64>>());
}

async fn record_lists_filter_and_page(store: Arc<dyn Store>) {
    let north = shop(&*store, None, "North").await;
    let second = shop(&*store, Some(north.network.clone()), "North Two").await;
    let connection = ConnectionId::new();
    let id = run(&*store, &north, &connection, SyncMode::Incremental).await;
    let t0 = Utc::now();
    let mut records: Vec<_> = (0..7).map(|n| upsert(&north, &format!("C{n}"), &format!("c{n}"), t0)).collect();
    records.extend((0..3).map(|n| upsert(&second, &format!("S{n}"), &format!("s{n}"), t0)));
    store.apply_sync_page(page(&north, &id, &connection, SyncMode::Incremental, records)).await.expect("page");
    let scope = TenantScope::network(north.network.clone());
    let mut filter = RecordFilter::model(Model::Customer);
    filter.location_id = Some(second.location.clone());
    let at_second = store.list_records(&scope, &filter, &PageRequest::first()).await.expect("list");
    assert_eq!(at_second.items.len(), 3);
    assert!(at_second.items.iter().all(|record| record.location_id.as_ref() == Some(&second.location)));

    let mut seen = Vec::new();
    let mut request = PageRequest { limit: 3, after: None };
    loop {
        let page = store.list_records(&scope, &RecordFilter::model(Model::Customer), &request).await.expect("page");
        seen.extend(page.items.iter().map(|record| record.external_id.clone()));
        match page.next_cursor {
            Some(cursor) => request.after = Some(hub_core::page::decode_cursor(&cursor).expect("cursor")),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen.len(), 10);
    seen.dedup();
    assert_eq!(seen.len(), 10, "every record once");

    let mut recent = RecordFilter::model(Model::Customer);
    recent.updated_since = Some(Utc::now() + TimeDelta::seconds(5));
    assert!(store.list_records(&scope, &recent, &PageRequest::first()).await.expect("list").items.is_empty());
    recent.updated_since = Some(t0 - TimeDelta::seconds(5));
    assert_eq!(store.list_records(&scope, &recent, &PageRequest::first()).await.expect("list").items.len(), 10);
    let sales =
        store.list_records(&scope, &RecordFilter::model(Model::Sale), &PageRequest::first()).await.expect("list");
    assert!(sales.items.is_empty(), "filtered by model");
}
