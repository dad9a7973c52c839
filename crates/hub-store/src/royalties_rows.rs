//! Row shapes of the royalty tables and their conversion into domain types. A row that does not
//! parse back surfaces as [`StoreError::Corrupt`], never a panic.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use hub_core::id::{AgreementId, FranchiseeId, LocationId, NetworkId, RecordId, RoyaltyStatementId};
use hub_core::royalties::{
    Agreement, AgreementTerms, AppliedRate, Consolidated, ExchangeRate, RoyaltyStatement, StatementLine,
    StatementStatus, TracedSale,
};
use hub_core::tenancy::Currency;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::StoreError;
use crate::royalties::{ChangedSale, SaleRow, StatementDraft};

fn corrupt(column: &str, text: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{column} `{text}`: {why}"))
}

fn parsed<T, E: std::fmt::Display>(
    column: &str,
    text: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, StoreError> {
    parse(text).map_err(|error| corrupt(column, text, error))
}

fn decimal(column: &str, text: &str) -> Result<Decimal, StoreError> {
    parsed(column, text, Decimal::from_str)
}

macro_rules! agreement_columns {
    () => {
        "network_id, id, franchisee_id, effective_from, effective_to, terms, created_at"
    };
}
macro_rules! statement_columns {
    () => {
        "network_id, id, franchisee_id, period_start, period_end, status, currency, total, content, source_seq, \
         computed_at, issued_at, paid_at, invoice_id, invoice_number, invoice_status, invoice_balance, created_at, \
         updated_at"
    };
}
macro_rules! trace_columns {
    () => {
        "period_start, record_id, location_id, local_date, currency, base"
    };
}
pub(crate) use {agreement_columns, statement_columns, trace_columns};

/// The stored form of agreement terms.
pub(crate) fn terms_json(terms: &AgreementTerms) -> String {
    serde_json::to_string(terms).expect("terms serialize: plain fields")
}

#[derive(sqlx::FromRow)]
pub(crate) struct AgreementRow {
    pub network_id: String,
    pub id: String,
    pub franchisee_id: String,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub terms: String,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<AgreementRow> for Agreement {
    type Error = StoreError;
    fn try_from(row: AgreementRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: parsed("royalty_agreements.id", &row.id, AgreementId::parse)?,
            network_id: parsed("royalty_agreements.network_id", &row.network_id, NetworkId::parse)?,
            franchisee_id: parsed("royalty_agreements.franchisee_id", &row.franchisee_id, FranchiseeId::parse)?,
            effective_from: row.effective_from,
            effective_to: row.effective_to,
            terms: parsed("royalty_agreements.terms", &row.id, |_| serde_json::from_str(&row.terms))?,
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ExchangeRateRow {
    pub from_currency: String,
    pub to_currency: String,
    pub rate_date: NaiveDate,
    pub rate: String,
    pub source: String,
}

impl TryFrom<ExchangeRateRow> for ExchangeRate {
    type Error = StoreError;
    fn try_from(row: ExchangeRateRow) -> Result<Self, StoreError> {
        Ok(Self {
            from: parsed("exchange_rates.from_currency", &row.from_currency, Currency::parse)?,
            to: parsed("exchange_rates.to_currency", &row.to_currency, Currency::parse)?,
            rate: decimal("exchange_rates.rate", &row.rate)?,
            rate_date: row.rate_date,
            source: row.source,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SaleDataRow {
    pub id: String,
    pub location_id: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub data: String,
}

impl TryFrom<SaleDataRow> for SaleRow {
    type Error = StoreError;
    fn try_from(row: SaleDataRow) -> Result<Self, StoreError> {
        let location = row.location_id.as_deref().ok_or_else(|| corrupt("records.location_id", &row.id, "missing"))?;
        Ok(Self {
            record_id: parsed("records.id", &row.id, RecordId::parse)?,
            location_id: parsed("records.location_id", location, LocationId::parse)?,
            occurred_at: row.occurred_at.ok_or_else(|| corrupt("records.occurred_at", &row.id, "missing"))?,
            data: row.data,
        })
    }
}

/// A changed sale placed at a location and instant; sales with neither count towards no period.
pub(crate) fn changed_sale(
    (id, location_id, occurred_at): (String, Option<String>, Option<DateTime<Utc>>),
) -> Result<Option<ChangedSale>, StoreError> {
    let (Some(location_id), Some(occurred_at)) = (location_id, occurred_at) else { return Ok(None) };
    Ok(Some(ChangedSale {
        record_id: parsed("records.id", &id, RecordId::parse)?,
        location_id: parsed("records.location_id", &location_id, LocationId::parse)?,
        occurred_at,
    }))
}

/// What a statement freezes, stored as one JSON document.
#[derive(Serialize, Deserialize)]
pub(crate) struct StatementContent {
    pub lines: Vec<StatementLine>,
    pub sales_base: Decimal,
    pub consolidated: Consolidated,
    pub exchange_rates: Vec<AppliedRate>,
    pub agreement: Agreement,
    pub locations: Vec<LocationId>,
}

impl StatementContent {
    pub fn of_draft(draft: &StatementDraft) -> Self {
        Self {
            lines: draft.lines.clone(),
            sales_base: draft.sales_base,
            consolidated: draft.consolidated.clone(),
            exchange_rates: draft.exchange_rates.clone(),
            agreement: draft.agreement.clone(),
            locations: draft.locations.clone(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("statement content serializes: plain fields")
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct StatementRow {
    pub network_id: String,
    pub id: String,
    pub franchisee_id: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub status: String,
    pub currency: String,
    pub total: String,
    pub content: String,
    pub source_seq: i64,
    pub computed_at: DateTime<Utc>,
    pub issued_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    pub invoice_id: Option<String>,
    pub invoice_number: Option<String>,
    pub invoice_status: Option<String>,
    pub invoice_balance: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<StatementRow> for RoyaltyStatement {
    type Error = StoreError;
    fn try_from(row: StatementRow) -> Result<Self, StoreError> {
        let content: StatementContent =
            parsed("royalty_statements.content", &row.id, |_| serde_json::from_str(&row.content))?;
        Ok(Self {
            id: parsed("royalty_statements.id", &row.id, RoyaltyStatementId::parse)?,
            network_id: parsed("royalty_statements.network_id", &row.network_id, NetworkId::parse)?,
            franchisee_id: parsed("royalty_statements.franchisee_id", &row.franchisee_id, FranchiseeId::parse)?,
            period_start: row.period_start,
            period_end: row.period_end,
            status: StatementStatus::parse(&row.status)
                .ok_or_else(|| corrupt("royalty_statements.status", &row.status, "unknown status"))?,
            currency: parsed("royalty_statements.currency", &row.currency, Currency::parse)?,
            lines: content.lines,
            total: decimal("royalty_statements.total", &row.total)?,
            sales_base: content.sales_base,
            consolidated: content.consolidated,
            exchange_rates: content.exchange_rates,
            agreement: content.agreement,
            locations: content.locations,
            source_seq: row.source_seq,
            computed_at: row.computed_at,
            issued_at: row.issued_at,
            paid_at: row.paid_at,
            invoice_id: row.invoice_id,
            invoice_number: row.invoice_number,
            invoice_status: row.invoice_status,
            invoice_balance: row
                .invoice_balance
                .as_deref()
                .map(|text| decimal("royalty_statements.invoice_balance", text))
                .transpose()?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TraceRow {
    pub period_start: NaiveDate,
    pub record_id: String,
    pub location_id: String,
    pub local_date: NaiveDate,
    pub currency: String,
    pub base: String,
}

impl TryFrom<TraceRow> for TracedSale {
    type Error = StoreError;
    fn try_from(row: TraceRow) -> Result<Self, StoreError> {
        Ok(Self {
            period_start: row.period_start,
            record_id: parsed("royalty_statement_sales.record_id", &row.record_id, RecordId::parse)?,
            location_id: parsed("royalty_statement_sales.location_id", &row.location_id, LocationId::parse)?,
            local_date: row.local_date,
            currency: parsed("royalty_statement_sales.currency", &row.currency, Currency::parse)?,
            base: decimal("royalty_statement_sales.base", &row.base)?,
        })
    }
}

/// Trace rows as one JSON array parameter: `[period_start, record_id, location_id, local_date,
/// currency, base]` each.
pub(crate) fn trace_rows_json(trace: &[TracedSale]) -> String {
    let rows: Vec<serde_json::Value> = trace
        .iter()
        .map(|sale| {
            serde_json::json!([
                sale.period_start.to_string(),
                sale.record_id.as_str(),
                sale.location_id.as_str(),
                sale.local_date.to_string(),
                sale.currency.as_str(),
                sale.base.to_string(),
            ])
        })
        .collect();
    serde_json::Value::Array(rows).to_string()
}
