//! `hub royalties close`: closes one month for every franchisee of the network — computes and
//! issues each monthly statement, then runs the invoice jobs (QuickBooks Online) to completion —
//! and prints a summary. Running it again issues nothing twice and creates no second invoice:
//! issued statements are kept, and invoicing is idempotent.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use hub_analytics::royalties::{INVOICE_JOB, RoyaltyError, RoyaltyService};
use hub_core::access::TenantScope;
use hub_core::id::{JobId, NetworkId, RoyaltyStatementId};
use hub_core::page::PageRequest;
use hub_core::royalties::{PeriodLength, RoyaltyStatement};
use hub_core::tenancy::Franchisee;
use hub_jobs::{JobOutcome, JobRegistry, Worker, WorkerConfig};
use hub_store::{ChangeContext, Store};
use indicatif::{ProgressBar, ProgressStyle};
use tokio_util::sync::CancellationToken;

use crate::Common;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum RoyaltiesCommand {
    /// Computes and issues every franchisee's statement for a month and invoices them.
    Close(CloseArgs),
}

#[derive(Debug, Args)]
pub struct CloseArgs {
    #[command(flatten)]
    common: Common,
    /// The month to close, `YYYY-MM`.
    #[arg(long, value_name = "YYYY-MM")]
    period: String,
    /// The network (default: the only one in the database).
    #[arg(long, value_name = "NET_ID")]
    network: Option<NetworkId>,
    /// Provider emulators already running at this origin (a `hub emulators` process): where
    /// connections made in the emulator environment are reached.
    #[arg(long, value_name = "ORIGIN")]
    emulators_at: Option<String>,
    /// Give up on invoices still retrying after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    timeout: u64,
}

pub async fn run(command: RoyaltiesCommand) -> anyhow::Result<ExitCode> {
    match command {
        RoyaltiesCommand::Close(args) => close(args).await,
    }
}

/// `2026-11` as its first day.
fn month_start(text: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
        .ok()
        .filter(|_| text.len() == 7)
        .with_context(|| format!("--period `{text}` is not a month (YYYY-MM)"))
}

