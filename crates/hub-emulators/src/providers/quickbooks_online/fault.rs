//! QuickBooks Online's error envelope, `{"Fault":{"Error":[{Message, Detail, code, element}],
//! "type"},"time"}`, and the codes the emulated Accounting API answers with (Intuit's "handling
//! common errors" page and `quickbooks-online.md`).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::clock;

/// The `Fault.type` of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// The request was understood and refused (bad field, stale `SyncToken`, bad query …).
    Validation,
    /// No valid bearer token.
    Authentication,
    /// A valid token that may not act on this company.
    Authorization,
    /// The service failed.
    System,
    /// Throttled: QBO labels these `SERVICE`.
    Throttling,
}

impl FaultKind {
    /// The `type` string QBO sends.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Validation => "ValidationFault",
            Self::Authentication => "AuthenticationFault",
            Self::Authorization => "AuthorizationFault",
            Self::System => "SystemFault",
            Self::Throttling => "SERVICE",
        }
    }
}

/// An error the emulated Accounting API answers with: an HTTP status, a fault type and QBO's
/// numeric code with its message, detail and (for validation errors) the offending element.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} {code} {message}: {detail}", kind.as_str())]
pub struct QboFault {
    status: u16,
    kind: FaultKind,
    code: &'static str,
    message: String,
    detail: String,
    element: Option<String>,
}

impl QboFault {
    fn new(status: u16, kind: FaultKind, code: &'static str, message: impl Into<String>, detail: String) -> Self {
        Self { status, kind, code, message: message.into(), detail, element: None }
    }

    fn validation(code: &'static str, message: &str, detail: String, element: Option<&str>) -> Self {
        let mut fault = Self::new(400, FaultKind::Validation, code, message, detail);
        fault.element = element.map(str::to_owned);
        fault
    }

    /// The HTTP status (400 for validation faults, 401, 403, 429, 500).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// QBO's error code (`"6240"`, `"5010"`, …).
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The `Fault.type`.
    pub fn kind(&self) -> FaultKind {
        self.kind
    }

    /// QBO's standard message for the code (`Duplicate Name Exists Error`).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What exactly was wrong, naming the record or value.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The field the error is about, when there is one (`"CustomerRef"`).
    pub fn element(&self) -> Option<&str> {
        self.element.as_deref()
    }

    /// The response body, with `time`.
    pub fn to_json(&self) -> Value {
        let mut error = json!({"Message": self.message, "Detail": self.detail, "code": self.code});
        if let Some(element) = &self.element {
            error["element"] = json!(element);
        }
        json!({"Fault": {"Error": [error], "type": self.kind.as_str()}, "time": clock::response_time()})
    }

    /// 2020: a required field is absent.
    pub(crate) fn required(element: &str) -> Self {
        Self::validation(
            "2020",
            "Required param missing, need to supply the required value for the API",
            format!("Required parameter {element} is missing in the request"),
            Some(element),
        )
    }

    /// 2010: the body is not JSON, or a field has the wrong type.
    pub(crate) fn invalid_property(element: Option<&str>, detail: impl Into<String>) -> Self {
        let detail = format!("Property Name:{} specified is unsupported or invalid", detail.into());
        Self::validation("2010", "Request has invalid or unsupported property", detail, element)
    }

    /// 2210: an email address that is not `local@domain.tld`.
    pub(crate) fn invalid_email(element: &str) -> Self {
        let detail =
            "Email Address does not conform to the syntax rules of RFC 822. Supplied value is invalid".to_owned();
        Self::validation("2210", "Invalid Email Address format", detail, Some(element))
    }

    /// 2050: a string longer than the field allows (`DocNumber`: 21 characters).
    pub(crate) fn too_long(element: &str, max: usize, supplied: usize) -> Self {
        let detail = format!(
            "String length specified does not match the supported length. Min:0 Max:{max} supported. Supplied \
             length:{supplied}"
        );
        Self::validation(
            "2050",
            "String length is either shorter or longer than supported by specification",
            detail,
            Some(element),
        )
    }

    /// 2500: a reference to a record that does not exist (or is inactive).
    pub(crate) fn invalid_reference(element: &str, what: &str, id: &str) -> Self {
        let detail = format!(
            "Invalid Reference Id : {what} {id} does not exist or has been made inactive. Check the fields with \
             accounts, customers, items, vendors or employees."
        );
        Self::validation("2500", "Invalid Reference Id", detail, Some(element))
    }

