//! Serde types of exactly the QuickBooks Online fields the connector reads (entity schemas in
//! `../shared/specs/quickbooks/Finance.xsd`; JSON names as the API renders them).

use rust_decimal::Decimal;
use serde::Deserialize;

/// `{"Fault": …}`, on errors (and sometimes on a 200).
#[derive(Debug, Deserialize)]
pub(crate) struct FaultEnvelope {
    #[serde(rename = "Fault")]
    pub fault: Option<Fault>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Fault {
    #[serde(rename = "Error", default)]
    pub errors: Vec<FaultError>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FaultError {
    #[serde(rename = "Message")]
    pub message: Option<String>,
    #[serde(rename = "Detail")]
    pub detail: Option<String>,
    pub code: Option<String>,
    pub element: Option<String>,
}

/// `{"QueryResponse": {...}}`.
#[derive(Debug, Deserialize)]
pub(crate) struct QueryEnvelope<T> {
    #[serde(rename = "QueryResponse")]
    pub response: T,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CustomerPage {
    #[serde(rename = "Customer", default)]
    pub customers: Vec<Customer>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ItemPage {
    #[serde(rename = "Item", default)]
    pub items: Vec<Item>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct InvoicePage {
    #[serde(rename = "Invoice", default)]
    pub invoices: Vec<Invoice>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CustomerEnvelope {
    #[serde(rename = "Customer")]
    pub customer: Customer,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ItemEnvelope {
    #[serde(rename = "Item")]
    pub item: Item,
}

#[derive(Debug, Deserialize)]
pub(crate) struct InvoiceEnvelope {
    #[serde(rename = "Invoice")]
    pub invoice: Invoice,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Customer {
    #[serde(rename = "Id")]
    pub id: String,
    #[serde(rename = "DisplayName")]
    pub display_name: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Item {
    #[serde(rename = "Id")]
    pub id: String,
}

/// QBO renders amounts as JSON numbers; they are read as exact decimals.
#[derive(Debug, Deserialize)]
pub(crate) struct Invoice {
    #[serde(rename = "Id")]
    pub id: String,
    #[serde(rename = "DocNumber")]
    pub doc_number: Option<String>,
    #[serde(rename = "TotalAmt", deserialize_with = "amount")]
    pub total: Decimal,
    #[serde(rename = "Balance", deserialize_with = "amount")]
    pub balance: Decimal,
}

/// An amount QBO sends as a JSON number (`1234.5`): its shortest decimal text is the exact amount
/// for anything in cents, so it is read from that text, never through arithmetic on a float.
fn amount<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    let text = number.to_string();
    let parsed = Decimal::from_str_exact(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| serde::de::Error::custom(format!("`{text}` is not an amount")))?;
    let mut cents = parsed.round_dp(2);
    cents.rescale(2);
    Ok(cents)
}
