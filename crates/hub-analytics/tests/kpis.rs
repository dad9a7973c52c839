//! KPI rollups end to end on both backends: records written as the sync engine writes them, the
//! rollup job folding the change feed in, and reports compared with hand-computed figures and
//! with a direct computation from the records.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use hub_analytics::{Analytics, AnalyticsError, GroupBy, KpiQuery};
use hub_core::access::TenantScope;
use hub_core::id::NetworkId;
use hub_core::page::PageRequest;
use hub_core::records::{AppointmentStatus, Model, RecordData, Sale};
use hub_store::{RecordFilter, Store};
use rust_decimal::Decimal;

use common::{appointment, money, sale, shop, timecard, write};

hub_store::tests_on_both_backends!(
    rollups_match_hand_computed_figures_across_time_zones_refunds_and_deletes,
    concurrent_rollup_runs_count_everything_once,
    franchisees_see_their_shops_and_anonymous_benchmarks,
    bad_queries_are_refused,
);

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

fn query(from: &str, to: &str, group_by: GroupBy) -> KpiQuery {
    KpiQuery { from: date(from), to: date(to), group_by }
}

/// Net sales in the network currency per local day, straight from the records.
async fn direct_net_by_day(store: &dyn Store, network: &NetworkId) -> BTreeMap<String, Decimal> {
    let scope = TenantScope::network(network.clone());
    let mut zones = BTreeMap::new();
    for location in store.list_locations(&scope, &PageRequest::first()).await.expect("locations").items {
        zones.insert(location.id.clone(), location.time_zone.tz());
    }
    let sales =
        store.list_records(&scope, &RecordFilter::model(Model::Sale), &PageRequest::first()).await.expect("sales");
    let mut by_day = BTreeMap::new();
    for record in sales.items {
        let sale: Sale = serde_json::from_value(record.data).expect("a sale");
        if sale.currency.as_str() != "USD" {
            continue;
        }
        let zone = zones[record.location_id.as_ref().expect("placed")];
        let day = sale.occurred_at.with_timezone(&zone).date_naive().to_string();
        *by_day.entry(day).or_insert(Decimal::ZERO) += sale.net;
    }
    by_day
}

async fn report_net_by_day(analytics: &Analytics, network: &NetworkId) -> BTreeMap<String, Decimal> {
    let report = analytics
        .kpis(&TenantScope::network(network.clone()), &query("2026-03-01", "2026-03-31", GroupBy::Day))
        .await
        .expect("report");
    report.rows.into_iter().map(|row| (row.key, row.kpis.net_sales)).collect()
}

