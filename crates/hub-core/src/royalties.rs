//! Franchise agreements, exchange rates and royalty statements as values: what the store keeps
//! and the API shows. The arithmetic that fills a statement lives in `hub-analytics`.
//!
//! Conventions every type here follows:
//! - dates are the franchisee's business dates (each sale is placed on its location's local
//!   date); a period runs from `period_start` to `period_end`, both inclusive;
//! - rates are fractions (`0.06` is 6 %); amounts are decimals of the agreement's currency,
//!   serialized as strings.

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ValidationError;
use crate::id::{AgreementId, FranchiseeId, LocationId, NetworkId, RecordId, RoyaltyStatementId};
use crate::tenancy::Currency;

/// How long one statement's period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PeriodLength {
    /// Monday to Sunday.
    Weekly,
    /// A calendar month.
    Monthly,
}

impl PeriodLength {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
        }
    }

    /// Refuses a start that does not begin a period (a Monday; the first of a month).
    pub fn check_start(self, start: NaiveDate) -> Result<(), ValidationError> {
        let fits = match self {
            Self::Weekly => start.weekday() == Weekday::Mon,
            Self::Monthly => start.day() == 1,
        };
        if fits {
            Ok(())
        } else {
            let what = match self {
                Self::Weekly => "a Monday (weekly agreement)",
                Self::Monthly => "the first day of a month (monthly agreement)",
            };
            Err(ValidationError::new(format!("{start} is not {what}")).for_field("period_start"))
        }
    }

    /// The last day (inclusive) of the period starting `start`.
    pub fn period_end(self, start: NaiveDate) -> NaiveDate {
        match self {
            Self::Weekly => start + chrono::Days::new(6),
            Self::Monthly => {
                let next = start.checked_add_months(chrono::Months::new(1)).unwrap_or(NaiveDate::MAX);
                next.pred_opt().unwrap_or(start)
            }
        }
    }

    /// The start of the period containing `date`.
    pub fn period_containing(self, date: NaiveDate) -> NaiveDate {
        match self {
            Self::Weekly => date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday())),
            Self::Monthly => date.with_day(1).unwrap_or(date),
        }
    }
}

/// What counts as royalty-bearing sales. Tax and tips are never in a sale's `gross`, so they are
/// never part of the base; the rest is configurable. The default is gross − discounts − refunds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SalesBase {
    /// Subtract discounts (default true).
    pub deduct_discounts: bool,
    /// Subtract completed refunds, on the sale's own date (default true).
    pub deduct_refunds: bool,
    /// Add service charges (default false).
    pub include_service_charges: bool,
}

impl Default for SalesBase {
    fn default() -> Self {
        Self { deduct_discounts: true, deduct_refunds: true, include_service_charges: false }
    }
}

/// A higher band of period sales with its own rate (marginal: only the sales above `above`, up to
/// the next tier, are charged at `rate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoyaltyTier {
    /// Period sales base above which this rate applies, in the agreement's currency.
    #[schema(value_type = String, example = "50000.00")]
    pub above: Decimal,
    #[schema(value_type = String, example = "0.05")]
    pub rate: Decimal,
}

/// The money terms of an agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementTerms {
    /// What statements are billed in; sales in other currencies are converted at stored rates.
    pub currency: Currency,
    pub period: PeriodLength,
    /// The royalty rate from the first unit of sales up to the first tier.
    #[schema(value_type = String, example = "0.06")]
    pub royalty_rate: Decimal,
    /// Marginal tiers, by ascending `above` (may be empty).
    #[serde(default)]
    pub tiers: Vec<RoyaltyTier>,
    /// Brand / advertising fund rate on the same base.
    #[schema(value_type = String, example = "0.02")]
    #[serde(default)]
    pub ad_fund_rate: Decimal,
    /// Charged per location the franchisee has when the statement is computed.
    #[schema(value_type = String, example = "99.00")]
    #[serde(default)]
    pub technology_fee_per_location: Decimal,
    /// When the royalty (tiers included, ad fund and fees excluded) is lower, a top-up line
    /// brings it to this.
    #[schema(value_type = String, example = "500.00")]
    #[serde(default)]
    pub minimum_royalty: Decimal,
    #[serde(default)]
    pub sales_base: SalesBase,
}

