//! `hub demo`: a whole franchise network on the embedded store with emulated providers.
//!
//! It creates the demo network (three franchisees, twelve shops in three territories) unless an
//! earlier run did, starts the provider emulators on loopback with each shop's Square history,
//! serves the hub, connects every shop to Square through the real OAuth consent flow, runs the
//! initial sync (full the first time, incremental after), then keeps serving until Ctrl-C, with
//! the shops taking new sales now and then. `--no-serve` stops after the sync and prints one JSON
//! object instead.

mod client;
mod plan;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use clap::Args;
use hub_core::access::{NewApiKey, Role, TenantScope};
use hub_core::connection::{Connection, ConnectionStatus};
use hub_core::id::{ConnectionId, NetworkId};
use hub_core::page::PageRequest;
use hub_emulators::{SquareLocationSpec, SquareMerchantConfig};
use hub_store::{ChangeContext, Store};
use hub_vault::ApiKeyHasher;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use secrecy::ExposeSecret;
use tokio_util::sync::CancellationToken;

use crate::Common;
use crate::config::Config;
use client::HubClient;
use plan::DemoShop;

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    common: Common,
    /// Address the hub listens on (default 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Shops in the demo network (used when the network is first created).
    #[arg(long, value_name = "N", default_value_t = 12, value_parser = clap::value_parser!(u16).range(1..=300))]
    locations: u16,
    /// Days of sales history before today (used when the network is first created).
    #[arg(long, value_name = "D", default_value_t = 90, value_parser = clap::value_parser!(u16).range(1..=730))]
    days: u16,
    /// Stop after the initial sync and print one JSON object (`records`, `api_key`, `network_id`).
    #[arg(long)]
    no_serve: bool,
}

/// The name of the keys the demo makes: each run revokes the previous run's key.
const DEMO_KEY_NAME: &str = "hub demo";

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let mut common = args.common.clone();
    if common.data_dir.is_none() && std::env::var_os("HUB_DATA_DIR").is_none() {
        common.data_dir = Some("hub-demo".into());
    }
    let config = Config::load(&common, args.listen)?;
    crate::telemetry::init_with_default(&config, "warn");
    let progress = MultiProgress::new();
    let keyring = config.keyring(true)?;
    let store = config.open_store().await?;
    store.migrate().await.context("migrating the database")?;

    let stage = spinner(&progress, "[1/4] Network");
    let network = plan::find_or_create(&*store, usize::from(args.locations)).await?;
    let key = admin_key(&*store, &ApiKeyHasher::new(&keyring), &network.network_id).await?;
    stage.finish_with_message(format!(
        "{} ({} shops, {})",
        plan::NETWORK_NAME,
        network.shops.len(),
        if network.created { "created" } else { "found from an earlier run" }
    ));

    let stage = spinner(&progress, "[2/4] Emulators");
    let emulators = hub_emulators::start(SocketAddr::from(([127, 0, 0, 1], 0)), hub_emulators::EmulatorState::new())
        .await
        .context("cannot start the emulators")?;
    let history_start = history_start(&*store, &network.network_id, args.days).await?;
    for shop in &network.shops {
        emulators
            .state()
            .square()
            .configure_merchant(&merchant_config(shop, history_start))
            .with_context(|| format!("configuring the emulated Square seller of {}", shop.location.name.as_str()))?;
    }
    stage.finish_with_message(format!("providers emulated on {}", emulators.base_url()));

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    let public_url = config.public_url_for(address);
    let mut settings = hub_api::ApiSettings::new(public_url.clone());
    settings.keyring_path = config.master_key.is_none().then(|| config.master_key_path());
    settings.allow_private_targets = true;
    settings.providers.emulator_base = Some(emulators.base_url());
    settings.providers.default_environment = hub_api::Environment::Emulator;
    settings.sync.interval = Duration::from_secs(60);
    let state = hub_api::AppState::new(store.clone(), &keyring, settings);
    let shutdown = CancellationToken::new();
    let margin = Duration::from_secs(config.refresh_margin_seconds);
    let background = crate::serve::start_background(&state, margin, config.worker(), shutdown.clone()).await?;
    let analytics = state.analytics.clone();
    let server = tokio::spawn(hub_api::serve(listener, hub_api::app(state), shutdown.clone()));
    let hub = HubClient::new(public_url.clone(), key.clone())?;

    let outcome = async {
        let connections = connect_all(&progress, &*store, &hub, &network.network_id, &network.shops).await?;
        sync_all(&progress, &hub, &connections, network.created).await?;
        // The `analytics.rollup` schedule keeps KPIs current every minute; fold the first sync
        // in now so the KPIs are there as soon as the demo serves.
        let rollup = spinner(&progress, "KPI rollups");
        let folded = analytics.roll_up(&network.network_id).await?;
        rollup.finish_with_message(format!("{} changes folded in", folded.changes));
        anyhow::Ok(())
    }
    .await;
    if let Err(error) = outcome {
        shutdown.cancel();
        return Err(error);
    }

    let scope = TenantScope::network(network.network_id.clone());
    if args.no_serve {
        let counts = store.count_records(&scope).await?;
        let records: BTreeMap<&str, u64> =
            counts.into_iter().map(|(model, count)| (model.collection(), count)).collect();
        let today = chrono::Utc::now().date_naive();
        let totals = store
            .rollup_groups(
                &scope,
                today - chrono::Days::new(3 * 366),
                today + chrono::Days::new(1),
                hub_store::RollupGrouping::Total,
            )
            .await?;
        let transactions: i64 = totals.iter().map(|group| group.figures.transactions).sum();
        let net_sales: rust_decimal::Decimal = totals.iter().map(|group| group.figures.net).sum();
        let output = serde_json::json!({
            "records": records,
            "kpis": { "transactions": transactions, "net_sales": net_sales.to_string() },
            "api_key": key,
            "network_id": network.network_id,
        });
        println!("{output}");
    } else {
        println!();
        println!("Franchise Hub demo is running at {public_url}");
        println!("  dashboard:  {public_url}/");
        println!("  API:        {public_url}/v1 (OpenAPI at {public_url}/openapi.json)");
        println!("  admin key:  {key}");
        println!("  emulators:  {}/_emulator", emulators.base_url());
        println!("Shops take new sales every few seconds; the hub syncs them every minute. Ctrl-C stops.");
        tokio::spawn(crate::serve::cancel_on_signal(shutdown.clone()));
        live_sales(&emulators, &network.shops, shutdown.clone()).await;
    }
    shutdown.cancel();
    let _ = server.await;
    for task in background {
        let _ = task.await;
    }
    emulators.stop().await.context("stopping the emulators")?;
    Ok(ExitCode::SUCCESS)
}

