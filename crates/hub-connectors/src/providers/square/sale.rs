//! Square `Order` → unified [`Sale`].
//!
//! Which orders are sales: `COMPLETED` ones (the search asks for no other state). `OPEN` and
//! `DRAFT` orders have not been paid; `CANCELED` ones were abandoned before completion (a
//! completed order never becomes canceled — money given back shows as refunds), so neither is a
//! sale and either is skipped if Square sends it. Return orders — `returns` and no `line_items` —
//! are skipped too: they give back money on an earlier sale, which lists the refund itself, and the
//! refund is also read as a record of its own.
//!
//! Figures, in the order's currency (`total_money.currency`; any other currency on the order
//! makes it unreadable):
//! - lines from `line_items`: `gross_sales_money`, `total_discount_money`, `total_tax_money`,
//!   `base_price_money` as the unit price; kind from the catalog (see `catalog.rs`), gift cards and
//!   custom amounts are "other";
//! - `gross` = Σ line gross, `discount` = `total_discount_money`, `tax` = `total_tax_money`,
//!   `tip` = `total_tip_money`, `total` = `total_money`;
//! - `service_charges` = `total_service_charge_money` plus any cash `rounding_adjustment` (the
//!   unified model has no rounding figure; it is money the shop kept beyond the items, so it
//!   counts with the charges and stays in `net`);
//! - refunds from `refunds`: `APPROVED` → completed (and counted in `refunded`), `PENDING`,
//!   `REJECTED`, `FAILED` as named;
//! - `occurred_at` = `closed_at`; the customer is the order's, or else the first tender's.
//!   Orders name no team member (in Square-Version 2025-08-20 neither `Order`, its line items nor
//!   its tenders carry one), so lines have no staff.
//!
//! Inclusive taxes: Square's `gross_sales_money` excludes inclusive tax in the US, Canada and
//! Japan but keeps it in Europe and Australia, and a service charge's `applied_money` always
//! includes it. So the mapping takes Square's figures as they are when they add up
//! (gross − discount + service charges + tax + tip = total), and otherwise tries them with the
//! inclusive tax taken out of the service charges, then out of the lines as well; the first that
//! adds up is used. If none does, the order is a `BadResponse`: wrong numbers are never stored.

use std::collections::HashSet;
use std::str::FromStr;

use hub_core::money::from_minor_units;
use hub_core::records::{
    LineKind, RecordData, RefundStatus, Sale, SaleLine, SaleRefund, SourceRecord, Tender, TenderKind,
};
use hub_core::tenancy::Currency;
use rust_decimal::Decimal;

use super::catalog::Variations;
use super::errors::bad_response;
use super::mapping::{Mapped, amount, currency_of, in_record};
use super::wire::{AppliedTax, LineItem, Order, OrderRefund};
use crate::source::ConnectorError;

/// The catalog ids whose kind the orders' lines need (catalog items on orders that are sales).
pub(crate) fn catalog_ids(orders: &[Order]) -> Vec<String> {
    orders
        .iter()
        .filter(|order| is_sale(order))
        .flat_map(|order| &order.line_items)
        .filter(|line| !is_uncatalogued_type(line))
        .filter_map(|line| line.catalog_object_id.clone())
        .collect()
}

/// `order` as a sale record; `None` when it is not a sale (see the module docs).
pub(crate) fn order(order: &Order, catalog: &Variations) -> Result<Option<SourceRecord>, ConnectorError> {
    if !is_sale(order) {
        return Ok(None);
    }
    let id = order.id.as_deref().ok_or_else(|| bad_response("an order has no `id`"))?;
    map(order, id, catalog).map(Some).map_err(in_record("order", id))
}

fn is_sale(order: &Order) -> bool {
    let return_only = order.line_items.is_empty() && !order.returns.is_empty();
    order.state.as_deref() == Some("COMPLETED") && !return_only
}

/// Gift-card activations and custom amounts: never catalogued, always "other".
fn is_uncatalogued_type(line: &LineItem) -> bool {
    matches!(line.item_type.as_deref(), Some("GIFT_CARD" | "CUSTOM_AMOUNT"))
}

/// A line mapped from Square, with the inclusive tax its gross may contain.
struct MappedLine {
    line: SaleLine,
    inclusive_tax: Decimal,
}

