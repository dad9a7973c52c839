//! `hub init`: a new network and its first network_admin key, printed once.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use hub_core::access::{NewApiKey, Role, TenantScope};
use hub_core::tenancy::{Currency, Name, Network};
use hub_store::{ChangeContext, Store};
use hub_vault::ApiKeyHasher;
use secrecy::{ExposeSecret, SecretString};

use crate::Common;
use crate::config::Config;

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    common: Common,
    /// The franchise brand's name.
    #[arg(long, value_name = "NAME")]
    network_name: String,
    /// The network's base currency (ISO 4217).
    #[arg(long, value_name = "CODE", default_value = "USD")]
    currency: String,
    /// Print one JSON object (`network_id`, `api_key`) instead of text.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: InitArgs) -> anyhow::Result<ExitCode> {
    let name = Name::parse(&args.network_name).context("--network-name")?;
    let currency = Currency::parse(&args.currency).context("--currency")?;
    let config = Config::load(&args.common, None)?;
    crate::telemetry::init(&config);
    let keyring = config.keyring(true)?;
    let store = config.open_store().await?;
    store.migrate().await?;
    let (network, key) = create_network(&*store, &ApiKeyHasher::new(&keyring), name, currency).await?;
    if args.json {
        let output = serde_json::json!({ "network_id": network.id, "api_key": key.expose_secret() });
        println!("{output}");
    } else {
        print_admin_key(&network, &key);
    }
    Ok(ExitCode::SUCCESS)
}

/// Creates a network and a network-wide admin key for it.
pub async fn create_network(
    store: &dyn Store,
    hasher: &ApiKeyHasher,
    name: Name,
    currency: Currency,
) -> anyhow::Result<(Network, SecretString)> {
    let ctx = ChangeContext::cli();
    let network = store.create_network(&ctx, name, currency).await?;
    let generated = hasher.generate();
    let scope = TenantScope::network(network.id.clone());
    let new = NewApiKey {
        role: Role::NetworkAdmin,
        scope: scope.clone(),
        name: Some("initial admin key".into()),
        display_prefix: generated.display_prefix,
        secret_hash: generated.secret_hash,
        hash_key_id: generated.hash_key_id,
    };
    store.create_api_key(&scope, &ctx, new).await?;
    Ok((network, generated.secret))
}

/// Shows a new admin key the one time it can be shown.
pub fn print_admin_key(network: &Network, key: &SecretString) {
    println!("Created network {} ({}, {}).", network.name.as_str(), network.id, network.currency);
    println!("Admin API key (shown once, store it now):");
    println!();
    println!("    {}", key.expose_secret());
    println!();
}
