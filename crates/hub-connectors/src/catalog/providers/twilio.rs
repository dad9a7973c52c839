//! Twilio (SMS). Source: `twilio.md` and the official spec `../specs/twilio/twilio_api_v2010.json`.

use super::prelude::*;

/// Twilio: HTTP Basic with the Account SID and auth token (or an API key), no OAuth; the 2010 API
/// answers JSON when paths end in `.json`; concurrency-based limits answered with 429 / 20429 and
/// a `Retry-After` to honour; webhooks sign URL + sorted form parameters with HMAC-SHA1.
/// Source: `twilio.md`.
pub(super) const DEFINITION: ProviderDefinition = ProviderDefinition {
    id: "twilio",
    name: "Twilio",
    category: Category::Messaging,
    source: "twilio.md",
    auth: AuthKind::Basic,
    default_scopes: &[],
    token: STATIC_CREDENTIALS,
    endpoints: Endpoints {
        production: Some(EndpointSet {
            authorize: None,
            token: None,
            refresh: None,
            revoke: None,
            api_base: "https://api.twilio.com/2010-04-01",
            other_bases: &[],
        }),
        sandbox: None,
        emulator: Some(EndpointSet {
            authorize: None,
            token: None,
            refresh: None,
            revoke: None,
            api_base: "/twilio/2010-04-01",
            other_bases: &[],
        }),
    },
    url_parameters: &[],
    // Unverified: `PageSize` (≤ 1000) and `next_page_uri`.
    pagination: Pagination::NextUrl { field: "next_page_uri" },
    rate_limit: Some(RateLimitPolicy {
        scope: RateLimitScope::App,
        retry_after_header: true,
        ..assumed_per_connection(10)
    }),
    webhook_signature: Some(SignatureScheme {
        kind: SignatureKind::Twilio,
        header: "X-Twilio-Signature",
        timestamp_header: None,
        algorithm: SignatureAlgorithm::HmacSha1,
        encoding: SignatureEncoding::Base64,
        value_prefix: None,
        signed_content: "the full request URL (with query), then every POST parameter as name + value sorted \
                         by name; JSON bodies: the URL with `bodySHA256=<hex sha256 of body>` appended",
        tolerance: None,
    }),
    reads: &[Model::Message],
    writes: &[Model::Message],
};