async fn rollups_match_hand_computed_figures_across_time_zones_refunds_and_deletes(store: Arc<dyn Store>) {
    let network = common::network(&*store).await;
    // Chicago is UTC-5 in March 2026 (daylight time from the 8th); Tokyo is UTC+9.
    let chicago = shop(&*store, &network, "North", "America/Chicago").await;
    let tokyo = shop(&*store, &network, "East", "Asia/Tokyo").await;
    write(
        &*store,
        &network,
        &chicago,
        Model::Sale,
        vec![
            // 23:59 on the 9th locally (UTC says the 10th).
            ("S1", RecordData::Sale(sale("2026-03-10T04:59:00Z", "USD", "40.00", "5.00", "0", Some("ada")))),
            // 00:01 on the 10th locally.
            ("S2", RecordData::Sale(sale("2026-03-10T05:01:00Z", "USD", "25.00", "0", "0", Some("ada")))),
        ],
        vec![],
    )
    .await;
    write(
        &*store,
        &network,
        &tokyo,
        Model::Sale,
        vec![
            // 23:59 on the 9th locally.
            ("S3", RecordData::Sale(sale("2026-03-09T14:59:00Z", "USD", "100.00", "10.00", "0", Some("bob")))),
            // 00:01 on the 10th locally (UTC says the 9th).
            ("S4", RecordData::Sale(sale("2026-03-09T15:01:00Z", "USD", "60.00", "0", "0", None))),
            ("S5", RecordData::Sale(sale("2026-03-09T03:00:00Z", "EUR", "80.00", "0", "0", None))),
        ],
        vec![],
    )
    .await;
    write(
        &*store,
        &network,
        &chicago,
        Model::Appointment,
        vec![
            (
                "A1",
                RecordData::Appointment(appointment(
                    "2026-03-10T15:00:00Z",
                    60,
                    AppointmentStatus::Booked,
                    Some("ada"),
                )),
            ),
            (
                "A2",
                RecordData::Appointment(appointment("2026-03-10T17:00:00Z", 30, AppointmentStatus::NoShow, Some("cy"))),
            ),
            (
                "A3",
                RecordData::Appointment(appointment("2026-03-10T18:00:00Z", 45, AppointmentStatus::Cancelled, None)),
            ),
        ],
        vec![],
    )
    .await;
    write(
        &*store,
        &network,
        &chicago,
        Model::Timecard,
        vec![("T1", RecordData::Timecard(timecard("2026-03-10T14:00:00Z", "2026-03-10T22:00:00Z", 30)))],
        vec![],
    )
    .await;

    let analytics = Analytics::new(Arc::clone(&store));
    let progress = analytics.roll_up(&network).await.expect("roll up");
    assert_eq!(progress.changes, 9, "every change of the feed was read: 5 sales, 3 bookings, 1 shift");
    let scope = TenantScope::network(network.clone());
    let report = analytics.kpis(&scope, &query("2026-03-09", "2026-03-10", GroupBy::Day)).await.expect("report");
    assert_eq!(report.currency.as_str(), "USD");
    assert_eq!(report.rows.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), vec!["2026-03-09", "2026-03-10"]);
    let (ninth, tenth) = (&report.rows[0].kpis, &report.rows[1].kpis);
    // The 9th: S1 (40.00, tip 5.00) + S3 (100.00, tip 10.00); the EUR sale S5 only counted apart.
    assert_eq!((ninth.gross_sales, ninth.net_sales, ninth.tips), (money("140.00"), money("140.00"), money("15.00")));
    assert_eq!((ninth.transactions, ninth.foreign_currency_transactions), (2, 1));
    assert_eq!(ninth.tax, money("14.00"), "10% of 140.00");
    assert_eq!((ninth.new_customers, ninth.returning_customers), (2, 0), "ada and bob visit first");
    // The 10th: S2 (25.00) + S4 (60.00): 85.00 over 2 tickets = 42.50.
    assert_eq!((tenth.net_sales, tenth.transactions, tenth.average_ticket), (money("85.00"), 2, money("42.50")));
    // A1 booked 60 min, A2 no-show; A3 cancelled counts for nothing. 480 - 30 = 450 clocked.
    assert_eq!((tenth.appointments, tenth.no_show_rate), (2, Some(0.5)));
    assert_eq!(tenth.staff_utilisation, Some(0.1333), "60 / 450");
    assert_eq!((tenth.new_customers, tenth.returning_customers), (0, 1), "ada returns (sale and booking: once)");
    assert_eq!(report.totals.net_sales, money("225.00"));
    assert_eq!(report_net_by_day(&analytics, &network).await, direct_net_by_day(&*store, &network).await);

    // After the rollup: S1 is refunded 10.00 and S4 deleted at the provider.
    write(
        &*store,
        &network,
        &chicago,
        Model::Sale,
        vec![("S1", RecordData::Sale(sale("2026-03-10T04:59:00Z", "USD", "40.00", "5.00", "10.00", Some("ada"))))],
        vec![],
    )
    .await;
    write(&*store, &network, &tokyo, Model::Sale, vec![], vec!["S4"]).await;
    let progress = analytics.roll_up(&network).await.expect("roll up again");
    assert_eq!(progress.changes, 2, "only the new changes are read");
    let report = analytics.kpis(&scope, &query("2026-03-09", "2026-03-10", GroupBy::Day)).await.expect("report");
    let (ninth, tenth) = (&report.rows[0].kpis, &report.rows[1].kpis);
    assert_eq!((ninth.gross_sales, ninth.net_sales, ninth.refunds), (money("140.00"), money("130.00"), money("10.00")));
    assert_eq!((tenth.net_sales, tenth.transactions), (money("25.00"), 1), "the deleted sale left its day");
    assert_eq!(report_net_by_day(&analytics, &network).await, direct_net_by_day(&*store, &network).await);

    // Coarser groupings agree with the days.
    for group_by in [GroupBy::Week, GroupBy::Month, GroupBy::Location, GroupBy::Franchisee, GroupBy::Territory] {
        let report = analytics.kpis(&scope, &query("2026-03-01", "2026-03-31", group_by)).await.expect("report");
        assert_eq!(report.totals.net_sales, money("155.00"), "{group_by:?}");
        let summed: Decimal = report.rows.iter().map(|row| row.kpis.net_sales).sum();
        assert_eq!(summed, money("155.00"), "{group_by:?}");
    }
    let months = analytics.kpis(&scope, &query("2026-03-01", "2026-03-31", GroupBy::Month)).await.expect("months");
    assert_eq!(months.rows[0].key, "2026-03");
    let locations =
        analytics.kpis(&scope, &query("2026-03-01", "2026-03-31", GroupBy::Location)).await.expect("by shop");
    let labels: Vec<&str> = locations.rows.iter().filter_map(|row| row.label.as_deref()).collect();
    assert_eq!(labels.len(), 2);
    assert!(labels.contains(&"North Main St") && labels.contains(&"East Main St"), "{labels:?}");
    assert_eq!(analytics.roll_up(&network).await.expect("nothing new").changes, 0);
}

