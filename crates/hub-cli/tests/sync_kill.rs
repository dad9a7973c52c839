//! `kill -9` of `hub serve` in the middle of a full sync of a large emulated shop, then a restart:
//! the sync resumes from its checkpoint and ends with exactly the emulator's records — none
//! missing, none twice.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use hub_emulators::{EmulatorState, FaultRule, HttpFault, SquareLocationSpec, SquareMerchantConfig};
use serde_json::{Value, json};

const MERCHANT: &str = "MLBIGSHOP001";

struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port()
}

/// Starts `hub serve` on the data directory against the test's emulator; waits until it listens.
fn serve(data_dir: &str, listen: &str, emulators: &str) -> Node {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hub"))
        .args(["serve", "--data-dir", data_dir, "--listen", listen, "--emulators-at", emulators])
        .env("HUB_JOB_LEASE_SECONDS", "3")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn hub serve");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut line = String::new();
    while Instant::now() < deadline {
        line.clear();
        if stdout.read_line(&mut line).expect("read") == 0 || line.contains("listening") {
            break;
        }
    }
    assert!(line.contains("listening"), "hub serve did not start: {line}");
    Node(child)
}

struct Api {
    base: String,
    key: String,
    http: reqwest::Client,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method.clone(), format!("{}{path}", self.base)).bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap_or_else(|error| panic!("{method} {path}: {error}"));
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{method} {path}: {status} {body}");
        body
    }

    async fn all(&self, collection: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut path = format!("/v1/records/{collection}?limit=500");
        loop {
            let page = self.call(reqwest::Method::GET, &path, None).await;
            items.extend(page["data"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/v1/records/{collection}?limit=500&cursor={cursor}"),
                None => return items,
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sync_killed_mid_walk_resumes_with_no_duplicate_and_no_gap() {
    let emulator =
        hub_emulators::start("127.0.0.1:0".parse().expect("addr"), EmulatorState::new()).await.expect("emulators");
    let square = emulator.state().square();
    let shop = SquareMerchantConfig {
        merchant_id: MERCHANT.into(),
        business_name: Some("Big Shop Barbers".into()),
        locations: vec![SquareLocationSpec::new("Big Shop", "America/Chicago", "USD")],
        days: 365,
        end_date: NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"),
        seed: 7,
        orders_per_day: 55..=65,
    };
    let expected = square.configure_merchant(&shop).expect("configure");
    // Slow the orders pages down so the kill lands in the middle of the walk.
    emulator
        .state()
        .inject_fault(FaultRule::new("square", "/v2/orders/search", HttpFault::Latency { millis: 150 }))
        .expect("latency");

    let dir = tempfile::tempdir().expect("dir");
    let data_dir = dir.path().display().to_string();
    let init = Command::new(env!("CARGO_BIN_EXE_hub"))
        .args(["init", "--data-dir", &data_dir, "--network-name", "Kill Test", "--json"])
        .output()
        .expect("init");
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let created: Value = serde_json::from_slice(&init.stdout).expect("json");
    let listen = format!("127.0.0.1:{}", free_port());
    let api = Api {
        base: format!("http://{listen}"),
        key: created["api_key"].as_str().expect("key").to_owned(),
        http: reqwest::Client::new(),
    };
    let mut node = serve(&data_dir, &listen, &emulator.base_url());

    let franchisee = api
        .call(reqwest::Method::POST, "/v1/franchisees", Some(json!({"name": "Big Shop LLC", "currency": "USD"})))
        .await;
    let location = api
        .call(
            reqwest::Method::POST,
            "/v1/locations",
            Some(json!({"franchisee_id": franchisee["id"], "name": "Big Shop", "time_zone": "America/Chicago"})),
        )
        .await;
    let connection = api
        .call(
            reqwest::Method::POST,
            "/v1/connections",
            Some(json!({"provider": "square", "location_id": location["id"]})),
        )
        .await;
    let mut authorize = reqwest::Url::parse(connection["authorize_url"].as_str().expect("authorize_url")).expect("url");
    authorize.query_pairs_mut().append_pair("emulator_account", MERCHANT);
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let consent = browser.get(authorize).send().await.expect("consent");
    let callback = consent.headers()["location"].to_str().expect("location").to_owned();
    assert_eq!(browser.get(&callback).send().await.expect("callback").status(), 200);
    let id = connection["id"].as_str().expect("id");
    let accepted =
        api.call(reqwest::Method::POST, &format!("/v1/connections/{id}/sync"), Some(json!({"mode": "full"}))).await;
    let run = accepted["sync_run_id"].as_str().expect("run").to_owned();

    // Wait until the walk of sales has written a few pages, then kill the node without warning.
    let deadline = Instant::now() + Duration::from_secs(120);
    let at_kill = loop {
        assert!(Instant::now() < deadline, "the sync never reached the sales walk");
        let current = api.call(reqwest::Method::GET, &format!("/v1/sync-runs/{run}"), None).await;
        let in_sales = current["checkpoint"]["model"] == "sale" && current["checkpoint"]["cursor"].is_string();
        if in_sales && current["pages"].as_u64().unwrap_or(0) >= 6 {
            break current;
        }
        assert_ne!(current["status"], "succeeded", "the sync finished before it could be interrupted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    node.0.kill().expect("kill -9");
    node.0.wait().expect("reaped");
    let sales_before_kill = at_kill["created"].as_u64().unwrap_or(0);
    assert!(sales_before_kill > 0 && sales_before_kill < expected.orders, "killed mid-walk: {at_kill}");

    // Restart: the sync job's lease runs out and the new node resumes the run from its checkpoint.
    let _node = serve(&data_dir, &listen, &emulator.base_url());
    let deadline = Instant::now() + Duration::from_secs(180);
    let finished = loop {
        assert!(Instant::now() < deadline, "the resumed sync did not finish");
        let current = api.call(reqwest::Method::GET, &format!("/v1/sync-runs/{run}"), None).await;
        match current["status"].as_str() {
            Some("succeeded") => break current,
            Some("failed") => panic!("the resumed sync failed: {current}"),
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    };
    assert!(finished["pages"].as_u64() > at_kill["pages"].as_u64(), "{finished}");

    for (collection, count) in [
        ("sales", expected.orders),
        ("customers", expected.customers),
        ("staff_members", expected.team_members),
        ("refunds", expected.refunds),
        ("payouts", expected.payouts),
        ("timecards", expected.timecards),
        ("appointments", expected.bookings),
    ] {
        let records = api.all(collection).await;
        let mut ids: Vec<String> =
            records.iter().filter_map(|record| record["external_id"].as_str().map(str::to_owned)).collect();
        assert_eq!(ids.len() as u64, count, "{collection}: the hub holds exactly what Square has (no gap)");
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len() as u64, count, "{collection}: no external id twice (no duplicate)");
    }
    // Every record the run read was created once: no committed page was written again.
    assert_eq!(
        (finished["created"].as_u64(), finished["unchanged"].as_u64()),
        (finished["fetched"].as_u64(), Some(0)),
        "{finished}"
    );
}
