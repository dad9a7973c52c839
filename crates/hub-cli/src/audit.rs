//! `hub audit verify`: re-walks every network's hash chain and names the first broken entry.

use std::process::ExitCode;

use clap::Subcommand;
use hub_core::audit::ChainVerifier;
use indicatif::{ProgressBar, ProgressStyle};

use crate::Common;
use crate::config::Config;

const PAGE: u32 = 1000;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Checks every network's chain; exits 1 and names the first altered, inserted or removed entry.
    Verify(Common),
}

pub async fn run(command: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify(common) = command;
    let config = Config::load(&common, None)?;
    crate::telemetry::init(&config);
    let store = config.open_store().await?;
    let mut intact = true;
    for network in store.list_networks().await? {
        let head = store.audit_head(&network.id).await?;
        let progress = ProgressBar::new(head.as_ref().map_or(0, |(seq, _)| (*seq).max(0) as u64));
        progress.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} entries")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        progress.set_message(network.id.to_string());
        let mut verifier = ChainVerifier::default();
        let mut after = 0;
        let mut broken = None;
        'walk: loop {
            let entries = store.audit_chain(&network.id, after, PAGE).await?;
            if entries.is_empty() {
                break;
            }
            for entry in &entries {
                if let Err(error) = verifier.push(entry) {
                    broken = Some(error);
                    break 'walk;
                }
                after = entry.seq;
            }
            progress.set_position(after as u64);
        }
        progress.finish_and_clear();
        let result = match broken {
            Some(error) => Err(error),
            None => verifier.finish(head),
        };
        match result {
            Ok(count) => println!("network {} ({}): {count} entries, chain intact", network.id, network.name.as_str()),
            Err(error) => {
                intact = false;
                println!("network {} ({}): CHAIN BROKEN: {error}", network.id, network.name.as_str());
            }
        }
    }
    Ok(if intact { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
