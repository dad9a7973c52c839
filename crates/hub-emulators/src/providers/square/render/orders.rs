//! `Order` as Square writes it: line items with their gross, discount, tax and totals, the
//! order-level discount and line-level tax they reference, service charges, the tender of its
//! payment, refunds, and the `return_amounts` / `net_amounts` roll-ups.

use serde::Serialize;

use super::super::catalog::ITEMS;
use super::super::currency::{Currency, percentage_text};
use super::super::model::{Order, Tender};
use super::super::store::MerchantData;
use super::payments::card_brand;
use super::{Money, money, time};

#[derive(Serialize)]
struct AppliedView {
    uid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tax_uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    discount_uid: Option<String>,
    applied_money: Money,
}

#[derive(Serialize)]
struct LineView<'a> {
    uid: String,
    name: &'static str,
    quantity: String,
    catalog_object_id: &'a str,
    catalog_version: i64,
    variation_name: &'static str,
    item_type: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    applied_taxes: Vec<AppliedView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    applied_discounts: Vec<AppliedView>,
    base_price_money: Money,
    variation_total_price_money: Money,
    gross_sales_money: Money,
    total_tax_money: Money,
    total_discount_money: Money,
    total_money: Money,
    total_service_charge_money: Money,
}

#[derive(Serialize)]
struct AdjustmentView<'a> {
    uid: String,
    catalog_object_id: &'a str,
    catalog_version: i64,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    percentage: String,
    applied_money: Money,
    scope: &'static str,
}

#[derive(Serialize)]
struct ServiceChargeView<'a> {
    uid: String,
    name: &'static str,
    catalog_object_id: &'a str,
    catalog_version: i64,
    amount_money: Money,
    applied_money: Money,
    total_money: Money,
    total_tax_money: Money,
    calculation_phase: &'static str,
    taxable: bool,
    #[serde(rename = "type")]
    kind: &'static str,
    treatment_type: &'static str,
    scope: &'static str,
}

#[derive(Serialize)]
struct TenderCardView {
    card_brand: &'static str,
    last_4: String,
    fingerprint: String,
}

#[derive(Serialize)]
struct TenderCardDetailsView {
    status: &'static str,
    card: TenderCardView,
    entry_method: &'static str,
}

#[derive(Serialize)]
struct TenderCashDetailsView {
    buyer_tendered_money: Money,
    change_back_money: Money,
}

#[derive(Serialize)]
struct TenderView<'a> {
    id: &'a str,
    location_id: &'a str,
    transaction_id: &'a str,
    created_at: String,
    amount_money: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    tip_money: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    processing_fee_money: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_id: Option<&'a str>,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    card_details: Option<TenderCardDetailsView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cash_details: Option<TenderCashDetailsView>,
    payment_id: &'a str,
}

#[derive(Serialize)]
struct OrderRefundView<'a> {
    id: &'a str,
    location_id: &'a str,
    transaction_id: &'a str,
    tender_id: &'a str,
    created_at: String,
    reason: &'a str,
    amount_money: Money,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    processing_fee_money: Option<Money>,
}

#[derive(Serialize)]
struct AmountsView {
    total_money: Money,
    tax_money: Money,
    discount_money: Money,
    tip_money: Money,
    service_charge_money: Money,
}

#[derive(Serialize)]
struct SourceView {
    name: &'static str,
}

#[derive(Serialize)]
pub(crate) struct OrderView<'a> {
    id: &'a str,
    location_id: &'a str,
    source: SourceView,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_id: Option<&'a str>,
    line_items: Vec<LineView<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    taxes: Vec<AdjustmentView<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    discounts: Vec<AdjustmentView<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    service_charges: Vec<ServiceChargeView<'a>>,
    return_amounts: AmountsView,
    net_amounts: AmountsView,
    tenders: [TenderView<'a>; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    refunds: Vec<OrderRefundView<'a>>,
    created_at: String,
    updated_at: String,
    closed_at: String,
    state: &'static str,
    version: u32,
    total_money: Money,
    total_tax_money: Money,
    total_discount_money: Money,
    total_tip_money: Money,
    total_service_charge_money: Money,
    net_amount_due_money: Money,
}

