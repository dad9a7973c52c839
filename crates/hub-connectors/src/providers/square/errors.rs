//! Square's answers → results: reads a successful body into its wire type, and turns Square's
//! error envelope (`{"errors":[{category, code, detail, field}]}`, HTTP status matching the first
//! error) into a [`ConnectorError`] the sync engine knows how to act on.
//!
//! | Square says | becomes |
//! |---|---|
//! | 401, or category `AUTHENTICATION_ERROR` (expired, revoked, `INSUFFICIENT_SCOPES` on 403) | `Unauthorized`: someone must reconnect |
//! | 429, category `RATE_LIMIT_ERROR` or code `RATE_LIMITED`; 408; any 5xx | `Unavailable`, with `Retry-After` when sent |
//! | any other 4xx (`INVALID_REQUEST_ERROR`, …) | `Rejected`: the same request cannot succeed |
//! | 2xx that is not JSON, misses a required field or has a field of the wrong type | `BadResponse` |
//!
//! Messages carry Square's code, detail and field, never a body verbatim: details are cut short
//! and anything that looks like a credential is blanked, and serde's errors lose the values they
//! quote (they may be a customer's email), keeping only where in the document the problem was.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

use super::PROVIDER;
use super::wire::{Error, ErrorEnvelope};
use crate::source::{ApiResponse, ConnectorError};

/// The longest provider detail a message keeps.
const MAX_DETAIL_CHARS: usize = 300;
/// Words this long, made of token characters, are treated as credentials and blanked.
const CREDENTIAL_MIN_CHARS: usize = 40;

/// Reads a successful answer of `what` (`ListLocations`) into `T`, or the error it carries.
pub(crate) fn read<T: DeserializeOwned>(response: &ApiResponse, what: &str) -> Result<T, ConnectorError> {
    if !response.is_success() {
        return Err(error_from(response));
    }
    // A 2xx that still lists errors (bulk endpoints do this) is read as those errors.
    if let Ok(envelope) = serde_json::from_slice::<ErrorEnvelope>(&response.body)
        && let Some(first) = envelope.errors.first()
    {
        return Err(classify(response, first));
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(&response.body);
    serde_path_to_error::deserialize(deserializer)
        .map_err(|error| bad_response(format!("{what}: {}", describe_parse_error(&error))))
}

/// The error an unsuccessful answer stands for.
pub(crate) fn error_from(response: &ApiResponse) -> ConnectorError {
    match serde_json::from_slice::<ErrorEnvelope>(&response.body) {
        Ok(envelope) if !envelope.errors.is_empty() => classify(response, &envelope.errors[0]),
        // Not Square's envelope (a proxy's HTML page, an empty body): the status decides.
        _ => classify(response, &Error::default()),
    }
}

/// A `BadResponse` from Square with `message`.
pub(crate) fn bad_response(message: impl Into<String>) -> ConnectorError {
    ConnectorError::BadResponse { provider: PROVIDER.to_owned(), message: message.into() }
}

fn classify(response: &ApiResponse, error: &Error) -> ConnectorError {
    let status = response.status;
    let category = error.category.as_deref().unwrap_or("");
    let code = error.code.as_deref().unwrap_or("");
    let message = describe(status, error);
    let provider = PROVIDER.to_owned();
    if status == 401 || category == "AUTHENTICATION_ERROR" {
        ConnectorError::Unauthorized { provider, message }
    } else if status == 429
        || status == 408
        || category == "RATE_LIMIT_ERROR"
        || code == "RATE_LIMITED"
        || status >= 500
    {
        ConnectorError::Unavailable { provider, message, retry_after: retry_after(response, Utc::now()) }
    } else if (400..500).contains(&status) {
        ConnectorError::Rejected { provider, status, message }
    } else {
        // A 2xx (or a 1xx/3xx the stack let through) with errors in it.
        ConnectorError::BadResponse { provider, message }
    }
}

/// `CODE: detail (field x)`, or the bare status when Square said nothing readable.
fn describe(status: u16, error: &Error) -> String {
    let mut message = match error.code.as_deref().filter(|code| !code.trim().is_empty()) {
        Some(code) => sanitize(code),
        None => format!("HTTP {status}"),
    };
    if let Some(detail) = error.detail.as_deref().filter(|detail| !detail.trim().is_empty()) {
        message.push_str(": ");
        message.push_str(&sanitize(detail));
    }
    if let Some(field) = error.field.as_deref().filter(|field| !field.is_empty()) {
        message.push_str(" (field ");
        message.push_str(&sanitize(field));
        message.push(')');
    }
    message
}

/// Cuts `text` short and blanks what could be a credential: the word after `Bearer`, and long
/// unbroken runs of token characters (Square's access tokens are 64 of them; its ids are shorter).
pub(crate) fn sanitize(text: &str) -> String {
    let mut out = Vec::new();
    let mut after_bearer = false;
    for word in text.split_whitespace() {
        let looks_like_token = word.chars().count() >= CREDENTIAL_MIN_CHARS
            && word.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=' | '+' | '/'));
        if after_bearer || looks_like_token {
            out.push("[redacted]");
        } else {
            out.push(word);
        }
        after_bearer = word.eq_ignore_ascii_case("bearer");
    }
    let joined = out.join(" ");
    if joined.chars().count() > MAX_DETAIL_CHARS {
        let cut: String = joined.chars().take(MAX_DETAIL_CHARS).collect();
        format!("{cut}…")
    } else {
        joined
    }
}

/// `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3), relative to `now`.
pub(crate) fn retry_after(response: &ApiResponse, now: DateTime<Utc>) -> Option<Duration> {
    let value = response.header("retry-after")?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// Where a body failed to parse and what kind of failure it was, without the offending value.
fn describe_parse_error(error: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let inner = error.inner();
    let what = match inner.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "not valid JSON".to_owned(),
        serde_json::error::Category::Io => "could not be read".to_owned(),
        serde_json::error::Category::Data => strip_quoted(&inner.to_string()),
    };
    let path = error.path().to_string();
    if path.is_empty() || path == "." { what } else { format!("at `{path}`: {what}") }
}

/// Serde quotes the values it could not take (`invalid type: string "ada@…"`); drop them.
fn strip_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.chars() {
        match c {
            '"' if quoted => {
                quoted = false;
                out.push_str("\"…\"");
            }
            '"' => quoted = true,
            _ if !quoted => out.push(c),
            _ => {}
        }
    }
    out
}
