//! The real hub application served in-process on a loopback port, and its orderly shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hub_store::Store;
use hub_vault::Keyring;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long shutdown waits for requests in flight before abandoning the server task.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running server; call [`RunningServer::stop`] to shut it down and see how it ended.
pub struct RunningServer {
    /// Where it listens: always `127.0.0.1`, so benchmark traffic never leaves the machine.
    pub addr: SocketAddr,
    shutdown: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Builds `hub_api::app` over `store` and serves it on `127.0.0.1` at a free port.
    pub async fn start(store: Arc<dyn Store>, keyring: &Keyring) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await.context("cannot bind a loopback port")?;
        let addr = listener.local_addr()?;
        let settings = hub_api::ApiSettings::new(format!("http://{addr}"));
        let app = hub_api::app(hub_api::AppState::new(store, keyring, settings));
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(hub_api::serve(listener, app, shutdown.clone()));
        Ok(Self { addr, shutdown, task })
    }

    /// Stops accepting, waits up to [`SHUTDOWN_GRACE`] for requests in flight, and reports a
    /// server that failed or would not stop.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        let mut task = self.task;
        match tokio::time::timeout(SHUTDOWN_GRACE, &mut task).await {
            Ok(joined) => joined.context("the server task panicked")?.context("the server failed"),
            Err(_) => {
                task.abort();
                anyhow::bail!("the server did not stop within {} s", SHUTDOWN_GRACE.as_secs())
            }
        }
    }
}
