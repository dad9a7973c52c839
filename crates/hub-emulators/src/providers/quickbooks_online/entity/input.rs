//! Reading a request body field by field: each accessor answers `Ok(None)` for an absent or
//! `null` field and QBO's 2010 fault (naming the element) for a value of the wrong shape.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::super::fault::QboFault;
use super::super::money::Decimal;

/// One JSON object of a request body and where it sits (`Line[0].SalesItemLineDetail`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Input<'a> {
    object: &'a Map<String, Value>,
    path: &'a str,
}

/// An object found inside an [`Input`], with its own path.
#[derive(Debug, Clone)]
pub(crate) struct Nested<'a> {
    object: &'a Map<String, Value>,
    path: String,
}

impl<'a> Nested<'a> {
    pub fn input(&self) -> Input<'_> {
        Input { object: self.object, path: &self.path }
    }
}

impl<'a> Input<'a> {
    /// The top of a request body, which must be a JSON object.
    pub fn root(value: &'a Value) -> Result<Self, QboFault> {
        match value {
            Value::Object(object) => Ok(Self { object, path: "" }),
            _ => Err(QboFault::invalid_property(None, "the request body is not a JSON object")),
        }
    }

    /// `Line[0].Amount` for `Amount` here.
    pub fn element(&self, key: &str) -> String {
        if self.path.is_empty() { key.to_owned() } else { format!("{}.{key}", self.path) }
    }

    fn field(&self, key: &str) -> Option<&'a Value> {
        self.object.get(key).filter(|value| !value.is_null())
    }

    /// Whether the field is present (even as `null`), for sparse updates.
    pub fn has(&self, key: &str) -> bool {
        self.object.contains_key(key)
    }

    fn wrong(&self, key: &str, expected: &str) -> QboFault {
        let element = self.element(key);
        QboFault::invalid_property(Some(&element), format!("{element} (expected {expected})"))
    }

    /// A string; numbers and booleans are taken as their text, as QBO's parser does.
    pub fn string(&self, key: &str) -> Result<Option<String>, QboFault> {
        match self.field(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(Value::Number(number)) => Ok(Some(number.to_string())),
            Some(Value::Bool(flag)) => Ok(Some(flag.to_string())),
            Some(_) => Err(self.wrong(key, "a string")),
        }
    }

    /// A string that, when present, is not blank.
    pub fn text(&self, key: &str) -> Result<Option<String>, QboFault> {
        Ok(self.string(key)?.map(|text| text.trim().to_owned()).filter(|text| !text.is_empty()))
    }

    pub fn decimal(&self, key: &str) -> Result<Option<Decimal>, QboFault> {
        match self.field(key) {
            None => Ok(None),
            Some(value) => Decimal::from_json(value).map(Some).ok_or_else(|| self.wrong(key, "a decimal number")),
        }
    }

    pub fn boolean(&self, key: &str) -> Result<Option<bool>, QboFault> {
        match self.field(key) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(Value::String(text)) if text.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(text)) if text.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(self.wrong(key, "true or false")),
        }
    }

    /// An `xs:date` (`2026-11-24`).
    pub fn date(&self, key: &str) -> Result<Option<NaiveDate>, QboFault> {
        match self.string(key)? {
            None => Ok(None),
            Some(text) => NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .map(Some)
                .map_err(|_| self.wrong(key, "a yyyy-MM-dd date")),
        }
    }

    /// A nested object.
    pub fn object(&self, key: &str) -> Result<Option<Nested<'a>>, QboFault> {
        match self.field(key) {
            None => Ok(None),
            Some(Value::Object(object)) => Ok(Some(Nested { object, path: self.element(key) })),
            Some(_) => Err(self.wrong(key, "an object")),
        }
    }

    /// A list of objects (`Line`, `LinkedTxn`).
    pub fn objects(&self, key: &str) -> Result<Option<Vec<Nested<'a>>>, QboFault> {
        match self.field(key) {
            None => Ok(None),
            Some(Value::Array(values)) => values
                .iter()
                .enumerate()
                .map(|(index, value)| match value {
                    Value::Object(object) => Ok(Nested { object, path: format!("{}[{index}]", self.element(key)) }),
                    _ => Err(self.wrong(key, "a list of objects")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(self.wrong(key, "a list")),
        }
    }

    /// The `value` of a `…Ref` object; a bare string is accepted too.
    pub fn reference(&self, key: &str) -> Result<Option<String>, QboFault> {
        match self.field(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.trim().to_owned()).filter(|text| !text.is_empty())),
            Some(Value::Object(_)) => {
                let Some(nested) = self.object(key)? else { return Ok(None) };
                nested.input().text("value")
            }
            Some(_) => Err(self.wrong(key, "a reference {\"value\": …}")),
        }
    }

    /// The `Address` of an `EmailAddress` object (`PrimaryEmailAddr`, `BillEmail`).
    pub fn email(&self, key: &str) -> Result<Option<String>, QboFault> {
        match self.object(key)? {
            None => Ok(None),
            Some(nested) => nested.input().text("Address"),
        }
    }
}
