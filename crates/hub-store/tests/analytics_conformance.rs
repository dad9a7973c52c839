//! The analytics store's conformance suite (rollup facts, buckets, first visits, cursor, scoped
//! reads): written once, run against SQLite and PostgreSQL.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
use hub_core::access::TenantScope;
use hub_core::id::{ConnectionId, FranchiseeId, LocationId, NetworkId, RecordId};
use hub_core::page::PageRequest;
use hub_core::records::{Model, SyncMode};
use hub_core::tenancy::{Currency, Name, NewFranchisee, NewLocation, TimeZone};
use hub_store::{
    ChangeContext, DayCursor, NewSyncRun, RecordFilter, RecordUpsert, RollupBatch, RollupFact, RollupFigures,
    RollupGrouping, Store, StoreError, SyncCheckpoint, SyncPage,
};
use rust_decimal::Decimal;

hub_store::tests_on_both_backends!(
    buckets_are_sums_of_facts_at_every_grain,
    a_moved_or_removed_fact_updates_both_buckets,
    first_visits_make_new_and_returning_customers,
    the_cursor_moves_only_from_where_it_is,
    a_batch_that_fails_midway_changes_nothing,
    reads_are_scoped_and_sales_page_by_day,
);

struct Net {
    network: NetworkId,
    franchisees: Vec<FranchiseeId>,
    locations: Vec<LocationId>,
}

/// A network with two franchisees owning one shop each.
async fn net(store: &dyn Store) -> Net {
    let usd = Currency::parse("USD").expect("USD");
    let network =
        store.create_network(&ChangeContext::cli(), Name::parse("Net").expect("name"), usd).await.expect("net").id;
    let scope = TenantScope::network(network.clone());
    let (mut franchisees, mut locations) = (Vec::new(), Vec::new());
    for label in ["North", "South"] {
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
        franchisees.push(franchisee.id);
        locations.push(location.id);
    }
    Net { network, franchisees, locations }
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

fn noon(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(18, 0, 0).expect("a time"))
}

fn dollars(amount: i64) -> Decimal {
    Decimal::new(amount * 100, 2)
}

fn sale(location: &LocationId, day: &str, net: i64, customer: Option<&str>) -> RollupFact {
    let day = date(day);
    RollupFact {
        record_id: RecordId::new(),
        model: Model::Sale,
        location_id: location.clone(),
        day,
        occurred_at: noon(day),
        customer_key: customer.map(str::to_owned),
        figures: RollupFigures {
            gross: dollars(net),
            net: dollars(net),
            tips: Decimal::new(150, 2),
            transactions: 1,
            ..RollupFigures::default()
        },
    }
}

async fn apply(store: &dyn Store, network: &NetworkId, facts: Vec<RollupFact>, touched: Vec<RecordId>) {
    let from = store.rollup_cursor(network).await.expect("cursor");
    let mut all: Vec<RecordId> = facts.iter().map(|f| f.record_id.clone()).collect();
    all.extend(touched);
    store
        .apply_rollup(RollupBatch {
            network_id: network.clone(),
            from_seq: from,
            to_seq: from + 1,
            touched: all,
            facts,
        })
        .await
        .expect("apply rollup");
}

async fn groups(
    store: &dyn Store,
    scope: &TenantScope,
    from: &str,
    to: &str,
    grouping: RollupGrouping,
) -> Vec<(String, RollupFigures)> {
    store
        .rollup_groups(scope, date(from), date(to), grouping)
        .await
        .expect("read")
        .into_iter()
        .map(|group| (group.key, group.figures))
        .collect()
}

