//! Converting between currencies at stored rates, never at a floating "current" rate.
//!
//! The rate for a period is the latest one recorded for the pair dated on or before the period's
//! last day. A statement keeps the rates it used, so recomputing an issued period (for an
//! adjustment) uses the very same ones. Only the exact pair counts: a USD→EUR rate is not
//! inverted into EUR→USD. Conversions round to the target currency's minor unit, half away from
//! zero, once per currency summed (not per sale).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use hub_core::id::NetworkId;
use hub_core::money::{minor_unit_exponent, round_to_currency};
use hub_core::royalties::AppliedRate;
use hub_core::tenancy::Currency;
use hub_store::Store;
use rust_decimal::Decimal;

use super::error::RoyaltyError;

/// The rates one statement converts with.
pub struct RateBook<'a> {
    store: &'a dyn Store,
    network_id: &'a NetworkId,
    on: NaiveDate,
    used: BTreeMap<(String, String), AppliedRate>,
}

impl<'a> RateBook<'a> {
    /// Rates dated on or before `on`, looked up in the store as needed.
    pub fn new(store: &'a dyn Store, network_id: &'a NetworkId, on: NaiveDate) -> Self {
        Self { store, network_id, on, used: BTreeMap::new() }
    }

    /// The same, starting from the rates an earlier computation used.
    pub fn with_rates(mut self, rates: &[AppliedRate]) -> Self {
        for rate in rates {
            self.used.insert((rate.from.to_string(), rate.to.to_string()), rate.clone());
        }
        self
    }

    async fn rate(&mut self, from: Currency, to: Currency) -> Result<AppliedRate, RoyaltyError> {
        let key = (from.to_string(), to.to_string());
        if let Some(rate) = self.used.get(&key) {
            return Ok(rate.clone());
        }
        let stored = self
            .store
            .exchange_rate_on(self.network_id, from, to, self.on)
            .await?
            .ok_or(RoyaltyError::MissingRate { from, to, on: self.on })?;
        let applied = AppliedRate::from(&stored);
        self.used.insert(key, applied.clone());
        Ok(applied)
    }

    /// `amount` of `from` in `to`, rounded to `to`'s minor unit.
    pub async fn convert(&mut self, amount: Decimal, from: Currency, to: Currency) -> Result<Decimal, RoyaltyError> {
        let converted = if from == to { amount } else { amount * self.rate(from, to).await?.rate };
        let mut rounded = round_to_currency(converted, to);
        rounded.rescale(minor_unit_exponent(to));
        Ok(rounded)
    }

    /// The rate `from`→`to`, recorded as used (`None` when they are the same currency).
    pub async fn rate_for(&mut self, from: Currency, to: Currency) -> Result<Option<AppliedRate>, RoyaltyError> {
        if from == to { Ok(None) } else { self.rate(from, to).await.map(Some) }
    }

    /// The sum of `amounts` (by currency) in `to`: each currency's sum is converted and rounded
    /// once.
    pub async fn total_in(
        &mut self,
        amounts: &BTreeMap<Currency, Decimal>,
        to: Currency,
    ) -> Result<Decimal, RoyaltyError> {
        let mut total = Decimal::ZERO;
        for (currency, amount) in amounts {
            total += self.convert(*amount, *currency, to).await?;
        }
        total.rescale(minor_unit_exponent(to));
        Ok(total)
    }

    /// Every rate used so far.
    pub fn used(&self) -> Vec<AppliedRate> {
        self.used.values().cloned().collect()
    }
}
