//! Invoice: sales lines (`SalesItemLineDetail` referencing items) billed to a customer, with
//! `TotalAmt` computed from the lines and `Balance` lowered by the payments linked to it.

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::input::{Input, Nested};
use super::{Lookup, Record, currency_name, reference};
use crate::providers::quickbooks_online::fault::QboFault;
use crate::providers::quickbooks_online::money::Decimal;

/// QBO's limit on `DocNumber`.
const DOC_NUMBER_MAX: usize = 21;

/// One `SalesItemLineDetail` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SalesLine {
    pub description: Option<String>,
    pub amount: Decimal,
    pub item_id: u64,
    pub qty: Option<Decimal>,
    pub unit_price: Option<Decimal>,
    pub service_date: Option<NaiveDate>,
}

/// The fields of an Invoice the emulator keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invoice {
    pub doc_number: Option<String>,
    pub txn_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub customer_id: u64,
    pub currency: String,
    pub private_note: Option<String>,
    pub customer_memo: Option<String>,
    pub bill_email: Option<String>,
    pub lines: Vec<SalesLine>,
    pub total: Decimal,
    pub balance: Decimal,
    /// Payments applied to it, oldest first.
    pub payments: Vec<u64>,
}

impl Invoice {
    /// The invoice a create (`existing` = `None`) or an update makes. `sparse` keeps what the
    /// body leaves out; payments already applied always stay.
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
                let customer = lookup
                    .customer(&id)
                    .filter(|customer| customer.body.active)
                    .ok_or_else(|| QboFault::invalid_reference("CustomerRef", "Customer", &id))?;
                customer.id
            }
            (None, Some(existing)) if keep("CustomerRef") => existing.customer_id,
            (None, _) => return Err(QboFault::required("CustomerRef")),
        };
        let paid = existing.map_or(Decimal::ZERO, |existing| existing.total.sub(existing.balance));
        if let Some(existing) = existing
            && existing.customer_id != customer_id
            && !existing.payments.is_empty()
        {
            return Err(QboFault::business(
                Some("CustomerRef"),
                "the customer of an invoice with payments applied cannot change",
            ));
        }
        let currency = lookup.customer(&customer_id.to_string()).map_or_else(String::new, |c| c.body.currency.clone());
        if let Some(requested) = input.reference("CurrencyRef")?
            && !requested.eq_ignore_ascii_case(&currency)
        {
            return Err(QboFault::business(
                Some("CurrencyRef"),
                format!("the transaction currency {requested} must be the customer's currency {currency}"),
            ));
        }
        let lines = match (input.objects("Line")?, existing) {
            (Some(lines), _) => parse_lines(&lines, lookup)?,
            (None, Some(existing)) if keep("Line") => existing.lines.clone(),
            (None, _) => Vec::new(),
        };
        if lines.is_empty() {
            return Err(QboFault::required("Line"));
        }
        let total = lines.iter().fold(Decimal::ZERO, |sum, line| sum.add(line.amount));
        if total.is_negative() {
            return Err(QboFault::business(Some("Line"), "the invoice total cannot be negative"));
        }
        if total < paid {
            return Err(QboFault::business(
                Some("Line"),
                format!("the invoice total {total} cannot be less than the {paid} already paid"),
            ));
        }
        let text = |key: &str, current: Option<&String>| -> Result<Option<String>, QboFault> {
            if keep(key) { Ok(current.cloned()) } else { input.text(key) }
        };
        let doc_number = text("DocNumber", existing.and_then(|e| e.doc_number.as_ref()))?;
        if let Some(doc_number) = &doc_number
            && doc_number.chars().count() > DOC_NUMBER_MAX
        {
            return Err(QboFault::too_long("DocNumber", DOC_NUMBER_MAX, doc_number.chars().count()));
        }
        let bill_email = if keep("BillEmail") {
            existing.and_then(|e| e.bill_email.clone())
        } else {
            let email = input.email("BillEmail")?;
            if let Some(email) = &email {
                super::customer::check_email(email, "BillEmail.Address")?;
            }
            email
        };
        let customer_memo = if keep("CustomerMemo") {
            existing.and_then(|e| e.customer_memo.clone())
        } else {
            input.reference("CustomerMemo")?
        };
        Ok(Self {
            doc_number,
            txn_date: match input.date("TxnDate")? {
                Some(date) => date,
                None => existing.filter(|_| keep("TxnDate")).map_or(today, |e| e.txn_date),
            },
            due_date: if keep("DueDate") { existing.and_then(|e| e.due_date) } else { input.date("DueDate")? },
            customer_id,
            currency,
            private_note: text("PrivateNote", existing.and_then(|e| e.private_note.as_ref()))?,
            customer_memo,
            bill_email,
            lines,
            total,
            balance: total.sub(paid),
            payments: existing.map(|e| e.payments.clone()).unwrap_or_default(),
        })
    }

    /// The JSON QBO returns.
    pub fn render(record: &Record<Self>, lookup: &dyn Lookup) -> Value {
        let invoice = &record.body;
        let mut object = record.header();
        let mut put = |key: &str, value: Value| {
            object.insert(key.to_owned(), value);
        };
        if let Some(doc_number) = &invoice.doc_number {
            put("DocNumber", json!(doc_number));
        }
        put("TxnDate", json!(invoice.txn_date.to_string()));
        put("DueDate", json!(invoice.due_date.unwrap_or(invoice.txn_date).to_string()));
        put("CurrencyRef", reference(&invoice.currency, Some(currency_name(&invoice.currency))));
        if let Some(note) = &invoice.private_note {
            put("PrivateNote", json!(note));
        }
        if let Some(memo) = &invoice.customer_memo {
            put("CustomerMemo", json!({"value": memo}));
        }
        let linked: Vec<Value> =
            invoice.payments.iter().map(|id| json!({"TxnId": id.to_string(), "TxnType": "Payment"})).collect();
        put("LinkedTxn", Value::Array(linked));
        let mut lines: Vec<Value> =
            invoice.lines.iter().enumerate().map(|(index, line)| render_line(index + 1, line, lookup)).collect();
        lines.push(
            json!({"Amount": invoice.total.to_json(), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}),
        );
        put("Line", Value::Array(lines));
        put("TxnTaxDetail", json!({"TotalTax": 0}));
        let customer_name = lookup.customer(&invoice.customer_id.to_string()).map(|c| c.body.display_name.clone());
        put("CustomerRef", reference(invoice.customer_id, customer_name.as_deref()));
        if let Some(email) = &invoice.bill_email {
            put("BillEmail", json!({"Address": email}));
        }
        put("TotalAmt", invoice.total.to_json());
        put("Balance", invoice.balance.to_json());
        put("ApplyTaxAfterDiscount", json!(false));
        put("PrintStatus", json!("NotSet"));
        put("EmailStatus", json!("NotSet"));
        Value::Object(object)
    }
}

