//! `hub emulators`: every provider emulator on one port, until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4010")]
    listen: SocketAddr,
}

pub async fn run(args: EmulatorArgs) -> anyhow::Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    println!("Provider emulators on http://{address}: each provider under /<provider id> (Google under /google);");
    println!("client_id `emulator-client`, client_secret `emulator-secret`; controls under /_emulator.");
    let shutdown = CancellationToken::new();
    tokio::spawn(crate::serve::cancel_on_signal(shutdown.clone()));
    hub_emulators::serve(listener, hub_emulators::EmulatorState::new(), shutdown).await?;
    Ok(ExitCode::SUCCESS)
}
