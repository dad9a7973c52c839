//! `GET /v2/payouts` (ListPayouts) and `POST /v2/labor/timecards/search` (SearchTimecards).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::super::cursor::Fingerprint;
use super::super::model::{Millis, Timecard};
use super::super::render::labor::{payout, timecard};
use super::super::store::index::{Bound, Direction, KeyRange, PageQuery, page};
use super::super::store::read;
use super::locations::unknown_location;
use super::params::{
    OverMax, QueryParams, body, cursor, enum_value, next_time_cursor, page_size, parse_time, sort_order, time_after,
};
use super::payments::{Window, locations};
use super::{ApiError, Caller, Listing, authorize, ok, respond};
use crate::state::EmulatorState;

fn list(caller: &Caller, params: &QueryParams) -> Result<Response, ApiError> {
    let limit = page_size(params.integer("limit")?, "limit", 100, 100, OverMax::UseDefault)?;
    let direction = params.sort_order("sort_order", Direction::Descending)?;
    let status = params.one_of("status", &["SENT", "FAILED", "PAID"])?;
    let data = read(&caller.data);
    let base = Fingerprint::new("ListPayouts", &data.merchant_id, data.fingerprint);
    let fingerprint =
        params.fingerprint(base, &["location_id", "status", "begin_time", "end_time", "sort_order"]).finish();
    let cursor = cursor(params.get("cursor"), fingerprint, "cursor")?;
    let times = Window::resolve(params, cursor.as_ref(), &data)?;
    let locations = locations(&data, params, false)?;
    let sources = locations
        .iter()
        .filter_map(|&n| data.index.locations.get(usize::from(n)))
        .map(|i| &i.payouts_created)
        .collect();
    let range = KeyRange { low: Some(times.begin), high: Some(Bound::Exclusive(times.end)) };
    let result = page(PageQuery { sources, range, direction, after: time_after(cursor.as_ref()), limit }, |position| {
        data.payouts.get(position as usize).is_some_and(|p| status.is_none_or(|status| p.status.as_str() == status))
    });
    let payouts = result
        .positions
        .iter()
        .filter_map(|&p| data.payouts.get(p as usize))
        .filter_map(|p| payout(&data, p))
        .collect();
    Ok(ok(&Listing::new("payouts", payouts, next_time_cursor(fingerprint, result.next, times.carried()))))
}

