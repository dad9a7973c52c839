//! Issued statements → invoices in the franchisor's QuickBooks Online company, and their paid
//! status back, as jobs on the durable queue.
//!
//! - `royalties.invoice` (one per statement, unique key `royalties.invoice:{statement_id}` while
//!   queued): emits `royalty.statement.issued` (deduplicated by statement), finds or creates the
//!   franchisee's Customer (by `DisplayName`) and the line items, creates the Invoice with the
//!   statement id as `requestid` (and finds it by `DocNumber` first), and stores the invoice id
//!   on the statement. Every step is safe to repeat, so a retry after a crash or a lost answer
//!   creates nothing twice; a statement that already has an invoice id is left alone.
//! - `royalties.read_back` (every 15 minutes, and when QuickBooks notifies an Invoice or Payment
//!   change): reads the balances of unpaid invoices with the query language, page by page, and
//!   moves statements whose invoice is paid to `paid`.
//!
//! The franchisor's QuickBooks connection is the network-level (no franchisee) `quickbooks-online`
//! connection; its company id is the `realmId` QuickBooks sent beside the authorization code.

use std::collections::BTreeMap;

use chrono::{Days, Utc};
use hub_connectors::providers::quickbooks::{InvoiceLine, NewInvoice, PROVIDER, QuickBooksClient};
use hub_connectors::source::ConnectorError;
use hub_core::access::TenantScope;
use hub_core::connection::{Connection, ConnectionStatus};
use hub_core::id::{NetworkId, RoyaltyStatementId};
use hub_core::page::PageRequest;
use hub_core::royalties::{LineKind, RoyaltyStatement, StatementStatus};
use hub_jobs::{JobError, JobRegistry, JobsError, NewJob, NewSchedule, handler_fn};
use hub_resilience::Priority;
use hub_store::{InvoiceUpdate, JobKind, StoreError};
use hub_webhooks::outbound::PlatformEvent;
use serde::{Deserialize, Serialize};

use super::RoyaltyService;

/// Creates the invoice of one issued statement.
pub const INVOICE_JOB: &str = "royalties.invoice";
/// Reads back the balances of unpaid invoices.
pub const READ_BACK_JOB: &str = "royalties.read_back";
/// The platform event an issued statement emits.
pub const ISSUED_EVENT: &str = "royalty.statement.issued";
/// Unpaid statements one read-back looks at, at most.
const READ_BACK_BATCH: u32 = 500;

fn kind(name: &str) -> JobKind {
    JobKind::parse(name).expect("a valid job kind")
}

/// The payload of a `royalties.invoice` job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct InvoicePayload {
    network_id: NetworkId,
    statement_id: RoyaltyStatementId,
}

/// Why invoicing did not finish, and whether the queue should try again.
#[derive(Debug, thiserror::Error)]
pub enum InvoicingError {
    #[error(transparent)]
    Provider(#[from] ConnectorError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Nothing a retry fixes until someone acts (connect QuickBooks, issue the statement).
    #[error("{0}")]
    NotReady(String),
    #[error("emitting {ISSUED_EVENT}: {0}")]
    Event(String),
}

impl InvoicingError {
    fn into_job_error(self) -> JobError {
        let message = self.to_string();
        match self {
            Self::Provider(ConnectorError::Unavailable { retry_after: Some(after), .. }) => {
                JobError::retry_after(message, after)
            }
            Self::Provider(error) if error.is_retryable() => JobError::retryable(message),
            Self::Store(error) if error.is_retryable() => JobError::retryable(message),
            Self::Event(_) => JobError::retryable(message),
            _ => JobError::permanent(message),
        }
    }
}

/// What invoicing a statement did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvoiceOutcome {
    /// The invoice exists (created now, or found from an earlier attempt) and is on the statement.
    Invoiced { invoice_id: String },
    /// The statement was invoiced before; nothing was sent.
    AlreadyInvoiced { invoice_id: String },
    /// The total is zero or negative: there is nothing to invoice.
    NothingToInvoice,
}

