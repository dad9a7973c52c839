//! The catalog's data: one module per provider, each a `DEFINITION` built from one provider note.

mod adp;
mod clover;
mod franchise_development;
mod franconnect;
mod google;
mod hubspot;
mod looker_studio;
mod meta;
mod power_bi;
mod quickbooks_online;
mod sage_intacct;
mod salesforce;
mod sendgrid;
mod square;
mod standard_webhooks;
mod stripe;
mod tableau;
mod toast;
mod twilio;

use super::ProviderDefinition;

/// Names every provider module needs, so each file reads as plain data.
mod prelude {
    pub(super) use crate::catalog::durations::{SECOND, days, hours, minutes};
    pub(super) use crate::catalog::{
        ApiKeyPlacement, AuthKind, Category, ClientAuth, EndpointSet, Endpoints, Expiry, LimitBasis, Model, NextCursor,
        Pagination, Pkce, ProviderDefinition, Rate, RateLimitPolicy, RateLimitScope, Refresh, SignatureAlgorithm,
        SignatureEncoding, SignatureKind, SignatureScheme, TimestampFormat, TokenBehaviour, TokenBody,
    };

    /// Token behaviour of providers whose credentials never expire and never refresh.
    pub(super) const STATIC_CREDENTIALS: TokenBehaviour = TokenBehaviour {
        expiry: Expiry::None,
        refresh: Refresh::None,
        pkce_flow_refresh: None,
        access_ttl_hint: None,
        refresh_ttl_hint: None,
        revokes_idle_after: None,
        refresh_at_least_every: None,
    };

    /// Signature scheme of partner feeds that sign with Standard Webhooks (`v1`, HMAC-SHA256).
    /// Source: DESIGN.md §7 and https://www.standardwebhooks.com (the spec's 5-minute window).
    pub(super) const STANDARD_WEBHOOKS_SIGNATURE: SignatureScheme = SignatureScheme {
        kind: SignatureKind::StandardWebhooks,
        header: "webhook-signature",
        timestamp_header: Some("webhook-timestamp"),
        algorithm: SignatureAlgorithm::HmacSha256,
        encoding: SignatureEncoding::Base64,
        value_prefix: Some("v1,"),
        signed_content: "`webhook-id` header, `.`, `webhook-timestamp` header (unix seconds), `.`, raw body; \
                         the header may hold several space-separated `v1,` signatures",
        tolerance: Some(minutes(5)),
    };

    /// An assumed per-connection rate for providers that publish no numbers.
    pub(super) const fn assumed_per_connection(requests: u32) -> RateLimitPolicy {
        RateLimitPolicy { basis: LimitBasis::Assumed, ..RateLimitPolicy::per_connection(requests, SECOND, requests) }
    }
}

/// Every definition, in the README's order, then the generic partner feed.
pub(super) static ALL: [ProviderDefinition; 23] = [
    stripe::DEFINITION,
    square::DEFINITION,
    clover::DEFINITION,
    toast::DEFINITION,
    quickbooks_online::DEFINITION,
    sage_intacct::DEFINITION,
    adp::DEFINITION,
    salesforce::DEFINITION,
    hubspot::DEFINITION,
    google::CALENDAR,
    google::BUSINESS_PROFILE,
    google::ADS,
    google::GA4,
    meta::DEFINITION,
    twilio::DEFINITION,
    sendgrid::DEFINITION,
    tableau::DEFINITION,
    power_bi::DEFINITION,
    looker_studio::DEFINITION,
    franconnect::DEFINITION,
    franchise_development::FRANSMART,
    franchise_development::IFPG,
    standard_webhooks::DEFINITION,
];
