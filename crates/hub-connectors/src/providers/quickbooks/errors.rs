//! QuickBooks Online's answers → results: reads a successful body into its wire type, and turns
//! QBO's error envelope (`{"Fault":{"Error":[{Message, Detail, code, element}], "type"}}`, which
//! may also come with a 200) into a [`ConnectorError`] callers know how to act on.
//!
//! | QBO says | becomes |
//! |---|---|
//! | 401, or `AuthenticationFault` | `Unauthorized`: someone must reconnect (the token layer already refreshed once) |
//! | 429 (`ThrottleExceeded`, code 3001), 408, any 5xx | `Unavailable`: try again later |
//! | 403 / `AuthorizationFault`, any other 4xx (`ValidationFault`: 6240 duplicate name, 610 not found, …) | `Rejected`: the same request cannot succeed |
//! | a 2xx that carries a `Fault`, is not JSON or misses a field read | `BadResponse` (`Rejected` for a 2xx fault) |
//!
//! Messages carry QBO's code, message, element and a detail cut short — never a body verbatim.

use serde::de::DeserializeOwned;

use super::PROVIDER;
use super::wire::{Fault, FaultEnvelope};
use crate::source::{ApiResponse, ConnectorError};

/// The longest provider detail a message keeps.
const MAX_DETAIL_CHARS: usize = 300;

/// Reads a successful answer of `what` into `T`, or the error it carries.
pub(crate) fn read<T: DeserializeOwned>(response: &ApiResponse, what: &str) -> Result<T, ConnectorError> {
    if !response.is_success() {
        return Err(error_from(response));
    }
    if let Ok(envelope) = serde_json::from_slice::<FaultEnvelope>(&response.body)
        && let Some(fault) = envelope.fault
    {
        return Err(classify(response.status, Some(&fault)));
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(&response.body);
    serde_path_to_error::deserialize(deserializer).map_err(|error| ConnectorError::BadResponse {
        provider: PROVIDER.to_owned(),
        message: format!("{what}: unexpected answer at `{}`", error.path()),
    })
}

/// The error an unsuccessful answer stands for.
pub(crate) fn error_from(response: &ApiResponse) -> ConnectorError {
    let fault = serde_json::from_slice::<FaultEnvelope>(&response.body).ok().and_then(|envelope| envelope.fault);
    classify(response.status, fault.as_ref())
}

fn describe(status: u16, fault: Option<&Fault>) -> String {
    let Some(fault) = fault else { return format!("HTTP {status}") };
    let first = fault.errors.first();
    let mut text = format!("HTTP {status} {}", fault.kind.as_deref().unwrap_or("Fault"));
    if let Some(error) = first {
        if let Some(code) = &error.code {
            text.push_str(&format!(" {code}"));
        }
        if let Some(message) = &error.message {
            text.push_str(&format!(": {message}"));
        }
        if let Some(element) = error.element.as_deref().filter(|element| !element.is_empty()) {
            text.push_str(&format!(" (element {element})"));
        }
        if let Some(detail) = &error.detail {
            let short: String = detail.chars().take(MAX_DETAIL_CHARS).collect();
            text.push_str(&format!(" — {short}"));
        }
    }
    text
}

fn classify(status: u16, fault: Option<&Fault>) -> ConnectorError {
    let provider = PROVIDER.to_owned();
    let kind = fault.and_then(|fault| fault.kind.as_deref()).unwrap_or("");
    let message = describe(status, fault);
    if status == 401 || kind == "AuthenticationFault" {
        ConnectorError::Unauthorized { provider, message }
    } else if status == 429 || status == 408 || status >= 500 {
        ConnectorError::Unavailable { provider, message, retry_after: None }
    } else if (400..500).contains(&status) || fault.is_some() {
        ConnectorError::Rejected { provider, status, message }
    } else {
        ConnectorError::BadResponse { provider, message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> ApiResponse {
        ApiResponse { status, headers: Vec::new(), body: body.as_bytes().to_vec() }
    }

    const THROTTLED: &str = r#"{"Fault":{"Error":[{"Message":"message=ThrottleExceeded; errorCode=003001; statusCode=429","Detail":"The request limit was reached.  Try again later","code":"3001"}],"type":"ThrottlingFault"},"time":"2026-12-01T10:00:00.000-08:00"}"#;
    const DUPLICATE: &str = r#"{"Fault":{"Error":[{"Message":"Duplicate Name Exists Error","Detail":"The name supplied already exists. : Another customer is already using this name.","code":"6240","element":"DisplayName"}],"type":"ValidationFault"},"time":"2026-12-01T10:00:00.000-08:00"}"#;

    #[test]
    fn faults_become_what_a_caller_can_act_on() {
        assert!(matches!(error_from(&answer(429, THROTTLED)), ConnectorError::Unavailable { .. }));
        let rejected = error_from(&answer(400, DUPLICATE));
        match &rejected {
            ConnectorError::Rejected { status: 400, message, .. } => {
                assert!(message.contains("6240") && message.contains("DisplayName"), "{message}");
            }
            other => panic!("a duplicate name is the caller's fault: {other:?}"),
        }
        let auth =
            r#"{"Fault":{"Error":[{"Message":"AuthenticationFailed","code":"3200"}],"type":"AuthenticationFault"}}"#;
        assert!(matches!(error_from(&answer(401, auth)), ConnectorError::Unauthorized { .. }));
        assert!(matches!(error_from(&answer(503, "<html>")), ConnectorError::Unavailable { .. }));
        // A 200 that carries a fault is still a fault.
        let fault_in_200: Result<serde_json::Value, _> = read(&answer(200, DUPLICATE), "Customer");
        assert!(matches!(fault_in_200, Err(ConnectorError::Rejected { .. })));
    }
}
