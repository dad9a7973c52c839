//! Orders → sales: figures, lines, tenders, refunds, currencies, and the orders that are not sales.

use hub_core::records::{LineKind, RecordData, RefundStatus, Sale, SourceRecord, TenderKind};
use serde_json::{Value, json};

use super::super::{sale, wire};
use super::{at, catalog, dec, from_json, haircut_order, money};
use crate::source::ConnectorError;

fn map(order: Value) -> Result<Option<SourceRecord>, ConnectorError> {
    sale::order(&from_json::<wire::Order>(order), &catalog())
}

fn sale_of(order: Value) -> (SourceRecord, Sale) {
    let record = map(order).expect("maps").expect("is a sale");
    let RecordData::Sale(sale) = record.data.clone() else { panic!("a sale") };
    assert_eq!(sale.validate(), Ok(()), "every mapped sale validates");
    (record, sale)
}

fn figures(sale: &Sale) -> [String; 8] {
    [sale.gross, sale.discount, sale.service_charges, sale.tax, sale.tip, sale.total, sale.refunded, sale.net]
        .map(|amount| amount.to_string())
}

#[test]
fn a_haircut_and_pomade_with_discount_tax_tip_and_refunds_adds_up() {
    let (record, sale) = sale_of(haircut_order());
    assert_eq!(record.external_id, "ORDER_FADE_1");
    assert_eq!(record.provider_location_id.as_deref(), Some("L_DOWNTOWN"));
    assert_eq!(record.remote_updated_at, Some(at("2026-11-21T09:00:00Z")));
    assert_eq!(sale.occurred_at, at("2026-11-20T16:30:00Z"), "a sale happens when it closes");
    assert_eq!(sale.currency.as_str(), "USD");
    assert_eq!(figures(&sale), ["64.00", "6.40", "0.00", "4.75", "8.00", "70.35", "10.00", "47.60"]);
    assert_eq!(sale.customer_external_id.as_deref(), Some("CUST_ADA"));

    let [fade, pomade] = &sale.lines[..] else { panic!("two lines") };
    assert_eq!((fade.kind, fade.name.as_str()), (LineKind::Service, "Skin Fade (Regular)"));
    assert_eq!((fade.quantity, fade.unit_price, fade.gross), (dec("1"), dec("40.00"), dec("40.00")));
    assert_eq!((fade.discount, fade.tax), (dec("4.00"), dec("2.97")));
    assert_eq!((pomade.kind, pomade.name.as_str()), (LineKind::Product, "Pomade (4 oz)"));
    assert_eq!((pomade.quantity, pomade.unit_price, pomade.gross), (dec("2"), dec("12.00"), dec("24.00")));
    assert_eq!(fade.staff_external_id, None, "Square orders name no team member");

    let [card] = &sale.tenders[..] else { panic!("one tender") };
    assert_eq!((card.kind, card.amount, card.tip), (TenderKind::Card, dec("70.35"), dec("8.00")));
    assert_eq!(card.payment_external_id.as_deref(), Some("PAY_1"));

    let statuses: Vec<_> = sale.refunds.iter().map(|refund| (refund.external_id.as_str(), refund.status)).collect();
    assert_eq!(statuses, [("REFUND_1", RefundStatus::Completed), ("REFUND_2", RefundStatus::Pending)]);
    assert_eq!(sale.refunds[1].refunded_at, at("2026-11-21T09:05:00Z"));
}

