//! The four Google products, which share Google's OAuth server. Sources: `google-calendar.md`,
//! `google-business-profile.md`, `google-ads.md`, `ga4.md`.

use super::prelude::*;

/// Google OAuth 2.0 (from `google-calendar.md`, which the others point to): authorize with
/// `access_type=offline` to get a refresh token, PKCE S256 supported, access tokens ~3600 s,
/// refresh tokens reused (no rotation; revoked or expired ones answer `invalid_grant`). Refresh
/// tokens of apps whose consent screen is in "Testing" expire after 7 days.
const GOOGLE_OAUTH: AuthKind = AuthKind::OAuth2Code {
    pkce: Pkce::Supported,
    client_auth: ClientAuth::Body,
    token_body: TokenBody::Form,
    scope_separator: " ",
    extra_authorize_params: &[("access_type", "offline")],
};

const GOOGLE_TOKENS: TokenBehaviour = TokenBehaviour {
    expiry: Expiry::ExpiresIn { field: "expires_in" },
    refresh: Refresh::Reusable,
    pkce_flow_refresh: None,
    access_ttl_hint: Some(hours(1)),
    refresh_ttl_hint: None,
    revokes_idle_after: None,
    refresh_at_least_every: None,
};

/// Google's real OAuth endpoints around one product's API roots.
const fn google_production(
    api_base: &'static str,
    other_bases: &'static [(&'static str, &'static str)],
) -> EndpointSet {
    EndpointSet {
        authorize: Some("https://accounts.google.com/o/oauth2/v2/auth"),
        token: Some("https://oauth2.googleapis.com/token"),
        refresh: None,
        revoke: None,
        api_base,
        other_bases,
    }
}

/// The emulator's shared Google OAuth server (`/google/…`) around one product's emulated API.
const fn google_emulator(api_base: &'static str, other_bases: &'static [(&'static str, &'static str)]) -> EndpointSet {
    EndpointSet {
        authorize: Some("/google/o/oauth2/v2/auth"),
        token: Some("/google/token"),
        refresh: None,
        revoke: None,
        api_base,
        other_bases,
    }
}

/// Google Calendar v3: `pageToken` paging with a `syncToken` for changes (410 when stale); push
/// notifications are unsigned and authenticated only by echoing the channel token. Quota numbers
/// are unverified (403 `rateLimitExceeded` or 429). Source: `google-calendar.md`.
pub(super) const CALENDAR: ProviderDefinition = ProviderDefinition {
    id: "google-calendar",
    name: "Google Calendar",
    category: Category::Calendar,
    source: "google-calendar.md",
    auth: GOOGLE_OAUTH,
    default_scopes: &["https://www.googleapis.com/auth/calendar.events"],
    token: GOOGLE_TOKENS,
    endpoints: Endpoints {
        production: Some(google_production("https://www.googleapis.com/calendar/v3", &[])),
        sandbox: None,
        emulator: Some(google_emulator("/google-calendar/calendar/v3", &[])),
    },
    url_parameters: &[],
    pagination: Pagination::Cursor {
        request_param: "pageToken",
        next: NextCursor::BodyField("nextPageToken"),
        max_page_size: None,
    },
    rate_limit: Some(assumed_per_connection(5)),
    webhook_signature: Some(SignatureScheme {
        kind: SignatureKind::GoogleChannelToken,
        header: "X-Goog-Channel-Token",
        timestamp_header: None,
        algorithm: SignatureAlgorithm::SharedToken,
        encoding: SignatureEncoding::Plain,
        value_prefix: None,
        signed_content: "nothing: body-less notifications echo the token registered with the watch channel",
        tolerance: None,
    }),
    reads: &[Model::Appointment],
    writes: &[Model::Appointment],
};

