//! Connections end to end against the provider emulators: the OAuth flow for every emulated
//! provider, callback abuse, refresh (one token request however many callers), invalid_grant,
//! revocation, connect links, secrets at rest, and key rotation under load.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::TestApp;
use hub_emulators::{EmulatedProvider, Fault, TokenLifetimes};
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends_with_emulators!(
    every_oauth_provider_connects_through_its_emulator,
    callback_abuse_changes_nothing,
    concurrent_calls_with_an_expired_token_make_one_refresh,
    invalid_grant_moves_the_connection_to_needs_reauthorization,
    revoking_deletes_credentials_and_revokes_at_the_provider,
    connect_links_work_without_an_api_key,
    tokens_never_appear_at_rest_and_ciphertexts_are_bound_to_their_connection,
    credentials_stay_readable_through_key_rotation_under_load,
    provider_settings_point_a_network_at_any_oauth_server,
    a_failing_provider_opens_the_connections_circuit_and_recovers,
    a_401_from_the_provider_refreshes_once_and_retries,
    the_scheduled_refresh_job_refreshes_tokens_before_they_expire,
);

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// Follows the consent redirect to our callback; returns the callback's status and page.
async fn consent(authorize_url: &str) -> (u16, String) {
    let client = no_redirects();
    let response = client.get(authorize_url).send().await.expect("authorize");
    assert!(response.status().is_redirection(), "consent redirects back: {}", response.status());
    let location = response.headers()["location"].to_str().expect("location").to_owned();
    assert!(location.contains("/oauth/callback?"), "{location}");
    let response = client.get(&location).send().await.expect("callback");
    (response.status().as_u16(), response.text().await.expect("page"))
}

async fn start(app: &TestApp, provider: &str) -> Value {
    let (status, body) =
        app.send(Method::POST, "/v1/connections", &app.admin_key, Some(json!({"provider": provider}))).await;
    assert_eq!(status, 201, "{provider}: {body}");
    assert_eq!(body["status"], "pending");
    body
}

async fn connected(app: &TestApp, provider: &str) -> Value {
    let created = start(app, provider).await;
    let (status, page) = consent(created["authorize_url"].as_str().expect("authorize_url")).await;
    assert_eq!(status, 200, "{provider}: {page}");
    let (_, connection) = app
        .send(Method::GET, &format!("/v1/connections/{}", created["id"].as_str().expect("id")), &app.admin_key, None)
        .await;
    connection
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("id").to_owned()
}

async fn every_oauth_provider_connects_through_its_emulator(app: TestApp) {
    let providers = [
        ("square", EmulatedProvider::Square),
        ("clover", EmulatedProvider::Clover),
        ("quickbooks-online", EmulatedProvider::QuickBooksOnline),
        ("hubspot", EmulatedProvider::HubSpot),
        ("google-calendar", EmulatedProvider::Google),
        ("salesforce", EmulatedProvider::Salesforce),
    ];
    for (provider, emulated) in providers {
        let connection = connected(&app, provider).await;
        assert_eq!(connection["status"], "active", "{provider}: {connection}");
        assert_eq!(connection["provider"], provider);
        assert!(connection.get("access_token").is_none() && connection.get("credentials").is_none());
        assert_eq!(app.emulators().token_requests(emulated).authorization_code, 1, "{provider}");
        let (status, checked) =
            app.send(Method::POST, &format!("/v1/connections/{}/check", id(&connection)), &app.admin_key, None).await;
        assert_eq!((status, checked["status"].as_str()), (200, Some("active")), "{provider}: {checked}");
    }
    // Client credentials: no person involved.
    let (status, adp) =
        app.send(Method::POST, "/v1/connections", &app.admin_key, Some(json!({"provider": "adp"}))).await;
    if status == 201 {
        assert_eq!(adp["status"], "active", "{adp}");
        assert_eq!(app.emulators().token_requests(EmulatedProvider::Adp).client_credentials, 1);
    } else {
        // ADP needs a client certificate (mutual TLS) the emulator cannot check; it must say so.
        assert!(status >= 400, "{adp}");
    }
    // API-key providers take credentials and are active at once.
    let (status, stripe) = app
        .send(
            Method::POST,
            "/v1/connections",
            &app.admin_key,
            Some(json!({"provider": "stripe", "credentials": {"api_key": "rk_test_123"}})),
        )
        .await;
    assert_eq!((status, stripe["status"].as_str()), (201, Some("active")), "{stripe}");
    let (status, problem) =
        app.send(Method::POST, "/v1/connections", &app.admin_key, Some(json!({"provider": "nope"}))).await;
    assert_eq!((status, problem["errors"][0]["field"].as_str()), (400, Some("provider")));
}