fn map(order: &Order, id: &str, catalog: &Variations) -> Mapped<SourceRecord> {
    let location_id = order.location_id.clone().ok_or("`location_id` is missing")?;
    let occurred_at = order.closed_at.ok_or("it is completed but has no `closed_at`")?;
    let currency = currency_of(order.total_money.as_ref(), "total_money")?;
    let inclusive: HashSet<&str> = order
        .taxes
        .iter()
        .filter(|tax| tax.tax_type.as_deref() == Some("INCLUSIVE"))
        .filter_map(|tax| tax.uid.as_deref())
        .collect();
    let inclusive_of = |applied: &[AppliedTax], field: &str| -> Mapped<Decimal> {
        let mut sum = from_minor_units(0, currency);
        for tax in applied.iter().filter(|tax| tax.tax_uid.as_deref().is_some_and(|uid| inclusive.contains(uid))) {
            sum += amount(tax.applied_money.as_ref(), currency, field)?;
        }
        Ok(sum)
    };

    let mut lines = Vec::with_capacity(order.line_items.len());
    for (index, item) in order.line_items.iter().enumerate() {
        lines.push(line(item, &format!("line_items[{index}]"), currency, catalog, &inclusive_of)?);
    }
    let mut service_charge_inclusive_tax = from_minor_units(0, currency);
    for (index, charge) in order.service_charges.iter().enumerate() {
        service_charge_inclusive_tax +=
            inclusive_of(&charge.applied_taxes, &format!("service_charges[{index}].applied_taxes"))?;
    }
    let money = |value, field: &str| amount(value, currency, field);
    let discount = money(order.total_discount_money.as_ref(), "total_discount_money")?;
    let rounding =
        money(order.rounding_adjustment.as_ref().and_then(|r| r.amount_money.as_ref()), "rounding_adjustment")?;
    let service_charges = money(order.total_service_charge_money.as_ref(), "total_service_charge_money")? + rounding;
    let tax = money(order.total_tax_money.as_ref(), "total_tax_money")?;
    let tip = money(order.total_tip_money.as_ref(), "total_tip_money")?;
    let total = money(order.total_money.as_ref(), "total_money")?;
    // Amounts are i64 minor units of one currency, so no sum of an order's worth of them comes
    // near `Decimal`'s 96-bit range: plain arithmetic cannot overflow here.
    // Sums start from the currency's zero so an empty one still has its scale ("0.00", not "0").
    let zero = from_minor_units(0, currency);
    let gross_as_sent = lines.iter().fold(zero, |sum, mapped| sum + mapped.line.gross);
    let line_inclusive_tax = lines.iter().fold(zero, |sum, mapped| sum + mapped.inclusive_tax);

    // Square's figures as sent, then without inclusive tax in service charges, then nowhere.
    let readings =
        [(zero, zero), (zero, service_charge_inclusive_tax), (line_inclusive_tax, service_charge_inclusive_tax)];
    let adds_up = |(from_lines, from_charges): (Decimal, Decimal)| {
        gross_as_sent - from_lines - discount + (service_charges - from_charges) + tax + tip == total
    };
    let (from_lines, from_charges) = readings.into_iter().find(|reading| adds_up(*reading)).ok_or_else(|| {
        format!(
            "its figures do not add up: gross {gross_as_sent} − discount {discount} + service charges \
             {service_charges} + tax {tax} + tip {tip} ≠ total {total}"
        )
    })?;
    let lines: Vec<SaleLine> = lines
        .into_iter()
        .map(|mapped| {
            let gross = if from_lines.is_zero() { mapped.line.gross } else { mapped.line.gross - mapped.inclusive_tax };
            SaleLine { gross, ..mapped.line }
        })
        .collect();

    let refunds = order
        .refunds
        .iter()
        .enumerate()
        .map(|(index, refund)| sale_refund(refund, &format!("refunds[{index}]"), currency))
        .collect::<Mapped<Vec<_>>>()?;
    let refunded =
        refunds.iter().filter(|r| r.status == RefundStatus::Completed).fold(zero, |sum, refund| sum + refund.amount);
    let mut tenders = Vec::with_capacity(order.tenders.len());
    for (index, tender) in order.tenders.iter().enumerate() {
        let field = format!("tenders[{index}]");
        tenders.push(Tender {
            kind: match tender.tender_type.as_deref() {
                Some("CARD" | "THIRD_PARTY_CARD") => TenderKind::Card,
                Some("CASH") => TenderKind::Cash,
                Some("SQUARE_GIFT_CARD") => TenderKind::GiftCard,
                _ => TenderKind::Other,
            },
            amount: money(tender.amount_money.as_ref(), &format!("{field}.amount_money"))?,
            tip: money(tender.tip_money.as_ref(), &format!("{field}.tip_money"))?,
            payment_external_id: tender.payment_id.clone().or_else(|| tender.id.clone()),
        });
    }
    let customer_external_id =
        order.customer_id.clone().or_else(|| order.tenders.iter().find_map(|tender| tender.customer_id.clone()));

    let sale = Sale {
        occurred_at,
        currency,
        gross: gross_as_sent - from_lines,
        discount,
        service_charges: service_charges - from_charges,
        tax,
        tip,
        total,
        refunded,
        net: total - tax - tip - refunded,
        customer_external_id,
        lines,
        tenders,
        refunds,
    };
    sale.validate().map_err(|error| format!("it maps to a sale that does not validate: {error}"))?;
    Ok(SourceRecord {
        external_id: id.to_owned(),
        remote_updated_at: order.updated_at,
        provider_location_id: Some(location_id),
        data: RecordData::Sale(sale),
    })
}

