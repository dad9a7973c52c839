//! The `hub` command line: each subcommand loads the configuration, opens the store and calls
//! into the library crates. Long work shows a progress bar; machine output goes to stdout.
#![forbid(unsafe_code)]

mod audit;
mod config;
mod demo;
mod emulators;
mod export;
mod init;
mod jobs;
mod keys;
mod royalties;
mod serve;
mod telemetry;
mod users;
mod webhooks;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub use config::Config;

/// Franchise Hub: connects a franchise network's third-party systems.
#[derive(Debug, Parser)]
#[command(name = "hub", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Creates a network with its first network_admin API key.
    Init(init::InitArgs),
    /// Serves the API (migrating first; on a fresh data directory, creating a network).
    Serve(serve::ServeArgs),
    /// A demo franchise network on the embedded store with emulated providers: creates it,
    /// connects every shop to Square, syncs, then serves the API and dashboard.
    Demo(demo::DemoArgs),
    /// Runs every provider emulator on one port, path-prefixed by provider, to try flows by hand.
    Emulators(emulators::EmulatorArgs),
    /// Writes sales or KPIs to a CSV or Parquet file.
    Export {
        #[command(subcommand)]
        command: export::ExportCommand,
    },
    /// Applies pending database migrations.
    Migrate(Common),
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: audit::AuditCommand,
    },
    /// The durable job queue.
    Jobs {
        #[command(subcommand)]
        command: jobs::JobsCommand,
    },
    /// Master key tools.
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// Royalty statements: close a month (compute, issue, invoice in QuickBooks Online).
    Royalties {
        #[command(subcommand)]
        command: royalties::RoyaltiesCommand,
    },
    /// Dashboard users.
    Users {
        #[command(subcommand)]
        command: users::UsersCommand,
    },
    /// Webhook signature tools.
    Webhooks {
        #[command(subcommand)]
        command: webhooks::WebhooksCommand,
    },
}

/// Options every subcommand takes.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Where the hub keeps its files (the SQLite database, the master key). Default ./hub-data.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// A TOML configuration file; `HUB_*` environment variables override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Init(args) => init::run(args).await,
        Command::Serve(args) => serve::run(args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Emulators(args) => emulators::run(args).await,
        Command::Migrate(common) => {
            let config = Config::load(&common, None)?;
            telemetry::init(&config);
            let store = config.open_store().await?;
            store.migrate().await?;
            eprintln!("migrations applied ({})", store.backend().as_str());
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { command } => audit::run(command).await,
        Command::Export { command } => export::run(command).await,
        Command::Keys { command } => keys::run(command).await,
        Command::Jobs { command } => jobs::run(command).await,
        Command::Royalties { command } => royalties::run(command).await,
        Command::Users { command } => users::run(command).await,
        Command::Webhooks { command } => webhooks::run(command),
    }
}
