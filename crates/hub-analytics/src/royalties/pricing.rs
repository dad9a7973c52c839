//! The fee arithmetic of one period: from the period's sales base (already in the agreement's
//! currency) and the number of locations to the statement's lines. Pure, so it is tested alone.
//!
//! Rules, in order:
//! 1. **Royalty tiers are marginal.** The royalty rate applies from 0 up to the first tier's
//!    `above`; each tier's rate applies only to the part of the base between its `above` and the
//!    next tier's. One line per band the base reaches (the first band always has a line).
//! 2. **Each line is rounded on its own** to the currency's minor unit, **half away from zero**
//!    (`round_to_currency`: 0.125 → 0.13, −0.125 → −0.13), and the total is the sum of the
//!    rounded lines, so the lines always add up to the total an invoice shows.
//! 3. **Minimum royalty** (when not zero): when the rounded royalty lines add up to less than it, a
//!    top-up line makes up the difference. The ad fund and technology fee do not count towards it.
//! 4. **Ad fund** is its rate on the whole base (a line only when the rate is not zero).
//! 5. **Technology fee** is the per-location fee times the locations charged (a line only when
//!    the fee is not zero).

use hub_core::money::{minor_unit_exponent, round_to_currency};
use hub_core::royalties::{AgreementTerms, LineKind};
use rust_decimal::Decimal;

/// A line before it is numbered and placed in a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    pub kind: LineKind,
    pub description: String,
    pub base: Decimal,
    pub rate: Option<Decimal>,
    pub quantity: Option<u32>,
    pub amount: Decimal,
}

/// `0.06` as `6%`.
fn percent(rate: Decimal) -> String {
    format!("{}%", (rate * Decimal::ONE_HUNDRED).normalize())
}

/// The lines of a period with sales `base` and `locations` charged the technology fee.
pub fn price_period(terms: &AgreementTerms, base: Decimal, locations: u32) -> Vec<PricedLine> {
    let round = |amount: Decimal| {
        let mut rounded = round_to_currency(amount, terms.currency);
        rounded.rescale(minor_unit_exponent(terms.currency));
        rounded
    };
    let mut lines = Vec::new();
    // Bands: [0, t1) at the royalty rate, [t1, t2) at t1's rate, …, [tn, ∞) at tn's rate.
    let mut bands: Vec<(Decimal, Option<Decimal>, Decimal)> = Vec::with_capacity(terms.tiers.len() + 1);
    let mut lower = Decimal::ZERO;
    let mut rate = terms.royalty_rate;
    for tier in &terms.tiers {
        bands.push((lower, Some(tier.above), rate));
        lower = tier.above;
        rate = tier.rate;
    }
    bands.push((lower, None, rate));
    for (index, (lower, upper, rate)) in bands.into_iter().enumerate() {
        let portion = if index == 0 {
            // The first band carries everything up to its top, a negative base included.
            upper.map_or(base, |upper| base.min(upper))
        } else {
            let above = base - lower;
            let width = upper.map(|upper| upper - lower);
            width.map_or(above, |width| above.min(width))
        };
        if index > 0 && portion <= Decimal::ZERO {
            break;
        }
        let description = match (index, upper) {
            (0, None) => format!("Royalty {} of sales", percent(rate)),
            (0, Some(upper)) => format!("Royalty {} of sales up to {upper}", percent(rate)),
            (_, Some(upper)) => format!("Royalty {} of sales from {lower} to {upper}", percent(rate)),
            (_, None) => format!("Royalty {} of sales above {lower}", percent(rate)),
        };
        lines.push(PricedLine {
            kind: LineKind::Royalty,
            description,
            base: portion,
            rate: Some(rate),
            quantity: None,
            amount: round(portion * rate),
        });
    }
    let royalty: Decimal = lines.iter().map(|line| line.amount).sum();
    if !terms.minimum_royalty.is_zero() && royalty < terms.minimum_royalty {
        lines.push(PricedLine {
            kind: LineKind::MinimumTopUp,
            description: format!("Minimum royalty top-up to {}", terms.minimum_royalty),
            base: Decimal::ZERO,
            rate: None,
            quantity: None,
            amount: round(terms.minimum_royalty - royalty),
        });
    }
    if !terms.ad_fund_rate.is_zero() {
        lines.push(PricedLine {
            kind: LineKind::AdFund,
            description: format!("Brand fund {} of sales", percent(terms.ad_fund_rate)),
            base,
            rate: Some(terms.ad_fund_rate),
            quantity: None,
            amount: round(base * terms.ad_fund_rate),
        });
    }
    if !terms.technology_fee_per_location.is_zero() && locations > 0 {
        lines.push(PricedLine {
            kind: LineKind::TechnologyFee,
            description: format!("Technology fee, {locations} × {}", terms.technology_fee_per_location),
            base: Decimal::ZERO,
            rate: None,
            quantity: Some(locations),
            amount: round(terms.technology_fee_per_location * Decimal::from(locations)),
        });
    }
    lines
}

