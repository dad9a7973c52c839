//! `/v1/kpis` and `/v1/exports/…` over HTTP on both backends: the rollup job run from the queue,
//! the report's contract, scope (a franchisee sees its own shop and anonymous benchmarks only),
//! no customer data for analysts, bad query strings as problems, and CSV and Parquet files read
//! back and compared with the records.

mod common;

use common::TestApp;
use hub_core::access::{Role, TenantScope};
use hub_core::id::{ConnectionId, FranchiseeId, LocationId};
use hub_core::records::{Model, RecordData, Sale, SourceRecord, SyncMode};
use hub_core::tenancy::Currency;
use hub_store::{NewSyncRun, RecordUpsert, SyncCheckpoint, SyncPage};
use reqwest::Method;
use rust_decimal::Decimal;

on_both_backends!(
    kpis_follow_the_contract_within_scope,
    bad_kpi_queries_are_problems,
    exports_round_trip_as_csv_and_parquet,
);

fn sale(at: &str, gross: &str, customer: &str) -> Sale {
    let gross: Decimal = gross.parse().expect("amount");
    let tax = (gross / Decimal::from(10)).round_dp(2);
    let tip = Decimal::new(200, 2);
    let total = gross + tax + tip;
    Sale {
        occurred_at: chrono::DateTime::parse_from_rfc3339(at).expect("instant").with_timezone(&chrono::Utc),
        currency: Currency::parse("USD").expect("USD"),
        gross,
        discount: Decimal::ZERO,
        service_charges: Decimal::ZERO,
        tax,
        tip,
        total,
        refunded: Decimal::ZERO,
        net: total - tax - tip,
        customer_external_id: Some(customer.to_owned()),
        lines: vec![],
        tenders: vec![],
        refunds: vec![],
    }
}

/// Writes sales for a shop as a sync run would.
async fn write_sales(app: &TestApp, franchisee: &FranchiseeId, location: &LocationId, sales: Vec<(&str, Sale)>) {
    let connection = ConnectionId::new();
    let (run, _) = app
        .store
        .create_sync_run(NewSyncRun {
            network_id: app.network_id.clone(),
            connection_id: connection.clone(),
            franchisee_id: Some(franchisee.clone()),
            location_id: Some(location.clone()),
            mode: SyncMode::Full,
            trigger: "test".into(),
        })
        .await
        .expect("run");
    app.store.start_sync_run(&app.network_id, &run.id).await.expect("start");
    let upserts = sales
        .into_iter()
        .map(|(id, sale)| {
            let data = RecordData::Sale(sale);
            let json = data.to_json();
            let source = SourceRecord {
                external_id: id.into(),
                remote_updated_at: None,
                provider_location_id: None,
                data: data.clone(),
            };
            RecordUpsert {
                external_id: id.into(),
                franchisee_id: Some(franchisee.clone()),
                location_id: Some(location.clone()),
                provider_location_id: None,
                occurred_at: data.occurred_at(),
                remote_updated_at: None,
                content_hash: source.content_hash(&json),
                data: json,
            }
        })
        .collect::<Vec<_>>();
    app.store
        .apply_sync_page(SyncPage {
            network_id: app.network_id.clone(),
            run_id: run.id.clone(),
            connection_id: connection,
            provider: "square".into(),
            model: Model::Sale,
            mark_seen: false,
            fetched: upserts.len() as u64,
            pages: 1,
            upserts,
            deletes: vec![],
            checkpoint: SyncCheckpoint::default(),
        })
        .await
        .expect("page");
    app.store.finish_sync_run(&app.network_id, &run.id, None).await.expect("finish");
}

/// Two shops with sales in March 2026; the rollup job is run from the durable queue.
async fn two_shops(app: &TestApp) -> [(FranchiseeId, LocationId); 2] {
    let north = app.shop("North").await;
    let south = app.shop("South").await;
    write_sales(
        app,
        &north.0,
        &north.1,
        vec![
            ("N1", sale("2026-03-10T15:00:00Z", "40.00", "ada")),
            ("N2", sale("2026-03-11T15:00:00Z", "20.00", "ada")),
        ],
    )
    .await;
    write_sales(app, &south.0, &south.1, vec![("S1", sale("2026-03-10T16:00:00Z", "90.00", "bob"))]).await;
    let state = app.state.as_ref().expect("state");
    let kind = hub_store::JobKind::parse(hub_analytics::kpis::ROLLUP_JOB).expect("kind");
    state.jobs.enqueue(hub_store::NewJob::new(kind, serde_json::json!({}))).await.expect("enqueue");
    let runs = app.run_jobs(std::time::Duration::from_secs(5)).await;
    assert!(!runs.is_empty(), "the rollup job ran from the queue");
    [north, south]
}

