//! Comparing a field of a rendered entity with a query literal, by the field's type: amounts
//! and ids as decimals, `MetaData` times as instants, dates as dates, text without regard to
//! case (QBO matches names that way).

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;

use super::parser::{Condition, Literal};
use crate::providers::quickbooks_online::fault::QboFault;
use crate::providers::quickbooks_online::money::Decimal;

/// How a field compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldType {
    Number,
    Instant,
    Date,
    Boolean,
    Text,
}

impl FieldType {
    /// The type of a canonical field name.
    pub fn of(field: &str) -> Self {
        match field {
            "Id" | "CustomerRef" | "TotalAmt" | "Balance" | "UnitPrice" => Self::Number,
            "MetaData.CreateTime" | "MetaData.LastUpdatedTime" => Self::Instant,
            "TxnDate" | "DueDate" => Self::Date,
            "Active" => Self::Boolean,
            _ => Self::Text,
        }
    }
}

/// A comparable form of a value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Number(Decimal),
    Instant(DateTime<Utc>),
    Date(NaiveDate),
    Text(String),
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// `2026-01-01T10:00:00-08:00`, `2026-01-01T10:00:00` (UTC) or `2026-01-01` (midnight UTC).
pub(crate) fn instant(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .map(|instant| instant.with_timezone(&Utc))
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").ok().map(|naive| naive.and_utc()))
        .or_else(|| date(text).and_then(|date| date.and_hms_opt(0, 0, 0)).map(|naive| naive.and_utc()))
}

fn date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d").ok()
}

fn key(field_type: FieldType, text: &str) -> Option<Key> {
    match field_type {
        FieldType::Number => Decimal::parse(text).map(Key::Number),
        FieldType::Instant => instant(text).map(Key::Instant),
        FieldType::Date => date(text).map(Key::Date),
        FieldType::Boolean | FieldType::Text => Some(Key::Text(text.trim().to_lowercase())),
    }
}

/// Orders two field values; an absent value sorts first.
pub(crate) fn compare_values(field_type: FieldType, left: Option<&Value>, right: Option<&Value>) -> Ordering {
    let left = left.and_then(|value| key(field_type, &text_of(value)));
    let right = right.and_then(|value| key(field_type, &text_of(value)));
    left.cmp(&right)
}

/// The literal as a key, or 4001 for a value the field cannot hold.
fn literal_key(field_type: FieldType, literal: &Literal) -> Result<Key, QboFault> {
    let text = literal.text();
    key(field_type, &text)
        .ok_or_else(|| QboFault::query_invalid(format!("'{text}' is not a valid value for a {field_type:?} field")))
}

/// 4001 for a literal the field cannot hold, checked before any entity is looked at.
pub(crate) fn check_literals(field_type: FieldType, condition: &Condition) -> Result<(), QboFault> {
    match condition {
        Condition::Compare { value, .. } => literal_key(field_type, value).map(drop),
        Condition::In { values, .. } => values.iter().try_for_each(|value| literal_key(field_type, value).map(drop)),
        Condition::Like { .. } => Ok(()),
    }
}

/// `%` matches any run of characters; everything else matches itself, case-insensitively.
fn like(value: &str, pattern: &str) -> bool {
    let value = value.to_lowercase();
    let parts: Vec<String> = pattern.to_lowercase().split('%').map(str::to_owned).collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return value == pattern.to_lowercase();
    };
    let Some(mut rest) = value.strip_prefix(first.as_str()) else { return false };
    for part in middle {
        match rest.find(part.as_str()) {
            Some(found) => rest = &rest[found + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last.as_str())
}

/// Whether a field value satisfies a condition.
pub(crate) fn matches(field_type: FieldType, value: Option<&Value>, condition: &Condition) -> Result<bool, QboFault> {
    let value_key = value.and_then(|value| key(field_type, &text_of(value)));
    match condition {
        Condition::Compare { operator, value: literal, .. } => {
            let wanted = literal_key(field_type, literal)?;
            let Some(actual) = value_key else { return Ok(*operator == "!=") };
            if field_type == FieldType::Boolean && !matches!(*operator, "=" | "!=") {
                return Err(QboFault::query_invalid(format!("operator {operator} does not apply to a boolean field")));
            }
            Ok(match *operator {
                "=" => actual == wanted,
                "!=" => actual != wanted,
                "<" => actual < wanted,
                "<=" => actual <= wanted,
                ">" => actual > wanted,
                _ => actual >= wanted,
            })
        }
        Condition::In { values, .. } => {
            let wanted =
                values.iter().map(|literal| literal_key(field_type, literal)).collect::<Result<Vec<_>, _>>()?;
            Ok(value_key.is_some_and(|actual| wanted.contains(&actual)))
        }
        Condition::Like { pattern, .. } => Ok(value.is_some_and(|value| like(&text_of(value), pattern))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{FieldType, like, matches};
    use crate::providers::quickbooks_online::query::parser::{Condition, Literal};

    fn compare(field: &str, operator: &'static str, literal: Literal) -> Condition {
        Condition::Compare { field: field.into(), operator, value: literal }
    }

    #[test]
    fn instants_compare_across_offsets_and_dates() {
        let updated = json!("2026-03-01T10:00:00+00:00");
        let check = |operator, text: &str| {
            matches(FieldType::Instant, Some(&updated), &compare("x", operator, Literal::Text(text.into())))
                .expect("a valid instant")
        };
        assert!(check(">", "2026-03-01T01:59:59-08:00"));
        assert!(!check(">", "2026-03-01T02:00:00-08:00"));
        assert!(check(">=", "2026-03-01T02:00:00-08:00"));
        assert!(check("<", "2026-03-02"));
        assert!(matches(FieldType::Instant, Some(&updated), &compare("x", "=", Literal::Text("soon".into()))).is_err());
    }

    #[test]
    fn amounts_compare_as_numbers_and_text_ignores_case() {
        let amount = json!(1500.0);
        assert!(
            matches(FieldType::Number, Some(&amount), &compare("x", ">", Literal::Number("999.99".into())))
                .expect("ok")
        );
        let name = json!("Downtown Cuts LLC");
        assert!(
            matches(FieldType::Text, Some(&name), &compare("x", "=", Literal::Text("downtown cuts llc".into())))
                .expect("ok")
        );
        let within =
            Condition::In { field: "x".into(), values: vec![Literal::Text("3".into()), Literal::Text("12".into())] };
        assert!(matches(FieldType::Number, Some(&json!("12")), &within).expect("ok"));
        assert!(!matches(FieldType::Number, Some(&json!("1")), &within).expect("ok"));
    }

    #[test]
    fn like_patterns() {
        assert!(like("Downtown Cuts", "down%"));
        assert!(like("Downtown Cuts", "%CUTS"));
        assert!(like("Downtown Cuts", "%town%"));
        assert!(like("Royalty", "Royalty"));
        assert!(!like("Royalty", "Roy"));
        assert!(!like("ab", "a%b%b"));
    }
}
