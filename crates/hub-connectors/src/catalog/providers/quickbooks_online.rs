//! QuickBooks Online (Intuit accounting). Source: `quickbooks-online.md`.

use super::prelude::*;

/// QuickBooks Online: OAuth 2.0 code flow with HTTP Basic client auth and form bodies; PKCE is
/// unverified, so the hub does not send it. Access tokens last 1 h; refresh tokens roll over
/// ~101 days (`x_refresh_token_expires_in: 8726400`) within a five-year hard limit, and a refresh
/// may return a new one (always store the latest). 500 requests/min and 10/s per realm.
/// Source: `quickbooks-online.md`.
pub(super) const DEFINITION: ProviderDefinition = ProviderDefinition {
    id: "quickbooks-online",
    name: "QuickBooks Online",
    category: Category::Accounting,
    source: "quickbooks-online.md",
    auth: AuthKind::OAuth2Code {
        pkce: Pkce::Unsupported,
        client_auth: ClientAuth::Basic,
        token_body: TokenBody::Form,
        scope_separator: " ",
        extra_authorize_params: &[],
    },
    default_scopes: &["com.intuit.quickbooks.accounting"],
    token: TokenBehaviour {
        expiry: Expiry::ExpiresIn { field: "expires_in" },
        refresh: Refresh::Rotating,
        pkce_flow_refresh: None,
        access_ttl_hint: Some(hours(1)),
        refresh_ttl_hint: Some(QUICKBOOKS_REFRESH_WINDOW),
        revokes_idle_after: Some(QUICKBOOKS_REFRESH_WINDOW),
        refresh_at_least_every: None,
    },
    endpoints: Endpoints {
        production: Some(EndpointSet {
            authorize: Some("https://appcenter.intuit.com/connect/oauth2"),
            token: Some("https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"),
            refresh: None,
            revoke: Some("https://developer.api.intuit.com/v2/oauth2/tokens/revoke"),
            api_base: "https://quickbooks.api.intuit.com",
            other_bases: &[("userinfo", "https://accounts.platform.intuit.com/v1/openid_connect/userinfo")],
        }),
        // Same OAuth endpoints; a separate API host and userinfo host.
        sandbox: Some(EndpointSet {
            authorize: Some("https://appcenter.intuit.com/connect/oauth2"),
            token: Some("https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"),
            refresh: None,
            revoke: Some("https://developer.api.intuit.com/v2/oauth2/tokens/revoke"),
            api_base: "https://sandbox-quickbooks.api.intuit.com",
            other_bases: &[("userinfo", "https://sandbox-accounts.platform.intuit.com/v1/openid_connect/userinfo")],
        }),
        emulator: Some(EndpointSet {
            authorize: Some("/quickbooks-online/connect/oauth2"),
            token: Some("/quickbooks-online/oauth2/v1/tokens/bearer"),
            refresh: None,
            revoke: Some("/quickbooks-online/v2/oauth2/tokens/revoke"),
            api_base: "/quickbooks-online",
            other_bases: &[("userinfo", "/quickbooks-online/v1/openid_connect/userinfo")],
        }),
    },
    url_parameters: &[],
    pagination: Pagination::QueryStartPosition { max_page_size: Some(1000) },
    // On 429 wait 60 s; no rate-limit headers are documented.
    rate_limit: Some(RateLimitPolicy::per_connection(500, minutes(1), 10)),
    webhook_signature: Some(SignatureScheme {
        kind: SignatureKind::Intuit,
        header: "intuit-signature",
        timestamp_header: None,
        algorithm: SignatureAlgorithm::HmacSha256,
        encoding: SignatureEncoding::Base64,
        value_prefix: None,
        signed_content: "the raw body, keyed with the app's webhook verifier token",
        tolerance: None,
    }),
    reads: &[
        Model::Location,
        Model::StaffMember,
        Model::Customer,
        Model::Sale,
        Model::Refund,
        Model::Timecard,
        Model::Payout,
    ],
    writes: &[Model::LedgerEntry, Model::Invoice, Model::Sale],
};

/// `x_refresh_token_expires_in: 8726400` (about 101 days, rolling).
const QUICKBOOKS_REFRESH_WINDOW: std::time::Duration = std::time::Duration::from_secs(8_726_400);
