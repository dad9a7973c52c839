//! One QuickBooks company (a realm) in memory: its customers, items, invoices and payments, the
//! id sequences QBO hands out, `requestid` idempotency, and reads as QBO renders them.

mod deletes;
mod idempotency;
mod writes;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::entity::customer::Customer;
use super::entity::invoice::Invoice;
use super::entity::item::Item;
use super::entity::payment::Payment;
use super::entity::{EntityKind, Lookup, Record};
use super::fault::QboFault;
use super::money::Decimal;
use idempotency::Idempotency;

/// What a change did, as webhooks name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Create,
    Update,
    Delete,
}

impl Operation {
    /// `Create`, `Update` (legacy webhooks).
    pub fn name(self) -> &'static str {
        match self {
            Self::Create => "Create",
            Self::Update => "Update",
            Self::Delete => "Delete",
        }
    }

    /// `created`, `updated` (CloudEvents `type`).
    pub fn past_tense(self) -> &'static str {
        match self {
            Self::Create => "created",
            Self::Update => "updated",
            Self::Delete => "deleted",
        }
    }
}

/// One entity a write created or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    pub kind: EntityKind,
    pub id: u64,
    pub operation: Operation,
    pub at: DateTime<Utc>,
}

/// The result of a write: the entity as QBO returns it, and every entity that changed (an
/// applied payment also changes its invoices). A replayed `requestid` changes nothing.
#[derive(Debug, Clone)]
pub(crate) struct Written {
    pub entity: Value,
    pub changes: Vec<Change>,
}

/// Company-level switches.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The currency of customers created without a `CurrencyRef`.
    pub home_currency: String,
    /// QBO's "warn if duplicate invoice number is used": 6140 on a reused `DocNumber`.
    pub reject_duplicate_doc_numbers: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self { home_currency: "USD".to_owned(), reject_duplicate_doc_numbers: false }
    }
}

/// Where each id sequence stands. Names (customers), items and transactions (invoices and
/// payments share one) are numbered separately, as in QBO.
#[derive(Debug, Clone)]
struct Sequences {
    name: u64,
    item: u64,
    transaction: u64,
    doc_number: u64,
}

impl Default for Sequences {
    fn default() -> Self {
        Self { name: 1, item: 1, transaction: 1, doc_number: 1001 }
    }
}

/// A deleted transaction, for CDC (`status: "Deleted"`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tombstone {
    kind: EntityKind,
    id: u64,
    deleted: DateTime<Utc>,
}

impl Tombstone {
    fn render(&self) -> Value {
        serde_json::json!({
            "domain": "QBO",
            "status": "Deleted",
            "Id": self.id.to_string(),
            "MetaData": {"LastUpdatedTime": super::clock::meta_time(self.deleted)},
        })
    }
}

/// One company's data.
#[derive(Debug, Default)]
pub(crate) struct Company {
    pub settings: Settings,
    customers: BTreeMap<u64, Record<Customer>>,
    items: BTreeMap<u64, Record<Item>>,
    invoices: BTreeMap<u64, Record<Invoice>>,
    payments: BTreeMap<u64, Record<Payment>>,
    deleted: Vec<Tombstone>,
    sequences: Sequences,
    idempotency: Idempotency,
}

fn parse_id(id: &str) -> Option<u64> {
    id.trim().parse().ok()
}

impl Lookup for Company {
    fn customer(&self, id: &str) -> Option<&Record<Customer>> {
        self.customers.get(&parse_id(id)?)
    }

    fn item(&self, id: &str) -> Option<&Record<Item>> {
        self.items.get(&parse_id(id)?)
    }

    fn invoice(&self, id: &str) -> Option<&Record<Invoice>> {
        self.invoices.get(&parse_id(id)?)
    }
}

