//! `hub serve`: migrate, make sure there is a network, then serve the API until SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use hub_api::AppState;
use hub_core::tenancy::{Currency, Name};
use hub_vault::ApiKeyHasher;
use tokio_util::sync::CancellationToken;

use crate::Common;
use crate::config::{Config, NodeRole};

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    common: Common,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Also run every provider emulator on a loopback port and make it the default environment
    /// for new connections (local setups, demos and tests).
    #[arg(long, conflicts_with = "emulators_at")]
    emulators: bool,
    /// Use provider emulators already running at this origin (a `hub emulators` process) as the
    /// default environment; implies --allow-private-targets for them.
    #[arg(long, value_name = "URL")]
    emulators_at: Option<String>,
    /// Let provider calls reach private and loopback addresses (local OAuth servers, tests).
    /// Without it such destinations are refused (SSRF protection).
    #[arg(long)]
    allow_private_targets: bool,
    /// Let outbound webhook deliveries reach private, loopback and link-local addresses (local
    /// receivers, tests). Without it endpoint URLs that resolve there are refused (SSRF).
    #[arg(long)]
    allow_private_webhook_targets: bool,
    /// What this node runs: `all` (default), `api` (HTTP only, no jobs) or `worker` (jobs and
    /// schedules; HTTP serves only /healthz, /readyz and /metrics). Also `role` / `HUB_ROLE`.
    #[arg(long, value_enum)]
    role: Option<NodeRole>,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load_for_serve(&args.common, args.listen, args.role)?;
    let role = config.role;
    crate::telemetry::init(&config);
    let keyring = config.keyring(true)?;
    let hasher = ApiKeyHasher::new(&keyring);
    let keyring_path = config.master_key.is_none().then(|| config.master_key_path());
    let store = config.open_store().await?;
    store.migrate().await.context("migrating the database")?;

    if role.serves_api() && store.list_networks().await?.is_empty() {
        let name = Name::parse("My Franchise Network").context("default network name")?;
        let currency = Currency::parse("USD").context("default currency")?;
        let (network, key) = crate::init::create_network(&*store, &hasher, name, currency).await?;
        crate::init::print_admin_key(&network, &key);
    }

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, backend = store.backend().as_str(), role = role.as_str(), "serving");
    if role.serves_api() {
        println!(
            "Franchise Hub is listening on http://{address} (dashboard at /, API under /v1, OpenAPI at /openapi.json)"
        );
    } else {
        println!("Franchise Hub worker is listening on http://{address} (/healthz, /readyz and /metrics only)");
    }

    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    let mut settings = hub_api::ApiSettings::new(config.public_url_for(address));
    settings.refresh_margin = std::time::Duration::from_secs(config.refresh_margin_seconds);
    settings.keyring_path = keyring_path;
    settings.providers.overrides = config.providers.clone();
    settings.allow_private_targets = args.allow_private_targets || args.emulators || args.emulators_at.is_some();
    settings.sync.interval = std::time::Duration::from_secs(config.sync_interval_seconds);
    if let Some(origin) = &args.emulators_at {
        anyhow::ensure!(origin.starts_with("http://"), "--emulators-at must be an http:// origin");
        settings.providers.emulator_base = Some(origin.trim_end_matches('/').to_owned());
        settings.providers.default_environment = hub_api::Environment::Emulator;
    }
    if args.allow_private_webhook_targets {
        settings.webhooks.allow_list = private_webhook_targets();
    }
    let emulators = if args.emulators {
        let running = hub_emulators::start(SocketAddr::from(([127, 0, 0, 1], 0)), hub_emulators::EmulatorState::new())
            .await
            .context("cannot start the emulators")?;
        println!(
            "Provider emulators are listening on {} (the default environment for new connections)",
            running.base_url()
        );
        settings.providers.emulator_base = Some(running.base_url());
        settings.providers.default_environment = hub_api::Environment::Emulator;
        Some(running)
    } else {
        None
    };
    let dashboard = hub_dashboard::DashboardSettings::new(settings.public_url.clone());
    let state = AppState::new(store, &keyring, settings);
    let margin = std::time::Duration::from_secs(config.refresh_margin_seconds);
    let background = if role.runs_jobs() {
        let mut tasks = start_background(&state, margin, config.worker(), shutdown.clone()).await?;
        tasks.extend(hub_api::webhook_sync::start(&state, shutdown.clone()));
        tasks
    } else {
        Vec::new()
    };
    let app = if role.serves_api() {
        hub_api::app_with_pages(state, hub_dashboard::router(dashboard))
    } else {
        hub_api::operations_app(state)
    };
    hub_api::serve(listener, app, shutdown).await?;
    for task in background {
        // Workers finish the jobs they hold (bounded by their drain timeout) before exiting.
        let _ = task.await;
    }
    if let Some(running) = emulators {
        running.stop().await.context("stopping the emulators")?;
    }
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Starts the job worker and the scheduler that runs the hub's own background work.
pub(crate) async fn start_background(
    state: &AppState,
    refresh_margin: std::time::Duration,
    worker: hub_jobs::WorkerConfig,
    shutdown: CancellationToken,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let queue = state.jobs.clone();
    let scheduler = hub_jobs::Scheduler::new(queue.clone(), hub_jobs::SchedulerConfig::default());
    for schedule in hub_api::background::schedules()? {
        scheduler.upsert(schedule).await?;
    }
    let registry = hub_api::background::registry(state, refresh_margin)?;
    let worker = hub_jobs::Worker::new(queue, registry, worker)?;
    let worker_shutdown = shutdown.clone();
    Ok(vec![
        tokio::spawn(async move { scheduler.run(shutdown).await }),
        tokio::spawn(async move {
            if let Err(error) = worker.run(worker_shutdown).await {
                tracing::error!(%error, "the job worker stopped");
            }
        }),
    ])
}

/// Loopback and the private ranges (RFC 1918, IPv6 unique-local, link-local), for
/// `--allow-private-webhook-targets`.
fn private_webhook_targets() -> hub_resilience::AllowList {
    ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "fc00::/7", "fe80::/10"]
        .into_iter()
        .filter_map(|range| range.parse().ok())
        .fold(hub_resilience::AllowList::loopback(), hub_resilience::AllowList::allow_network)
}

/// Cancels `token` on SIGTERM or Ctrl-C, so requests in flight finish before the process exits.
pub(crate) async fn cancel_on_signal(token: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => drop(ctrl_c.await),
        }
    }
    #[cfg(not(unix))]
    drop(ctrl_c.await);
    tracing::info!("shutting down: finishing requests in flight");
    token.cancel();
}
