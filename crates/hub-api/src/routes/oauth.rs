//! The browser side of connecting: the OAuth redirect target (`/oauth/callback`) and connect
//! links (`/connect/{token}`) that a shop owner opens without an API key. Plain pages that say
//! clearly what happened.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use hub_core::access::{Actor, Permission, Principal, Subject, TenantScope};
use hub_core::connection::Connection;
use hub_oauth::{CallbackError, CallbackParams, OAuthError, sha256_hex};
use hub_store::{ChangeContext, ConnectLink, OAuthState, StoreError};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::connections::{app_for, start_for};
use crate::AppState;
use crate::extract::{Path, Query, RequestId};
use crate::providers::definition;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(callback)).routes(routes!(connect_page)).routes(routes!(connect_start))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A minimal page that works at phone width.
fn page(status: StatusCode, title: &str, body_html: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>{title}</title><style>body{{font-family:system-ui,\
         sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}}.button{{display:inline-block;\
         padding:.6rem 1.2rem;background:#1f6feb;color:#fff;border-radius:.4rem;text-decoration:none}}</style></head>\
         <body><h1>{title}</h1>{body_html}</body></html>",
        title = escape(title)
    );
    let mut response = (status, Html(html)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

fn failure(status: StatusCode, reason: &str) -> Response {
    page(
        status,
        "Connection not completed",
        &format!("<p>{}</p><p>Nothing was changed. Ask for a new link and try again.</p>", escape(reason)),
    )
}

/// The connection an authorization completes, provided the key or dashboard user that started it
/// is still live and allowed to connect it.
async fn check_starter(state: &AppState, oauth_state: &OAuthState) -> Result<Connection, CallbackError> {
    let subject = Subject::parse(&oauth_state.started_by).ok_or(CallbackError::PrincipalNoLongerValid)?;
    let scope = TenantScope::network(oauth_state.network_id.clone());
    let gone = |error: StoreError| match error {
        StoreError::NotFound { .. } => CallbackError::PrincipalNoLongerValid,
        error => CallbackError::Exchange(OAuthError::Store(error)),
    };
    let principal = match &subject {
        Subject::ApiKey(key_id) => state.store.get_api_key(&scope, key_id).await.map_err(gone)?.principal(),
        Subject::User(user_id) => {
            let user = state.store.get_user(&scope, user_id).await.map_err(gone)?;
            user.disabled_at.is_none().then(|| Principal {
                subject: subject.clone(),
                role: user.role,
                scope: user.scope(),
            })
        }
    };
    let principal = principal.ok_or(CallbackError::PrincipalNoLongerValid)?;
    let connection = state.store.get_connection(&scope, &oauth_state.connection_id).await.map_err(OAuthError::from)?;
    if !principal.may(Permission::ManageConnections) || !principal.scope.contains(&connection.scope()) {
        return Err(CallbackError::PrincipalNoLongerValid);
    }
    Ok(connection)
}

/// Where providers send the person back after consent. Completes the connection, or says why not.
#[utoipa::path(get, path = "/oauth/callback", tag = "connections", security(),
    responses((status = 200, description = "connected", content_type = "text/html"),
              (status = 400, description = "refused; nothing changed", content_type = "text/html")))]
async fn callback(
    State(state): State<AppState>,
    RequestId(request_id): RequestId,
    Query(params): Query<CallbackParams>,
    Query(account): Query<ProviderAccountParams>,
) -> Response {
    let oauth_state = match state.connections.take_state(&params).await {
        Ok(oauth_state) => oauth_state,
        Err(error) => return failure(StatusCode::BAD_REQUEST, &error.to_string()),
    };
    let connection = match check_starter(&state, &oauth_state).await {
        Ok(connection) => connection,
        Err(error) => return failure(StatusCode::BAD_REQUEST, &error.to_string()),
    };
    let app = match app_for(&state, &connection).await {
        Ok(app) => app,
        Err(error) => return failure(StatusCode::BAD_GATEWAY, &error.detail),
    };
    let actor = match Subject::parse(&oauth_state.started_by) {
        Some(Subject::ApiKey(id)) => Actor::ApiKey(id),
        Some(Subject::User(id)) => Actor::User(id),
        None => Actor::System,
    };
    let ctx = ChangeContext { actor, request_id };
    match state.connections.complete_authorization(&oauth_state, &app, &params, &ctx).await {
        Ok(connection) => {
            if let Err(error) = remember_account(&state, &connection, account).await {
                tracing::error!(connection = %connection.id, %error, "the provider's account id could not be stored");
                return failure(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The hub could not record which company you connected.",
                );
            }
            let name = definition(&connection.provider).map(|d| d.name).unwrap_or("the provider");
            page(
                StatusCode::OK,
                "Connected",
                &format!(
                    "<p>{} is connected (connection <code>{}</code>). You can close this page.</p>",
                    escape(name),
                    connection.id
                ),
            )
        }
        Err(error @ CallbackError::Exchange(OAuthError::Token(_))) => {
            tracing::warn!(connection = %connection.id, provider = %connection.provider, %error, "code exchange failed");
            failure(StatusCode::BAD_GATEWAY, &error.to_string())
        }
        Err(error) => failure(StatusCode::BAD_REQUEST, &error.to_string()),
    }
}

/// What some providers send beside the code: QuickBooks names the company (`realmId`) the
/// person connected, and every API call goes to that company.
#[derive(Debug, Default, serde::Deserialize)]
struct ProviderAccountParams {
    #[serde(rename = "realmId")]
    realm_id: Option<String>,
}

async fn remember_account(
    state: &AppState,
    connection: &Connection,
    account: ProviderAccountParams,
) -> Result<(), StoreError> {
    let Some(realm) = account.realm_id.filter(|realm| !realm.is_empty() && realm.len() <= 64) else { return Ok(()) };
    if connection.provider != hub_connectors::providers::quickbooks::PROVIDER {
        return Ok(());
    }
    state.store.set_provider_account(&connection.network_id, &connection.id, &connection.provider, &realm).await
}

async fn live_link(state: &AppState, token: &str) -> Result<ConnectLink, Response> {
    match state.store.find_connect_link(&sha256_hex(token)).await {
        Ok(Some(link)) if link.expires_at > Utc::now() => Ok(link),
        Ok(Some(_)) => Err(failure(StatusCode::GONE, "This connect link has expired.")),
        Ok(None) => Err(failure(StatusCode::NOT_FOUND, "This connect link is not valid.")),
        Err(error) => {
            tracing::error!(%error, "connect link lookup failed");
            Err(failure(StatusCode::SERVICE_UNAVAILABLE, "The hub cannot look up this link right now."))
        }
    }
}

/// The page a shop owner lands on from a connect link.
#[utoipa::path(get, path = "/connect/{token}", tag = "connections", security(), params(("token" = String, Path)),
    responses((status = 200, content_type = "text/html"), (status = 404, content_type = "text/html"), (status = 410, content_type = "text/html")))]