async fn buckets_are_sums_of_facts_at_every_grain(store: Arc<dyn Store>) {
    let net = net(&*store).await;
    let (a, b) = (&net.locations[0], &net.locations[1]);
    let facts = vec![
        sale(a, "2026-01-30", 10, None),
        sale(a, "2026-01-31", 20, None),
        sale(a, "2026-02-02", 30, None),
        sale(b, "2026-02-02", 40, None),
        sale(b, "2026-03-15", 50, None),
    ];
    apply(&*store, &net.network, facts, vec![]).await;
    let scope = TenantScope::network(net.network.clone());

    let days = groups(&*store, &scope, "2026-01-31", "2026-02-02", RollupGrouping::Day).await;
    let summary: Vec<(&str, Decimal, i64)> =
        days.iter().map(|(key, f)| (key.as_str(), f.net, f.transactions)).collect();
    assert_eq!(summary, vec![("2026-01-31", dollars(20), 1), ("2026-02-02", dollars(70), 2)]);
    assert_eq!(days[1].1.tips.to_string(), "3.00", "money comes back exact");

    // ISO weeks by their Monday: 2026-01-26 holds the 30th and 31st, 2026-02-02 the 2nd.
    let weeks = groups(&*store, &scope, "2026-01-01", "2026-03-31", RollupGrouping::Week).await;
    let weeks: Vec<(&str, Decimal)> = weeks.iter().map(|(k, f)| (k.as_str(), f.net)).collect();
    assert_eq!(weeks, vec![("2026-01-26", dollars(30)), ("2026-02-02", dollars(70)), ("2026-03-09", dollars(50))]);

    // A range that starts and ends mid-month mixes month buckets and edge days, and agrees.
    let months = groups(&*store, &scope, "2026-01-31", "2026-03-14", RollupGrouping::Month).await;
    let months: Vec<(&str, Decimal)> = months.iter().map(|(k, f)| (k.as_str(), f.net)).collect();
    assert_eq!(months, vec![("2026-01-01", dollars(20)), ("2026-02-01", dollars(70))]);

    let locations = groups(&*store, &scope, "2026-01-01", "2026-12-31", RollupGrouping::Location).await;
    let by_location: Vec<(String, Decimal)> = locations.iter().map(|(k, f)| (k.clone(), f.net)).collect();
    let mut expected = vec![(a.to_string(), dollars(60)), (b.to_string(), dollars(90))];
    expected.sort();
    assert_eq!(by_location, expected);
    let total = groups(&*store, &scope, "2026-01-01", "2026-12-31", RollupGrouping::Total).await;
    assert_eq!(total.len(), 1);
    assert_eq!((total[0].1.net, total[0].1.transactions), (dollars(150), 5));
    let franchisees = groups(&*store, &scope, "2026-01-01", "2026-12-31", RollupGrouping::Franchisee).await;
    assert_eq!(franchisees.len(), 2);
    let territories = groups(&*store, &scope, "2026-01-01", "2026-12-31", RollupGrouping::Territory).await;
    assert_eq!(territories.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), vec![""], "no territory: empty key");
}

async fn a_moved_or_removed_fact_updates_both_buckets(store: Arc<dyn Store>) {
    let net = net(&*store).await;
    let a = &net.locations[0];
    let moving = sale(a, "2026-04-10", 25, None);
    let removed = sale(a, "2026-04-11", 35, None);
    let kept = sale(a, "2026-04-11", 45, None);
    apply(&*store, &net.network, vec![moving.clone(), removed.clone(), kept], vec![]).await;
    let scope = TenantScope::network(net.network.clone());
    let before = groups(&*store, &scope, "2026-04-01", "2026-04-30", RollupGrouping::Day).await;
    assert_eq!(before.iter().map(|(_, f)| f.net).collect::<Vec<_>>(), vec![dollars(25), dollars(80)]);

    // The same record now falls on another day and another month; the other one is gone.
    let mut moved = sale(a, "2026-05-02", 25, None);
    moved.record_id = moving.record_id.clone();
    apply(&*store, &net.network, vec![moved], vec![removed.record_id.clone()]).await;
    let april = groups(&*store, &scope, "2026-04-01", "2026-04-30", RollupGrouping::Day).await;
    let april: Vec<(&str, Decimal)> = april.iter().map(|(k, f)| (k.as_str(), f.net)).collect();
    assert_eq!(april, vec![("2026-04-11", dollars(45))], "the old day bucket of a moved record is emptied");
    let months = groups(&*store, &scope, "2026-04-01", "2026-05-31", RollupGrouping::Month).await;
    let months: Vec<(&str, Decimal)> = months.iter().map(|(k, f)| (k.as_str(), f.net)).collect();
    assert_eq!(months, vec![("2026-04-01", dollars(45)), ("2026-05-01", dollars(25))]);
}

