//! Franchise agreements and royalty statements computed from synced sales, invoiced in the
//! franchisor's QuickBooks Online company.
//!
//! - [`pricing`] — the fee arithmetic of one period (marginal tiers, minimum, ad fund,
//!   technology fee; per-line rounding half away from zero);
//! - [`period`] — which sales a period counts (each location's local date) and their base;
//! - [`rates`] — conversions at stored exchange rates;
//! - [`engine`] — computing a statement, with adjustment lines for earlier issued periods;
//! - [`invoicing`] — the invoice and read-back jobs.
//!
//! [`RoyaltyService`] is what the API, the CLI and the lead's exports and KPIs call. To read
//! statements (exports, KPI "royalty due"), use [`hub_store::RoyaltyStore::list_statements`] with a
//! [`hub_store::StatementFilter`] (franchisee, period range, status): each
//! [`RoyaltyStatement`] carries its lines, `total` in its `currency` and `consolidated.total` in
//! the network's currency; [`RoyaltyService::line_sales`] gives the sales behind a line.

pub mod engine;
pub mod error;
pub mod invoicing;
pub mod period;
pub mod pricing;
pub mod rates;

use std::sync::Arc;

use chrono::NaiveDate;
use hub_core::access::TenantScope;
use hub_core::id::{FranchiseeId, RoyaltyStatementId};
use hub_core::page::{Page, PageRequest};
use hub_core::royalties::{LineKind, RoyaltyStatement, TracedSale};
use hub_jobs::JobQueue;
use hub_store::{ChangeContext, Store, StoreError};
use hub_sync::ProviderAccess;
use hub_webhooks::outbound::Emitter;

pub use error::RoyaltyError;
pub use invoicing::{INVOICE_JOB, ISSUED_EVENT, InvoiceOutcome, InvoicingError, READ_BACK_JOB, doc_number};

/// Computes, issues and invoices royalty statements. Cheap to clone.
#[derive(Clone)]
pub struct RoyaltyService {
    store: Arc<dyn Store>,
    jobs: JobQueue,
    emitter: Emitter,
    access: Arc<dyn ProviderAccess>,
}

impl RoyaltyService {
    /// A service over the store, enqueuing on `jobs`, emitting through `emitter` and reaching
    /// QuickBooks through `access`.
    pub fn new(store: Arc<dyn Store>, jobs: JobQueue, emitter: Emitter, access: Arc<dyn ProviderAccess>) -> Self {
        Self { store, jobs, emitter, access }
    }

    /// Computes the draft of `franchisee_id` for the period starting `period_start` (network
    /// scope), replacing an earlier draft of the same period: same inputs, same statement.
    pub async fn compute_draft(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        franchisee_id: &FranchiseeId,
        period_start: NaiveDate,
    ) -> Result<RoyaltyStatement, RoyaltyError> {
        engine::compute(&*self.store, scope, ctx, franchisee_id, period_start).await
    }

    /// Issues a draft: freezes it, emits `royalty.statement.issued` and queues its invoice.
    /// Issuing an issued statement changes nothing and queues its invoice again if it has none
    /// (which is how a crash between issuing and queueing is repaired).
    pub async fn issue(
        &self,
        scope: &TenantScope,
        ctx: &ChangeContext,
        id: &RoyaltyStatementId,
    ) -> Result<RoyaltyStatement, RoyaltyError> {
        let (statement, _newly) = self.store.issue_statement(scope, ctx, id).await?;
        if let Err(error) = self.emit_issued(&statement).await {
            // The invoice job emits it again (deduplicated), so this is not lost.
            tracing::warn!(statement = %statement.id, %error, "emitting royalty.statement.issued failed; the invoice job retries it");
        }
        if statement.invoice_id.is_none() {
            self.enqueue_invoice(&statement).await?;
        }
        Ok(statement)
    }

    /// The sales behind one line of a statement (none for the technology fee, which is per
    /// location), by record id.
    pub async fn line_sales(
        &self,
        scope: &TenantScope,
        id: &RoyaltyStatementId,
        line_id: u32,
        page: &PageRequest,
    ) -> Result<Page<TracedSale>, RoyaltyError> {
        let statement = self.store.get_statement(scope, id).await?;
        let line = statement
            .lines
            .iter()
            .find(|line| line.line_id == line_id)
            .ok_or(RoyaltyError::Store(StoreError::NotFound { resource: "statement line" }))?;
        if line.kind == LineKind::TechnologyFee {
            return Ok(Page { items: Vec::new(), next_cursor: None });
        }
        Ok(self.store.list_traced_sales(scope, id, line.period_start, page).await?)
    }

    /// The store this service works on.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}
