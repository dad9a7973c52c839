//! QuickBooks Online: writes royalty invoices into the franchisor's QBO company and reads their
//! balances back, through QBO's Accounting API (`/v3/company/{realmId}/…`, `minorversion` 75).
//!
//! Unlike Square this connector writes, so it is a client rather than a [`SourceConnector`]: the
//! caller (the royalty invoicing job in `hub-analytics`) hands it a [`ProviderApi`] for the
//! franchisor's network-level connection — which adds the access token, refreshes it (rotating
//! refresh tokens), applies the catalog's 500/min rate limit and retries 429s and 5xx through the
//! resilient stack — and the company's `realmId`, which QBO sends beside the authorization code.
//!
//! The folder follows the connector layout:
//! - `mod.rs` — [`QuickBooksClient`]: find-or-create customers and items, create invoices,
//!   read invoices back;
//! - `requests.rs` — every request as QBO documents it (query language, `STARTPOSITION` /
//!   `MAXRESULTS` paging, `requestid`);
//! - `wire.rs` — serde types of exactly the fields read;
//! - `errors.rs` — QBO's `Fault` envelope → [`ConnectorError`].
//!
//! Idempotency: every create carries a `requestid` derived from what it creates (the statement id
//! for an invoice), so a retried create answers the first result; an invoice is also looked up by
//! its `DocNumber` first, so a retry after the first answer was lost finds it. Customers and items
//! are unique by name in QBO (6240), so they are found by name before they are created.
//!
//! Facts come from `../shared/providers/quickbooks-online.md` and `../shared/specs/quickbooks/`.
//!
//! [`SourceConnector`]: crate::source::SourceConnector

mod errors;
mod requests;
mod wire;

use chrono::NaiveDate;
use hub_core::tenancy::Currency;
use rust_decimal::Decimal;
use serde_json::json;

pub use requests::{MAX_RESULTS, MINOR_VERSION, quote};

use crate::source::{ConnectorError, ProviderApi};
use wire::{CustomerEnvelope, CustomerPage, InvoiceEnvelope, InvoicePage, ItemEnvelope, ItemPage, QueryEnvelope};

/// The catalog id of the provider, and the `provider` of every error this connector returns.
pub const PROVIDER: &str = "quickbooks-online";

/// One line of an invoice: an item sold for an amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    pub item_id: String,
    pub description: String,
    /// At most two decimals; may be negative (a credit) as long as the invoice total is not.
    pub amount: Decimal,
    pub service_date: NaiveDate,
}

/// An invoice to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvoice {
    /// QBO's `requestid`: the same value answers the first result again.
    pub request_id: String,
    /// At most 21 characters; how the invoice is found again.
    pub doc_number: String,
    pub customer_id: String,
    pub txn_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub private_note: String,
    pub lines: Vec<InvoiceLine>,
}

/// An invoice as QBO reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceState {
    pub id: String,
    pub doc_number: Option<String>,
    pub total: Decimal,
    pub balance: Decimal,
}

impl InvoiceState {
    /// `paid` (nothing left to pay), `partially_paid` or `open`.
    pub fn status(&self) -> &'static str {
        if self.balance <= Decimal::ZERO {
            "paid"
        } else if self.balance < self.total {
            "partially_paid"
        } else {
            "open"
        }
    }
}

impl From<wire::Invoice> for InvoiceState {
    fn from(invoice: wire::Invoice) -> Self {
        Self { id: invoice.id, doc_number: invoice.doc_number, total: invoice.total, balance: invoice.balance }
    }
}

/// QBO's Accounting API for one company.
pub struct QuickBooksClient<'a> {
    api: &'a dyn ProviderApi,
    realm: String,
}

fn is_duplicate_name(error: &ConnectorError) -> bool {
    matches!(error, ConnectorError::Rejected { message, .. } if message.contains(" 6240"))
}

