//! QBO's query endpoint over one company: parse the statement, check its entity and fields
//! (4001), filter, order (by `Id` when no `ORDERBY` is given, and `Id` breaks ties, so pages
//! never repeat or skip a record) and page with `STARTPOSITION` (1-based) and `MAXRESULTS`
//! (100 by default, at most 1000).

mod compare;
mod lexer;
mod parser;

use std::cmp::Ordering;

use serde_json::{Map, Value, json};

use super::company::Company;
use super::entity::EntityKind;
use super::fault::QboFault;
pub(crate) use compare::instant as parse_instant;
use compare::{FieldType, check_literals, compare_values, matches};
use parser::{Condition, Projection, parse};

/// The page size when the statement names none.
const DEFAULT_MAX_RESULTS: i64 = 100;
/// The largest page QBO serves.
pub(crate) const MAX_RESULTS_LIMIT: i64 = 1000;

/// The fields each entity can be filtered and ordered by.
fn queryable(kind: EntityKind) -> &'static [&'static str] {
    match kind {
        EntityKind::Customer => &[
            "DisplayName",
            "GivenName",
            "FamilyName",
            "CompanyName",
            "FullyQualifiedName",
            "PrimaryEmailAddr",
            "Active",
            "Balance",
        ],
        EntityKind::Item => &["Name", "FullyQualifiedName", "Type", "Active", "Sku", "UnitPrice"],
        EntityKind::Invoice => &["DocNumber", "TxnDate", "DueDate", "CustomerRef", "TotalAmt", "Balance"],
        EntityKind::Payment => &["TxnDate", "CustomerRef", "TotalAmt"],
    }
}

/// The canonical spelling of a queryable field (`metadata.lastupdatedtime` →
/// `MetaData.LastUpdatedTime`), or 4001.
fn field(kind: EntityKind, name: &str) -> Result<&'static str, QboFault> {
    ["Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime"]
        .iter()
        .chain(queryable(kind))
        .find(|known| known.eq_ignore_ascii_case(name))
        .copied()
        .ok_or_else(|| QboFault::query_invalid(format!("property '{name}' is not queryable on {}", kind.name())))
}

/// The value of a canonical field in a rendered entity: references by their `value`, email
/// addresses by their `Address`.
fn value_of<'a>(entity: &'a Value, field: &str) -> Option<&'a Value> {
    let mut value = entity;
    for segment in field.split('.') {
        value = value.get(segment)?;
    }
    match value {
        Value::Object(object) => object.get("value").or_else(|| object.get("Address")),
        Value::Null => None,
        other => Some(other),
    }
}

/// Runs a statement; the answer is the `QueryResponse` object.
pub(crate) fn run(company: &Company, text: &str) -> Result<Value, QboFault> {
    let statement = parse(text)?;
    let kind = EntityKind::from_name(&statement.entity).ok_or_else(|| {
        QboFault::query_invalid(format!(
            "entity '{}' is not served by the emulator (Customer, Item, Invoice and Payment are)",
            statement.entity
        ))
    })?;
    let conditions: Vec<(&'static str, &Condition)> = statement
        .conditions
        .iter()
        .map(|condition| {
            let name = field(kind, condition.field())?;
            check_literals(FieldType::of(name), condition)?;
            Ok((name, condition))
        })
        .collect::<Result<_, QboFault>>()?;
    let order: Vec<(&'static str, bool)> = statement
        .order
        .iter()
        .map(|order| Ok((field(kind, &order.field)?, order.descending)))
        .collect::<Result<_, QboFault>>()?;
    let start_position = statement.start_position.unwrap_or(1).max(1);
    let max_results = statement.max_results.unwrap_or(DEFAULT_MAX_RESULTS);
    if max_results > MAX_RESULTS_LIMIT {
        return Err(QboFault::query_invalid(format!(
            "value {max_results} is too large. Max allowed value is {MAX_RESULTS_LIMIT}"
        )));
    }
    if max_results < 1 {
        return Err(QboFault::query_invalid(format!("MAXRESULTS must be at least 1, not {max_results}")));
    }

    let mut selected = Vec::new();
    for entity in company.all(kind) {
        let mut keep = true;
        for (name, condition) in &conditions {
            if !matches(FieldType::of(name), value_of(&entity, name), condition)? {
                keep = false;
                break;
            }
        }
        if keep {
            selected.push(entity);
        }
    }
    if statement.projection == Projection::Count {
        return Ok(json!({"totalCount": selected.len()}));
    }
    selected.sort_by(|left, right| {
        order
            .iter()
            .map(|(name, descending)| {
                let ordering = compare_values(FieldType::of(name), value_of(left, name), value_of(right, name));
                if *descending { ordering.reverse() } else { ordering }
            })
            .find(|ordering| *ordering != Ordering::Equal)
            .unwrap_or_else(|| compare_values(FieldType::Number, value_of(left, "Id"), value_of(right, "Id")))
    });
    let page: Vec<Value> = selected
        .into_iter()
        .skip(usize::try_from(start_position - 1).unwrap_or(usize::MAX))
        .take(usize::try_from(max_results).unwrap_or(0))
        .collect();
    if page.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let mut response = Map::new();
    response.insert("startPosition".to_owned(), json!(start_position));
    response.insert("maxResults".to_owned(), json!(page.len()));
    response.insert(kind.name().to_owned(), Value::Array(page));
    Ok(Value::Object(response))
}