async fn callback_abuse_changes_nothing(app: TestApp) {
    let callback = |query: String| {
        let url = app.url(&format!("/oauth/callback?{query}"));
        async move {
            let response = no_redirects().get(url).send().await.expect("callback");
            (response.status().as_u16(), response.text().await.expect("page"))
        }
    };
    let pending = start(&app, "square").await;
    let conn = id(&pending);
    let authorize_url = pending["authorize_url"].as_str().expect("url").to_owned();
    let state_of = |url: &str| url.split("state=").nth(1).expect("state").split('&').next().expect("state").to_owned();
    let state = state_of(&authorize_url);

    let (status, page) = callback("code=abc&state=unknown-state".into()).await;
    assert_eq!(status, 400, "unknown state: {page}");
    assert!(page.contains("unknown"));
    let (status, _) = callback("code=abc".into()).await;
    assert_eq!(status, 400, "missing state");

    // The provider reports the person refused.
    app.emulators().deny_next_authorization(EmulatedProvider::Square);
    let (status, page) = consent(&authorize_url).await;
    assert_eq!(status, 400, "access_denied: {page}");
    assert!(page.contains("access_denied"));
    // The state was used by that attempt: replaying it is refused.
    let (status, page) = callback(format!("code=abc&state={state}")).await;
    assert_eq!(status, 400, "replayed: {page}");
    assert!(page.contains("already used"));

    // A tampered PKCE challenge: the emulator refuses our verifier.
    let (_, again) = app.send(Method::POST, &format!("/v1/connections/{conn}/authorize"), &app.admin_key, None).await;
    let url = again["authorize_url"].as_str().expect("url");
    let forged = url.replace("code_challenge=", "code_challenge=x");
    let (status, page) = consent(&forged).await;
    assert!(status == 400 || status == 502, "wrong verifier: {status} {page}");

    // The code exchange fails at the provider.
    app.emulators().token_endpoint_fault(EmulatedProvider::Square, Fault::Status(503));
    let (_, again) = app.send(Method::POST, &format!("/v1/connections/{conn}/authorize"), &app.admin_key, None).await;
    let (status, page) = consent(again["authorize_url"].as_str().expect("url")).await;
    assert_eq!(status, 502, "exchange 5xx: {page}");
    app.emulators().clear_token_endpoint_fault(EmulatedProvider::Square);

    // The key that started the authorization is revoked before the person comes back.
    let (_, starter) =
        app.send(Method::POST, "/v1/api-keys", &app.admin_key, Some(json!({"role": "network_admin"}))).await;
    let starter_key = starter["key"].as_str().expect("key").to_owned();
    let (_, again) = app.send(Method::POST, &format!("/v1/connections/{conn}/authorize"), &starter_key, None).await;
    app.send(Method::DELETE, &format!("/v1/api-keys/{}", id(&starter)), &app.admin_key, None).await;
    let (status, page) = consent(again["authorize_url"].as_str().expect("url")).await;
    assert_eq!(status, 400, "cross-principal: {page}");

    // An expired state.
    let expired = "expired-state-value";
    app.store
        .insert_oauth_state(&hub_store::OAuthState {
            state_hash: hub_oauth::sha256_hex(expired),
            network_id: app.network_id.clone(),
            connection_id: conn.parse().expect("id"),
            started_by: "key_x".into(),
            sealed_verifier: None,
            redirect_uri: app.url("/oauth/callback"),
            expires_at: chrono::Utc::now() - chrono::Duration::minutes(1),
        })
        .await
        .expect("insert");
    let (status, page) = callback(format!("code=abc&state={expired}")).await;
    assert_eq!(status, 400);
    assert!(page.contains("expired"), "{page}");

    let (_, connection) = app.send(Method::GET, &format!("/v1/connections/{conn}"), &app.admin_key, None).await;
    assert_eq!(connection["status"], "pending", "no abuse changed the connection: {connection}");
    assert_eq!(connection["expires_at"], Value::Null);
}

