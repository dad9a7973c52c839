//! The Accounting API's routes under `/quickbooks-online/v3/company/{realmId}` (the catalog's
//! emulator `api_base`): create / update, read, query and CDC. Every request needs a bearer
//! token granted for that realm with the accounting scope, is throttled per realm, accepts
//! `minorversion`, and is answered with an `intuit_tid` header.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Duration, Utc};
use serde_json::{Map, Value, json};

use super::entity::EntityKind;
use super::fault::QboFault;
use super::handle::InFlight;
use super::profile::PROFILE;
use super::query::MAX_RESULTS_LIMIT;
use super::{clock, query};
use crate::oauth::errors::BearerFailure;
use crate::oauth::whoami::bearer;
use crate::state::EmulatorState;

/// The scope the Accounting API needs.
const ACCOUNTING_SCOPE: &str = "com.intuit.quickbooks.accounting";
/// How far back CDC looks.
const CDC_LOOK_BACK_DAYS: i64 = 30;

type Params = Query<HashMap<String, String>>;

/// The Accounting API routes.
pub(crate) fn routes() -> Router<EmulatorState> {
    Router::new()
        .route("/quickbooks-online/v3/company/{realm}/query", get(query_by_get).post(query_by_post))
        .route("/quickbooks-online/v3/company/{realm}/cdc", get(cdc))
        .route("/quickbooks-online/v3/company/{realm}/{entity}", post(write))
        .route("/quickbooks-online/v3/company/{realm}/{entity}/{id}", get(read))
}

/// Adds the `intuit_tid` transaction id QBO puts on every answer.
fn with_tid(mut response: Response) -> Response {
    if let Ok(value) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        response.headers_mut().insert("intuit_tid", value);
    }
    response
}

/// Why a request is answered with an error.
enum Rejection {
    /// No live bearer token: Intuit's 401.
    Token(BearerFailure),
    Fault(QboFault),
}

impl From<QboFault> for Rejection {
    fn from(fault: QboFault) -> Self {
        Self::Fault(fault)
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        with_tid(match self {
            Self::Token(failure) => PROFILE.style.unauthorized(failure),
            Self::Fault(fault) => fault.into_response(),
        })
    }
}

type Answer = Result<Response, Rejection>;

/// `{"<key>": value, "time": …}`.
fn answer(key: &str, value: Value) -> Answer {
    let mut body = Map::new();
    body.insert(key.to_owned(), value);
    body.insert("time".to_owned(), json!(clock::response_time()));
    Ok(with_tid(Json(Value::Object(body)).into_response()))
}

/// The bearer token must be live, granted for `realm` and for accounting; then throttling.
fn admit(state: &EmulatorState, realm: &str, headers: &HeaderMap) -> Result<InFlight, Rejection> {
    let info = bearer(state, &PROFILE, headers).map_err(Rejection::Token)?;
    if info.account != realm {
        return Err(QboFault::authorization(format!(
            "the access token was granted for company {}, not {realm}",
            info.account
        ))
        .into());
    }
    // Tokens minted by the emulator for tests carry no scopes; granted ones must include it.
    if !info.scopes.is_empty() && !info.scopes.iter().any(|scope| scope == ACCOUNTING_SCOPE) {
        return Err(QboFault::authorization(format!("the access token lacks the {ACCOUNTING_SCOPE} scope")).into());
    }
    Ok(state.quickbooks().admit(realm)?)
}

fn entity_kind(name: &str) -> Result<EntityKind, QboFault> {
    EntityKind::from_name(name).ok_or_else(|| {
        QboFault::unsupported(format!(
            "Operation {name} is not supported by the emulator (customer, item, invoice and payment are)"
        ))
    })
}

/// `POST /{entity}`: create, update with `Id` + `SyncToken`, or `operation=delete`;
/// `requestid` makes it idempotent.
async fn write(
    State(state): State<EmulatorState>,
    Path((realm, entity)): Path<(String, String)>,
    Query(params): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let _in_flight = admit(&state, &realm, &headers)?;
    let kind = entity_kind(&entity)?;
    let delete = match params.get("operation").map(|operation| operation.to_ascii_lowercase()).as_deref() {
        None | Some("update") => false,
        Some("delete") => true,
        Some(other) => {
            return Err(QboFault::unsupported(format!("operation={other} is not supported by the emulator")).into());
        }
    };
    let body: Value = serde_json::from_slice(&body)
        .map_err(|error| QboFault::invalid_property(None, format!("the request body is not JSON ({error})")))?;
    let request_id = params.get("requestid").map(String::as_str).filter(|id| !id.is_empty());
    let quickbooks = state.quickbooks();
    let entity = if delete {
        quickbooks.delete(&realm, kind, &body, request_id)?
    } else {
        quickbooks.write(&realm, kind, &body, request_id)?
    };
    answer(kind.name(), entity)
}