fn spinner(progress: &MultiProgress, stage: &'static str) -> ProgressBar {
    let bar = progress.add(ProgressBar::new_spinner());
    bar.set_style(
        ProgressStyle::with_template("{prefix:<22} {spinner} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_prefix(stage);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn counter(progress: &MultiProgress, stage: &'static str, length: usize) -> ProgressBar {
    let bar = progress.add(ProgressBar::new(length as u64));
    let style = ProgressStyle::with_template("{prefix:<22} [{bar:30}] {pos}/{len} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(stage);
    bar
}

/// A network-admin key for this run; the previous run's demo key is revoked.
async fn admin_key(store: &dyn Store, hasher: &ApiKeyHasher, network_id: &NetworkId) -> anyhow::Result<String> {
    let scope = TenantScope::network(network_id.clone());
    let ctx = ChangeContext::cli();
    let mut page = PageRequest { limit: 500, after: None };
    loop {
        let keys = store.list_api_keys(&scope, &page).await?;
        for key in
            keys.items.iter().filter(|key| key.name.as_deref() == Some(DEMO_KEY_NAME) && key.revoked_at.is_none())
        {
            store.revoke_api_key(&scope, &ctx, &key.id).await?;
        }
        match keys.next_cursor {
            Some(cursor) => page.after = Some(hub_core::page::decode_cursor(&cursor)?),
            None => break,
        }
    }
    let generated = hasher.generate();
    let new = NewApiKey {
        role: Role::NetworkAdmin,
        scope: scope.clone(),
        name: Some(DEMO_KEY_NAME.into()),
        display_prefix: generated.display_prefix,
        secret_hash: generated.secret_hash,
        hash_key_id: generated.hash_key_id,
    };
    store.create_api_key(&scope, &ctx, new).await?;
    Ok(generated.secret.expose_secret().to_owned())
}

/// The first day of the demo's sales history: `days` before the day the network was created, so a
/// later run serves the same past plus the days since.
async fn history_start(store: &dyn Store, network_id: &NetworkId, days: u16) -> anyhow::Result<NaiveDate> {
    let created = store.get_network(network_id).await?.created_at.date_naive();
    Ok(created - chrono::Days::new(u64::from(days)))
}

/// The emulated Square seller behind `shop`: one location in the shop's time zone, its history
/// from `start` to today, seeded by the shop's number so every run serves the same past.
fn merchant_config(shop: &DemoShop, start: NaiveDate) -> SquareMerchantConfig {
    let today = Utc::now().date_naive();
    let days = u32::try_from((today - start).num_days()).unwrap_or(0).max(1);
    SquareMerchantConfig {
        merchant_id: shop.merchant_id.clone(),
        business_name: Some(format!("Fade & Co. {}", shop.location.name.as_str())),
        locations: vec![SquareLocationSpec::new(shop.location.name.as_str(), shop.location.time_zone.name(), "USD")],
        days,
        end_date: today,
        seed: 1_000 + shop.index as u64,
        orders_per_day: 30..=50,
    }
}

/// Connects every shop to its emulated Square seller through the consent flow.
async fn connect_all(
    progress: &MultiProgress,
    store: &dyn Store,
    hub: &HubClient,
    network_id: &NetworkId,
    shops: &[DemoShop],
) -> anyhow::Result<Vec<ConnectionId>> {
    let bar = counter(progress, "[3/4] Connecting shops", shops.len());
    let mut connections = Vec::with_capacity(shops.len());
    for shop in shops {
        bar.set_message(format!("{} → Square", shop.location.name.as_str()));
        let scope =
            TenantScope::location(network_id.clone(), shop.location.franchisee_id.clone(), shop.location.id.clone());
        let existing = square_connection(store, &scope).await?;
        let id = hub.connect_square(existing.as_ref(), &shop.location.id, &shop.merchant_id).await?;
        connections.push(id);
        bar.inc(1);
    }
    bar.finish_with_message("every shop authorized Square");
    Ok(connections)
}

/// The shop's Square connection from an earlier run, unless it was revoked.
async fn square_connection(store: &dyn Store, scope: &TenantScope) -> anyhow::Result<Option<Connection>> {
    let listed = store.list_connections(scope, &PageRequest { limit: 500, after: None }).await?;
    Ok(listed
        .items
        .into_iter()
        .find(|connection| connection.provider == "square" && connection.status != ConnectionStatus::Revoked))
}

/// Syncs every connection (full on the network's first run, incremental after) and waits.
async fn sync_all(
    progress: &MultiProgress,
    hub: &HubClient,
    connections: &[ConnectionId],
    full: bool,
) -> anyhow::Result<()> {
    let bar = counter(progress, "[4/4] Initial sync", connections.len());
    let mut pending = Vec::with_capacity(connections.len());
    for connection in connections {
        pending.push(hub.sync(connection, full).await?);
    }
    let mut records = 0_u64;
    while !pending.is_empty() {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut still = Vec::with_capacity(pending.len());
        let mut in_flight = 0_u64;
        for run in pending {
            let current = hub.sync_run(&run).await?;
            match current["status"].as_str() {
                Some("succeeded") => {
                    records += current["fetched"].as_u64().unwrap_or(0);
                    bar.inc(1);
                }
                Some("failed") => {
                    let reason =
                        current["errors"].as_array().and_then(|errors| errors.last()).cloned().unwrap_or_default();
                    anyhow::bail!("sync {run} failed: {reason}");
                }
                _ => {
                    in_flight += current["fetched"].as_u64().unwrap_or(0);
                    still.push(run);
                }
            }
        }
        bar.set_message(format!("{} records read", records + in_flight));
        pending = still;
    }
    bar.finish_with_message(format!("{records} records read ({})", if full { "full sync" } else { "incremental" }));
    Ok(())
}

/// Until shutdown: now and then a shop rings up a new sale at its emulated Square.
async fn live_sales(emulators: &hub_emulators::RunningEmulator, shops: &[DemoShop], shutdown: CancellationToken) {
    let square = emulators.state().square();
    let mut tick = tokio::time::interval(Duration::from_secs(7));
    let mut turn = 0_usize;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        if shops.is_empty() {
            continue;
        }
        let shop = &shops[turn % shops.len()];
        turn += 1;
        let Some(spot) = square.locations(&shop.merchant_id).into_iter().next() else { continue };
        if let Err(error) = square.add_orders(&shop.merchant_id, &spot.id, 1) {
            tracing::warn!(%error, merchant = %shop.merchant_id, "the emulated shop could not ring up a sale");
        }
    }
}
