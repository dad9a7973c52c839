//! Two `hub serve` processes sharing one PostgreSQL: however many calls hit an expired token on
//! both nodes at once, the provider sees exactly one refresh.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hub_emulators::{EmulatedProvider, EmulatorState, TokenLifetimes};
use hub_store::scratch::ScratchDatabase;
use serde_json::{Value, json};

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

fn start_node(data_dir: &str, database_url: &str) -> (Node, String) {
    let listen = format!("127.0.0.1:{}", free_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_hub"))
        .args(["serve", "--data-dir", data_dir, "--listen", &listen, "--allow-private-targets"])
        .env("HUB_DATABASE_URL", database_url)
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
    (Node(child), format!("http://{listen}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_one_refresh() {
    let Some(database) = ScratchDatabase::for_test().await else { return };
    let emulator =
        hub_emulators::start("127.0.0.1:0".parse().expect("addr"), EmulatorState::new()).await.expect("emulators");
    let dir = tempfile::tempdir().expect("dir");
    let data_dir = dir.path().display().to_string();
    let init = Command::new(env!("CARGO_BIN_EXE_hub"))
        .args(["init", "--data-dir", &data_dir, "--network-name", "Two Nodes", "--json"])
        .env("HUB_DATABASE_URL", database.url())
        .output()
        .expect("init");
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let created: Value = serde_json::from_slice(&init.stdout).expect("json");
    let key = created["api_key"].as_str().expect("key").to_owned();

    let (_first, first_url) = start_node(&data_dir, database.url());
    let (_second, second_url) = start_node(&data_dir, database.url());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");

    // Point the network's HubSpot app at the emulator (any OAuth 2.0 server works this way).
    let base = emulator.base_url();
    let settings = json!({
        "client_id": "emulator-client", "client_secret": "emulator-secret",
        "authorize_url": format!("{base}/hubspot/oauth/authorize"), "token_url": format!("{base}/hubspot/oauth/v3/token"),
    });
    let response = client
        .patch(format!("{first_url}/v1/providers/hubspot/settings"))
        .bearer_auth(&key)
        .json(&settings)
        .send()
        .await
        .expect("settings");
    assert_eq!(response.status(), 200);
    emulator.state().set_token_lifetimes(
        EmulatedProvider::HubSpot,
        TokenLifetimes { access: Some(Duration::from_secs(4)), refresh: None },
    );

    let created: Value = client
        .post(format!("{first_url}/v1/connections"))
        .bearer_auth(&key)
        .json(&json!({"provider": "hubspot"}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let authorize_url = created["authorize_url"].as_str().expect("authorize_url");
    let consent = client.get(authorize_url).send().await.expect("consent");
    let callback = consent.headers()["location"].to_str().expect("location").to_owned();
    assert_eq!(client.get(&callback).send().await.expect("callback").status(), 200);
    let id = created["id"].as_str().expect("id").to_owned();

    tokio::time::sleep(Duration::from_millis(4200)).await;
    let before = emulator.state().token_requests(EmulatedProvider::HubSpot).refresh_token;
    let mut calls = Vec::new();
    for index in 0..50 {
        let url = format!("{}/v1/connections/{id}/check", if index % 2 == 0 { &first_url } else { &second_url });
        let (client, key) = (client.clone(), key.clone());
        calls
            .push(tokio::spawn(async move { client.post(url).bearer_auth(key).send().await.expect("check").status() }));
    }
    for call in calls {
        assert_eq!(call.await.expect("join"), 200);
    }
    let refreshes = emulator.state().token_requests(EmulatedProvider::HubSpot).refresh_token - before;
    assert_eq!(refreshes, 1, "50 calls on two nodes made exactly one refresh");
}
