//! Header parsing: known provider examples, and properties over arbitrary input.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::*;

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("test header names are valid");
        let value = HeaderValue::from_str(value).expect("test header values are valid");
        map.insert(name, value);
    }
    map
}

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

#[test]
fn retry_after_in_seconds() {
    assert_eq!(parse_retry_after("120", at(0)), Some(Duration::from_secs(120)));
    assert_eq!(parse_retry_after(" 2 ", at(0)), Some(Duration::from_secs(2)));
    assert_eq!(parse_retry_after("1.5", at(0)), Some(Duration::from_millis(1500)));
}

#[test]
fn retry_after_as_http_date() {
    let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").expect("valid date");
    let wait = parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now);
    assert_eq!(wait, Some(Duration::from_secs(30)));
    let past = parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now);
    assert_eq!(past, Some(Duration::ZERO), "a date in the past means retry now");
}

#[test]
fn retry_after_garbage_is_ignored() {
    for value in ["", "soon", "-1", "1e9", "NaN", "..", "Wed, 99 Foo 2015"] {
        assert_eq!(parse_retry_after(value, at(0)), None, "{value:?}");
    }
}

#[test]
fn hubspot_headers_pause_for_the_interval_when_exhausted() {
    let hint = RateLimitHint::from_headers(
        &headers(&[
            ("X-HubSpot-RateLimit-Max", "110"),
            ("X-HubSpot-RateLimit-Remaining", "0"),
            ("X-HubSpot-RateLimit-Interval-Milliseconds", "10000"),
        ]),
        at(0),
    );
    assert_eq!(hint.limit, Some(110));
    assert_eq!(hint.remaining, Some(0));
    assert_eq!(hint.pause(), Some(Duration::from_secs(10)));
}

#[test]
fn remaining_quota_means_no_pause() {
    let hint = RateLimitHint::from_headers(
        &headers(&[("X-HubSpot-RateLimit-Remaining", "42"), ("X-HubSpot-RateLimit-Interval-Milliseconds", "10000")]),
        at(0),
    );
    assert_eq!(hint.pause(), None);
}

#[test]
fn salesforce_usage_is_read() {
    assert_eq!(parse_salesforce_usage("api-usage=10018/100000"), Some((10018, 100000)));
    assert_eq!(parse_salesforce_usage("per-app-api-usage=1/2, api-usage=5/10"), Some((5, 10)));
    assert_eq!(parse_salesforce_usage("api-usage=x/10"), None);
    let hint = RateLimitHint::from_headers(&headers(&[("Sforce-Limit-Info", "api-usage=100/100")]), at(0));
    assert_eq!((hint.limit, hint.remaining), (Some(100), Some(0)));
    assert_eq!(hint.pause(), None, "Salesforce gives no reset time");
}

#[test]
fn x_ratelimit_reset_as_delta_epoch_seconds_and_epoch_millis() {
    let now = at(1_700_000_000);
    assert_eq!(parse_reset("30", now), Some(Duration::from_secs(30)));
    assert_eq!(parse_reset("1700000045", now), Some(Duration::from_secs(45)));
    assert_eq!(parse_reset("1700000002500", now), Some(Duration::from_millis(2500)));
    assert_eq!(parse_reset("1600000000", now), Some(Duration::ZERO));
    let hint = RateLimitHint::from_headers(
        &headers(&[("X-RateLimit-Limit", "60"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1700000010")]),
        now,
    );
    assert_eq!(hint.pause(), Some(Duration::from_secs(10)));
}

#[test]
fn ietf_ratelimit_fields() {
    let hint = RateLimitHint::from_headers(
        &headers(&[("RateLimit-Limit", "100"), ("RateLimit-Remaining", "0"), ("RateLimit-Reset", "7")]),
        at(0),
    );
    assert_eq!(hint.pause(), Some(Duration::from_secs(7)));
    assert_eq!(parse_ietf_ratelimit("\"default\";r=0;t=10"), (Some(0), Some(Duration::from_secs(10))));
    assert_eq!(parse_ietf_ratelimit("limit=100, remaining=3, reset=20"), (Some(3), Some(Duration::from_secs(20))));
}

#[test]
fn retry_after_wins_over_window_headers() {
    let hint = RateLimitHint::from_headers(
        &headers(&[("Retry-After", "2"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "60")]),
        at(0),
    );
    assert_eq!(hint.pause(), Some(Duration::from_secs(2)));
}

proptest! {
    #[test]
    fn retry_after_never_panics(value in any::<String>(), now in any::<u32>()) {
        let _ = parse_retry_after(&value, at(u64::from(now)));
        let _ = parse_reset(&value, at(u64::from(now)));
        let _ = parse_salesforce_usage(&value);
        let _ = parse_ietf_ratelimit(&value);
    }

    #[test]
    fn retry_after_printable_noise_never_panics(value in "[ -~]{0,40}") {
        let _ = parse_retry_after(&value, SystemTime::now());
    }

    #[test]
    fn retry_after_seconds_round_trip(seconds in any::<u64>()) {
        prop_assert_eq!(
            parse_retry_after(&seconds.to_string(), at(0)),
            Some(Duration::from_secs(seconds))
        );
    }

    #[test]
    fn retry_after_http_date_round_trip(now in 0u64..4_000_000_000, ahead in 0u64..1_000_000) {
        let date = httpdate::fmt_http_date(at(now + ahead));
        prop_assert_eq!(parse_retry_after(&date, at(now)), Some(Duration::from_secs(ahead)));
    }

    #[test]
    fn hints_from_arbitrary_header_values_never_panic(
        value in "[ -~]{0,40}",
        name in prop::sample::select(vec![
            "retry-after", "x-hubspot-ratelimit-remaining", "x-ratelimit-reset",
            "x-ratelimit-remaining", "ratelimit", "ratelimit-reset", "sforce-limit-info",
        ]),
    ) {
        if let Ok(header) = HeaderValue::from_str(&value) {
            let mut map = HeaderMap::new();
            map.insert(name, header);
            map.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
            let _ = RateLimitHint::from_headers(&map, SystemTime::now()).pause();
        }
    }
}