impl<'a> QuickBooksClient<'a> {
    /// A client for company `realm` (its `realmId`), refusing ids that cannot be one.
    pub fn new(api: &'a dyn ProviderApi, realm: &str) -> Result<Self, ConnectorError> {
        if realm.is_empty()
            || realm.len() > 64
            || !realm.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ConnectorError::Unsupported(format!("`{realm}` is not a QuickBooks company id (realmId)")));
        }
        Ok(Self { api, realm: realm.to_owned() })
    }

    async fn query<T: serde::de::DeserializeOwned>(&self, statement: String, what: &str) -> Result<T, ConnectorError> {
        let response = self.api.send(requests::query(&self.realm, &statement)).await?;
        let envelope: QueryEnvelope<T> = errors::read(&response, what)?;
        Ok(envelope.response)
    }

    async fn create<T: serde::de::DeserializeOwned>(
        &self,
        entity: &str,
        body: serde_json::Value,
        request_id: &str,
    ) -> Result<T, ConnectorError> {
        let response = self.api.send(requests::create(&self.realm, entity, body, request_id)).await?;
        errors::read(&response, entity)
    }

    /// The id of the customer named `display_name`, created (in `currency`) if there is none.
    pub async fn find_or_create_customer(
        &self,
        display_name: &str,
        currency: Currency,
        request_id: &str,
    ) -> Result<String, ConnectorError> {
        let find = || async {
            let statement = format!("select * from Customer where DisplayName = {}", quote(display_name));
            let page: CustomerPage = self.query(statement, "Customer query").await?;
            Ok::<_, ConnectorError>(page.customers.into_iter().find(|c| c.display_name == display_name).map(|c| c.id))
        };
        if let Some(id) = find().await? {
            return Ok(id);
        }
        let body = json!({
            "DisplayName": display_name,
            "CompanyName": display_name,
            "CurrencyRef": {"value": currency.as_str()},
        });
        match self.create::<CustomerEnvelope>("customer", body, request_id).await {
            Ok(created) => Ok(created.customer.id),
            // Someone created it between the query and the create: take theirs.
            Err(error) if is_duplicate_name(&error) => find().await?.ok_or(error),
            Err(error) => Err(error),
        }
    }

    /// The id of the service item named `name`, created if there is none.
    pub async fn find_or_create_item(&self, name: &str, request_id: &str) -> Result<String, ConnectorError> {
        let find = || async {
            let statement = format!("select * from Item where Name = {}", quote(name));
            let page: ItemPage = self.query(statement, "Item query").await?;
            Ok::<_, ConnectorError>(page.items.into_iter().next().map(|item| item.id))
        };
        if let Some(id) = find().await? {
            return Ok(id);
        }
        let body = json!({"Name": name, "Type": "Service"});
        match self.create::<ItemEnvelope>("item", body, request_id).await {
            Ok(created) => Ok(created.item.id),
            Err(error) if is_duplicate_name(&error) => find().await?.ok_or(error),
            Err(error) => Err(error),
        }
    }

    /// The invoice with `doc_number`, if there is one.
    pub async fn find_invoice(&self, doc_number: &str) -> Result<Option<InvoiceState>, ConnectorError> {
        let statement = format!("select * from Invoice where DocNumber = {}", quote(doc_number));
        let page: InvoicePage = self.query(statement, "Invoice query").await?;
        Ok(page.invoices.into_iter().next().map(InvoiceState::from))
    }

    /// Creates the invoice, or finds the one an earlier attempt created (same `DocNumber`, or the
    /// same `requestid`).
    pub async fn create_invoice(&self, invoice: &NewInvoice) -> Result<InvoiceState, ConnectorError> {
        if let Some(existing) = self.find_invoice(&invoice.doc_number).await? {
            return Ok(existing);
        }
        let body = requests::invoice_body(invoice)?;
        let created: InvoiceEnvelope = self.create("invoice", body, &invoice.request_id).await?;
        Ok(created.invoice.into())
    }

    /// The invoices with these ids (those QBO still has), read page by page with
    /// `STARTPOSITION` / `MAXRESULTS`.
    pub async fn invoices(&self, ids: &[String]) -> Result<Vec<InvoiceState>, ConnectorError> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(MAX_RESULTS as usize) {
            let list = chunk.iter().map(|id| quote(id)).collect::<Vec<_>>().join(", ");
            let mut start = 1_u32;
            loop {
                let statement = format!(
                    "select * from Invoice where Id in ({list}) STARTPOSITION {start} MAXRESULTS {MAX_RESULTS}"
                );
                let page: InvoicePage = self.query(statement, "Invoice query").await?;
                let count = page.invoices.len() as u32;
                found.extend(page.invoices.into_iter().map(InvoiceState::from));
                if count < MAX_RESULTS {
                    break;
                }
                start += MAX_RESULTS;
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::source::{ApiRequest, ApiResponse};

    /// Answers queries over a fixed set of invoices the way QBO pages them, recording each query.
    struct Company {
        invoices: Vec<String>,
        queries: Mutex<Vec<String>>,
    }

    #[async_trait::async_trait]
    impl ProviderApi for Company {
        async fn send(&self, request: ApiRequest) -> Result<ApiResponse, ConnectorError> {
            let statement =
                request.query.iter().find(|(key, _)| key == "query").map(|(_, v)| v.clone()).unwrap_or_default();
            self.queries.lock().expect("lock").push(statement.clone());
            let ids: Vec<&str> = statement.split('\'').skip(1).step_by(2).collect();
            let start: usize = statement
                .split("STARTPOSITION ")
                .nth(1)
                .and_then(|rest| rest.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(1);
            let matching: Vec<serde_json::Value> = self
                .invoices
                .iter()
                .filter(|id| ids.contains(&id.as_str()))
                .skip(start - 1)
                .take(MAX_RESULTS as usize)
                .map(|id| json!({"Id": id, "TotalAmt": 10.5, "Balance": 0}))
                .collect();
            let body = json!({"QueryResponse": {"Invoice": matching, "startPosition": start}});
            Ok(ApiResponse { status: 200, headers: Vec::new(), body: body.to_string().into_bytes() })
        }
    }

    #[tokio::test]
    async fn invoices_are_read_in_pages_of_at_most_max_results() {
        let company = Company { invoices: (1..=150).map(|n| n.to_string()).collect(), queries: Mutex::new(Vec::new()) };
        let client = QuickBooksClient::new(&company, "9130").expect("realm");
        let wanted: Vec<String> = (1..=150).map(|n| n.to_string()).collect();
        let found = client.invoices(&wanted).await.expect("invoices");
        assert_eq!(found.len(), 150);
        assert!(found.iter().all(|invoice| invoice.status() == "paid" && invoice.total.to_string() == "10.50"));
        let queries = company.queries.lock().expect("lock").clone();
        // 100 ids: a full page, then an empty one; then the other 50.
        assert_eq!(queries.len(), 3, "{queries:?}");
        assert!(queries[0].contains("STARTPOSITION 1 MAXRESULTS 100"));
        assert!(queries[1].contains("STARTPOSITION 101 MAXRESULTS 100"));
        assert!(queries[2].contains("'150'") && queries[2].contains("STARTPOSITION 1 "));
        assert!(QuickBooksClient::new(&company, "93' or 1=1").is_err(), "a realm is an id, not SQL");
    }

    #[test]
    fn status_follows_the_balance() {
        let state = |balance: &str| InvoiceState {
            id: "1".into(),
            doc_number: None,
            total: "100.00".parse().expect("decimal"),
            balance: balance.parse().expect("decimal"),
        };
        assert_eq!(state("100.00").status(), "open");
        assert_eq!(state("40.00").status(), "partially_paid");
        assert_eq!(state("0").status(), "paid");
    }
}
