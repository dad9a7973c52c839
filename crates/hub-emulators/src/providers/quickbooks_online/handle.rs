//! [`QuickBooks`]: the emulated companies, throttling and webhooks behind the Accounting API,
//! and the Rust control surface tests use to seed data, read the oracle ("one invoice per
//! franchisee, no duplicates"), mark invoices paid, force 429s and configure webhooks.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::Value;

use super::clock;
use super::company::Company;
use super::entity::EntityKind;
use super::fault::QboFault;
use super::lock;
use super::throttle::{Throttle, ThrottleLimits};
use super::webhooks::WebhookConfig;
use super::webhooks::delivery::{WebhookDelivery, WebhookHub};

#[derive(Default)]
struct Shared {
    companies: Mutex<HashMap<String, Company>>,
    throttle: Mutex<Throttle>,
    webhooks: WebhookHub,
}

/// The emulated QuickBooks Online Accounting API: every company (realm) it holds. Cheap to
/// clone; get it with [`EmulatorState::quickbooks`](crate::EmulatorState::quickbooks).
#[derive(Clone, Default)]
pub struct QuickBooks {
    shared: Arc<Shared>,
}

impl fmt::Debug for QuickBooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QuickBooks").finish_non_exhaustive()
    }
}

/// A request of a realm counted in flight until it is dropped.
pub(crate) struct InFlight {
    quickbooks: QuickBooks,
    realm: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        lock(&self.quickbooks.shared.throttle).finish(&self.realm);
    }
}

impl QuickBooks {
    /// Creates or updates one entity exactly as `POST /v3/company/{realm}/{entity}` does: a
    /// body without `Id` creates, with `Id` + `SyncToken` updates (`sparse: true` keeps the
    /// fields it leaves out). A `request_id` seen before answers the first result again.
    /// Notifies the realm's webhooks.
    pub fn write(
        &self,
        realm: &str,
        kind: EntityKind,
        body: &Value,
        request_id: Option<&str>,
    ) -> Result<Value, QboFault> {
        let written = lock(&self.shared.companies).entry(realm.to_owned()).or_default().write(
            kind,
            body,
            request_id,
            clock::now(),
        )?;
        self.shared.webhooks.notify(realm, &written.changes);
        Ok(written.entity)
    }

    /// Deletes an invoice or payment exactly as `POST /v3/company/{realm}/{entity}?operation=delete`
    /// does (body `Id` + `SyncToken`); answers QBO's `{"status": "Deleted", "Id": …}` stub.
    pub fn delete(
        &self,
        realm: &str,
        kind: EntityKind,
        body: &Value,
        request_id: Option<&str>,
    ) -> Result<Value, QboFault> {
        let written = lock(&self.shared.companies).entry(realm.to_owned()).or_default().delete(
            kind,
            body,
            request_id,
            clock::now(),
        )?;
        self.shared.webhooks.notify(realm, &written.changes);
        Ok(written.entity)
    }

    /// One entity as `GET /v3/company/{realm}/{entity}/{id}` returns it.
    pub fn read(&self, realm: &str, kind: EntityKind, id: &str) -> Result<Value, QboFault> {
        self.with_company(realm, |company| company.read(kind, id))
    }

    /// Every entity of a kind in a realm, by ascending `Id`, as the API renders them.
    pub fn list(&self, realm: &str, kind: EntityKind) -> Vec<Value> {
        self.with_company(realm, |company| company.all(kind))
    }

    /// The realm's customers.
    pub fn customers(&self, realm: &str) -> Vec<Value> {
        self.list(realm, EntityKind::Customer)
    }

    /// The realm's items.
    pub fn items(&self, realm: &str) -> Vec<Value> {
        self.list(realm, EntityKind::Item)
    }

    /// The realm's invoices: the oracle for "one invoice per franchisee, no duplicates".
    pub fn invoices(&self, realm: &str) -> Vec<Value> {
        self.list(realm, EntityKind::Invoice)
    }

    /// The realm's payments.
    pub fn payments(&self, realm: &str) -> Vec<Value> {
        self.list(realm, EntityKind::Payment)
    }

