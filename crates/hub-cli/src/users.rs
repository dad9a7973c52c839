//! `hub users add`: a dashboard user with an email, a role and a scope. The password is read from
//! `HUB_PASSWORD` or the first line of standard input, never from the command line; `--totp`
//! enrols two-factor sign-in and prints the `otpauth://` URI once.

use std::io::BufRead;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;
use hub_core::access::{Role, TenantScope};
use hub_core::id::{FranchiseeId, LocationId, NetworkId};
use hub_oauth::CredentialVault;
use hub_store::ChangeContext;
use secrecy::SecretString;

use crate::Common;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Creates a dashboard user (password from HUB_PASSWORD or standard input).
    Add {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        email: String,
        /// network_admin, network_analyst, franchisee_admin or location_manager.
        #[arg(long)]
        role: String,
        /// The franchisee a franchisee_admin runs.
        #[arg(long, value_name = "ID", conflicts_with = "location")]
        franchisee: Option<FranchiseeId>,
        /// The shop a location_manager runs.
        #[arg(long, value_name = "ID")]
        location: Option<LocationId>,
        /// The network, when the database holds more than one.
        #[arg(long, value_name = "ID")]
        network: Option<NetworkId>,
        /// Turn on two-factor sign-in and print the authenticator enrolment URI.
        #[arg(long)]
        totp: bool,
    },
}

fn read_password() -> anyhow::Result<SecretString> {
    if let Ok(password) = std::env::var("HUB_PASSWORD") {
        return Ok(SecretString::from(password));
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(!password.is_empty(), "give the password in HUB_PASSWORD or on standard input");
    Ok(SecretString::from(password))
}

pub async fn run(command: UsersCommand) -> anyhow::Result<ExitCode> {
    let UsersCommand::Add { common, email, role, franchisee, location, network, totp } = command;
    let config = Config::load(&common, None)?;
    crate::telemetry::init(&config);
    let role = Role::parse(&role).with_context(|| format!("`{role}` is not a role"))?;
    anyhow::ensure!(role != Role::Integration, "integration is a machine role: create an API key instead");
    let password = read_password()?;
    let keyring_path = config.master_key.is_none().then(|| config.master_key_path());
    let keyring = config.keyring(false)?;
    let store = config.open_store().await?;
    store.migrate().await.context("migrating the database")?;
    let network_id = match network {
        Some(id) => id,
        None => {
            let networks = store.list_networks().await?;
            match networks.as_slice() {
                [only] => only.id.clone(),
                [] => anyhow::bail!("there is no network yet: run `hub init` (or `hub serve`) first"),
                _ => anyhow::bail!("there are {} networks: say which with --network", networks.len()),
            }
        }
    };
    let whole = TenantScope::network(network_id.clone());
    let scope = match (franchisee, location) {
        (Some(franchisee), _) => TenantScope::franchisee(network_id, franchisee),
        (None, Some(location)) => {
            let found = store.get_location(&whole, &location).await.context("--location")?;
            TenantScope::location(network_id, found.franchisee_id, found.id)
        }
        (None, None) => whole.clone(),
    };
    let vault = CredentialVault::new(Arc::clone(&store), keyring, keyring_path);
    let created = hub_dashboard::users::create_user(
        &*store,
        &vault,
        &whole,
        &ChangeContext::cli(),
        hub_dashboard::users::UserRequest { email: &email, role, scope, password: &password, with_totp: totp },
    )
    .await?;
    println!("created user {} ({}, {})", created.user.id, created.user.email, created.user.role);
    if let Some(uri) = created.totp_uri {
        println!("add this to an authenticator app now (it is not shown again):");
        println!("{uri}");
    }
    Ok(ExitCode::SUCCESS)
}
