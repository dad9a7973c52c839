//! Configuration: defaults, then an optional TOML file, then `HUB_*` environment variables, then
//! command-line flags. Secrets may come from files (`HUB_MASTER_KEY_FILE`). Errors name the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use hub_store::Store;
use hub_vault::Keyring;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::Common;

/// Every setting of the hub.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the SQLite database and the master keyring live.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of the embedded SQLite file.
    pub database_url: Option<String>,
    /// The address `hub serve` listens on.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// `text` (default) or `json` log lines on stderr.
    #[serde(default)]
    pub log_format: LogFormat,
    /// The master keyring itself (`<id>:<base64>` lines), instead of `<data_dir>/master.key`.
    /// Several nodes sharing one PostgreSQL must share this too.
    #[serde(default, skip_serializing)]
    pub master_key: Option<SecretString>,
    /// The hub's origin as browsers and providers reach it (OAuth redirects, connect links);
    /// default `http://<listen>`.
    pub public_url: Option<String>,
    /// Refresh access tokens this many seconds before they expire.
    #[serde(default = "default_refresh_margin")]
    pub refresh_margin_seconds: u64,
    /// How long a claimed background job stays leased without a heartbeat: a crashed node's jobs
    /// (a sync, say) are picked up by another worker after this. At least 2.
    #[serde(default = "default_job_lease")]
    pub job_lease_seconds: u64,
    /// How often each connection gets an incremental sync. At least 10.
    #[serde(default = "default_sync_interval")]
    pub sync_interval_seconds: u64,
    /// What `hub serve` runs on this node: `all` (default), `api` or `worker`.
    #[serde(default)]
    pub role: NodeRole,
    /// Per-provider app credentials and URL overrides: `[providers.<id>]` with `client_id`,
    /// `client_secret`, `authorize_url`, `token_url`, `revoke_url`, `api_base`.
    #[serde(default)]
    pub providers: std::collections::HashMap<String, hub_api::ProviderOverride>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// What one `hub serve` node does. Nodes sharing one PostgreSQL may split the work: `api` nodes
/// answer HTTP, `worker` nodes run jobs and schedules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum NodeRole {
    /// The API, the job worker and the scheduler.
    #[default]
    All,
    /// The API only: no job worker, no scheduler.
    Api,
    /// The job worker and the scheduler; HTTP serves only `/healthz`, `/readyz` and `/metrics`.
    Worker,
}

impl NodeRole {
    /// The name used in configuration and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Api => "api",
            Self::Worker => "worker",
        }
    }

    /// Whether this node serves the API (`/v1`, OAuth callbacks, connect links).
    pub fn serves_api(self) -> bool {
        matches!(self, Self::All | Self::Api)
    }

    /// Whether this node runs the job worker and the scheduler.
    pub fn runs_jobs(self) -> bool {
        matches!(self, Self::All | Self::Worker)
    }
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("hub-data")
}

fn default_refresh_margin() -> u64 {
    300
}

fn default_job_lease() -> u64 {
    30
}

fn default_sync_interval() -> u64 {
    300
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

/// Keys read from the environment (`HUB_<KEY>`); other `HUB_` variables belong to other tools.
const ENV_KEYS: &[&str] = &[
    "data_dir",
    "database_url",
    "listen",
    "log_format",
    "master_key",
    "public_url",
    "refresh_margin_seconds",
    "job_lease_seconds",
    "sync_interval_seconds",
    "role",
];
/// Keys that may instead be read from the file named by `HUB_<KEY>_FILE`.
const SECRET_FILE_KEYS: &[&str] = &["database_url", "master_key"];

/// Flags that override the configuration when given.
#[derive(Debug, Default, Serialize)]
struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<NodeRole>,
}

impl Config {
    /// Loads the configuration for a subcommand.
    pub fn load(common: &Common, listen: Option<SocketAddr>) -> anyhow::Result<Self> {
        Self::load_for_serve(common, listen, None)
    }

    /// Loads the configuration for `hub serve`, whose flags may also set the node's role.
    pub fn load_for_serve(common: &Common, listen: Option<SocketAddr>, role: Option<NodeRole>) -> anyhow::Result<Self> {
        let flags = Overrides { data_dir: common.data_dir.clone(), listen, role };
        Self::from_sources(common.config.as_deref(), flags, |name| std::env::var(name).ok())
    }

    fn from_sources(
        file: Option<&Path>,
        flags: Overrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let mut figment = Figment::new();
        if let Some(file) = file {
            anyhow::ensure!(file.is_file(), "config file {} does not exist", file.display());
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment.merge(Env::prefixed("HUB_").only(ENV_KEYS));
        for key in SECRET_FILE_KEYS {
            let variable = format!("HUB_{}_FILE", key.to_uppercase());
            if let Some(path) = env(&variable) {
                let contents = std::fs::read_to_string(&path)
                    .with_context(|| format!("config key `{key}`: cannot read {variable}={path}"))?;
                figment = figment.merge(Serialized::default(key, contents.trim().to_owned()));
            }
        }
        figment = figment.merge(Serialized::defaults(flags));
        let config = figment.extract::<Config>().map_err(|error| {
            let key = error.path.join(".");
            let key = if key.is_empty() { String::from("(top level)") } else { key };
            anyhow::anyhow!("invalid configuration at key `{key}`: {}", error.kind)
        })?;
        for provider in config.providers.keys() {
            anyhow::ensure!(
                hub_connectors::catalog::provider(provider).is_some(),
                "invalid configuration at key `providers.{provider}`: not a provider the hub knows"
            );
        }
        anyhow::ensure!(
            config.job_lease_seconds >= 2,
            "invalid configuration at key `job_lease_seconds`: must be at least 2"
        );
        anyhow::ensure!(
            config.sync_interval_seconds >= 10,
            "invalid configuration at key `sync_interval_seconds`: must be at least 10"
        );
        if let Some(url) = &config.public_url {
            anyhow::ensure!(
                url.starts_with("http://") || url.starts_with("https://"),
                "invalid configuration at key `public_url`: must start with http:// or https://"
            );
        }
        Ok(config)
    }

    /// How this node's job worker runs: the configured lease, heartbeats at a third of it.
    pub fn worker(&self) -> hub_jobs::WorkerConfig {
        let lease = std::time::Duration::from_secs(self.job_lease_seconds);
        hub_jobs::WorkerConfig { lease, heartbeat_interval: lease / 3, ..hub_jobs::WorkerConfig::default() }
    }

    /// The public origin: configured, or derived from the address actually listened on.
    pub fn public_url_for(&self, listening: SocketAddr) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{listening}"))
    }