    /// Records a payment for the invoice's whole open balance, as if the franchisee paid: the
    /// invoice's `Balance` drops to 0 with a new `SyncToken` and `LastUpdatedTime`, and the
    /// realm's webhooks hear of both. Returns the payment.
    pub fn mark_invoice_paid(&self, realm: &str, invoice_id: &str) -> Result<Value, QboFault> {
        let written = lock(&self.shared.companies)
            .entry(realm.to_owned())
            .or_default()
            .mark_invoice_paid(invoice_id, clock::now())?;
        self.shared.webhooks.notify(realm, &written.changes);
        Ok(written.entity)
    }

    /// Answers the realm's next `requests` API requests with QBO's 429 throttling fault.
    pub fn force_throttle(&self, realm: &str, requests: u32) {
        lock(&self.shared.throttle).force(realm, requests);
    }

    /// Replaces the per-realm limits (QBO's: 500 requests a minute, 10 at once).
    pub fn set_throttle_limits(&self, limits: ThrottleLimits) {
        lock(&self.shared.throttle).set_limits(limits);
    }

    pub fn throttle_limits(&self) -> ThrottleLimits {
        lock(&self.shared.throttle).limits()
    }

    /// How many of the realm's requests were answered 429.
    pub fn throttled_requests(&self, realm: &str) -> u64 {
        lock(&self.shared.throttle).throttled(realm)
    }

    /// Sends the realm's Customer, Item, Invoice and Payment changes to a webhook endpoint.
    pub fn configure_webhooks(&self, realm: &str, config: WebhookConfig) {
        self.shared.webhooks.configure(realm, Some(config));
    }

    /// Stops sending the realm's notifications (those queued still go).
    pub fn remove_webhooks(&self, realm: &str) {
        self.shared.webhooks.configure(realm, None);
    }

    pub fn webhook_config(&self, realm: &str) -> Option<WebhookConfig> {
        self.shared.webhooks.config(realm)
    }

    /// Every notification the realm sent or tried to send, oldest first, with its attempts.
    pub fn webhook_deliveries(&self, realm: &str) -> Vec<WebhookDelivery> {
        self.shared.webhooks.deliveries(realm)
    }

    /// The currency of customers created without a `CurrencyRef` (`USD` by default).
    pub fn set_home_currency(&self, realm: &str, currency: &str) {
        let mut companies = lock(&self.shared.companies);
        companies.entry(realm.to_owned()).or_default().settings.home_currency = currency.to_ascii_uppercase();
    }

    /// Turns on QBO's "warn if duplicate invoice number is used": a reused `DocNumber` is 6140.
    pub fn reject_duplicate_doc_numbers(&self, realm: &str, reject: bool) {
        let mut companies = lock(&self.shared.companies);
        companies.entry(realm.to_owned()).or_default().settings.reject_duplicate_doc_numbers = reject;
    }

    /// Forgets one realm: its data, request ids, throttling counters and webhooks.
    pub fn reset_realm(&self, realm: &str) {
        lock(&self.shared.companies).remove(realm);
        lock(&self.shared.throttle).reset_realm(realm);
        self.shared.webhooks.reset_realm(realm);
    }

    /// Forgets every realm and restores QBO's throttling limits.
    pub fn reset(&self) {
        lock(&self.shared.companies).clear();
        lock(&self.shared.throttle).reset();
        self.shared.webhooks.reset();
    }

    /// Admits an API request of a realm or answers QBO's 429.
    pub(crate) fn admit(&self, realm: &str) -> Result<InFlight, QboFault> {
        lock(&self.shared.throttle).admit(realm, Instant::now()).map_err(|refusal| {
            tracing::debug!(realm, ?refusal, "emulated quickbooks throttles a request");
            QboFault::throttled()
        })?;
        Ok(InFlight { quickbooks: self.clone(), realm: realm.to_owned() })
    }

    /// Runs `f` on a realm's company (an empty one if the realm has no data yet).
    pub(crate) fn with_company<R>(&self, realm: &str, f: impl FnOnce(&Company) -> R) -> R {
        let companies = lock(&self.shared.companies);
        match companies.get(realm) {
            Some(company) => f(company),
            None => f(&Company::default()),
        }
    }
}