async fn concurrent_calls_with_an_expired_token_make_one_refresh(app: TestApp) {
    app.emulators().set_token_lifetimes(
        EmulatedProvider::HubSpot,
        TokenLifetimes { access: Some(Duration::from_secs(4)), refresh: None },
    );
    let connection = connected(&app, "hubspot").await;
    tokio::time::sleep(Duration::from_millis(4200)).await;
    let before = app.emulators().token_requests(EmulatedProvider::HubSpot).refresh_token;
    let path = format!("/v1/connections/{}/check", id(&connection));
    let app = Arc::new(app);
    let mut calls = Vec::new();
    for _ in 0..50 {
        let app = Arc::clone(&app);
        let path = path.clone();
        calls.push(tokio::spawn(async move { app.send(Method::POST, &path, &app.admin_key, None).await }));
    }
    for call in calls {
        let (status, body) = call.await.expect("join");
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(
        app.emulators().token_requests(EmulatedProvider::HubSpot).refresh_token - before,
        1,
        "exactly one refresh"
    );
    let (_, events) =
        app.send(Method::GET, &format!("/v1/connections/{}/events", id(&connection)), &app.admin_key, None).await;
    assert_eq!(events[0]["kind"], "refreshed");
}

async fn invalid_grant_moves_the_connection_to_needs_reauthorization(app: TestApp) {
    let connection = connected(&app, "quickbooks-online").await;
    app.emulators().force_invalid_grant(EmulatedProvider::QuickBooksOnline);
    let (status, problem) =
        app.send(Method::POST, &format!("/v1/connections/{}/refresh", id(&connection)), &app.admin_key, None).await;
    assert_eq!(status, 409, "{problem}");
    assert!(problem["detail"].as_str().expect("detail").contains("authorized again"));
    let (_, after) = app.send(Method::GET, &format!("/v1/connections/{}", id(&connection)), &app.admin_key, None).await;
    assert_eq!(after["status"], "needs_reauthorization");
    assert!(after["last_error"].as_str().is_some_and(|e| e.contains("refused")));
    let (_, events) =
        app.send(Method::GET, &format!("/v1/connections/{}/events", id(&connection)), &app.admin_key, None).await;
    assert_eq!(events[0]["kind"], "needs_reauthorization");
    assert_eq!(
        app.emulators().token_requests(EmulatedProvider::QuickBooksOnline).refresh_token,
        1,
        "within one refresh attempt"
    );
}

async fn revoking_deletes_credentials_and_revokes_at_the_provider(app: TestApp) {
    let connection = connected(&app, "square").await;
    let conn = id(&connection);
    let (status, revoked) = app.send(Method::DELETE, &format!("/v1/connections/{conn}"), &app.admin_key, None).await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["provider_revoked"], true);
    let (status, _) = app.send(Method::POST, &format!("/v1/connections/{conn}/check"), &app.admin_key, None).await;
    assert_eq!(status, 409, "no credentials after revocation");
    let stored = app
        .store
        .read_credentials(&app.network_id, &conn.parse().expect("id"), &hub_store::ChangeContext::cli())
        .await
        .expect("read");
    assert_eq!(stored.sealed, None, "credentials deleted");
}

async fn connect_links_work_without_an_api_key(app: TestApp) {
    let pending = start(&app, "clover").await;
    let (status, link) =
        app.send(Method::POST, &format!("/v1/connections/{}/link", id(&pending)), &app.admin_key, None).await;
    assert_eq!(status, 201, "{link}");
    let url = link["url"].as_str().expect("url");
    let client = no_redirects();
    let page = client.get(url).send().await.expect("page");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("text").contains("Continue to Clover"));
    let start = client.get(format!("{url}/start")).send().await.expect("start");
    assert_eq!(start.status(), 303);
    let authorize_url = start.headers()["location"].to_str().expect("location").to_owned();
    let (status, page) = consent(&authorize_url).await;
    assert_eq!(status, 200, "{page}");
    let (_, connection) =
        app.send(Method::GET, &format!("/v1/connections/{}", id(&pending)), &app.admin_key, None).await;
    assert_eq!(connection["status"], "active");
    let bogus = client.get(app.url("/connect/not-a-token")).send().await.expect("bogus");
    assert_eq!(bogus.status(), 404);
}

