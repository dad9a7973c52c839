//! How a provider signs (or otherwise authenticates) the webhooks it sends to the hub.

use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;

use super::durations;

/// One inbound webhook authentication scheme, described as data; the verifier for each `kind`
/// lives with the inbound webhook code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct SignatureScheme {
    pub kind: SignatureKind,
    /// The header carrying the signature (or the shared token).
    pub header: &'static str,
    /// The header carrying the signed timestamp, when it is separate.
    pub timestamp_header: Option<&'static str>,
    pub algorithm: SignatureAlgorithm,
    pub encoding: SignatureEncoding,
    /// Text before the encoded signature in the header value (`sha256=`, `v1,`).
    pub value_prefix: Option<&'static str>,
    /// The exact bytes the signature covers, in words.
    pub signed_content: &'static str,
    /// How old a signed timestamp may be; `None` when the scheme has no timestamp (replay
    /// protection then comes from event-id dedupe).
    #[serde(with = "durations::optional_seconds")]
    #[schema(value_type = Option<u64>)]
    pub tolerance: Option<Duration>,
}

/// The named schemes; each needs its own verifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignatureKind {
    /// `Stripe-Signature: t=…,v1=…`.
    Stripe,
    /// `x-square-hmacsha256-signature` over notification URL + body.
    Square,
    /// Clover REST webhooks: a static `X-Clover-Auth` code, no MAC.
    CloverAuthCode,
    /// `Toast-Signature` over body + timestamp.
    Toast,
    /// `intuit-signature` over the body (QuickBooks).
    Intuit,
    /// `X-HubSpot-Signature-v3`.
    #[serde(rename = "hubspot_v3")]
    HubSpotV3,
    /// `X-Hub-Signature-256: sha256=…` (Meta).
    MetaSha256,
    /// `X-Twilio-Signature` (HMAC-SHA1 over URL + sorted params).
    Twilio,
    /// SendGrid's ECDSA-signed Event Webhook.
    #[serde(rename = "sendgrid_ecdsa")]
    SendGridEcdsa,
    /// Google Calendar push: the channel token echoed in `X-Goog-Channel-Token`, no MAC.
    GoogleChannelToken,
    /// [Standard Webhooks](https://www.standardwebhooks.com) `v1` signatures.
    StandardWebhooks,
}

/// The primitive behind a scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignatureAlgorithm {
    HmacSha256,
    HmacSha1,
    /// ECDSA on P-256 with SHA-256, checked with the provider's public key.
    EcdsaP256Sha256,
    /// A shared value compared in constant time; nothing is computed over the body.
    SharedToken,
}

/// How the signature bytes are written in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignatureEncoding {
    Hex,
    Base64,
    /// The header holds the shared value itself.
    Plain,
}
