//! One page of each model's walk: which request to send, given the cursor (or its absence), how
//! to read the answer, and where the walk goes next.
//!
//! | model | request | full | incremental |
//! |---|---|---|---|
//! | locations | `GET /v2/locations` | one page, every location | the same |
//! | staff | `POST /v2/team-members/search` ×200 | every member | the same (no `updated_at` filter exists) |
//! | customers | `POST /v2/customers/search` ×100, by `created_at` | every profile | `updated_at` ≥ since |
//! | sales | `POST /v2/orders/search` ×1000, ≤10 locations a call | `COMPLETED`, by `created_at` | `updated_at` ≥ since, by `updated_at` |
//! | refunds | `GET /v2/refunds` ×100 | created since the seller opened → walk start | `updated_at` ≥ since (created from `history_start`) |
//! | payouts | `GET /v2/payouts` ×100, one location a call | created since the seller opened → walk start | created since − trailing window → walk start |
//! | timecards | `POST /v2/labor/timecards/search` ×200, by start | every shift | started ≥ since − trailing window |
//! | appointments | `GET /v2/bookings` ×100, 31-day `start_at` windows | since the seller opened → now + horizon | since − trailing window → now + horizon |
//!
//! Sales, payouts and staff start with a `GET /v2/locations` to learn the seller's location ids,
//! which then travel in the cursor. An incremental sync without `changed_since` (the model's first)
//! walks like a full one. "Since the seller opened" is its oldest location's `created_at` (never
//! before `history_start`, which is used when Square gives no opening dates).

use chrono::{DateTime, Duration, Utc};
use hub_core::records::Model;

use super::catalog;
use super::cursor::{
    AppointmentWalk, CustomerWalk, PayoutWalk, RefundWalk, SaleWalk, StaffWalk, TimecardWalk, decode, encode, next_page,
};
use super::errors::read;
use super::requests::{self, ORDERS_LOCATIONS_PER_CALL};
use super::wire;
use super::{SquareSettings, mapping, sale};
use crate::source::{ConnectorError, FetchRequest, FetchedPage, ProviderApi, SyncMode};

/// The longest `start_at` range one `ListBookings` call covers (its default range, 31 days).
pub(crate) const BOOKINGS_WINDOW_DAYS: i64 = 31;

/// The `updated_at` boundary of an incremental walk; `None` for full walks.
fn changed_since(request: &FetchRequest<'_>) -> Option<DateTime<Utc>> {
    match request.mode {
        SyncMode::Full => None,
        SyncMode::Incremental => request.changed_since,
    }
}