/// The catalog version every emulated catalog object carries.
pub(crate) fn catalog_version(data: &MerchantData) -> i64 {
    data.locations.first().map_or(1, |location| location.created_at)
}

/// What was returned of an order: everything when it was refunded in full; otherwise only the
/// refunded total (an unitemized refund says nothing about which part came back).
fn returned(order: &Order, refunded: i64, currency: Currency) -> AmountsView {
    let full = refunded == order.total();
    let part = |amount: i64| money(if full { amount } else { 0 }, currency);
    AmountsView {
        total_money: money(refunded, currency),
        tax_money: part(order.tax_total()),
        discount_money: part(order.discount_total()),
        tip_money: part(order.tip),
        service_charge_money: part(order.service_charge_total()),
    }
}

pub(crate) fn order(data: &MerchantData, position: usize) -> Option<OrderView<'_>> {
    let order = data.orders.get(position)?;
    let payment = data.payments.get(position)?;
    let location = data.locations.get(usize::from(order.location))?;
    let currency = location.currency;
    let m = |amount: i64| money(amount, currency);
    let version = catalog_version(data);
    let prefix = &order.id[..10.min(order.id.len())];
    let discount = order.discount_name();
    let line_items = order
        .lines
        .iter()
        .enumerate()
        .map(|(number, line)| {
            let item = &ITEMS[usize::from(line.item)];
            let uid = format!("{prefix}-L{number}");
            let applied_taxes = if line.tax > 0 || item.product {
                vec![AppliedView {
                    uid: format!("{uid}-T"),
                    tax_uid: Some(format!("{prefix}-TAX")),
                    discount_uid: None,
                    applied_money: m(line.tax),
                }]
            } else {
                Vec::new()
            };
            let applied_discounts = match discount {
                Some(_) => vec![AppliedView {
                    uid: format!("{uid}-D"),
                    tax_uid: None,
                    discount_uid: Some(format!("{prefix}-DISC")),
                    applied_money: m(line.discount),
                }],
                None => Vec::new(),
            };
            LineView {
                uid,
                name: item.name,
                quantity: line.quantity.to_string(),
                catalog_object_id: data.item_ids.get(usize::from(line.item)).map_or("", String::as_str),
                catalog_version: version,
                variation_name: item.variation,
                item_type: "ITEM",
                applied_taxes,
                applied_discounts,
                base_price_money: m(line.base_price),
                variation_total_price_money: m(line.gross),
                gross_sales_money: m(line.gross),
                total_tax_money: m(line.tax),
                total_discount_money: m(line.discount),
                total_money: m(line.total()),
                total_service_charge_money: m(0),
            }
        })
        .collect();
    let has_products = order.lines.iter().any(|line| ITEMS[usize::from(line.item)].product);
    let taxes = if has_products {
        vec![AdjustmentView {
            uid: format!("{prefix}-TAX"),
            catalog_object_id: &data.tax_id,
            catalog_version: version,
            name: location.tax_name,
            kind: "ADDITIVE",
            percentage: percentage_text(location.tax_rate),
            applied_money: m(order.tax_total()),
            scope: "LINE_ITEM",
        }]
    } else {
        Vec::new()
    };
    let discounts = match (discount, order.discount) {
        (Some((name, rate)), Some(index)) => vec![AdjustmentView {
            uid: format!("{prefix}-DISC"),
            catalog_object_id: data.discount_ids.get(usize::from(index)).map_or("", String::as_str),
            catalog_version: version,
            name,
            kind: "FIXED_PERCENTAGE",
            percentage: percentage_text(rate),
            applied_money: m(order.discount_total()),
            scope: "ORDER",
        }],
        _ => Vec::new(),
    };
    let service_charges = match (order.service_charge, order.service_charge_name()) {
        (Some((index, amount)), Some(name)) => vec![ServiceChargeView {
            uid: format!("{prefix}-SC"),
            name,
            catalog_object_id: data.service_charge_ids.get(usize::from(index)).map_or("", String::as_str),
            catalog_version: version,
            amount_money: m(amount),
            applied_money: m(amount),
            total_money: m(amount),
            total_tax_money: m(0),
            calculation_phase: "SUBTOTAL_PHASE",
            taxable: false,
            kind: "CUSTOM",
            treatment_type: "LINE_ITEM_TREATMENT",
            scope: "ORDER",
        }],
        _ => Vec::new(),
    };
    let customer_id = order.customer.and_then(|c| data.customers.get(c as usize)).map(|c| c.id.as_str());
    let total = order.total();
    let (kind, card_details, cash_details) = match payment.tender {
        Tender::Card { brand, last_4, entry_method, fingerprint, .. } => {
            let fingerprint = super::payments::fingerprint(fingerprint);
            let card = TenderCardView { card_brand: card_brand(brand), last_4: format!("{last_4:04}"), fingerprint };
            let entry_method = super::payments::entry_method(entry_method);
            ("CARD", Some(TenderCardDetailsView { status: "CAPTURED", card, entry_method }), None)
        }
        Tender::Cash { buyer_supplied } => {
            let cash = TenderCashDetailsView {
                buyer_tendered_money: m(buyer_supplied),
                change_back_money: m(buyer_supplied - total),
            };
            ("CASH", None, Some(cash))
        }
    };
    let tender = TenderView {
        id: &payment.id,
        location_id: &location.id,
        transaction_id: &order.id,
        created_at: time(payment.created_at),
        amount_money: m(total),
        tip_money: card_details.as_ref().map(|_| m(order.tip)),
        processing_fee_money: card_details.as_ref().map(|_| m(payment.fee)),
        customer_id,
        kind,
        card_details,
        cash_details,
        payment_id: &payment.id,
    };
    let refunds: Vec<OrderRefundView<'_>> = order
        .refunds
        .iter()
        .filter_map(|&refund| data.refunds.get(refund as usize))
        .map(|refund| OrderRefundView {
            id: &refund.id,
            location_id: &location.id,
            transaction_id: &order.id,
            tender_id: &payment.id,
            created_at: time(refund.created_at),
            reason: &refund.reason,
            amount_money: m(refund.amount),
            status: "APPROVED",
            processing_fee_money: (refund.fee_returned > 0).then(|| m(refund.fee_returned)),
        })
        .collect();
    let refunded: i64 = order.refunds.iter().filter_map(|&r| data.refunds.get(r as usize)).map(|r| r.amount).sum();
    let returns = returned(order, refunded, currency);
    let net_amounts = AmountsView {
        total_money: m(total - returns.total_money.amount),
        tax_money: m(order.tax_total() - returns.tax_money.amount),
        discount_money: m(order.discount_total() - returns.discount_money.amount),
        tip_money: m(order.tip - returns.tip_money.amount),
        service_charge_money: m(order.service_charge_total() - returns.service_charge_money.amount),
    };
    Some(OrderView {
        id: &order.id,
        location_id: &location.id,
        source: SourceView { name: "Square Point of Sale" },
        customer_id,
        line_items,
        taxes,
        discounts,
        service_charges,
        return_amounts: returns,
        net_amounts,
        tenders: [tender],
        refunds,
        created_at: time(order.created_at),
        updated_at: time(order.updated_at),
        closed_at: time(order.closed_at),
        state: "COMPLETED",
        version: order.version,
        total_money: m(total),
        total_tax_money: m(order.tax_total()),
        total_discount_money: m(order.discount_total()),
        total_tip_money: m(order.tip),
        total_service_charge_money: m(order.service_charge_total()),
        net_amount_due_money: m(0),
    })
}

/// `OrderEntry`: the short form `return_entries` asks for.
#[derive(Serialize)]
pub(crate) struct OrderEntryView<'a> {
    order_id: &'a str,
    version: u32,
    location_id: &'a str,
}

pub(crate) fn entry(data: &MerchantData, position: usize) -> Option<OrderEntryView<'_>> {
    let order = data.orders.get(position)?;
    let location = data.locations.get(usize::from(order.location))?;
    Some(OrderEntryView { order_id: &order.id, version: order.version, location_id: &location.id })
}
