//! `POST /v2/catalog/batch-retrieve` (BatchRetrieveCatalogObjects): the shop's menu as catalog
//! objects. Orders and bookings carry only the id of an `ITEM_VARIATION`; this is how a client
//! learns that a "Skin Fade (Regular)" is a service (`product_type` `APPOINTMENTS_SERVICE`, with a
//! `service_duration`) and a "Pomade (Medium Hold 4 oz)" a product (`REGULAR`). With
//! `include_related_objects`, each variation's parent `ITEM` comes in `related_objects`.
//! Unknown ids are left out, as Square does; at most 1,000 ids a call.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::super::catalog::{CatalogItem, ITEMS};
use super::super::ids::IdKind;
use super::super::render::time;
use super::super::store::{MerchantData, read};
use super::params::body;
use super::{ApiError, Caller, authorize, ok, respond};
use crate::state::EmulatorState;

/// The most ids one call may name.
const MAX_IDS: usize = 1_000;
/// Parent items are minted in their own range of catalog numbers, after the variations'.
const ITEM_NUMBERS: u64 = 5_000;

#[derive(Debug, Deserialize)]
struct BatchRetrieveBody {
    object_ids: Option<Vec<String>>,
    #[serde(default)]
    include_related_objects: bool,
    #[serde(default)]
    #[allow(dead_code, reason = "accepted as Square does; nothing in the menu is ever deleted")]
    include_deleted_objects: bool,
    #[allow(dead_code, reason = "accepted; the emulated catalog has one version")]
    catalog_version: Option<i64>,
    #[allow(dead_code, reason = "accepted; the emulated catalog has no categories")]
    include_category_path_to_root: Option<bool>,
}

#[derive(Serialize)]
struct Money {
    amount: i64,
    currency: &'static str,
}

#[derive(Serialize)]
struct VariationData {
    item_id: String,
    name: &'static str,
    pricing_type: &'static str,
    price_money: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_duration: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    available_for_booking: Option<bool>,
    sellable: bool,
}

#[derive(Serialize)]
struct ItemData {
    name: &'static str,
    product_type: &'static str,
    is_taxable: bool,
}

#[derive(Serialize)]
struct CatalogObjectView {
    #[serde(rename = "type")]
    object_type: &'static str,
    id: String,
    updated_at: String,
    version: i64,
    is_deleted: bool,
    present_at_all_locations: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    item_variation_data: Option<VariationData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    item_data: Option<ItemData>,
}

#[derive(Serialize)]
struct BatchRetrieveResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    objects: Vec<CatalogObjectView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_objects: Vec<CatalogObjectView>,
}

/// When the menu was last changed: the day the first shop opened.
fn catalog_updated(data: &MerchantData) -> i64 {
    data.locations.iter().map(|location| location.created_at).min().unwrap_or_default()
}

fn item_id(data: &MerchantData, index: usize) -> String {
    data.minter.id(IdKind::Catalog, ITEM_NUMBERS + index as u64)
}

fn variation(data: &MerchantData, index: usize, entry: &CatalogItem) -> CatalogObjectView {
    let currency = data.locations.first().map(|location| location.currency);
    let amount = currency.map_or(entry.us_cents, |currency| currency.price(entry.us_cents));
    let service = !entry.product;
    CatalogObjectView {
        object_type: "ITEM_VARIATION",
        id: data.item_ids.get(index).cloned().unwrap_or_default(),
        updated_at: time(catalog_updated(data)),
        version: catalog_updated(data),
        is_deleted: false,
        present_at_all_locations: true,
        item_variation_data: Some(VariationData {
            item_id: item_id(data, index),
            name: entry.variation,
            pricing_type: "FIXED_PRICING",
            price_money: Money { amount, currency: currency.map_or("USD", |currency| currency.code()) },
            service_duration: service.then_some(i64::from(entry.minutes) * 60_000),
            available_for_booking: service.then_some(true),
            sellable: true,
        }),
        item_data: None,
    }
}

fn item(data: &MerchantData, index: usize, entry: &CatalogItem) -> CatalogObjectView {
    CatalogObjectView {
        object_type: "ITEM",
        id: item_id(data, index),
        updated_at: time(catalog_updated(data)),
        version: catalog_updated(data),
        is_deleted: false,
        present_at_all_locations: true,
        item_variation_data: None,
        item_data: Some(ItemData {
            name: entry.name,
            product_type: if entry.product { "REGULAR" } else { "APPOINTMENTS_SERVICE" },
            is_taxable: entry.product,
        }),
    }
}

fn batch_retrieve(caller: &Caller, bytes: &[u8]) -> Result<Response, ApiError> {
    let request: BatchRetrieveBody = body(bytes)?;
    let ids = request.object_ids.unwrap_or_default();
    if ids.is_empty() {
        return Err(ApiError::invalid(
            "MISSING_REQUIRED_PARAMETER",
            "object_ids",
            "object_ids must name at least one id",
        ));
    }
    if ids.len() > MAX_IDS {
        return Err(ApiError::invalid(
            "VALUE_TOO_HIGH",
            "object_ids",
            format!("at most {MAX_IDS} object_ids may be retrieved at once"),
        ));
    }
    let data = read(&caller.data);
    let mut objects = Vec::new();
    let mut parents: Vec<usize> = Vec::new();
    for id in &ids {
        if let Some(index) = data.item_ids.iter().position(|known| known == id) {
            objects.push(variation(&data, index, &ITEMS[index]));
            parents.push(index);
        } else if let Some(index) = (0..ITEMS.len()).find(|&index| item_id(&data, index) == *id) {
            objects.push(item(&data, index, &ITEMS[index]));
        }
    }
    let mut related_objects = Vec::new();
    if request.include_related_objects {
        parents.sort_unstable();
        parents.dedup();
        related_objects = parents.into_iter().map(|index| item(&data, index, &ITEMS[index])).collect();
    }
    Ok(ok(&BatchRetrieveResponse { objects, related_objects }))
}

/// `POST /v2/catalog/batch-retrieve`.
pub(super) async fn batch(State(state): State<EmulatorState>, headers: HeaderMap, bytes: Bytes) -> Response {
    match authorize(&state, &headers, "ITEMS_READ") {
        Ok(caller) => respond(batch_retrieve(&caller, &bytes)),
        Err(response) => *response,
    }
}