impl AgreementTerms {
    /// Refuses terms that cannot be right: rates outside 0..1, negative amounts, amounts finer
    /// than the currency's minor unit, tiers out of order.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let rate = |value: Decimal, field: &str| {
            if value < Decimal::ZERO || value > Decimal::ONE {
                Err(ValidationError::new("must be a fraction between 0 and 1 (0.06 is 6%)").for_field(field))
            } else {
                Ok(())
            }
        };
        let amount = |value: Decimal, field: &str| {
            if value < Decimal::ZERO {
                return Err(ValidationError::new("must not be negative").for_field(field));
            }
            crate::money::to_minor_units(value, self.currency).map(drop).map_err(|error| error.for_field(field))
        };
        rate(self.royalty_rate, "royalty_rate")?;
        rate(self.ad_fund_rate, "ad_fund_rate")?;
        amount(self.technology_fee_per_location, "technology_fee_per_location")?;
        amount(self.minimum_royalty, "minimum_royalty")?;
        let mut previous = Decimal::ZERO;
        for (index, tier) in self.tiers.iter().enumerate() {
            rate(tier.rate, &format!("tiers[{index}].rate"))?;
            amount(tier.above, &format!("tiers[{index}].above"))?;
            if tier.above <= previous {
                return Err(ValidationError::new("tiers must start above 0 and ascend")
                    .for_field(format!("tiers[{index}].above")));
            }
            previous = tier.above;
        }
        Ok(())
    }
}

/// A franchisee's agreement, effective from one date to another (both inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Agreement {
    pub id: AgreementId,
    pub network_id: NetworkId,
    pub franchisee_id: FranchiseeId,
    pub effective_from: NaiveDate,
    /// The last day it applies; open-ended when null.
    pub effective_to: Option<NaiveDate>,
    #[serde(flatten)]
    pub terms: AgreementTerms,
    pub created_at: DateTime<Utc>,
}

impl Agreement {
    /// Whether it applies on `date`.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.effective_from <= date && self.effective_to.is_none_or(|to| date <= to)
    }
}

/// What it takes to create an agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAgreement {
    pub franchisee_id: FranchiseeId,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub terms: AgreementTerms,
}

impl NewAgreement {
    /// Checks the terms and the dates.
    pub fn validate(&self) -> Result<(), ValidationError> {
        self.terms.validate()?;
        if let Some(to) = self.effective_to
            && to < self.effective_from
        {
            return Err(ValidationError::new("must not be before effective_from").for_field("effective_to"));
        }
        Ok(())
    }
}

/// A stored exchange rate: one unit of `from` is `rate` units of `to`, on `rate_date`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExchangeRate {
    pub from: Currency,
    pub to: Currency,
    #[schema(value_type = String, example = "1.0850")]
    pub rate: Decimal,
    pub rate_date: NaiveDate,
    /// Where the rate came from (`ECB reference rate`, `treasury desk`).
    pub source: String,
}

impl ExchangeRate {
    /// Refuses a rate that is not positive, a pair of one currency, or a blank source.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.rate <= Decimal::ZERO {
            return Err(ValidationError::new("must be positive").for_field("rate"));
        }
        if self.from == self.to {
            return Err(ValidationError::new("must differ from `from`").for_field("to"));
        }
        let source = self.source.trim();
        if source.is_empty() || source.chars().count() > 200 || source.chars().any(char::is_control) {
            return Err(ValidationError::new("must be 1 to 200 printable characters").for_field("source"));
        }
        Ok(())
    }
}