async fn tokens_never_appear_at_rest_and_ciphertexts_are_bound_to_their_connection(app: TestApp) {
    let logs = Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let writer_logs = Arc::clone(&logs);
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || LogWriter(Arc::clone(&writer_logs)))
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let first = connected(&app, "square").await;
    let second = connected(&app, "square").await;
    let (first_id, second_id) = (id(&first), id(&second));
    // Read the plaintext tokens the way only the hub can: through its vault.
    let vault = hub_oauth::CredentialVault::new(
        Arc::clone(&app.store),
        hub_vault::Keyring::load(&app.keyring_path).expect("keyring"),
        None,
    );
    let stored = app
        .store
        .read_credentials(&app.network_id, &first_id.parse().expect("id"), &hub_store::ChangeContext::cli())
        .await
        .expect("read");
    let sealed = stored.sealed.expect("sealed");
    let tokens = hub_oauth::TokenSet::from_bytes(&vault.open(&app.network_id, &first_id, &sealed).await.expect("open"))
        .expect("tokens");
    let secrets = [tokens.access_token.clone(), tokens.refresh_token.clone().expect("refresh token")];

    let mut at_rest = Vec::new();
    if let Some(path) = &app.sqlite_path {
        at_rest.extend(std::fs::read(path).expect("db"));
        at_rest.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
    }
    if let Some(url) = &app.database_url {
        use sqlx::Connection;
        let mut db = sqlx::PgConnection::connect(url).await.expect("pg");
        let tables: Vec<(String,)> =
            sqlx::query_as("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
                .fetch_all(&mut db)
                .await
                .expect("tables");
        for (table,) in tables {
            let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT t::text FROM {table} t")))
                .fetch_all(&mut db)
                .await
                .expect("rows");
            for (row,) in rows {
                at_rest.extend(row.into_bytes());
            }
        }
    }
    assert!(!at_rest.is_empty());
    let logged = logs.lock().expect("logs").clone();
    for secret in &secrets {
        let needle = secret.as_bytes();
        assert!(!at_rest.windows(needle.len()).any(|w| w == needle), "a token is stored in plaintext");
        assert!(!logged.windows(needle.len()).any(|w| w == needle), "a token was logged");
    }

    // Moving the first connection's ciphertext onto the second makes it unreadable, not usable.
    let second_stored = app
        .store
        .read_credentials(&app.network_id, &second_id.parse().expect("id"), &hub_store::ChangeContext::cli())
        .await
        .expect("read");
    assert!(
        app.store
            .reseal_credentials(&app.network_id, &second_id.parse().expect("id"), second_stored.version, &sealed)
            .await
            .expect("copy")
    );
    assert!(vault.open(&app.network_id, &second_id, &sealed).await.is_err(), "bound to its own connection");
}

struct LogWriter(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("logs").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn credentials_stay_readable_through_key_rotation_under_load(app: TestApp) {
    let mut connections = Vec::new();
    for _ in 0..4 {
        connections.push(id(&connected(&app, "hubspot").await));
    }
    let app = Arc::new(app);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut readers = Vec::new();
    for conn in connections.clone() {
        let (app, stop) = (Arc::clone(&app), Arc::clone(&stop));
        readers.push(tokio::spawn(async move {
            let mut checks = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let (status, body) =
                    app.send(Method::POST, &format!("/v1/connections/{conn}/check"), &app.admin_key, None).await;
                assert_eq!(status, 200, "{body}");
                checks += 1;
            }
            checks
        }));
    }
    // Rotation as `hub keys rotate --reencrypt` does it, from "another process": its own vault.
    let keyring = hub_vault::Keyring::load(&app.keyring_path).expect("keyring");
    let operator = hub_oauth::CredentialVault::new(Arc::clone(&app.store), keyring, Some(app.keyring_path.clone()));
    operator.rotate_master_key(hub_vault::MasterKey::generate()).await.expect("rotate");
    let report = hub_oauth::reencrypt_all(&*app.store, &operator, &hub_store::ChangeContext::cli(), |_, _| {})
        .await
        .expect("reencrypt");
    assert_eq!(report.connections, connections.len());
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for reader in readers {
        assert!(reader.await.expect("reader") > 0);
    }
    // A fresh process with the rotated keyring reads everything.
    let fresh = hub_oauth::CredentialVault::new(
        Arc::clone(&app.store),
        hub_vault::Keyring::load(&app.keyring_path).expect("keyring"),
        None,
    );
    for conn in &connections {
        let stored = app
            .store
            .read_credentials(&app.network_id, &conn.parse().expect("id"), &hub_store::ChangeContext::cli())
            .await
            .expect("read");
        fresh.open(&app.network_id, conn, &stored.sealed.expect("sealed")).await.expect("readable after rotation");
    }
}

