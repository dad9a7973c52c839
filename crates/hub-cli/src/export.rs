//! `hub export sales|kpis|royalty-statements`: writes a network's sales, KPIs or royalty statements to a CSV or Parquet file, after
//! catching its rollups up with the change feed (so the file reflects every synced record).

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use hub_analytics::export::{ExportFormat, SalesExport, TableWriter, kpi_table, sales_columns, statements_table};
use hub_analytics::{Analytics, GroupBy, KpiQuery};
use hub_core::access::TenantScope;
use hub_core::id::{FranchiseeId, LocationId, NetworkId};
use hub_store::{RollupGrouping, StatementFilter};
use indicatif::{ProgressBar, ProgressStyle};

use crate::Common;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Every sale on the local business days FROM..=TO (one row per sale, no customer data).
    Sales(SalesArgs),
    /// The KPI report for FROM..=TO, grouped (one row per group, then a total row).
    Kpis(KpiArgs),
    /// Royalty statements whose periods start FROM..=TO (one row per statement line).
    RoyaltyStatements(StatementArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Csv,
    Parquet,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Grouping {
    Day,
    Week,
    Month,
    Location,
    Franchisee,
    Territory,
}

#[derive(Debug, Args)]
pub struct Target {
    #[command(flatten)]
    common: Common,
    /// The network to export (default: the only one).
    #[arg(long, value_name = "ID")]
    network: Option<NetworkId>,
    /// The first local business day (YYYY-MM-DD), inclusive.
    #[arg(long)]
    from: NaiveDate,
    /// The last local business day (YYYY-MM-DD), inclusive.
    #[arg(long)]
    to: NaiveDate,
    #[arg(long, value_enum, default_value = "csv")]
    format: Format,
    /// Where to write the file.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[derive(Debug, Args)]
pub struct SalesArgs {
    #[command(flatten)]
    target: Target,
    /// Only this location's sales.
    #[arg(long, value_name = "ID")]
    location_id: Option<LocationId>,
}

#[derive(Debug, Args)]
pub struct KpiArgs {
    #[command(flatten)]
    target: Target,
    #[arg(long, value_enum, default_value = "month")]
    group_by: Grouping,
}

#[derive(Debug, Args)]
pub struct StatementArgs {
    #[command(flatten)]
    target: Target,
    /// Only this franchisee's statements.
    #[arg(long, value_name = "ID")]
    franchisee_id: Option<FranchiseeId>,
}

fn format_of(format: Format) -> ExportFormat {
    match format {
        Format::Csv => ExportFormat::Csv,
        Format::Parquet => ExportFormat::Parquet,
    }
}

fn group_of(grouping: Grouping) -> GroupBy {
    match grouping {
        Grouping::Day => GroupBy::Day,
        Grouping::Week => GroupBy::Week,
        Grouping::Month => GroupBy::Month,
        Grouping::Location => GroupBy::Location,
        Grouping::Franchisee => GroupBy::Franchisee,
        Grouping::Territory => GroupBy::Territory,
    }
}

/// Opens the store, picks the network and catches its rollups up.
async fn prepare(target: &Target) -> anyhow::Result<(Analytics, TenantScope)> {
    let config = Config::load(&target.common, None)?;
    crate::telemetry::init(&config);
    let store = config.open_store().await?;
    let network = match &target.network {
        Some(id) => store.get_network(id).await.with_context(|| format!("network {id}"))?.id,
        None => {
            let networks = store.list_networks().await?;
            match networks.as_slice() {
                [only] => only.id.clone(),
                [] => anyhow::bail!("the data directory has no network yet (run `hub init` or `hub demo`)"),
                _ => anyhow::bail!("the data directory has {} networks: name one with --network", networks.len()),
            }
        }
    };
    let analytics = Analytics::new(store);
    let spinner = ProgressBar::new_spinner();
    spinner.set_message("catching up the KPI rollups with the change feed");
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let progress = analytics.roll_up(&network).await?;
    spinner.finish_and_clear();
    if progress.changes > 0 {
        eprintln!("rollups: folded {} changes in", progress.changes);
    }
    Ok((analytics, TenantScope::network(network)))
}

fn create(path: &PathBuf) -> anyhow::Result<BufWriter<std::fs::File>> {
    let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(BufWriter::new(file))
}

pub async fn run(command: ExportCommand) -> anyhow::Result<ExitCode> {
    match command {
        ExportCommand::Sales(args) => {
            let (analytics, scope) = prepare(&args.target).await?;
            let export = SalesExport { from: args.target.from, to: args.target.to, location_id: args.location_id };
            export.validate()?;
            // The rollups know how many sales the range holds: a bar with a real length.
            let expected: u64 = analytics
                .store()
                .rollup_groups(&scope, export.from, export.to, RollupGrouping::Total)
                .await?
                .iter()
                .map(|group| {
                    u64::try_from(group.figures.transactions + group.figures.foreign_currency_transactions).unwrap_or(0)
                })
                .sum();
            let bar = ProgressBar::new(expected);
            bar.set_style(
                ProgressStyle::with_template("exporting sales [{bar:30}] {pos}/{len} ({eta})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let mut writer =
                TableWriter::new(format_of(args.target.format), sales_columns(), create(&args.target.out)?)?;
            let rows = analytics.export_sales(&scope, &export, &mut writer, |rows| bar.set_position(rows)).await?;
            bar.finish_and_clear();
            writer.finish()?.flush()?;
            eprintln!("wrote {rows} sales to {}", args.target.out.display());
        }
        ExportCommand::Kpis(args) => {
            let (analytics, scope) = prepare(&args.target).await?;
            let query = KpiQuery { from: args.target.from, to: args.target.to, group_by: group_of(args.group_by) };
            let report = analytics.kpis(&scope, &query).await?;
            let table = kpi_table(&report);
            table.write(format_of(args.target.format), create(&args.target.out)?)?.flush()?;
            eprintln!("wrote {} KPI rows and a total to {}", report.rows.len(), args.target.out.display());
        }
        ExportCommand::RoyaltyStatements(args) => {
            let (analytics, scope) = prepare(&args.target).await?;
            let filter = StatementFilter {
                franchisee_id: args.franchisee_id,
                period_from: Some(args.target.from),
                period_to: Some(args.target.to),
                ..Default::default()
            };
            let statements = analytics.store().all_statements(&scope, &filter).await?;
            let table = statements_table(&statements);
            table.write(format_of(args.target.format), create(&args.target.out)?)?.flush()?;
            eprintln!(
                "wrote {} statements ({} lines) to {}",
                statements.len(),
                table.rows.len(),
                args.target.out.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
