//! The dashboard over real HTTP on loopback with a real SQLite store: sign-in with a password,
//! TOTP and an API key, CSRF and origin refusals, session expiry, rate limiting, and scope
//! (another franchisee's pages are 404, operator pages 403).

use std::sync::Arc;
use std::time::Duration;

use hub_core::access::{NewApiKey, Role, TenantScope};
use hub_core::id::{FranchiseeId, LocationId, NetworkId};
use hub_core::page::PageRequest;
use hub_core::tenancy::{Currency, Name, NewFranchisee, NewLocation, TimeZone};
use hub_oauth::CredentialVault;
use hub_store::{ChangeContext, Store};
use hub_vault::{ApiKeyHasher, Keyring};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use secrecy::{ExposeSecret, SecretString};
use tokio_util::sync::CancellationToken;

const PASSWORD: &str = "correct horse battery staple";

struct App {
    base: String,
    http: reqwest::Client,
    store: Arc<dyn Store>,
    vault: CredentialVault,
    network: NetworkId,
    north: (FranchiseeId, LocationId),
    south: (FranchiseeId, LocationId),
    admin_key: String,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for App {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn shop(store: &dyn Store, network: &NetworkId, name: &str) -> (FranchiseeId, LocationId) {
    let scope = TenantScope::network(network.clone());
    let usd = Currency::parse("USD").expect("usd");
    let franchisee = store
        .create_franchisee(
            &scope,
            &ChangeContext::cli(),
            NewFranchisee { name: Name::parse(name).expect("n"), currency: usd },
        )
        .await
        .expect("franchisee");
    let location = store
        .create_location(
            &scope,
            &ChangeContext::cli(),
            NewLocation {
                franchisee_id: franchisee.id.clone(),
                name: Name::parse(&format!("{name} Main St")).expect("n"),
                time_zone: TimeZone::parse("America/Chicago").expect("tz"),
                territory_id: None,
            },
        )
        .await
        .expect("location");
    (franchisee.id, location.id)
}

async fn spawn(idle_timeout: Duration) -> App {
    let dir = tempfile::tempdir().expect("dir");
    let store: Arc<dyn Store> = Arc::new(hub_store::SqliteStore::open(&dir.path().join("hub.db")).await.expect("db"));
    store.migrate().await.expect("migrate");
    let keyring = Keyring::generate();
    let hasher = ApiKeyHasher::new(&keyring);
    let usd = Currency::parse("USD").expect("usd");
    let network =
        store.create_network(&ChangeContext::cli(), Name::parse("Net").expect("n"), usd).await.expect("net").id;
    let north = shop(&*store, &network, "North").await;
    let south = shop(&*store, &network, "South").await;
    let generated = hasher.generate();
    let whole = TenantScope::network(network.clone());
    store
        .create_api_key(
            &whole,
            &ChangeContext::cli(),
            NewApiKey {
                role: Role::NetworkAdmin,
                scope: whole.clone(),
                name: Some("admin".into()),
                display_prefix: generated.display_prefix.clone(),
                secret_hash: generated.secret_hash.clone(),
                hash_key_id: generated.hash_key_id.clone(),
            },
        )
        .await
        .expect("key");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let state = hub_api::AppState::new(Arc::clone(&store), &keyring, hub_api::ApiSettings::new(base.clone()));
    let mut settings = hub_dashboard::DashboardSettings::new(base.clone());
    settings.idle_timeout = idle_timeout;
    let app = hub_api::app_with_pages(state, hub_dashboard::router(settings));
    let shutdown = CancellationToken::new();
    tokio::spawn(hub_api::serve(listener, app, shutdown.clone()));
    let vault = CredentialVault::new(Arc::clone(&store), keyring, None);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    App {
        base,
        http,
        store,
        vault,
        network,
        north,
        south,
        admin_key: generated.secret.expose_secret().to_owned(),
        shutdown,
        _dir: dir,
    }
}

fn cookie_value(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .map(|value| value.split(';').next().unwrap_or("").trim_start_matches(&format!("{name}=")).to_owned())
}

fn set_cookie_header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .unwrap_or_default()
        .to_owned()
}

fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..].split('"').next().expect("value").to_owned()
}

impl App {
    async fn add_user(&self, email: &str, role: Role, scope: TenantScope, totp: bool) -> Option<String> {
        let created = hub_dashboard::users::create_user(
            &*self.store,
            &self.vault,
            &TenantScope::network(self.network.clone()),
            &ChangeContext::cli(),
            hub_dashboard::users::UserRequest {
                email,
                role,
                scope,
                password: &SecretString::from(PASSWORD.to_owned()),
                with_totp: totp,
            },
        )
        .await
        .expect("user");
        created.totp_uri
    }