fn line(
    item: &LineItem,
    field: &str,
    currency: Currency,
    catalog: &Variations,
    inclusive_of: &dyn Fn(&[AppliedTax], &str) -> Mapped<Decimal>,
) -> Mapped<MappedLine> {
    let kind = if is_uncatalogued_type(item) {
        LineKind::Other
    } else {
        item.catalog_object_id.as_deref().and_then(|id| catalog.get(id)).map_or(LineKind::Other, |found| found.kind)
    };
    let name = match (non_empty(&item.name), non_empty(&item.variation_name)) {
        (Some(name), Some(variation)) => format!("{name} ({variation})"),
        (Some(name), None) | (None, Some(name)) => name.to_owned(),
        (None, None) => match item.item_type.as_deref() {
            Some("CUSTOM_AMOUNT") => "Custom amount".to_owned(),
            Some("GIFT_CARD") => "Gift card".to_owned(),
            _ => "Item".to_owned(),
        },
    };
    let quantity = item.quantity.as_deref().ok_or_else(|| format!("`{field}.quantity` is missing"))?;
    let quantity = Decimal::from_str(quantity.trim())
        .map_err(|_| format!("`{field}.quantity` is not a decimal number"))?
        .normalize();
    let money = |value, name: &str| amount(value, currency, &format!("{field}.{name}"));
    Ok(MappedLine {
        line: SaleLine {
            kind,
            name,
            quantity,
            unit_price: money(item.base_price_money.as_ref(), "base_price_money")?,
            gross: money(item.gross_sales_money.as_ref(), "gross_sales_money")?,
            discount: money(item.total_discount_money.as_ref(), "total_discount_money")?,
            tax: money(item.total_tax_money.as_ref(), "total_tax_money")?,
            staff_external_id: None,
        },
        inclusive_tax: inclusive_of(&item.applied_taxes, &format!("{field}.applied_taxes"))?,
    })
}

fn sale_refund(refund: &OrderRefund, field: &str, currency: Currency) -> Mapped<SaleRefund> {
    let status = match refund.status.as_deref() {
        Some("APPROVED") => RefundStatus::Completed,
        Some("PENDING") => RefundStatus::Pending,
        Some("REJECTED") => RefundStatus::Rejected,
        Some("FAILED") => RefundStatus::Failed,
        other => return Err(format!("`{field}.status` {other:?} is unknown")),
    };
    Ok(SaleRefund {
        external_id: refund.id.clone().ok_or_else(|| format!("`{field}.id` is missing"))?,
        amount: amount(refund.amount_money.as_ref(), currency, &format!("{field}.amount_money"))?,
        status,
        refunded_at: refund.created_at.ok_or_else(|| format!("`{field}.created_at` is missing"))?,
    })
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|value| !value.is_empty())
}
