//! Storage of franchise agreements, exchange rates, royalty statements with their traces, and
//! the provider accounts connections were granted for.
//!
//! The store keeps statements; `hub-analytics` computes them. A draft is saved whole (lines and
//! trace replaced in one transaction), so recomputing is idempotent; an issued statement is never
//! written again except for its invoice fields and its paid status.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use hub_core::access::TenantScope;
use hub_core::id::{ConnectionId, FranchiseeId, LocationId, NetworkId, RecordId, RoyaltyStatementId};
use hub_core::page::{Page, PageRequest};
use hub_core::royalties::{
    Agreement, AppliedRate, Consolidated, ExchangeRate, NewAgreement, RoyaltyStatement, StatementLine, StatementStatus,
    TracedSale,
};
use hub_core::tenancy::Currency;
use rust_decimal::Decimal;

use crate::{ChangeContext, StoreResult};

/// Which statements a list returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatementFilter {
    pub franchisee_id: Option<FranchiseeId>,
    /// Only the statement of the period starting this day.
    pub period_start: Option<NaiveDate>,
    /// Only periods starting on or after this day.
    pub period_from: Option<NaiveDate>,
    /// Only periods starting on or before this day.
    pub period_to: Option<NaiveDate>,
    pub status: Option<StatementStatus>,
}

/// A computed statement to save as the draft of its (franchisee, period).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementDraft {
    pub franchisee_id: FranchiseeId,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub currency: Currency,
    pub lines: Vec<StatementLine>,
    pub total: Decimal,
    pub sales_base: Decimal,
    pub consolidated: Consolidated,
    pub exchange_rates: Vec<AppliedRate>,
    pub agreement: Agreement,
    pub locations: Vec<LocationId>,
    pub source_seq: i64,
    /// Every sale the lines count, per period.
    pub trace: Vec<TracedSale>,
}

/// A stored sale as the royalty engine reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleRow {
    pub record_id: RecordId,
    pub location_id: LocationId,
    pub occurred_at: DateTime<Utc>,
    /// [`hub_core::records::RecordData::to_json`] of the sale.
    pub data: String,
}

/// Where a sale that changed after some change-feed position belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedSale {
    pub record_id: RecordId,
    pub location_id: LocationId,
    pub occurred_at: DateTime<Utc>,
}

/// What the accounting system says about a statement's invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceUpdate {
    pub invoice_id: String,
    pub invoice_number: Option<String>,
    /// `open`, `partially_paid` or `paid`; `paid` moves an issued statement to paid.
    pub invoice_status: String,
    pub invoice_balance: Decimal,
}

/// Storage for royalties.
#[async_trait]
pub trait RoyaltyStore: Send + Sync {
    /// Creates an agreement for a franchisee in scope (network scope only). An open-ended
    /// agreement that started earlier is ended the day before the new one starts; any other
    /// overlap is a conflict.
    async fn create_agreement(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        new: NewAgreement,
    ) -> StoreResult<Agreement>;
    /// Agreements in scope (of one franchisee, if named), by id.
    async fn list_agreements(
        &self,
        scope: &TenantScope,
        franchisee_id: Option<&FranchiseeId>,
        page: &PageRequest,
    ) -> StoreResult<Page<Agreement>>;
    /// The agreement of a franchisee in scope that covers `date`.
    async fn agreement_on(
        &self,
        scope: &TenantScope,
        franchisee_id: &FranchiseeId,
        date: NaiveDate,
    ) -> StoreResult<Option<Agreement>>;

    /// Records an exchange rate (network scope only); a second rate for the same pair and date
    /// is a conflict.
    async fn add_exchange_rate(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        rate: ExchangeRate,
    ) -> StoreResult<ExchangeRate>;
    /// The network's rates, newest date first, then by pair.
    async fn list_exchange_rates(&self, scope: &TenantScope, page: &PageRequest) -> StoreResult<Page<ExchangeRate>>;
    /// The latest rate from `from` to `to` dated on or before `on`.
    async fn exchange_rate_on(
        &self,
        network_id: &NetworkId,
        from: Currency,
        to: Currency,
        on: NaiveDate,
    ) -> StoreResult<Option<ExchangeRate>>;

