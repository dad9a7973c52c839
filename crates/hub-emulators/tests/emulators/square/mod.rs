//! The Square data API against a real emulator on loopback: spec conformance of every
//! response, request validation, pagination walks, determinism, the oracle totals, changes
//! made through the control surface, and faults.

mod changes;
mod conformance;
mod control_http;
mod data;
mod faults;
mod pagination;
mod schema;
mod validation;

use chrono::NaiveDate;
use hub_emulators::{SQUARE_DATA_SCOPES, SquareLocationInfo, SquareLocationSpec, SquareMerchantConfig};
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::Harness;

/// The last day of every test dataset (explicit, so tests do not depend on the date).
pub fn end_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 30).expect("a date")
}

/// A `begin_time`/`end_time` window that holds every record of the test datasets.
pub fn all_time() -> Vec<(&'static str, String)> {
    vec![("begin_time", "2020-01-01T00:00:00Z".to_owned()), ("end_time", "2030-01-01T00:00:00Z".to_owned())]
}

/// `all_time()` and more parameters.
pub fn all_time_and(extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut query = all_time();
    query.extend(extra.iter().map(|(name, value)| (*name, (*value).to_owned())));
    query
}

/// A configuration over `locations` given as (name, time zone, currency).
pub fn config(merchant_id: &str, locations: &[(&str, &str, &str)], days: u32, seed: u64) -> SquareMerchantConfig {
    SquareMerchantConfig {
        merchant_id: merchant_id.to_owned(),
        business_name: Some("Clipper Kings".to_owned()),
        locations: locations
            .iter()
            .map(|(name, zone, currency)| SquareLocationSpec::new(*name, *zone, *currency))
            .collect(),
        days,
        end_date: end_date(),
        seed,
        orders_per_day: 12..=20,
    }
}

/// One US and one UK shop.
pub fn two_shops(merchant_id: &str, days: u32, seed: u64) -> SquareMerchantConfig {
    config(merchant_id, &[("Brooklyn", "America/New_York", "USD"), ("Shoreditch", "Europe/London", "GBP")], days, seed)
}

/// A response: status, parsed body and raw text.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// The first error's code and field.
    pub fn error(&self) -> (String, Option<String>) {
        let first = &self.body["errors"][0];
        let code = first["code"].as_str().unwrap_or_else(|| panic!("no error in {self:?}")).to_owned();
        (code, first["field"].as_str().map(str::to_owned))
    }

    pub fn items(&self, field: &str) -> Vec<Value> {
        self.body[field].as_array().cloned().unwrap_or_default()
    }

    pub fn cursor(&self) -> Option<String> {
        self.body["cursor"].as_str().map(str::to_owned)
    }
}

/// An emulator with one configured merchant and a token holding every data scope.
pub struct Square {
    pub harness: Harness,
    pub token: String,
    pub locations: Vec<SquareLocationInfo>,
}

impl Square {
    pub async fn start(config: &SquareMerchantConfig) -> Self {
        let harness = Harness::start().await;
        let square = harness.state().square();
        square.configure_merchant(config).expect("a valid configuration");
        let token = square.issue_access_token(&config.merchant_id, &SQUARE_DATA_SCOPES).expect("a token");
        let locations = square.locations(&config.merchant_id);
        Self { harness, token, locations }
    }

    pub fn location(&self, index: usize) -> &str {
        &self.locations[index].id
    }

    async fn reply(response: reqwest::Response) -> Reply {
        let status = response.status();
        let text = response.text().await.expect("a body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, body, text }
    }

    /// `GET` with this merchant's token.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Reply {
        self.get_as(&self.token, path, query).await
    }

    pub async fn get_as(&self, token: &str, path: &str, query: &[(&str, String)]) -> Reply {
        let mut url = url::Url::parse(&self.harness.url(path)).expect("a URL");
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter().map(|(name, value)| (*name, value.as_str())));
        }
        let request = self.harness.http.get(url).bearer_auth(token);
        Self::reply(request.header("Square-Version", "2025-08-20").send().await.expect("answers")).await
    }

    /// `POST` a JSON body with this merchant's token.
    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.post_as(&self.token, path, body).await
    }

    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> Reply {
        let request = self.harness.http.post(self.harness.url(path)).json(body).bearer_auth(token);
        Self::reply(request.header("Square-Version", "2025-08-20").send().await.expect("answers")).await
    }

    /// Every page of a `GET` list: the items of `field` and each page's reply.
    pub async fn walk_get(&self, path: &str, query: &[(&str, String)], field: &str) -> (Vec<Value>, Vec<Reply>) {
        let mut items = Vec::new();
        let mut pages = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query = query.to_vec();
            if let Some(cursor) = &cursor {
                query.push(("cursor", cursor.clone()));
            }
            let reply = self.get(path, &query).await;
            assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
            items.extend(reply.items(field));
            cursor = reply.cursor();
            pages.push(reply);
            if cursor.is_none() {
                return (items, pages);
            }
            assert!(pages.len() < 100_000, "{path} never ends");
        }
    }

    /// Every page of a `POST` search.
    pub async fn walk_post(&self, path: &str, body: &Value, field: &str) -> (Vec<Value>, Vec<Reply>) {
        let mut items = Vec::new();
        let mut pages = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut body = body.clone();
            if let Some(cursor) = &cursor {
                body["cursor"] = Value::from(cursor.clone());
            }
            let reply = self.post(path, &body).await;
            assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
            items.extend(reply.items(field));
            cursor = reply.cursor();
            pages.push(reply);
            if cursor.is_none() {
                return (items, pages);
            }
            assert!(pages.len() < 100_000, "{path} never ends");
        }
    }

    /// Every order of every location, by `closed_at`.
    pub async fn all_orders(&self) -> Vec<Value> {
        let ids: Vec<&str> = self.locations.iter().map(|location| location.id.as_str()).collect();
        let body = serde_json::json!({
            "location_ids": ids,
            "limit": 1000,
            "query": {"sort": {"sort_field": "CLOSED_AT", "sort_order": "ASC"}},
        });
        self.walk_post("/square/v2/orders/search", &body, "orders").await.0
    }
}

/// Ids of a list of objects.
pub fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(|item| item["id"].as_str().expect("an id").to_owned()).collect()
}

/// An amount of a `Money` field.
pub fn amount(value: &Value) -> i64 {
    value["amount"].as_i64().unwrap_or_else(|| panic!("not money: {value}"))
}
