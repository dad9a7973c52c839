//! SendGrid (email). Source: `sendgrid.md` and the official spec `../specs/sendgrid/oai.json`.

use super::prelude::*;

/// SendGrid: an API key as a Bearer token, send-only use (202 Accepted, no paging), no published
/// v3 rate numbers (headers report them; 600/min per user was the v2 figure used here as a
/// ceiling), and an Event Webhook signed with ECDSA P-256 over timestamp + raw body.
/// Source: `sendgrid.md`.
pub(super) const DEFINITION: ProviderDefinition = ProviderDefinition {
    id: "sendgrid",
    name: "SendGrid",
    category: Category::Messaging,
    source: "sendgrid.md",
    auth: AuthKind::ApiKey { placement: ApiKeyPlacement::Header { name: "Authorization", prefix: "Bearer " } },
    default_scopes: &[],
    token: STATIC_CREDENTIALS,
    endpoints: Endpoints {
        production: Some(EndpointSet {
            authorize: None,
            token: None,
            refresh: None,
            revoke: None,
            api_base: "https://api.sendgrid.com",
            other_bases: &[("eu", "https://api.eu.sendgrid.com")],
        }),
        sandbox: None,
        emulator: Some(EndpointSet {
            authorize: None,
            token: None,
            refresh: None,
            revoke: None,
            api_base: "/sendgrid",
            other_bases: &[("eu", "/sendgrid/eu")],
        }),
    },
    url_parameters: &[],
    pagination: Pagination::None,
    rate_limit: Some(RateLimitPolicy { basis: LimitBasis::Assumed, ..RateLimitPolicy::per_app(600, minutes(1), 10) }),
    webhook_signature: Some(SignatureScheme {
        kind: SignatureKind::SendGridEcdsa,
        header: "X-Twilio-Email-Event-Webhook-Signature",
        timestamp_header: Some("X-Twilio-Email-Event-Webhook-Timestamp"),
        algorithm: SignatureAlgorithm::EcdsaP256Sha256,
        encoding: SignatureEncoding::Base64,
        value_prefix: None,
        signed_content: "timestamp header value + raw body; the signature is base64 DER, the key base64 DER \
                         SubjectPublicKeyInfo",
        tolerance: None,
    }),
    reads: &[Model::Message],
    writes: &[Model::Message],
};
