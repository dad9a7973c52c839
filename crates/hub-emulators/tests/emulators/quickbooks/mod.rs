//! QuickBooks Online's emulated Accounting API, spoken to over HTTP the way the hub will: a
//! company connected through the OAuth flow (`emulator_account` picks the realm), requests
//! built from the catalog's emulator `api_base`.

mod access;
mod crud;
mod idempotency;
mod query;
mod schema;
mod validation;
mod webhooks;

use hub_connectors::Environment;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Harness, REDIRECT_URI};

/// The first realm tests connect.
pub const REALM: &str = "9130350000000001";
/// A second company.
pub const OTHER_REALM: &str = "9130350000000002";

/// An answer: status and JSON body (`Null` when the body is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub intuit_tid: Option<String>,
}

impl Answer {
    /// The `Fault.Error[0].code`, if the body is a fault.
    pub fn fault_code(&self) -> Option<&str> {
        self.body["Fault"]["Error"][0]["code"].as_str()
    }

    /// Asserts a QBO fault with this status, code and type, and the envelope's `time`.
    pub fn assert_fault(&self, status: u16, code: &str, kind: &str) {
        assert_eq!(self.status.as_u16(), status, "{self:?}");
        assert_eq!(self.fault_code(), Some(code), "{self:?}");
        assert_eq!(self.body["Fault"]["type"], kind, "{self:?}");
        let error = &self.body["Fault"]["Error"][0];
        assert!(error["Message"].as_str().is_some_and(|text| !text.is_empty()), "{self:?}");
        assert!(error["Detail"].is_string(), "{self:?}");
        assert!(self.body["time"].is_string(), "a fault carries `time`: {self:?}");
    }
}

/// One connected company.
pub struct Company<'a> {
    pub harness: &'a Harness,
    pub realm: String,
    pub token: String,
    api_base: String,
}

/// Connects `realm` through the authorization code flow and returns its API client.
pub async fn connect<'a>(harness: &'a Harness, realm: &str) -> Company<'a> {
    let client = harness.client("quickbooks-online");
    let mut url = url::Url::parse(&client.authorize_url(REDIRECT_URI, "state-qbo", None)).expect("a URL");
    url.query_pairs_mut().append_pair("emulator_account", realm);
    let response = harness.http.get(url).send().await.expect("authorize answers");
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = url::Url::parse(response.headers()["location"].to_str().expect("text")).expect("a URL");
    let redirect: std::collections::HashMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(redirect.get("realmId").map(String::as_str), Some(realm), "Intuit names the company");
    let reply = client.exchange(&redirect["code"], Some(REDIRECT_URI), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let urls = hub_connectors::provider("quickbooks-online")
        .expect("in the catalog")
        .urls(Environment::Emulator, &harness.emulator.base_url())
        .expect("an emulator environment");
    Company { harness, realm: realm.to_owned(), token: reply.access_token(), api_base: urls.api_base }
}

impl Company<'_> {
    /// `{api_base}/v3/company/{realm}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/v3/company/{}{path}", self.api_base, self.realm)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.bearer_auth(&self.token).send().await.expect("the API answers");
        let status = response.status();
        let intuit_tid = response.headers().get("intuit_tid").and_then(|value| value.to_str().ok()).map(str::to_owned);
        let body = response.json().await.unwrap_or(Value::Null);
        Answer { status, body, intuit_tid }
    }

    /// `POST /{entity}?minorversion=75` plus `params`.
    pub async fn post_with(&self, entity: &str, params: &[(&str, &str)], body: &Value) -> Answer {
        let mut pairs = vec![("minorversion", "75")];
        pairs.extend_from_slice(params);
        let url = with_query(&self.url(&format!("/{entity}")), &pairs);
        self.send(self.harness.http.post(url).json(body)).await
    }

    pub async fn post(&self, entity: &str, body: &Value) -> Answer {
        self.post_with(entity, &[], body).await
    }

    /// Creates (or updates) and returns the entity, asserting success.
    pub async fn save(&self, entity: &str, body: &Value) -> Value {
        let answer = self.post(entity, body).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        let key = answer.body.as_object().and_then(|object| object.keys().find(|key| *key != "time").cloned());
        answer.body[key.expect("an entity key").as_str()].clone()
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.harness.http.get(with_query(&self.url(path), &[("minorversion", "75")]))).await
    }

    /// `GET /query?query=…`.
    pub async fn query(&self, statement: &str) -> Answer {
        let url = with_query(&self.url("/query"), &[("query", statement), ("minorversion", "75")]);
        self.send(self.harness.http.get(url)).await
    }

    /// The `QueryResponse` of a query that must succeed.
    pub async fn select(&self, statement: &str) -> Value {
        let answer = self.query(statement).await;
        assert_eq!(answer.status, StatusCode::OK, "{statement}: {answer:?}");
        answer.body["QueryResponse"].clone()
    }

    /// A customer named `name`; returns its id.
    pub async fn customer(&self, name: &str) -> String {
        let customer = self
            .save("customer", &json!({"DisplayName": name, "PrimaryEmailAddr": {"Address": "owner@example.com"}}))
            .await;
        id(&customer)
    }

    /// A service item named `name`; returns its id.
    pub async fn item(&self, name: &str) -> String {
        id(&self.save("item", &json!({"Name": name, "Type": "Service"})).await)
    }

    /// An invoice of one line; returns it.
    pub async fn invoice(&self, customer: &str, item: &str, amount: f64) -> Value {
        self.save("invoice", &invoice_body(customer, item, amount)).await
    }
}

/// `url` with `pairs` added to its query string, percent-encoded.
pub fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(url).expect("a URL");
    url.query_pairs_mut().extend_pairs(pairs);
    url.into()
}

/// A one-line invoice body.
pub fn invoice_body(customer: &str, item: &str, amount: f64) -> Value {
    json!({
        "CustomerRef": {"value": customer},
        "Line": [{
            "Amount": amount,
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": item}},
        }],
    })
}

/// An entity's `Id`.
pub fn id(entity: &Value) -> String {
    entity["Id"].as_str().unwrap_or_else(|| panic!("no Id in {entity}")).to_owned()
}
