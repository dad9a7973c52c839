//! Sage Intacct (accounting). Source: `sage-intacct.md`.

use super::prelude::*;

/// Sage Intacct's REST API: OAuth 2.0 code flow (PKCE supported), `scope=offline_access` for a
/// refresh token, JWT tokens whose lifetimes are unverified. Authorizing a second connection for
/// the same user and company invalidates the earlier refresh grant (`REST-2102 tokenInvalid`,
/// third-party), so refresh handling is treated as rotating: always store the latest. The XML
/// gateway (sender id + session) is listed as another base. Rate limits are per performance tier
/// and unpublished. Source: `sage-intacct.md`.
pub(super) const DEFINITION: ProviderDefinition = ProviderDefinition {
    id: "sage-intacct",
    name: "Sage Intacct",
    category: Category::Accounting,
    source: "sage-intacct.md",
    auth: AuthKind::OAuth2Code {
        pkce: Pkce::Supported,
        client_auth: ClientAuth::Body,
        token_body: TokenBody::Form,
        scope_separator: " ",
        extra_authorize_params: &[],
    },
    default_scopes: &["offline_access"],
    token: TokenBehaviour {
        expiry: Expiry::ExpiresIn { field: "expires_in" },
        refresh: Refresh::Rotating,
        pkce_flow_refresh: None,
        access_ttl_hint: None,
        refresh_ttl_hint: None,
        revokes_idle_after: None,
        refresh_at_least_every: None,
    },
    endpoints: Endpoints {
        production: Some(SAGE_PRODUCTION),
        // No separate sandbox host: a sandbox is a separate company (unverified).
        sandbox: Some(SAGE_PRODUCTION),
        emulator: Some(EndpointSet {
            authorize: Some("/sage-intacct/ia/api/v1/oauth2/authorize"),
            token: Some("/sage-intacct/ia/api/v1/oauth2/token"),
            refresh: None,
            revoke: None,
            api_base: "/sage-intacct/ia/api/v1",
            other_bases: &[("xml_gateway", "/sage-intacct/ia/xml/xmlgw.phtml")],
        }),
    },
    url_parameters: &[],
    pagination: Pagination::LimitOffset {
        limit_param: "size",
        offset_param: "start",
        first_offset: 1,
        max_page_size: None,
    },
    rate_limit: Some(assumed_per_connection(5)),
    // Webhook delivery carries an idempotency key; its signature scheme is unverified.
    webhook_signature: None,
    reads: &[],
    writes: &[Model::LedgerEntry, Model::Invoice],
};

const SAGE_PRODUCTION: EndpointSet = EndpointSet {
    authorize: Some("https://api.intacct.com/ia/api/v1/oauth2/authorize"),
    token: Some("https://api.intacct.com/ia/api/v1/oauth2/token"),
    refresh: None,
    revoke: None,
    api_base: "https://api.intacct.com/ia/api/v1",
    other_bases: &[("xml_gateway", "https://api.intacct.com/ia/xml/xmlgw.phtml")],
};
