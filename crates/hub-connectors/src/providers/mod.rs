//! The connectors: one folder per provider, each with the same files (see `square/` for the
//! layout), looked up by catalog id.

pub mod quickbooks;
pub mod square;

use std::sync::Arc;

use crate::source::SourceConnector;

pub use quickbooks::QuickBooksClient;
pub use square::{SquareConnector, SquareSettings};

/// The connector that reads `provider` (a catalog id such as `square`), if one is written.
pub fn source_connector(provider: &str) -> Option<Arc<dyn SourceConnector>> {
    match provider {
        "square" => Some(Arc::new(SquareConnector::new())),
        _ => None,
    }
}

/// The catalog ids of every provider with a source connector.
pub const SOURCE_PROVIDERS: &[&str] = &["square"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_provider_has_a_connector_that_names_itself_and_reads_what_the_catalog_says() {
        for id in SOURCE_PROVIDERS {
            let connector = source_connector(id).expect("listed providers have connectors");
            assert_eq!(connector.provider(), *id);
            let definition = crate::provider(id).expect("connectors are for catalog providers");
            let mut read = connector.models().to_vec();
            let mut declared = definition.reads.to_vec();
            read.sort();
            declared.sort();
            assert_eq!(read, declared, "{id}: the connector reads exactly what the catalog declares");
        }
        assert!(source_connector("toast").is_none(), "no Toast connector yet");
    }
}
