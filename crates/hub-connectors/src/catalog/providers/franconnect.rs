//! FranConnect (franchise management). Source: `franconnect.md` — third-party, unverified.

use super::prelude::*;

/// FranConnect: a customer-gated API. What is known comes from third-party integration code and is
/// unverified: client credentials with HTTP Basic at a shared auth host, the tenant named in
/// `X-TenantID`, form-encoded "data services" calls on the tenant's own host, `limit` / `offset`
/// paging with `hasMoreRecords`. No limits or webhooks are documented. The UAT auth host is
/// `auth.franconnectuat.net`, but its API host is not known, so there is no sandbox set.
/// Source: `franconnect.md`.
pub(super) const DEFINITION: ProviderDefinition = ProviderDefinition {
    id: "franconnect",
    name: "FranConnect",
    category: Category::Franchise,
    source: "franconnect.md",
    auth: AuthKind::ClientCredentials { client_auth: ClientAuth::Basic, token_body: TokenBody::Form },
    default_scopes: &[],
    token: TokenBehaviour { expiry: Expiry::ExpiresIn { field: "expires_in" }, ..STATIC_CREDENTIALS },
    endpoints: Endpoints {
        production: Some(EndpointSet {
            authorize: None,
            token: Some("https://auth.franconnect.net/userauth/oauth/token?X-TenantID={tenant}.franconnect.net"),
            refresh: None,
            revoke: None,
            api_base: "https://{tenant}.franconnect.net/fc/rest/dataservices",
            other_bases: &[],
        }),
        sandbox: None,
        emulator: Some(EndpointSet {
            authorize: None,
            token: Some("/franconnect/userauth/oauth/token?X-TenantID={tenant}.franconnect.net"),
            refresh: None,
            revoke: None,
            api_base: "/franconnect/{tenant}/fc/rest/dataservices",
            other_bases: &[],
        }),
    },
    url_parameters: &["tenant"],
    pagination: Pagination::LimitOffset {
        limit_param: "limit",
        offset_param: "offset",
        first_offset: 0,
        max_page_size: None,
    },
    rate_limit: Some(assumed_per_connection(2)),
    webhook_signature: None,
    reads: &[Model::Location, Model::Lead],
    writes: &[Model::Lead],
};