/// Where a statement stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatementStatus {
    /// Computed; recomputing replaces it.
    Draft,
    /// Frozen: its lines never change; later changes become adjustments on the next statement.
    Issued,
    /// The invoice for it is paid in the accounting system.
    Paid,
}

impl StatementStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Issued => "issued",
            Self::Paid => "paid",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Draft, Self::Issued, Self::Paid].into_iter().find(|status| status.as_str() == text)
    }
}

/// What a statement line charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// Royalty on one band of the sales base (one line per tier reached).
    Royalty,
    /// What brings the royalty up to the agreement's minimum.
    MinimumTopUp,
    /// Brand / advertising fund.
    AdFund,
    /// Technology fee per location.
    TechnologyFee,
}

impl LineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Royalty => "royalty",
            Self::MinimumTopUp => "minimum_top_up",
            Self::AdFund => "ad_fund",
            Self::TechnologyFee => "technology_fee",
        }
    }
}

/// One line of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatementLine {
    /// 1, 2, … within the statement.
    pub line_id: u32,
    pub kind: LineKind,
    /// The period the line charges for: the statement's own, or (for an adjustment) an earlier
    /// issued one.
    pub period_start: NaiveDate,
    /// True for a correction of an earlier issued period (sales synced late, refunds after issue).
    pub adjustment: bool,
    pub description: String,
    /// The sales base the line applies to (for an adjustment: the change in it); zero for the
    /// technology fee.
    #[schema(value_type = String)]
    pub base: Decimal,
    /// The rate applied to `base`, when the line is a rate.
    #[schema(value_type = Option<String>)]
    pub rate: Option<Decimal>,
    /// Locations charged, for the technology fee.
    pub quantity: Option<u32>,
    /// Rounded to the currency's minor unit, half away from zero.
    #[schema(value_type = String)]
    pub amount: Decimal,
    /// How many sales the line sums (see `GET …/lines/{line_id}/sales`).
    pub sale_count: u64,
}

/// A rate a statement used, as it was stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AppliedRate {
    pub from: Currency,
    pub to: Currency,
    #[schema(value_type = String)]
    pub rate: Decimal,
    pub rate_date: NaiveDate,
    pub source: String,
}

impl From<&ExchangeRate> for AppliedRate {
    fn from(rate: &ExchangeRate) -> Self {
        Self { from: rate.from, to: rate.to, rate: rate.rate, rate_date: rate.rate_date, source: rate.source.clone() }
    }
}

/// The statement's total in the network's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Consolidated {
    pub currency: Currency,
    #[schema(value_type = String)]
    pub total: Decimal,
    /// The rate used; null when the statement is already in the network's currency.
    pub rate: Option<AppliedRate>,
}

/// One sale as a statement counted it: the trace behind its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TracedSale {
    /// The period the sale's base counted towards (an earlier one for adjustments).
    pub period_start: NaiveDate,
    pub record_id: RecordId,
    pub location_id: LocationId,
    /// The sale's business date at its location.
    pub local_date: NaiveDate,
    /// The sale's own currency.
    pub currency: Currency,
    /// The sale's contribution to the base, in its own currency (for an adjustment: the change).
    #[schema(value_type = String)]
    pub base: Decimal,
}

