//! Payment: money received from a customer, applied to its invoices through `Line[].LinkedTxn`
//! (`TxnType: "Invoice"`); what is not applied is `UnappliedAmt`.

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::input::Input;
use super::{Lookup, Record, currency_name, reference};
use crate::providers::quickbooks_online::fault::QboFault;
use crate::providers::quickbooks_online::money::Decimal;

/// Part of a payment applied to one invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Application {
    pub invoice_id: u64,
    pub amount: Decimal,
}

/// The fields of a Payment the emulator keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Payment {
    pub txn_date: NaiveDate,
    pub customer_id: u64,
    pub currency: String,
    pub total: Decimal,
    pub applications: Vec<Application>,
    pub payment_ref_num: Option<String>,
    pub private_note: Option<String>,
}

impl Payment {
    /// What is applied to `invoice_id`.
    pub fn applied_to(&self, invoice_id: u64) -> Decimal {
        self.applications
            .iter()
            .filter(|application| application.invoice_id == invoice_id)
            .fold(Decimal::ZERO, |sum, application| sum.add(application.amount))
    }

    pub fn unapplied(&self) -> Decimal {
        self.applications.iter().fold(self.total, |rest, application| rest.sub(application.amount))
    }

    /// The payment a create (`existing` = `None`) or an update makes, checked against the open
    /// balances of the invoices it is applied to (counting what `existing` already applied).
    pub fn parse(
        input: Input<'_>,
        existing: Option<&Self>,
        sparse: bool,
        lookup: &dyn Lookup,
        today: NaiveDate,
    ) -> Result<Self, QboFault> {
        let keep = |key: &str| sparse && existing.is_some() && !input.has(key);
        let customer_id = match (input.reference("CustomerRef")?, existing) {
            (Some(id), _) => {
                lookup
                    .customer(&id)
                    .filter(|customer| customer.body.active)
                    .ok_or_else(|| QboFault::invalid_reference("CustomerRef", "Customer", &id))?
                    .id
            }
            (None, Some(existing)) if keep("CustomerRef") => existing.customer_id,
            (None, _) => return Err(QboFault::required("CustomerRef")),
        };
        let currency = lookup.customer(&customer_id.to_string()).map_or_else(String::new, |c| c.body.currency.clone());
        if let Some(requested) = input.reference("CurrencyRef")?
            && !requested.eq_ignore_ascii_case(&currency)
        {
            return Err(QboFault::business(
                Some("CurrencyRef"),
                format!("the payment currency {requested} must be the customer's currency {currency}"),
            ));
        }
        let total = match (input.decimal("TotalAmt")?, existing) {
            (Some(total), _) => total,
            (None, Some(existing)) if keep("TotalAmt") => existing.total,
            (None, _) => return Err(QboFault::required("TotalAmt")),
        };
        check_amount(total, "TotalAmt")?;
        let applications = match (input.objects("Line")?, existing) {
            (Some(lines), _) => {
                let mut applications: Vec<Application> = Vec::with_capacity(lines.len());
                for nested in &lines {
                    let application = parse_line(nested.input(), customer_id, existing, lookup)?;
                    if applications.iter().any(|seen| seen.invoice_id == application.invoice_id) {
                        return Err(QboFault::business(
                            Some(&nested.input().element("LinkedTxn")),
                            format!("invoice {} is linked twice", application.invoice_id),
                        ));
                    }
                    applications.push(application);
                }
                applications
            }
            (None, Some(existing)) if keep("Line") => existing.applications.clone(),
            (None, _) => Vec::new(),
        };
        let applied = applications.iter().fold(Decimal::ZERO, |sum, application| sum.add(application.amount));
        if applied > total {
            return Err(QboFault::business(
                Some("TotalAmt"),
                format!("the {applied} applied to invoices exceeds the payment amount {total}"),
            ));
        }
        let text = |key: &str, current: Option<&String>| -> Result<Option<String>, QboFault> {
            if keep(key) { Ok(current.cloned()) } else { input.text(key) }
        };
        Ok(Self {
            txn_date: match input.date("TxnDate")? {
                Some(date) => date,
                None => existing.filter(|_| keep("TxnDate")).map_or(today, |e| e.txn_date),
            },
            customer_id,
            currency,
            total,
            applications,
            payment_ref_num: text("PaymentRefNum", existing.and_then(|e| e.payment_ref_num.as_ref()))?,
            private_note: text("PrivateNote", existing.and_then(|e| e.private_note.as_ref()))?,
        })
    }

