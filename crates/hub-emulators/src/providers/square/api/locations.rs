//! `GET /v2/locations` (ListLocations) and `POST /v2/team-members/search` (SearchTeamMembers).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::super::cursor::Fingerprint;
use super::super::render::people::{location, team_member};
use super::super::store::read;
use super::params::{OverMax, body, cursor, enum_value, next_time_cursor, page_size, time_after};
use super::{ApiError, Caller, Listing, authorize, ok, respond};
use crate::state::EmulatorState;

/// Every location, alphabetically by name (no pagination, as in Square).
pub(super) async fn list(State(state): State<EmulatorState>, headers: HeaderMap) -> Response {
    let caller = match authorize(&state, &headers, "MERCHANT_PROFILE_READ") {
        Ok(caller) => caller,
        Err(response) => return *response,
    };
    let data = read(&caller.data);
    let mut sorted: Vec<_> = data.locations.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    let locations = sorted.into_iter().map(|spot| location(&data, spot)).collect();
    ok(&Listing::new("locations", locations, None))
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct SearchTeamMembersBody {
    #[serde(default)]
    query: Option<TeamQuery>,
    #[serde(default, skip_serializing)]
    limit: Option<i64>,
    #[serde(default, skip_serializing)]
    cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct TeamQuery {
    #[serde(default)]
    filter: Option<TeamFilter>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct TeamFilter {
    #[serde(default)]
    location_ids: Option<Vec<String>>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    is_owner: Option<bool>,
}

/// Team members in the order they joined, filtered by location (the owner is at every
/// location), status and ownership; pages of 1–200, 100 by default.
fn search_members(caller: &Caller, bytes: &[u8]) -> Result<Response, ApiError> {
    let request: SearchTeamMembersBody = body(bytes)?;
    let limit = page_size(request.limit, "limit", 100, 200, OverMax::Refuse)?;
    let filter = request.query.as_ref().and_then(|query| query.filter.as_ref());
    let status = filter
        .and_then(|filter| filter.status.as_deref())
        .map(|status| enum_value(status, "query.filter.status", &["ACTIVE", "INACTIVE"]))
        .transpose()?;
    let data = read(&caller.data);
    let query_text = serde_json::to_string(&request).unwrap_or_default();
    let fingerprint = Fingerprint::new("SearchTeamMembers", &data.merchant_id, data.fingerprint)
        .with("query", Some(&query_text))
        .finish();
    let after = time_after(cursor(request.cursor.as_deref(), fingerprint, "cursor")?.as_ref());
    let location_ids = filter.and_then(|filter| filter.location_ids.as_ref()).filter(|ids| !ids.is_empty());
    let mut matching: Vec<(i64, u32)> = data
        .team
        .iter()
        .enumerate()
        .filter(|(_, member)| {
            let at_location = location_ids.is_none_or(|ids| match member.location {
                None => true,
                Some(number) => data.locations.get(usize::from(number)).is_some_and(|l| ids.contains(&l.id)),
            });
            let status_ok = status.is_none_or(|status| (status == "ACTIVE") == member.active);
            let owner_ok = filter.and_then(|f| f.is_owner).is_none_or(|owner| !owner || member.is_owner);
            at_location && status_ok && owner_ok
        })
        .map(|(position, member)| (member.created_at, position as u32))
        .filter(|key| after.is_none_or(|after| *key > after))
        .collect();
    matching.sort_unstable();
    let more = matching.len() > limit;
    matching.truncate(limit);
    let next = if more { matching.last().copied() } else { None };
    let members = matching
        .iter()
        .filter_map(|&(_, position)| data.team.get(position as usize))
        .map(|m| team_member(&data, m))
        .collect();
    Ok(ok(&Listing::new("team_members", members, next_time_cursor(fingerprint, next, [None, None]))))
}

/// SearchTeamMembers, with `EMPLOYEES_READ`.
pub(super) async fn search_team_members(
    State(state): State<EmulatorState>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    match authorize(&state, &headers, "EMPLOYEES_READ") {
        Ok(caller) => respond(search_members(&caller, &bytes)),
        Err(response) => *response,
    }
}

/// Requests that name a location the merchant does not have.
pub(super) fn unknown_location(field: &str, id: &str) -> ApiError {
    ApiError::not_found(Some(field), format!("Location `{id}` not found."))
}
