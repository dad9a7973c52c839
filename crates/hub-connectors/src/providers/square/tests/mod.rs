//! Tests of the Square connector: mappings on payloads shaped like the spec's schemas, the
//! requests it builds, how it reads Square's errors, whole walks against a fake [`ProviderApi`]
//! (the trait seam the sync engine hands it), and property tests.

mod errors;
mod fake;
mod lists;
mod mapping;
mod properties;
mod requests;
mod sales;
mod walks;

use chrono::{DateTime, Utc};
use hub_core::records::{Model, SourceRecord};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{SquareConnector, wire};
use crate::source::{ConnectorError, FetchRequest, FetchedPage, SourceConnector, SyncMode};
use fake::FakeSquare;

/// An instant from RFC 3339 text.
pub(super) fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("test instants are RFC 3339").with_timezone(&Utc)
}

/// `text` as a decimal (`"55.00"`).
pub(super) fn dec(text: &str) -> Decimal {
    text.parse().expect("test decimals parse")
}

/// A Square `Money`.
pub(super) fn money(amount: i64, currency: &str) -> Value {
    json!({ "amount": amount, "currency": currency })
}

/// Reads a payload built in a test into a wire type, as the connector reads Square's answers.
pub(super) fn from_json<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("test payloads match the wire types")
}

/// The catalog answer that knows the shop's services and products: a fade and a beard trim
/// (`APPOINTMENTS_SERVICE`, with `service_duration`), pomade (`REGULAR`), and a gift card item.
pub(super) fn catalog_answer() -> Value {
    let variation = |id: &str, item: &str, name: &str, duration: Option<i64>| {
        let mut data = json!({ "item_id": item, "name": name });
        if let Some(duration) = duration {
            data["service_duration"] = json!(duration);
        }
        json!({ "type": "ITEM_VARIATION", "id": id, "is_deleted": false, "item_variation_data": data })
    };
    let item = |id: &str, name: &str, product_type: &str| json!({ "type": "ITEM", "id": id, "item_data": { "name": name, "product_type": product_type } });
    json!({
        "objects": [
            variation("VAR_FADE", "ITEM_FADE", "Regular", Some(1_800_000)),
            variation("VAR_BEARD", "ITEM_BEARD", "Hot towel", None),
            variation("VAR_POMADE", "ITEM_POMADE", "4 oz", None),
            variation("VAR_CARD", "ITEM_CARD", "$50", None),
        ],
        "related_objects": [
            item("ITEM_FADE", "Skin Fade", "APPOINTMENTS_SERVICE"),
            item("ITEM_BEARD", "Beard Trim", "APPOINTMENTS_SERVICE"),
            item("ITEM_POMADE", "Pomade", "REGULAR"),
            item("ITEM_CARD", "Gift Card", "GIFT_CARD"),
        ],
    })
}

/// The catalog answer read as the mappings see it.
pub(super) fn catalog() -> super::catalog::Variations {
    super::catalog::variations(&from_json::<wire::BatchRetrieveCatalogObjectsResponse>(catalog_answer()))
}