    /// The JSON QBO returns.
    pub fn render(record: &Record<Self>, lookup: &dyn Lookup) -> Value {
        let payment = &record.body;
        let mut object = record.header();
        let mut put = |key: &str, value: Value| {
            object.insert(key.to_owned(), value);
        };
        put("TxnDate", json!(payment.txn_date.to_string()));
        put("CurrencyRef", reference(&payment.currency, Some(currency_name(&payment.currency))));
        let customer_name = lookup.customer(&payment.customer_id.to_string()).map(|c| c.body.display_name.clone());
        put("CustomerRef", reference(payment.customer_id, customer_name.as_deref()));
        put("TotalAmt", payment.total.to_json());
        put("UnappliedAmt", payment.unapplied().to_json());
        put("ProcessPayment", json!(false));
        if let Some(number) = &payment.payment_ref_num {
            put("PaymentRefNum", json!(number));
        }
        if let Some(note) = &payment.private_note {
            put("PrivateNote", json!(note));
        }
        let lines: Vec<Value> = payment
            .applications
            .iter()
            .map(|application| {
                json!({
                    "Amount": application.amount.to_json(),
                    "LinkedTxn": [{"TxnId": application.invoice_id.to_string(), "TxnType": "Invoice"}],
                })
            })
            .collect();
        put("Line", Value::Array(lines));
        Value::Object(object)
    }
}

/// Positive (or zero for a total), at most two decimal places.
fn check_amount(amount: Decimal, element: &str) -> Result<(), QboFault> {
    if amount.is_negative() {
        return Err(QboFault::business(Some(element), format!("the amount {amount} cannot be negative")));
    }
    if amount.places() > 2 {
        return Err(QboFault::business(Some(element), format!("the amount {amount} has more than 2 decimal places")));
    }
    Ok(())
}

fn parse_line(
    line: Input<'_>,
    customer_id: u64,
    existing: Option<&Payment>,
    lookup: &dyn Lookup,
) -> Result<Application, QboFault> {
    let amount = line.decimal("Amount")?.ok_or_else(|| QboFault::required(&line.element("Amount")))?;
    check_amount(amount, &line.element("Amount"))?;
    if amount.is_zero() {
        return Err(QboFault::business(Some(&line.element("Amount")), "an applied amount must be more than zero"));
    }
    let linked = line.objects("LinkedTxn")?.unwrap_or_default();
    let [linked] = linked.as_slice() else {
        return Err(if linked.is_empty() {
            QboFault::required(&line.element("LinkedTxn"))
        } else {
            QboFault::unsupported("the emulator applies each payment line to exactly one LinkedTxn")
        });
    };
    let linked = linked.input();
    let txn_type = linked.text("TxnType")?.ok_or_else(|| QboFault::required(&linked.element("TxnType")))?;
    if txn_type != "Invoice" {
        return Err(QboFault::unsupported(format!(
            "{} {txn_type} is not served by the emulator (payments apply to Invoice)",
            linked.element("TxnType")
        )));
    }
    let txn_id = linked.text("TxnId")?.ok_or_else(|| QboFault::required(&linked.element("TxnId")))?;
    let invoice = lookup
        .invoice(&txn_id)
        .ok_or_else(|| QboFault::invalid_reference(&linked.element("TxnId"), "Invoice", &txn_id))?;
    if invoice.body.customer_id != customer_id {
        return Err(QboFault::cannot_link(
            &linked.element("TxnId"),
            &format!("invoice {txn_id} belongs to another customer"),
        ));
    }
    let available = invoice.body.balance.add(existing.map_or(Decimal::ZERO, |payment| payment.applied_to(invoice.id)));
    if amount > available {
        return Err(QboFault::business(
            Some(&line.element("Amount")),
            format!("the {amount} applied exceeds the open balance {available} of invoice {txn_id}"),
        ));
    }
    Ok(Application { invoice_id: invoice.id, amount })
}
