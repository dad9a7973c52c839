//! `hub-bench`: benchmarks that start the real hub in-process on loopback and print each figure
//! beside a baseline measured against the same server in the same run.
#![forbid(unsafe_code)]

mod api;
mod jobs;
mod kpis;
mod load;
mod server;
mod setup;
mod sync;
mod webhooks;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "hub-bench", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Throughput and latency of authenticated `GET /v1/locations`, beside bare `GET /healthz`.
    Api(api::ApiArgs),
    /// Jobs per second through the durable job queue, beside a raw SQL claim loop on the same database.
    Jobs(jobs::JobsArgs),
    /// p50/p99 of KPI queries over 500 locations with 2 years of sales, after generating and rolling them up.
    Kpis(kpis::KpiArgs),
    /// Records per second of an initial sync of emulated Square shops, beside raw batched inserts.
    Sync(sync::SyncArgs),
    /// Verified-and-durable inbound webhook acks per second, beside a bare axum handler.
    WebhooksIn(webhooks::WebhookArgs),
    /// Outbound deliveries per second and create→delivered latency, to 1 and 10 endpoints.
    WebhooksOut(webhooks::WebhookArgs),
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    // Quiet unless asked: `RUST_LOG=hub_sync=debug hub-bench sync` shows where the time goes.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_default_env() {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
    }
    match Cli::parse().command {
        Command::Api(args) => api::run(args).await,
        Command::Jobs(args) => jobs::run(args).await,
        Command::Kpis(args) => kpis::run(args).await,
        Command::Sync(args) => sync::run(args).await,
        Command::WebhooksIn(args) => webhooks::run_inbound(args).await,
        Command::WebhooksOut(args) => webhooks::run_outbound(args).await,
    }
}
