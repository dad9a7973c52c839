//! Sales and refunds: what a shop sold, for how much, to whom, by whom, and what it gave back.
//!
//! The figures of a sale, all in its one currency:
//! - `gross`: line items before discounts, excluding tax, tips and service charges;
//! - `discount`, `service_charges`, `tax`, `tip`;
//! - `total` = gross − discount + service charges + tax + tip: what the customer paid;
//! - `refunded`: what was given back (completed refunds);
//! - `net` = total − tax − tip − refunded: the shop's sales revenue, the usual royalty base.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ValidationError;
use crate::tenancy::Currency;

/// A completed sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Sale {
    /// When the sale closed (the business day comes from the location's time zone).
    pub occurred_at: DateTime<Utc>,
    pub currency: Currency,
    #[schema(value_type = String, example = "55.00")]
    pub gross: Decimal,
    #[schema(value_type = String)]
    pub discount: Decimal,
    #[schema(value_type = String)]
    pub service_charges: Decimal,
    #[schema(value_type = String)]
    pub tax: Decimal,
    #[schema(value_type = String)]
    pub tip: Decimal,
    #[schema(value_type = String)]
    pub total: Decimal,
    #[schema(value_type = String)]
    pub refunded: Decimal,
    #[schema(value_type = String)]
    pub net: Decimal,
    /// The provider's customer id, when the sale names one.
    pub customer_external_id: Option<String>,
    pub lines: Vec<SaleLine>,
    pub tenders: Vec<Tender>,
    pub refunds: Vec<SaleRefund>,
}

impl Sale {
    /// `total` and `net` as the figures above imply them: what a mapping must produce.
    pub fn derived_totals(&self) -> (Decimal, Decimal) {
        let total = self.gross - self.discount + self.service_charges + self.tax + self.tip;
        (total, total - self.tax - self.tip - self.refunded)
    }

    /// Refuses a sale whose figures do not add up, or whose lines or refunds disagree with it.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let (total, net) = self.derived_totals();
        if total != self.total {
            return Err(ValidationError::new(format!("total {} is not {total}", self.total)).for_field("total"));
        }
        if net != self.net {
            return Err(ValidationError::new(format!("net {} is not {net}", self.net)).for_field("net"));
        }
        let line_gross: Decimal = self.lines.iter().map(|line| line.gross).sum();
        if !self.lines.is_empty() && line_gross != self.gross {
            return Err(
                ValidationError::new(format!("lines add up to {line_gross}, not {}", self.gross)).for_field("lines")
            );
        }
        let refunded: Decimal =
            self.refunds.iter().filter(|r| r.status == RefundStatus::Completed).map(|r| r.amount).sum();
        if refunded != self.refunded {
            return Err(ValidationError::new(format!("completed refunds add up to {refunded}, not {}", self.refunded))
                .for_field("refunded"));
        }
        Ok(())
    }
}

/// What a line sold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Service,
    Product,
    /// Gift cards, custom amounts and anything the provider does not classify.
    Other,
}

/// One line of a sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleLine {
    pub kind: LineKind,
    pub name: String,
    #[schema(value_type = String, example = "1")]
    pub quantity: Decimal,
    #[schema(value_type = String)]
    pub unit_price: Decimal,
    /// Before discounts, excluding tax.
    #[schema(value_type = String)]
    pub gross: Decimal,
    #[schema(value_type = String)]
    pub discount: Decimal,
    #[schema(value_type = String)]
    pub tax: Decimal,
    /// The provider's id of the staff member who performed or sold it.
    pub staff_external_id: Option<String>,
}

/// How a sale was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TenderKind {
    Card,
    Cash,
    GiftCard,
    Other,
}

/// One payment towards a sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tender {
    pub kind: TenderKind,
    /// Including the tip.
    #[schema(value_type = String)]
    pub amount: Decimal,
    #[schema(value_type = String)]
    pub tip: Decimal,
    /// The provider's payment id, when there is one.
    pub payment_external_id: Option<String>,
}

/// Where a refund stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    Completed,
    Failed,
    Rejected,
}

/// A refund as it appears on its sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleRefund {
    pub external_id: String,
    #[schema(value_type = String)]
    pub amount: Decimal,
    pub status: RefundStatus,
    pub refunded_at: DateTime<Utc>,
}

/// A refund as a record of its own (providers list them separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Refund {
    /// The provider's id of the sale (order) it gives money back on.
    pub sale_external_id: Option<String>,
    pub payment_external_id: Option<String>,
    pub currency: Currency,
    #[schema(value_type = String)]
    pub amount: Decimal,
    pub status: RefundStatus,
    pub reason: Option<String>,
    pub refunded_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn haircut_sale() -> Sale {
        let usd = Currency::parse("USD").expect("USD");
        let cents = |amount: i64| Decimal::new(amount, 2);
        Sale {
            occurred_at: Utc::now(),
            currency: usd,
            gross: cents(5500),
            discount: cents(550),
            service_charges: cents(0),
            tax: cents(149),
            tip: cents(800),
            total: cents(5899),
            refunded: cents(1000),
            net: cents(3950),
            customer_external_id: None,
            lines: vec![SaleLine {
                kind: LineKind::Service,
                name: "Skin Fade".into(),
                quantity: Decimal::ONE,
                unit_price: cents(5500),
                gross: cents(5500),
                discount: cents(550),
                tax: cents(149),
                staff_external_id: Some("TM1".into()),
            }],
            tenders: vec![],
            refunds: vec![SaleRefund {
                external_id: "R1".into(),
                amount: cents(1000),
                status: RefundStatus::Completed,
                refunded_at: Utc::now(),
            }],
        }
    }

    #[test]
    fn figures_must_add_up() {
        let sale = haircut_sale();
        assert_eq!(sale.validate(), Ok(()));
        let mut wrong = sale.clone();
        wrong.net = Decimal::new(3951, 2);
        assert_eq!(wrong.validate().map_err(|e| e.field), Err(Some("net".into())));
        let mut pending = sale;
        pending.refunds[0].status = RefundStatus::Pending;
        assert_eq!(pending.validate().map_err(|e| e.field), Err(Some("refunded".into())));
    }

    #[test]
    fn amounts_travel_as_strings() {
        let json = serde_json::to_value(haircut_sale()).expect("serializes");
        assert_eq!(json["gross"], "55.00");
        assert_eq!(json["lines"][0]["quantity"], "1");
    }
}
