//! What the catalog says about the item variations a page names: whether a sold line is a
//! service or a product (orders only carry the variation id), and the name of a booked service
//! (bookings only carry the variation id).
//!
//! One `BatchRetrieveCatalogObjects` call per page (per 1000 distinct ids) with the parent items
//! as related objects. The rule, from `CatalogItem.product_type`:
//! - `APPOINTMENTS_SERVICE` (and the legacy online-store service type), or a variation with a
//!   `service_duration` (only services have one) → service;
//! - `REGULAR` (Square's default when unset), `FOOD_AND_BEV`, `DIGITAL` → product;
//! - gift cards, events, donations, memberships, and variations whose item is not returned → other.

use std::collections::{BTreeSet, HashMap};

use hub_core::records::LineKind;

use super::errors::read;
use super::requests::{CATALOG_IDS_PER_CALL, batch_retrieve_catalog};
use super::wire::{BatchRetrieveCatalogObjectsResponse, CatalogObject};
use crate::source::{ConnectorError, ProviderApi};

/// One item variation as the mappings need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Variation {
    pub kind: LineKind,
    /// `Item (Variation)`, or the item's name alone when the variation has none.
    pub display_name: String,
}

/// Variation id → what the catalog says; ids the catalog does not know are absent.
pub(crate) type Variations = HashMap<String, Variation>;

/// Looks up `ids` (duplicates and all), in as few calls as Square allows; no call when empty.
pub(crate) async fn look_up(
    api: &dyn ProviderApi,
    ids: impl IntoIterator<Item = String>,
) -> Result<Variations, ConnectorError> {
    let unique: Vec<String> = ids.into_iter().collect::<BTreeSet<_>>().into_iter().collect();
    let mut found = Variations::new();
    for chunk in unique.chunks(CATALOG_IDS_PER_CALL) {
        let response = api.send(batch_retrieve_catalog(chunk)).await?;
        let page: BatchRetrieveCatalogObjectsResponse = read(&response, "BatchRetrieveCatalogObjects")?;
        found.extend(variations(&page));
    }
    Ok(found)
}

/// The variations of one answer, each joined with its parent item.
pub(crate) fn variations(page: &BatchRetrieveCatalogObjectsResponse) -> Variations {
    let items: HashMap<&str, &CatalogObject> = page
        .objects
        .iter()
        .chain(&page.related_objects)
        .filter(|object| object.object_type == "ITEM")
        .map(|object| (object.id.as_str(), object))
        .collect();
    let mut found = Variations::new();
    for object in page.objects.iter().filter(|object| object.object_type == "ITEM_VARIATION") {
        let Some(variation) = &object.item_variation_data else { continue };
        let item = variation.item_id.as_deref().and_then(|id| items.get(id)).and_then(|item| item.item_data.as_ref());
        let kind = match item {
            _ if variation.service_duration.is_some() => LineKind::Service,
            Some(item) => kind_of(item.product_type.as_deref()),
            None => LineKind::Other,
        };
        let item_name = item.and_then(|item| item.name.as_deref()).filter(|name| !name.is_empty());
        let variation_name = variation.name.as_deref().filter(|name| !name.is_empty());
        let display_name = match (item_name, variation_name) {
            (Some(item), Some(variation)) => format!("{item} ({variation})"),
            (Some(name), None) | (None, Some(name)) => name.to_owned(),
            (None, None) => object.id.clone(),
        };
        found.insert(object.id.clone(), Variation { kind, display_name });
    }
    found
}

/// The line kind of a `CatalogItemProductType`.
pub(crate) fn kind_of(product_type: Option<&str>) -> LineKind {
    match product_type {
        Some("APPOINTMENTS_SERVICE" | "LEGACY_SQUARE_ONLINE_SERVICE") => LineKind::Service,
        None | Some("REGULAR" | "FOOD_AND_BEV" | "DIGITAL") => LineKind::Product,
        Some(_) => LineKind::Other,
    }
}
