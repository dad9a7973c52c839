//! Franchise Hub's connectors: the declarative catalog of every provider the hub talks to, the
//! [`source::SourceConnector`] seam through which connectors read providers into unified records,
//! and the connectors themselves (`providers/`, one folder per provider).
//!
//! The catalog is data, not code: auth kind, endpoints per environment, token behaviour, paging,
//! rate limits, webhook signature scheme and the unified models each provider reads and writes.
//! Every fact in it comes from the provider notes in `../shared/providers/`; each definition names
//! the note it was taken from.
#![forbid(unsafe_code)]

pub mod catalog;
pub mod providers;
pub mod source;

pub use catalog::{Environment, ProviderDefinition, ProviderUrls, catalog, provider};
pub use providers::{SOURCE_PROVIDERS, SquareConnector, SquareSettings, source_connector};