    /// Where the master keyring is kept when it is not given in the environment.
    pub fn master_key_path(&self) -> PathBuf {
        self.data_dir.join("master.key")
    }

    /// The master keyring: from the configuration, or from the data directory, creating it (0600)
    /// there when `create` is set and there is none yet.
    pub fn keyring(&self, create: bool) -> anyhow::Result<Keyring> {
        if let Some(text) = &self.master_key {
            return Keyring::parse(text.expose_secret()).context("config key `master_key`");
        }
        let path = self.master_key_path();
        if !path.exists() && create {
            std::fs::create_dir_all(&self.data_dir)
                .with_context(|| format!("cannot create data directory {}", self.data_dir.display()))?;
            Keyring::generate().save(&path)?;
            tracing::info!(path = %path.display(), "generated a new master key");
        }
        Keyring::load(&path).with_context(|| {
            format!("no master key: run `hub init`, or set HUB_MASTER_KEY / HUB_MASTER_KEY_FILE ({})", path.display())
        })
    }

    /// Opens (without migrating) the configured store.
    pub async fn open_store(&self) -> anyhow::Result<Arc<dyn Store>> {
        hub_store::open(self.database_url.as_deref(), &self.data_dir).await.context("cannot open the database")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::result_large_err, reason = "figment's own Jail signature")]
    fn load_with_env(file: Option<&Path>, vars: &[(&str, &str)]) -> anyhow::Result<Config> {
        let mut outcome = None;
        figment::Jail::expect_with(|jail| {
            for (name, value) in vars {
                jail.set_env(name, value);
            }
            outcome = Some(Config::from_sources(file, Overrides::default(), |name| std::env::var(name).ok()));
            Ok(())
        });
        outcome.expect("the jail ran the closure")
    }

    #[test]
    fn defaults_then_file_then_environment() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("hub.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\nlog_format = \"json\"\n").expect("write");
        let config = load_with_env(Some(&file), &[("HUB_LISTEN", "127.0.0.1:9100")]).expect("config");
        assert_eq!(config.listen, "127.0.0.1:9100".parse().expect("addr"), "environment beats the file");
        assert_eq!(config.log_format, LogFormat::Json, "the file beats defaults");
        assert_eq!(config.data_dir, PathBuf::from("hub-data"));
    }

    #[test]
    fn invalid_values_name_their_key() {
        let error = load_with_env(None, &[("HUB_LISTEN", "not-an-address")]).expect_err("bad listen").to_string();
        assert!(error.contains("`listen`"), "{error}");
        let error = load_with_env(None, &[("HUB_LOG_FORMAT", "xml")]).expect_err("bad format").to_string();
        assert!(error.contains("`log_format`"), "{error}");
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("hub.toml");
        std::fs::write(&file, "lisen = \"127.0.0.1:9000\"\n").expect("write");
        let error = load_with_env(Some(&file), &[]).expect_err("typo").to_string();
        assert!(error.contains("lisen"), "{error}");
    }

    #[test]
    fn secrets_can_come_from_files() {
        let dir = tempfile::tempdir().expect("dir");
        let secret = dir.path().join("db-url");
        std::fs::write(&secret, "postgres://postgres@127.0.0.1/hub\n").expect("write");
        let path = secret.display().to_string();
        let config = load_with_env(None, &[("HUB_DATABASE_URL_FILE", &path)]).expect("config");
        assert_eq!(config.database_url.as_deref(), Some("postgres://postgres@127.0.0.1/hub"));
        let error =
            load_with_env(None, &[("HUB_MASTER_KEY_FILE", "/nonexistent/key")]).expect_err("missing").to_string();
        assert!(error.contains("master_key"), "{error}");
    }

    #[test]
    fn the_node_role_comes_from_the_file_then_the_environment() {
        assert_eq!(load_with_env(None, &[]).expect("config").role, NodeRole::All, "all by default");
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("hub.toml");
        std::fs::write(&file, "role = \"worker\"\n").expect("write");
        assert_eq!(load_with_env(Some(&file), &[]).expect("config").role, NodeRole::Worker);
        let config = load_with_env(Some(&file), &[("HUB_ROLE", "api")]).expect("config");
        assert_eq!(config.role, NodeRole::Api, "the environment beats the file");
        let error = load_with_env(None, &[("HUB_ROLE", "scheduler")]).expect_err("bad role").to_string();
        assert!(error.contains("`role`"), "{error}");
    }

    #[test]
    fn other_tools_hub_variables_are_ignored() {
        assert!(load_with_env(None, &[("HUB_PROTOCOL", "https")]).is_ok());
    }
}
