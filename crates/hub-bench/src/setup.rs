//! The data a benchmark runs on: a store on a throwaway SQLite file or PostgreSQL scratch database,
//! migrated and seeded with one network, its franchisee, its locations and an admin API key.

use std::sync::Arc;

use anyhow::Context;
use clap::{Args, ValueEnum};
use hub_core::access::{NewApiKey, Role, TenantScope};
use hub_core::tenancy::{Currency, Name, NewFranchisee, NewLocation, TimeZone};
use hub_store::scratch::{DEFAULT_ADMIN_URL, ScratchDatabase};
use hub_store::{Backend, ChangeContext, PostgresStore, SqliteStore, Store};
use hub_vault::{ApiKeyHasher, Keyring};
use secrecy::SecretString;

/// Which database the benchmarked server stores its data in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendChoice {
    Sqlite,
    Postgres,
}

impl From<BackendChoice> for Backend {
    fn from(choice: BackendChoice) -> Self {
        match choice {
            BackendChoice::Sqlite => Backend::Sqlite,
            BackendChoice::Postgres => Backend::Postgres,
        }
    }
}

/// Where PostgreSQL is, for every benchmark; the benchmark works in a scratch database it creates
/// there and drops afterwards, never in the database the URL names.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// PostgreSQL server (admin connection) used to create the scratch database.
    #[arg(long = "database-url", env = "HUB_DATABASE_URL", default_value = DEFAULT_ADMIN_URL, hide_env_values = true)]
    pub admin_url: String,
}

/// A migrated store and whatever must outlive it: the SQLite directory or the scratch database,
/// removed when this is dropped.
pub struct BenchStore {
    /// The store; declared first so it is dropped before the files or database beneath it.
    pub store: Arc<dyn Store>,
    _place: Place,
}

enum Place {
    Sqlite(#[allow(dead_code, reason = "held only to delete the directory on drop")] tempfile::TempDir),
    Postgres(#[allow(dead_code, reason = "held only to drop the database on drop")] ScratchDatabase),
}

impl BenchStore {
    /// Opens and migrates a fresh store on `backend`.
    pub async fn open(backend: BackendChoice, database: &DatabaseArgs) -> anyhow::Result<Self> {
        let (store, place): (Arc<dyn Store>, Place) = match backend {
            BackendChoice::Sqlite => {
                let dir = tempfile::tempdir().context("cannot create a temporary directory for SQLite")?;
                let store = SqliteStore::open(&dir.path().join("hub.db")).await.context("cannot open SQLite")?;
                (Arc::new(store), Place::Sqlite(dir))
            }
            BackendChoice::Postgres => {
                let scratch = ScratchDatabase::create(&database.admin_url)
                    .await
                    .context("cannot create a scratch database (is PostgreSQL at HUB_DATABASE_URL running?)")?;
                let store =
                    PostgresStore::connect(scratch.url()).await.context("cannot connect to the scratch database")?;
                (Arc::new(store), Place::Postgres(scratch))
            }
        };
        store.migrate().await.context("cannot migrate the store")?;
        Ok(Self { store, _place: place })
    }

    /// The URL of the database beneath the store (`sqlite://…` or `postgres://…`), for benchmarks
    /// that measure raw SQL on the same database as a baseline.
    pub fn database_url(&self) -> String {
        match &self._place {
            Place::Sqlite(dir) => format!("sqlite://{}", dir.path().join("hub.db").display()),
            Place::Postgres(scratch) => scratch.url().to_owned(),
        }
    }
}

/// What the seeded tenant gives a benchmark: the keyring the server must use and a key it accepts.
pub struct SeededTenant {
    /// Hashes keys with the keyring the seeded key was made with.
    pub keyring: Keyring,
    /// A live `network_admin` key for the whole network.
    pub bearer: SecretString,
}

/// Creates a network with one franchisee owning `locations` locations, and a `network_admin` key.
pub async fn seed_tenant(store: &dyn Store, locations: usize) -> anyhow::Result<SeededTenant> {
    let ctx = ChangeContext::cli();
    let usd = Currency::parse("USD")?;
    let network = store.create_network(&ctx, Name::parse("Bench Network")?, usd).await?;
    let scope = TenantScope::network(network.id.clone());
    let franchisee = store
        .create_franchisee(&scope, &ctx, NewFranchisee { name: Name::parse("Bench Franchisee")?, currency: usd })
        .await?;
    let time_zone = TimeZone::parse("America/Chicago")?;
    for number in 1..=locations {
        let new = NewLocation {
            franchisee_id: franchisee.id.clone(),
            name: Name::parse(&format!("Bench Location {number:03}"))?,
            time_zone,
            territory_id: None,
        };
        store.create_location(&scope, &ctx, new).await.with_context(|| format!("cannot create location {number}"))?;
    }
    let keyring = Keyring::generate();
    let hasher = ApiKeyHasher::new(&keyring);
    let generated = hasher.generate();
    let new_key = NewApiKey {
        role: Role::NetworkAdmin,
        scope: scope.clone(),
        name: Some("bench".into()),
        display_prefix: generated.display_prefix.clone(),
        secret_hash: generated.secret_hash.clone(),
        hash_key_id: generated.hash_key_id.clone(),
    };
    store.create_api_key(&scope, &ctx, new_key).await.context("cannot create the API key")?;
    Ok(SeededTenant { keyring, bearer: generated.secret })
}
