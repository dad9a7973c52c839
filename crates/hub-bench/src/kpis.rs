//! The `kpis` scenario: a network of 500 locations with two years of sales, appointments and
//! shifts, written through the store as the sync engine writes them, folded into the KPI rollups
//! by the rollup job's own code path, then a mix of KPI queries (groupings, ranges, scopes)
//! timed through `Analytics::kpis` and through HTTP `GET /v1/kpis`.
//!
//! Query cost depends on how many buckets a query reads (locations × days, or × months), not on
//! how many sales the days hold: the volume per day is a flag, kept small by default so that
//! generation fits a 2-core machine. The baseline is the same report for one shop computed from
//! its raw records (what every query would cost, per shop, without rollups).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Days, NaiveDate, TimeZone as _, Utc};
use clap::Args;
use hdrhistogram::Histogram;
use hub_analytics::{Analytics, GroupBy, KpiQuery};
use hub_core::access::{NewApiKey, Role, TenantScope};
use hub_core::id::{ConnectionId, FranchiseeId, LocationId, NetworkId};
use hub_core::page::PageRequest;
use hub_core::records::{Appointment, AppointmentStatus, Model, RecordData, Sale, SourceRecord, SyncMode, Timecard};
use hub_core::tenancy::{Currency, Name, NewFranchisee, NewLocation, NewTerritory, TimeZone};
use hub_store::{ChangeContext, NewSyncRun, RecordFilter, RecordUpsert, Store, SyncCheckpoint, SyncPage};
use hub_vault::{ApiKeyHasher, Keyring};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::server::RunningServer;
use crate::setup::{BackendChoice, BenchStore, DatabaseArgs};

const ZONES: [&str; 4] = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"];
const FRANCHISEES: usize = 25;
const TERRITORIES: usize = 10;
/// Records per page write (the store takes at most 5 000).
const PAGE_RECORDS: usize = 4_000;

/// Flags of `hub-bench kpis`.
#[derive(Debug, Args)]
pub struct KpiArgs {
    #[arg(long, value_enum, default_value_t = BackendChoice::Sqlite)]
    backend: BackendChoice,
    /// Print one JSON object on stdout instead of a summary.
    #[arg(long)]
    json: bool,
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=5_000))]
    locations: u32,
    /// Days of history, ending yesterday.
    #[arg(long, default_value_t = 730, value_parser = clap::value_parser!(u32).range(1..=3_000))]
    days: u32,
    /// Sales per location per day (each day also gets one appointment and one shift).
    #[arg(long = "sales-per-day", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=100))]
    sales_per_day: u32,
    /// Rounds of the query mix (each round runs every query once in-process and once over HTTP).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    rounds: u32,
    #[command(flatten)]
    database: DatabaseArgs,
}

/// The figures of one run; field names are what outside checks read from `--json`.
#[derive(Debug, Serialize)]
struct KpiFigures {
    backend: &'static str,
    locations: u32,
    days: u32,
    sales_per_location_day: u32,
    sales: u64,
    records: u64,
    generate_s: f64,
    rollup_s: f64,
    rollup_records_per_s: f64,
    /// Queries through `Analytics::kpis` (the mix below, `rounds` times).
    queries: u64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// The same mix through `GET /v1/kpis` on loopback (auth, JSON and HTTP included).
    http_queries: u64,
    http_p50_ms: f64,
    http_p99_ms: f64,
    http_max_ms: f64,
    /// p99 per query of the mix (in-process).
    p99_ms_by_query: Vec<(String, f64)>,
    /// Baseline: one shop's totals over the whole history computed from its raw records.
    baseline_one_shop_from_records_ms: f64,
    /// The same shop's report from the rollups.
    one_shop_from_rollups_ms: f64,
}

struct Network {
    id: NetworkId,
    franchisees: Vec<FranchiseeId>,
    locations: Vec<(FranchiseeId, LocationId, TimeZone)>,
    bearer: SecretString,
    keyring: Keyring,
}

