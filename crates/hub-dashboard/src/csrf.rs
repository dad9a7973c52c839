//! CSRF protection for every POST: the request must come from the hub's own origin (`Origin`, or
//! `Referer` when a browser sends no `Origin`), and its form must carry the session's token.
//! A refusal is the 403 page and changes nothing.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use hub_api::AppState;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use crate::DashboardSettings;
use crate::session::Viewer;
use crate::view::PageError;

/// Whether the request says it comes from our origin.
pub(crate) fn same_origin(parts: &Parts, settings: &DashboardSettings) -> bool {
    let origin = settings.origin();
    let header_text = |name| parts.headers.get(name).and_then(|value: &header::HeaderValue| value.to_str().ok());
    match header_text(header::ORIGIN) {
        Some(sent) => sent == origin,
        None => header_text(header::REFERER)
            .and_then(|referer| url::Url::parse(referer).ok())
            .is_some_and(|referer| referer.origin().ascii_serialization() == origin),
    }
}

/// Whether `sent` is `expected`, in constant time.
pub(crate) fn tokens_match(sent: &str, expected: &str) -> bool {
    !expected.is_empty() && sent.as_bytes().ct_eq(expected.as_bytes()).into()
}

#[derive(Deserialize)]
struct TokenOnly {
    #[serde(default)]
    csrf: String,
}

/// Parses an urlencoded form body.
pub(crate) fn parse_form<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, PageError> {
    serde_urlencoded_like(bytes).map_err(PageError::BadRequest)
}

fn serde_urlencoded_like<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let pairs: serde_json::Map<String, serde_json::Value> = form_urlencoded::parse(bytes)
        .map(|(key, value)| (key.into_owned(), serde_json::Value::String(value.into_owned())))
        .collect();
    serde_json::from_value(serde_json::Value::Object(pairs)).map_err(|error| format!("the form is incomplete: {error}"))
}

/// A POST from a signed-in viewer that passed the origin and token checks, with its form.
pub struct Submitted<T> {
    pub viewer: Viewer,
    pub form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Submitted<T> {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, PageError> {
        let (mut parts, body) = request.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        if !same_origin(&parts, &viewer.settings) {
            tracing::warn!(path = %parts.uri.path(), "refused a cross-origin form post");
            return Err(PageError::CsrfRejected);
        }
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| PageError::BadRequest("the form could not be read".into()))?;
        let token: TokenOnly = parse_form(&bytes)?;
        if !tokens_match(&token.csrf, &viewer.session.csrf_token) {
            tracing::warn!("refused a form post with a missing or wrong csrf token");
            return Err(PageError::CsrfRejected);
        }
        Ok(Submitted { viewer, form: parse_form(&bytes)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_exactly_and_empty_never_matches() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abd", "abc"));
        assert!(!tokens_match("", ""));
        assert!(!tokens_match("abcd", "abc"));
    }

    #[test]
    fn origin_must_be_ours() {
        let settings = DashboardSettings::new("http://127.0.0.1:8080/");
        let parts = |name: &str, value: &str| {
            let request = axum::http::Request::builder().header(name, value).body(()).expect("request");
            request.into_parts().0
        };
        assert!(same_origin(&parts("origin", "http://127.0.0.1:8080"), &settings));
        assert!(!same_origin(&parts("origin", "http://evil.example"), &settings));
        assert!(!same_origin(&parts("origin", "null"), &settings));
        assert!(same_origin(&parts("referer", "http://127.0.0.1:8080/connections"), &settings));
        assert!(!same_origin(&parts("referer", "http://127.0.0.1:9090/"), &settings));
        assert!(!same_origin(&parts("x-nothing", "1"), &settings), "no origin at all is refused");
    }
}