async fn kpis_follow_the_contract_within_scope(app: TestApp) {
    let [north, south] = two_shops(&app).await;
    let path = "/v1/kpis?from=2026-03-01&to=2026-03-31&group_by=location";
    let (status, report) = app.send(Method::GET, path, &app.admin_key, None).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["currency"], "USD");
    assert_eq!((report["from"].as_str(), report["to"].as_str()), (Some("2026-03-01"), Some("2026-03-31")));
    assert_eq!(report["group_by"], "location");
    assert_eq!(report["totals"]["net_sales"], "150.00", "40 + 20 + 90");
    assert_eq!(report["totals"]["gross_sales"], "150.00");
    assert_eq!(report["totals"]["tips"], "6.00");
    assert_eq!(report["totals"]["transactions"], 3);
    assert_eq!(report["totals"]["average_ticket"], "50.00");
    assert_eq!(report["totals"]["new_customers"], 2);
    assert_eq!(report["totals"]["returning_customers"], 1);
    let rows = report["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    let north_row = rows.iter().find(|row| row["key"] == north.1.as_str()).expect("north row");
    assert_eq!(north_row["label"], "North Main St");
    assert_eq!(north_row["kpis"]["net_sales"], "60.00");
    assert_eq!(north_row["percentiles"]["net_sales"], 25.0, "the lower of two");
    assert_eq!(report["benchmarks"]["locations"], 2);

    let by_day = app.send(Method::GET, "/v1/kpis?from=2026-03-01&to=2026-03-31", &app.admin_key, None).await.1;
    let days: Vec<&str> = by_day["rows"].as_array().expect("rows").iter().filter_map(|r| r["key"].as_str()).collect();
    assert_eq!(days, vec!["2026-03-10", "2026-03-11"], "group_by defaults to day; local days (Chicago)");

    // A franchisee sees its own shop; with two shops a distribution would name the other: none.
    let franchisee =
        app.mint_key(Role::FranchiseeAdmin, TenantScope::franchisee(app.network_id.clone(), south.0.clone())).await;
    let (status, own) = app.send(Method::GET, path, &franchisee, None).await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["rows"].as_array().map(Vec::len), Some(1));
    assert_eq!(own["rows"][0]["key"], south.1.as_str());
    assert_eq!(own["rows"][0]["percentiles"]["net_sales"], 75.0);
    assert_eq!(own["totals"]["net_sales"], "90.00");
    assert!(own["benchmarks"].is_null());
    assert!(!own.to_string().contains(north.1.as_str()), "the other shop is never named");
    let manager = app
        .mint_key(
            Role::LocationManager,
            TenantScope::location(app.network_id.clone(), north.0.clone(), north.1.clone()),
        )
        .await;
    let (_, shop) =
        app.send(Method::GET, "/v1/kpis?from=2026-03-01&to=2026-03-31&group_by=franchisee", &manager, None).await;
    assert_eq!(shop["totals"]["net_sales"], "60.00");

    // An analyst sees the aggregates, and no customer identifiers appear anywhere.
    let analyst = app.mint_key(Role::NetworkAnalyst, app.network_scope()).await;
    let (status, seen) = app.send(Method::GET, path, &analyst, None).await;
    assert_eq!(status, 200);
    let text = seen.to_string();
    assert!(!text.contains("ada") && !text.contains("bob"), "no customer data: {text}");
}