/// The item each line kind is sold as.
fn item_name(kind: LineKind) -> &'static str {
    match kind {
        LineKind::Royalty => "Royalty",
        LineKind::MinimumTopUp => "Minimum Royalty",
        LineKind::AdFund => "Brand Fund",
        LineKind::TechnologyFee => "Technology Fee",
    }
}

/// How the invoice of a statement is numbered (QBO allows 21 characters): `R` + the period's
/// year and month + the statement id's last ten characters.
pub fn doc_number(statement: &RoyaltyStatement) -> String {
    let id = statement.id.as_str();
    format!("R{}-{}", statement.period_start.format("%Y%m"), &id[id.len().saturating_sub(10)..])
}

impl RoyaltyService {
    /// Registers the invoicing jobs.
    pub fn register_jobs(&self, registry: &mut JobRegistry) -> Result<(), JobsError> {
        let service = self.clone();
        registry.register(
            kind(INVOICE_JOB),
            handler_fn(move |job, _ctx| {
                let service = service.clone();
                async move {
                    let payload: InvoicePayload = serde_json::from_value(job.payload.clone())
                        .map_err(|error| JobError::permanent(format!("unreadable {INVOICE_JOB} payload: {error}")))?;
                    match service.invoice(&payload.network_id, &payload.statement_id).await {
                        Ok(_) => Ok(()),
                        Err(error) => {
                            tracing::warn!(statement = %payload.statement_id, %error, "invoicing a statement failed");
                            Err(error.into_job_error())
                        }
                    }
                }
            }),
        )?;
        let service = self.clone();
        registry.register(
            kind(READ_BACK_JOB),
            handler_fn(move |_job, _ctx| {
                let service = service.clone();
                async move { service.read_back().await.map(drop).map_err(InvoicingError::into_job_error) }
            }),
        )?;
        Ok(())
    }

    /// The schedule that reads paid status back.
    pub fn schedules() -> Vec<NewSchedule> {
        vec![NewSchedule {
            name: "royalties-read-back".into(),
            cron: "*/15 * * * *".into(),
            kind: kind(READ_BACK_JOB),
            payload: serde_json::json!({}),
            network_id: None,
            priority: 0,
            max_attempts: 3,
        }]
    }

    /// Queues the invoice of an issued statement (once while queued); returns the job.
    pub async fn enqueue_invoice(&self, statement: &RoyaltyStatement) -> Result<hub_core::id::JobId, JobsError> {
        let payload = InvoicePayload { network_id: statement.network_id.clone(), statement_id: statement.id.clone() };
        let mut job = NewJob::new(kind(INVOICE_JOB), serde_json::to_value(&payload).expect("ids serialize"));
        job.network_id = Some(statement.network_id.clone());
        job.unique_key = Some(format!("{INVOICE_JOB}:{}", statement.id));
        job.max_attempts = 8;
        Ok(self.jobs.enqueue(job).await?.job().id.clone())
    }

    /// Queues a read-back now (what a QuickBooks Invoice or Payment notification triggers).
    pub async fn enqueue_read_back(&self) -> Result<(), JobsError> {
        let mut job = NewJob::new(kind(READ_BACK_JOB), serde_json::json!({}));
        job.unique_key = Some(READ_BACK_JOB.to_owned());
        self.jobs.enqueue(job).await?;
        Ok(())
    }

    /// Emits `royalty.statement.issued` for a statement; emitting twice stores it once.
    pub(crate) async fn emit_issued(&self, statement: &RoyaltyStatement) -> Result<(), InvoicingError> {
        let data = serde_json::json!({
            "statement_id": statement.id,
            "franchisee_id": statement.franchisee_id,
            "period_start": statement.period_start,
            "period_end": statement.period_end,
            "total": statement.total.to_string(),
            "currency": statement.currency,
            "consolidated_total": statement.consolidated.total.to_string(),
            "consolidated_currency": statement.consolidated.currency,
        });
        let event = PlatformEvent::new(
            statement.network_id.clone(),
            ISSUED_EVENT,
            format!("{ISSUED_EVENT}:{}", statement.id),
            data,
        )
        .for_franchisee(statement.franchisee_id.clone());
        self.emitter.emit(event).await.map(drop).map_err(|error| InvoicingError::Event(error.to_string()))
    }

