//! What pages are made of: the layout (header, navigation, sign-out form), generic sections of
//! cards, charts and tables, the error pages, and the stylesheet.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use hub_api::ApiError;
use hub_core::ErrorCode;
use hub_core::access::Permission;
use hub_store::StoreError;

use crate::session::Viewer;

/// Why a page could not be shown; each renders as a page a person can read.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in (or the session ended): go to the sign-in page, then back here.
    SignIn {
        back: String,
    },
    /// The role may not see this page or do this.
    Forbidden,
    /// A form post failed the origin or CSRF check.
    CsrfRejected,
    /// Nothing by that id in the viewer's scope.
    NotFound,
    BadRequest(String),
    /// Too many failed sign-ins.
    RateLimited,
    /// An operation was refused (a conflict, a provider failure) with a message to show.
    Refused {
        status: StatusCode,
        message: String,
    },
    Internal(String),
}

impl From<StoreError> for PageError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { .. } => Self::NotFound,
            StoreError::OutOfScope { .. } => Self::Forbidden,
            other => match other.code() {
                ErrorCode::Conflict | ErrorCode::InvalidRequest => {
                    Self::Refused { status: hub_api::problem_status(other.code()), message: other.to_string() }
                }
                _ => Self::Internal(other.to_string()),
            },
        }
    }
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        match error.code {
            ErrorCode::NotFound => Self::NotFound,
            ErrorCode::Forbidden => Self::Forbidden,
            ErrorCode::Internal => Self::Internal(error.internal.unwrap_or(error.detail)),
            code => Self::Refused { status: hub_api::problem_status(code), message: error.detail },
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(error: askama::Error) -> Self {
        Self::Internal(format!("template: {error}"))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorView<'a> {
    title: &'a str,
    message: &'a str,
    status: u16,
}

/// An HTML response that is never cached (pages show tenant data).
pub fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, Html(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self' http: https:; frame-ancestors 'none'"),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            Self::SignIn { back } => {
                let target: String = url::form_urlencoded::byte_serialize(back.as_bytes()).collect();
                return Redirect::to(&format!("/sign-in?next={target}")).into_response();
            }
            Self::Forbidden => (StatusCode::FORBIDDEN, "Not allowed", "Your role does not allow this page or action."),
            Self::CsrfRejected => (
                StatusCode::FORBIDDEN,
                "Request refused",
                "This form did not come from this dashboard, or it is too old. Nothing was changed; reload the page and try again.",
            ),
            Self::NotFound => {
                (StatusCode::NOT_FOUND, "Not found", "There is nothing at this address that you can see.")
            }
            Self::BadRequest(message) => (StatusCode::BAD_REQUEST, "Bad request", message.as_str()),
            Self::RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                "Too many failed sign-ins. Wait a few minutes and try again.",
            ),
            Self::Refused { status, message } => (*status, "Not done", message.as_str()),
            Self::Internal(cause) => {
                tracing::error!(%cause, "a dashboard page failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "The error has been logged.")
            }
        };
        let body = ErrorView { title, message, status: status.as_u16() }
            .render()
            .unwrap_or_else(|_| format!("<!doctype html><title>{}</title>", status.as_u16()));
        html(status, body)
    }
}

/// A link in the navigation bar.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What every signed-in page's frame shows.
pub struct Layout {
    pub title: String,
    pub viewer: String,
    pub role: &'static str,
    pub csrf: String,
    pub nav: Vec<NavItem>,
}

impl Layout {
    /// The frame for `viewer`, with the navigation its role may use and `current` highlighted.
    pub fn new(viewer: &Viewer, title: impl Into<String>, current: &str) -> Self {
        let principal = &viewer.principal;
        let mut nav = vec![
            ("/", "Overview", true),
            ("/franchisees", "Franchisees", principal.scope.franchisee_id.is_none()),
            ("/locations", "Locations", true),
            ("/connections", "Connections", true),
            ("/sync-runs", "Sync runs", principal.may(Permission::ReadRecords)),
            ("/jobs", "Jobs", principal.may(Permission::OperateJobs)),
            ("/webhooks", "Webhooks", principal.may(Permission::ManageWebhooks)),
            ("/royalties", "Royalties", principal.may(Permission::ReadRoyalties)),
            ("/audit", "Audit log", principal.may(Permission::ReadAudit)),
        ];
        nav.retain(|(_, _, shown)| *shown);
        Self {
            title: title.into(),
            viewer: viewer.label.clone(),
            role: principal.role.as_str(),
            csrf: viewer.session.csrf_token.clone(),
            nav: nav.into_iter().map(|(href, label, _)| NavItem { href, label, current: href == current }).collect(),
        }
    }
}