/// Runs the scenario and prints its figures.
pub async fn run(args: KpiArgs) -> anyhow::Result<()> {
    let bench = BenchStore::open(args.backend, &args.database).await?;
    let store = Arc::clone(&bench.store);
    let network = seed(&*store, args.locations).await?;
    let last = Utc::now().date_naive() - Days::new(1);
    let first = last - Days::new(u64::from(args.days) - 1);

    let started = Instant::now();
    let (sales, records) = generate(&*store, &network, first, args.days, args.sales_per_day).await?;
    let generate_s = started.elapsed().as_secs_f64();
    eprintln!("generated {records} records ({sales} sales) in {generate_s:.1} s");

    let analytics = Analytics::new(Arc::clone(&store));
    let started = Instant::now();
    let progress = analytics.roll_up(&network.id).await.context("the rollup job failed")?;
    let rollup_s = started.elapsed().as_secs_f64();
    eprintln!("rolled up {} changes ({} day buckets) in {rollup_s:.1} s", progress.changes, progress.days);

    let mix = query_mix(&network, first, last);
    let server = RunningServer::start(Arc::clone(&store), &network.keyring).await?;
    let measured = measure(&analytics, &network, &mix, args.rounds, server.addr).await;
    let stopped = server.stop().await;
    let (in_process, http, by_query) = measured?;
    stopped?;

    let (baseline_ms, rollup_ms) = baseline(&analytics, &*store, &network, first, last).await?;
    let figures = KpiFigures {
        backend: hub_store::Backend::from(args.backend).as_str(),
        locations: args.locations,
        days: args.days,
        sales_per_location_day: args.sales_per_day,
        sales,
        records,
        generate_s: round(generate_s, 1),
        rollup_s: round(rollup_s, 1),
        rollup_records_per_s: round(records as f64 / rollup_s.max(0.001), 0),
        queries: in_process.len(),
        p50_ms: ms(&in_process, 0.5),
        p99_ms: ms(&in_process, 0.99),
        max_ms: round(in_process.max() as f64 / 1_000.0, 2),
        http_queries: http.len(),
        http_p50_ms: ms(&http, 0.5),
        http_p99_ms: ms(&http, 0.99),
        http_max_ms: round(http.max() as f64 / 1_000.0, 2),
        p99_ms_by_query: by_query,
        baseline_one_shop_from_records_ms: round(baseline_ms, 2),
        one_shop_from_rollups_ms: round(rollup_ms, 2),
    };
    if args.json {
        println!("{}", serde_json::to_string(&figures)?);
    } else {
        println!("{}", serde_json::to_string_pretty(&figures)?);
    }
    Ok(())
}

fn ms(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    round(histogram.value_at_quantile(quantile) as f64 / 1_000.0, 2)
}

fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

/// A network with franchisees, territories and locations in four US time zones, and an admin key.
async fn seed(store: &dyn Store, locations: u32) -> anyhow::Result<Network> {
    let ctx = ChangeContext::cli();
    let usd = Currency::parse("USD")?;
    let network = store.create_network(&ctx, Name::parse("KPI Bench Network")?, usd).await?;
    let scope = TenantScope::network(network.id.clone());
    let mut franchisees = Vec::new();
    for number in 1..=FRANCHISEES {
        let new = NewFranchisee { name: Name::parse(&format!("Franchisee {number:02}"))?, currency: usd };
        franchisees.push(store.create_franchisee(&scope, &ctx, new).await?.id);
    }
    let mut territories = Vec::new();
    for number in 1..=TERRITORIES {
        let new = NewTerritory { name: Name::parse(&format!("Territory {number:02}"))?, parent_id: None };
        territories.push(store.create_territory(&scope, &ctx, new).await?.id);
    }
    let mut shops = Vec::new();
    for number in 0..locations as usize {
        let franchisee = franchisees[number % FRANCHISEES].clone();
        let time_zone = TimeZone::parse(ZONES[number % ZONES.len()])?;
        let new = NewLocation {
            franchisee_id: franchisee.clone(),
            name: Name::parse(&format!("Shop {:04}", number + 1))?,
            time_zone,
            territory_id: Some(territories[number % TERRITORIES].clone()),
        };
        let location = store.create_location(&scope, &ctx, new).await?;
        shops.push((franchisee, location.id, time_zone));
    }
    let keyring = Keyring::generate();
    let generated = ApiKeyHasher::new(&keyring).generate();
    let new_key = NewApiKey {
        role: Role::NetworkAdmin,
        scope: scope.clone(),
        name: Some("bench".into()),
        display_prefix: generated.display_prefix.clone(),
        secret_hash: generated.secret_hash.clone(),
        hash_key_id: generated.hash_key_id.clone(),
    };
    store.create_api_key(&scope, &ctx, new_key).await?;
    Ok(Network { id: network.id, franchisees, locations: shops, bearer: generated.secret, keyring })
}

