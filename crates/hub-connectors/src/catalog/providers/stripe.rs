//! Stripe (payments, including Connect). Source: `stripe.md`.

use super::prelude::*;

/// Stripe: the platform's secret key as a Bearer token with `Stripe-Account` per connected account
/// (Connect OAuth is "not recommended for new Connect platforms"), no token expiry, one host for
/// live and test (the key decides), cursor paging by object id, 25 requests/s per endpoint by
/// default (100 operations/s live overall). Source: `stripe.md`.
pub(super) const DEFINITION: ProviderDefinition = ProviderDefinition {
    id: "stripe",
    name: "Stripe",
    category: Category::Payments,
    source: "stripe.md",
    auth: AuthKind::ApiKey { placement: ApiKeyPlacement::Header { name: "Authorization", prefix: "Bearer " } },
    default_scopes: &[],
    token: STATIC_CREDENTIALS,
    endpoints: Endpoints {
        production: Some(EndpointSet {
            authorize: None,
            token: None,
            refresh: None,
            revoke: None,
            api_base: "https://api.stripe.com",
            other_bases: &[],
        }),
        // No separate sandbox host: test keys select the environment.
        sandbox: Some(EndpointSet {
            authorize: None,
            token: None,
            refresh: None,
            revoke: None,
            api_base: "https://api.stripe.com",
            other_bases: &[],
        }),
        emulator: Some(EndpointSet {
            authorize: None,
            token: None,
            refresh: None,
            revoke: None,
            api_base: "/stripe",
            other_bases: &[],
        }),
    },
    url_parameters: &[],
    pagination: Pagination::Cursor {
        request_param: "starting_after",
        next: NextCursor::LastItemId,
        max_page_size: Some(100),
    },
    rate_limit: Some(RateLimitPolicy::per_app(25, SECOND, 25)),
    webhook_signature: Some(SignatureScheme {
        kind: SignatureKind::Stripe,
        header: "Stripe-Signature",
        timestamp_header: None,
        algorithm: SignatureAlgorithm::HmacSha256,
        encoding: SignatureEncoding::Hex,
        value_prefix: None,
        signed_content: "`t` from the header, `.`, raw body; header `t=<unix>,v1=<hex>[,v1=…]`, any `v1` may match",
        tolerance: Some(minutes(5)),
    }),
    reads: &[Model::Location, Model::Customer, Model::Sale, Model::Refund, Model::Payout],
    writes: &[],
};
