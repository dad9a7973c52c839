//! Meta (Marketing API, Conversions API, webhooks). Source: `meta.md`.

use super::prelude::*;

/// Meta: a long-lived Business Manager system-user token (what the notes recommend for servers;
/// the Facebook Login URLs are unverified), sent as the `access_token` query parameter; Graph API
/// v25.0; Business Use Case rate limits reported in headers, with no fixed numbers; webhooks sign
/// the raw body with the app secret (`X-Hub-Signature-256: sha256=<hex>`). Source: `meta.md`.
pub(super) const DEFINITION: ProviderDefinition = ProviderDefinition {
    id: "meta",
    name: "Meta (Facebook and Instagram ads)",
    category: Category::Marketing,
    source: "meta.md",
    auth: AuthKind::ApiKey { placement: ApiKeyPlacement::Query { name: "access_token" } },
    default_scopes: &["ads_read", "ads_management"],
    token: STATIC_CREDENTIALS,
    endpoints: Endpoints {
        production: Some(EndpointSet {
            authorize: None,
            token: None,
            refresh: None,
            revoke: None,
            api_base: "https://graph.facebook.com/v25.0",
            other_bases: &[],
        }),
        sandbox: None,
        emulator: Some(EndpointSet {
            authorize: None,
            token: None,
            refresh: None,
            revoke: None,
            api_base: "/meta/v25.0",
            other_bases: &[],
        }),
    },
    url_parameters: &[],
    // Unverified: `{data, paging:{cursors:{before, after}, next}}`.
    pagination: Pagination::Cursor {
        request_param: "after",
        next: NextCursor::BodyField("paging.cursors.after"),
        max_page_size: None,
    },
    // Business Use Case limits move with usage (`X-Business-Use-Case-Usage`); the status of an
    // over-limit answer (error codes 17 / 613) is unverified.
    rate_limit: Some(RateLimitPolicy { scope: RateLimitScope::App, ..assumed_per_connection(10) }),
    webhook_signature: Some(SignatureScheme {
        kind: SignatureKind::MetaSha256,
        header: "X-Hub-Signature-256",
        timestamp_header: None,
        algorithm: SignatureAlgorithm::HmacSha256,
        encoding: SignatureEncoding::Hex,
        value_prefix: Some("sha256="),
        signed_content: "the raw body, keyed with the app secret",
        tolerance: None,
    }),
    reads: &[Model::AdSpend, Model::Lead],
    writes: &[Model::Sale],
};
