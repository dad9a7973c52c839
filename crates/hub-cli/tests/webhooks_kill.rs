//! `kill -9` during an inbound storm: a load generator sends 50,000 signed Stripe deliveries to a
//! real `hub serve`, the hub is killed with SIGKILL part-way through, restarted on the same data
//! directory, and every delivery the generator saw acknowledged with a 2xx is in the store.
//! The generator's log of acknowledged ids is the oracle.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use serde_json::{Value, json};

const STORM: usize = 50_000;
/// The hub is killed once this many deliveries were acknowledged.
const KILL_AFTER: usize = 15_000;
const IN_FLIGHT: usize = 64;
const SECRET: &str = "whsec_storm_secret";

fn start(dir: &std::path::Path, listen: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_hub"))
        .args(["serve", "--data-dir", &dir.display().to_string(), "--listen", listen])
        .env_remove("HUB_DATABASE_URL")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn hub")
}

async fn wait_ready(client: &reqwest::Client, listen: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(response) = client.get(format!("http://{listen}/readyz")).send().await
            && response.status().is_success()
        {
            return;
        }
        assert!(Instant::now() < deadline, "the hub did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn signature(body: &[u8], at: u64) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(at.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={at},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_delivery_survives_kill_9_mid_storm() {
    let dir = tempfile::tempdir().expect("dir");
    let init = Command::new(env!("CARGO_BIN_EXE_hub"))
        .args([
            "init",
            "--data-dir",
            &dir.path().display().to_string(),
            "--network-name",
            "Storm",
            "--currency",
            "USD",
            "--json",
        ])
        .env_remove("HUB_DATABASE_URL")
        .output()
        .expect("init");
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let key = serde_json::from_slice::<Value>(&init.stdout).expect("json")["api_key"].as_str().expect("key").to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let listen = format!("127.0.0.1:{port}");
    let client = reqwest::Client::builder().pool_max_idle_per_host(IN_FLIGHT).build().expect("client");

    let mut hub = start(dir.path(), &listen);
    wait_ready(&client, &listen).await;
    let created: Value = client
        .post(format!("http://{listen}/v1/webhook-sources"))
        .bearer_auth(&key)
        .json(&json!({"provider": "stripe", "secret": SECRET}))
        .send()
        .await
        .expect("create source")
        .json()
        .await
        .expect("json");
    let url = created["hub_url"].as_str().expect("url").to_owned();
    let source_id = created["id"].as_str().expect("id").to_owned();

    // The storm: 64 workers take the next id until all 50,000 were tried once.
    let next = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(std::sync::Mutex::new(Vec::with_capacity(STORM)));
    let acked_count = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicBool::new(false));
    let at = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs();
    let workers: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let (client, url, next, acked, acked_count) =
                (client.clone(), url.clone(), Arc::clone(&next), Arc::clone(&acked), Arc::clone(&acked_count));
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= STORM {
                        return;
                    }
                    let id = format!("evt_storm_{n}");
                    let body = format!(r#"{{"id":"{id}","type":"payment_intent.succeeded","data":{{"n":{n}}}}}"#);
                    let response = client
                        .post(&url)
                        .header("Stripe-Signature", signature(body.as_bytes(), at))
                        .header("Content-Type", "application/json")
                        .timeout(Duration::from_secs(10))
                        .body(body)
                        .send()
                        .await;
                    if let Ok(response) = response
                        && response.status().is_success()
                    {
                        acked.lock().expect("lock").push(id);
                        acked_count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    while acked_count.load(Ordering::Relaxed) < KILL_AFTER {
        assert!(Instant::now() < deadline, "the storm is too slow: {} acked", acked_count.load(Ordering::Relaxed));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    hub.kill().expect("kill -9");
    killed.store(true, Ordering::Relaxed);
    let _ = hub.wait();
    for worker in workers {
        worker.await.expect("worker");
    }
    let acked = acked.lock().expect("lock").clone();
    assert!(acked.len() >= KILL_AFTER && acked.len() < STORM, "the kill landed mid-storm: {} acked", acked.len());

    // Restart on the same data and check the generator's log against the store.
    let mut hub = start(dir.path(), &listen);
    wait_ready(&client, &listen).await;
    let store = hub_store::SqliteStore::open(&dir.path().join("hub.db")).await.expect("open store");
    let source = hub_core::id::WebhookSourceId::parse(&source_id).expect("id");
    let present = hub_store::WebhookStore::inbound_keys_present(&store, &source, &acked).await.expect("read");
    let present: std::collections::HashSet<String> = present.into_iter().collect();
    let lost: Vec<&String> = acked.iter().filter(|id| !present.contains(*id)).take(5).collect();
    assert!(lost.is_empty(), "{} acknowledged deliveries lost, e.g. {lost:?}", acked.len() - present.len());
    // After the restart the hub still answers: a repeat is a duplicate, a new one is stored.
    let repeat = format!(r#"{{"id":"{}","type":"payment_intent.succeeded","data":{{}}}}"#, acked[0]);
    let answer: Value = client
        .post(&url)
        .header("Stripe-Signature", signature(repeat.as_bytes(), at))
        .body(repeat)
        .send()
        .await
        .expect("repeat")
        .json()
        .await
        .expect("json");
    assert_eq!(answer["status"], "duplicate");
    let _ = hub.kill();
    let _ = hub.wait();
    eprintln!(
        "storm: {} of {STORM} acknowledged before kill -9; all {} found after restart",
        acked.len(),
        present.len()
    );
}
