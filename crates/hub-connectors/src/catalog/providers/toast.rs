//! Toast (point of sale). Source: `toast.md`.

use super::prelude::*;

/// Toast: a custom client-credentials login (`TOAST_MACHINE_CLIENT`) returning a JWT that lasts
/// about a day, with no refresh token; request at most 1–2 tokens a day and renew in the final
/// 60 s. Host names are issued per environment (the ones here are unverified). 20 requests/s and
/// 10,000 per 15 minutes per restaurant, 429 with `Retry-After`. Source: `toast.md`.
pub(super) const DEFINITION: ProviderDefinition = ProviderDefinition {
    id: "toast",
    name: "Toast",
    category: Category::Pos,
    source: "toast.md",
    auth: AuthKind::ProviderLogin,
    // Scopes are embedded in the JWT, not requested.
    default_scopes: &[],
    token: TokenBehaviour {
        expiry: Expiry::ExpiresIn { field: "token.expiresIn" },
        access_ttl_hint: Some(days(1)),
        ..STATIC_CREDENTIALS
    },
    endpoints: Endpoints {
        production: Some(EndpointSet {
            authorize: None,
            token: Some("https://ws-api.toasttab.com/authentication/v1/authentication/login"),
            refresh: None,
            revoke: None,
            api_base: "https://ws-api.toasttab.com",
            other_bases: &[],
        }),
        sandbox: Some(EndpointSet {
            authorize: None,
            token: Some("https://ws-sandbox-api.eng.toasttab.com/authentication/v1/authentication/login"),
            refresh: None,
            revoke: None,
            api_base: "https://ws-sandbox-api.eng.toasttab.com",
            other_bases: &[],
        }),
        emulator: Some(EndpointSet {
            authorize: None,
            token: Some("/toast/authentication/v1/authentication/login"),
            refresh: None,
            revoke: None,
            api_base: "/toast",
            other_bases: &[],
        }),
    },
    url_parameters: &[],
    pagination: Pagination::Cursor {
        request_param: "pageToken",
        next: NextCursor::Header("Toast-Next-Page-Token"),
        max_page_size: Some(100),
    },
    rate_limit: Some(RateLimitPolicy {
        retry_after_header: true,
        ..RateLimitPolicy::per_connection(10_000, minutes(15), 20)
    }),
    webhook_signature: Some(SignatureScheme {
        kind: SignatureKind::Toast,
        header: "Toast-Signature",
        timestamp_header: None,
        algorithm: SignatureAlgorithm::HmacSha256,
        encoding: SignatureEncoding::Base64,
        value_prefix: None,
        signed_content: "raw body followed by the timestamp (where the timestamp comes from is unverified)",
        tolerance: None,
    }),
    reads: &[Model::Location, Model::Sale, Model::Refund, Model::Timecard],
    writes: &[],
};