async fn concurrent_rollup_runs_count_everything_once(store: Arc<dyn Store>) {
    let network = common::network(&*store).await;
    let chicago = shop(&*store, &network, "North", "America/Chicago").await;
    for batch in 0..3 {
        let sales: Vec<(String, RecordData)> = (0..700)
            .map(|n| {
                let minute = n % 600;
                let at = format!("2026-03-{:02}T{:02}:{:02}:00Z", 10 + batch, 12 + minute / 60, minute % 60);
                (format!("S{batch}-{n}"), RecordData::Sale(sale(&at, "USD", "10.00", "1.00", "0", None)))
            })
            .collect();
        let records = sales.iter().map(|(id, data)| (id.as_str(), data.clone())).collect();
        write(&*store, &network, &chicago, Model::Sale, records, vec![]).await;
    }
    let (one, two) = (Analytics::new(Arc::clone(&store)), Analytics::new(Arc::clone(&store)));
    let (first, second) = tokio::join!(one.roll_up(&network), two.roll_up(&network));
    first.expect("first worker");
    second.expect("second worker");
    let head = store.list_changes(&TenantScope::network(network.clone()), 0, 10_000).await.expect("feed");
    assert_eq!(store.rollup_cursor(&network).await.expect("cursor"), head.last().expect("changes").seq);
    let report = one
        .kpis(&TenantScope::network(network.clone()), &query("2026-03-01", "2026-03-31", GroupBy::Month))
        .await
        .expect("report");
    assert_eq!((report.totals.transactions, report.totals.net_sales), (2_100, money("21000.00")));
}