    /// Posts the sign-in form (after fetching it for its token); returns the response.
    async fn sign_in(&self, fields: &[(&str, &str)]) -> reqwest::Response {
        let form = self.http.get(format!("{}/sign-in", self.base)).send().await.expect("form");
        assert_eq!(form.status(), StatusCode::OK);
        let token = cookie_value(&form, "hub_sign_in").expect("sign-in cookie");
        let body = form.text().await.expect("body");
        assert_eq!(csrf_in(&body), token, "double-submit token in field and cookie");
        let mut pairs = vec![("csrf", token.as_str())];
        pairs.extend_from_slice(fields);
        self.http
            .post(format!("{}/sign-in", self.base))
            .header(ORIGIN, &self.base)
            .header(COOKIE, format!("hub_sign_in={token}"))
            .form(&pairs)
            .send()
            .await
            .expect("sign in")
    }

    async fn session_for(&self, email: &str) -> String {
        let response = self.sign_in(&[("email", email), ("password", PASSWORD)]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "signed in");
        cookie_value(&response, "hub_session").expect("session cookie")
    }

    async fn get(&self, session: &str, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, format!("hub_session={session}"))
            .send()
            .await
            .expect("get")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_signs_in_with_a_password_and_gets_a_safe_cookie() {
    let app = spawn(Duration::from_secs(600)).await;
    app.add_user("ana@example.com", Role::NetworkAdmin, TenantScope::network(app.network.clone()), false).await;

    let unauthenticated = app.http.get(format!("{}/", app.base)).send().await.expect("get");
    assert_eq!(unauthenticated.status(), StatusCode::SEE_OTHER);
    assert_eq!(unauthenticated.headers()[LOCATION], "/sign-in?next=%2F");

    let wrong = app.sign_in(&[("email", "ana@example.com"), ("password", "not the password at all")]).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(cookie_value(&wrong, "hub_session").is_none());

    let response = app.sign_in(&[("email", "Ana@Example.com"), ("password", PASSWORD), ("next", "/locations")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[LOCATION], "/locations");
    let header = set_cookie_header(&response, "hub_session");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(header.contains(attribute), "{attribute} in {header}");
    }
    assert!(!header.contains("Secure"), "no Secure on an http:// hub: {header}");
    let session = cookie_value(&response, "hub_session").expect("cookie");

    let page = app.get(&session, "/").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("Net — network overview"), "{html}");
    for link in
        ["/franchisees", "/locations", "/connections", "/sync-runs", "/jobs", "/webhooks", "/royalties", "/audit"]
    {
        assert!(html.contains(&format!("href=\"{link}\"")), "navigation reaches {link}");
    }
    assert!(app.get(&session, "/connections").await.status().is_success());

