//! The signature schemes the hub verifies, and which catalog providers use which.

use std::fmt;
use std::time::Duration;

use hub_connectors::catalog::SignatureKind;

use crate::WebhookError;
use crate::verify::{hubspot, standard_webhooks, stripe};

/// One inbound webhook authentication scheme, each verified by its own module under
/// [`mod@crate::verify`].
///
/// | scheme | provider ids | secret | event id ([`Verified::event_id`](crate::Verified)) |
/// |---|---|---|---|
/// | `Stripe` | `stripe` | endpoint signing secret `whsec_…` | body `id` |
/// | `Square` | `square` | subscription signature key | body `event_id` |
/// | `QuickBooks` | `quickbooks-online` | webhook verifier token | none (batched) |
/// | `HubSpot` | `hubspot` | app client secret | none (batched: `eventId` per element) |
/// | `Twilio` | `twilio` | auth token | `MessageSid[:MessageStatus]` / `CallSid[:CallStatus]` |
/// | `SendGrid` | `sendgrid` | verification public key (base64 DER) | none (batched: `sg_event_id`) |
/// | `Meta` | `meta` | app secret; verify token for the GET handshake | none |
/// | `CloverAuthCode` | `clover` | Clover auth code | none |
/// | `CloverHostedCheckout` | `clover-hosted-checkout` (hub-local id) | Hosted Checkout secret | none |
/// | `Toast` | `toast` | subscription secret | body `guid` |
/// | `GoogleChannelToken` | `google-calendar` | channel token | `X-Goog-Channel-ID:X-Goog-Message-Number` |
/// | `StandardWebhooks` | `standard-webhooks`, `fransmart`, `ifpg` | `whsec_…` | `webhook-id` header |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Stripe,
    Square,
    QuickBooks,
    HubSpot,
    Twilio,
    SendGrid,
    Meta,
    CloverAuthCode,
    CloverHostedCheckout,
    Toast,
    GoogleChannelToken,
    StandardWebhooks,
}

/// The id `hub webhooks verify --provider` and the routes accept for Clover Hosted Checkout,
/// whose webhooks are configured apart from Clover's REST app (the catalog lists only the latter).
pub const CLOVER_HOSTED_CHECKOUT: &str = "clover-hosted-checkout";

impl Scheme {
    /// Every scheme, in the order of the table above.
    pub const ALL: [Self; 12] = [
        Self::Stripe,
        Self::Square,
        Self::QuickBooks,
        Self::HubSpot,
        Self::Twilio,
        Self::SendGrid,
        Self::Meta,
        Self::CloverAuthCode,
        Self::CloverHostedCheckout,
        Self::Toast,
        Self::GoogleChannelToken,
        Self::StandardWebhooks,
    ];

    /// The scheme a provider signs its webhooks with, from the catalog's definition (plus the
    /// hub-local [`CLOVER_HOSTED_CHECKOUT`]); an error for providers that send no webhooks.
    pub fn for_provider(id: &str) -> Result<Self, WebhookError> {
        if id == CLOVER_HOSTED_CHECKOUT {
            return Ok(Self::CloverHostedCheckout);
        }
        hub_connectors::provider(id)
            .and_then(|definition| definition.webhook_signature)
            .map(|signature| Self::from(signature.kind))
            .ok_or_else(|| WebhookError::UnknownProvider { id: id.to_owned() })
    }

    /// Every provider id [`Scheme::for_provider`] accepts, in catalog order.
    pub fn provider_ids() -> impl Iterator<Item = &'static str> {
        hub_connectors::catalog()
            .iter()
            .filter(|definition| definition.webhook_signature.is_some())
            .map(|definition| definition.id)
            .chain(std::iter::once(CLOVER_HOSTED_CHECKOUT))
    }

    /// How far a signed timestamp may be from now, for schemes that enforce a window.
    pub fn tolerance(self) -> Option<Duration> {
        match self {
            Self::Stripe => Some(stripe::TOLERANCE),
            Self::HubSpot => Some(hubspot::TOLERANCE),
            Self::StandardWebhooks => Some(standard_webhooks::TOLERANCE),
            _ => None,
        }
    }

    /// Whether the scheme signs the URL the provider called, so
    /// [`InboundRequest::url`](crate::InboundRequest::url) must be set (HubSpot's legacy v1 does
    /// not, v3 and v2 do).
    pub fn signs_url(self) -> bool {
        matches!(self, Self::Square | Self::Twilio | Self::HubSpot)
    }

    fn name(self) -> &'static str {
        match self {
            Self::Stripe => "Stripe",
            Self::Square => "Square",
            Self::QuickBooks => "QuickBooks Online",
            Self::HubSpot => "HubSpot",
            Self::Twilio => "Twilio",
            Self::SendGrid => "SendGrid",
            Self::Meta => "Meta",
            Self::CloverAuthCode => "Clover",
            Self::CloverHostedCheckout => "Clover Hosted Checkout",
            Self::Toast => "Toast",
            Self::GoogleChannelToken => "Google push notifications",
            Self::StandardWebhooks => "Standard Webhooks",
        }
    }
}

impl From<SignatureKind> for Scheme {
    fn from(kind: SignatureKind) -> Self {
        match kind {
            SignatureKind::Stripe => Self::Stripe,
            SignatureKind::Square => Self::Square,
            SignatureKind::CloverAuthCode => Self::CloverAuthCode,
            SignatureKind::Toast => Self::Toast,
            SignatureKind::Intuit => Self::QuickBooks,
            SignatureKind::HubSpotV3 => Self::HubSpot,
            SignatureKind::MetaSha256 => Self::Meta,
            SignatureKind::Twilio => Self::Twilio,
            SignatureKind::SendGridEcdsa => Self::SendGrid,
            SignatureKind::GoogleChannelToken => Self::GoogleChannelToken,
            SignatureKind::StandardWebhooks => Self::StandardWebhooks,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
