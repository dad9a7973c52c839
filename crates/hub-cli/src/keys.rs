//! `hub keys rotate [--reencrypt]`: a new master key, with no downtime.
//!
//! The new key is appended to the keyring file (old keys stay, so everything they protect still
//! opens), every data key is re-wrapped with it, and with `--reencrypt` every credential is
//! re-sealed under a fresh data key. Running nodes re-read the keyring file when they meet the
//! new key's id.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;
use hub_oauth::{CredentialVault, reencrypt_all};
use hub_store::ChangeContext;
use hub_vault::MasterKey;
use indicatif::{ProgressBar, ProgressStyle};

use crate::Common;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Adds a new master key and re-wraps every data key with it.
    Rotate {
        #[command(flatten)]
        common: Common,
        /// Also re-encrypt every stored credential under new data keys.
        #[arg(long)]
        reencrypt: bool,
    },
}

pub async fn run(command: KeysCommand) -> anyhow::Result<ExitCode> {
    let KeysCommand::Rotate { common, reencrypt } = command;
    let config = Config::load(&common, None)?;
    crate::telemetry::init(&config);
    anyhow::ensure!(
        config.master_key.is_none(),
        "the keyring comes from HUB_MASTER_KEY: rotate by adding a new `<id>:<base64>` line to it on every node, \
         then run `hub keys rotate` with HUB_MASTER_KEY_FILE pointing at a writable copy"
    );
    let path = config.master_key_path();
    let keyring = config.keyring(false)?;
    let store = config.open_store().await?;
    store.migrate().await?;
    let vault = CredentialVault::new(Arc::clone(&store), keyring, Some(path.clone()));
    let master = MasterKey::generate();
    let new_id = master.id().to_owned();
    let rewrapped = vault.rotate_master_key(master).await?;
    println!("master key {new_id} is now active ({rewrapped} data keys re-wrapped; {} updated)", path.display());
    if reencrypt {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("re-encrypting [{bar:30}] {pos}/{len} connections")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let report = reencrypt_all(&*store, &vault, &ChangeContext::cli(), |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
        .await?;
        bar.finish_and_clear();
        println!(
            "re-encrypted {} connection credential(s) and {} provider secret(s) across {} network(s)",
            report.connections, report.provider_secrets, report.networks
        );
    }
    Ok(ExitCode::SUCCESS)
}