/// A small deterministic generator (xorshift), so runs are comparable.
struct Dice(u64);

impl Dice {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

fn local(zone: &TimeZone, day: NaiveDate, minute_of_day: u32) -> DateTime<Utc> {
    let naive = day.and_hms_opt(minute_of_day / 60, minute_of_day % 60, 0).expect("a time of day");
    zone.tz()
        .from_local_datetime(&naive)
        .earliest()
        .map_or_else(|| Utc.from_utc_datetime(&naive), |at| at.with_timezone(&Utc))
}

fn upsert(external_id: String, franchisee: &FranchiseeId, location: &LocationId, data: RecordData) -> RecordUpsert {
    let json = data.to_json();
    let source = SourceRecord {
        external_id: external_id.clone(),
        remote_updated_at: None,
        provider_location_id: None,
        data: data.clone(),
    };
    RecordUpsert {
        external_id,
        franchisee_id: Some(franchisee.clone()),
        location_id: Some(location.clone()),
        provider_location_id: None,
        occurred_at: data.occurred_at(),
        remote_updated_at: None,
        content_hash: source.content_hash(&json),
        data: json,
    }
}

/// Writes every location's history as one sync run per location, a few thousand records a page;
/// returns (sales, records).
async fn generate(
    store: &dyn Store,
    network: &Network,
    first: NaiveDate,
    days: u32,
    sales_per_day: u32,
) -> anyhow::Result<(u64, u64)> {
    let usd = Currency::parse("USD")?;
    let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
    let (mut sales, mut records) = (0u64, 0u64);
    for (index, (franchisee, location, zone)) in network.locations.iter().enumerate() {
        let connection = ConnectionId::new();
        let (run, _) = store
            .create_sync_run(NewSyncRun {
                network_id: network.id.clone(),
                connection_id: connection.clone(),
                franchisee_id: Some(franchisee.clone()),
                location_id: Some(location.clone()),
                mode: SyncMode::Full,
                trigger: "bench".into(),
            })
            .await?;
        store.start_sync_run(&network.id, &run.id).await?;
        let mut pages: Vec<(Model, Vec<RecordUpsert>)> = Vec::new();
        let (mut sale_rows, mut other_rows) = (Vec::new(), Vec::new());
        let mut timecards = Vec::new();
        for offset in 0..days {
            let day = first + Days::new(u64::from(offset));
            for number in 0..sales_per_day {
                let gross = Decimal::new(2_000 + (dice.next(60) as i64) * 100, 2);
                let tax = (gross * Decimal::new(8, 2)).round_dp(2);
                let tip = Decimal::new(dice.next(800) as i64, 2);
                let total = gross + tax + tip;
                let refunded = Decimal::ZERO;
                let sale = Sale {
                    occurred_at: local(zone, day, 9 * 60 + dice.next(11 * 60) as u32),
                    currency: usd,
                    gross,
                    discount: Decimal::ZERO,
                    service_charges: Decimal::ZERO,
                    tax,
                    tip,
                    total,
                    refunded,
                    net: total - tax - tip - refunded,
                    customer_external_id: Some(format!("C{}", dice.next(400))),
                    lines: vec![],
                    tenders: vec![],
                    refunds: vec![],
                };
                sale_rows.push(upsert(format!("S{offset}-{number}"), franchisee, location, RecordData::Sale(sale)));
            }
            let status = if dice.next(10) == 0 { AppointmentStatus::NoShow } else { AppointmentStatus::Booked };
            let appointment = Appointment {
                start_at: local(zone, day, 10 * 60 + dice.next(8 * 60) as u32),
                duration_minutes: 30 + 15 * dice.next(4) as u32,
                status,
                customer_external_id: Some(format!("C{}", dice.next(400))),
                staff_external_id: Some("TM1".into()),
                services: vec!["Cut".into()],
            };
            other_rows.push(upsert(format!("A{offset}"), franchisee, location, RecordData::Appointment(appointment)));
            let start = local(zone, day, 9 * 60);
            let timecard = Timecard {
                staff_external_id: Some("TM1".into()),
                start_at: start,
                end_at: Some(start + chrono::TimeDelta::hours(8)),
                break_minutes: 30,
                hourly_rate: None,
                currency: None,
                declared_cash_tips: None,
            };
            timecards.push(upsert(format!("T{offset}"), franchisee, location, RecordData::Timecard(timecard)));
        }
        sales += sale_rows.len() as u64;
        for (model, rows) in [(Model::Sale, sale_rows), (Model::Appointment, other_rows), (Model::Timecard, timecards)]
        {
            let mut rows = rows;
            while !rows.is_empty() {
                let rest = rows.split_off(rows.len().min(PAGE_RECORDS));
                pages.push((model, std::mem::replace(&mut rows, rest)));
            }
        }
        for (model, upserts) in pages {
            records += upserts.len() as u64;
            store
                .apply_sync_page(SyncPage {
                    network_id: network.id.clone(),
                    run_id: run.id.clone(),
                    connection_id: connection.clone(),
                    provider: "square".into(),
                    model,
                    mark_seen: false,
                    fetched: upserts.len() as u64,
                    pages: 1,
                    upserts,
                    deletes: vec![],
                    checkpoint: SyncCheckpoint::default(),
                })
                .await?;
        }
        store.finish_sync_run(&network.id, &run.id, None).await?;
        if (index + 1) % 50 == 0 {
            eprintln!("  {} of {} locations written", index + 1, network.locations.len());
        }
    }
    Ok((sales, records))
}

struct MixQuery {
    name: String,
    scope: TenantScope,
    query: KpiQuery,
    /// For HTTP: the role's key is minted per scope.
    key: Option<String>,
}

fn query_mix(network: &Network, first: NaiveDate, last: NaiveDate) -> Vec<MixQuery> {
    let all = TenantScope::network(network.id.clone());
    let franchisee = TenantScope::franchisee(network.id.clone(), network.franchisees[0].clone());
    let (owner, shop, _) = &network.locations[0];
    let one_shop = TenantScope::location(network.id.clone(), owner.clone(), shop.clone());
    let back = |days: u64| (last - Days::new(days - 1)).max(first);
    let q = |from: NaiveDate, group_by: GroupBy| KpiQuery { from, to: last, group_by };
    [
        ("network month 2y", all.clone(), q(first, GroupBy::Month)),
        ("network location 2y", all.clone(), q(first, GroupBy::Location)),
        ("network location 30d", all.clone(), q(back(30), GroupBy::Location)),
        ("network franchisee 1y", all.clone(), q(back(365), GroupBy::Franchisee)),
        ("network territory 90d", all.clone(), q(back(90), GroupBy::Territory)),
        ("network week 1y", all.clone(), q(back(371), GroupBy::Week)),
        ("network day 92d", all.clone(), q(back(92), GroupBy::Day)),
        ("franchisee day 30d", franchisee.clone(), q(back(30), GroupBy::Day)),
        ("franchisee location 2y", franchisee, q(first, GroupBy::Location)),
        ("location month 2y", one_shop, q(first, GroupBy::Month)),
    ]
    .into_iter()
    .map(|(name, scope, query)| MixQuery { name: name.into(), scope, query, key: None })
    .collect()
}

async fn mint(
    store: &dyn Store,
    keyring: &Keyring,
    network: &NetworkId,
    scope: &TenantScope,
) -> anyhow::Result<String> {
    let role = match scope.kind() {
        hub_core::access::ScopeKind::Network => Role::NetworkAdmin,
        hub_core::access::ScopeKind::Franchisee => Role::FranchiseeAdmin,
        hub_core::access::ScopeKind::Location => Role::LocationManager,
    };
    let generated = ApiKeyHasher::new(keyring).generate();
    let new_key = NewApiKey {
        role,
        scope: scope.clone(),
        name: None,
        display_prefix: generated.display_prefix.clone(),
        secret_hash: generated.secret_hash.clone(),
        hash_key_id: generated.hash_key_id.clone(),
    };
    store.create_api_key(&TenantScope::network(network.clone()), &ChangeContext::cli(), new_key).await?;
    Ok(generated.secret.expose_secret().to_owned())
}

type Measured = (Histogram<u64>, Histogram<u64>, Vec<(String, f64)>);

async fn measure(
    analytics: &Analytics,
    network: &Network,
    mix: &[MixQuery],
    rounds: u32,
    addr: std::net::SocketAddr,
) -> anyhow::Result<Measured> {
    anyhow::ensure!(addr.ip().is_loopback(), "benchmarks only send traffic to loopback");
    let mut mix: Vec<MixQuery> = mix
        .iter()
        .map(|m| MixQuery { name: m.name.clone(), scope: m.scope.clone(), query: m.query, key: None })
        .collect();
    for entry in &mut mix {
        entry.key = Some(if entry.scope.kind() == hub_core::access::ScopeKind::Network {
            network.bearer.expose_secret().to_owned()
        } else {
            mint(&**analytics.store(), &network.keyring, &network.id, &entry.scope).await?
        });
    }
    let client = reqwest::Client::new();
    let new_histogram = || Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds");
    let (mut in_process, mut http) = (new_histogram(), new_histogram());
    let mut per_query: Vec<Histogram<u64>> = mix.iter().map(|_| new_histogram()).collect();
    // One warm-up round of each, not counted.
    for round in 0..=rounds {
        for (index, entry) in mix.iter().enumerate() {
            let started = Instant::now();
            let report = analytics.kpis(&entry.scope, &entry.query).await.with_context(|| entry.name.clone())?;
            let elapsed = micros(started.elapsed());
            anyhow::ensure!(report.totals.transactions > 0, "{}: the report is empty", entry.name);
            let url = format!(
                "http://{addr}/v1/kpis?from={}&to={}&group_by={}",
                entry.query.from,
                entry.query.to,
                entry.query.group_by.as_str()
            );
            let started = Instant::now();
            let response = client.get(&url).bearer_auth(entry.key.as_deref().unwrap_or_default()).send().await?;
            let status = response.status();
            let body = response.bytes().await?;
            let http_elapsed = micros(started.elapsed());
            anyhow::ensure!(status.is_success(), "{url} answered {status}: {}", String::from_utf8_lossy(&body));
            if round > 0 {
                in_process.record(elapsed)?;
                per_query[index].record(elapsed)?;
                http.record(http_elapsed)?;
            }
        }
    }
    let by_query =
        mix.iter().zip(&per_query).map(|(entry, histogram)| (entry.name.clone(), ms(histogram, 0.99))).collect();
    Ok((in_process, http, by_query))
}

fn micros(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX).max(1)
}