    /// The network's change-feed head: read it before the sales, and every later change to them
    /// has a higher sequence number.
    async fn change_head(&self, network_id: &NetworkId) -> StoreResult<i64>;
    /// Live sales of a location in scope with `from <= occurred_at < to`.
    async fn sales_between(
        &self,
        scope: &TenantScope,
        location_id: &LocationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<SaleRow>>;
    /// Sales of a franchisee in scope created, changed or deleted after change `after_seq`.
    async fn sales_changed_after(
        &self,
        scope: &TenantScope,
        franchisee_id: &FranchiseeId,
        after_seq: i64,
    ) -> StoreResult<Vec<ChangedSale>>;

    /// Saves the draft of (franchisee, period), replacing an earlier draft's lines and trace
    /// (keeping its id); a conflict if that period is already issued.
    async fn save_statement_draft(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        draft: StatementDraft,
    ) -> StoreResult<RoyaltyStatement>;
    /// Freezes a draft; a statement already issued (or paid) is returned as it is, with `false`.
    async fn issue_statement(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        id: &RoyaltyStatementId,
    ) -> StoreResult<(RoyaltyStatement, bool)>;
    async fn get_statement(&self, scope: &TenantScope, id: &RoyaltyStatementId) -> StoreResult<RoyaltyStatement>;
    /// The statement of (franchisee, period), if computed.
    async fn find_statement(
        &self,
        scope: &TenantScope,
        franchisee_id: &FranchiseeId,
        period_start: NaiveDate,
    ) -> StoreResult<Option<RoyaltyStatement>>;
    /// Statements in scope, by id.
    async fn list_statements(
        &self,
        scope: &TenantScope,
        filter: &StatementFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<RoyaltyStatement>>;
    /// Every statement in scope that `filter` matches, by id (all pages of
    /// [`RoyaltyStore::list_statements`]), for reports and exports.
    async fn all_statements(
        &self,
        scope: &TenantScope,
        filter: &StatementFilter,
    ) -> StoreResult<Vec<RoyaltyStatement>> {
        let mut statements = Vec::new();
        let mut page = PageRequest { limit: hub_core::page::MAX_LIMIT, after: None };
        loop {
            let found = self.list_statements(scope, filter, &page).await?;
            statements.extend(found.items);
            match found.next_cursor {
                Some(cursor) => {
                    page.after = Some(hub_core::page::decode_cursor(&cursor).map_err(|error| {
                        crate::StoreError::Corrupt(format!("statement page cursor: {}", error.reason))
                    })?)
                }
                None => return Ok(statements),
            }
        }
    }
    /// Every issued or paid statement of a franchisee, by period.
    async fn issued_statements(
        &self,
        scope: &TenantScope,
        franchisee_id: &FranchiseeId,
    ) -> StoreResult<Vec<RoyaltyStatement>>;
    /// The sales a statement traced for `period_start`, by record id.
    async fn list_traced_sales(
        &self,
        scope: &TenantScope,
        id: &RoyaltyStatementId,
        period_start: NaiveDate,
        page: &PageRequest,
    ) -> StoreResult<Page<TracedSale>>;
    /// What every issued or paid statement of a franchisee traced for `period_start`: the base
    /// already billed per sale is the sum of these.
    async fn billed_traces(
        &self,
        scope: &TenantScope,
        franchisee_id: &FranchiseeId,
        period_start: NaiveDate,
    ) -> StoreResult<Vec<TracedSale>>;
    /// Records what the accounting system says of an issued statement's invoice.
    async fn record_invoice(
        &self,
        network_id: &NetworkId,
        id: &RoyaltyStatementId,
        update: InvoiceUpdate,
    ) -> StoreResult<RoyaltyStatement>;
    /// Issued statements with an invoice not yet paid, across networks, oldest first (the
    /// read-back schedule's work list).
    async fn statements_awaiting_payment(&self, limit: u32) -> StoreResult<Vec<RoyaltyStatement>>;

    /// Remembers the provider's account id a connection was granted for.
    async fn set_provider_account(
        &self,
        network_id: &NetworkId,
        connection_id: &ConnectionId,
        provider: &str,
        account_id: &str,
    ) -> StoreResult<()>;
    /// The provider's account id of a connection, if the provider named one.
    async fn provider_account(
        &self,
        network_id: &NetworkId,
        connection_id: &ConnectionId,
    ) -> StoreResult<Option<String>>;
}