async fn first_visits_make_new_and_returning_customers(store: Arc<dyn Store>) {
    let net = net(&*store).await;
    let (a, b) = (&net.locations[0], &net.locations[1]);
    let first = sale(a, "2026-06-01", 10, Some("c:ada"));
    let twice_same_day = sale(a, "2026-06-05", 10, Some("c:ada"));
    let again = sale(a, "2026-06-05", 10, Some("c:ada"));
    let elsewhere = sale(b, "2026-06-07", 10, Some("c:ada"));
    let other = sale(b, "2026-06-07", 10, Some("c:bob"));
    apply(&*store, &net.network, vec![first.clone(), twice_same_day, again, elsewhere, other], vec![]).await;
    let scope = TenantScope::network(net.network.clone());
    let days = groups(&*store, &scope, "2026-06-01", "2026-06-30", RollupGrouping::Day).await;
    let counts: Vec<(&str, i64, i64)> =
        days.iter().map(|(k, f)| (k.as_str(), f.new_customers, f.returning_customers)).collect();
    assert_eq!(counts, vec![("2026-06-01", 1, 0), ("2026-06-05", 0, 1), ("2026-06-07", 1, 1)]);

    // A backdated first visit arrives: the old first day loses its new customer.
    let earlier = sale(b, "2026-05-20", 10, Some("c:ada"));
    apply(&*store, &net.network, vec![earlier], vec![]).await;
    let days = groups(&*store, &scope, "2026-05-01", "2026-06-30", RollupGrouping::Day).await;
    let counts: Vec<(&str, i64, i64)> =
        days.iter().map(|(k, f)| (k.as_str(), f.new_customers, f.returning_customers)).collect();
    assert_eq!(counts, vec![("2026-05-20", 1, 0), ("2026-06-01", 0, 1), ("2026-06-05", 0, 1), ("2026-06-07", 1, 1)]);
    let month = groups(&*store, &scope, "2026-05-01", "2026-06-30", RollupGrouping::Total).await;
    assert_eq!(month[0].1.new_customers, 2, "each customer is new once");
}

async fn the_cursor_moves_only_from_where_it_is(store: Arc<dyn Store>) {
    let net = net(&*store).await;
    assert_eq!(store.rollup_cursor(&net.network).await.expect("cursor"), 0);
    let fact = sale(&net.locations[0], "2026-07-01", 10, None);
    let batch = RollupBatch {
        network_id: net.network.clone(),
        from_seq: 0,
        to_seq: 7,
        touched: vec![fact.record_id.clone()],
        facts: vec![fact.clone()],
    };
    store.apply_rollup(batch.clone()).await.expect("first apply");
    assert_eq!(store.rollup_cursor(&net.network).await.expect("cursor"), 7);
    // A second worker with the same batch is refused, and nothing is counted twice.
    let refused = store.apply_rollup(batch).await;
    assert!(matches!(refused, Err(StoreError::Conflict { .. })), "{refused:?}");
    // Replaying the same facts from the current cursor rewrites the same buckets.
    let replay = RollupBatch {
        network_id: net.network.clone(),
        from_seq: 7,
        to_seq: 9,
        touched: vec![fact.record_id.clone()],
        facts: vec![fact],
    };
    store.apply_rollup(replay).await.expect("replay");
    let scope = TenantScope::network(net.network.clone());
    let total = groups(&*store, &scope, "2026-07-01", "2026-07-31", RollupGrouping::Total).await;
    assert_eq!((total[0].1.net, total[0].1.transactions), (dollars(10), 1));
    assert_eq!(store.rollup_cursor(&net.network).await.expect("cursor"), 9);
}

