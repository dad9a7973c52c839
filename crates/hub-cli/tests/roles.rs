//! Node roles: `hub serve --role api` answers the API and runs no job, `--role worker` (here set
//! with `HUB_ROLE`) runs jobs and the scheduler and serves only `/healthz`, `/readyz` and
//! `/metrics`. Both nodes share one database, as a deployment that splits the work would.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hub_core::id::JobId;
use hub_store::scratch::ScratchDatabase;
use hub_store::{JobKind, JobStatus, JobVisibility, NewJob, Store};
use serde_json::Value;

/// A running `hub serve`, killed if the test fails before stopping it.
struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Node {
    /// SIGTERM, then waits for a clean exit.
    fn stop(mut self) {
        let pid = self.0.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(exit) = self.0.try_wait().expect("wait") {
                assert!(exit.success(), "hub serve exited with {exit}");
                return;
            }
            assert!(Instant::now() < deadline, "hub serve did not stop after SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port()
}

/// Starts `hub serve` with `args` and `env` and waits for it to listen; returns its base URL and
/// what it printed up to then.
fn serve(data_dir: &str, args: &[&str], env: &[(&str, &str)]) -> (Node, String, String) {
    let listen = format!("127.0.0.1:{}", free_port());
    let mut command = Command::new(env!("CARGO_BIN_EXE_hub"));
    command
        .args(["serve", "--data-dir", data_dir, "--listen", &listen])
        .args(args)
        .env_remove("HUB_DATABASE_URL")
        .env_remove("HUB_ROLE")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("spawn hub serve");
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
    assert!(printed.contains("listening"), "hub serve did not start: {printed}");
    (Node(child), format!("http://{listen}"), printed)
}

async fn status(url: &str, key: &str) -> u16 {
    let response = reqwest::Client::new().get(url).bearer_auth(key).send().await.expect("request");
    response.status().as_u16()
}

async fn job_status(store: &dyn Store, id: &JobId) -> JobStatus {
    store.get_job(&JobVisibility::Operator, id).await.expect("job").status
}

/// Runs the scenario on the database `env` names (SQLite in `data_dir` when it names none).
async fn an_api_node_runs_no_job_and_a_worker_node_runs_it(
    store: Arc<dyn Store>,
    data_dir: &str,
    env: &[(&str, &str)],
) {
    let init = Command::new(env!("CARGO_BIN_EXE_hub"))
        .args(["init", "--data-dir", data_dir, "--network-name", "Roles", "--json"])
        .env_remove("HUB_DATABASE_URL")
        .envs(env.iter().copied())
        .output()
        .expect("init");
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let key = serde_json::from_slice::<Value>(&init.stdout).expect("json")["api_key"].as_str().expect("key").to_owned();

    let (api, api_url, _) = serve(data_dir, &["--role", "api"], env);
    assert_eq!(status(&format!("{api_url}/v1/locations"), &key).await, 200, "an api node serves the API");
    assert_eq!(status(&format!("{api_url}/readyz"), "").await, 200);

    let kind = JobKind::parse(hub_api::background::REFRESH_DUE).expect("kind");
    let job = store.enqueue(NewJob::new(kind, serde_json::json!({}))).await.expect("enqueue").into_job();
    // A worker polls every second: give one three chances to take the job.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(job_status(&*store, &job.id).await, JobStatus::Queued, "an api node runs no job");
    assert!(store.list_schedules().await.expect("schedules").is_empty(), "an api node runs no scheduler");

    let mut worker_env = env.to_vec();
    worker_env.push(("HUB_ROLE", "worker"));
    let (worker, worker_url, printed) = serve(data_dir, &[], &worker_env);
    assert!(printed.contains("worker"), "{printed}");
    let deadline = Instant::now() + Duration::from_secs(15);
    while job_status(&*store, &job.id).await != JobStatus::Succeeded {
        assert!(Instant::now() < deadline, "the worker node did not run the job");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!store.list_schedules().await.expect("schedules").is_empty(), "the worker node runs the scheduler");
    for path in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(status(&format!("{worker_url}{path}"), "").await, 200, "a worker node serves {path}");
    }
    for path in ["/v1/locations", "/v1/jobs", "/openapi.json"] {
        assert_eq!(status(&format!("{worker_url}{path}"), &key).await, 404, "a worker node does not serve {path}");
    }
    assert_eq!(status(&format!("{api_url}/v1/jobs"), &key).await, 200, "the api node still answers");

    worker.stop();
    api.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_split_the_api_and_the_jobs_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    let data_dir = dir.path().display().to_string();
    let store = hub_store::SqliteStore::open(&dir.path().join("hub.db")).await.expect("sqlite");
    store.migrate().await.expect("migrate");
    an_api_node_runs_no_job_and_a_worker_node_runs_it(Arc::new(store), &data_dir, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_split_the_api_and_the_jobs_on_postgres() {
    let Some(database) = ScratchDatabase::for_test().await else { return };
    let dir = tempfile::tempdir().expect("dir");
    let data_dir = dir.path().display().to_string();
    let store = hub_store::PostgresStore::connect(database.url()).await.expect("postgres");
    store.migrate().await.expect("migrate");
    let env = [("HUB_DATABASE_URL", database.url())];
    an_api_node_runs_no_job_and_a_worker_node_runs_it(Arc::new(store), &data_dir, &env).await;
}