async fn connect_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let link = match live_link(&state, &token).await {
        Ok(link) => link,
        Err(response) => return response,
    };
    let connection =
        match state.store.get_connection(&TenantScope::network(link.network_id.clone()), &link.connection_id).await {
            Ok(connection) => connection,
            Err(_) => return failure(StatusCode::NOT_FOUND, "This connection no longer exists."),
        };
    let name = definition(&connection.provider).map(|d| d.name).unwrap_or("the provider");
    page(
        StatusCode::OK,
        &format!("Connect {name}"),
        &format!(
            "<p>You have been invited to connect your {name} account to the franchise hub. You will sign in at {name} \
             and approve access; the hub never sees your password.</p><p><a class=\"button\" href=\"/connect/{token}/start\">\
             Continue to {name}</a></p><p><small>This link expires {}.</small></p>",
            link.expires_at.format("%Y-%m-%d %H:%M UTC"),
            name = escape(name),
            token = escape(&token)
        ),
    )
}

/// Starts the authorization a connect link grants and redirects to the provider.
#[utoipa::path(get, path = "/connect/{token}/start", tag = "connections", security(), params(("token" = String, Path)),
    responses((status = 303, description = "to the provider's consent screen"), (status = 404, content_type = "text/html")))]
async fn connect_start(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let link = match live_link(&state, &token).await {
        Ok(link) => link,
        Err(response) => return response,
    };
    let scope = TenantScope::network(link.network_id.clone());
    let connection = match state.store.get_connection(&scope, &link.connection_id).await {
        Ok(connection) => connection,
        Err(_) => return failure(StatusCode::NOT_FOUND, "This connection no longer exists."),
    };
    match start_for(&state, &connection, &link.created_by).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(error) => failure(StatusCode::CONFLICT, &error.detail),
    }
}