    let scope = TenantScope::network(app.network.clone());
    let audit = app.store.list_audit(&scope, &PageRequest::first()).await.expect("audit");
    assert!(audit.items.iter().any(|e| e.action == "user.sign_in_failed"), "failed attempt audited");
    assert!(audit.items.iter().any(|e| e.action == "user.sign_in"), "sign-in audited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_without_the_token_or_from_another_origin_are_refused_and_change_nothing() {
    let app = spawn(Duration::from_secs(600)).await;
    app.add_user("bo@example.com", Role::NetworkAdmin, TenantScope::network(app.network.clone()), false).await;
    let session = app.session_for("bo@example.com").await;
    let csrf = csrf_in(&app.get(&session, "/").await.text().await.expect("html"));
    let sign_out = |origin: &str, token: &str| {
        app.http
            .post(format!("{}/sign-out", app.base))
            .header(COOKIE, format!("hub_session={session}"))
            .header(ORIGIN, origin.to_owned())
            .form(&[("csrf", token.to_owned())])
            .send()
    };
    let no_token = sign_out(&app.base, "").await.expect("post");
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
    assert!(no_token.text().await.expect("html").contains("Request refused"));
    let wrong_token = sign_out(&app.base, "not-the-token").await.expect("post");
    assert_eq!(wrong_token.status(), StatusCode::FORBIDDEN);
    let wrong_origin = sign_out("http://evil.example", &csrf).await.expect("post");
    assert_eq!(wrong_origin.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get(&session, "/").await.status(), StatusCode::OK, "the session survived every refusal");

    // A sign-in form posted from elsewhere (no matching double-submit cookie) is refused too.
    let forged = app
        .http
        .post(format!("{}/sign-in", app.base))
        .header(ORIGIN, "http://evil.example")
        .form(&[("csrf", "x"), ("email", "bo@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let out = sign_out(&app.base, &csrf).await.expect("post");
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie_header(&out, "hub_session").contains("Max-Age=0"));
    assert_eq!(app.get(&session, "/").await.status(), StatusCode::SEE_OTHER, "signed out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_session_expires() {
    let app = spawn(Duration::from_secs(1)).await;
    app.add_user("cy@example.com", Role::NetworkAdmin, TenantScope::network(app.network.clone()), false).await;
    let session = app.session_for("cy@example.com").await;
    assert_eq!(app.get(&session, "/audit").await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let expired = app.get(&session, "/audit").await;
    assert_eq!(expired.status(), StatusCode::SEE_OTHER);
    assert_eq!(expired.headers()[LOCATION], "/sign-in?next=%2Faudit");
    assert_eq!(app.get(&session, "/").await.status(), StatusCode::SEE_OTHER, "and stays ended");
}

fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut buffer, mut bits, mut out) = (0_u32, 0_u32, Vec::new());
    for c in text.chars() {
        buffer = (buffer << 5) | ALPHABET.find(c).expect("base32") as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totp_users_need_a_valid_fresh_code() {
    let app = spawn(Duration::from_secs(600)).await;
    let uri = app
        .add_user("di@example.com", Role::NetworkAdmin, TenantScope::network(app.network.clone()), true)
        .await
        .expect("an enrolment URI");
    assert!(uri.starts_with("otpauth://totp/Franchise%20Hub%3Adi%40example.com?secret="), "{uri}");
    let secret = base32_decode(uri.split("secret=").nth(1).and_then(|rest| rest.split('&').next()).expect("secret"));

    let response = app.sign_in(&[("email", "di@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(response.headers()[LOCATION].to_str().expect("loc").starts_with("/sign-in/totp"));
    let pending = cookie_value(&response, "hub_session").expect("pending session");
    assert_eq!(app.get(&pending, "/").await.status(), StatusCode::SEE_OTHER, "a password alone opens nothing");
    let form = app.get(&pending, "/sign-in/totp").await.text().await.expect("html");
    let csrf = csrf_in(&form);
    let submit = |code: String| {
        app.http
            .post(format!("{}/sign-in/totp", app.base))
            .header(COOKIE, format!("hub_session={pending}"))
            .header(ORIGIN, &app.base)
            .form(&[("csrf", csrf.clone()), ("code", code)])
            .send()
    };
    let now = chrono::Utc::now().timestamp();
    let good = hub_dashboard::totp::code_for_step(&secret, hub_dashboard::totp::step_at(now));
    let bad = format!("{:06}", (good.parse::<u32>().expect("digits") + 1) % 1_000_000);
    assert_eq!(submit(bad).await.expect("post").status(), StatusCode::UNAUTHORIZED);
    let accepted = submit(good.clone()).await.expect("post");
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let session = cookie_value(&accepted, "hub_session").expect("a new session");
    assert_ne!(session, pending, "the token changes once the code is checked");
    assert_eq!(app.get(&session, "/").await.status(), StatusCode::OK);
    assert_eq!(app.get(&pending, "/").await.status(), StatusCode::SEE_OTHER, "the pending session is gone");

    // The same code cannot be used twice.
    let again = app.sign_in(&[("email", "di@example.com"), ("password", PASSWORD)]).await;
    let pending = cookie_value(&again, "hub_session").expect("pending");
    let csrf = csrf_in(&app.get(&pending, "/sign-in/totp").await.text().await.expect("html"));
    let replayed = app
        .http
        .post(format!("{}/sign-in/totp", app.base))
        .header(COOKIE, format!("hub_session={pending}"))
        .header(ORIGIN, &app.base)
        .form(&[("csrf", csrf), ("code", good)])
        .send()
        .await
        .expect("post");
    assert_eq!(replayed.status(), StatusCode::UNAUTHORIZED, "a replayed code is refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_franchisee_admin_sees_only_its_own_shops() {
    let app = spawn(Duration::from_secs(600)).await;
    let own = TenantScope::franchisee(app.network.clone(), app.north.0.clone());
    app.add_user("owner@example.com", Role::FranchiseeAdmin, own, false).await;
    let session = app.session_for("owner@example.com").await;
    assert_eq!(app.get(&session, &format!("/franchisees/{}", app.north.0)).await.status(), StatusCode::OK);
    assert_eq!(app.get(&session, &format!("/locations/{}", app.north.1)).await.status(), StatusCode::OK);
    for other in [format!("/franchisees/{}", app.south.0), format!("/locations/{}", app.south.1)] {
        let response = app.get(&session, &other).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{other}");
        assert!(response.text().await.expect("html").contains("Not found"));
    }
    assert_eq!(app.get(&session, "/franchisees/not-an-id").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(&session, "/jobs").await.status(), StatusCode::FORBIDDEN, "operators only");
    let locations = app.get(&session, "/locations").await.text().await.expect("html");
    assert!(locations.contains("North Main St") && !locations.contains("South Main St"), "{locations}");
    let overview = app.get(&session, "/").await.text().await.expect("html");
    assert!(!overview.contains("href=\"/jobs\""), "no link to pages the role cannot open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_sign_in_and_guessing_is_rate_limited() {
    let app = spawn(Duration::from_secs(600)).await;
    let response = app.sign_in(&[("api_key", &app.admin_key)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let session = cookie_value(&response, "hub_session").expect("cookie");
    let page = app.get(&session, "/").await.text().await.expect("html");
    assert!(page.contains("API key “admin”"), "{page}");

    app.add_user("ed@example.com", Role::NetworkAdmin, TenantScope::network(app.network.clone()), false).await;
    for _ in 0..5 {
        let wrong = app.sign_in(&[("email", "ed@example.com"), ("password", "wrong password guess")]).await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    let blocked = app.sign_in(&[("email", "ed@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    assert!(cookie_value(&blocked, "hub_session").is_none());
}
