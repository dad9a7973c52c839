//! `GET /v2/payments` (ListPayments), `GET /v2/payments/{payment_id}` (GetPayment) and
//! `GET /v2/refunds` (ListPaymentRefunds). Both lists default to the last year up to now (the
//! window the first page resolved travels in the cursor), newest first, and pages of 100; a
//! larger `limit` is ignored (payments) or capped (refunds), as the spec says.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::super::catalog::CARD_BRANDS;
use super::super::cursor::{Cursor, Fingerprint};
use super::super::model::{Millis, Tender};
use super::super::render::payments::{payment, refund};
use super::super::store::index::{Bound, Direction, KeyRange, PageQuery, page};
use super::super::store::{MerchantData, read};
use super::locations::unknown_location;
use super::params::{OverMax, QueryParams, cursor, next_time_cursor, page_size, time_after, window, within};
use super::{ApiError, Caller, Listing, authorize, ok, respond};
use crate::state::EmulatorState;

const YEAR: Millis = 365 * 24 * 3_600_000;

/// The time bounds of a list: `begin_time` (default: a year before now) and `end_time`
/// (default: now). "Now" is fixed by the first page and carried by its cursors, but only when
/// a default needed it, so that explicit windows give byte-identical cursors.
pub(super) struct Window {
    pub begin: Millis,
    pub end: Millis,
    /// The instant defaults were resolved against, when one was needed.
    pub now: Option<Millis>,
}

impl Window {
    pub fn resolve(params: &QueryParams, cursor: Option<&Cursor>, data: &MerchantData) -> Result<Self, ApiError> {
        let (begin, end) = (params.time("begin_time")?, params.time("end_time")?);
        let now = (begin.is_none() || end.is_none())
            .then(|| cursor.and_then(|cursor| cursor.window[1]).unwrap_or_else(|| data.now()));
        let begin = begin.or(now.map(|now| now - YEAR)).unwrap_or_default();
        let end = end.or(now).unwrap_or_default();
        window(Some(begin), Some(end), "begin_time")?;
        Ok(Self { begin, end, now })
    }

    pub fn carried(&self) -> [Option<Millis>; 2] {
        [None, self.now]
    }
}

/// The location a list is for: `location_id`, or `default` (the main location for payments
/// and payouts, every location for refunds).
pub(super) fn locations(data: &MerchantData, params: &QueryParams, all_by_default: bool) -> Result<Vec<u16>, ApiError> {
    match params.get("location_id") {
        Some(id) => Ok(vec![*data.location_by_id.get(id).ok_or_else(|| unknown_location("location_id", id))?]),
        None if all_by_default => Ok((0..data.locations.len() as u16).collect()),
        None => Ok(vec![data.main_location()]),
    }
}

fn card_of(tender: &Tender) -> Option<(&'static str, u16)> {
    match tender {
        Tender::Card { brand, last_4, .. } => {
            Some((CARD_BRANDS.get(usize::from(*brand)).copied().unwrap_or("OTHER_BRAND"), *last_4))
        }
        Tender::Cash { .. } => None,
    }
}

const PAYMENT_PARAMS: [&str; 13] = [
    "begin_time",
    "end_time",
    "sort_order",
    "location_id",
    "total",
    "last_4",
    "card_brand",
    "is_offline_payment",
    "offline_begin_time",
    "offline_end_time",
    "updated_at_begin_time",
    "updated_at_end_time",
    "sort_field",
];

fn list_payments(caller: &Caller, params: &QueryParams) -> Result<Response, ApiError> {
    let limit = page_size(params.integer("limit")?, "limit", 100, 100, OverMax::UseDefault)?;
    let direction = params.sort_order("sort_order", Direction::Descending)?;
    let sort_field =
        params.one_of("sort_field", &["CREATED_AT", "OFFLINE_CREATED_AT", "UPDATED_AT"])?.unwrap_or("CREATED_AT");
    let total = params.integer("total")?;
    let last_4 = params.get("last_4");
    let card_brand = params.get("card_brand");
    // No emulated payment was taken offline.
    let offline_only = params.boolean("is_offline_payment")?.unwrap_or(false)
        || params.time("offline_begin_time")?.is_some()
        || params.time("offline_end_time")?.is_some();
    let (updated_begin, updated_end) = (params.time("updated_at_begin_time")?, params.time("updated_at_end_time")?);
    window(updated_begin, updated_end, "updated_at_begin_time")?;
    let data = read(&caller.data);
    let base = Fingerprint::new("ListPayments", &data.merchant_id, data.fingerprint);
    let fingerprint = params.fingerprint(base, &PAYMENT_PARAMS).finish();
    let cursor = cursor(params.get("cursor"), fingerprint, "cursor")?;
    let times = Window::resolve(params, cursor.as_ref(), &data)?;
    let locations = locations(&data, params, false)?;
    let by_update = sort_field == "UPDATED_AT";
    let sources = locations
        .iter()
        .filter_map(|&n| data.index.locations.get(usize::from(n)))
        .map(|index| if by_update { &index.payments_updated } else { &index.payments_created })
        .collect();
    let range = if by_update {
        KeyRange { low: updated_begin, high: updated_end.map(Bound::Exclusive) }
    } else {
        KeyRange { low: Some(times.begin), high: Some(Bound::Exclusive(times.end)) }
    };
    let after = time_after(cursor.as_ref());
    let result = page(PageQuery { sources, range, direction, after, limit }, |position| {
        let (Some(payment), Some(order)) = (data.payments.get(position as usize), data.orders.get(position as usize))
        else {
            return false;
        };
        let card = card_of(&payment.tender);
        !offline_only
            && within(payment.created_at, Some(times.begin), Some(times.end))
            && within(payment.updated_at, updated_begin, updated_end)
            && total.is_none_or(|total| order.total() == total)
            && last_4.is_none_or(|digits| card.is_some_and(|(_, last)| format!("{last:04}") == digits))
            && card_brand.is_none_or(|brand| card.is_some_and(|(name, _)| name == brand))
    });
    let payments = result.positions.iter().filter_map(|&position| payment(&data, position as usize)).collect();
    let cursor = next_time_cursor(fingerprint, result.next, times.carried());
    Ok(ok(&Listing::new("payments", payments, cursor)))
}