fn bar(length: usize, prefix: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(length as u64);
    let style = ProgressStyle::with_template("{prefix:<22} [{bar:30}] {pos}/{len} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(prefix);
    bar
}

async fn network_of(store: &dyn Store, named: Option<NetworkId>) -> anyhow::Result<NetworkId> {
    if let Some(id) = named {
        return Ok(store.get_network(&id).await.with_context(|| format!("network {id}"))?.id);
    }
    let networks = store.list_networks().await?;
    match networks.as_slice() {
        [only] => Ok(only.id.clone()),
        [] => bail!("the database has no network (run `hub init` or `hub demo` first)"),
        _ => bail!("the database has {} networks; name one with --network", networks.len()),
    }
}

async fn franchisees(store: &dyn Store, scope: &TenantScope) -> anyhow::Result<Vec<Franchisee>> {
    let mut page = PageRequest { limit: 500, after: None };
    let mut all = Vec::new();
    loop {
        let listed = store.list_franchisees(scope, &page).await?;
        page.after = listed.items.last().map(|franchisee| franchisee.id.to_string());
        all.extend(listed.items);
        if listed.next_cursor.is_none() {
            return Ok(all);
        }
    }
}

/// What became of one franchisee.
enum Closed {
    Issued(Box<RoyaltyStatement>),
    Skipped(String),
    Failed(String),
}

async fn close(args: CloseArgs) -> anyhow::Result<ExitCode> {
    let period_start = month_start(&args.period)?;
    let config = Config::load(&args.common, None)?;
    crate::telemetry::init_with_default(&config, "warn");
    let keyring = config.keyring(false)?;
    let store = config.open_store().await?;
    store.migrate().await.context("migrating the database")?;
    let network_id = network_of(&*store, args.network.clone()).await?;
    let scope = TenantScope::network(network_id.clone());

    let mut settings = hub_api::ApiSettings::new(config.public_url_for(SocketAddr::from(([127, 0, 0, 1], 0))));
    settings.keyring_path = config.master_key.is_none().then(|| config.master_key_path());
    if let Some(origin) = &args.emulators_at {
        anyhow::ensure!(origin.starts_with("http://"), "--emulators-at must be an http:// origin");
        settings.allow_private_targets = true;
        settings.providers.emulator_base = Some(origin.trim_end_matches('/').to_owned());
    }
    let state = hub_api::AppState::new(store.clone(), &keyring, settings);
    let service = state.royalties.clone();
    let ctx = ChangeContext::cli();

    let owners = franchisees(&*store, &scope).await?;
    let progress = bar(owners.len(), "Issuing statements");
    let mut closed: Vec<(Franchisee, Closed)> = Vec::with_capacity(owners.len());
    for owner in owners {
        progress.set_message(owner.name.as_str().to_owned());
        let outcome = issue_one(&*store, &service, &scope, &ctx, &owner, period_start).await;
        closed.push((owner, outcome));
        progress.inc(1);
    }
    progress.finish_with_message("done");

    let mut jobs: HashMap<JobId, RoyaltyStatementId> = HashMap::new();
    for (_, outcome) in &closed {
        if let Closed::Issued(statement) = outcome
            && statement.invoice_id.is_none()
            && statement.total > rust_decimal::Decimal::ZERO
        {
            jobs.insert(service.enqueue_invoice(statement).await?, statement.id.clone());
        }
    }
    let failures = run_invoices(&state, &service, jobs, Duration::from_secs(args.timeout)).await?;

    println!("Royalties for {} ({} to {}):", args.period, period_start, PeriodLength::Monthly.period_end(period_start));
    let mut failed = 0;
    for (owner, outcome) in &closed {
        match outcome {
            Closed::Issued(statement) => {
                let current = store.get_statement(&scope, &statement.id).await?;
                let invoice = match (&current.invoice_id, failures.get(&current.id)) {
                    (Some(id), _) => format!("invoice {id} ({})", current.invoice_status.as_deref().unwrap_or("open")),
                    (None, Some(reason)) => {
                        failed += 1;
                        format!("NOT INVOICED: {reason}")
                    }
                    (None, None) if current.total <= rust_decimal::Decimal::ZERO => "nothing to invoice".to_owned(),
                    (None, None) => {
                        failed += 1;
                        "NOT INVOICED: the invoice job did not finish".to_owned()
                    }
                };
                println!(
                    "  {:<32} {} {:>12} {:<7} {}  {}",
                    owner.name.as_str(),
                    current.currency,
                    current.total.to_string(),
                    current.status.as_str(),
                    current.id,
                    invoice
                );
            }
            Closed::Skipped(reason) => println!("  {:<32} skipped: {reason}", owner.name.as_str()),
            Closed::Failed(reason) => {
                failed += 1;
                println!("  {:<32} FAILED: {reason}", owner.name.as_str());
            }
        }
    }
    if failed > 0 {
        eprintln!("{failed} franchisee(s) not closed; fix the cause and run the same command again");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Computes and issues one franchisee's statement, or finds it issued by an earlier run.
async fn issue_one(
    store: &dyn Store,
    service: &RoyaltyService,
    scope: &TenantScope,
    ctx: &ChangeContext,
    owner: &Franchisee,
    period_start: NaiveDate,
) -> Closed {
    match store.find_statement(scope, &owner.id, period_start).await {
        Ok(Some(statement)) if statement.status != hub_core::royalties::StatementStatus::Draft => {
            return Closed::Issued(Box::new(statement));
        }
        Ok(_) => {}
        Err(error) => return Closed::Failed(error.to_string()),
    }
    let draft = match service.compute_draft(scope, ctx, &owner.id, period_start).await {
        Ok(draft) => draft,
        Err(RoyaltyError::NoAgreement { .. }) => return Closed::Skipped("no agreement covers the month".into()),
        Err(error) => return Closed::Failed(error.to_string()),
    };
    match service.issue(scope, ctx, &draft.id).await {
        Ok(statement) => Closed::Issued(Box::new(statement)),
        Err(error) => Closed::Failed(error.to_string()),
    }
}

/// Runs the invoice jobs until each has succeeded or died (or `timeout` passes); returns why
/// the ones that died did.
async fn run_invoices(
    state: &hub_api::AppState,
    service: &RoyaltyService,
    mut jobs: HashMap<JobId, RoyaltyStatementId>,
    timeout: Duration,
) -> anyhow::Result<HashMap<RoyaltyStatementId, String>> {
    let mut failures = HashMap::new();
    if jobs.is_empty() {
        return Ok(failures);
    }
    let mut registry = JobRegistry::new();
    service.register_jobs(&mut registry)?;
    let config = WorkerConfig {
        backoff: hub_jobs::Backoff { base: Duration::from_millis(250), max: Duration::from_secs(5) },
        ..WorkerConfig::default()
    };
    let worker = Worker::new(state.jobs.clone(), registry, config)?;
    let progress = bar(jobs.len(), "Invoicing (QuickBooks)");
    let deadline = tokio::time::Instant::now() + timeout;
    let shutdown = CancellationToken::new();
    while !jobs.is_empty() {
        if tokio::time::Instant::now() >= deadline || shutdown.is_cancelled() {
            for (_, statement) in jobs.drain() {
                failures.insert(statement, "still retrying when the timeout ran out".to_owned());
            }
            break;
        }
        match worker.try_run_one().await? {
            Some(run) if run.kind.as_str() == INVOICE_JOB => match run.outcome {
                JobOutcome::Succeeded => {
                    if jobs.remove(&run.job_id).is_some() {
                        progress.inc(1);
                    }
                }
                JobOutcome::Dead { reason } => {
                    if let Some(statement) = jobs.remove(&run.job_id) {
                        failures.insert(statement, reason);
                        progress.inc(1);
                    }
                }
                JobOutcome::Retrying { .. } => progress.set_message("retrying (QuickBooks asked us to wait)"),
                JobOutcome::LeaseLost => {}
            },
            Some(_) => {}
            None => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    progress.finish_with_message("done");
    Ok(failures)
}
