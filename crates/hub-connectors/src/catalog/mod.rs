//! The provider catalog: one `'static` [`ProviderDefinition`] per provider, looked up by id.
//!
//! The types describe a provider (auth, tokens, endpoints, paging, limits, signatures, models);
//! `providers/` holds the data, one file per provider, each naming its source note.

mod auth;
mod definition;
pub mod durations;
mod providers;
mod signature;
mod traffic;

#[cfg(test)]
mod tests;

pub use auth::{
    ApiKeyPlacement, AuthKind, ClientAuth, Expiry, Pkce, Refresh, TimestampFormat, TokenBehaviour, TokenBody,
};
pub use definition::{Category, EndpointSet, Endpoints, Environment, ProviderDefinition, ProviderUrls};
pub use hub_core::records::Model;
pub use signature::{SignatureAlgorithm, SignatureEncoding, SignatureKind, SignatureScheme};
pub use traffic::{LimitBasis, NextCursor, Pagination, Rate, RateLimitPolicy, RateLimitScope};

/// Every provider the hub knows, in the order of the provider notes' README.
pub fn catalog() -> &'static [ProviderDefinition] {
    &providers::ALL
}

/// The definition with this id (`square`, `quickbooks-online`, …), if there is one.
pub fn provider(id: &str) -> Option<&'static ProviderDefinition> {
    providers::ALL.iter().find(|definition| definition.id == id)
}