#[cfg(test)]
mod tests {
    use hub_core::royalties::{PeriodLength, RoyaltyTier, SalesBase};
    use hub_core::tenancy::Currency;
    use proptest::prelude::*;

    use super::*;

    fn money(text: &str) -> Decimal {
        text.parse().expect("a decimal")
    }

    fn terms() -> AgreementTerms {
        AgreementTerms {
            currency: Currency::parse("USD").expect("USD"),
            period: PeriodLength::Monthly,
            royalty_rate: money("0.06"),
            tiers: vec![
                RoyaltyTier { above: money("10000.00"), rate: money("0.05") },
                RoyaltyTier { above: money("20000.00"), rate: money("0.04") },
            ],
            ad_fund_rate: money("0.02"),
            technology_fee_per_location: money("99.00"),
            minimum_royalty: money("500.00"),
            sales_base: SalesBase::default(),
        }
    }

    fn amounts(lines: &[PricedLine]) -> Vec<(LineKind, String)> {
        lines.iter().map(|line| (line.kind, line.amount.to_string())).collect()
    }

    #[test]
    fn tiers_are_marginal() {
        // 25,000.00: 10,000 × 6% = 600.00; 10,000 × 5% = 500.00; 5,000 × 4% = 200.00.
        let lines = price_period(&terms(), money("25000.00"), 2);
        assert_eq!(
            amounts(&lines),
            vec![
                (LineKind::Royalty, "600.00".into()),
                (LineKind::Royalty, "500.00".into()),
                (LineKind::Royalty, "200.00".into()),
                (LineKind::AdFund, "500.00".into()),
                (LineKind::TechnologyFee, "198.00".into()),
            ]
        );
        assert_eq!(lines[2].base, money("5000.00"));
    }

    #[test]
    fn the_minimum_tops_up_the_royalty_only() {
        // 3,000.05 × 6% = 180.003 → 180.00; top-up 500 − 180.00 = 320.00; ad fund 60.001 → 60.00.
        let lines = price_period(&terms(), money("3000.05"), 1);
        assert_eq!(
            amounts(&lines),
            vec![
                (LineKind::Royalty, "180.00".into()),
                (LineKind::MinimumTopUp, "320.00".into()),
                (LineKind::AdFund, "60.00".into()),
                (LineKind::TechnologyFee, "99.00".into()),
            ]
        );
    }

    #[test]
    fn halves_round_away_from_zero() {
        let mut flat = terms();
        flat.tiers.clear();
        flat.minimum_royalty = Decimal::ZERO;
        flat.ad_fund_rate = Decimal::ZERO;
        flat.technology_fee_per_location = Decimal::ZERO;
        // 0.25 × 6% = 0.015 → 0.02; −0.25 × 6% = −0.015 → −0.02.
        assert_eq!(amounts(&price_period(&flat, money("0.25"), 0)), vec![(LineKind::Royalty, "0.02".into())]);
        assert_eq!(amounts(&price_period(&flat, money("-0.25"), 0)), vec![(LineKind::Royalty, "-0.02".into())]);
    }

    proptest! {
        #[test]
        fn bands_cover_the_base_exactly_and_lines_are_in_cents(cents in -1_000_000_i64..10_000_000) {
            let base = Decimal::new(cents, 2);
            let lines = price_period(&terms(), base, 3);
            let banded: Decimal = lines.iter().filter(|l| l.kind == LineKind::Royalty).map(|l| l.base).sum();
            prop_assert_eq!(banded, base);
            for line in &lines {
                prop_assert_eq!(line.amount, line.amount.round_dp(2));
            }
            let royalty: Decimal = lines
                .iter()
                .filter(|l| matches!(l.kind, LineKind::Royalty | LineKind::MinimumTopUp))
                .map(|l| l.amount)
                .sum();
            prop_assert!(royalty >= money("500.00"));
        }
    }
}
