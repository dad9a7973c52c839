//! `hub-bench sync`: records per second of an initial (full) sync of emulated Square shops
//! through the whole path — consent, sync jobs on the queue, the resilient client with Square's
//! rate limits, the connector, page writes with their change-log entries — beside the raw batched
//! insert rate of the same rows into a table of the same shape on the same database.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use clap::Args;
use hub_core::access::TenantScope;
use hub_core::id::ConnectionId;
use hub_core::page::PageRequest;
use hub_core::records::SyncMode;
use hub_emulators::{EmulatorState, SquareLocationSpec, SquareMerchantConfig};
use hub_store::{RecordFilter, Store, SyncRunStatus};
use hub_sync::SyncTrigger;
use secrecy::ExposeSecret;
use serde_json::json;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio_util::sync::CancellationToken;

use crate::setup::{BackendChoice, BenchStore, DatabaseArgs, seed_tenant};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The database the hub stores records in.
    #[arg(long, value_enum, default_value_t = BackendChoice::Sqlite)]
    backend: BackendChoice,
    /// Print one JSON object on stdout instead of a table.
    #[arg(long)]
    json: bool,
    /// Shops, each its own Square seller and connection, synced at once.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=100))]
    shops: u32,
    /// Days of history per shop.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=730))]
    days: u32,
    /// Keep the catalog's rate limit for Square (an assumed 10 calls per second per connection,
    /// since Square publishes none). By default the benchmark lifts it, so the figure measures the
    /// hub rather than a guessed quota.
    #[arg(long)]
    catalog_rate_limits: bool,
    #[command(flatten)]
    database: DatabaseArgs,
}

/// Calls per second per connection when the catalog's limit is lifted: far above what one node
/// can send.
const LIFTED_RATE: u32 = 100_000;

/// Rows per statement of the baseline (the same as the largest Square page, orders).
const BASELINE_BATCH: usize = 1_000;