/// Google Business Profile: reviews on v4, accounts / locations / notifications on separate v1
/// hosts; `business.manage` scope and an approved project (quota is 0 until then); 300 queries per
/// minute per API. Notifications arrive through Cloud Pub/Sub with no HMAC, so there is no
/// signature scheme. Source: `google-business-profile.md`.
pub(super) const BUSINESS_PROFILE: ProviderDefinition = ProviderDefinition {
    id: "google-business-profile",
    name: "Google Business Profile",
    category: Category::Marketing,
    source: "google-business-profile.md",
    auth: GOOGLE_OAUTH,
    default_scopes: &["https://www.googleapis.com/auth/business.manage"],
    token: GOOGLE_TOKENS,
    endpoints: Endpoints {
        production: Some(google_production(
            "https://mybusiness.googleapis.com/v4",
            &[
                ("account_management", "https://mybusinessaccountmanagement.googleapis.com/v1"),
                ("business_information", "https://mybusinessbusinessinformation.googleapis.com/v1"),
                ("notifications", "https://mybusinessnotifications.googleapis.com/v1"),
            ],
        )),
        sandbox: None,
        emulator: Some(google_emulator(
            "/google-business-profile/v4",
            &[
                ("account_management", "/google-business-profile/account-management/v1"),
                ("business_information", "/google-business-profile/business-information/v1"),
                ("notifications", "/google-business-profile/notifications/v1"),
            ],
        )),
    },
    url_parameters: &[],
    pagination: Pagination::Cursor {
        request_param: "pageToken",
        next: NextCursor::BodyField("nextPageToken"),
        max_page_size: None,
    },
    rate_limit: Some(RateLimitPolicy::per_app(300, minutes(1), 300)),
    webhook_signature: None,
    reads: &[Model::Location, Model::Review],
    writes: &[Model::Review],
};

/// Google Ads: GAQL `googleAds:search` under a yearly-sunset version prefix (`/vNN/`, appended
/// by the connector), `developer-token` and `login-customer-id` headers, fixed 10,000-row pages;
/// Basic access allows 15,000 operations a day. Source: `google-ads.md`.
pub(super) const ADS: ProviderDefinition = ProviderDefinition {
    id: "google-ads",
    name: "Google Ads",
    category: Category::Marketing,
    source: "google-ads.md",
    auth: GOOGLE_OAUTH,
    default_scopes: &["https://www.googleapis.com/auth/adwords"],
    token: GOOGLE_TOKENS,
    endpoints: Endpoints {
        production: Some(google_production("https://googleads.googleapis.com", &[])),
        sandbox: None,
        emulator: Some(google_emulator("/google-ads", &[])),
    },
    url_parameters: &[],
    pagination: Pagination::Cursor {
        request_param: "pageToken",
        next: NextCursor::BodyField("nextPageToken"),
        max_page_size: Some(10_000),
    },
    rate_limit: Some(RateLimitPolicy::per_app(15_000, days(1), 15_000)),
    webhook_signature: None,
    reads: &[Model::AdSpend],
    writes: &[],
};

/// GA4: the Data API (`runReport`, Google OAuth, `analytics.readonly`, 10 concurrent requests per
/// property) for reading, and the Measurement Protocol (`measurement_id` + `api_secret` in the
/// query, answers 2xx even for dropped payloads) for sending conversions. Source: `ga4.md`.
pub(super) const GA4: ProviderDefinition = ProviderDefinition {
    id: "ga4",
    name: "Google Analytics 4",
    category: Category::Marketing,
    source: "ga4.md",
    auth: GOOGLE_OAUTH,
    default_scopes: &["https://www.googleapis.com/auth/analytics.readonly"],
    token: GOOGLE_TOKENS,
    endpoints: Endpoints {
        production: Some(google_production(
            "https://analyticsdata.googleapis.com/v1beta",
            &[("measurement_protocol", "https://www.google-analytics.com/mp/collect")],
        )),
        sandbox: None,
        emulator: Some(google_emulator("/ga4/v1beta", &[("measurement_protocol", "/ga4/mp/collect")])),
    },
    url_parameters: &[],
    pagination: Pagination::LimitOffset {
        limit_param: "limit",
        offset_param: "offset",
        first_offset: 0,
        max_page_size: None,
    },
    // Quotas are in tokens, not requests; only the concurrency cap translates directly.
    rate_limit: Some(RateLimitPolicy { max_concurrent: Some(10), ..assumed_per_connection(10) }),
    webhook_signature: None,
    reads: &[],
    writes: &[Model::Sale],
};
