//! Square's error envelope and unreadable answers → `ConnectorError`.

use std::time::Duration;

use serde_json::json;

use super::super::errors::{error_from, read, retry_after, sanitize};
use super::super::wire;
use super::at;
use super::fake::respond;
use crate::source::{ApiResponse, ConnectorError};

fn square_error(status: u16, category: &str, code: &str, detail: &str) -> ApiResponse {
    respond(status, &[], json!({ "errors": [{ "category": category, "code": code, "detail": detail }] }))
}

#[test]
fn authentication_errors_mean_reconnect() {
    let expired = error_from(&square_error(401, "AUTHENTICATION_ERROR", "ACCESS_TOKEN_EXPIRED", "The token expired"));
    assert_eq!(
        expired,
        ConnectorError::Unauthorized {
            provider: "square".into(),
            message: "ACCESS_TOKEN_EXPIRED: The token expired".into()
        }
    );
    let scopes = error_from(&square_error(403, "AUTHENTICATION_ERROR", "INSUFFICIENT_SCOPES", "Needs ITEMS_READ"));
    assert!(matches!(scopes, ConnectorError::Unauthorized { .. }), "a missing scope needs a new authorization");
    let bare = error_from(&respond(401, &[], json!("nope")));
    assert!(matches!(bare, ConnectorError::Unauthorized { message, .. } if message == "HTTP 401"));
}

#[test]
fn rate_limits_and_outages_are_retryable_with_retry_after() {
    let limited = ApiResponse {
        headers: vec![("retry-after".into(), "7".into())],
        ..square_error(429, "RATE_LIMIT_ERROR", "RATE_LIMITED", "Slow down")
    };
    let error = error_from(&limited);
    assert_eq!(
        error,
        ConnectorError::Unavailable {
            provider: "square".into(),
            message: "RATE_LIMITED: Slow down".into(),
            retry_after: Some(Duration::from_secs(7))
        }
    );
    assert!(error.is_retryable());
    for status in [500, 502, 503, 504] {
        let error = error_from(&respond(status, &[], json!({})));
        assert!(matches!(error, ConnectorError::Unavailable { retry_after: None, .. }), "{status}: {error}");
    }
    let html = ApiResponse { status: 502, headers: vec![], body: b"<html>Bad gateway</html>".to_vec() };
    assert!(matches!(error_from(&html), ConnectorError::Unavailable { message, .. } if message == "HTTP 502"));
    let timeout = error_from(&square_error(408, "API_ERROR", "REQUEST_TIMEOUT", "timed out"));
    assert!(timeout.is_retryable());
}

#[test]
fn retry_after_reads_seconds_and_http_dates() {
    let with = |value: &str| ApiResponse {
        headers: vec![("retry-after".into(), value.into())],
        ..respond(429, &[], json!({}))
    };
    let now = at("2026-11-24T10:00:00Z");
    assert_eq!(retry_after(&with("120"), now), Some(Duration::from_secs(120)));
    assert_eq!(retry_after(&with("Tue, 24 Nov 2026 10:00:30 GMT"), now), Some(Duration::from_secs(30)));
    assert_eq!(retry_after(&with("Tue, 24 Nov 2026 09:00:00 GMT"), now), Some(Duration::ZERO), "already past");
    assert_eq!(retry_after(&with("soon"), now), None);
    assert_eq!(retry_after(&respond(429, &[], json!({})), now), None);
}

#[test]
fn invalid_requests_are_rejected_with_code_detail_and_field() {
    let error = error_from(&respond(
        400,
        &[],
        json!({ "errors": [{ "category": "INVALID_REQUEST_ERROR", "code": "VALUE_TOO_HIGH",
                             "detail": "`limit` must be at most 100", "field": "limit" },
                           { "category": "INVALID_REQUEST_ERROR", "code": "INVALID_CURSOR" }] }),
    ));
    assert_eq!(
        error,
        ConnectorError::Rejected {
            provider: "square".into(),
            status: 400,
            message: "VALUE_TOO_HIGH: `limit` must be at most 100 (field limit)".into()
        },
        "the first error is the one the status matches"
    );
    assert!(!error.is_retryable());
    let not_found = error_from(&square_error(404, "INVALID_REQUEST_ERROR", "NOT_FOUND", "no such location"));
    assert!(matches!(not_found, ConnectorError::Rejected { status: 404, .. }));
}

#[test]
fn tokens_never_reach_a_message() {
    let token = "EAAAEOuLQObrVwJvCvoio3fXYfAKeyGxIC9ZbTvyq3NYi-PCi_Tu7MJv5T8QEdZ";
    let error = error_from(&square_error(
        401,
        "AUTHENTICATION_ERROR",
        "UNAUTHORIZED",
        &format!("This request could not be authorized: Bearer {token} is not valid; token {token}"),
    ));
    let text = error.to_string();
    assert!(!text.contains(token) && !text.contains("EAAAE"), "{text}");
    assert!(text.contains("[redacted]"), "{text}");
    assert_eq!(sanitize("location L_DOWNTOWN not found"), "location L_DOWNTOWN not found", "ids survive");
    assert!(sanitize(&"x".repeat(1000)).chars().count() <= 301, "long details are cut short");
}

#[test]
fn unreadable_answers_are_bad_responses_that_name_the_field_not_the_value() {
    let malformed = ApiResponse { status: 200, headers: vec![], body: b"{\"locations\": [".to_vec() };
    let error = read::<wire::ListLocationsResponse>(&malformed, "ListLocations").expect_err("truncated");
    assert!(
        matches!(&error, ConnectorError::BadResponse { message, .. } if message.contains("not valid JSON")),
        "{error}"
    );

    let missing = respond(200, &[], json!({ "locations": [{ "name": "No id" }] }));
    let error = read::<wire::ListLocationsResponse>(&missing, "ListLocations").expect_err("no id");
    let ConnectorError::BadResponse { message, .. } = &error else { panic!("{error}") };
    assert!(
        message.starts_with("ListLocations: at `locations[0]`") && message.contains("missing field `id`"),
        "{message}"
    );

    let wrong = respond(
        200,
        &[],
        json!({ "customers": [{ "id": "C1", "email_address": 5, "given_name": {} }],
                                           "cursor": "ada@example.com" }),
    );
    let wrong_type = respond(200, &[], json!({ "customers": [{ "id": "C1", "updated_at": "ada@example.com" }] }));
    assert!(read::<wire::SearchCustomersResponse>(&wrong, "SearchCustomers").is_err());
    let error = read::<wire::SearchCustomersResponse>(&wrong_type, "SearchCustomers").expect_err("not a time");
    let text = error.to_string();
    assert!(text.contains("customers[0].updated_at") && !text.contains("ada@example.com"), "{text}");
}

#[test]
fn errors_inside_a_success_are_still_errors() {
    let answer = square_error(200, "INVALID_REQUEST_ERROR", "INVALID_VALUE", "bad id");
    let error = read::<wire::BatchRetrieveCatalogObjectsResponse>(&answer, "BatchRetrieveCatalogObjects")
        .expect_err("errors in a 200");
    assert!(matches!(error, ConnectorError::BadResponse { .. }), "{error}");
    let limited = square_error(200, "RATE_LIMIT_ERROR", "RATE_LIMITED", "later");
    assert!(read::<wire::BatchRetrieveCatalogObjectsResponse>(&limited, "x").expect_err("limited").is_retryable());
}
