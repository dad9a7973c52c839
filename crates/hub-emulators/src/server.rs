//! Serving the emulator: an accept loop over hyper (so an injected "connection reset" really
//! closes the socket), graceful shutdown on a cancellation token, and a one-call starter for tests.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::faults::DropConnection;
use crate::router;
use crate::state::EmulatorState;

/// How long in-flight requests may finish after shutdown is asked for; hung ones (an injected
/// timeout) are cut off after this.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// The error a request handler returns to make hyper close the connection without answering.
#[derive(Debug, thiserror::Error)]
#[error("emulated connection reset")]
struct ConnectionDropped;

/// Serves every emulated provider on `listener` until `shutdown` is cancelled.
pub async fn serve(listener: TcpListener, state: EmulatorState, shutdown: CancellationToken) -> io::Result<()> {
    let app = router(state);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(app.clone(), stream, shutdown.clone()));
                }
                Err(error) => {
                    tracing::warn!(%error, "emulator could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async { while connections.join_next().await.is_some() {} });
    if drained.await.is_err() {
        connections.shutdown().await;
    }
    Ok(())
}

async fn serve_connection(app: Router, stream: tokio::net::TcpStream, shutdown: CancellationToken) {
    let service = service_fn(move |request: Request<Incoming>| {
        let app = app.clone();
        async move {
            let response: Response = match app.oneshot(request.map(Body::new)).await {
                Ok(response) => response,
                Err(infallible) => match infallible {},
            };
            if response.extensions().get::<DropConnection>().is_some() {
                return Err(ConnectionDropped);
            }
            Ok::<_, ConnectionDropped>(response)
        }
    });
    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        () = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(SHUTDOWN_GRACE, connection).await;
        }
    }
}

/// A running emulator: its address, its state, and the switch that stops it.
#[derive(Debug)]
pub struct RunningEmulator {
    address: SocketAddr,
    state: EmulatorState,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<io::Result<()>>,
}

impl RunningEmulator {
    /// The origin to give clients and the catalog (`http://127.0.0.1:41234`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The state it serves, to steer it from a test.
    pub fn state(&self) -> &EmulatorState {
        &self.state
    }

    /// Stops serving and waits for the server to finish.
    pub async fn stop(self) -> io::Result<()> {
        self.shutdown.cancel();
        match self.task.await {
            Ok(result) => result,
            Err(error) => Err(io::Error::other(error)),
        }
    }
}

/// Binds `address` (port 0 picks a free one) and serves `state` in the background.
pub async fn start(address: SocketAddr, state: EmulatorState) -> io::Result<RunningEmulator> {
    let listener = TcpListener::bind(address).await?;
    let address = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(serve(listener, state.clone(), shutdown.clone()));
    Ok(RunningEmulator { address, state, shutdown, task })
}