/// One shop's whole-history totals: from its raw records (every sale read and summed), then from
/// the rollups; median of three runs each, in ms.
async fn baseline(
    analytics: &Analytics,
    store: &dyn Store,
    network: &Network,
    first: NaiveDate,
    last: NaiveDate,
) -> anyhow::Result<(f64, f64)> {
    let (owner, shop, zone) = &network.locations[0];
    let scope = TenantScope::location(network.id.clone(), owner.clone(), shop.clone());
    let mut direct = Vec::new();
    let mut expected = Decimal::ZERO;
    for _ in 0..3 {
        let started = Instant::now();
        let mut net = Decimal::ZERO;
        let mut page = PageRequest { limit: hub_core::page::MAX_LIMIT, after: None };
        let filter = RecordFilter { location_id: Some(shop.clone()), ..RecordFilter::model(Model::Sale) };
        loop {
            let found = store.list_records(&scope, &filter, &page).await?;
            for record in &found.items {
                let sale: Sale = serde_json::from_value(record.data.clone())?;
                let day = sale.occurred_at.with_timezone(&zone.tz()).date_naive();
                if day >= first && day <= last {
                    net += sale.net;
                }
            }
            match found.next_cursor {
                Some(cursor) => page.after = Some(hub_core::page::decode_cursor(&cursor)?),
                None => break,
            }
        }
        direct.push(started.elapsed().as_secs_f64() * 1_000.0);
        expected = net;
    }
    let mut rolled = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let query = KpiQuery { from: first, to: last, group_by: GroupBy::Month };
        let report = analytics.kpis(&scope, &query).await?;
        rolled.push(started.elapsed().as_secs_f64() * 1_000.0);
        anyhow::ensure!(
            report.totals.net_sales == expected,
            "the rollups say {} but the records say {expected}",
            report.totals.net_sales
        );
    }
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    Ok((median(direct), median(rolled)))
}
