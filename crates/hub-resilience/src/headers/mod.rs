//! Reading what providers say about quotas: `Retry-After` (seconds or HTTP date) and the rate
//! headers of HubSpot, Salesforce, the de-facto `X-RateLimit-*` and the IETF `RateLimit-*` drafts.
//!
//! Every parser takes text from the network and must never panic; they return `None` for anything
//! they do not understand.

#[cfg(test)]
mod tests;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

/// What one response said about the caller's quota. Every field is optional: providers send
/// different subsets.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RateLimitHint {
    /// `Retry-After`: wait at least this long before the next request.
    pub retry_after: Option<Duration>,
    /// Requests allowed in the current window.
    pub limit: Option<u64>,
    /// Requests left in the current window.
    pub remaining: Option<u64>,
    /// Time until the window resets (an upper bound when only the window length is known).
    pub reset_after: Option<Duration>,
}

impl RateLimitHint {
    /// Reads every header this crate knows; `now` turns HTTP dates and epoch stamps into waits.
    pub fn from_headers(headers: &HeaderMap, now: SystemTime) -> Self {
        let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        let number = |name: &str| text(name).and_then(parse_count);
        let mut hint = RateLimitHint {
            retry_after: text("retry-after").and_then(|value| parse_retry_after(value, now)),
            ..RateLimitHint::default()
        };

        // HubSpot: fixed windows of `-Interval-Milliseconds`; the reset is at most one interval away.
        if let Some(remaining) = number("x-hubspot-ratelimit-remaining") {
            hint.remaining = Some(remaining);
            hint.limit = number("x-hubspot-ratelimit-max");
            hint.reset_after = number("x-hubspot-ratelimit-interval-milliseconds").map(Duration::from_millis);
        } else if let Some(remaining) = number("x-ratelimit-remaining") {
            hint.remaining = Some(remaining);
            hint.limit = number("x-ratelimit-limit");
            hint.reset_after = text("x-ratelimit-reset").and_then(|value| parse_reset(value, now));
        } else if let Some(remaining) = number("ratelimit-remaining") {
            hint.remaining = Some(remaining);
            hint.limit = number("ratelimit-limit");
            hint.reset_after = number("ratelimit-reset").map(Duration::from_secs);
        } else if let Some((remaining, reset)) = text("ratelimit").map(parse_ietf_ratelimit) {
            hint.remaining = remaining;
            hint.reset_after = reset;
        }

        if hint.remaining.is_none()
            && let Some((used, allowed)) = text("sforce-limit-info").and_then(parse_salesforce_usage)
        {
            hint.limit = Some(allowed);
            hint.remaining = Some(allowed.saturating_sub(used));
        }
        hint
    }

    /// How long the key must pause: the `Retry-After` if given, else the time to the window's
    /// reset when nothing remains in it. `None` when the response gives no time to wait.
    pub fn pause(&self) -> Option<Duration> {
        if let Some(wait) = self.retry_after {
            return Some(wait);
        }
        match self.remaining {
            Some(0) => self.reset_after,
            _ => None,
        }
    }
}

/// Parses `Retry-After`: delay seconds (`120`, tolerating `1.5`) or an HTTP date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`). A date in the past means "now" (zero).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|byte| byte.is_ascii_digit()) {
        return Some(Duration::from_secs(parse_count(value)?));
    }
    if value.bytes().all(|byte| byte.is_ascii_digit() || byte == b'.') {
        let seconds: f64 = value.parse().ok()?;
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses Salesforce's `Sforce-Limit-Info: api-usage=18/5000` into `(used, allowed)`.
pub fn parse_salesforce_usage(value: &str) -> Option<(u64, u64)> {
    value.split(',').find_map(|part| {
        let usage = part.trim().strip_prefix("api-usage=")?;
        let (used, allowed) = usage.split_once('/')?;
        Some((parse_count(used)?, parse_count(allowed)?))
    })
}

/// Parses the IETF `RateLimit` field, in its structured form (`"default";r=0;t=10`) or the older
/// list form (`limit=100, remaining=0, reset=10`), into `(remaining, reset)`.
pub fn parse_ietf_ratelimit(value: &str) -> (Option<u64>, Option<Duration>) {
    let mut remaining = None;
    let mut reset = None;
    for item in value.split([';', ',']) {
        let Some((name, number)) = item.trim().split_once('=') else {
            continue;
        };
        let number = parse_count(number);
        match name.trim() {
            "r" | "remaining" => remaining = remaining.or(number),
            "t" | "reset" => reset = reset.or(number.map(Duration::from_secs)),
            _ => {}
        }
    }
    (remaining, reset)
}

/// Parses `X-RateLimit-Reset`, which providers send as delta seconds, epoch seconds or epoch
/// milliseconds; told apart by size (no window lasts 30 years).
pub fn parse_reset(value: &str, now: SystemTime) -> Option<Duration> {
    const EPOCH_SECONDS_FLOOR: u64 = 1_000_000_000;
    const EPOCH_MILLIS_FLOOR: u64 = 1_000_000_000_000;
    let number = parse_count(value)?;
    let at = if number >= EPOCH_MILLIS_FLOOR {
        UNIX_EPOCH.checked_add(Duration::from_millis(number))?
    } else if number >= EPOCH_SECONDS_FLOOR {
        UNIX_EPOCH.checked_add(Duration::from_secs(number))?
    } else {
        return Some(Duration::from_secs(number));
    };
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A non-negative integer, tolerating surrounding spaces and quotes.
fn parse_count(value: &str) -> Option<u64> {
    value.trim().trim_matches('"').parse().ok()
}
