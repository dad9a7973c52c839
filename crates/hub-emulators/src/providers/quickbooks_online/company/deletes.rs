//! Deleting transactions (`POST /invoice?operation=delete` with `Id` + `SyncToken`): a
//! deleted invoice's payments stay and become unapplied, a deleted payment's invoices get
//! their balance back. Customers and items cannot be deleted in QBO (they are made inactive
//! with `Active: false`). Deleted ids stay visible to CDC as `status: "Deleted"`.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::writes::{apply, change, target};
use super::{Change, Company, Operation, Tombstone, Written};
use crate::providers::quickbooks_online::entity::EntityKind;
use crate::providers::quickbooks_online::entity::input::Input;
use crate::providers::quickbooks_online::entity::payment::Payment;
use crate::providers::quickbooks_online::fault::QboFault;

pub(super) fn delete(
    company: &mut Company,
    kind: EntityKind,
    body: &Value,
    now: DateTime<Utc>,
) -> Result<Written, QboFault> {
    let input = Input::root(body)?;
    let id = input.text("Id")?.ok_or_else(|| QboFault::required("Id"))?;
    let (id, changes) = match kind {
        EntityKind::Invoice => delete_invoice(company, &id, input, now)?,
        EntityKind::Payment => delete_payment(company, &id, input, now)?,
        EntityKind::Customer | EntityKind::Item => {
            return Err(QboFault::unsupported(format!(
                "Operation Delete is not supported for {kind}: make it inactive with Active: false"
            )));
        }
    };
    company.deleted.push(Tombstone { kind, id, deleted: now });
    Ok(Written { entity: json!({"domain": "QBO", "status": "Deleted", "Id": id.to_string()}), changes })
}

fn delete_invoice(
    company: &mut Company,
    id: &str,
    input: Input<'_>,
    now: DateTime<Utc>,
) -> Result<(u64, Vec<Change>), QboFault> {
    let id = target(&company.invoices, EntityKind::Invoice, id, input)?;
    let record = company.invoices.remove(&id).ok_or_else(|| QboFault::not_found("Invoice", &id.to_string()))?;
    let mut changes = vec![change(EntityKind::Invoice, id, Operation::Delete, now)];
    for payment_id in record.body.payments {
        if let Some(payment) = company.payments.get_mut(&payment_id) {
            payment.body.applications.retain(|application| application.invoice_id != id);
            payment.touch(now);
            changes.push(change(EntityKind::Payment, payment_id, Operation::Update, now));
        }
    }
    Ok((id, changes))
}

fn delete_payment(
    company: &mut Company,
    id: &str,
    input: Input<'_>,
    now: DateTime<Utc>,
) -> Result<(u64, Vec<Change>), QboFault> {
    let id = target(&company.payments, EntityKind::Payment, id, input)?;
    let record = company.payments.remove(&id).ok_or_else(|| QboFault::not_found("Payment", &id.to_string()))?;
    let unapplied = Payment { applications: Vec::new(), ..record.body.clone() };
    let mut changes = vec![change(EntityKind::Payment, id, Operation::Delete, now)];
    changes.extend(apply(company, id, Some(&record.body), &unapplied, now));
    Ok((id, changes))
}
