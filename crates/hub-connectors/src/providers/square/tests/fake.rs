//! A fake Square account behind the [`ProviderApi`] seam: canned answers routed by method, path,
//! Square's cursor and any other parameter a route names; every request it saw is kept.

use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::{Value, json};

use crate::source::{ApiRequest, ApiResponse, ConnectorError, HttpMethod, ProviderApi};

struct Route {
    method: HttpMethod,
    path: String,
    cursor: Option<String>,
    when: Vec<(String, String)>,
    response: ApiResponse,
}

/// Serves canned pages; a request no route matches gets Square's `NOT_FOUND` (so a test sees a
/// `Rejected`, not a hang).
#[derive(Default)]
pub(crate) struct FakeSquare {
    routes: Vec<Route>,
    sent: Mutex<Vec<ApiRequest>>,
}

/// A 200 with `body` as JSON.
pub(crate) fn ok(body: Value) -> ApiResponse {
    respond(200, &[], body)
}

/// An answer with `status`, `headers` (lower-case names) and `body` as JSON.
pub(crate) fn respond(status: u16, headers: &[(&str, &str)], body: Value) -> ApiResponse {
    ApiResponse {
        status,
        headers: headers.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect(),
        body: serde_json::to_vec(&body).expect("test bodies serialize"),
    }
}

/// The cursor a request carries: the `cursor` query parameter or body field.
pub(crate) fn cursor_of(request: &ApiRequest) -> Option<String> {
    parameter(request, "cursor")
}

/// A query parameter, or a top-level body field as text.
pub(crate) fn parameter(request: &ApiRequest, name: &str) -> Option<String> {
    if let Some((_, value)) = request.query.iter().find(|(key, _)| key == name) {
        return Some(value.clone());
    }
    match request.json.as_ref()?.get(name)? {
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

impl FakeSquare {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Answers `method path` with `response` when the request's Square cursor is `cursor` and
    /// every `(name, value)` in `when` matches a query parameter or top-level body field.
    pub(crate) fn on(
        mut self,
        method: HttpMethod,
        path: &str,
        cursor: Option<&str>,
        when: &[(&str, &str)],
        response: ApiResponse,
    ) -> Self {
        self.routes.push(Route {
            method,
            path: path.to_owned(),
            cursor: cursor.map(str::to_owned),
            when: when.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect(),
            response,
        });
        self
    }

    /// `GET /v2/locations` answering these location ids.
    pub(crate) fn with_locations(self, ids: &[&str]) -> Self {
        let locations: Vec<Value> = ids
            .iter()
            .map(|id| json!({ "id": id, "name": format!("Shop {id}"), "status": "ACTIVE", "currency": "USD" }))
            .collect();
        self.on(HttpMethod::Get, "/v2/locations", None, &[], ok(json!({ "locations": locations })))
    }

    /// Every request sent so far, in order.
    pub(crate) fn sent(&self) -> Vec<ApiRequest> {
        self.sent.lock().expect("the fake's lock is never poisoned").clone()
    }

    /// The requests sent to `path`.
    pub(crate) fn sent_to(&self, path: &str) -> Vec<ApiRequest> {
        self.sent().into_iter().filter(|request| request.path == path).collect()
    }
}

#[async_trait]
impl ProviderApi for FakeSquare {
    async fn send(&self, request: ApiRequest) -> Result<ApiResponse, ConnectorError> {
        self.sent.lock().expect("the fake's lock is never poisoned").push(request.clone());
        let cursor = cursor_of(&request);
        let route = self.routes.iter().find(|route| {
            route.method == request.method
                && route.path == request.path
                && route.cursor == cursor
                && route.when.iter().all(|(name, value)| parameter(&request, name).as_deref() == Some(value.as_str()))
        });
        Ok(match route {
            Some(route) => route.response.clone(),
            None => respond(
                404,
                &[],
                json!({ "errors": [{ "category": "INVALID_REQUEST_ERROR", "code": "NOT_FOUND",
                                     "detail": format!("the fake has no page for {} {}", request.method.as_str(), request.path) }] }),
            ),
        })
    }
}
