//! Reading requests the way Square does: query parameters and JSON bodies with typed errors
//! that name the field (`VALUE_TOO_HIGH` on `limit`, `INVALID_TIME` on `begin_time`,
//! `INVALID_CURSOR`, …), page limits per the spec, time ranges and cursors.

use serde::de::DeserializeOwned;

use super::super::cursor::{Cursor, CursorKey, Fingerprint};
use super::super::model::Millis;
use super::super::store::index::{Bound, Direction, KeyRange};
use super::ApiError;

/// Query parameters; an empty value counts as absent.
pub(crate) struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).into_owned().collect();
        Self { pairs }
    }

    /// The last value given for `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(key, _)| key == name).map(|(_, value)| value.as_str()).filter(|v| !v.is_empty())
    }

    pub fn time(&self, name: &str) -> Result<Option<Millis>, ApiError> {
        self.get(name).map(|text| parse_time(text, name)).transpose()
    }

    pub fn integer(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.get(name)
            .map(|text| {
                text.parse::<i64>().map_err(|_| {
                    ApiError::invalid("EXPECTED_INTEGER", name, format!("Expected an integer value for `{name}`."))
                })
            })
            .transpose()
    }

    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        self.get(name)
            .map(|text| match text {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => {
                    Err(ApiError::invalid("EXPECTED_BOOLEAN", name, format!("Expected a boolean value for `{name}`.")))
                }
            })
            .transpose()
    }

    /// One of `allowed`, or absent.
    pub fn one_of(&self, name: &str, allowed: &[&'static str]) -> Result<Option<&'static str>, ApiError> {
        self.get(name).map(|text| enum_value(text, name, allowed)).transpose()
    }

    /// `ASC` or `DESC` (`INVALID_SORT_ORDER` otherwise).
    pub fn sort_order(&self, name: &str, default: Direction) -> Result<Direction, ApiError> {
        self.get(name).map_or(Ok(default), |text| sort_order(text, name))
    }

    /// Adds the named parameters, as sent, to a query fingerprint.
    pub fn fingerprint(&self, mut fingerprint: Fingerprint, names: &[&str]) -> Fingerprint {
        for name in names {
            fingerprint = fingerprint.with(name, self.get(name));
        }
        fingerprint
    }
}

pub(crate) fn enum_value(text: &str, field: &str, allowed: &[&'static str]) -> Result<&'static str, ApiError> {
    allowed.iter().copied().find(|value| *value == text).ok_or_else(|| {
        ApiError::invalid(
            "INVALID_ENUM_VALUE",
            field,
            format!("`{text}` is not a valid value for `{field}`; expected one of {}.", allowed.join(", ")),
        )
    })
}

pub(crate) fn sort_order(text: &str, field: &str) -> Result<Direction, ApiError> {
    match text {
        "ASC" => Ok(Direction::Ascending),
        "DESC" => Ok(Direction::Descending),
        _ => Err(ApiError::invalid(
            "INVALID_SORT_ORDER",
            field,
            format!("`{text}` is not a sort order: use ASC or DESC."),
        )),
    }
}

/// An RFC 3339 timestamp (`INVALID_TIME` otherwise).
pub(crate) fn parse_time(text: &str, field: &str) -> Result<Millis, ApiError> {
    chrono::DateTime::parse_from_rfc3339(text).map(|instant| instant.timestamp_millis()).map_err(|_| {
        ApiError::invalid("INVALID_TIME", field, format!("`{text}` is not an RFC 3339 timestamp (`{field}`)."))
    })
}

/// What a page size over the maximum does, per the spec's words for each endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OverMax {
    /// `400 VALUE_TOO_HIGH`.
    Refuse,
    /// "Ignored and the default value is used instead."
    UseDefault,
    /// "No more than the maximum results are returned."
    Clamp,
}

/// The page size: `default` when absent, `VALUE_TOO_LOW` under 1, and over `max` per `over`.
pub(crate) fn page_size(
    value: Option<i64>,
    field: &str,
    default: usize,
    max: usize,
    over: OverMax,
) -> Result<usize, ApiError> {
    let Some(value) = value else { return Ok(default) };
    if value < 1 {
        return Err(ApiError::invalid("VALUE_TOO_LOW", field, format!("`{field}` must be at least 1, got {value}.")));
    }
    let value = usize::try_from(value).unwrap_or(usize::MAX);
    if value <= max {
        return Ok(value);
    }
    match over {
        OverMax::Refuse => {
            Err(ApiError::invalid("VALUE_TOO_HIGH", field, format!("`{field}` must be at most {max}, got {value}.")))
        }
        OverMax::UseDefault => Ok(default),
        OverMax::Clamp => Ok(max),
    }
}

/// A time window `[begin, end)` (`INVALID_TIME_RANGE` when it ends before it begins).
pub(crate) fn window(begin: Option<Millis>, end: Option<Millis>, field: &str) -> Result<KeyRange<Millis>, ApiError> {
    if let (Some(begin), Some(end)) = (begin, end)
        && end < begin
    {
        return Err(ApiError::invalid("INVALID_TIME_RANGE", field, "The end of the time range is before its start."));
    }
    Ok(KeyRange { low: begin, high: end.map(Bound::Exclusive) })
}

/// Whether `millis` is inside `[begin, end)`.
pub(crate) fn within(millis: Millis, begin: Option<Millis>, end: Option<Millis>) -> bool {
    begin.is_none_or(|begin| millis >= begin) && end.is_none_or(|end| millis < end)
}

/// Reads a cursor the client sent back: refused (`INVALID_CURSOR`) when it is garbled or was
/// issued for any other query.
pub(crate) fn cursor(text: Option<&str>, fingerprint: u64, field: &str) -> Result<Option<Cursor>, ApiError> {
    let Some(text) = text.filter(|text| !text.is_empty()) else { return Ok(None) };
    match Cursor::decode(text) {
        Some(cursor) if cursor.fingerprint == fingerprint => Ok(Some(cursor)),
        _ => Err(ApiError::invalid(
            "INVALID_CURSOR",
            field,
            "The cursor is not valid for this request: send it back with the exact query that returned it.",
        )),
    }
}

/// The `(time, position)` a time-keyed cursor continues after.
pub(crate) fn time_after(cursor: Option<&Cursor>) -> Option<(Millis, u32)> {
    cursor.and_then(|cursor| match cursor.key {
        CursorKey::Time(key) => Some((key, cursor.position)),
        CursorKey::Text(_) => None,
    })
}

/// A cursor for the next page of a time-sorted walk.
pub(crate) fn next_time_cursor(
    fingerprint: u64,
    next: Option<(Millis, u32)>,
    window: [Option<Millis>; 2],
) -> Option<String> {
    next.map(|(key, position)| Cursor { fingerprint, key: CursorKey::Time(key), position, window }.encode())
}

/// A JSON request body (an empty body counts as `{}`), with Square's errors for bad JSON and
/// for values of the wrong type, naming the field.
pub(crate) fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let text = if bytes.iter().all(u8::is_ascii_whitespace) { &b"{}"[..] } else { bytes };
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(body_error)?;
    deserializer.end().map_err(|error| {
        ApiError::invalid("BAD_REQUEST", "", format!("The request body is not valid JSON: {error}"))
    })?;
    Ok(value)
}

fn body_error(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = error.path().to_string();
    let field = if path == "." { String::new() } else { path };
    let inner = error.inner();
    if inner.is_syntax() || inner.is_eof() {
        return ApiError::invalid("BAD_REQUEST", "", format!("The request body is not valid JSON: {inner}"));
    }
    let message = inner.to_string();
    let code = if message.contains("expected i64") || message.contains("expected u32") || message.contains("integer") {
        "EXPECTED_INTEGER"
    } else if message.contains("a boolean") {
        "EXPECTED_BOOLEAN"
    } else if message.contains("a string") {
        "EXPECTED_STRING"
    } else if message.contains("a sequence") {
        "EXPECTED_ARRAY"
    } else if message.contains("struct") || message.contains("a map") {
        "EXPECTED_OBJECT"
    } else if message.contains("missing field") {
        "MISSING_REQUIRED_PARAMETER"
    } else {
        "INVALID_VALUE"
    };
    ApiError::invalid(code, field, format!("Invalid request body: {message}"))
}
