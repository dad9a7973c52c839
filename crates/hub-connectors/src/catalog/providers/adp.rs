//! ADP (payroll and HR). Source: `adp.md`.

use super::prelude::*;

/// ADP: client credentials over mutual TLS (an ADP-signed client certificate on every call,
/// including the token request), 1-hour tokens with no refresh token, no user-selectable scopes
/// (access comes from the API project's products). IAT is the test environment. Rate limits are
/// not published. Source: `adp.md`.
pub(super) const DEFINITION: ProviderDefinition = ProviderDefinition {
    id: "adp",
    name: "ADP Workforce Now",
    category: Category::Payroll,
    source: "adp.md",
    auth: AuthKind::MutualTlsOAuth { client_auth: ClientAuth::Basic, token_body: TokenBody::Form },
    default_scopes: &[],
    token: TokenBehaviour {
        expiry: Expiry::ExpiresIn { field: "expires_in" },
        access_ttl_hint: Some(hours(1)),
        ..STATIC_CREDENTIALS
    },
    endpoints: Endpoints {
        production: Some(EndpointSet {
            authorize: None,
            token: Some("https://accounts.adp.com/auth/oauth/v2/token"),
            refresh: None,
            revoke: None,
            api_base: "https://api.adp.com",
            other_bases: &[],
        }),
        sandbox: Some(EndpointSet {
            authorize: None,
            token: Some("https://iat-api.adp.com/auth/oauth/v2/token"),
            refresh: None,
            revoke: None,
            api_base: "https://iat-api.adp.com",
            other_bases: &[],
        }),
        emulator: Some(EndpointSet {
            authorize: None,
            token: Some("/adp/auth/oauth/v2/token"),
            refresh: None,
            revoke: None,
            api_base: "/adp",
            other_bases: &[],
        }),
    },
    url_parameters: &[],
    // OData paging, third-party: Workforce Now caps `$top` at 100.
    pagination: Pagination::LimitOffset {
        limit_param: "$top",
        offset_param: "$skip",
        first_offset: 0,
        max_page_size: Some(100),
    },
    // Not published; expect 429 / 503 (a maintenance 503 carries `Retry-After`).
    rate_limit: Some(RateLimitPolicy { retry_after_header: true, ..assumed_per_connection(5) }),
    webhook_signature: None,
    reads: &[Model::StaffMember, Model::Timecard],
    writes: &[Model::Timecard],
};
