//! The web pages served by the hub at `/`: the network overview, franchisee and location pages,
//! connections, sync runs, jobs, webhooks, royalty statements and the audit log.
//!
//! Pages are rendered on the server (askama templates, SVG charts from [`chart`]); the only
//! client-side code is the browser's own forms. People sign in with a user account (argon2
//! password, optional TOTP) or an API key; either way a session cookie stands for the same
//! [`hub_core::access::Principal`] the API uses, every page reads through the same store with the
//! principal's scope, and every button calls the same operation as its API route
//! ([`hub_api::actions`]). Every POST carries the session's CSRF token and must come from the
//! hub's own origin.
#![forbid(unsafe_code)]

pub mod chart;
mod csrf;
mod pages;
pub mod password;
mod session;
mod signin;
pub mod totp;
pub mod users;
mod view;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use hub_api::AppState;

pub use session::SESSION_COOKIE;

/// How sign-in and sessions behave.
#[derive(Debug, Clone)]
pub struct DashboardSettings {
    /// The hub's origin as browsers reach it: POSTs must come from it, and cookies are `Secure`
    /// when it is `https://`.
    pub public_url: String,
    /// A session ends this long after sign-in, however busy.
    pub session_lifetime: Duration,
    /// A session ends after this long without a request.
    pub idle_timeout: Duration,
    /// Failed sign-ins allowed per login or client address within `sign_in_window`.
    pub max_failed_sign_ins: u64,
    pub sign_in_window: Duration,
}

impl DashboardSettings {
    /// Eight-hour sessions, thirty minutes idle, five failed sign-ins per fifteen minutes.
    pub fn new(public_url: impl Into<String>) -> Self {
        Self {
            public_url: public_url.into().trim_end_matches('/').to_owned(),
            session_lifetime: Duration::from_secs(8 * 3600),
            idle_timeout: Duration::from_secs(30 * 60),
            max_failed_sign_ins: 5,
            sign_in_window: Duration::from_secs(15 * 60),
        }
    }

    /// Whether cookies get the `Secure` attribute.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// `scheme://host[:port]` of the public URL: what `Origin` headers must say.
    pub fn origin(&self) -> String {
        match url::Url::parse(&self.public_url) {
            Ok(url) => url.origin().ascii_serialization(),
            Err(_) => self.public_url.clone(),
        }
    }
}

/// The dashboard's routes, to merge into the hub's app with [`hub_api::app_with_pages`].
pub fn router(settings: DashboardSettings) -> Router<AppState> {
    let settings = Arc::new(settings);
    Router::new()
        .route("/", get(pages::overview::page))
        .route("/franchisees", get(pages::tenancy::franchisees))
        .route("/franchisees/{id}", get(pages::tenancy::franchisee))
        .route("/locations", get(pages::tenancy::locations))
        .route("/locations/{id}", get(pages::tenancy::location))
        .route("/connections", get(pages::connections::list).post(pages::connections::create))
        .route("/connections/{id}/sync", post(pages::connections::sync_now))
        .route("/connections/{id}/reconnect", post(pages::connections::reconnect))
        .route("/sync-runs", get(pages::operations::sync_runs))
        .route("/jobs", get(pages::operations::jobs))
        .route("/webhooks", get(pages::webhooks::endpoints))
        .route("/webhooks/endpoints/{id}", get(pages::webhooks::endpoint))
        .route("/webhooks/events/{id}/replay", post(pages::webhooks::replay))
        .route("/royalties", get(pages::royalties::statements))
        .route("/royalties/{id}", get(pages::royalties::statement))
        .route("/audit", get(pages::operations::audit))
        .route("/account", get(pages::account::page))
        .route("/account/totp", post(pages::account::start_totp))
        .route("/account/totp/confirm", post(pages::account::confirm_totp))
        .route("/sign-in", get(signin::form).post(signin::submit))
        .route("/sign-in/totp", get(signin::totp_form).post(signin::totp_submit))
        .route("/sign-out", post(signin::sign_out))
        .route("/assets/dashboard.css", get(view::stylesheet))
        .layer(axum::Extension(settings))
}
