//! Partner feeds that push to the hub signed with Standard Webhooks. Source: DESIGN.md §7 and the
//! Standard Webhooks specification (https://www.standardwebhooks.com); no provider note applies.

use super::prelude::*;

/// A generic partner feed: the partner POSTs events to `/webhooks/standard-webhooks/…`, signing
/// each with a secret it shares with the hub (`whsec_…`, HMAC-SHA256, `v1,` signatures, 5-minute
/// timestamp window). The hub never calls the partner.
pub(super) const DEFINITION: ProviderDefinition = ProviderDefinition {
    id: "standard-webhooks",
    name: "Standard Webhooks partner feed",
    category: Category::Partner,
    source: "DESIGN.md",
    auth: AuthKind::SharedSecret,
    default_scopes: &[],
    token: STATIC_CREDENTIALS,
    endpoints: Endpoints { production: None, sandbox: None, emulator: None },
    url_parameters: &[],
    pagination: Pagination::None,
    rate_limit: None,
    webhook_signature: Some(STANDARD_WEBHOOKS_SIGNATURE),
    reads: &[],
    writes: &[],
};