/// `GET /{entity}/{id}`.
async fn read(
    State(state): State<EmulatorState>,
    Path((realm, entity, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Answer {
    let _in_flight = admit(&state, &realm, &headers)?;
    let kind = entity_kind(&entity)?;
    answer(kind.name(), state.quickbooks().read(&realm, kind, &id)?)
}

fn run_query(state: &EmulatorState, realm: &str, statement: Option<&str>) -> Answer {
    let statement = statement
        .map(str::trim)
        .filter(|statement| !statement.is_empty())
        .ok_or_else(|| QboFault::required("query"))?;
    answer("QueryResponse", state.quickbooks().with_company(realm, |company| query::run(company, statement))?)
}

/// `GET /query?query=select …`.
async fn query_by_get(
    State(state): State<EmulatorState>,
    Path(realm): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Answer {
    let _in_flight = admit(&state, &realm, &headers)?;
    run_query(&state, &realm, params.get("query").map(String::as_str))
}

/// `POST /query` with the statement as the body (`Content-Type: application/text`), or as a
/// form field `query`.
async fn query_by_post(
    State(state): State<EmulatorState>,
    Path(realm): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let _in_flight = admit(&state, &realm, &headers)?;
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    let statement = if form {
        url::form_urlencoded::parse(&body).find(|(key, _)| key == "query").map(|(_, value)| value.into_owned())
    } else {
        Some(String::from_utf8_lossy(&body).into_owned()).filter(|text| !text.trim().is_empty())
    };
    let statement = statement.or_else(|| params.get("query").cloned());
    run_query(&state, &realm, statement.as_deref())
}

/// `GET /cdc?entities=Invoice,Payment&changedSince=…`: the current state of every entity of
/// those kinds changed at or after `changedSince` (at most 30 days back, 1000 objects).
async fn cdc(
    State(state): State<EmulatorState>,
    Path(realm): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Answer {
    let _in_flight = admit(&state, &realm, &headers)?;
    answer("CDCResponse", change_data(&state, &realm, &params)?)
}

fn change_data(state: &EmulatorState, realm: &str, params: &HashMap<String, String>) -> Result<Value, QboFault> {
    let names = params
        .get("entities")
        .filter(|names| !names.trim().is_empty())
        .ok_or_else(|| QboFault::required("entities"))?;
    let kinds = names
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| {
            EntityKind::from_name(name).ok_or_else(|| {
                QboFault::invalid_parameter("entities", format!("entity {name} is not served by the emulator's CDC"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let since_text = params.get("changedSince").ok_or_else(|| QboFault::required("changedSince"))?;
    let since = query::parse_instant(since_text).ok_or_else(|| {
        QboFault::invalid_parameter("changedSince", format!("changedSince {since_text} is not a date-time"))
    })?;
    if since < Utc::now() - Duration::days(CDC_LOOK_BACK_DAYS) {
        return Err(QboFault::invalid_parameter(
            "changedSince",
            format!(
                "Operation cdc with changedSince date {since_text} which is older than fixed days is not supported."
            ),
        ));
    }
    let mut budget = usize::try_from(MAX_RESULTS_LIMIT).unwrap_or(1000);
    let responses: Vec<Value> = state.quickbooks().with_company(realm, |company| {
        kinds
            .iter()
            .map(|kind| {
                let mut changed = company.changed_since(*kind, since);
                changed.truncate(budget);
                budget -= changed.len();
                let mut response = Map::new();
                response.insert("startPosition".to_owned(), json!(1));
                response.insert("maxResults".to_owned(), json!(changed.len()));
                response.insert("totalCount".to_owned(), json!(changed.len()));
                if !changed.is_empty() {
                    response.insert(kind.name().to_owned(), Value::Array(changed));
                }
                Value::Object(response)
            })
            .collect()
    });
    Ok(json!([{"QueryResponse": responses}]))
}