async fn reads_are_scoped_and_sales_page_by_day(store: Arc<dyn Store>) {
    let net = net(&*store).await;
    let (a, b) = (&net.locations[0], &net.locations[1]);
    // Real records, so exports can join them.
    let connection = ConnectionId::new();
    let (run, _) = store
        .create_sync_run(NewSyncRun {
            network_id: net.network.clone(),
            connection_id: connection.clone(),
            franchisee_id: None,
            location_id: None,
            mode: SyncMode::Full,
            trigger: "test".into(),
        })
        .await
        .expect("run");
    store.start_sync_run(&net.network, &run.id).await.expect("start");
    let upserts: Vec<RecordUpsert> =
        [(a, &net.franchisees[0], "S1"), (a, &net.franchisees[0], "S2"), (b, &net.franchisees[1], "S3")]
            .into_iter()
            .map(|(location, franchisee, id)| RecordUpsert {
                external_id: id.into(),
                franchisee_id: Some(franchisee.clone()),
                location_id: Some(location.clone()),
                provider_location_id: None,
                occurred_at: None,
                remote_updated_at: None,
                data: format!(r#"{{"id":"{id}"}}"#),
                content_hash: id.into(),
            })
            .collect();
    store
        .apply_sync_page(SyncPage {
            network_id: net.network.clone(),
            run_id: run.id.clone(),
            connection_id: connection,
            provider: "square".into(),
            model: Model::Sale,
            mark_seen: false,
            upserts,
            deletes: vec![],
            fetched: 3,
            pages: 1,
            checkpoint: SyncCheckpoint::default(),
        })
        .await
        .expect("page");
    let scope = TenantScope::network(net.network.clone());
    let records = store
        .list_records(&scope, &RecordFilter::model(Model::Sale), &PageRequest::first())
        .await
        .expect("records")
        .items;
    let mut facts = Vec::new();
    for record in &records {
        let location = record.location_id.clone().expect("placed");
        let day = if record.external_id == "S2" { "2026-08-02" } else { "2026-08-01" };
        let mut fact = sale(&location, day, 10, None);
        fact.record_id = record.id.clone();
        facts.push(fact);
    }
    apply(&*store, &net.network, facts, vec![]).await;

    let north = TenantScope::franchisee(net.network.clone(), net.franchisees[0].clone());
    let seen = groups(&*store, &north, "2026-08-01", "2026-08-31", RollupGrouping::Location).await;
    assert_eq!(seen.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(), vec![a.to_string()], "own shop only");
    let other = TenantScope::network(NetworkId::new());
    assert!(groups(&*store, &other, "2026-08-01", "2026-08-31", RollupGrouping::Total).await.is_empty());

    let first = store.sales_by_day(&scope, date("2026-08-01"), date("2026-08-31"), None, None, 2).await.expect("page");
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|dated| dated.day == date("2026-08-01")), "ordered by day");
    let last = first.last().expect("a row");
    let cursor = DayCursor { day: last.day, record_id: last.record.id.clone() };
    let rest =
        store.sales_by_day(&scope, date("2026-08-01"), date("2026-08-31"), None, Some(&cursor), 2).await.expect("page");
    assert_eq!(rest.iter().map(|d| d.record.external_id.as_str()).collect::<Vec<_>>(), vec!["S2"]);
    let north_sales =
        store.sales_by_day(&north, date("2026-08-01"), date("2026-08-31"), None, None, 10).await.expect("page");
    assert_eq!(north_sales.len(), 2, "scope filters exports too");
    let only_b =
        store.sales_by_day(&scope, date("2026-08-01"), date("2026-08-31"), Some(b), None, 10).await.expect("page");
    assert_eq!(only_b.iter().map(|d| d.record.external_id.as_str()).collect::<Vec<_>>(), vec!["S3"]);
    let by_id =
        store.records_by_id(&north, &records.iter().map(|r| r.id.clone()).collect::<Vec<_>>()).await.expect("ids");
    assert_eq!(by_id.len(), 2, "records by id are scoped");
}

async fn a_batch_that_fails_midway_changes_nothing(store: Arc<dyn Store>) {
    let net = net(&*store).await;
    let kept = sale(&net.locations[0], "2026-09-01", 10, Some("c:ada"));
    apply(&*store, &net.network, vec![kept.clone()], vec![]).await;
    let scope = TenantScope::network(net.network.clone());
    let before = groups(&*store, &scope, "2026-09-01", "2026-09-30", RollupGrouping::Day).await;
    let cursor = store.rollup_cursor(&net.network).await.expect("cursor");

    // The batch moves the cursor and deletes the record's old fact before it meets an amount the
    // rollups cannot hold: the whole transaction must roll back, as after a crash.
    let mut broken = sale(&net.locations[0], "2026-09-02", 10, Some("c:ada"));
    broken.record_id = kept.record_id.clone();
    broken.figures.net = Decimal::MAX;
    let failed = store
        .apply_rollup(RollupBatch {
            network_id: net.network.clone(),
            from_seq: cursor,
            to_seq: cursor + 5,
            touched: vec![kept.record_id.clone()],
            facts: vec![broken],
        })
        .await;
    assert!(matches!(failed, Err(StoreError::Invalid(_))), "{failed:?}");
    assert_eq!(store.rollup_cursor(&net.network).await.expect("cursor"), cursor, "the cursor did not move");
    let after = groups(&*store, &scope, "2026-09-01", "2026-09-30", RollupGrouping::Day).await;
    assert_eq!(after, before, "no bucket changed");
    // The same changes applied properly afterwards land once.
    apply(&*store, &net.network, vec![kept], vec![]).await;
    let total = groups(&*store, &scope, "2026-09-01", "2026-09-30", RollupGrouping::Total).await;
    assert_eq!((total[0].1.transactions, total[0].1.new_customers), (1, 1));
}
