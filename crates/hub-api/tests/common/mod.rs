//! `spawn_app`: the real API on a loopback port over a fresh database (SQLite file or scratch
//! PostgreSQL), with a network and its admin key, for tests that speak HTTP to it.
#![allow(dead_code)]

use std::sync::Arc;

use hub_core::access::{NewApiKey, Role, TenantScope};
use hub_core::id::NetworkId;
use hub_core::tenancy::{Currency, Name};
use hub_store::scratch::ScratchDatabase;
use hub_store::{ChangeContext, Store};
use hub_vault::{ApiKeyHasher, Keyring};
use secrecy::ExposeSecret;
use tokio_util::sync::CancellationToken;

pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running app and handles to look behind it.
pub struct TestApp {
    pub base_url: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub hasher: ApiKeyHasher,
    pub network_id: NetworkId,
    pub admin_key: String,
    pub sqlite_path: Option<std::path::PathBuf>,
    pub keyring_path: std::path::PathBuf,
    pub emulator: Option<hub_emulators::RunningEmulator>,
    pub database_url: Option<String>,
    /// The app's state: its job queue, sync engine and connection service.
    pub state: Option<hub_api::AppState>,
    worker: tokio::sync::OnceCell<hub_jobs::Worker>,
    shutdown: CancellationToken,
    _dir: Option<tempfile::TempDir>,
    _keys_dir: tempfile::TempDir,
    _database: Option<ScratchDatabase>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Starts the app, or returns `None` when PostgreSQL is unavailable outside CI.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, false).await
}

/// Starts the emulators, then the app with them as its default environment.
pub async fn spawn_app_with_emulators(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, true).await
}

async fn spawn_app_with(backend: Backend, emulators: bool) -> Option<TestApp> {
    let (store, dir, database, sqlite_path): (Arc<dyn Store>, _, _, _) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("hub.db");
            let store = hub_store::SqliteStore::open(&path).await.expect("sqlite");
            (Arc::new(store), Some(dir), None, Some(path))
        }
        Backend::Postgres => {
            let database = ScratchDatabase::for_test().await?;
            let store = hub_store::PostgresStore::connect(database.url()).await.expect("postgres");
            (Arc::new(store), None, Some(database), None)
        }
    };
    store.migrate().await.expect("migrate");
    let keyring = Keyring::generate();
    let hasher = ApiKeyHasher::new(&keyring);
    let keys_dir = tempfile::tempdir().expect("keys dir");
    let keyring_path = keys_dir.path().join("master.key");
    keyring.save(&keyring_path).expect("save keyring");
    let emulator = if emulators {
        let running = hub_emulators::start("127.0.0.1:0".parse().expect("addr"), hub_emulators::EmulatorState::new())
            .await
            .expect("emulators");
        Some(running)
    } else {
        None
    };
    let database_url = database.as_ref().map(|db: &ScratchDatabase| db.url().to_owned());
    let ctx = ChangeContext::cli();
    let network = store
        .create_network(&ctx, Name::parse("Fade Factory").expect("name"), Currency::parse("USD").expect("USD"))
        .await
        .expect("network");
    let mut app = TestApp {
        base_url: String::new(),
        client: reqwest::Client::new(),
        store: Arc::clone(&store),
        hasher: hasher.clone(),
        network_id: network.id.clone(),
        admin_key: String::new(),
        sqlite_path,
        keyring_path: keyring_path.clone(),
        emulator,
        database_url,
        state: None,
        worker: tokio::sync::OnceCell::new(),
        shutdown: CancellationToken::new(),
        _dir: dir,
        _keys_dir: keys_dir,
        _database: database,
    };
    let admin_key = app.mint_key(Role::NetworkAdmin, TenantScope::network(network.id.clone())).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base_url = format!("http://{}", listener.local_addr().expect("addr"));
    let mut settings = hub_api::ApiSettings::new(base_url.clone());
    settings.keyring_path = Some(keyring_path);
    settings.allow_private_targets = true;
    if let Some(emulator) = &app.emulator {
        settings.providers.emulator_base = Some(emulator.base_url());
        settings.providers.default_environment = hub_api::Environment::Emulator;
    }
    settings.webhooks.allow_list = hub_resilience::AllowList::loopback();
    // Webhook retries come due within a test's patience; the breaker cools down as fast.
    settings.webhooks.retry_schedule =
        [0, 20, 40, 60, 80, 100, 120, 140].map(std::time::Duration::from_millis).to_vec();
    settings.webhooks.breaker_cooldown = std::time::Duration::from_millis(50);
    let state = hub_api::AppState::new(store, &keyring, settings);
    app.state = Some(state.clone());
    let router = hub_api::app(state);
    tokio::spawn(hub_api::serve(listener, router, app.shutdown.clone()));
    app.base_url = base_url;
    app.admin_key = admin_key;
    Some(app)
}

