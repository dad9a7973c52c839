//! The `hub` binary as an operator uses it: init's JSON contract, serve on a fresh directory,
//! configuration errors, and `hub audit verify` catching rows edited behind the hub's back.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use hub_store::scratch::ScratchDatabase;
use serde_json::Value;
use sqlx::Connection;

fn hub(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hub"));
    command.args(args).env_remove("HUB_DATABASE_URL").env("RUST_LOG", "warn");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("run hub")
}

fn init(dir: &Path, env: &[(&str, &str)]) -> Value {
    let output = hub(
        &[
            "init",
            "--data-dir",
            &dir.display().to_string(),
            "--network-name",
            "Fade Factory",
            "--currency",
            "USD",
            "--json",
        ],
        env,
    );
    assert!(output.status.success(), "init failed: {}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).expect("utf8");
    assert_eq!(stdout.trim().lines().count(), 1, "exactly one JSON object: {stdout}");
    serde_json::from_str(stdout.trim()).expect("json")
}

fn verify(dir: &Path, env: &[(&str, &str)]) -> (bool, String) {
    let output = hub(&["audit", "verify", "--data-dir", &dir.display().to_string()], env);
    (
        output.status.success(),
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)),
    )
}

/// `GET /v1/locations` on a running `hub serve` with `key`: its status.
fn locations_status(listen: &str, key: &str) -> u16 {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let response =
            reqwest::Client::new().get(format!("http://{listen}/v1/locations")).bearer_auth(key).send().await;
        response.expect("get").status().as_u16()
    })
}

#[test]
fn init_prints_the_network_and_an_admin_key_once() {
    let dir = tempfile::tempdir().expect("dir");
    let created = init(dir.path(), &[]);
    assert!(created["network_id"].as_str().expect("network_id").starts_with("net_"));
    assert!(created["api_key"].as_str().expect("api_key").starts_with("hub_"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("master.key")).expect("master key").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the master key is readable by its owner only");
    }
    let second = init(dir.path(), &[]);
    assert_ne!(second["network_id"], created["network_id"], "init makes another network in the same hub");
}

