//! `Payment` and `PaymentRefund` as Square writes them.

use serde::Serialize;

use super::super::catalog::{CARD_BRANDS, ENTRY_METHODS};
use super::super::ids::mix;
use super::super::model::{Refund, Tender};
use super::super::store::MerchantData;
use super::{Money, money, time};

pub(crate) fn card_brand(brand: u8) -> &'static str {
    CARD_BRANDS.get(usize::from(brand)).copied().unwrap_or("OTHER_BRAND")
}

pub(crate) fn entry_method(method: u8) -> &'static str {
    ENTRY_METHODS.get(usize::from(method)).copied().unwrap_or("EMV")
}

/// Square's card fingerprint (`sq-1-…`).
pub(crate) fn fingerprint(seed: u64) -> String {
    format!("sq-1-{:016x}{:016x}", seed, mix(seed))
}

/// The bank identification number a card of this brand starts with.
fn bin(brand: u8, seed: u64) -> String {
    let prefix = match card_brand(brand) {
        "VISA" => 411_111,
        "MASTERCARD" => 510_510,
        "AMERICAN_EXPRESS" => 371_449,
        _ => 601_111,
    };
    format!("{}", prefix + (seed % 7) as u32 * 11)
}

#[derive(Serialize)]
struct ProcessingFeeView {
    effective_at: String,
    #[serde(rename = "type")]
    kind: &'static str,
    amount_money: Money,
}

#[derive(Serialize)]
struct CardView {
    card_brand: &'static str,
    last_4: String,
    exp_month: u8,
    exp_year: u16,
    fingerprint: String,
    card_type: &'static str,
    prepaid_type: &'static str,
    bin: String,
}

#[derive(Serialize)]
struct TimelineView {
    authorized_at: String,
    captured_at: String,
}

#[derive(Serialize)]
struct CardDetailsView {
    status: &'static str,
    card: CardView,
    entry_method: &'static str,
    cvv_status: &'static str,
    avs_status: &'static str,
    auth_result_code: String,
    statement_description: String,
    card_payment_timeline: TimelineView,
}

#[derive(Serialize)]
struct CashDetailsView {
    buyer_supplied_money: Money,
    change_back_money: Money,
}

#[derive(Serialize)]
struct ApplicationDetailsView {
    square_product: &'static str,
    application_id: &'static str,
}

#[derive(Serialize)]
pub(crate) struct PaymentView<'a> {
    id: &'a str,
    created_at: String,
    updated_at: String,
    amount_money: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    tip_money: Option<Money>,
    total_money: Money,
    approved_money: Money,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    processing_fee: Vec<ProcessingFeeView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refunded_money: Option<Money>,
    status: &'static str,
    source_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    card_details: Option<CardDetailsView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cash_details: Option<CashDetailsView>,
    location_id: &'a str,
    order_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_id: Option<&'a str>,
    team_member_id: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    refund_ids: Vec<&'a str>,
    receipt_number: &'a str,
    receipt_url: String,
    application_details: ApplicationDetailsView,
    version_token: String,
}

/// `statement_description` holds at most 50 characters.
fn statement_description(business_name: &str) -> String {
    let mut text = String::from("SQ *");
    text.extend(business_name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == ' ').take(46));
    text.to_uppercase()
}