#[test]
fn a_service_charge_custom_amount_and_split_cash_and_gift_card_tenders() {
    let usd = |amount| money(amount, "USD");
    let order = json!({
        "id": "ORDER_LATE", "location_id": "L_DOWNTOWN", "state": "COMPLETED",
        "closed_at": "2026-11-20T23:10:00Z", "updated_at": "2026-11-20T23:10:00Z",
        "line_items": [
            { "uid": "l1", "name": "Walk-in", "quantity": "1", "item_type": "CUSTOM_AMOUNT",
              "base_price_money": usd(2000), "gross_sales_money": usd(2000), "total_money": usd(2000) },
            { "uid": "l2", "name": "Gift Card", "quantity": "1", "item_type": "GIFT_CARD", "catalog_object_id": "VAR_CARD",
              "base_price_money": usd(5000), "gross_sales_money": usd(5000), "total_money": usd(5000) }
        ],
        "service_charges": [{ "uid": "sc1", "name": "After hours", "percentage": "10", "applied_money": usd(200),
                               "total_money": usd(200), "calculation_phase": "SUBTOTAL_PHASE", "type": "CUSTOM" }],
        "tenders": [
            { "id": "T_CASH", "type": "CASH", "amount_money": usd(2200),
              "cash_details": { "buyer_tendered_money": usd(2500), "change_back_money": usd(300) } },
            { "id": "T_GIFT", "type": "SQUARE_GIFT_CARD", "payment_id": "PAY_G", "amount_money": usd(5000),
              "customer_id": "CUST_BO" }
        ],
        "total_money": usd(7200), "total_service_charge_money": usd(200)
    });
    let (_, sale) = sale_of(order);
    assert_eq!(figures(&sale), ["70.00", "0.00", "2.00", "0.00", "0.00", "72.00", "0.00", "72.00"]);
    assert!(sale.lines.iter().all(|line| line.kind == LineKind::Other), "custom amounts and gift cards are other");
    let kinds: Vec<_> = sale.tenders.iter().map(|tender| (tender.kind, tender.payment_external_id.clone())).collect();
    assert_eq!(kinds, [(TenderKind::Cash, Some("T_CASH".into())), (TenderKind::GiftCard, Some("PAY_G".into()))]);
    assert_eq!(sale.customer_external_id.as_deref(), Some("CUST_BO"), "from the tender when the order names none");
}

#[test]
fn minor_units_follow_each_currency() {
    // Japan: prices include 10% consumption tax and Square reports gross without it.
    let jpy = |amount| money(amount, "JPY");
    let tokyo = json!({
        "id": "ORDER_JP", "location_id": "L_TOKYO", "state": "COMPLETED", "closed_at": "2026-11-20T03:00:00Z",
        "taxes": [{ "uid": "ct", "type": "INCLUSIVE", "percentage": "10", "applied_money": jpy(500) }],
        "line_items": [{ "name": "Cut", "quantity": "1", "catalog_object_id": "VAR_FADE", "base_price_money": jpy(5500),
                         "gross_sales_money": jpy(5000), "total_tax_money": jpy(500), "total_money": jpy(5500),
                         "applied_taxes": [{ "tax_uid": "ct", "applied_money": jpy(500) }] }],
        "tenders": [{ "id": "T1", "type": "CARD", "amount_money": jpy(5500) }],
        "total_money": jpy(5500), "total_tax_money": jpy(500)
    });
    let (_, sale) = sale_of(tokyo);
    assert_eq!(figures(&sale), ["5000", "0", "0", "500", "0", "5500", "0", "5000"]);

    let kwd = |amount| money(amount, "KWD");
    let kuwait = json!({
        "id": "ORDER_KW", "location_id": "L_KUWAIT", "state": "COMPLETED", "closed_at": "2026-11-20T03:00:00Z",
        "line_items": [{ "name": "Shave", "quantity": "1", "base_price_money": kwd(4250), "gross_sales_money": kwd(4250) }],
        "total_money": kwd(4750), "total_tip_money": kwd(500)
    });
    let (_, sale) = sale_of(kuwait);
    assert_eq!(figures(&sale), ["4.250", "0.000", "0.000", "0.000", "0.500", "4.750", "0.000", "4.250"]);
}

