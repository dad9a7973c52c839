//! Looker Studio (BI). Source: `looker-studio.md`.

use super::prelude::*;

/// Looker Studio has no ingest API: a Community Connector (AuthType `KEY`) calls a read-only hub
/// endpoint with a hub API key, or the hub lands figures where a native connector reads them. The
/// hub never calls Looker Studio, so there are no URLs, paging or limits here.
/// Source: `looker-studio.md`.
pub(super) const DEFINITION: ProviderDefinition = ProviderDefinition {
    id: "looker-studio",
    name: "Looker Studio",
    category: Category::Bi,
    source: "looker-studio.md",
    auth: AuthKind::HubApiKey,
    default_scopes: &[],
    token: STATIC_CREDENTIALS,
    endpoints: Endpoints { production: None, sandbox: None, emulator: None },
    url_parameters: &[],
    pagination: Pagination::None,
    rate_limit: None,
    webhook_signature: None,
    reads: &[],
    writes: &[Model::Kpi],
};
