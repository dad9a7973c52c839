//! `GET /v2/bookings` (ListBookings): bookings starting in `[start_at_min, start_at_max]`
//! (defaults: now, and 31 days after the minimum; a wider or reversed range is refused),
//! earliest first, by location, customer or team member.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::super::cursor::Fingerprint;
use super::super::model::Millis;
use super::super::render::labor::booking;
use super::super::store::index::{Bound, Direction, KeyRange, PageQuery, page};
use super::super::store::read;
use super::params::{OverMax, QueryParams, cursor, next_time_cursor, page_size, time_after};
use super::payments::locations;
use super::{ApiError, Caller, Listing, authorize, ok, respond};
use crate::state::EmulatorState;

/// The widest `start_at` range one request may ask for.
const MAX_RANGE: Millis = 31 * 24 * 3_600_000;

fn list_bookings(caller: &Caller, params: &QueryParams) -> Result<Response, ApiError> {
    // The spec gives no bounds for `limit`; the emulator takes 1–100 and defaults to 100.
    let limit = page_size(params.integer("limit")?, "limit", 100, 100, OverMax::Refuse)?;
    let data = read(&caller.data);
    let base = Fingerprint::new("ListBookings", &data.merchant_id, data.fingerprint);
    let names = ["customer_id", "team_member_id", "location_id", "start_at_min", "start_at_max"];
    let fingerprint = params.fingerprint(base, &names).finish();
    let cursor = cursor(params.get("cursor"), fingerprint, "cursor")?;
    // "Now" is only needed (and carried in cursors) when `start_at_min` is left out.
    let explicit = params.time("start_at_min")?;
    let now = explicit.is_none().then(|| cursor.as_ref().and_then(|c| c.window[1]).unwrap_or_else(|| data.now()));
    let minimum = explicit.or(now).unwrap_or_default();
    let maximum = params.time("start_at_max")?.unwrap_or(minimum + MAX_RANGE);
    if maximum < minimum {
        return Err(ApiError::invalid(
            "INVALID_TIME_RANGE",
            "start_at_max",
            "`start_at_max` is before `start_at_min`.",
        ));
    }
    if maximum - minimum > MAX_RANGE {
        let detail = "The range between `start_at_min` and `start_at_max` must not exceed 31 days.";
        return Err(ApiError::invalid("INVALID_TIME_RANGE", "start_at_max", detail));
    }
    let locations = locations(&data, params, true)?;
    let customer_id = params.get("customer_id");
    let team_member_id = params.get("team_member_id");
    let sources =
        locations.iter().filter_map(|&n| data.index.locations.get(usize::from(n))).map(|i| &i.bookings_start).collect();
    let range = KeyRange { low: Some(minimum), high: Some(Bound::Inclusive(maximum)) };
    let after = time_after(cursor.as_ref());
    let result = page(PageQuery { sources, range, direction: Direction::Ascending, after, limit }, |position| {
        let Some(booking) = data.bookings.get(position as usize) else { return false };
        customer_id.is_none_or(|id| data.customers.get(booking.customer as usize).is_some_and(|c| c.id == id))
            && team_member_id.is_none_or(|id| data.team.get(booking.team_member as usize).is_some_and(|m| m.id == id))
    });
    let seller_level = caller.has_scope("APPOINTMENTS_ALL_READ");
    let bookings = result
        .positions
        .iter()
        .filter_map(|&p| data.bookings.get(p as usize))
        .filter_map(|b| booking(&data, b, seller_level))
        .collect();
    Ok(ok(&Listing::new("bookings", bookings, next_time_cursor(fingerprint, result.next, [None, now]))))
}

/// ListBookings, with `APPOINTMENTS_READ`.
pub(super) async fn list(State(state): State<EmulatorState>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    match authorize(&state, &headers, "APPOINTMENTS_READ") {
        Ok(caller) => respond(list_bookings(&caller, &QueryParams::parse(raw.as_deref()))),
        Err(response) => *response,
    }
}
