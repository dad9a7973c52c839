//! What a connector that reads from a provider implements, and the seam it calls the provider
//! through.
//!
//! A connector knows the provider's endpoints, paging and payloads, and nothing else: it never
//! touches storage, tokens or retries. The sync engine hands it a [`ProviderApi`] (which adds the
//! connection's credentials and sends every request through the resilient outbound stack: rate
//! limits, retries, circuit breakers, timeouts) and asks for one page at a time. The connector
//! answers with unified records and an opaque cursor for the next page, which the engine stores as
//! its checkpoint, so a crash between pages resumes exactly where it stopped.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
pub use hub_core::records::SyncMode;
use hub_core::records::{Model, SourceRecord};

/// One page to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest<'a> {
    pub model: Model,
    pub mode: SyncMode,
    /// Incremental syncs: what changed at or after this instant (the engine already subtracted an
    /// overlap, so records at the boundary are read again rather than missed; unchanged ones cost
    /// no write). `None` in full syncs and the first sync of a model.
    pub changed_since: Option<DateTime<Utc>>,
    /// The cursor this connector returned with the previous page of the same walk; `None` for the
    /// first page. Its content is the connector's business (it may carry a time window as well as
    /// the provider's own cursor), but it must be enough to continue the walk after a restart.
    pub cursor: Option<&'a str>,
    /// The instant the walk started: windows that end "now" end here, so a resumed walk reads the
    /// same window.
    pub started_at: DateTime<Utc>,
}

/// One page of records.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FetchedPage {
    pub records: Vec<SourceRecord>,
    /// External ids the provider reports as deleted (tombstones, delete events).
    pub deleted: Vec<String>,
    /// Where to continue; `None` when the walk is complete.
    pub next_cursor: Option<String>,
}

/// Reads unified records from one provider.
#[async_trait]
pub trait SourceConnector: Send + Sync + 'static {
    /// The catalog id of the provider (`square`).
    fn provider(&self) -> &'static str;

    /// The models it reads, in the order a sync runs them (what others refer to first).
    fn models(&self) -> &'static [Model];

    /// Fetches one page of `request.model`.
    async fn fetch(&self, api: &dyn ProviderApi, request: FetchRequest<'_>) -> Result<FetchedPage, ConnectorError>;
}

/// An HTTP method a connector may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl HttpMethod {
    /// The method's name (`GET`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }
}

/// A request to the provider, relative to the connection's API base URL.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiRequest {
    pub method: HttpMethod,
    /// The path after the API base (`/v2/orders/search`).
    pub path: String,
    /// Query parameters, encoded by the sender.
    pub query: Vec<(String, String)>,
    /// Headers beyond `Authorization`, which the sender adds (`Square-Version`, …).
    pub headers: Vec<(String, String)>,
    /// A JSON body.
    pub json: Option<serde_json::Value>,
    /// Whether the request carries a provider idempotency key (so a write may be resent).
    pub idempotent_write: bool,
}

impl ApiRequest {
    /// A GET of `path`.
    pub fn get(path: impl Into<String>) -> Self {
        Self {
            method: HttpMethod::Get,
            path: path.into(),
            query: Vec::new(),
            headers: Vec::new(),
            json: None,
            idempotent_write: false,
        }
    }

    /// A POST of `json` to `path` (a search, for read endpoints that take a body).
    pub fn post(path: impl Into<String>, json: serde_json::Value) -> Self {
        Self { method: HttpMethod::Post, json: Some(json), ..Self::get(path) }
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.push((name.to_owned(), value.into()));
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// The provider's final answer, after the outbound stack's retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResponse {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl ApiResponse {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Sends requests to one connection's provider account.
#[async_trait]
pub trait ProviderApi: Send + Sync {
    /// Sends `request` with the connection's credentials through the resilient stack and returns
    /// the provider's answer, whatever its status; `Err` only when no answer came (or the stack
    /// refused to send: open circuit, rate-limit pause longer than the call may wait).
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, ConnectorError>;
}

/// Why a page could not be fetched, and what the engine should do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    /// The provider is down, slow or limiting us: try again later (from the checkpoint).
    #[error("{provider} is unavailable: {message}")]
    Unavailable { provider: String, message: String, retry_after: Option<Duration> },
    /// The provider refused the credentials: a person must reconnect.
    #[error("{provider} refused the connection's credentials: {message}")]
    Unauthorized { provider: String, message: String },
    /// The provider refused the request itself (a 4xx other than auth and rate limits): retrying
    /// the same request cannot help.
    #[error("{provider} refused the request ({status}): {message}")]
    Rejected { provider: String, status: u16, message: String },
    /// The provider answered something the connector cannot read (malformed JSON, a field of the
    /// wrong type, figures that do not add up).
    #[error("{provider} sent an unreadable answer: {message}")]
    BadResponse { provider: String, message: String },
    /// The engine asked for something this connector does not do, or handed it a cursor it did
    /// not make.
    #[error("{0}")]
    Unsupported(String),
}

impl ConnectorError {
    /// Whether the same fetch may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}