pub async fn run(args: SyncArgs) -> anyhow::Result<()> {
    let bench = BenchStore::open(args.backend, &args.database).await?;
    let store = Arc::clone(&bench.store);
    let shops = args.shops as usize;
    let tenant = seed_tenant(&*store, shops).await?;
    let emulators = hub_emulators::start("127.0.0.1:0".parse().context("address")?, EmulatorState::new())
        .await
        .context("emulators")?;
    let end_date = Utc::now().date_naive();
    for shop in 0..shops {
        let config = SquareMerchantConfig {
            merchant_id: format!("MLBENCH{shop:04}"),
            business_name: Some(format!("Bench Shop {shop}")),
            locations: vec![SquareLocationSpec::new(format!("Bench Shop {shop}"), "America/Chicago", "USD")],
            days: args.days,
            end_date,
            seed: 500 + shop as u64,
            orders_per_day: 30..=50,
        };
        emulators.state().square().configure_merchant(&config).map_err(|error| anyhow::anyhow!("{error}"))?;
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let mut settings = hub_api::ApiSettings::new(base.clone());
    settings.allow_private_targets = true;
    settings.providers.emulator_base = Some(emulators.base_url());
    settings.providers.default_environment = hub_api::Environment::Emulator;
    if !args.catalog_rate_limits {
        let lifted = hub_api::ProviderOverride { requests_per_second: Some(LIFTED_RATE), ..Default::default() };
        settings.providers.overrides.insert("square".into(), lifted);
    }
    let state = hub_api::AppState::new(Arc::clone(&store), &tenant.keyring, settings);
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(hub_api::serve(listener, hub_api::app(state.clone()), shutdown.clone()));
    let connections = connect(&*store, &base, tenant.bearer.expose_secret()).await?;

    let registry = hub_api::background::registry(&state, Duration::from_secs(300))?;
    let worker = hub_jobs::Worker::new(state.jobs.clone(), registry, hub_jobs::WorkerConfig::default())?;
    let worker_stop = CancellationToken::new();
    let worker_task = tokio::spawn({
        let stop = worker_stop.clone();
        async move { worker.run(stop).await }
    });
    let scope = TenantScope::network(connections.0.clone());
    let started = Instant::now();
    let mut runs = Vec::new();
    for connection in &connections.1 {
        let connection = store.get_connection(&scope, connection).await?;
        runs.push(state.sync.request(&connection, SyncMode::Full, SyncTrigger::Cli).await?.id);
    }
    let mut records = 0;
    for run in &runs {
        loop {
            let current = store.get_sync_run(&scope, run).await?;
            match current.status {
                SyncRunStatus::Succeeded => {
                    records += current.fetched;
                    break;
                }
                SyncRunStatus::Failed => bail!("sync {run} failed: {:?}", current.errors),
                _ => tokio::time::sleep(Duration::from_millis(25)).await,
            }
        }
    }
    let elapsed = started.elapsed();
    worker_stop.cancel();
    let _ = worker_task.await;
    shutdown.cancel();
    let _ = server.await;

    let payloads = stored_payloads(&*store, &scope).await?;
    let baseline = raw_insert_rate(&bench.database_url(), &payloads).await?;
    let records_per_s = records as f64 / elapsed.as_secs_f64();
    let output = json!({
        "benchmark": "sync",
        "backend": store.backend().as_str(),
        "shops": shops,
        "days": args.days,
        "rate_limit": if args.catalog_rate_limits { "catalog" } else { "lifted" },
        "records": records,
        "seconds": round(elapsed.as_secs_f64()),
        "records_per_s": round(records_per_s),
        "baseline_rows": payloads.len(),
        "baseline_per_s": round(baseline),
        "ratio": round(records_per_s / baseline),
    });
    if args.json {
        println!("{output}");
    } else {
        println!("initial sync of {shops} shops × {} days on {}", args.days, store.backend().as_str());
        println!("  sync:     {records} records in {:.2} s = {records_per_s:.0} records/s", elapsed.as_secs_f64());
        println!("  baseline: {} rows by raw batched insert = {baseline:.0} rows/s", payloads.len());
        println!("  ratio:    {:.2}", records_per_s / baseline);
    }
    emulators.stop().await?;
    Ok(())
}

fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// Connects every location of the seeded network to its Square seller through the consent flow.
async fn connect(
    store: &dyn Store,
    base: &str,
    key: &str,
) -> anyhow::Result<(hub_core::id::NetworkId, Vec<ConnectionId>)> {
    let network = store.list_networks().await?.into_iter().next().context("the seeded network")?;
    let locations = store
        .list_locations(&TenantScope::network(network.id.clone()), &PageRequest { limit: 500, after: None })
        .await?;
    let http = reqwest::Client::new();
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let mut connections = Vec::new();
    for (shop, location) in locations.items.iter().enumerate() {
        let created: serde_json::Value = http
            .post(format!("{base}/v1/connections"))
            .bearer_auth(key)
            .json(&json!({"provider": "square", "location_id": location.id}))
            .send()
            .await?
            .json()
            .await?;
        let mut authorize = reqwest::Url::parse(created["authorize_url"].as_str().context("authorize_url")?)?;
        authorize.query_pairs_mut().append_pair("emulator_account", &format!("MLBENCH{shop:04}"));
        let consent = browser.get(authorize).send().await?;
        let callback = consent.headers().get("location").and_then(|v| v.to_str().ok()).context("consent redirect")?;
        let page = browser.get(callback).send().await?;
        anyhow::ensure!(page.status().is_success(), "the OAuth callback answered {}", page.status());
        connections.push(ConnectionId::parse(created["id"].as_str().context("id")?)?);
    }
    Ok((network.id, connections))
}

/// What the sync stored, as rows of the baseline: (model, location, data), every model.
async fn stored_payloads(store: &dyn Store, scope: &TenantScope) -> anyhow::Result<Vec<(String, String, String)>> {
    let mut rows = Vec::new();
    for model in hub_core::records::Model::STORED {
        let mut page = PageRequest { limit: 500, after: None };
        loop {
            let listed = store.list_records(scope, &RecordFilter::model(model), &page).await?;
            for record in listed.items {
                let location = record.location_id.map(|id| id.to_string()).unwrap_or_default();
                rows.push((model.as_str().to_owned(), location, record.data.to_string()));
            }
            match listed.next_cursor {
                Some(cursor) => page.after = Some(hub_core::page::decode_cursor(&cursor)?),
                None => break,
            }
        }
    }
    Ok(rows)
}

/// The records table's columns that carry data, and all of its keys and indexes.
macro_rules! raw_table {
    ($instant:literal) => {
        concat!(
            "CREATE TABLE bench_raw_records (network_id TEXT NOT NULL, id TEXT NOT NULL, model TEXT NOT NULL, \
             connection_id TEXT NOT NULL, external_id TEXT NOT NULL, franchisee_id TEXT, location_id TEXT, \
             occurred_at ",
            $instant,
            ", data TEXT NOT NULL, content_hash TEXT NOT NULL, PRIMARY KEY (network_id, id))"
        )
    };
}
const RAW_INDEXES: [&str; 5] = [
    "CREATE UNIQUE INDEX bench_raw_source ON bench_raw_records (network_id, connection_id, model, external_id)",
    "CREATE INDEX bench_raw_model ON bench_raw_records (network_id, model, id)",
    "CREATE INDEX bench_raw_list ON bench_raw_records (network_id, model, location_id, id)",
    "CREATE INDEX bench_raw_franchisee ON bench_raw_records (network_id, model, franchisee_id, id)",
    "CREATE INDEX bench_raw_occurred ON bench_raw_records (network_id, model, location_id, occurred_at)",
];

/// Rows per second of plain batched inserts of `rows` (one JSON-array statement per batch, one
/// transaction each) into a table with the records table's keys, on the database at `url`.
async fn raw_insert_rate(url: &str, rows: &[(String, String, String)]) -> anyhow::Result<f64> {
    let batches: Vec<String> = rows
        .chunks(BASELINE_BATCH)
        .enumerate()
        .map(|(batch, chunk)| {
            let values: Vec<serde_json::Value> = chunk
                .iter()
                .enumerate()
                .map(|(row, (model, location, data))| {
                    let id = format!("raw-{batch}-{row}");
                    json!([id, model, id, location, data, format!("{:016x}", batch * BASELINE_BATCH + row)])
                })
                .collect();
            serde_json::Value::Array(values).to_string()
        })
        .collect();
    if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
        sqlx::query(raw_table!("TEXT")).execute(&pool).await?;
        for index in RAW_INDEXES {
            sqlx::query(index).execute(&pool).await?;
        }
        let started = Instant::now();
        for batch in &batches {
            sqlx::query(
                "INSERT INTO bench_raw_records (network_id, id, model, connection_id, external_id, franchisee_id, \
                 location_id, occurred_at, data, content_hash) SELECT 'net', v.value ->> 0, v.value ->> 1, 'conn', \
                 v.value ->> 2, 'fr', v.value ->> 3, $2, v.value ->> 4, v.value ->> 5 FROM json_each($1) AS v",
            )
            .bind(batch)
            .bind(Utc::now())
            .execute(&pool)
            .await?;
        }
        Ok(rows.len() as f64 / started.elapsed().as_secs_f64())
    } else {
        let pool = PgPoolOptions::new().max_connections(2).connect(url).await?;
        sqlx::query(raw_table!("TIMESTAMPTZ")).execute(&pool).await?;
        for index in RAW_INDEXES {
            sqlx::query(index).execute(&pool).await?;
        }
        let started = Instant::now();
        for batch in &batches {
            sqlx::query(
                "INSERT INTO bench_raw_records (network_id, id, model, connection_id, external_id, franchisee_id, \
                 location_id, occurred_at, data, content_hash) SELECT 'net', v.value ->> 0, v.value ->> 1, 'conn', \
                 v.value ->> 2, 'fr', v.value ->> 3, $2, v.value ->> 4, v.value ->> 5 \
                 FROM jsonb_array_elements(CAST($1 AS jsonb)) AS v(value)",
            )
            .bind(batch)
            .bind(Utc::now())
            .execute(&pool)
            .await?;
        }
        Ok(rows.len() as f64 / started.elapsed().as_secs_f64())
    }
}