fn render_line(number: usize, line: &SalesLine, lookup: &dyn Lookup) -> Value {
    let item_name = lookup.item(&line.item_id.to_string()).map(|item| item.body.name.clone());
    let mut detail = json!({
        "ItemRef": reference(line.item_id, item_name.as_deref()),
        "TaxCodeRef": {"value": "NON"},
    });
    if let Some(qty) = line.qty {
        detail["Qty"] = qty.to_json();
    }
    if let Some(unit_price) = line.unit_price {
        detail["UnitPrice"] = unit_price.to_json();
    }
    if let Some(date) = line.service_date {
        detail["ServiceDate"] = json!(date.to_string());
    }
    let mut rendered = json!({
        "Id": number.to_string(),
        "LineNum": number,
        "Amount": line.amount.to_json(),
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": detail,
    });
    if let Some(description) = &line.description {
        rendered["Description"] = json!(description);
    }
    rendered
}

/// The sales lines of a body; `SubTotalLineDetail` lines (which QBO computes) are skipped.
fn parse_lines(lines: &[Nested<'_>], lookup: &dyn Lookup) -> Result<Vec<SalesLine>, QboFault> {
    let mut parsed = Vec::with_capacity(lines.len());
    for nested in lines {
        let line = nested.input();
        let detail_type = line.text("DetailType")?.ok_or_else(|| QboFault::required(&line.element("DetailType")))?;
        match detail_type.as_str() {
            "SubTotalLineDetail" => continue,
            "SalesItemLineDetail" => {}
            other => {
                return Err(QboFault::unsupported(format!(
                    "{} {other} is not served by the emulator (SalesItemLineDetail and SubTotalLineDetail are)",
                    line.element("DetailType")
                )));
            }
        }
        let detail = line
            .object("SalesItemLineDetail")?
            .ok_or_else(|| QboFault::required(&line.element("SalesItemLineDetail")))?;
        let detail = detail.input();
        let amount = line.decimal("Amount")?.ok_or_else(|| QboFault::required(&line.element("Amount")))?;
        if amount.places() > 2 {
            return Err(QboFault::business(
                Some(&line.element("Amount")),
                format!("the amount {amount} has more than 2 decimal places"),
            ));
        }
        let item_ref = detail.reference("ItemRef")?.ok_or_else(|| QboFault::required(&detail.element("ItemRef")))?;
        let item = lookup
            .item(&item_ref)
            .filter(|item| item.body.active)
            .ok_or_else(|| QboFault::invalid_reference(&detail.element("ItemRef"), "Item", &item_ref))?;
        let qty = detail.decimal("Qty")?;
        let unit_price = detail.decimal("UnitPrice")?;
        if let (Some(qty), Some(unit_price)) = (qty, unit_price)
            && qty.times_to_cents(unit_price) != amount
        {
            return Err(QboFault::amount_mismatch(&line.element("Amount"), &amount.to_string()));
        }
        parsed.push(SalesLine {
            description: line.text("Description")?,
            amount,
            item_id: item.id,
            qty,
            unit_price,
            service_date: detail.date("ServiceDate")?,
        });
    }
    Ok(parsed)
}
