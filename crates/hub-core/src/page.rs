//! Cursor pagination: opaque cursors that carry the last key seen, and page size limits.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ValidationError;

/// The page size when the caller names none.
pub const DEFAULT_LIMIT: u32 = 50;
/// The largest page a caller may ask for.
pub const MAX_LIMIT: u32 = 500;

/// One page request: how many, and after which key (exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// At most this many items, between 1 and [`MAX_LIMIT`].
    pub limit: u32,
    /// The sort key of the last item of the previous page.
    pub after: Option<String>,
}

impl PageRequest {
    /// The first page with the default size.
    pub fn first() -> Self {
        Self { limit: DEFAULT_LIMIT, after: None }
    }

    /// Builds a request from the query string's `limit` and `cursor`, refusing bad values.
    pub fn from_query(limit: Option<u32>, cursor: Option<&str>) -> Result<Self, ValidationError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ValidationError::new(format!("must be between 1 and {MAX_LIMIT}")).for_field("limit"));
        }
        let after = cursor.map(decode_cursor).transpose()?;
        Ok(Self { limit, after })
    }
}

/// The items of one page and the cursor for the next, if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in key order.
    pub items: Vec<T>,
    /// Pass back as `cursor` to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` fetched rows: the extra row only proves there is more.
    pub fn from_rows(mut rows: Vec<T>, limit: u32, key: impl Fn(&T) -> String) -> Self {
        let has_more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if has_more { rows.last().map(|last| encode_cursor(&key(last))) } else { None };
        Self { items: rows, next_cursor }
    }

    /// Transforms the items, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

const CURSOR_VERSION: &str = "c1:";

/// Wraps a sort key in an opaque cursor.
pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_VERSION}{key}"))
}

/// Unwraps a cursor made by [`encode_cursor`]; anything else is a validation error on `cursor`.
pub fn decode_cursor(cursor: &str) -> Result<String, ValidationError> {
    let invalid = || ValidationError::new("is not a cursor this API returned").for_field("cursor");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let key = text.strip_prefix(CURSOR_VERSION).ok_or_else(invalid)?;
    if key.is_empty() || key.len() > 200 || key.chars().any(|c| c.is_control()) {
        return Err(invalid());
    }
    Ok(key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = encode_cursor("loc_01jdq5d7wz8k2m4n6p8r0t2v4x");
        assert_eq!(decode_cursor(&cursor).as_deref(), Ok("loc_01jdq5d7wz8k2m4n6p8r0t2v4x"));
        for bad in ["", "!!!", "bG9jXzAx", &URL_SAFE_NO_PAD.encode("c1:")] {
            let error = decode_cursor(bad).expect_err(bad);
            assert_eq!(error.field.as_deref(), Some("cursor"));
        }
    }

    #[test]
    fn page_sizes_are_bounded() {
        assert!(PageRequest::from_query(Some(0), None).is_err());
        assert!(PageRequest::from_query(Some(MAX_LIMIT + 1), None).is_err());
        assert_eq!(PageRequest::from_query(None, None).map(|p| p.limit), Ok(DEFAULT_LIMIT));
    }

    #[test]
    fn extra_row_makes_a_next_cursor() {
        let page = Page::from_rows(vec!["a", "b", "c"], 2, |s| s.to_string());
        assert_eq!(page.items, vec!["a", "b"]);
        assert_eq!(page.next_cursor.map(|c| decode_cursor(&c)), Some(Ok("b".to_owned())));
        let last = Page::from_rows(vec!["a"], 2, |s| s.to_string());
        assert_eq!(last.next_cursor, None);
    }
}
