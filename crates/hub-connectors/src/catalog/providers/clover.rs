//! Clover (point of sale). Source: `clover.md`.

use super::prelude::*;

/// Clover: OAuth v2 code flow with expiring tokens; PKCE is required for low-trust apps, and the
/// hub always sends it so it works at any trust level; JSON token calls with a separate refresh
/// endpoint; single-use, rotating refresh tokens with dynamic lifetimes (never hard-code them);
/// permissions are set on the app, not as scopes. 16 requests/s and 5 in flight per token,
/// 50 requests/s per app. REST webhooks carry a static `X-Clover-Auth` code. Source: `clover.md`.
pub(super) const DEFINITION: ProviderDefinition = ProviderDefinition {
    id: "clover",
    name: "Clover",
    category: Category::Pos,
    source: "clover.md",
    auth: AuthKind::OAuth2Code {
        pkce: Pkce::Required,
        client_auth: ClientAuth::Body,
        token_body: TokenBody::Json,
        scope_separator: " ",
        extra_authorize_params: &[],
    },
    default_scopes: &[],
    token: TokenBehaviour {
        // Field name and unit are unverified in the notes.
        expiry: Expiry::ExpiresAt { field: "access_token_expiration", format: TimestampFormat::UnixSeconds },
        refresh: Refresh::SingleUseRotating,
        pkce_flow_refresh: None,
        access_ttl_hint: None,
        refresh_ttl_hint: None,
        revokes_idle_after: None,
        refresh_at_least_every: None,
    },
    endpoints: Endpoints {
        production: Some(EndpointSet {
            authorize: Some("https://www.clover.com/oauth/v2/authorize"),
            token: Some("https://api.clover.com/oauth/v2/token"),
            refresh: Some("https://api.clover.com/oauth/v2/refresh"),
            revoke: None,
            api_base: "https://api.clover.com",
            other_bases: &[("ecommerce", "https://scl.clover.com")],
        }),
        sandbox: Some(EndpointSet {
            authorize: Some("https://sandbox.dev.clover.com/oauth/v2/authorize"),
            token: Some("https://apisandbox.dev.clover.com/oauth/v2/token"),
            refresh: Some("https://apisandbox.dev.clover.com/oauth/v2/refresh"),
            revoke: None,
            api_base: "https://apisandbox.dev.clover.com",
            other_bases: &[("ecommerce", "https://scl-sandbox.dev.clover.com")],
        }),
        emulator: Some(EndpointSet {
            authorize: Some("/clover/oauth/v2/authorize"),
            token: Some("/clover/oauth/v2/token"),
            refresh: Some("/clover/oauth/v2/refresh"),
            revoke: None,
            api_base: "/clover",
            other_bases: &[("ecommerce", "/clover/ecommerce")],
        }),
    },
    url_parameters: &[],
    pagination: Pagination::LimitOffset {
        limit_param: "limit",
        offset_param: "offset",
        first_offset: 0,
        max_page_size: Some(1000),
    },
    rate_limit: Some(RateLimitPolicy {
        scope: RateLimitScope::Both,
        app_wide: Some(Rate { requests: 50, per: SECOND }),
        max_concurrent: Some(5),
        ..RateLimitPolicy::per_connection(16, SECOND, 16)
    }),
    webhook_signature: Some(SignatureScheme {
        kind: SignatureKind::CloverAuthCode,
        header: "X-Clover-Auth",
        timestamp_header: None,
        algorithm: SignatureAlgorithm::SharedToken,
        encoding: SignatureEncoding::Plain,
        value_prefix: None,
        signed_content: "nothing: the header holds the app's static Clover auth code",
        tolerance: None,
    }),
    reads: &[Model::Location, Model::StaffMember, Model::Customer, Model::Sale, Model::Refund],
    writes: &[],
};
