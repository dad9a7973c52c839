//! `/royalties` and `/royalties/{id}`: royalty statements in the viewer's scope, each printable
//! with its lines, and the overview's "royalty due". Everything comes from the same store and
//! statements as `/v1/royalty-statements`.

use axum::extract::{Path, State};
use axum::response::Response;
use hub_api::AppState;
use hub_core::access::Permission;
use hub_core::id::RoyaltyStatementId;
use hub_core::royalties::{RoyaltyStatement, StatementStatus};
use hub_store::StatementFilter;
use rust_decimal::Decimal;

use super::tenancy::parse;
use super::{Names, money};
use crate::session::Viewer;
use crate::view::{self, Card, Cell, Layout, PageError, Section, time};

/// Statements listed on one page (newest periods first).
const SHOWN: usize = 100;

fn tone(status: StatementStatus) -> &'static str {
    match status {
        StatementStatus::Draft => "muted",
        StatementStatus::Issued => "warn",
        StatementStatus::Paid => "good",
    }
}

async fn statements_in_scope(state: &AppState, viewer: &Viewer) -> Result<Vec<RoyaltyStatement>, PageError> {
    let store = &*state.store;
    let scope = viewer.scope();
    let mut statements = store.all_statements(scope, &StatementFilter::default()).await?;
    statements.sort_by(|a, b| b.period_start.cmp(&a.period_start).then_with(|| a.franchisee_id.cmp(&b.franchisee_id)));
    Ok(statements)
}

/// The overview's "royalty due": what issued statements still owe (by the invoice balance read
/// back from accounting when there is one), in the network's currency, and the drafts waiting.
pub async fn due_section(state: &AppState, viewer: &Viewer) -> Result<Section, PageError> {
    let section = Section::new("royalty-due", "Royalty due");
    if !viewer.principal.may(Permission::ReadRoyalties) {
        return Ok(section.note("Your role does not see royalty statements."));
    }
    let statements = statements_in_scope(state, viewer).await?;
    let network = state.store.get_network(&viewer.scope().network_id).await?;
    let mut due = hub_analytics::RoyaltyDue::default();
    for statement in &statements {
        due.add(statement);
    }
    let count = |status| statements.iter().filter(|statement| statement.status == status).count();
    let (open, drafts) = (count(StatementStatus::Issued), count(StatementStatus::Draft));
    let mut cards = vec![Card::linked(
        "Due on issued statements",
        if open == 0 { "nothing".to_owned() } else { money(network.currency.as_str(), due.outstanding) },
        "/royalties",
    )];
    cards.push(Card::linked("Unpaid statements", open, "/royalties"));
    cards.push(Card::linked("Drafts to issue", drafts, "/royalties"));
    Ok(section.cards(cards))
}

/// `GET /royalties`: every statement in scope, newest period first.
pub async fn statements(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.require(Permission::ReadRoyalties)?;
    let statements = statements_in_scope(&state, &viewer).await?;
    let names = Names::load(&*state.store, viewer.scope()).await?;
    let rows = statements
        .iter()
        .take(SHOWN)
        .map(|statement| {
            vec![
                Cell::link(
                    format!("{} – {}", statement.period_start, statement.period_end),
                    format!("/royalties/{}", statement.id),
                ),
                Cell::text(names.franchisee(Some(&statement.franchisee_id))),
                Cell::badge(statement.status.as_str(), tone(statement.status)),
                Cell::text(money(statement.currency.as_str(), statement.total)),
                Cell::text(money(statement.consolidated.currency.as_str(), statement.consolidated.total)),
                Cell::text(match (&statement.invoice_number, &statement.invoice_status) {
                    (Some(number), Some(status)) => format!("{number} ({status})"),
                    (Some(number), None) => number.clone(),
                    _ => "—".into(),
                }),
                Cell::optional_time(statement.issued_at),
            ]
        })
        .collect();
    let layout = Layout::new(&viewer, "Royalty statements", "/royalties");
    let section = Section::new("statements", "Statements").table(
        vec!["Period", "Franchisee", "Status", "Total", "In network currency", "Invoice", "Issued"],
        rows,
        "No statements yet: compute one with POST /v1/royalty-statements or `hub royalties close`.",
    );
    view::printable_page(&layout, "Royalty statements", &[section])
}

/// `GET /royalties/{id}`: one statement with its lines, laid out to print.
pub async fn statement(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(Permission::ReadRoyalties)?;
    let id = parse(&id, RoyaltyStatementId::parse)?;
    let statement = state.store.get_statement(viewer.scope(), &id).await?;
    let names = Names::load(&*state.store, viewer.scope()).await?;
    let currency = statement.currency.as_str();
    let mut cards = vec![
        Card::new("Franchisee", names.franchisee(Some(&statement.franchisee_id))),
        Card::new("Period", format!("{} – {}", statement.period_start, statement.period_end)),
        Card::new("Status", statement.status.as_str()),
        Card::new("Total", money(currency, statement.total)),
        Card::new("Sales base", money(currency, statement.sales_base)),
    ];
    if statement.consolidated.currency != statement.currency {
        cards.push(Card::new(
            "In network currency",
            money(statement.consolidated.currency.as_str(), statement.consolidated.total),
        ));
    }
    if let Some(number) = &statement.invoice_number {
        cards.push(Card::new("Invoice", number));
    }
    if let Some(balance) = statement.invoice_balance {
        cards.push(Card::new("Invoice balance", money(currency, balance)));
    }
    let lines = statement
        .lines
        .iter()
        .map(|line| {
            vec![
                Cell::text(line.line_id),
                Cell::text(if line.adjustment {
                    format!("{} (adjustment for {})", line.description, line.period_start)
                } else {
                    line.description.clone()
                }),
                Cell::text(if line.rate.is_none() && line.base.is_zero() {
                    "—".into()
                } else {
                    money(currency, line.base)
                }),
                Cell::text(
                    line.rate.map_or("—".into(), |rate| format!("{}%", (rate * Decimal::ONE_HUNDRED).normalize())),
                ),
                Cell::text(line.quantity.map_or("—".into(), |quantity| quantity.to_string())),
                Cell::text(money(currency, line.amount)),
                Cell::text(line.sale_count),
            ]
        })
        .collect();
    let rates = statement
        .exchange_rates
        .iter()
        .map(|rate| {
            vec![
                Cell::text(format!("{} → {}", rate.from.as_str(), rate.to.as_str())),
                Cell::text(rate.rate),
                Cell::text(rate.rate_date),
                Cell::text(&rate.source),
            ]
        })
        .collect();
    let heading = format!("Royalty statement {}", statement.id);
    let layout = Layout::new(&viewer, heading.clone(), "/royalties");
    let mut summary = Section::new("summary", "Summary").cards(cards);
    if let Some(issued) = statement.issued_at {
        summary = summary.note(format!("Issued {}.", time(issued)));
    }
    let sections = [
        summary,
        Section::new("lines", "Lines").table(
            vec!["#", "Description", "Base", "Rate", "Qty", "Amount", "Sales"],
            lines,
            "No lines.",
        ),
        Section::new("rates", "Exchange rates used").table(
            vec!["Pair", "Rate", "Dated", "Source"],
            rates,
            "All sales were in the statement's currency.",
        ),
    ];
    view::printable_page(&layout, &heading, &sections)
}
