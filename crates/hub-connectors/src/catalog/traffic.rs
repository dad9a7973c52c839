//! How a provider pages through lists and how fast it lets the hub call it.

use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;

use super::durations;

/// How list endpoints hand out the next page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Pagination {
    /// An opaque cursor: read it from `next`, send it back as `request_param`.
    Cursor { request_param: &'static str, next: NextCursor, max_page_size: Option<u32> },
    /// A page size and an offset; `first_offset` is 1 for providers that count from one.
    LimitOffset { limit_param: &'static str, offset_param: &'static str, first_offset: u32, max_page_size: Option<u32> },
    /// QuickBooks' query language: `STARTPOSITION n MAXRESULTS m` inside the query text (1-based).
    QueryStartPosition { max_page_size: Option<u32> },
    /// Numbered pages.
    PageNumber { size_param: &'static str, page_param: &'static str, first_page: u32, max_page_size: Option<u32> },
    /// The response carries the URL (or path) of the next page in `field`.
    NextUrl { field: &'static str },
    /// Nothing to page: the hub only sends, or the provider only pushes.
    None,
}

/// Where the next cursor comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "from", content = "name", rename_all = "snake_case")]
pub enum NextCursor {
    /// A field of the response body (dotted path for nested fields: `paging.next.after`).
    BodyField(&'static str),
    /// A response header.
    Header(&'static str),
    /// The id of the last item on the page, while the body's `has_more` is true (Stripe).
    LastItemId,
}

/// How fast the hub may call a provider: a rate (GCRA: `requests` per `per`, bursts of `burst`)
/// applied per app, per connection or both, plus what the provider answers when it is exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct RateLimitPolicy {
    pub requests: u32,
    #[serde(with = "durations::seconds")]
    #[schema(value_type = u64)]
    pub per: Duration,
    pub burst: u32,
    pub scope: RateLimitScope,
    /// A second, app-wide rate on top of the per-connection one (scope `both`).
    pub app_wide: Option<Rate>,
    /// Requests in flight at once, per `scope`, where the provider caps them.
    pub max_concurrent: Option<u32>,
    /// The status the provider answers when a limit is hit (429, or 403 for Salesforce).
    pub limited_status: u16,
    /// Whether that answer carries a `Retry-After` the hub should honour.
    pub retry_after_header: bool,
    /// Where the numbers come from.
    pub basis: LimitBasis,
}

impl RateLimitPolicy {
    /// A documented rate counted per connection, answered with a plain 429 when exceeded.
    pub const fn per_connection(requests: u32, per: Duration, burst: u32) -> Self {
        Self {
            requests,
            per,
            burst,
            scope: RateLimitScope::Connection,
            app_wide: None,
            max_concurrent: None,
            limited_status: 429,
            retry_after_header: false,
            basis: LimitBasis::Documented,
        }
    }

    /// A documented rate counted against the hub's app as a whole.
    pub const fn per_app(requests: u32, per: Duration, burst: u32) -> Self {
        Self { scope: RateLimitScope::App, ..Self::per_connection(requests, per, burst) }
    }
}

/// A plain rate: `requests` per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Rate {
    pub requests: u32,
    #[serde(with = "durations::seconds")]
    #[schema(value_type = u64)]
    pub per: Duration,
}

/// Who a rate limit counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RateLimitScope {
    /// The hub's app (one budget shared by every connection).
    App,
    /// Each connection (merchant, realm, org, account) separately.
    Connection,
    /// Per connection, with an app-wide rate on top.
    Both,
}

/// How far to trust a rate limit's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LimitBasis {
    /// Published by the provider.
    Documented,
    /// Stated only by a third party or marked unverified in the notes.
    Unverified,
    /// The provider publishes no numbers: a conservative value chosen by the hub.
    Assumed,
}