/// A completed US order at the Downtown shop: a skin fade (service) and two pomades (product),
/// 10% off the order, 8.25% additive sales tax, an $8 tip on a card, one approved $10 refund and
/// one still pending.
///
/// gross 40.00 + 24.00 = 64.00; discount 4.00 + 2.40 = 6.40; tax 2.97 + 1.78 = 4.75;
/// total 64.00 − 6.40 + 4.75 + 8.00 = 70.35; net 70.35 − 4.75 − 8.00 − 10.00 = 47.60.
pub(super) fn haircut_order() -> Value {
    let usd = |amount| money(amount, "USD");
    json!({
        "id": "ORDER_FADE_1",
        "location_id": "L_DOWNTOWN",
        "customer_id": "CUST_ADA",
        "state": "COMPLETED",
        "created_at": "2026-11-20T15:58:02.000Z",
        "updated_at": "2026-11-21T09:00:00.000Z",
        "closed_at": "2026-11-20T16:30:00.000Z",
        "version": 4,
        "taxes": [{ "uid": "state-tax", "name": "Sales tax", "type": "ADDITIVE", "percentage": "8.25", "scope": "ORDER",
                    "applied_money": usd(475) }],
        "discounts": [{ "uid": "ten-off", "name": "10% off", "type": "FIXED_PERCENTAGE", "percentage": "10",
                        "scope": "ORDER", "applied_money": usd(640) }],
        "line_items": [
            {
                "uid": "line-fade", "name": "Skin Fade", "variation_name": "Regular", "quantity": "1",
                "item_type": "ITEM", "catalog_object_id": "VAR_FADE",
                "base_price_money": usd(4000), "variation_total_price_money": usd(4000),
                "gross_sales_money": usd(4000), "total_discount_money": usd(400), "total_tax_money": usd(297),
                "total_money": usd(3897),
                "applied_taxes": [{ "uid": "a1", "tax_uid": "state-tax", "applied_money": usd(297) }],
                "applied_discounts": [{ "uid": "d1", "discount_uid": "ten-off", "applied_money": usd(400) }]
            },
            {
                "uid": "line-pomade", "name": "Pomade", "variation_name": "4 oz", "quantity": "2",
                "item_type": "ITEM", "catalog_object_id": "VAR_POMADE",
                "base_price_money": usd(1200), "variation_total_price_money": usd(2400),
                "gross_sales_money": usd(2400), "total_discount_money": usd(240), "total_tax_money": usd(178),
                "total_money": usd(2338),
                "applied_taxes": [{ "uid": "a2", "tax_uid": "state-tax", "applied_money": usd(178) }],
                "applied_discounts": [{ "uid": "d2", "discount_uid": "ten-off", "applied_money": usd(240) }]
            }
        ],
        "tenders": [{
            "id": "TENDER_CARD_1", "location_id": "L_DOWNTOWN", "type": "CARD", "payment_id": "PAY_1",
            "amount_money": usd(7035), "tip_money": usd(800),
            "card_details": { "status": "CAPTURED", "entry_method": "EMV" }
        }],
        "refunds": [
            { "id": "REFUND_1", "location_id": "L_DOWNTOWN", "tender_id": "TENDER_CARD_1", "reason": "Uneven fade",
              "created_at": "2026-11-21T09:00:00.000Z", "amount_money": usd(1000), "status": "APPROVED" },
            { "id": "REFUND_2", "location_id": "L_DOWNTOWN", "tender_id": "TENDER_CARD_1", "reason": "Second thoughts",
              "created_at": "2026-11-21T09:05:00.000Z", "amount_money": usd(500), "status": "PENDING" }
        ],
        "total_money": usd(7035),
        "total_tax_money": usd(475),
        "total_discount_money": usd(640),
        "total_tip_money": usd(800),
        "total_service_charge_money": usd(0),
        "net_amount_due_money": usd(0)
    })
}

/// When the walks in these tests started.
pub(super) const STARTED: &str = "2026-11-24T12:00:00Z";

pub(super) fn request<'a>(
    model: Model,
    mode: SyncMode,
    since: Option<DateTime<Utc>>,
    cursor: Option<&'a str>,
) -> FetchRequest<'a> {
    FetchRequest { model, mode, changed_since: since, cursor, started_at: at(STARTED) }
}

/// Fetches pages until the walk ends; returns the records and every cursor handed back.
pub(super) async fn walk(
    connector: &SquareConnector,
    api: &FakeSquare,
    model: Model,
    mode: SyncMode,
    since: Option<DateTime<Utc>>,
    mut cursor: Option<String>,
) -> Result<(Vec<SourceRecord>, Vec<String>), ConnectorError> {
    let mut records = Vec::new();
    let mut cursors = Vec::new();
    for _ in 0..100 {
        let FetchedPage { records: page, next_cursor, .. } =
            connector.fetch(api, request(model, mode, since, cursor.as_deref())).await?;
        records.extend(page);
        match next_cursor {
            Some(next) => {
                cursors.push(next.clone());
                cursor = Some(next);
            }
            None => return Ok((records, cursors)),
        }
    }
    panic!("the walk did not end in 100 pages");
}

pub(super) fn ids(records: &[SourceRecord]) -> Vec<&str> {
    records.iter().map(|record| record.external_id.as_str()).collect()
}