/// A royalty statement: what one franchisee owes for one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoyaltyStatement {
    pub id: RoyaltyStatementId,
    pub network_id: NetworkId,
    pub franchisee_id: FranchiseeId,
    pub period_start: NaiveDate,
    /// The last day of the period (inclusive).
    pub period_end: NaiveDate,
    pub status: StatementStatus,
    /// The agreement's currency: `lines` and `total` are in it.
    pub currency: Currency,
    pub lines: Vec<StatementLine>,
    /// The sum of the lines.
    #[schema(value_type = String)]
    pub total: Decimal,
    /// The period's own sales base, in `currency`.
    #[schema(value_type = String)]
    pub sales_base: Decimal,
    pub consolidated: Consolidated,
    /// Every stored rate the statement used.
    pub exchange_rates: Vec<AppliedRate>,
    /// The agreement as it was when the statement was computed (kept with issued statements).
    pub agreement: Agreement,
    /// The locations charged the technology fee.
    pub locations: Vec<LocationId>,
    /// The change-feed position the sales were read at (later changes become adjustments).
    pub source_seq: i64,
    pub computed_at: DateTime<Utc>,
    pub issued_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    /// The accounting system's invoice, once created.
    pub invoice_id: Option<String>,
    pub invoice_number: Option<String>,
    /// `open`, `partially_paid` or `paid`, as last read back.
    pub invoice_status: Option<String>,
    #[schema(value_type = Option<String>)]
    pub invoice_balance: Option<Decimal>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("a date")
    }

    fn terms() -> AgreementTerms {
        AgreementTerms {
            currency: Currency::parse("USD").expect("USD"),
            period: PeriodLength::Monthly,
            royalty_rate: Decimal::new(6, 2),
            tiers: vec![RoyaltyTier { above: Decimal::new(5_000_000, 2), rate: Decimal::new(5, 2) }],
            ad_fund_rate: Decimal::new(2, 2),
            technology_fee_per_location: Decimal::new(9900, 2),
            minimum_royalty: Decimal::new(50000, 2),
            sales_base: SalesBase::default(),
        }
    }

    #[test]
    fn periods_start_and_end_where_they_should() {
        assert!(PeriodLength::Monthly.check_start(date("2026-02-01")).is_ok());
        assert!(PeriodLength::Monthly.check_start(date("2026-02-02")).is_err());
        assert_eq!(PeriodLength::Monthly.period_end(date("2024-02-01")), date("2024-02-29"));
        assert_eq!(PeriodLength::Monthly.period_end(date("2026-12-01")), date("2026-12-31"));
        assert!(PeriodLength::Weekly.check_start(date("2026-11-30")).is_ok(), "a Monday");
        assert!(PeriodLength::Weekly.check_start(date("2026-12-01")).is_err());
        assert_eq!(PeriodLength::Weekly.period_end(date("2026-11-30")), date("2026-12-06"));
        assert_eq!(PeriodLength::Weekly.period_containing(date("2026-12-03")), date("2026-11-30"));
        assert_eq!(PeriodLength::Monthly.period_containing(date("2026-12-31")), date("2026-12-01"));
    }

    #[test]
    fn terms_are_checked() {
        assert_eq!(terms().validate(), Ok(()));
        let mut bad = terms();
        bad.royalty_rate = Decimal::new(6, 0);
        assert_eq!(bad.validate().map_err(|e| e.field), Err(Some("royalty_rate".into())));
        let mut bad = terms();
        bad.minimum_royalty = Decimal::new(1, 3);
        assert_eq!(bad.validate().map_err(|e| e.field), Err(Some("minimum_royalty".into())));
        let mut bad = terms();
        bad.tiers.push(RoyaltyTier { above: Decimal::new(100, 0), rate: Decimal::new(4, 2) });
        assert_eq!(bad.validate().map_err(|e| e.field), Err(Some("tiers[1].above".into())));
    }

    #[test]
    fn agreements_cover_their_dates_inclusively() {
        let agreement = Agreement {
            id: AgreementId::new(),
            network_id: NetworkId::new(),
            franchisee_id: FranchiseeId::new(),
            effective_from: date("2026-01-01"),
            effective_to: Some(date("2026-06-30")),
            terms: terms(),
            created_at: Utc::now(),
        };
        assert!(agreement.covers(date("2026-01-01")) && agreement.covers(date("2026-06-30")));
        assert!(!agreement.covers(date("2025-12-31")) && !agreement.covers(date("2026-07-01")));
        let json = serde_json::to_value(&agreement).expect("serializes");
        assert_eq!(json["royalty_rate"], "0.06", "terms are flattened, amounts are strings");
    }
}