#[test]
fn european_inclusive_vat_is_taken_out_of_gross() {
    let eur = |amount| money(amount, "EUR");
    let berlin = json!({
        "id": "ORDER_DE", "location_id": "L_BERLIN", "state": "COMPLETED", "closed_at": "2026-11-20T10:00:00Z",
        "taxes": [{ "uid": "vat", "type": "INCLUSIVE", "percentage": "20", "applied_money": eur(500) }],
        "line_items": [
            { "name": "Fade", "quantity": "1", "catalog_object_id": "VAR_FADE", "base_price_money": eur(2400),
              "gross_sales_money": eur(2400), "total_tax_money": eur(400), "total_money": eur(2400),
              "applied_taxes": [{ "tax_uid": "vat", "applied_money": eur(400) }] },
            { "name": "Pomade", "quantity": "1", "catalog_object_id": "VAR_POMADE", "base_price_money": eur(600),
              "gross_sales_money": eur(600), "total_tax_money": eur(100), "total_money": eur(600),
              "applied_taxes": [{ "tax_uid": "vat", "applied_money": eur(100) }] }
        ],
        "total_money": eur(3000), "total_tax_money": eur(500)
    });
    let (_, sale) = sale_of(berlin);
    assert_eq!(figures(&sale), ["25.00", "0.00", "0.00", "5.00", "0.00", "30.00", "0.00", "25.00"]);
    assert_eq!(sale.lines.iter().map(|line| line.gross.to_string()).collect::<Vec<_>>(), ["20.00", "5.00"]);
}

#[test]
fn inclusive_tax_inside_a_service_charge_is_counted_once() {
    let usd = |amount| money(amount, "USD");
    let order = json!({
        "id": "ORDER_SC_TAX", "location_id": "L_DOWNTOWN", "state": "COMPLETED", "closed_at": "2026-11-20T10:00:00Z",
        "taxes": [{ "uid": "add", "type": "ADDITIVE", "percentage": "10" },
                  { "uid": "inc", "type": "INCLUSIVE", "percentage": "10" }],
        "line_items": [{ "name": "Fade", "quantity": "1", "catalog_object_id": "VAR_FADE",
                         "base_price_money": usd(1000), "gross_sales_money": usd(1000), "total_tax_money": usd(100),
                         "applied_taxes": [{ "tax_uid": "add", "applied_money": usd(100) }] }],
        "service_charges": [{ "name": "House call", "amount_money": usd(500), "applied_money": usd(500),
                              "total_tax_money": usd(45), "total_money": usd(500),
                              "applied_taxes": [{ "tax_uid": "inc", "applied_money": usd(45) }] }],
        "total_money": usd(1600), "total_tax_money": usd(145), "total_service_charge_money": usd(500)
    });
    let (_, sale) = sale_of(order);
    assert_eq!(figures(&sale), ["10.00", "0.00", "4.55", "1.45", "0.00", "16.00", "0.00", "14.55"]);
}

#[test]
fn cash_rounding_counts_with_service_charges() {
    let cad = |amount| money(amount, "CAD");
    let order = json!({
        "id": "ORDER_CA", "location_id": "L_TORONTO", "state": "COMPLETED", "closed_at": "2026-11-20T10:00:00Z",
        "line_items": [{ "name": "Line-up", "quantity": "1", "base_price_money": cad(1998), "gross_sales_money": cad(1998) }],
        "rounding_adjustment": { "uid": "r", "name": "Cash rounding", "amount_money": cad(2) },
        "tenders": [{ "id": "T1", "type": "CASH", "amount_money": cad(2000) }],
        "total_money": cad(2000)
    });
    let (_, sale) = sale_of(order);
    assert_eq!(figures(&sale), ["19.98", "0.00", "0.02", "0.00", "0.00", "20.00", "0.00", "20.00"]);
}

#[test]
fn figures_that_do_not_add_up_are_refused_not_stored() {
    let mut order = haircut_order();
    order["total_money"] = money(7036, "USD");
    let error = map(order).expect_err("a cent too many");
    let ConnectorError::BadResponse { provider, message } = &error else { panic!("a bad response: {error}") };
    assert_eq!(provider, "square");
    assert!(message.contains("order ORDER_FADE_1") && message.contains("do not add up"), "{message}");
}