impl TestApp {
    /// Creates a key straight in the store (as `hub init` does) and returns its secret.
    pub async fn mint_key(&self, role: Role, scope: TenantScope) -> String {
        let generated = self.hasher.generate();
        let new = NewApiKey {
            role,
            scope,
            name: None,
            display_prefix: generated.display_prefix,
            secret_hash: generated.secret_hash,
            hash_key_id: generated.hash_key_id,
        };
        self.store.create_api_key(&self.network_scope(), &ChangeContext::cli(), new).await.expect("mint key");
        generated.secret.expose_secret().to_owned()
    }

    /// Runs due background jobs (syncs, refreshes) inline until none is due and the queue holds
    /// nothing that will come due within `patience` (retries wait out their backoff).
    pub async fn run_jobs(&self, patience: std::time::Duration) -> Vec<hub_jobs::JobRun> {
        let state = self.state.as_ref().expect("the app's state");
        let worker = self
            .worker
            .get_or_init(|| async {
                let registry =
                    hub_api::background::registry(state, std::time::Duration::from_secs(300)).expect("registry");
                let config = hub_jobs::WorkerConfig {
                    backoff: hub_jobs::Backoff {
                        base: std::time::Duration::from_millis(50),
                        max: std::time::Duration::from_millis(200),
                    },
                    ..hub_jobs::WorkerConfig::default()
                };
                hub_jobs::Worker::new(state.jobs.clone(), registry, config).expect("worker")
            })
            .await;
        let deadline = tokio::time::Instant::now() + patience;
        let mut runs = Vec::new();
        loop {
            match worker.try_run_one().await.expect("worker") {
                Some(run) => runs.push(run),
                None if tokio::time::Instant::now() >= deadline => return runs,
                None => {
                    let waiting = self
                        .store
                        .list_jobs(
                            &hub_store::JobFilter::all(hub_store::JobVisibility::Operator),
                            &hub_core::page::PageRequest::first(),
                        )
                        .await
                        .expect("jobs")
                        .items
                        .iter()
                        .any(|job| !job.status.is_finished());
                    if !waiting {
                        return runs;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            }
        }
    }

    /// Creates a location of a new franchisee (`label`) in Chicago; returns (franchisee, location).
    pub async fn shop(&self, label: &str) -> (hub_core::id::FranchiseeId, hub_core::id::LocationId) {
        use hub_core::tenancy::{NewFranchisee, NewLocation, TimeZone};
        let ctx = ChangeContext::cli();
        let usd = Currency::parse("USD").expect("USD");
        let franchisee = self
            .store
            .create_franchisee(
                &self.network_scope(),
                &ctx,
                NewFranchisee { name: Name::parse(label).expect("name"), currency: usd },
            )
            .await
            .expect("franchisee");
        let new = NewLocation {
            franchisee_id: franchisee.id.clone(),
            name: Name::parse(&format!("{label} Main St")).expect("name"),
            time_zone: TimeZone::parse("America/Chicago").expect("zone"),
            territory_id: None,
        };
        let location = self.store.create_location(&self.network_scope(), &ctx, new).await.expect("location");
        (franchisee.id, location.id)
    }

    /// Connects `location` to the emulated Square seller `merchant` through the consent flow;
    /// returns the connection id.
    pub async fn connect_square(&self, location: &hub_core::id::LocationId, merchant: &str) -> String {
        let body = serde_json::json!({"provider": "square", "location_id": location});
        let (status, created) = self.send(reqwest::Method::POST, "/v1/connections", &self.admin_key, Some(body)).await;
        assert_eq!(status, 201, "{created}");
        let mut authorize =
            reqwest::Url::parse(created["authorize_url"].as_str().expect("authorize_url")).expect("url");
        authorize.query_pairs_mut().append_pair("emulator_account", merchant);
        let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        let consent = browser.get(authorize).send().await.expect("consent");
        let callback = consent.headers()["location"].to_str().expect("location").to_owned();
        let page = browser.get(&callback).send().await.expect("callback");
        assert_eq!(page.status(), 200, "the callback accepts the code");
        created["id"].as_str().expect("id").to_owned()
    }

    /// Asks for a sync over the API, runs jobs until it has finished, and returns the run.
    pub async fn sync_now(&self, connection: &str, mode: &str) -> serde_json::Value {
        let path = format!("/v1/connections/{connection}/sync");
        let (status, accepted) =
            self.send(reqwest::Method::POST, &path, &self.admin_key, Some(serde_json::json!({"mode": mode}))).await;
        assert_eq!(status, 202, "{accepted}");
        let run = accepted["sync_run_id"].as_str().expect("sync_run_id").to_owned();
        self.run_jobs(std::time::Duration::from_secs(5)).await;
        let (_, finished) =
            self.send(reqwest::Method::GET, &format!("/v1/sync-runs/{run}"), &self.admin_key, None).await;
        finished
    }

    /// The change feed's cursor after every change so far.
    pub async fn change_feed_end(&self) -> String {
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(after) => format!("/v1/changes?limit=1000&after={after}"),
                None => "/v1/changes?limit=1000".to_owned(),
            };
            let (_, page) = self.send(reqwest::Method::GET, &path, &self.admin_key, None).await;
            let next = page["next_cursor"].as_str().expect("next_cursor").to_owned();
            if page["data"].as_array().is_none_or(Vec::is_empty) {
                return next;
            }
            cursor = Some(next);
        }
    }

