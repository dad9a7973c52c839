//! Fransmart and IFPG (franchise development and broker networks), kept apart because leads carry
//! their source. Source: `fransmart-ifpg.md`.

use super::prelude::*;

/// No public API, so no URLs, paging or limits: leads reach the hub through its own intake
/// endpoint, signed with a scheme the hub defines (Standard Webhooks), or through CSV and email
/// importers. Source: `fransmart-ifpg.md`.
const fn lead_source(id: &'static str, name: &'static str) -> ProviderDefinition {
    ProviderDefinition {
        id,
        name,
        category: Category::Franchise,
        source: "fransmart-ifpg.md",
        auth: AuthKind::SharedSecret,
        default_scopes: &[],
        token: STATIC_CREDENTIALS,
        endpoints: Endpoints { production: None, sandbox: None, emulator: None },
        url_parameters: &[],
        pagination: Pagination::None,
        rate_limit: None,
        webhook_signature: Some(STANDARD_WEBHOOKS_SIGNATURE),
        reads: &[Model::Lead],
        writes: &[],
    }
}

/// Fransmart: a franchise development firm with no public API (`source="fransmart"` on leads).
pub(super) const FRANSMART: ProviderDefinition = lead_source("fransmart", "Fransmart");

/// IFPG: a broker network with no public API; its leads carry immutable broker attribution
/// (`source="ifpg"`).
pub(super) const IFPG: ProviderDefinition = lead_source("ifpg", "IFPG (International Franchise Professionals Group)");
