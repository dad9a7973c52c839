//! Steering the Square emulator's data from Rust ([`SquareHandle`], from
//! [`EmulatorState::square`]) and over HTTP under `/_emulator/square/…` (`http`): configure
//! merchants, take sales, refund, edit and delete customers, and read the oracle counts and
//! daily totals.

mod http;

use chrono::Utc;

pub(crate) use http::routes;

use super::config::SquareMerchantConfig;
use super::oauth::PROFILE;
use super::store::{RefundRequest, read, write};
use super::totals::{counts, daily_totals};
use super::types::{
    SquareCounts, SquareCustomerUpdate, SquareDailyTotals, SquareLocationInfo, SquareNewOrder, SquareRefundResult,
};
use crate::error::EmulatorError;
use crate::oauth::grants::{Approval, ClientIdentity, Issuance, Redemption};
use crate::providers::EmulatedProvider;
use crate::state::{DEFAULT_CLIENT_ID, EmulatorState};

/// The Square emulator's data, per merchant (the OAuth account a token acts for). A merchant
/// nobody configured gets its default dataset ([`SquareMerchantConfig::default_for`]) on first
/// use, through the API or through any method here. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SquareHandle {
    state: EmulatorState,
}

impl SquareHandle {
    pub(crate) fn new(state: EmulatorState) -> Self {
        Self { state }
    }

    /// Generates a merchant's history from `config`, replacing whatever it had, and returns
    /// its counts.
    pub fn configure_merchant(&self, config: &SquareMerchantConfig) -> Result<SquareCounts, EmulatorError> {
        let data = self.state.square_store().configure(config)?;
        Ok(counts(&read(&data)))
    }

    /// Merchants that have a dataset, sorted.
    pub fn merchant_ids(&self) -> Vec<String> {
        self.state.square_store().merchant_ids()
    }

    /// A merchant's locations, main (first created) location first.
    pub fn locations(&self, merchant_id: &str) -> Vec<SquareLocationInfo> {
        let data = self.state.square_store().merchant(merchant_id);
        let data = read(&data);
        data.locations
            .iter()
            .map(|location| SquareLocationInfo {
                id: location.id.clone(),
                name: location.name.clone(),
                timezone: location.timezone.name().to_owned(),
                currency: location.currency.code().to_owned(),
            })
            .collect()
    }

    /// How many records of each kind the merchant has.
    pub fn counts(&self, merchant_id: &str) -> SquareCounts {
        counts(&read(&self.state.square_store().merchant(merchant_id)))
    }

    /// Per location and local date of `closed_at`: orders, gross, discounts, service charges,
    /// tax, tips, total collected, refunded and net.
    pub fn daily_totals(&self, merchant_id: &str) -> Vec<SquareDailyTotals> {
        daily_totals(&read(&self.state.square_store().merchant(merchant_id)))
    }

    /// Ids of the merchant's live (not deleted) customers, oldest first.
    pub fn customer_ids(&self, merchant_id: &str) -> Vec<String> {
        let data = self.state.square_store().merchant(merchant_id);
        let data = read(&data);
        data.customers.iter().filter(|customer| !customer.deleted).map(|customer| customer.id.clone()).collect()
    }

    /// Takes `count` completed, paid sales at a location now.
    pub fn add_orders(
        &self,
        merchant_id: &str,
        location_id: &str,
        count: u32,
    ) -> Result<Vec<SquareNewOrder>, EmulatorError> {
        write(&self.state.square_store().merchant(merchant_id)).add_orders(location_id, count)
    }

    /// Refunds `amount` (minor units) of a payment now, or all that remains when `None`.
    pub fn refund_payment(
        &self,
        merchant_id: &str,
        payment_id: &str,
        amount: Option<i64>,
    ) -> Result<SquareRefundResult, EmulatorError> {
        let request = RefundRequest { amount, reason: None };
        write(&self.state.square_store().merchant(merchant_id)).refund_payment(payment_id, request)
    }

    /// Edits a customer profile (its `updated_at` and `version` move on).
    pub fn update_customer(
        &self,
        merchant_id: &str,
        customer_id: &str,
        update: SquareCustomerUpdate,
    ) -> Result<(), EmulatorError> {
        write(&self.state.square_store().merchant(merchant_id)).update_customer(customer_id, update)
    }

    /// Deletes a customer profile: it no longer appears in ListCustomers or SearchCustomers.
    pub fn delete_customer(&self, merchant_id: &str, customer_id: &str) -> Result<(), EmulatorError> {
        write(&self.state.square_store().merchant(merchant_id)).delete_customer(customer_id)
    }

    /// Mints a Square access token for `merchant_id` with `scopes`, issued to the default
    /// client, without the OAuth dance.
    pub fn issue_access_token(&self, merchant_id: &str, scopes: &[&str]) -> Result<String, EmulatorError> {
        self.state.with_provider(EmulatedProvider::Square, |provider| {
            let now = Utc::now();
            let approval = Approval {
                client_id: DEFAULT_CLIENT_ID.to_owned(),
                redirect_uri: "http://127.0.0.1/emulator".to_owned(),
                scopes: scopes.iter().map(|scope| (*scope).to_owned()).collect(),
                code_challenge: None,
                account: merchant_id.to_owned(),
                offline: false,
            };
            let code = provider.oauth.issue_code(&PROFILE, now, approval);
            let issuance = Issuance { profile: &PROFILE, lifetimes: provider.lifetimes, now };
            let client = ClientIdentity { client_id: DEFAULT_CLIENT_ID.to_owned(), authenticated: true };
            let redemption = Redemption { code: &code, redirect_uri: None, code_verifier: None };
            provider
                .oauth
                .redeem_code(issuance, &client, redemption)
                .map(|issued| issued.access_token)
                .map_err(|error| EmulatorError::Refused(error.description()))
        })
    }
}

/// Every scope the Square data API checks, for tokens that should reach all of it.
pub const SQUARE_DATA_SCOPES: [&str; 10] = [
    "MERCHANT_PROFILE_READ",
    "ITEMS_READ",
    "EMPLOYEES_READ",
    "CUSTOMERS_READ",
    "ORDERS_READ",
    "PAYMENTS_READ",
    "PAYOUTS_READ",
    "TIMECARDS_READ",
    "APPOINTMENTS_READ",
    "APPOINTMENTS_ALL_READ",
];
