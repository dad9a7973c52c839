//! `/account`: who is signed in, and TOTP enrolment for user accounts. Enrolment shows the
//! secret and `otpauth://` URI once; the secret travels back sealed by the vault (bound to the
//! user) in the confirm form, and is stored only after a valid code proves the app has it.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use hub_api::AppState;
use hub_core::access::Subject;
use hub_store::ChangeContext;
use serde::Deserialize;

use crate::csrf::Submitted;
use crate::session::Viewer;
use crate::view::{self, Card, Field, FormView, Layout, PageError, Section};
use crate::{totp, users};

async fn own_user(state: &AppState, viewer: &Viewer) -> Result<Option<hub_store::User>, PageError> {
    match &viewer.session.subject {
        Subject::User(id) => Ok(Some(state.store.get_user(viewer.scope(), id).await?)),
        Subject::ApiKey(_) => Ok(None),
    }
}

/// `GET /account`.
pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let user = own_user(&state, &viewer).await?;
    let mut section = Section::new("account", "Account").cards(vec![
        Card::new("Signed in as", &viewer.label),
        Card::new("Role", viewer.principal.role.as_str()),
        Card::new("Session ends", view::time(viewer.session.expires_at)),
    ]);
    let mut sections = Vec::new();
    match user {
        Some(user) if user.totp_enabled => section = section.note("Two-factor sign-in (TOTP) is on."),
        Some(_) => {
            section = section.note("Two-factor sign-in (TOTP) is off.");
            sections.push(Section::new("totp", "Turn on two-factor sign-in").form(FormView {
                action: "/account/totp".into(),
                fields: vec![],
                submit: "Set up an authenticator app",
            }));
        }
        None => section = section.note("Signed in with an API key: there is no password or TOTP to manage."),
    }
    sections.insert(0, section);
    view::page(&Layout::new(&viewer, "Account", ""), "Account", &sections)
}

#[derive(Deserialize)]
pub struct NoFields {}

/// `POST /account/totp`: a new secret, shown once, to confirm with a code.
pub async fn start_totp(State(state): State<AppState>, submitted: Submitted<NoFields>) -> Result<Response, PageError> {
    let viewer = &submitted.viewer;
    let user = own_user(&state, viewer).await?.ok_or(PageError::Forbidden)?;
    let secret = totp::generate_secret();
    let sealed =
        users::seal_totp_secret(state.connections.vault(), &user.network_id, &users::totp_owner(&user.email), &secret)
            .await
            .map_err(|error| PageError::Internal(error.to_string()))?;
    let uri = totp::enrol_uri(users::TOTP_ISSUER, &user.email, &secret);
    let section = Section::new("totp-enrol", "Add this account to your authenticator app")
        .note(format!(
            "Scan or paste this URI (it is shown only now): {uri} — or type the key {}. Then enter the code it shows.",
            totp::base32_encode(&secret)
        ))
        .form(FormView {
            action: "/account/totp/confirm".into(),
            fields: vec![
                Field { name: "sealed", label: "", kind: "hidden", options: vec![], value: sealed },
                Field { name: "code", label: "Six-digit code", kind: "text", options: vec![], value: String::new() },
            ],
            submit: "Turn on",
        });
    view::page(&Layout::new(viewer, "Account", ""), "Two-factor sign-in", &[section])
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    sealed: String,
    code: String,
}

/// `POST /account/totp/confirm`: stores the secret once a code from it is valid.
pub async fn confirm_totp(
    State(state): State<AppState>,
    submitted: Submitted<ConfirmForm>,
) -> Result<Response, PageError> {
    let viewer = &submitted.viewer;
    let user = own_user(&state, viewer).await?.ok_or(PageError::Forbidden)?;
    let secret = state
        .connections
        .vault()
        .open(&user.network_id, &users::totp_owner(&user.email), &submitted.form.sealed)
        .await
        .map_err(|_| PageError::BadRequest("the enrolment form was altered; start again".into()))?;
    let Some(step) = totp::verify(&secret, &submitted.form.code, Utc::now().timestamp()) else {
        return Err(PageError::BadRequest("that code is not valid; start again and enter the current code".into()));
    };
    let ctx = ChangeContext { actor: viewer.principal.actor(), request_id: None };
    state.store.set_user_totp(viewer.scope(), &ctx, &user.id, Some(submitted.form.sealed.clone())).await?;
    state.store.use_totp_step(&user.network_id, &user.id, step).await?;
    Ok(Redirect::to("/account").into_response())
}
