//! HubSpot (CRM). Source: `hubspot.md` and the official spec `../specs/hubspot/oauth.json`.

use super::prelude::*;

/// HubSpot: OAuth 2.0 code flow (PKCE accepted) with form bodies; access tokens last
/// **30 minutes** (read `expires_in`), refresh tokens do not expire on that schedule. Search pages
/// by `after` up to a 10,000-result cap. Public OAuth apps get 110 requests per 10 s per account
/// (unverified). Webhooks sign with v3 (HMAC-SHA256, millisecond timestamp, 5 minutes).
/// Source: `hubspot.md`.
pub(super) const DEFINITION: ProviderDefinition = ProviderDefinition {
    id: "hubspot",
    name: "HubSpot",
    category: Category::Crm,
    source: "hubspot.md",
    auth: AuthKind::OAuth2Code {
        pkce: Pkce::Supported,
        client_auth: ClientAuth::Body,
        token_body: TokenBody::Form,
        scope_separator: " ",
        extra_authorize_params: &[],
    },
    default_scopes: &[
        "crm.objects.contacts.read",
        "crm.objects.contacts.write",
        "crm.objects.deals.read",
        "crm.objects.deals.write",
        "oauth",
    ],
    token: TokenBehaviour {
        expiry: Expiry::ExpiresIn { field: "expires_in" },
        refresh: Refresh::Reusable,
        pkce_flow_refresh: None,
        access_ttl_hint: Some(minutes(30)),
        refresh_ttl_hint: None,
        revokes_idle_after: None,
        refresh_at_least_every: None,
    },
    endpoints: Endpoints {
        production: Some(EndpointSet {
            authorize: Some("https://app.hubspot.com/oauth/authorize"),
            token: Some("https://api.hubapi.com/oauth/v3/token"),
            refresh: None,
            revoke: Some("https://api.hubapi.com/oauth/v3/token/revoke"),
            api_base: "https://api.hubapi.com",
            other_bases: &[],
        }),
        sandbox: None,
        emulator: Some(EndpointSet {
            authorize: Some("/hubspot/oauth/authorize"),
            token: Some("/hubspot/oauth/v3/token"),
            refresh: None,
            revoke: Some("/hubspot/oauth/v3/token/revoke"),
            api_base: "/hubspot",
            other_bases: &[],
        }),
    },
    url_parameters: &[],
    pagination: Pagination::Cursor {
        request_param: "after",
        next: NextCursor::BodyField("paging.next.after"),
        max_page_size: Some(200),
    },
    rate_limit: Some(RateLimitPolicy {
        basis: LimitBasis::Unverified,
        ..RateLimitPolicy::per_connection(110, std::time::Duration::from_secs(10), 110)
    }),
    webhook_signature: Some(SignatureScheme {
        kind: SignatureKind::HubSpotV3,
        header: "X-HubSpot-Signature-v3",
        timestamp_header: Some("X-HubSpot-Request-Timestamp"),
        algorithm: SignatureAlgorithm::HmacSha256,
        encoding: SignatureEncoding::Base64,
        value_prefix: None,
        signed_content: "method + URI as received (URL-decoded) + raw body + timestamp (milliseconds), \
                         keyed with the app's client secret",
        tolerance: Some(minutes(5)),
    }),
    reads: &[Model::Customer, Model::Lead],
    writes: &[Model::Customer, Model::Lead],
};