/// ListPayouts. The spec's security block lists no scope, but its description asks for
/// `PAYOUTS_READ`, which is what is checked.
pub(super) async fn list_payouts(
    State(state): State<EmulatorState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    match authorize(&state, &headers, "PAYOUTS_READ") {
        Ok(caller) => respond(list(&caller, &QueryParams::parse(raw.as_deref()))),
        Err(response) => *response,
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct SearchTimecardsBody {
    #[serde(default)]
    query: Option<TimecardQuery>,
    #[serde(default, skip_serializing)]
    limit: Option<i64>,
    #[serde(default, skip_serializing)]
    cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct TimecardQuery {
    #[serde(default)]
    filter: Option<TimecardFilter>,
    #[serde(default)]
    sort: Option<TimecardSort>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct TimeRange {
    #[serde(default)]
    start_at: Option<String>,
    #[serde(default)]
    end_at: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct DateRange {
    #[serde(default)]
    start_date: Option<String>,
    #[serde(default)]
    end_date: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct Workday {
    #[serde(default)]
    date_range: Option<DateRange>,
    #[serde(default)]
    match_timecards_by: Option<String>,
    #[serde(default)]
    default_timezone: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct TimecardFilter {
    #[serde(default)]
    location_ids: Option<Vec<String>>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    start: Option<TimeRange>,
    #[serde(default)]
    end: Option<TimeRange>,
    #[serde(default)]
    workday: Option<Workday>,
    #[serde(default)]
    team_member_ids: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct TimecardSort {
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    order: Option<String>,
}

/// An inclusive time range (TimecardFilter's `start` and `end` are inclusive).
fn inclusive(range: Option<&TimeRange>, field: &str) -> Result<(Option<Millis>, Option<Millis>), ApiError> {
    let Some(range) = range else { return Ok((None, None)) };
    let start = range.start_at.as_deref().map(|t| parse_time(t, &format!("{field}.start_at"))).transpose()?;
    let end = range.end_at.as_deref().map(|t| parse_time(t, &format!("{field}.end_at"))).transpose()?;
    super::params::window(start, end, field)?;
    Ok((start, end))
}

fn inside(millis: Millis, (start, end): (Option<Millis>, Option<Millis>)) -> bool {
    start.is_none_or(|start| millis >= start) && end.is_none_or(|end| millis <= end)
}

/// A workday filter: local dates and how a timecard is matched to them.
struct WorkdayRule {
    first: Option<NaiveDate>,
    last: Option<NaiveDate>,
    matcher: &'static str,
}

impl WorkdayRule {
    fn parse(workday: &Workday) -> Result<Self, ApiError> {
        let date = |text: Option<&String>, field: &str| {
            text.map(|text| {
                NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                    ApiError::invalid("INVALID_VALUE", field, format!("`{text}` is not a date in YYYY-MM-DD form."))
                })
            })
            .transpose()
        };
        let range = workday.date_range.as_ref();
        let first = date(range.and_then(|r| r.start_date.as_ref()), "query.filter.workday.date_range.start_date")?;
        let last = date(range.and_then(|r| r.end_date.as_ref()), "query.filter.workday.date_range.end_date")?;
        let matcher = workday
            .match_timecards_by
            .as_deref()
            .map(|m| enum_value(m, "query.filter.workday.match_timecards_by", &["START_AT", "END_AT", "INTERSECTION"]))
            .transpose()?
            .unwrap_or("START_AT");
        if let Some(zone) = &workday.default_timezone
            && zone.parse::<Tz>().is_err()
        {
            return Err(ApiError::invalid(
                "INVALID_VALUE",
                "query.filter.workday.default_timezone",
                "Not an IANA time zone.",
            ));
        }
        Ok(Self { first, last, matcher })
    }

    fn matches(&self, card: &Timecard, zone: Tz) -> bool {
        let day = |millis: Millis| zone.timestamp_millis_opt(millis).earliest().map(|local| local.date_naive());
        let on = |date: Option<NaiveDate>| {
            date.is_some_and(|date| self.first.is_none_or(|f| date >= f) && self.last.is_none_or(|l| date <= l))
        };
        match self.matcher {
            "END_AT" => on(day(card.end_at)),
            "INTERSECTION" => {
                let (Some(start), Some(end)) = (day(card.start_at), day(card.end_at)) else { return false };
                self.first.is_none_or(|first| end >= first) && self.last.is_none_or(|last| start <= last)
            }
            _ => on(day(card.start_at)),
        }
    }
}

fn search(caller: &Caller, bytes: &[u8]) -> Result<Response, ApiError> {
    let request: SearchTimecardsBody = body(bytes)?;
    let limit = page_size(request.limit, "limit", 200, 200, OverMax::Refuse)?;
    let query = request.query.as_ref();
    let filter = query.and_then(|q| q.filter.as_ref());
    let sort = query.and_then(|q| q.sort.as_ref());
    let field = sort
        .and_then(|s| s.field.as_deref())
        .map(|f| enum_value(f, "query.sort.field", &["START_AT", "END_AT", "CREATED_AT", "UPDATED_AT"]))
        .transpose()?
        .unwrap_or("START_AT");
    let direction = sort
        .and_then(|s| s.order.as_deref())
        .map_or(Ok(Direction::Descending), |o| sort_order(o, "query.sort.order"))?;
    let status = filter
        .and_then(|f| f.status.as_deref())
        .map(|s| enum_value(s, "query.filter.status", &["OPEN", "CLOSED"]))
        .transpose()?;
    let start = inclusive(filter.and_then(|f| f.start.as_ref()), "query.filter.start")?;
    let end = inclusive(filter.and_then(|f| f.end.as_ref()), "query.filter.end")?;
    let workday = filter.and_then(|f| f.workday.as_ref()).map(WorkdayRule::parse).transpose()?;
    let members = filter.and_then(|f| f.team_member_ids.as_ref()).filter(|ids| !ids.is_empty());
    let data = read(&caller.data);
    let body_text = serde_json::to_string(&request).unwrap_or_default();
    let fingerprint = Fingerprint::new("SearchTimecards", &data.merchant_id, data.fingerprint)
        .with("body", Some(&body_text))
        .finish();
    let cursor = cursor(request.cursor.as_deref(), fingerprint, "cursor")?;
    let locations: Vec<u16> = match filter.and_then(|f| f.location_ids.as_ref()).filter(|ids| !ids.is_empty()) {
        Some(ids) => ids
            .iter()
            .enumerate()
            .map(|(n, id)| {
                data.location_by_id
                    .get(id)
                    .copied()
                    .ok_or_else(|| unknown_location(&format!("query.filter.location_ids[{n}]"), id))
            })
            .collect::<Result<_, _>>()?,
        None => (0..data.locations.len() as u16).collect(),
    };
    let sources = locations
        .iter()
        .filter_map(|&n| data.index.locations.get(usize::from(n)))
        .map(|index| match field {
            "END_AT" => &index.timecards_end,
            "CREATED_AT" => &index.timecards_created,
            "UPDATED_AT" => &index.timecards_updated,
            _ => &index.timecards_start,
        })
        .collect();
    let bounds = match field {
        "START_AT" => start,
        "END_AT" => end,
        _ => (None, None),
    };
    let range = KeyRange { low: bounds.0, high: bounds.1.map(Bound::Inclusive) };
    let result = page(PageQuery { sources, range, direction, after: time_after(cursor.as_ref()), limit }, |position| {
        let Some(card) = data.timecards.get(position as usize) else { return false };
        let zone = data.locations.get(usize::from(card.location)).map_or(Tz::UTC, |l| l.timezone);
        status.is_none_or(|status| status == "CLOSED")
            && inside(card.start_at, start)
            && inside(card.end_at, end)
            && members.is_none_or(|ids| data.team.get(card.team_member as usize).is_some_and(|m| ids.contains(&m.id)))
            && workday.as_ref().is_none_or(|rule| rule.matches(card, zone))
    });
    let cards = result
        .positions
        .iter()
        .filter_map(|&p| data.timecards.get(p as usize).and_then(|c| timecard(&data, p as usize, c)))
        .collect();
    Ok(ok(&Listing::new("timecards", cards, next_time_cursor(fingerprint, result.next, [None, None]))))
}

/// SearchTimecards: pages of 1–200 (200 by default), newest `start_at` first by default.
pub(super) async fn search_timecards(State(state): State<EmulatorState>, headers: HeaderMap, bytes: Bytes) -> Response {
    match authorize(&state, &headers, "TIMECARDS_READ") {
        Ok(caller) => respond(search(&caller, &bytes)),
        Err(response) => *response,
    }
}
