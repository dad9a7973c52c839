//! Salesforce (CRM). Source: `salesforce.md`.

use super::prelude::*;

/// Salesforce: OAuth 2.0 web server flow with PKCE recommended; the token response has no
/// expiry (sessions follow the org's timeout, 2 h by default) and names the org's `instance_url`,
/// which every API call goes to. Refresh-token policy is set per connected app (treated as
/// reusable). Paging follows `nextRecordsUrl`. Over quota is **403** `REQUEST_LIMIT_EXCEEDED`, not
/// 429; 100,000 calls a day plus licence add-ons, 25 long-running requests at once.
/// Source: `salesforce.md`.
pub(super) const DEFINITION: ProviderDefinition = ProviderDefinition {
    id: "salesforce",
    name: "Salesforce",
    category: Category::Crm,
    source: "salesforce.md",
    auth: AuthKind::OAuth2Code {
        pkce: Pkce::Supported,
        client_auth: ClientAuth::Body,
        token_body: TokenBody::Form,
        scope_separator: " ",
        extra_authorize_params: &[],
    },
    // Scopes come from the connected app's configuration.
    default_scopes: &[],
    token: TokenBehaviour {
        expiry: Expiry::None,
        refresh: Refresh::Reusable,
        pkce_flow_refresh: None,
        access_ttl_hint: Some(hours(2)),
        refresh_ttl_hint: None,
        revokes_idle_after: None,
        refresh_at_least_every: None,
    },
    endpoints: Endpoints {
        production: Some(EndpointSet {
            authorize: Some("https://login.salesforce.com/services/oauth2/authorize"),
            token: Some("https://login.salesforce.com/services/oauth2/token"),
            refresh: None,
            revoke: None,
            api_base: "{instance_url}",
            other_bases: &[],
        }),
        sandbox: Some(EndpointSet {
            authorize: Some("https://test.salesforce.com/services/oauth2/authorize"),
            token: Some("https://test.salesforce.com/services/oauth2/token"),
            refresh: None,
            revoke: None,
            api_base: "{instance_url}",
            other_bases: &[],
        }),
        // The emulator answers as its own instance: its token responses name this `instance_url`.
        emulator: Some(EndpointSet {
            authorize: Some("/salesforce/services/oauth2/authorize"),
            token: Some("/salesforce/services/oauth2/token"),
            refresh: None,
            revoke: None,
            api_base: "/salesforce",
            other_bases: &[],
        }),
    },
    url_parameters: &["instance_url"],
    pagination: Pagination::NextUrl { field: "nextRecordsUrl" },
    rate_limit: Some(RateLimitPolicy {
        max_concurrent: Some(25),
        limited_status: 403,
        ..RateLimitPolicy::per_connection(100_000, days(1), 25)
    }),
    webhook_signature: None,
    reads: &[Model::Customer, Model::Lead],
    writes: &[Model::Customer, Model::Lead],
};
