//! The OAuth 2.0 server every emulated provider runs, shaped per provider by a [`Profile`].

pub(crate) mod authorize;
pub(crate) mod errors;
pub(crate) mod grants;
pub(crate) mod profile;
pub(crate) mod revoke;
pub(crate) mod token;
pub(crate) mod whoami;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};

pub(crate) use profile::Profile;
use token::Endpoint;

use crate::state::EmulatorState;

/// The routes of one provider's OAuth server under `/{provider}`: authorize, token(s), refresh,
/// revoke and `_whoami`, as its profile declares them.
pub(crate) fn routes(profile: &'static Profile) -> Router<EmulatorState> {
    let prefix = format!("/{}", profile.provider.slug());
    let mut router = Router::new();
    if let Some(rules) = &profile.authorize {
        router = router.route(
            &format!("{prefix}{}", rules.path),
            get(move |state: State<EmulatorState>, query: Query<_>| authorize::handle(profile, rules, state, query)),
        );
    }
    for path in profile.token_paths {
        router = router.route(
            &format!("{prefix}{path}"),
            post(move |state: State<EmulatorState>, headers: HeaderMap, body: Bytes| {
                token::handle(profile, Endpoint::Token, state, headers, body)
            }),
        );
    }
    if let Some(path) = profile.refresh_path {
        router = router.route(
            &format!("{prefix}{path}"),
            post(move |state: State<EmulatorState>, headers: HeaderMap, body: Bytes| {
                token::handle(profile, Endpoint::Refresh, state, headers, body)
            }),
        );
    }
    if let Some(revoke) = &profile.revoke {
        let request = revoke.request;
        router = router.route(
            &format!("{prefix}{}", revoke.path),
            post(move |state: State<EmulatorState>, headers: HeaderMap, body: Bytes| {
                revoke::handle(profile, request, state, headers, body)
            }),
        );
    }
    router.route(
        &format!("{prefix}/_whoami"),
        get(move |state: State<EmulatorState>, headers: HeaderMap| whoami::handle(profile, state, headers)),
    )
}

/// The paths one provider serves, for the emulator's index page.
pub(crate) fn paths(profile: &Profile) -> Vec<(&'static str, String)> {
    let prefix = format!("/{}", profile.provider.slug());
    let mut paths = Vec::new();
    if let Some(rules) = &profile.authorize {
        paths.push(("authorize", format!("{prefix}{}", rules.path)));
    }
    paths.extend(profile.token_paths.iter().map(|path| ("token", format!("{prefix}{path}"))));
    if let Some(path) = profile.refresh_path {
        paths.push(("refresh", format!("{prefix}{path}")));
    }
    if let Some(revoke) = &profile.revoke {
        paths.push(("revoke", format!("{prefix}{}", revoke.path)));
    }
    paths.push(("whoami", format!("{prefix}/_whoami")));
    paths
}