async fn bad_kpi_queries_are_problems(app: TestApp) {
    for (query, field) in [
        ("from=2026-03-01&to=2026-03-31&group_by=hour", "group_by"),
        ("from=2026-03-31&to=2026-03-01", "from"),
        ("from=2026-01-01&to=2026-12-31&group_by=day", "to"),
        ("from=2023-01-01&to=2026-12-31&group_by=month", "to"),
        ("from=2026-02-30&to=2026-03-31", "from"),
        ("to=2026-03-31", "from"),
    ] {
        let (status, problem) = app.send(Method::GET, &format!("/v1/kpis?{query}"), &app.admin_key, None).await;
        assert_eq!(status, 400, "{query}: {problem}");
        assert_eq!(problem["code"], "invalid_request", "{query}");
        assert_eq!(problem["errors"][0]["field"], field, "{query}: {problem}");
    }
    let (status, _) = app.send(Method::GET, "/v1/kpis?from=2026-03-01&to=2026-03-31", "", None).await;
    assert_eq!(status, 401);
    let (status, problem) =
        app.send(Method::GET, "/v1/exports/sales?from=2026-03-01&to=2026-03-31&format=xml", &app.admin_key, None).await;
    assert_eq!((status, problem["errors"][0]["field"].as_str()), (400, Some("format")));
}

async fn exports_round_trip_as_csv_and_parquet(app: TestApp) {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;

    let [north, south] = two_shops(&app).await;
    let response = app
        .client
        .get(app.url("/v1/exports/sales?from=2026-03-01&to=2026-03-31&format=csv"))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .expect("csv export");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(response.headers()["content-disposition"], "attachment; filename=\"sales-2026-03-01-2026-03-31.csv\"");
    let text = response.text().await.expect("body");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "a header and three sales: {text}");
    let header: Vec<&str> = lines[0].split(',').collect();
    let net = header.iter().position(|name| *name == "net").expect("a net column");
    let day = header.iter().position(|name| *name == "business_day").expect("a day column");
    let nets: Vec<(&str, &str)> = lines[1..]
        .iter()
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            (cells[day], cells[net])
        })
        .collect();
    assert_eq!(nets.len(), 3);
    assert!(nets.contains(&("2026-03-11", "20.00")) && nets.contains(&("2026-03-10", "90.00")), "{nets:?}");
    assert!(!text.contains("ada"), "no customer data in exports");

    // Parquet, one location, read back with the parquet reader.
    let path = format!("/v1/exports/sales?from=2026-03-01&to=2026-03-31&format=parquet&location_id={}", north.1);
    let response = app.client.get(app.url(&path)).bearer_auth(&app.admin_key).send().await.expect("parquet");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/vnd.apache.parquet");
    let bytes = response.bytes().await.expect("body");
    let reader = SerializedFileReader::new(bytes).expect("a parquet file");
    let mut nets = Vec::new();
    for row in reader.get_row_iter(None).expect("rows") {
        let row = row.expect("row");
        for (name, field) in row.get_column_iter() {
            if name == "location_id" {
                assert_eq!(field, &Field::Str(north.1.to_string()));
            }
            if name == "net"
                && let Field::Decimal(decimal) = field
            {
                let units = i64::from_be_bytes(decimal.data().try_into().expect("INT64"));
                nets.push(Decimal::new(units, u32::try_from(decimal.scale()).expect("scale")));
            }
        }
    }
    nets.sort();
    assert_eq!(nets, vec![Decimal::new(2000, 2), Decimal::new(4000, 2)]);

    // A franchisee cannot export another franchisee's shop.
    let franchisee =
        app.mint_key(Role::FranchiseeAdmin, TenantScope::franchisee(app.network_id.clone(), south.0.clone())).await;
    let (status, _) = app.send(Method::GET, &path, &franchisee, None).await;
    assert_eq!(status, 404);

    // The KPI export matches the JSON report.
    let (_, report) =
        app.send(Method::GET, "/v1/kpis?from=2026-03-01&to=2026-03-31&group_by=location", &app.admin_key, None).await;
    let response = app
        .client
        .get(app.url("/v1/exports/kpis?from=2026-03-01&to=2026-03-31&group_by=location&format=csv"))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .expect("kpi export");
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("body");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "header, two shops, total: {text}");
    assert!(
        lines[0].starts_with("key,label,currency,gross_sales,net_sales") && lines[0].contains("net_sales_percentile")
    );
    let total = lines.iter().find(|line| line.starts_with("total,")).expect("a total row");
    assert!(
        total.contains(&format!(",USD,{0},{0},", report["totals"]["gross_sales"].as_str().expect("gross"))),
        "{total}"
    );
}
