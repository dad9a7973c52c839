//! Creates and updates: optimistic locking on `SyncToken` (5010), unique names (6240),
//! `DocNumber` numbering, and payments moving invoice balances.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{Change, Company, Operation, Written, parse_id};
use crate::providers::quickbooks_online::entity::customer::Customer;
use crate::providers::quickbooks_online::entity::input::Input;
use crate::providers::quickbooks_online::entity::invoice::Invoice;
use crate::providers::quickbooks_online::entity::item::Item;
use crate::providers::quickbooks_online::entity::payment::Payment;
use crate::providers::quickbooks_online::entity::{EntityKind, Record};
use crate::providers::quickbooks_online::fault::QboFault;
use crate::providers::quickbooks_online::money::Decimal;

/// One create (no `Id` in the body) or update (`Id` + `SyncToken`; `sparse: true` keeps the
/// fields the body leaves out).
pub(super) fn write(
    company: &mut Company,
    kind: EntityKind,
    body: &Value,
    now: DateTime<Utc>,
) -> Result<Written, QboFault> {
    let input = Input::root(body)?;
    let sparse = input.boolean("sparse")?.unwrap_or(false);
    let update = input.text("Id")?;
    let mut changes = match (kind, update) {
        (EntityKind::Customer, None) => vec![create_customer(company, input, now)?],
        (EntityKind::Customer, Some(id)) => vec![update_customer(company, &id, input, sparse, now)?],
        (EntityKind::Item, None) => vec![create_item(company, input, now)?],
        (EntityKind::Item, Some(id)) => vec![update_item(company, &id, input, sparse, now)?],
        (EntityKind::Invoice, None) => vec![create_invoice(company, input, now)?],
        (EntityKind::Invoice, Some(id)) => vec![update_invoice(company, &id, input, sparse, now)?],
        (EntityKind::Payment, None) => create_payment(company, input, now)?,
        (EntityKind::Payment, Some(id)) => update_payment(company, &id, input, sparse, now)?,
    };
    let Some(first) = changes.first() else {
        return Err(QboFault::unsupported("the write changed nothing"));
    };
    let entity = company.read(first.kind, &first.id.to_string())?;
    changes.dedup();
    Ok(Written { entity, changes })
}

pub(super) fn change(kind: EntityKind, id: u64, operation: Operation, at: DateTime<Utc>) -> Change {
    Change { kind, id, operation, at }
}

fn next(sequence: &mut u64) -> u64 {
    let id = *sequence;
    *sequence += 1;
    id
}

/// The record an update names, if its `SyncToken` is the current one.
pub(super) fn target<T>(
    records: &BTreeMap<u64, Record<T>>,
    kind: EntityKind,
    id: &str,
    input: Input<'_>,
) -> Result<u64, QboFault> {
    let record = parse_id(id).and_then(|id| records.get(&id)).ok_or_else(|| QboFault::not_found(kind.name(), id))?;
    let token = input.string("SyncToken")?.ok_or_else(|| QboFault::required("SyncToken"))?;
    if token.trim() != record.sync_token.to_string() {
        return Err(QboFault::stale(kind.name(), record.id, record.sync_token, &token));
    }
    Ok(record.id)
}

fn same_name(left: &str, right: &str) -> bool {
    left.trim().eq_ignore_ascii_case(right.trim())
}

fn check_customer_name(company: &Company, name: &str, except: Option<u64>) -> Result<(), QboFault> {
    match company.customers.values().find(|other| Some(other.id) != except && same_name(&other.body.display_name, name))
    {
        Some(other) => Err(QboFault::duplicate_name("customer, vendor or employee", other.id)),
        None => Ok(()),
    }
}

fn check_item_name(company: &Company, name: &str, except: Option<u64>) -> Result<(), QboFault> {
    match company.items.values().find(|other| Some(other.id) != except && same_name(&other.body.name, name)) {
        Some(other) => Err(QboFault::duplicate_name("product or service", other.id)),
        None => Ok(()),
    }
}

fn create_customer(company: &mut Company, input: Input<'_>, now: DateTime<Utc>) -> Result<Change, QboFault> {
    let customer = Customer::create(input, &company.settings.home_currency)?;
    check_customer_name(company, &customer.display_name, None)?;
    let id = next(&mut company.sequences.name);
    company.customers.insert(id, Record::new(id, now, customer));
    Ok(change(EntityKind::Customer, id, Operation::Create, now))
}

fn update_customer(
    company: &mut Company,
    id: &str,
    input: Input<'_>,
    sparse: bool,
    now: DateTime<Utc>,
) -> Result<Change, QboFault> {
    let id = target(&company.customers, EntityKind::Customer, id, input)?;
    let current = company.customers.get(&id).ok_or_else(|| QboFault::not_found("Customer", &id.to_string()))?;
    let updated = current.body.update(input, sparse)?;
    check_customer_name(company, &updated.display_name, Some(id))?;
    if let Some(record) = company.customers.get_mut(&id) {
        record.replace(updated, now);
    }
    Ok(change(EntityKind::Customer, id, Operation::Update, now))
}

fn create_item(company: &mut Company, input: Input<'_>, now: DateTime<Utc>) -> Result<Change, QboFault> {
    let item = Item::create(input)?;
    check_item_name(company, &item.name, None)?;
    let id = next(&mut company.sequences.item);
    company.items.insert(id, Record::new(id, now, item));
    Ok(change(EntityKind::Item, id, Operation::Create, now))
}

