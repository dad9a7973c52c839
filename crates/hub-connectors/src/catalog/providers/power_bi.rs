//! Power BI (BI). Source: `power-bi.md` and the official spec `../specs/powerbi/swagger.json`.

use super::prelude::*;

/// Power BI: an Entra ID service principal (client credentials, scope
/// `https://analysis.windows.net/powerbi/api/.default`, tokens of about 60–90 min, no refresh
/// token) pushing rows into push datasets under `/groups/{groupId}`. Limits are per dataset:
/// 120 POST-rows requests a minute, 5 pending, 10,000 rows per POST, 1,000,000 rows an hour.
/// Source: `power-bi.md`.
pub(super) const DEFINITION: ProviderDefinition = ProviderDefinition {
    id: "power-bi",
    name: "Power BI",
    category: Category::Bi,
    source: "power-bi.md",
    auth: AuthKind::ClientCredentials { client_auth: ClientAuth::Body, token_body: TokenBody::Form },
    default_scopes: &["https://analysis.windows.net/powerbi/api/.default"],
    token: TokenBehaviour {
        expiry: Expiry::ExpiresIn { field: "expires_in" },
        access_ttl_hint: Some(minutes(60)),
        ..STATIC_CREDENTIALS
    },
    endpoints: Endpoints {
        production: Some(EndpointSet {
            authorize: None,
            token: Some("https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token"),
            refresh: None,
            revoke: None,
            api_base: "https://api.powerbi.com/v1.0/myorg",
            other_bases: &[],
        }),
        sandbox: None,
        emulator: Some(EndpointSet {
            authorize: None,
            token: Some("/power-bi/{tenant_id}/oauth2/v2.0/token"),
            refresh: None,
            revoke: None,
            api_base: "/power-bi/v1.0/myorg",
            other_bases: &[],
        }),
    },
    url_parameters: &["tenant_id"],
    pagination: Pagination::None,
    // Throttling answers 429 + `Retry-After` (unverified).
    rate_limit: Some(RateLimitPolicy {
        max_concurrent: Some(5),
        retry_after_header: true,
        ..RateLimitPolicy::per_connection(120, minutes(1), 5)
    }),
    webhook_signature: None,
    reads: &[],
    writes: &[Model::Kpi],
};