    /// Every item of a paged list, following `next_cursor`.
    pub async fn list_all(&self, path: &str) -> Vec<serde_json::Value> {
        let mut items = Vec::new();
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut url = format!("{path}{separator}limit=500");
        loop {
            let (status, page) = self.send(reqwest::Method::GET, &url, &self.admin_key, None).await;
            assert_eq!(status, 200, "{path}: {page}");
            items.extend(page["data"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(cursor) => url = format!("{path}{separator}limit=500&cursor={cursor}"),
                None => return items,
            }
        }
    }

    /// The running emulators (for tests that started them).
    pub fn emulators(&self) -> &hub_emulators::EmulatorState {
        self.emulator.as_ref().expect("this test started the emulators").state()
    }

    pub fn network_scope(&self) -> TenantScope {
        TenantScope::network(self.network_id.clone())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Sends a request with `key` (none when empty) and an optional JSON body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        key: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = self.client.request(method, self.url(path));
        if !key.is_empty() {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("body");
        let value = if bytes.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null)
        };
        (status, value)
    }

    /// How many entries the network's audit chain has: every successful change adds one.
    pub async fn audit_length(&self) -> i64 {
        self.store.audit_head(&self.network_id).await.expect("head").map_or(0, |(seq, _)| seq)
    }
}

/// Expands each test function once per backend.
#[macro_export]
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    let app = $crate::common::spawn_app($crate::common::Backend::Sqlite).await.expect("sqlite app");
                    super::$test(app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    let Some(app) = $crate::common::spawn_app($crate::common::Backend::Postgres).await else { return };
                    super::$test(app).await;
                }
            )*
        }
    };
}

/// Like `on_both_backends!`, with the provider emulators running and set as the default environment.
#[macro_export]
macro_rules! on_both_backends_with_emulators {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    let app = $crate::common::spawn_app_with_emulators($crate::common::Backend::Sqlite).await.expect("sqlite app");
                    super::$test(app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    let Some(app) = $crate::common::spawn_app_with_emulators($crate::common::Backend::Postgres).await else { return };
                    super::$test(app).await;
                }
            )*
        }
    };
}