/// ListPayments.
pub(super) async fn list(State(state): State<EmulatorState>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    match authorize(&state, &headers, "PAYMENTS_READ") {
        Ok(caller) => respond(list_payments(&caller, &QueryParams::parse(raw.as_deref()))),
        Err(response) => *response,
    }
}

/// GetPayment.
pub(super) async fn get_one(
    State(state): State<EmulatorState>,
    headers: HeaderMap,
    Path(payment_id): Path<String>,
) -> Response {
    let caller = match authorize(&state, &headers, "PAYMENTS_READ") {
        Ok(caller) => caller,
        Err(response) => return *response,
    };
    let data = read(&caller.data);
    match data.payment_by_id.get(&payment_id).and_then(|&position| payment(&data, position as usize)) {
        Some(view) => ok(&serde_json::json!({ "payment": view })),
        None => respond(Err(ApiError::not_found(None, format!("Could not find payment with id `{payment_id}`.")))),
    }
}

const REFUND_PARAMS: [&str; 9] = [
    "begin_time",
    "end_time",
    "sort_order",
    "location_id",
    "status",
    "source_type",
    "updated_at_begin_time",
    "updated_at_end_time",
    "sort_field",
];

fn list_payment_refunds(caller: &Caller, params: &QueryParams) -> Result<Response, ApiError> {
    let limit = page_size(params.integer("limit")?, "limit", 100, 100, OverMax::Clamp)?;
    let direction = params.sort_order("sort_order", Direction::Descending)?;
    let sort_field = params.one_of("sort_field", &["CREATED_AT", "UPDATED_AT"])?.unwrap_or("CREATED_AT");
    let status = params.one_of("status", &["PENDING", "COMPLETED", "REJECTED", "FAILED"])?;
    let source_type = params.get("source_type");
    let data = read(&caller.data);
    let base = Fingerprint::new("ListPaymentRefunds", &data.merchant_id, data.fingerprint);
    let fingerprint = params.fingerprint(base, &REFUND_PARAMS).finish();
    let cursor = cursor(params.get("cursor"), fingerprint, "cursor")?;
    let times = Window::resolve(params, cursor.as_ref(), &data)?;
    // `updated_at_begin_time` defaults to the start of the window; `updated_at_end_time` to
    // now, when the window itself ends now (with an explicit `end_time`, it is left open).
    let updated_begin = params.time("updated_at_begin_time")?.or(Some(times.begin));
    let updated_end = params.time("updated_at_end_time")?.or(times.now.filter(|_| params.get("end_time").is_none()));
    window(updated_begin, updated_end, "updated_at_begin_time")?;
    let locations = locations(&data, params, true)?;
    let by_update = sort_field == "UPDATED_AT";
    let sources = locations
        .iter()
        .filter_map(|&n| data.index.locations.get(usize::from(n)))
        .map(|index| if by_update { &index.refunds_updated } else { &index.refunds_created })
        .collect();
    let range = if by_update {
        KeyRange { low: updated_begin, high: updated_end.map(Bound::Exclusive) }
    } else {
        KeyRange { low: Some(times.begin), high: Some(Bound::Exclusive(times.end)) }
    };
    let result = page(PageQuery { sources, range, direction, after: time_after(cursor.as_ref()), limit }, |position| {
        let Some(refund) = data.refunds.get(position as usize) else { return false };
        let kind = data
            .payments
            .get(refund.payment as usize)
            .map_or("CARD", |p| if card_of(&p.tender).is_some() { "CARD" } else { "CASH" });
        status.is_none_or(|status| status == "COMPLETED")
            && source_type.is_none_or(|wanted| wanted == kind)
            && within(refund.created_at, Some(times.begin), Some(times.end))
            && within(refund.updated_at, updated_begin, updated_end)
    });
    let refunds = result
        .positions
        .iter()
        .filter_map(|&p| data.refunds.get(p as usize))
        .filter_map(|r| refund(&data, r))
        .collect();
    let cursor = next_time_cursor(fingerprint, result.next, times.carried());
    Ok(ok(&Listing::new("refunds", refunds, cursor)))
}

/// ListPaymentRefunds.
pub(super) async fn list_refunds(
    State(state): State<EmulatorState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    match authorize(&state, &headers, "PAYMENTS_READ") {
        Ok(caller) => respond(list_payment_refunds(&caller, &QueryParams::parse(raw.as_deref()))),
        Err(response) => *response,
    }
}
