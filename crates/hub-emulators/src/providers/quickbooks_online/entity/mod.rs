//! The QBO entities the emulator keeps (Customer, Item, Invoice, Payment): their names, the
//! fields every entity shares (`Id`, `SyncToken`, `MetaData`), references, and reading request
//! bodies field by field with QBO's errors.

pub(crate) mod customer;
pub(crate) mod input;
pub(crate) mod invoice;
pub(crate) mod item;
pub(crate) mod payment;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

use super::clock;

/// An entity type the emulated Accounting API serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityKind {
    Customer,
    Item,
    Invoice,
    Payment,
}

impl EntityKind {
    /// Every served entity type.
    pub const ALL: [Self; 4] = [Self::Customer, Self::Item, Self::Invoice, Self::Payment];

    /// The name QBO uses in bodies, queries and webhooks (`Invoice`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Customer => "Customer",
            Self::Item => "Item",
            Self::Invoice => "Invoice",
            Self::Payment => "Payment",
        }
    }

    /// The kind behind a name or a URL segment, case-insensitively (`invoice`, `Invoice`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for EntityKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::from_name(text).ok_or_else(|| format!("`{text}` is not an entity the emulator serves"))
    }
}

impl Serialize for EntityKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for EntityKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What QBO keeps about every stored entity besides its own fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record<T> {
    pub id: u64,
    pub sync_token: u64,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub body: T,
}

impl<T> Record<T> {
    pub fn new(id: u64, now: DateTime<Utc>, body: T) -> Self {
        Self { id, sync_token: 0, created: now, updated: now, body }
    }

    /// Replaces the body as one change: `SyncToken` + 1, `LastUpdatedTime` now.
    pub fn replace(&mut self, body: T, now: DateTime<Utc>) {
        self.body = body;
        self.touch(now);
    }

    /// Marks a change made on QBO's side (a payment applied to an invoice).
    pub fn touch(&mut self, now: DateTime<Utc>) {
        self.sync_token += 1;
        self.updated = now;
    }

    /// `Id`, `SyncToken`, `MetaData`, `domain` and `sparse`, as QBO starts every entity.
    pub fn header(&self) -> Map<String, Value> {
        let mut header = Map::new();
        header.insert("Id".to_owned(), json!(self.id.to_string()));
        header.insert("SyncToken".to_owned(), json!(self.sync_token.to_string()));
        header.insert(
            "MetaData".to_owned(),
            json!({"CreateTime": clock::meta_time(self.created), "LastUpdatedTime": clock::meta_time(self.updated)}),
        );
        header.insert("domain".to_owned(), json!("QBO"));
        header.insert("sparse".to_owned(), json!(false));
        header
    }
}

/// Finding the records a body refers to, by the id text it carries.
pub(crate) trait Lookup {
    fn customer(&self, id: &str) -> Option<&Record<customer::Customer>>;
    fn item(&self, id: &str) -> Option<&Record<item::Item>>;
    fn invoice(&self, id: &str) -> Option<&Record<invoice::Invoice>>;
}

/// A `…Ref` as QBO writes it: `{"value": "42", "name": "Royalty"}`.
pub(crate) fn reference(value: impl fmt::Display, name: Option<&str>) -> Value {
    match name {
        Some(name) => json!({"value": value.to_string(), "name": name}),
        None => json!({"value": value.to_string()}),
    }
}

/// The ISO 4217 codes the emulator names in `CurrencyRef.name`.
pub(crate) fn currency_name(code: &str) -> &'static str {
    match code {
        "USD" => "United States Dollar",
        "CAD" => "Canadian Dollar",
        "GBP" => "British Pound Sterling",
        "EUR" => "Euro",
        "AUD" => "Australian Dollar",
        "MXN" => "Mexican Peso",
        _ => "Currency",
    }
}