impl Company {
    /// Creates or updates (the body carries `Id` and `SyncToken`) one entity. With a
    /// `request_id` seen before, answers the first result again and changes nothing.
    pub fn write(
        &mut self,
        kind: EntityKind,
        body: &Value,
        request_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Written, QboFault> {
        self.idempotent(kind, "save", request_id, |company| writes::write(company, kind, body, now))
    }

    /// Deletes a transaction (`operation=delete`, body `Id` + `SyncToken`).
    pub fn delete(
        &mut self,
        kind: EntityKind,
        body: &Value,
        request_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Written, QboFault> {
        self.idempotent(kind, "delete", request_id, |company| deletes::delete(company, kind, body, now))
    }

    /// Runs a write once per request id (per entity and operation); replays answer the first
    /// result. Refused writes are not remembered, so a fixed body can be retried.
    fn idempotent(
        &mut self,
        kind: EntityKind,
        operation: &str,
        request_id: Option<&str>,
        write: impl FnOnce(&mut Self) -> Result<Written, QboFault>,
    ) -> Result<Written, QboFault> {
        let key = request_id.map(|id| format!("{kind}:{operation}:{id}"));
        if let Some(entity) = key.as_deref().and_then(|key| self.idempotency.get(key)) {
            return Ok(Written { entity: entity.clone(), changes: Vec::new() });
        }
        let written = write(self)?;
        if let Some(key) = key {
            self.idempotency.remember(&key, written.entity.clone());
        }
        Ok(written)
    }

    /// `GET /{entity}/{id}`.
    pub fn read(&self, kind: EntityKind, id: &str) -> Result<Value, QboFault> {
        let not_found = || QboFault::not_found(kind.name(), id);
        let id = parse_id(id).ok_or_else(not_found)?;
        match kind {
            EntityKind::Customer => self.customers.get(&id).map(|record| self.render_customer(record)),
            EntityKind::Item => self.items.get(&id).map(Item::render),
            EntityKind::Invoice => self.invoices.get(&id).map(|record| Invoice::render(record, self)),
            EntityKind::Payment => self.payments.get(&id).map(|record| Payment::render(record, self)),
        }
        .ok_or_else(not_found)
    }

    /// Every entity of a kind, as QBO renders them, by ascending `Id`.
    pub fn all(&self, kind: EntityKind) -> Vec<Value> {
        match kind {
            EntityKind::Customer => self.customers.values().map(|record| self.render_customer(record)).collect(),
            EntityKind::Item => self.items.values().map(Item::render).collect(),
            EntityKind::Invoice => self.invoices.values().map(|record| Invoice::render(record, self)).collect(),
            EntityKind::Payment => self.payments.values().map(|record| Payment::render(record, self)).collect(),
        }
    }

    /// Entities of a kind whose `LastUpdatedTime` is at or after `since`, and those deleted
    /// since (as `status: "Deleted"` stubs), oldest change first.
    pub fn changed_since(&self, kind: EntityKind, since: DateTime<Utc>) -> Vec<Value> {
        let mut changed: Vec<(DateTime<Utc>, u64, Value)> = match kind {
            EntityKind::Customer => collect(&self.customers, since, |record| self.render_customer(record)),
            EntityKind::Item => collect(&self.items, since, Item::render),
            EntityKind::Invoice => collect(&self.invoices, since, |record| Invoice::render(record, self)),
            EntityKind::Payment => collect(&self.payments, since, |record| Payment::render(record, self)),
        };
        changed.extend(
            self.deleted
                .iter()
                .filter(|tombstone| tombstone.kind == kind && tombstone.deleted >= since)
                .map(|tombstone| (tombstone.deleted, tombstone.id, tombstone.render())),
        );
        changed.sort_by_key(|(updated, id, _)| (*updated, *id));
        changed.into_iter().map(|(_, _, value)| value).collect()
    }

    /// Creates a payment for an invoice's whole open balance (as if the franchisee paid).
    pub fn mark_invoice_paid(&mut self, invoice_id: &str, now: DateTime<Utc>) -> Result<Written, QboFault> {
        let invoice = self.invoice(invoice_id).ok_or_else(|| QboFault::not_found("Invoice", invoice_id))?;
        if invoice.body.balance.is_zero() {
            return Err(QboFault::business(None, format!("invoice {invoice_id} has no open balance")));
        }
        let balance = invoice.body.balance.to_json();
        let body = serde_json::json!({
            "CustomerRef": {"value": invoice.body.customer_id.to_string()},
            "TotalAmt": balance,
            "TxnDate": now.date_naive().to_string(),
            "PrivateNote": "Marked paid through the emulator's control surface",
            "Line": [{"Amount": balance, "LinkedTxn": [{"TxnId": invoice.id.to_string(), "TxnType": "Invoice"}]}],
        });
        writes::write(self, EntityKind::Payment, &body, now)
    }

    fn render_customer(&self, record: &Record<Customer>) -> Value {
        let balance = self
            .invoices
            .values()
            .filter(|invoice| invoice.body.customer_id == record.id)
            .fold(Decimal::ZERO, |sum, invoice| sum.add(invoice.body.balance));
        Customer::render(record, balance)
    }
}

fn collect<T>(
    records: &BTreeMap<u64, Record<T>>,
    since: DateTime<Utc>,
    render: impl Fn(&Record<T>) -> Value,
) -> Vec<(DateTime<Utc>, u64, Value)> {
    records
        .values()
        .filter(|record| record.updated >= since)
        .map(|record| (record.updated, record.id, render(record)))
        .collect()
}