    /// The network's QuickBooks connection and company id.
    async fn quickbooks(&self, network_id: &NetworkId) -> Result<(Connection, String), InvoicingError> {
        let scope = TenantScope::network(network_id.clone());
        let mut page = PageRequest { limit: 500, after: None };
        let mut found = None;
        loop {
            let listed = self.store.list_connections(&scope, &page).await?;
            page.after = listed.items.last().map(|connection| connection.id.to_string());
            found = listed
                .items
                .into_iter()
                .filter(|c| {
                    c.provider == PROVIDER && c.franchisee_id.is_none() && c.status != ConnectionStatus::Revoked
                })
                .max_by_key(|c| (c.status == ConnectionStatus::Active, c.created_at))
                .or(found);
            if listed.next_cursor.is_none() {
                break;
            }
        }
        let connection = found.ok_or_else(|| {
            InvoicingError::NotReady(
                "the network has no QuickBooks Online connection: connect the franchisor's company \
                 (POST /v1/connections {\"provider\":\"quickbooks-online\"})"
                    .into(),
            )
        })?;
        let realm = self.store.provider_account(network_id, &connection.id).await?.ok_or_else(|| {
            InvoicingError::NotReady(format!(
                "QuickBooks connection {} has no company id (realmId): authorize it again",
                connection.id
            ))
        })?;
        Ok((connection, realm))
    }

    /// Creates (or finds) the invoice of an issued statement and stores it on the statement.
    pub async fn invoice(
        &self,
        network_id: &NetworkId,
        statement_id: &RoyaltyStatementId,
    ) -> Result<InvoiceOutcome, InvoicingError> {
        let scope = TenantScope::network(network_id.clone());
        let statement = self.store.get_statement(&scope, statement_id).await?;
        if statement.status == StatementStatus::Draft {
            return Err(InvoicingError::NotReady(format!("statement {statement_id} is a draft; issue it first")));
        }
        self.emit_issued(&statement).await?;
        if let Some(invoice_id) = statement.invoice_id.clone() {
            return Ok(InvoiceOutcome::AlreadyInvoiced { invoice_id });
        }
        let lines: Vec<_> = statement.lines.iter().filter(|line| !line.amount.is_zero()).collect();
        if statement.total <= rust_decimal::Decimal::ZERO || lines.is_empty() {
            tracing::warn!(statement = %statement_id, total = %statement.total, "nothing to invoice");
            return Ok(InvoiceOutcome::NothingToInvoice);
        }
        let (connection, realm) = self.quickbooks(network_id).await?;
        match self.create_invoice(&scope, &statement, &connection, &realm).await {
            Err(InvoicingError::Provider(ConnectorError::Unauthorized { provider, message })) => {
                Err(self.refused_token(&scope, &connection, provider, message).await)
            }
            other => other,
        }
    }

    /// A token the provider refused even after the token layer refreshed it once: while the
    /// connection is still active (the refresh worked; tokens just expired in between), a retry
    /// later gets a fresh one; otherwise someone must reconnect.
    async fn refused_token(
        &self,
        scope: &TenantScope,
        connection: &Connection,
        provider: String,
        message: String,
    ) -> InvoicingError {
        match self.store.get_connection(scope, &connection.id).await {
            Ok(current) if current.status == ConnectionStatus::Active => {
                InvoicingError::Provider(ConnectorError::Unavailable {
                    provider,
                    message: format!("{message} (the connection is still active; trying again)"),
                    retry_after: None,
                })
            }
            _ => InvoicingError::Provider(ConnectorError::Unauthorized { provider, message }),
        }
    }