#[test]
fn init_refuses_bad_arguments_and_bad_configuration_naming_the_key() {
    let dir = tempfile::tempdir().expect("dir");
    let data_dir = dir.path().display().to_string();
    let output = hub(&["init", "--data-dir", &data_dir, "--network-name", "X", "--currency", "usd"], &[]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--currency"));
    let output = hub(&["serve", "--data-dir", &data_dir], &[("HUB_LISTEN", "nowhere")]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`listen`"), "{stderr}");
    let output = hub(&["migrate", "--data-dir", &data_dir], &[("HUB_DATABASE_URL", "mysql://nope")]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("HUB_DATABASE_URL"));
}

#[tokio::test]
async fn audit_verify_names_an_edited_or_removed_sqlite_row() {
    let dir = tempfile::tempdir().expect("dir");
    init(dir.path(), &[]);
    init(dir.path(), &[]);
    let (ok, report) = verify(dir.path(), &[]);
    assert!(ok, "{report}");
    assert_eq!(report.matches("2 entries, chain intact").count(), 2, "{report}");

    let url = format!("sqlite://{}", dir.path().join("hub.db").display());
    let mut db = sqlx::SqliteConnection::connect(&url).await.expect("open");
    let (network_id, id): (String, String) =
        sqlx::query_as("SELECT network_id, id FROM audit_log WHERE seq = 2 ORDER BY network_id LIMIT 1")
            .fetch_one(&mut db)
            .await
            .expect("row");
    sqlx::query("UPDATE audit_log SET details = '{\"role\":\"integration\"}' WHERE network_id = $1 AND seq = 2")
        .bind(&network_id)
        .execute(&mut db)
        .await
        .expect("tamper");
    let (ok, report) = verify(dir.path(), &[]);
    assert!(!ok, "an edited entry must fail verification: {report}");
    assert!(report.contains("entry 2") && report.contains(&id) && report.contains("altered"), "{report}");
    assert!(
        report.contains(&network_id) && report.contains("chain intact"),
        "the other network still verifies: {report}"
    );

    sqlx::query("DELETE FROM audit_log WHERE network_id = $1 AND seq = 2")
        .bind(&network_id)
        .execute(&mut db)
        .await
        .expect("delete");
    let (ok, report) = verify(dir.path(), &[]);
    assert!(!ok);
    assert!(report.contains("removed from the end"), "{report}");
}

#[tokio::test]
async fn audit_verify_names_an_edited_postgres_row() {
    let Some(database) = ScratchDatabase::for_test().await else { return };
    let dir = tempfile::tempdir().expect("dir");
    let env = [("HUB_DATABASE_URL", database.url())];
    let created = init(dir.path(), &env);
    assert!(!dir.path().join("hub.db").exists(), "with HUB_DATABASE_URL nothing goes to SQLite");
    assert!(dir.path().join("master.key").exists(), "the data directory still holds the keys");
    assert!(verify(dir.path(), &env).0);

    let mut db = sqlx::PgConnection::connect(database.url()).await.expect("connect");
    let network = created["network_id"].as_str().expect("id");
    let id: (String,) = sqlx::query_as("SELECT id FROM audit_log WHERE network_id = $1 AND seq = 1")
        .bind(network)
        .fetch_one(&mut db)
        .await
        .expect("row");
    sqlx::query("UPDATE audit_log SET actor_kind = 'system' WHERE network_id = $1 AND seq = 1")
        .bind(network)
        .execute(&mut db)
        .await
        .expect("tamper");
    let (ok, report) = verify(dir.path(), &env);
    assert!(!ok, "{report}");
    assert!(report.contains("entry 1") && report.contains(&id.0), "{report}");
}

#[test]
fn serve_initialises_a_fresh_directory_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hub"))
        .args(["serve", "--data-dir", &dir.path().display().to_string(), "--listen", &listen])
        .env_remove("HUB_DATABASE_URL")
        .env("HUB_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut printed = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !printed.contains("listening") && Instant::now() < deadline {
        let mut line = String::new();
        if stdout.read_line(&mut line).expect("read") == 0 {
            break;
        }
        printed.push_str(&line);
    }
    let key = printed
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("hub_"))
        .expect("admin key printed once")
        .to_owned();

    let status = locations_status(&listen, &key);
    assert_eq!(status, 200);

    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        assert!(Instant::now() < deadline, "hub did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "graceful shutdown exits 0");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr).expect("stderr");
    let first_log: Value = serde_json::from_str(stderr.lines().next().expect("a log line")).expect("JSON logs");
    assert!(first_log["level"].is_string() && first_log["message"].is_string(), "{first_log}");
    assert!(!stderr.contains(&key), "the admin key never goes to the logs");

    // A second start finds the network and prints no new key.
    let output = Command::new("timeout")
        .args([
            "2",
            env!("CARGO_BIN_EXE_hub"),
            "serve",
            "--data-dir",
            &dir.path().display().to_string(),
            "--listen",
            &listen,
        ])
        .env_remove("HUB_DATABASE_URL")
        .output()
        .expect("second serve");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("hub_"), "no second admin key");
}

#[test]
fn keys_rotate_adds_a_master_key_and_old_api_keys_keep_working() {
    let dir = tempfile::tempdir().expect("dir");
    let data_dir = dir.path().display().to_string();
    let created = init(dir.path(), &[]);
    let key = created["api_key"].as_str().expect("key").to_owned();
    let before = std::fs::read_to_string(dir.path().join("master.key")).expect("keyring");

    let output = hub(&["keys", "rotate", "--data-dir", &data_dir, "--reencrypt"], &[]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("is now active") && stdout.contains("re-encrypted"), "{stdout}");
    let after = std::fs::read_to_string(dir.path().join("master.key")).expect("keyring");
    let lines = |text: &str| text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).count();
    assert_eq!((lines(&before), lines(&after)), (1, 2), "the old key stays, a new one is added");
    assert!(verify(dir.path(), &[]).0, "rotation keeps the audit chain intact");

    // The API key issued before the rotation still authenticates.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hub"))
        .args(["serve", "--data-dir", &data_dir, "--listen", &listen])
        .env_remove("HUB_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    while stdout.read_line(&mut line).expect("read") > 0 && !line.contains("listening") {}
    let status = locations_status(&listen, &key);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200);
}

#[test]
fn jobs_commands_list_and_refuse_bad_input() {
    let dir = tempfile::tempdir().expect("dir");
    let data_dir = dir.path().display().to_string();
    init(dir.path(), &[]);
    let output = hub(&["jobs", "list", "--data-dir", &data_dir, "--json"], &[]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "", "a new hub has no jobs");
    let output = hub(&["jobs", "list", "--data-dir", &data_dir, "--status", "bogus"], &[]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--status"));
    let output = hub(&["jobs", "retry", "--data-dir", &data_dir, "job_01jdq5d7wz8k2m4n6p8r0t2v4x"], &[]);
    assert!(!output.status.success(), "an unknown job cannot be retried");
    assert!(String::from_utf8_lossy(&output.stderr).contains("not found"));
}