async fn provider_settings_point_a_network_at_any_oauth_server(app: TestApp) {
    let base = app.emulator.as_ref().expect("emulators").base_url();
    let settings = json!({
        "client_id": "emulator-client",
        "client_secret": "emulator-secret",
        "authorize_url": format!("{base}/hubspot/oauth/authorize"),
        "token_url": format!("{base}/hubspot/oauth/v3/token"),
    });
    let (status, saved) =
        app.send(Method::PATCH, "/v1/providers/hubspot/settings", &app.admin_key, Some(settings)).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["client_secret_set"], true);
    assert!(saved.get("client_secret").is_none(), "the secret is never returned");
    let (status, created) = app
        .send(
            Method::POST,
            "/v1/connections",
            &app.admin_key,
            Some(json!({"provider": "hubspot", "environment": "production"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let url = created["authorize_url"].as_str().expect("url");
    assert!(url.starts_with(&base), "production URLs overridden: {url}");
    let (status, page) = consent(url).await;
    assert_eq!(status, 200, "{page}");
    let (status, problem) = app
        .send(Method::PATCH, "/v1/providers/hubspot/settings", &app.admin_key, Some(json!({"token_url": "not a url"})))
        .await;
    assert_eq!((status, problem["errors"][0]["field"].as_str()), (400, Some("token_url")));
    let (status, providers) = app.send(Method::GET, "/v1/providers", &app.admin_key, None).await;
    assert_eq!(status, 200);
    assert!(providers["data"].as_array().expect("data").len() >= 23);
}

async fn a_failing_provider_opens_the_connections_circuit_and_recovers(app: TestApp) {
    let connection = connected(&app, "hubspot").await;
    let conn = id(&connection);
    let (status, health) = app.send(Method::GET, &format!("/v1/connections/{conn}/health"), &app.admin_key, None).await;
    assert_eq!(
        (status, health["circuit"].as_str(), health["status"].as_str()),
        (200, Some("closed"), Some("active")),
        "{health}"
    );

    app.emulators().token_endpoint_fault(EmulatedProvider::HubSpot, Fault::Status(503));
    for _ in 0..6 {
        let (status, _) =
            app.send(Method::POST, &format!("/v1/connections/{conn}/refresh"), &app.admin_key, None).await;
        assert!(status >= 500, "a failing token endpoint is a 5xx, not a success");
    }
    let (_, health) = app.send(Method::GET, &format!("/v1/connections/{conn}/health"), &app.admin_key, None).await;
    assert_eq!(health["circuit"], "open", "{health}");
    assert!(health["last_error"].as_str().is_some(), "{health}");
    assert_eq!(health["status"], "active", "a provider outage is not the owner's problem: no reauthorization");

    app.emulators().clear_token_endpoint_fault(EmulatedProvider::HubSpot);
    let recovered = std::time::Instant::now();
    loop {
        let (status, _) =
            app.send(Method::POST, &format!("/v1/connections/{conn}/refresh"), &app.admin_key, None).await;
        if status == 200 {
            break;
        }
        assert!(recovered.elapsed() < Duration::from_secs(2), "calls resume soon after the provider recovers");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, health) = app.send(Method::GET, &format!("/v1/connections/{conn}/health"), &app.admin_key, None).await;
    assert_eq!(health["circuit"], "closed", "{health}");
}

async fn a_401_from_the_provider_refreshes_once_and_retries(app: TestApp) {
    use hub_emulators::{FaultRule, HttpFault};
    use secrecy::ExposeSecret;
    let created = connected(&app, "hubspot").await;
    let connection =
        app.store.get_connection(&app.network_scope(), &id(&created).parse().expect("id")).await.expect("connection");
    // The provider-call path the sync engine uses, built as the hub builds it.
    let keyring = hub_vault::Keyring::load(&app.keyring_path).expect("keyring");
    let vault = Arc::new(hub_oauth::CredentialVault::new(Arc::clone(&app.store), keyring, None));
    let config =
        hub_resilience::ResilienceConfig { allow_list: hub_resilience::AllowList::loopback(), ..Default::default() };
    let client = hub_resilience::ResilientClient::new(config).expect("client");
    let service = Arc::new(hub_oauth::ConnectionService::new(
        Arc::clone(&app.store),
        Arc::clone(&vault),
        client,
        Duration::from_secs(300),
    ));
    let base = app.emulator.as_ref().expect("emulators").base_url();
    let directory = hub_api::ProviderDirectory { emulator_base: Some(base.clone()), ..Default::default() };
    let definition = hub_connectors::catalog::provider("hubspot").expect("hubspot");
    let (oauth_app, _) = directory
        .oauth_app(&*app.store, &vault, &app.network_id, definition, hub_api::Environment::Emulator)
        .await
        .expect("app");
    let oauth_app = Arc::new(oauth_app);
    let whoami = format!("{base}/hubspot/_whoami");

    // Ten calls refused at once with 401 cause one refresh, and each retried call succeeds.
    app.emulators()
        .inject_fault(FaultRule::new("hubspot", "/_whoami", HttpFault::Status { status: 401 }).times(10))
        .expect("fault");
    let before = app.emulators().token_requests(EmulatedProvider::HubSpot).refresh_token;
    let mut calls = Vec::new();
    for _ in 0..10 {
        let (service, oauth_app, connection, whoami) =
            (Arc::clone(&service), Arc::clone(&oauth_app), connection.clone(), whoami.clone());
        calls.push(tokio::spawn(async move {
            service
                .call_with_token(
                    &connection,
                    &oauth_app,
                    &hub_store::ChangeContext::cli(),
                    hub_resilience::Priority::Interactive,
                    |http, token| http.get(&whoami).bearer_auth(token.expose_secret()),
                )
                .await
                .expect("call")
                .status
                .as_u16()
        }));
    }
    for call in calls {
        assert_eq!(call.await.expect("join"), 200);
    }
    assert_eq!(
        app.emulators().token_requests(EmulatedProvider::HubSpot).refresh_token - before,
        1,
        "one refresh for ten 401s"
    );
}

async fn the_scheduled_refresh_job_refreshes_tokens_before_they_expire(app: TestApp) {
    app.emulators().set_token_lifetimes(
        EmulatedProvider::HubSpot,
        TokenLifetimes { access: Some(Duration::from_secs(4)), refresh: None },
    );
    let created = connected(&app, "hubspot").await;
    // The worker's own hub state, as `hub serve` builds it.
    let mut settings = hub_api::ApiSettings::new(app.base_url.clone());
    settings.allow_private_targets = true;
    settings.providers.emulator_base = Some(app.emulator.as_ref().expect("emulators").base_url());
    let keyring = hub_vault::Keyring::load(&app.keyring_path).expect("keyring");
    let state = hub_api::AppState::new(Arc::clone(&app.store), &keyring, settings);
    let store: Arc<dyn hub_store::JobStore> = Arc::clone(&app.store) as Arc<dyn hub_store::JobStore>;
    let queue = hub_jobs::JobQueue::new(store);
    let registry = hub_api::background::registry(&state, Duration::from_secs(300)).expect("registry");
    let worker = hub_jobs::Worker::new(queue.clone(), registry, hub_jobs::WorkerConfig::default()).expect("worker");
    let kind = hub_store::JobKind::parse(hub_api::background::REFRESH_DUE).expect("kind");

    // A fresh token is left alone.
    queue.enqueue(hub_store::NewJob::new(kind.clone(), json!({}))).await.expect("enqueue");
    let before = app.emulators().token_requests(EmulatedProvider::HubSpot).refresh_token;
    let run = worker.try_run_one().await.expect("run").expect("a job ran");
    assert!(matches!(run.outcome, hub_jobs::JobOutcome::Succeeded), "{:?}", run.outcome);
    assert_eq!(app.emulators().token_requests(EmulatedProvider::HubSpot).refresh_token, before);

    // Past half its 4 s life the token is due, and the job refreshes it with no call waiting.
    tokio::time::sleep(Duration::from_millis(2300)).await;
    queue.enqueue(hub_store::NewJob::new(kind, json!({}))).await.expect("enqueue");
    worker.try_run_one().await.expect("run").expect("a job ran");
    assert_eq!(app.emulators().token_requests(EmulatedProvider::HubSpot).refresh_token, before + 1);
    let (_, events) =
        app.send(Method::GET, &format!("/v1/connections/{}/events", id(&created)), &app.admin_key, None).await;
    assert_eq!(events[0]["kind"], "refreshed");
}
