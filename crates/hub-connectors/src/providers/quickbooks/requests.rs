//! Every request the connector makes, as QBO documents them: paths under
//! `/v3/company/{realmId}`, the `minorversion` every call carries, the query language with quoted
//! literals, and `requestid` on creates (which makes them safe to resend).

use serde_json::{Value, json};

use super::NewInvoice;
use crate::source::{ApiRequest, ConnectorError};

/// The Accounting API minor version the connector is written against.
pub const MINOR_VERSION: &str = "75";
/// The page size of query reads (QBO's default is 100, its maximum 1000).
pub const MAX_RESULTS: u32 = 100;
/// QBO's limit on `DocNumber`.
const DOC_NUMBER_MAX: usize = 21;

/// A string literal of the query language: single quotes, with `\` and `'` escaped.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// `GET /v3/company/{realm}/query?query=…`.
pub(crate) fn query(realm: &str, statement: &str) -> ApiRequest {
    ApiRequest::get(format!("/v3/company/{realm}/query"))
        .query("query", statement)
        .query("minorversion", MINOR_VERSION)
        .header("Accept", "application/json")
}

/// `POST /v3/company/{realm}/{entity}?requestid=…`: a create QBO answers once per request id.
pub(crate) fn create(realm: &str, entity: &str, body: Value, request_id: &str) -> ApiRequest {
    let mut request = ApiRequest::post(format!("/v3/company/{realm}/{entity}"), body)
        .query("requestid", request_id)
        .query("minorversion", MINOR_VERSION)
        .header("Accept", "application/json");
    request.idempotent_write = true;
    request
}

/// An amount as the JSON number QBO reads, written from its exact decimal text.
fn amount(value: rust_decimal::Decimal) -> Result<Value, ConnectorError> {
    let text = value.round_dp(2).normalize().to_string();
    serde_json::from_str::<serde_json::Number>(&text)
        .map(Value::Number)
        .map_err(|_| ConnectorError::Unsupported(format!("{value} is not an amount QuickBooks can take")))
}

/// The body of an invoice create: `SalesItemLineDetail` lines referencing items.
pub(crate) fn invoice_body(invoice: &NewInvoice) -> Result<Value, ConnectorError> {
    if invoice.doc_number.is_empty() || invoice.doc_number.chars().count() > DOC_NUMBER_MAX {
        return Err(ConnectorError::Unsupported(format!(
            "DocNumber `{}` must be 1 to {DOC_NUMBER_MAX} characters",
            invoice.doc_number
        )));
    }
    let mut lines = Vec::with_capacity(invoice.lines.len());
    for line in &invoice.lines {
        lines.push(json!({
            "DetailType": "SalesItemLineDetail",
            "Amount": amount(line.amount)?,
            "Description": line.description,
            "SalesItemLineDetail": {
                "ItemRef": {"value": line.item_id},
                "ServiceDate": line.service_date.to_string(),
            },
        }));
    }
    let mut body = json!({
        "DocNumber": invoice.doc_number,
        "TxnDate": invoice.txn_date.to_string(),
        "CustomerRef": {"value": invoice.customer_id},
        "PrivateNote": invoice.private_note,
        "Line": lines,
    });
    if let Some(due) = invoice.due_date {
        body["DueDate"] = json!(due.to_string());
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_quoted_and_escaped() {
        assert_eq!(quote("North Shears LLC"), "'North Shears LLC'");
        assert_eq!(quote("O'Hare Cuts"), r"'O\'Hare Cuts'");
        assert_eq!(quote(r"a\b"), r"'a\\b'");
    }

    #[test]
    fn creates_carry_a_request_id_and_are_resendable() {
        let request = create("9130", "invoice", json!({}), "rst_1");
        assert_eq!(request.path, "/v3/company/9130/invoice");
        assert!(request.query.contains(&("requestid".to_owned(), "rst_1".to_owned())));
        assert!(request.idempotent_write);
        assert!(!query("9130", "select * from Invoice").idempotent_write);
    }

    #[test]
    fn amounts_are_exact_numbers() {
        assert_eq!(amount("1234.50".parse().expect("decimal")).ok(), Some(json!(1234.5)));
        assert_eq!(amount("-12.34".parse().expect("decimal")).ok(), Some(json!(-12.34)));
    }
}