    async fn create_invoice(
        &self,
        scope: &TenantScope,
        statement: &RoyaltyStatement,
        connection: &Connection,
        realm: &str,
    ) -> Result<InvoiceOutcome, InvoicingError> {
        let (network_id, statement_id) = (&statement.network_id, &statement.id);
        let lines: Vec<_> = statement.lines.iter().filter(|line| !line.amount.is_zero()).collect();
        let api = self.access.api_for(connection, Priority::Scheduled).await?;
        let client = QuickBooksClient::new(&*api, realm)?;
        let franchisee = self.store.get_franchisee(scope, &statement.franchisee_id).await?;
        let customer = client
            .find_or_create_customer(
                franchisee.name.as_str(),
                statement.currency,
                &format!("customer-{}", franchisee.id),
            )
            .await?;
        let mut items: BTreeMap<LineKind, String> = BTreeMap::new();
        for line in &lines {
            if let std::collections::btree_map::Entry::Vacant(slot) = items.entry(line.kind) {
                let name = item_name(line.kind);
                slot.insert(client.find_or_create_item(name, &format!("item-{}", line.kind.as_str())).await?);
            }
        }
        let issued_on = statement.issued_at.unwrap_or_else(Utc::now).date_naive();
        let invoice = NewInvoice {
            request_id: statement.id.to_string(),
            doc_number: doc_number(statement),
            customer_id: customer,
            txn_date: issued_on,
            due_date: issued_on.checked_add_days(Days::new(15)),
            private_note: format!(
                "Franchise Hub royalty statement {} for {} to {}",
                statement.id, statement.period_start, statement.period_end
            ),
            lines: lines
                .iter()
                .map(|line| InvoiceLine {
                    item_id: items.get(&line.kind).cloned().unwrap_or_default(),
                    description: format!("{} [line {}]", line.description, line.line_id),
                    amount: line.amount,
                    service_date: line.period_start,
                })
                .collect(),
        };
        let created = client.create_invoice(&invoice).await?;
        let update = InvoiceUpdate {
            invoice_id: created.id.clone(),
            invoice_number: created.doc_number.clone(),
            invoice_status: created.status().to_owned(),
            invoice_balance: created.balance,
        };
        self.store.record_invoice(network_id, statement_id, update).await?;
        tracing::info!(statement = %statement_id, invoice = %created.id, "statement invoiced in quickbooks");
        Ok(InvoiceOutcome::Invoiced { invoice_id: created.id })
    }

    /// Reads back the balances of unpaid invoices; returns how many statements became paid.
    pub async fn read_back(&self) -> Result<usize, InvoicingError> {
        let awaiting = self.store.statements_awaiting_payment(READ_BACK_BATCH).await?;
        let mut by_network: BTreeMap<NetworkId, Vec<RoyaltyStatement>> = BTreeMap::new();
        for statement in awaiting {
            by_network.entry(statement.network_id.clone()).or_default().push(statement);
        }
        let mut paid = 0;
        for (network_id, statements) in by_network {
            match self.read_back_network(&network_id, &statements).await {
                Ok(count) => paid += count,
                Err(error @ InvoicingError::NotReady(_)) => {
                    tracing::warn!(network = %network_id, %error, "cannot read invoice status back");
                }
                Err(error) => return Err(error),
            }
        }
        Ok(paid)
    }

    async fn read_back_network(
        &self,
        network_id: &NetworkId,
        statements: &[RoyaltyStatement],
    ) -> Result<usize, InvoicingError> {
        let (connection, realm) = self.quickbooks(network_id).await?;
        let api = self.access.api_for(&connection, Priority::Scheduled).await?;
        let client = QuickBooksClient::new(&*api, &realm)?;
        let ids: Vec<String> = statements.iter().filter_map(|statement| statement.invoice_id.clone()).collect();
        let states = client.invoices(&ids).await?;
        let mut paid = 0;
        for statement in statements {
            let Some(state) = states.iter().find(|state| Some(&state.id) == statement.invoice_id.as_ref()) else {
                tracing::warn!(statement = %statement.id, "the statement's invoice is no longer in quickbooks");
                continue;
            };
            if statement.invoice_status.as_deref() == Some(state.status())
                && statement.invoice_balance == Some(state.balance)
            {
                continue;
            }
            let update = InvoiceUpdate {
                invoice_id: state.id.clone(),
                invoice_number: state.doc_number.clone(),
                invoice_status: state.status().to_owned(),
                invoice_balance: state.balance,
            };
            let updated = self.store.record_invoice(network_id, &statement.id, update).await?;
            if updated.status == StatementStatus::Paid {
                paid += 1;
            }
        }
        Ok(paid)
    }
}
