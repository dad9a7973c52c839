//! Franchisee and location pages: lists, and each one's KPIs, charts, connections and (for
//! locations) recent sales. An id outside the viewer's scope is the 404 page.

use axum::extract::{Path, State};
use axum::response::Response;
use hub_api::AppState;
use hub_core::access::{Permission, TenantScope};
use hub_core::connection::Connection;
use hub_core::id::{FranchiseeId, LocationId};
use hub_core::records::{Model, StoredRecord};
use hub_store::RecordFilter;

use super::{Names, collect, kpi, money};
use crate::session::Viewer;
use crate::view::{self, Cell, Field, FormView, Layout, PageError, Section};

pub(super) fn parse<T>(
    text: &str,
    parser: impl FnOnce(&str) -> Result<T, hub_core::ValidationError>,
) -> Result<T, PageError> {
    parser(text).map_err(|_| PageError::NotFound)
}

/// `GET /franchisees`.
pub async fn franchisees(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.require(Permission::ReadTenancy)?;
    let store = &*state.store;
    let scope = viewer.scope();
    let franchisees = collect(|page| async move { store.list_franchisees(scope, &page).await }).await?;
    let rows = franchisees
        .iter()
        .map(|f| {
            vec![
                Cell::link(f.name.as_str(), format!("/franchisees/{}", f.id)),
                Cell::text(f.currency.as_str()),
                Cell::code(&f.id),
            ]
        })
        .collect();
    let layout = Layout::new(&viewer, "Franchisees", "/franchisees");
    let section =
        Section::new("franchisees", "Franchisees").table(vec!["Name", "Currency", "Id"], rows, "No franchisees.");
    view::page(&layout, "Franchisees", &[section])
}

/// `GET /franchisees/{id}`.
pub async fn franchisee(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(Permission::ReadTenancy)?;
    let id = parse(&id, FranchiseeId::parse)?;
    let store = &*state.store;
    let franchisee = store.get_franchisee(viewer.scope(), &id).await?;
    let scope = &kpi::narrow(viewer.scope(), TenantScope::franchisee(franchisee.network_id.clone(), id.clone()));
    let mut sections = vec![kpi::section(&state, scope, "Last 28 days").await?];
    let locations = collect(|page| async move { store.list_locations(scope, &page).await }).await?;
    let rows = locations
        .iter()
        .map(|l| vec![Cell::link(l.name.as_str(), format!("/locations/{}", l.id)), Cell::text(l.time_zone.name())])
        .collect();
    sections.push(Section::new("locations", "Locations").table(vec!["Location", "Time zone"], rows, "No locations."));
    let connections = collect(|page| async move { store.list_connections(scope, &page).await }).await?;
    let names = Names::load(store, viewer.scope()).await?;
    sections.push(super::connections::section(&state, &viewer, &names, &connections));
    let layout = Layout::new(&viewer, franchisee.name.as_str(), "/franchisees");
    view::page(&layout, franchisee.name.as_str(), &sections)
}

/// `GET /locations`.
pub async fn locations(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.require(Permission::ReadTenancy)?;
    let store = &*state.store;
    let scope = viewer.scope();
    let locations = collect(|page| async move { store.list_locations(scope, &page).await }).await?;
    let names = Names::load(store, scope).await?;
    let rows = locations
        .iter()
        .map(|l| {
            vec![
                Cell::link(l.name.as_str(), format!("/locations/{}", l.id)),
                Cell::link(names.franchisee(Some(&l.franchisee_id)), format!("/franchisees/{}", l.franchisee_id)),
                Cell::text(l.time_zone.name()),
            ]
        })
        .collect();
    let layout = Layout::new(&viewer, "Locations", "/locations");
    let section = Section::new("locations", "Locations").table(
        vec!["Location", "Franchisee", "Time zone"],
        rows,
        "No locations.",
    );
    view::page(&layout, "Locations", &[section])
}

