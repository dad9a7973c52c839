//! `hub royalties close` with the real binary on the demo network: `hub emulators` runs in its own
//! process, `hub demo --no-serve --emulators-at` builds and syncs the network (and connects the
//! franchisor to its QuickBooks company through the consent flow), then closing last month
//! creates exactly one invoice per franchisee — once, even when run twice, and even when
//! QuickBooks throttles and refuses an expired token in the middle of it.

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::{Datelike, Months, Utc};
use serde_json::{Value, json};

const REALM: &str = "9130356650";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port()
}

/// A `hub emulators` process, stopped when dropped.
struct Emulators {
    child: Child,
    origin: String,
}

impl Drop for Emulators {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn emulators() -> Emulators {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_hub"))
        .args(["emulators", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("hub emulators");
    // Owned at once, so the process is killed and reaped whatever happens next.
    let emulators = Emulators { child, origin: format!("http://127.0.0.1:{port}") };
    for _ in 0..100 {
        if reqwest::get(format!("{}/_emulator", emulators.origin)).await.is_ok_and(|r| r.status().is_success()) {
            return emulators;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("hub emulators did not start");
}

fn hub(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hub")).args(args).env("RUST_LOG", "warn").output().expect("hub")
}

fn demo(data_dir: &str, origin: &str) -> Value {
    let listen = format!("127.0.0.1:{}", free_port());
    let output = hub(&[
        "demo",
        "--data-dir",
        data_dir,
        "--listen",
        &listen,
        "--locations",
        "3",
        "--days",
        "40",
        "--no-serve",
        "--emulators-at",
        origin,
    ]);
    assert!(output.status.success(), "hub demo failed: {}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    serde_json::from_str(stdout.lines().last().expect("one JSON line")).expect("JSON")
}

/// Last month, which 40 days of history cover whole.
fn last_month() -> String {
    let first = Utc::now().date_naive().with_day(1).expect("first of the month");
    first.checked_sub_months(Months::new(1)).expect("a month back").format("%Y-%m").to_string()
}

fn close(data_dir: &str, origin: &str, period: &str) -> (bool, String) {
    let output = hub(&["royalties", "close", "--data-dir", data_dir, "--period", period, "--emulators-at", origin]);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    (output.status.success(), format!("{stdout}{stderr}"))
}

async fn invoices(origin: &str) -> Vec<Value> {
    let url = format!("{origin}/_emulator/quickbooks-online/realms/{REALM}/invoices");
    reqwest::get(url).await.expect("invoices").json().await.expect("JSON")
}

/// The franchisees (QuickBooks customers) the invoices are billed to.
fn billed(invoices: &[Value]) -> BTreeSet<String> {
    invoices.iter().map(|invoice| invoice["CustomerRef"]["value"].as_str().expect("customer").to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_a_month_invoices_each_franchisee_once() {
    let emulators = emulators().await;
    let dir = tempfile::tempdir().expect("dir");
    let data_dir = dir.path().display().to_string();
    let summary = demo(&data_dir, &emulators.origin);
    assert_eq!(summary["quickbooks_realm"], REALM, "{summary}");
    let period = last_month();

    let (ok, output) = close(&data_dir, &emulators.origin, &period);
    assert!(ok, "close failed: {output}");
    let first = invoices(&emulators.origin).await;
    assert_eq!(first.len(), 3, "one invoice per franchisee: {output}");
    assert_eq!(billed(&first).len(), 3, "three different franchisees");
    assert!(first.iter().all(|invoice| invoice["TotalAmt"].as_f64().is_some_and(|total| total > 0.0)));
    assert_eq!(output.matches(" issued ").count(), 3, "{output}");

    let (ok, again) = close(&data_dir, &emulators.origin, &period);
    assert!(ok, "the second close failed: {again}");
    let second = invoices(&emulators.origin).await;
    assert_eq!(second.len(), 3, "running close twice creates no duplicate");
    assert_eq!(second, first, "and changes none");

    let (ok, output) = close(&data_dir, &emulators.origin, "2026-13");
    assert!(!ok && output.contains("YYYY-MM"), "{output}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_an_expired_token_during_the_close_are_absorbed() {
    let emulators = emulators().await;
    let control = reqwest::Client::new();
    let origin = emulators.origin.clone();
    // QuickBooks access tokens live one second, so the demo's is long dead when the close runs.
    let lifetimes = control
        .put(format!("{origin}/_emulator/quickbooks-online/token-lifetimes"))
        .json(&json!({"access_token_ttl_secs": 1}))
        .send()
        .await
        .expect("lifetimes");
    assert!(lifetimes.status().is_success());
    let dir = tempfile::tempdir().expect("dir");
    let data_dir = dir.path().display().to_string();
    demo(&data_dir, &origin);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    // The next six requests of the company are throttled (more than one call's retries absorb),
    // and one more is refused as if its token had expired.
    let throttle = control
        .put(format!("{origin}/_emulator/quickbooks-online/realms/{REALM}/throttle"))
        .json(&json!({"requests": 6}))
        .send()
        .await
        .expect("throttle");
    assert!(throttle.status().is_success());
    let fault = json!({"provider": "quickbooks-online", "path_prefix": "/v3", "fault": {"kind": "status", "status": 401}, "count": 1});
    let injected = control.post(format!("{origin}/_emulator/faults")).json(&fault).send().await.expect("fault");
    assert!(injected.status().is_success());
    let refreshes = |counts: Value| counts["counts"]["refresh_token"].as_u64().expect("refresh count");
    let token_requests = format!("{origin}/_emulator/quickbooks-online/token-requests");
    let before = refreshes(control.get(&token_requests).send().await.expect("counts").json().await.expect("JSON"));

    let period = last_month();
    let (ok, output) = close(&data_dir, &origin, &period);
    assert!(ok, "close failed: {output}");
    let invoiced = invoices(&origin).await;
    assert_eq!(invoiced.len(), 3, "no invoice missing: {output}");
    assert_eq!(billed(&invoiced).len(), 3, "and none doubled");

    let throttled: Value = control
        .get(format!("{origin}/_emulator/quickbooks-online/realms/{REALM}/throttle"))
        .send()
        .await
        .expect("throttled")
        .json()
        .await
        .expect("JSON");
    assert!(throttled["throttled_requests"].as_u64().is_some_and(|count| count >= 6), "{throttled}");
    let faults: Value =
        control.get(format!("{origin}/_emulator/faults")).send().await.expect("faults").json().await.expect("JSON");
    assert_eq!(faults.as_array().map(Vec::len), Some(0), "the refused token was met and replaced: {faults}");
    let after = refreshes(control.get(&token_requests).send().await.expect("counts").json().await.expect("JSON"));
    assert!(after > before, "the expired token was refreshed (rotating), not fatal");

    let (ok, again) = close(&data_dir, &origin, &period);
    assert!(ok, "{again}");
    assert_eq!(invoices(&origin).await.len(), 3, "the second close adds nothing");
}