async fn franchisees_see_their_shops_and_anonymous_benchmarks(store: Arc<dyn Store>) {
    let network = common::network(&*store).await;
    let mut shops = Vec::new();
    for (n, label) in ["A", "B", "C", "D", "E", "F"].into_iter().enumerate() {
        let shop = shop(&*store, &network, label, "Europe/Paris").await;
        let gross = format!("{}.00", (n + 1) * 100);
        write(
            &*store,
            &network,
            &shop,
            Model::Sale,
            vec![("S", RecordData::Sale(sale("2026-03-10T12:00:00Z", "USD", &gross, "0", "0", None)))],
            vec![],
        )
        .await;
        shops.push(shop);
    }
    let analytics = Analytics::new(Arc::clone(&store));
    analytics.roll_up(&network).await.expect("roll up");
    let q = query("2026-03-01", "2026-03-31", GroupBy::Location);

    let admin = analytics.kpis(&TenantScope::network(network.clone()), &q).await.expect("admin");
    assert_eq!(admin.rows.len(), 6);
    let benchmarks = admin.benchmarks.as_ref().expect("the network sees its distribution");
    assert_eq!(benchmarks.locations, 6);
    let net = benchmarks.net_sales.as_ref().expect("net distribution");
    assert_eq!((net.p10, net.p50, net.p90), (money("100.00"), money("300.00"), money("600.00")));

    // The fourth shop (400.00) as its franchisee sees it: its own row, ranked among six.
    let own = TenantScope::franchisee(network.clone(), shops[3].franchisee.clone());
    let report = analytics.kpis(&own, &q).await.expect("franchisee");
    assert_eq!(report.rows.len(), 1, "no other shop appears");
    assert_eq!(report.rows[0].key, shops[3].location.to_string());
    let ranks = report.rows[0].percentiles.as_ref().expect("ranked");
    assert_eq!(ranks.net_sales, 58.3, "3 below and itself halved: 3.5 / 6");
    assert_eq!(report.totals.net_sales, money("400.00"), "totals cover the scope only");
    let shared = report.benchmarks.expect("six active shops: the distribution is shared");
    assert_eq!(shared.net_sales, admin.benchmarks.as_ref().and_then(|b| b.net_sales.clone()));
    let body = serde_json::to_string(&report.rows).expect("json");
    for other in shops.iter().filter(|s| s.location != shops[3].location) {
        assert!(!body.contains(other.location.as_str()), "another shop's id leaked");
    }

    // In a network of two, a distribution would reveal the other shop: it is withheld.
    let small = common::network(&*store).await;
    let first = shop(&*store, &small, "X", "Europe/Paris").await;
    let second = shop(&*store, &small, "Y", "Europe/Paris").await;
    for s in [&first, &second] {
        let data = RecordData::Sale(sale("2026-03-10T12:00:00Z", "USD", "50.00", "0", "0", None));
        write(&*store, &small, s, Model::Sale, vec![("S", data)], vec![]).await;
    }
    analytics.roll_up(&small).await.expect("roll up");
    let mine = TenantScope::franchisee(small.clone(), first.franchisee.clone());
    let report = analytics.kpis(&mine, &q).await.expect("small network");
    assert!(report.benchmarks.is_none());
    assert_eq!(report.rows.len(), 1);
}

async fn bad_queries_are_refused(store: Arc<dyn Store>) {
    let network = common::network(&*store).await;
    let analytics = Analytics::new(Arc::clone(&store));
    let scope = TenantScope::network(network);
    let reversed = analytics.kpis(&scope, &query("2026-03-10", "2026-03-01", GroupBy::Day)).await;
    assert!(matches!(reversed, Err(AnalyticsError::InvalidQuery { field: "from", .. })), "{reversed:?}");
    let long = analytics.kpis(&scope, &query("2026-01-01", "2026-06-30", GroupBy::Day)).await;
    assert!(matches!(long, Err(AnalyticsError::InvalidQuery { field: "to", .. })), "{long:?}");
    let fine = analytics.kpis(&scope, &query("2024-01-01", "2026-06-30", GroupBy::Month)).await.expect("months");
    assert!(fine.rows.is_empty());
    assert_eq!(fine.totals.transactions, 0);
}