/// The newest `limit` records of `model` at a location, newest first.
async fn newest(
    state: &AppState,
    scope: &TenantScope,
    model: Model,
    location: &LocationId,
    limit: usize,
) -> Result<Vec<StoredRecord>, PageError> {
    let filter = RecordFilter { location_id: Some(location.clone()), ..RecordFilter::model(model) };
    let store = &*state.store;
    let filter = &filter;
    let mut records = collect(|page| async move { store.list_records(scope, filter, &page).await }).await?;
    let occurred = |record: &StoredRecord| record.data.get("occurred_at").and_then(|v| v.as_str()).map(str::to_owned);
    records.sort_by_key(|record| std::cmp::Reverse(occurred(record)));
    records.truncate(limit);
    Ok(records)
}

/// `GET /locations/{id}`.
pub async fn location(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    viewer.require(Permission::ReadTenancy)?;
    let id = parse(&id, LocationId::parse)?;
    let store = &*state.store;
    let location = store.get_location(viewer.scope(), &id).await?;
    let scope = &TenantScope::location(location.network_id.clone(), location.franchisee_id.clone(), id.clone());
    let mut sections =
        vec![kpi::section(&state, scope, "Last 28 days").await?, kpi::daily_section(&state, scope).await?];

    let connections: Vec<Connection> =
        collect(|page| async move { store.list_connections(scope, &page).await }).await?;
    let names = Names::load(store, viewer.scope()).await?;
    sections.push(super::connections::section(&state, &viewer, &names, &connections));
    if viewer.principal.may(Permission::ManageConnections) {
        sections.push(connect_form(&location.id));
    }

    let sales = newest(&state, scope, Model::Sale, &id, 15).await?;
    let pii = viewer.principal.may(Permission::ReadCustomerPii);
    let customers = if pii { newest(&state, scope, Model::Customer, &id, usize::MAX).await? } else { Vec::new() };
    let customer_name = |external: Option<&str>| -> String {
        let Some(external) = external else { return "walk-in".into() };
        if !pii {
            return "hidden (no PII for this role)".into();
        }
        customers
            .iter()
            .find(|c| c.external_id == external)
            .map(|c| {
                let part = |field: &str| c.data.get(field).and_then(|v| v.as_str()).unwrap_or("").to_owned();
                format!("{} {}", part("given_name"), part("family_name")).trim().to_owned()
            })
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| external.to_owned())
    };
    let rows = sales
        .iter()
        .map(|sale| {
            let field = |name: &str| sale.data.get(name).and_then(|v| v.as_str()).unwrap_or("").to_owned();
            let amount = field("net").parse().unwrap_or_default();
            vec![
                Cell::text(field("occurred_at").replace('T', " ").chars().take(16).collect::<String>()),
                Cell::text(money(&field("currency"), amount)),
                Cell::text(customer_name(sale.data.get("customer_external_id").and_then(|v| v.as_str()))),
                Cell::code(&sale.external_id),
            ]
        })
        .collect();
    sections.push(Section::new("recent-sales", "Recent sales").table(
        vec!["When (UTC)", "Net", "Customer", "Provider id"],
        rows,
        "No sales synced yet.",
    ));
    let title = location.name.as_str().to_owned();
    let layout = Layout::new(&viewer, &title, "/locations");
    let heading = format!("{title} · {}", names.franchisee(Some(&location.franchisee_id)));
    view::page(&layout, &heading, &sections)
}

/// "Connect a provider" for a location: every provider that connects through OAuth consent.
fn connect_form(location: &LocationId) -> Section {
    let options = hub_connectors::catalog::catalog()
        .iter()
        .filter(|definition| definition.uses_authorization_code())
        .map(|definition| (definition.id.to_owned(), definition.name.to_owned()))
        .collect();
    Section::new("connect", "Connect a provider")
        .note("You will be sent to the provider to approve access, then back here.")
        .form(FormView {
            action: "/connections".into(),
            fields: vec![
                Field { name: "location_id", label: "", kind: "hidden", options: vec![], value: location.to_string() },
                Field { name: "provider", label: "Provider", kind: "select", options, value: "square".into() },
            ],
            submit: "Connect",
        })
}