/// A headline number.
pub struct Card {
    pub label: String,
    pub value: String,
    pub href: Option<String>,
}

impl Card {
    pub fn new(label: impl Into<String>, value: impl ToString) -> Self {
        Self { label: label.into(), value: value.to_string(), href: None }
    }

    pub fn linked(label: impl Into<String>, value: impl ToString, href: impl Into<String>) -> Self {
        Self { label: label.into(), value: value.to_string(), href: Some(href.into()) }
    }
}

/// One table cell.
pub enum Cell {
    Text(String),
    /// Monospace (ids, codes).
    Code(String),
    Link {
        text: String,
        href: String,
    },
    /// A status word, coloured by its tone (`good`, `warn`, `bad`, `muted`).
    Badge {
        text: String,
        tone: &'static str,
    },
    /// A POST button carrying the CSRF token.
    Button {
        action: String,
        label: String,
    },
}

impl Cell {
    pub fn text(text: impl ToString) -> Self {
        Self::Text(text.to_string())
    }

    pub fn link(text: impl ToString, href: impl Into<String>) -> Self {
        Self::Link { text: text.to_string(), href: href.into() }
    }

    pub fn code(text: impl ToString) -> Self {
        Self::Code(text.to_string())
    }

    pub fn badge(text: impl ToString, tone: &'static str) -> Self {
        Self::Badge { text: text.to_string(), tone }
    }

    pub fn button(action: impl Into<String>, label: impl Into<String>) -> Self {
        Self::Button { action: action.into(), label: label.into() }
    }

    pub fn optional_time(at: Option<chrono::DateTime<chrono::Utc>>) -> Self {
        Self::Text(at.map(time).unwrap_or_else(|| "—".into()))
    }
}

/// How pages show an instant.
pub fn time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A table with its column headings.
pub struct Table {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    /// What to say when there are no rows.
    pub empty: &'static str,
}

/// One field of a form.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    /// `text`, `password`, `select`, `hidden`.
    pub kind: &'static str,
    pub options: Vec<(String, String)>,
    pub value: String,
}

/// A form posting to `action` (the CSRF token is added by the template).
pub struct FormView {
    pub action: String,
    pub fields: Vec<Field>,
    pub submit: &'static str,
}

/// A titled part of a page.
#[derive(Default)]
pub struct Section {
    pub title: String,
    /// Anchor id (also what tests and links look for).
    pub id: String,
    pub note: Option<String>,
    pub cards: Vec<Card>,
    /// An inline SVG from [`crate::chart`] (our own markup, escaped where it holds text).
    pub chart: Option<String>,
    pub table: Option<Table>,
    pub form: Option<FormView>,
}

impl Section {
    pub fn new(id: &str, title: impl Into<String>) -> Self {
        Self { id: id.to_owned(), title: title.into(), ..Self::default() }
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    pub fn cards(mut self, cards: Vec<Card>) -> Self {
        self.cards = cards;
        self
    }

    pub fn chart(mut self, svg: String) -> Self {
        self.chart = Some(svg);
        self
    }

    pub fn table(mut self, headers: Vec<&'static str>, rows: Vec<Vec<Cell>>, empty: &'static str) -> Self {
        self.table = Some(Table { headers, rows, empty });
        self
    }

    pub fn form(mut self, form: FormView) -> Self {
        self.form = Some(form);
        self
    }
}

#[derive(Template)]
#[template(path = "page.html")]
struct PageView<'a> {
    layout: &'a Layout,
    heading: &'a str,
    sections: &'a [Section],
    printable: bool,
}

/// Renders a signed-in page of `sections`.
pub fn page(layout: &Layout, heading: &str, sections: &[Section]) -> Result<Response, PageError> {
    let body = PageView { layout, heading, sections, printable: false }.render()?;
    Ok(html(StatusCode::OK, body))
}

/// Renders a page meant to be printed (print stylesheet hides navigation and buttons).
pub fn printable_page(layout: &Layout, heading: &str, sections: &[Section]) -> Result<Response, PageError> {
    let body = PageView { layout, heading, sections, printable: true }.render()?;
    Ok(html(StatusCode::OK, body))
}

/// `GET /assets/dashboard.css`.
pub async fn stylesheet() -> Response {
    let mut response =
        ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../assets/dashboard.css")).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    response
}
