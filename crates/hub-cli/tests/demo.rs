//! `hub demo --no-serve`: the real binary builds the demo network, connects every shop through
//! the emulator's consent flow, syncs, and prints its JSON; a second run finds the network,
//! reconnects, syncs incrementally and duplicates nothing.

use std::process::Command;

use serde_json::Value;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port()
}

fn demo(data_dir: &str) -> Value {
    let listen = format!("127.0.0.1:{}", free_port());
    let output = Command::new(env!("CARGO_BIN_EXE_hub"))
        .args(["demo", "--data-dir", data_dir, "--listen", &listen, "--locations", "3", "--days", "7", "--no-serve"])
        .env("RUST_LOG", "warn")
        .output()
        .expect("hub demo");
    assert!(output.status.success(), "hub demo failed: {}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let line = stdout.lines().last().expect("one JSON line");
    serde_json::from_str(line).unwrap_or_else(|error| panic!("not JSON ({error}): {stdout}"))
}

#[test]
fn demo_builds_syncs_and_resumes_without_duplicates() {
    let dir = tempfile::tempdir().expect("dir");
    let data_dir = dir.path().display().to_string();
    let first = demo(&data_dir);
    let key = first["api_key"].as_str().expect("api_key");
    assert!(key.starts_with("hub_"), "{first}");
    assert!(first["network_id"].as_str().is_some_and(|id| id.starts_with("net_")), "{first}");
    let records = &first["records"];
    assert_eq!(records["locations"], 3, "one Square location per shop: {records}");
    assert!(
        records["sales"].as_u64().is_some_and(|sales| sales >= 3 * 7 * 20),
        "a week of sales in three shops: {records}"
    );
    for collection in ["customers", "staff_members", "appointments", "timecards", "payouts"] {
        assert!(records[collection].as_u64().is_some_and(|count| count > 0), "{collection}: {records}");
    }

    // The first sync is folded into the KPI rollups: every synced sale is a transaction.
    assert_eq!(first["kpis"]["transactions"], records["sales"], "{first}");
    assert!(first["kpis"]["net_sales"].as_str().is_some_and(|net| net != "0.00"), "{first}");
    export_round_trip(&data_dir, records["sales"].as_u64().expect("sales"));

    let second = demo(&data_dir);
    assert_eq!(second["network_id"], first["network_id"], "the second run finds the demo network");
    assert_ne!(second["api_key"], first["api_key"], "each run prints a fresh key");
    assert_eq!(second["records"], first["records"], "an incremental sync of unchanged shops adds nothing");
    assert_eq!(second["kpis"], first["kpis"], "replaying the feed counts nothing twice");

    let listen = format!("127.0.0.1:{}", free_port());
    let status = Command::new(env!("CARGO_BIN_EXE_hub"))
        .args(["demo", "--data-dir", &data_dir, "--listen", &listen, "--locations", "0", "--no-serve"])
        .output()
        .expect("hub demo");
    assert_eq!(status.status.code(), Some(2), "a bad --locations is a usage error");
}

/// `hub export` on the demo's data: every sale as a CSV line, and a Parquet KPI file.
fn export_round_trip(data_dir: &str, sales: u64) {
    let today = chrono::Utc::now().date_naive();
    let (from, to) = ((today - chrono::Days::new(30)).to_string(), (today + chrono::Days::new(1)).to_string());
    let out = std::path::Path::new(data_dir).join("sales.csv");
    let output = Command::new(env!("CARGO_BIN_EXE_hub"))
        .args(["export", "sales", "--data-dir", data_dir, "--from", &from, "--to", &to, "--format", "csv", "--out"])
        .arg(&out)
        .env("RUST_LOG", "warn")
        .output()
        .expect("hub export sales");
    assert!(output.status.success(), "hub export failed: {}", String::from_utf8_lossy(&output.stderr));
    let text = std::fs::read_to_string(&out).expect("the csv");
    assert_eq!(text.lines().count() as u64, sales + 1, "a header and one line per sale");
    assert!(text.starts_with("sale_id,external_id,provider"), "{}", &text[..text.len().min(200)]);

    let out = std::path::Path::new(data_dir).join("kpis.parquet");
    let output = Command::new(env!("CARGO_BIN_EXE_hub"))
        .args(["export", "kpis", "--data-dir", data_dir, "--from", &from, "--to", &to, "--group-by", "location"])
        .args(["--format", "parquet", "--out"])
        .arg(&out)
        .env("RUST_LOG", "warn")
        .output()
        .expect("hub export kpis");
    assert!(output.status.success(), "hub export failed: {}", String::from_utf8_lossy(&output.stderr));
    let bytes = std::fs::read(&out).expect("the parquet file");
    assert_eq!(&bytes[..4], b"PAR1", "a Parquet file");
    assert_eq!(&bytes[bytes.len() - 4..], b"PAR1");
}