#[test]
fn a_second_currency_on_an_order_is_refused() {
    let mut order = haircut_order();
    order["tenders"][0]["tip_money"] = money(800, "CAD");
    let error = map(order).expect_err("USD order, CAD tip");
    assert!(error.to_string().contains("tenders[0].tip_money` is in CAD, not USD"), "{error}");

    let mut order = haircut_order();
    order["total_money"]["currency"] = json!("DOGE");
    assert!(map(order).is_err(), "not an ISO 4217 currency");
}

#[test]
fn unreadable_lines_and_refunds_are_refused() {
    let mut order = haircut_order();
    order["line_items"][0]["quantity"] = json!("one");
    assert!(map(order).expect_err("not a number").to_string().contains("line_items[0].quantity"));
    let mut order = haircut_order();
    order["refunds"][0]["status"] = json!("REVERSED");
    assert!(map(order).expect_err("unknown status").to_string().contains("refunds[0].status"));
    let mut order = haircut_order();
    order.as_object_mut().expect("an object").remove("closed_at");
    assert!(map(order).expect_err("no closed_at").to_string().contains("closed_at"));
}

#[test]
fn rejected_and_failed_refunds_do_not_count_as_refunded() {
    let mut order = haircut_order();
    order["refunds"][0]["status"] = json!("REJECTED");
    order["refunds"][1]["status"] = json!("FAILED");
    let (_, sale) = sale_of(order);
    assert_eq!((sale.refunded, sale.net), (dec("0.00"), dec("57.60")));
    let statuses: Vec<_> = sale.refunds.iter().map(|refund| refund.status).collect();
    assert_eq!(statuses, [RefundStatus::Rejected, RefundStatus::Failed]);
}

#[test]
fn open_canceled_and_return_only_orders_are_not_sales() {
    for state in ["OPEN", "CANCELED", "DRAFT"] {
        let mut order = haircut_order();
        order["state"] = json!(state);
        assert_eq!(map(order).expect("skipped, not refused"), None, "{state}");
    }
    let usd = |amount| money(amount, "USD");
    let return_order = json!({
        "id": "ORDER_RETURN", "location_id": "L_DOWNTOWN", "state": "COMPLETED", "closed_at": "2026-11-21T09:00:00Z",
        "returns": [{ "uid": "r1", "source_order_id": "ORDER_FADE_1",
                      "return_line_items": [{ "name": "Pomade", "quantity": "1", "total_money": usd(1000) }] }],
        "return_amounts": { "total_money": usd(1000) }, "total_money": usd(0)
    });
    assert_eq!(map(return_order).expect("skipped"), None, "a return is read from the sale it refunds");
}

#[test]
fn an_exchange_maps_the_items_it_sold() {
    let usd = |amount| money(amount, "USD");
    let exchange = json!({
        "id": "ORDER_SWAP", "location_id": "L_DOWNTOWN", "state": "COMPLETED", "closed_at": "2026-11-21T09:00:00Z",
        "returns": [{ "uid": "r1", "source_order_id": "ORDER_FADE_1" }],
        "line_items": [{ "name": "Pomade", "variation_name": "8 oz", "quantity": "1", "catalog_object_id": "VAR_POMADE",
                         "base_price_money": usd(1800), "gross_sales_money": usd(1800) }],
        "total_money": usd(1800)
    });
    let (_, sale) = sale_of(exchange);
    assert_eq!((sale.gross, sale.lines[0].kind), (dec("18.00"), LineKind::Product));
}

#[test]
fn the_catalog_is_asked_only_about_catalogued_lines_of_sales() {
    let mut canceled = haircut_order();
    canceled["state"] = json!("CANCELED");
    let mut gift = haircut_order();
    gift["line_items"][1]["item_type"] = json!("GIFT_CARD");
    gift["line_items"][1]["catalog_object_id"] = json!("VAR_CARD");
    let orders: Vec<wire::Order> = [haircut_order(), canceled, gift].into_iter().map(from_json).collect();
    assert_eq!(sale::catalog_ids(&orders), ["VAR_FADE", "VAR_POMADE", "VAR_FADE"]);
}