pub(crate) fn payment(data: &MerchantData, position: usize) -> Option<PaymentView<'_>> {
    let payment = data.payments.get(position)?;
    let order = data.orders.get(position)?;
    let location = data.locations.get(usize::from(order.location))?;
    let m = |amount: i64| money(amount, location.currency);
    let total = order.total();
    let (source_type, card_details, cash_details) = match payment.tender {
        Tender::Card {
            brand,
            last_4,
            exp_month,
            exp_year,
            debit,
            entry_method: method,
            fingerprint: print,
            auth_code,
        } => {
            let card = CardView {
                card_brand: card_brand(brand),
                last_4: format!("{last_4:04}"),
                exp_month,
                exp_year,
                fingerprint: fingerprint(print),
                card_type: if debit { "DEBIT" } else { "CREDIT" },
                prepaid_type: "NOT_PREPAID",
                bin: bin(brand, print),
            };
            let details = CardDetailsView {
                status: "CAPTURED",
                card,
                entry_method: entry_method(method),
                cvv_status: "CVV_NOT_CHECKED",
                avs_status: "AVS_NOT_CHECKED",
                auth_result_code: format!("{auth_code:06}"),
                statement_description: statement_description(&data.business_name),
                card_payment_timeline: TimelineView {
                    authorized_at: time(payment.created_at + 300),
                    captured_at: time(payment.updated_at.min(payment.created_at + 900)),
                },
            };
            ("CARD", Some(details), None)
        }
        Tender::Cash { buyer_supplied } => {
            let cash = CashDetailsView {
                buyer_supplied_money: m(buyer_supplied),
                change_back_money: m(buyer_supplied - total),
            };
            ("CASH", None, Some(cash))
        }
    };
    let processing_fee = if card_details.is_some() {
        vec![ProcessingFeeView {
            effective_at: time(payment.created_at + 3_600_000),
            kind: "INITIAL",
            amount_money: m(payment.fee),
        }]
    } else {
        Vec::new()
    };
    Some(PaymentView {
        id: &payment.id,
        created_at: time(payment.created_at),
        updated_at: time(payment.updated_at),
        amount_money: m(total - order.tip),
        tip_money: (order.tip > 0).then(|| m(order.tip)),
        total_money: m(total),
        approved_money: m(total - order.tip),
        processing_fee,
        refunded_money: (payment.refunded > 0).then(|| m(payment.refunded)),
        status: "COMPLETED",
        source_type,
        card_details,
        cash_details,
        location_id: &location.id,
        order_id: &order.id,
        customer_id: order.customer.and_then(|c| data.customers.get(c as usize)).map(|c| c.id.as_str()),
        team_member_id: data.team.get(order.team_member as usize).map_or("", |member| member.id.as_str()),
        refund_ids: payment
            .refunds
            .iter()
            .filter_map(|&r| data.refunds.get(r as usize))
            .map(|r| r.id.as_str())
            .collect(),
        receipt_number: &payment.id[..4.min(payment.id.len())],
        receipt_url: format!("https://squareup.com/receipt/preview/{}", payment.id),
        application_details: ApplicationDetailsView {
            square_product: "SQUARE_POS",
            application_id: "sq0idp-wGVapF8sNt9PLrdj5znuKA",
        },
        version_token: format!("{}v{}", &payment.id[..12.min(payment.id.len())], payment.version),
    })
}

#[derive(Serialize)]
pub(crate) struct RefundView<'a> {
    id: &'a str,
    status: &'static str,
    location_id: &'a str,
    destination_type: &'static str,
    amount_money: Money,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    processing_fee: Vec<ProcessingFeeView>,
    payment_id: &'a str,
    order_id: &'a str,
    reason: &'a str,
    created_at: String,
    updated_at: String,
    team_member_id: &'a str,
}

pub(crate) fn refund<'a>(data: &'a MerchantData, refund: &'a Refund) -> Option<RefundView<'a>> {
    let position = refund.payment as usize;
    let (payment, order) = (data.payments.get(position)?, data.orders.get(position)?);
    let location = data.locations.get(usize::from(order.location))?;
    let m = |amount: i64| money(amount, location.currency);
    let card = matches!(payment.tender, Tender::Card { .. });
    let processing_fee = if card && refund.fee_returned > 0 {
        vec![ProcessingFeeView {
            effective_at: time(refund.updated_at),
            kind: "INITIAL",
            amount_money: m(-refund.fee_returned),
        }]
    } else {
        Vec::new()
    };
    Some(RefundView {
        id: &refund.id,
        status: "COMPLETED",
        location_id: &location.id,
        destination_type: if card { "CARD" } else { "CASH" },
        amount_money: m(refund.amount),
        processing_fee,
        payment_id: &payment.id,
        order_id: &order.id,
        reason: &refund.reason,
        created_at: time(refund.created_at),
        updated_at: time(refund.updated_at),
        team_member_id: data.team.get(order.team_member as usize).map_or("", |member| member.id.as_str()),
    })
}
