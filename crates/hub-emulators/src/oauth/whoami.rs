//! The protected "who am I" endpoint every emulated provider serves at `/{provider}/_whoami`, so
//! connection code can prove a token works: 200 for a live bearer token, the provider's own 401
//! otherwise.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::errors::BearerFailure;
use super::profile::{BearerInfo, Profile};
use crate::state::EmulatorState;

/// `GET /{provider}/_whoami`.
pub(crate) async fn handle(
    profile: &'static Profile,
    State(state): State<EmulatorState>,
    headers: HeaderMap,
) -> Response {
    match bearer(&state, profile, &headers) {
        Ok(info) => Json(profile.style.whoami(profile.provider, &info)).into_response(),
        Err(failure) => profile.style.unauthorized(failure),
    }
}

/// Checks `Authorization: Bearer <token>` against the provider's live tokens.
pub(crate) fn bearer(
    state: &EmulatorState,
    profile: &Profile,
    headers: &HeaderMap,
) -> Result<BearerInfo, BearerFailure> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or(BearerFailure::Missing)?;
    state.with_provider(profile.provider, |provider| provider.oauth.bearer(Utc::now(), token))
}
