//! Tableau (BI). Source: `tableau.md`.

use super::prelude::*;

/// Tableau: sign in with a personal access token (`POST /api/{ver}/auth/signin`), then send the
/// session token as `X-Tableau-Auth`; sessions idle out after 120 min on Cloud (240 on Server);
/// the hub publishes data sources. Paging, limits and webhooks are unverified.
/// Source: `tableau.md`.
pub(super) const DEFINITION: ProviderDefinition = ProviderDefinition {
    id: "tableau",
    name: "Tableau",
    category: Category::Bi,
    source: "tableau.md",
    auth: AuthKind::ProviderLogin,
    default_scopes: &[],
    token: TokenBehaviour { access_ttl_hint: Some(minutes(120)), ..STATIC_CREDENTIALS },
    endpoints: Endpoints {
        // `{server}`: the Tableau Server host or the Cloud pod (`10ay.online.tableau.com`).
        production: Some(EndpointSet {
            authorize: None,
            token: Some("https://{server}/api/3.27/auth/signin"),
            refresh: None,
            revoke: Some("https://{server}/api/3.27/auth/signout"),
            api_base: "https://{server}/api/3.27",
            other_bases: &[],
        }),
        sandbox: None,
        emulator: Some(EndpointSet {
            authorize: None,
            token: Some("/tableau/api/3.27/auth/signin"),
            refresh: None,
            revoke: Some("/tableau/api/3.27/auth/signout"),
            api_base: "/tableau/api/3.27",
            other_bases: &[],
        }),
    },
    url_parameters: &["server"],
    pagination: Pagination::PageNumber {
        size_param: "pageSize",
        page_param: "pageNumber",
        first_page: 1,
        max_page_size: Some(1000),
    },
    rate_limit: Some(RateLimitPolicy { retry_after_header: true, ..assumed_per_connection(5) }),
    webhook_signature: None,
    reads: &[],
    writes: &[Model::Kpi],
};