/// `at` moved back by `by`, or the earliest instant there is (no arithmetic may panic, whatever a
/// cursor or the settings hold).
fn before(at: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    at.checked_sub_signed(by).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// `at` moved on by `by`, or the latest instant there is.
fn after(at: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    at.checked_add_signed(by).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn page(records: Vec<hub_core::records::SourceRecord>, next_cursor: Option<String>) -> FetchedPage {
    FetchedPage { records, deleted: Vec::new(), next_cursor }
}

async fn list_locations(api: &dyn ProviderApi) -> Result<Vec<wire::Location>, ConnectorError> {
    let response = api.send(requests::list_locations()).await?;
    Ok(read::<wire::ListLocationsResponse>(&response, "ListLocations")?.locations)
}

async fn location_ids(api: &dyn ProviderApi) -> Result<Vec<String>, ConnectorError> {
    Ok(list_locations(api).await?.into_iter().map(|location| location.id).collect())
}

/// Where a full walk of time-windowed history starts: the seller's oldest location opened then,
/// so nothing is older (one call instead of years of empty booking windows); the configured
/// `history_start` when Square gives no opening dates, and never before it.
async fn seller_history_start(
    api: &dyn ProviderApi,
    settings: &SquareSettings,
) -> Result<DateTime<Utc>, ConnectorError> {
    let opened = list_locations(api).await?.into_iter().filter_map(|location| location.created_at).min();
    Ok(opened.map_or(settings.history_start, |opened| opened.max(settings.history_start)))
}

/// Locations come in one answer, so there is never a cursor to continue from.
pub(crate) async fn locations(
    api: &dyn ProviderApi,
    request: &FetchRequest<'_>,
) -> Result<FetchedPage, ConnectorError> {
    if request.cursor.is_some() {
        return Err(ConnectorError::Unsupported("Square locations come in one page: that cursor is not ours".into()));
    }
    Ok(page(list_locations(api).await?.iter().map(mapping::location).collect(), None))
}

pub(crate) async fn staff(api: &dyn ProviderApi, request: &FetchRequest<'_>) -> Result<FetchedPage, ConnectorError> {
    let walk = match request.cursor {
        None => StaffWalk { location_ids: location_ids(api).await?, page: None },
        Some(text) => decode(text, Model::StaffMember)?,
    };
    let response = api.send(requests::search_team_members(walk.page.as_deref())).await?;
    let answer: wire::SearchTeamMembersResponse = read(&response, "SearchTeamMembers")?;
    let records = answer.team_members.iter().map(|member| mapping::team_member(member, &walk.location_ids)).collect();
    let next = next_page(answer.cursor).map(|page| encode(Model::StaffMember, &StaffWalk { page: Some(page), ..walk }));
    Ok(page(records, next))
}

pub(crate) async fn customers(
    api: &dyn ProviderApi,
    request: &FetchRequest<'_>,
) -> Result<FetchedPage, ConnectorError> {
    let walk = match request.cursor {
        None => CustomerWalk { updated_since: changed_since(request), page: None },
        Some(text) => decode(text, Model::Customer)?,
    };
    let response = api.send(requests::search_customers(walk.updated_since, walk.page.as_deref())).await?;
    let answer: wire::SearchCustomersResponse = read(&response, "SearchCustomers")?;
    let records = answer.customers.iter().map(mapping::customer).collect();
    let next = next_page(answer.cursor).map(|page| encode(Model::Customer, &CustomerWalk { page: Some(page), ..walk }));
    Ok(page(records, next))
}

pub(crate) async fn sales(api: &dyn ProviderApi, request: &FetchRequest<'_>) -> Result<FetchedPage, ConnectorError> {
    let walk = match request.cursor {
        None => {
            let location_ids = location_ids(api).await?;
            if location_ids.is_empty() {
                return Ok(page(Vec::new(), None));
            }
            SaleWalk { location_ids, batch: 0, updated_since: changed_since(request), page: None }
        }
        Some(text) => decode(text, Model::Sale)?,
    };
    let batch = walk
        .location_ids
        .chunks(ORDERS_LOCATIONS_PER_CALL)
        .nth(walk.batch)
        .ok_or_else(|| ConnectorError::Unsupported("Square sale cursor points past its last location".into()))?;
    let response = api.send(requests::search_orders(batch, walk.updated_since, walk.page.as_deref())).await?;
    let answer: wire::SearchOrdersResponse = read(&response, "SearchOrders")?;
    let variations = catalog::look_up(api, sale::catalog_ids(&answer.orders)).await?;
    let mut records = Vec::with_capacity(answer.orders.len());
    for order in &answer.orders {
        records.extend(sale::order(order, &variations)?);
    }
    let next = match next_page(answer.cursor) {
        Some(square_cursor) => Some(SaleWalk { page: Some(square_cursor), ..walk }),
        None if (walk.batch + 1) * ORDERS_LOCATIONS_PER_CALL < walk.location_ids.len() => {
            Some(SaleWalk { batch: walk.batch + 1, page: None, ..walk })
        }
        None => None,
    };
    Ok(page(records, next.map(|walk| encode(Model::Sale, &walk))))
}

pub(crate) async fn refunds(
    api: &dyn ProviderApi,
    settings: &SquareSettings,
    request: &FetchRequest<'_>,
) -> Result<FetchedPage, ConnectorError> {
    let walk = match request.cursor {
        None => RefundWalk {
            begin_time: match changed_since(request) {
                Some(_) => settings.history_start,
                None => seller_history_start(api, settings).await?,
            },
            end_time: request.started_at,
            updated_since: changed_since(request),
            page: None,
        },
        Some(text) => decode(text, Model::Refund)?,
    };
    let call = requests::list_refunds(walk.begin_time, walk.end_time, walk.updated_since, walk.page.as_deref());
    let answer: wire::ListPaymentRefundsResponse = read(&api.send(call).await?, "ListPaymentRefunds")?;
    let records = answer.refunds.iter().map(mapping::payment_refund).collect::<Result<_, _>>()?;
    let next = next_page(answer.cursor).map(|page| encode(Model::Refund, &RefundWalk { page: Some(page), ..walk }));
    Ok(page(records, next))
}

pub(crate) async fn payouts(
    api: &dyn ProviderApi,
    settings: &SquareSettings,
    request: &FetchRequest<'_>,
) -> Result<FetchedPage, ConnectorError> {
    let walk = match request.cursor {
        None => {
            let location_ids = location_ids(api).await?;
            if location_ids.is_empty() {
                return Ok(page(Vec::new(), None));
            }
            let begin_time = match changed_since(request) {
                Some(since) => before(since, settings.trailing_window),
                None => seller_history_start(api, settings).await?,
            };
            PayoutWalk { location_ids, index: 0, begin_time, end_time: request.started_at, page: None }
        }
        Some(text) => decode(text, Model::Payout)?,
    };
    let location_id = walk
        .location_ids
        .get(walk.index)
        .ok_or_else(|| ConnectorError::Unsupported("Square payout cursor points past its last location".into()))?;
    let call = requests::list_payouts(location_id, walk.begin_time, walk.end_time, walk.page.as_deref());
    let answer: wire::ListPayoutsResponse = read(&api.send(call).await?, "ListPayouts")?;
    let records = answer.payouts.iter().map(mapping::payout).collect::<Result<_, _>>()?;
    let next = match next_page(answer.cursor) {
        Some(square_cursor) => Some(PayoutWalk { page: Some(square_cursor), ..walk }),
        None if walk.index + 1 < walk.location_ids.len() => {
            Some(PayoutWalk { index: walk.index + 1, page: None, ..walk })
        }
        None => None,
    };
    Ok(page(records, next.map(|walk| encode(Model::Payout, &walk))))
}

pub(crate) async fn timecards(
    api: &dyn ProviderApi,
    settings: &SquareSettings,
    request: &FetchRequest<'_>,
) -> Result<FetchedPage, ConnectorError> {
    let walk = match request.cursor {
        None => {
            let start_from = changed_since(request).map(|since| before(since, settings.trailing_window));
            TimecardWalk { start_from, page: None }
        }
        Some(text) => decode(text, Model::Timecard)?,
    };
    let call = requests::search_timecards(walk.start_from, walk.page.as_deref());
    let answer: wire::SearchTimecardsResponse = read(&api.send(call).await?, "SearchTimecards")?;
    let records = answer.timecards.iter().map(mapping::timecard).collect::<Result<_, _>>()?;
    let next = next_page(answer.cursor).map(|page| encode(Model::Timecard, &TimecardWalk { page: Some(page), ..walk }));
    Ok(page(records, next))
}

pub(crate) async fn appointments(
    api: &dyn ProviderApi,
    settings: &SquareSettings,
    request: &FetchRequest<'_>,
) -> Result<FetchedPage, ConnectorError> {
    let walk = match request.cursor {
        None => {
            let window_start = match changed_since(request) {
                Some(since) => before(since, settings.trailing_window),
                None => seller_history_start(api, settings).await?,
            };
            let until = after(request.started_at, settings.appointment_horizon);
            if window_start >= until {
                return Ok(page(Vec::new(), None));
            }
            AppointmentWalk { window_start, until, page: None }
        }
        Some(text) => decode(text, Model::Appointment)?,
    };
    if walk.window_start >= walk.until {
        return Err(ConnectorError::Unsupported("Square appointment cursor's window is past its end".into()));
    }
    let window_end = after(walk.window_start, Duration::days(BOOKINGS_WINDOW_DAYS)).min(walk.until);
    let last_window = window_end >= walk.until;
    let call = requests::list_bookings(walk.window_start, window_end, walk.page.as_deref());
    let answer: wire::ListBookingsResponse = read(&api.send(call).await?, "ListBookings")?;
    // Windows meet at their ends; a booking exactly at one belongs to the later window.
    let bookings: Vec<&wire::Booking> =
        answer.bookings.iter().filter(|booking| last_window || booking.start_at < window_end).collect();
    let service_ids = bookings
        .iter()
        .flat_map(|booking| &booking.appointment_segments)
        .filter_map(|segment| segment.service_variation_id.clone());
    let variations = catalog::look_up(api, service_ids).await?;
    let records = bookings.iter().map(|booking| mapping::booking(booking, &variations)).collect::<Result<_, _>>()?;
    let next = match next_page(answer.cursor) {
        Some(square_cursor) => Some(AppointmentWalk { page: Some(square_cursor), ..walk }),
        None if !last_window => Some(AppointmentWalk { window_start: window_end, page: None, ..walk }),
        None => None,
    };
    Ok(page(records, next.map(|walk| encode(Model::Appointment, &walk))))
}