    /// 620: a payment linked to a transaction it cannot be linked to.
    pub(crate) fn cannot_link(element: &str, detail: &str) -> Self {
        let detail = format!("TxnID Cannot Be Linked : Cannot validate linked transactions: {detail}");
        Self::validation("620", "Transaction Cannot Be Linked", detail, Some(element))
    }

    /// 6000: a business rule (amounts, currencies, balances).
    pub(crate) fn business(element: Option<&str>, detail: impl Into<String>) -> Self {
        let detail = format!("Business Validation Error: {}", detail.into());
        Self::validation(
            "6000",
            "A business validation error has occurred while processing your request",
            detail,
            element,
        )
    }

    /// 6070: a sales line whose `Amount` is not `UnitPrice × Qty`.
    pub(crate) fn amount_mismatch(element: &str, supplied: &str) -> Self {
        let detail = format!("Amount is not equal to UnitPrice * Qty. Supplied value:{supplied}");
        Self::validation("6070", "Amount is not equal to UnitPrice * Qty", detail, Some(element))
    }

    /// 6240: another record of the list already uses the name.
    pub(crate) fn duplicate_name(list_member: &str, id: u64) -> Self {
        let detail = format!(
            "The name supplied already exists. : Another {list_member} is already using this name. Please use a \
             different name. Id={id}"
        );
        Self::validation("6240", "Duplicate Name Exists Error", detail, None)
    }

    /// 6140: a `DocNumber` already used by another invoice (only when the company warns on it).
    pub(crate) fn duplicate_doc_number(doc_number: &str, id: u64) -> Self {
        let detail = format!(
            "Duplicate Document Number Error : You must specify a different number. This number has already been \
             used. DocNumber={doc_number} is assigned to TxnType=Invoice with TxnId={id}"
        );
        Self::validation("6140", "Duplicate Document Number Error", detail, Some("DocNumber"))
    }

    /// 5010: the update carried a `SyncToken` that is not the current one.
    pub(crate) fn stale(kind: &str, id: u64, current: u64, supplied: &str) -> Self {
        let detail = format!(
            "Stale Object Error : You and another user were working on this at the same time. The other user \
             finished before you did, so your work was not saved. {kind} Id={id} SyncToken={current}, request \
             SyncToken={supplied}"
        );
        Self::validation("5010", "Stale Object Error", detail, Some("SyncToken"))
    }

    /// 610: reading or updating a record that does not exist.
    pub(crate) fn not_found(kind: &str, id: &str) -> Self {
        let detail = format!(
            "Object Not Found : Something you're trying to use has been made inactive. Check the fields with \
             accounts, customers, items, vendors or employees. {kind} Id={id}"
        );
        Self::validation("610", "Object Not Found", detail, None)
    }

    /// 4000: a query the parser cannot read.
    pub(crate) fn query_parse(detail: impl Into<String>) -> Self {
        Self::validation("4000", "Error parsing query", format!("QueryParserError: {}", detail.into()), None)
    }

    /// 4001: a query that parses but asks for something QBO refuses.
    pub(crate) fn query_invalid(detail: impl Into<String>) -> Self {
        Self::validation("4001", "Invalid query", format!("QueryValidationError: {}", detail.into()), None)
    }

    /// 2030: a parameter with a value QBO does not accept (CDC's `changedSince`, `entities`).
    pub(crate) fn invalid_parameter(element: &str, detail: impl Into<String>) -> Self {
        Self::validation("2030", "Invalid value", detail.into(), Some(element))
    }

    /// 500: an operation or entity this API (or this emulator) does not serve.
    pub(crate) fn unsupported(detail: impl Into<String>) -> Self {
        Self::validation("500", "Unsupported Operation", detail.into(), None)
    }

    /// 403 / 3100: the token is valid but was granted for another company or scope.
    pub(crate) fn authorization(detail: impl Into<String>) -> Self {
        Self::new(
            403,
            FaultKind::Authorization,
            "3100",
            "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
            detail.into(),
        )
    }

    /// 429 / 3001: the company's request limit was reached.
    pub(crate) fn throttled() -> Self {
        Self::new(
            429,
            FaultKind::Throttling,
            "3001",
            "message=ThrottleExceeded; errorCode=003001; statusCode=429",
            "The request limit was reached.  Try again later".to_owned(),
        )
    }
}

impl IntoResponse for QboFault {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, Json(self.to_json())).into_response()
    }
}