fn update_item(
    company: &mut Company,
    id: &str,
    input: Input<'_>,
    sparse: bool,
    now: DateTime<Utc>,
) -> Result<Change, QboFault> {
    let id = target(&company.items, EntityKind::Item, id, input)?;
    let current = company.items.get(&id).ok_or_else(|| QboFault::not_found("Item", &id.to_string()))?;
    let updated = current.body.update(input, sparse)?;
    check_item_name(company, &updated.name, Some(id))?;
    if let Some(record) = company.items.get_mut(&id) {
        record.replace(updated, now);
    }
    Ok(change(EntityKind::Item, id, Operation::Update, now))
}

/// 6140 when the company rejects reused numbers and another invoice has this one.
fn check_doc_number(company: &Company, invoice: &Invoice, except: Option<u64>) -> Result<(), QboFault> {
    let Some(doc_number) = invoice.doc_number.as_deref() else { return Ok(()) };
    if !company.settings.reject_duplicate_doc_numbers {
        return Ok(());
    }
    let taken = company.invoices.values().find(|other| {
        Some(other.id) != except && other.body.doc_number.as_deref().is_some_and(|other| same_name(other, doc_number))
    });
    match taken {
        Some(other) => Err(QboFault::duplicate_doc_number(doc_number, other.id)),
        None => Ok(()),
    }
}

/// QBO's automatic numbering: the next number no invoice uses.
fn next_doc_number(company: &mut Company) -> String {
    loop {
        let candidate = next(&mut company.sequences.doc_number).to_string();
        if !company.invoices.values().any(|invoice| invoice.body.doc_number.as_deref() == Some(&candidate)) {
            return candidate;
        }
    }
}

fn create_invoice(company: &mut Company, input: Input<'_>, now: DateTime<Utc>) -> Result<Change, QboFault> {
    let mut invoice = Invoice::parse(input, None, false, company, now.date_naive())?;
    check_doc_number(company, &invoice, None)?;
    if invoice.doc_number.is_none() {
        invoice.doc_number = Some(next_doc_number(company));
    }
    let id = next(&mut company.sequences.transaction);
    company.invoices.insert(id, Record::new(id, now, invoice));
    Ok(change(EntityKind::Invoice, id, Operation::Create, now))
}

fn update_invoice(
    company: &mut Company,
    id: &str,
    input: Input<'_>,
    sparse: bool,
    now: DateTime<Utc>,
) -> Result<Change, QboFault> {
    let id = target(&company.invoices, EntityKind::Invoice, id, input)?;
    let current = company.invoices.get(&id).ok_or_else(|| QboFault::not_found("Invoice", &id.to_string()))?;
    let mut updated = Invoice::parse(input, Some(&current.body), sparse, company, now.date_naive())?;
    if updated.doc_number.is_none() {
        updated.doc_number.clone_from(&current.body.doc_number);
    }
    check_doc_number(company, &updated, Some(id))?;
    if let Some(record) = company.invoices.get_mut(&id) {
        record.replace(updated, now);
    }
    Ok(change(EntityKind::Invoice, id, Operation::Update, now))
}

fn create_payment(company: &mut Company, input: Input<'_>, now: DateTime<Utc>) -> Result<Vec<Change>, QboFault> {
    let payment = Payment::parse(input, None, false, company, now.date_naive())?;
    let id = next(&mut company.sequences.transaction);
    let mut changes = vec![change(EntityKind::Payment, id, Operation::Create, now)];
    changes.extend(apply(company, id, None, &payment, now));
    company.payments.insert(id, Record::new(id, now, payment));
    Ok(changes)
}

fn update_payment(
    company: &mut Company,
    id: &str,
    input: Input<'_>,
    sparse: bool,
    now: DateTime<Utc>,
) -> Result<Vec<Change>, QboFault> {
    let id = target(&company.payments, EntityKind::Payment, id, input)?;
    let current =
        company.payments.get(&id).ok_or_else(|| QboFault::not_found("Payment", &id.to_string()))?.body.clone();
    let updated = Payment::parse(input, Some(&current), sparse, company, now.date_naive())?;
    let mut changes = vec![change(EntityKind::Payment, id, Operation::Update, now)];
    changes.extend(apply(company, id, Some(&current), &updated, now));
    if let Some(record) = company.payments.get_mut(&id) {
        record.replace(updated, now);
    }
    Ok(changes)
}

/// Moves invoice balances from what `before` applied to what `after` applies; every invoice
/// whose balance or links change gets a new `SyncToken` (QBO changes the invoice too).
pub(super) fn apply(
    company: &mut Company,
    payment_id: u64,
    before: Option<&Payment>,
    after: &Payment,
    now: DateTime<Utc>,
) -> Vec<Change> {
    let mut deltas: BTreeMap<u64, Decimal> = BTreeMap::new();
    for application in before.map(|payment| payment.applications.as_slice()).unwrap_or_default() {
        let delta = deltas.entry(application.invoice_id).or_default();
        *delta = delta.sub(application.amount);
    }
    for application in &after.applications {
        let delta = deltas.entry(application.invoice_id).or_default();
        *delta = delta.add(application.amount);
    }
    let mut changes = Vec::new();
    for (invoice_id, delta) in deltas {
        let Some(invoice) = company.invoices.get_mut(&invoice_id) else { continue };
        let applied = !after.applied_to(invoice_id).is_zero();
        let linked = invoice.body.payments.contains(&payment_id);
        if delta.is_zero() && applied == linked {
            continue;
        }
        invoice.body.balance = invoice.body.balance.sub(delta);
        if applied && !linked {
            invoice.body.payments.push(payment_id);
        } else if !applied {
            invoice.body.payments.retain(|id| *id != payment_id);
        }
        invoice.touch(now);
        changes.push(change(EntityKind::Invoice, invoice_id, Operation::Update, now));
    }
    changes
}
