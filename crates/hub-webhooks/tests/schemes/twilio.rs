use http::Method;
use hub_webhooks::{Scheme, WebhookError};

use crate::support::{Delivery, assert_refused, at, b64, headers, hmac_sha1, secrets};

// Published in Twilio's Python library tests (tests/unit/test_request_validator.py).
const TOKEN: &str = "12345";
const URI: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
const FORM: &[u8] =
    b"CallSid=CA1234567890ABCDE&Digits=1234&From=%2B14158675309&To=%2B18005551212&Caller=%2B14158675309";
const EXPECTED: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
const JSON_BODY: &[u8] = br#"{"property": "value", "boolean": true}"#;
const JSON_HASH: &str = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";

fn form(signature: &str, url: &str, body: &[u8]) -> Delivery {
    let headers = headers(&[
        ("X-Twilio-Signature", signature),
        ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
    ]);
    Delivery::post(headers, body).url(url)
}

/// Twilio's rule, done the plain way: URL, then name + value of every parameter sorted by name.
fn sign_form(token: &str, url: &str, parameters: &[(&str, &str)]) -> String {
    let mut sorted = parameters.to_vec();
    sorted.sort();
    let mut source = url.to_owned();
    for (name, value) in sorted {
        source.push_str(name);
        source.push_str(value);
    }
    b64(&hmac_sha1(token.as_bytes(), source.as_bytes()))
}

#[test]
fn twilios_published_form_example_verifies() {
    let verified = form(EXPECTED, URI, FORM).verify(Scheme::Twilio, &secrets(&[TOKEN]), at(0)).expect("valid");
    assert_eq!(verified.event_id.as_deref(), Some("CA1234567890ABCDE"), "a voice callback dedups on its CallSid");
}

#[test]
fn twilios_published_duplicate_parameter_example_verifies() {
    let body = b"Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234";
    assert!(form("IK+Dwps556ElfBT0I3Rgjkr1wJU=", URI, body).verify(Scheme::Twilio, &secrets(&[TOKEN]), at(0)).is_ok());
}

#[test]
fn twilios_published_port_examples_verify() {
    let secrets = secrets(&[TOKEN]);
    let with_port = URI.replace(".com", ".com:1234");
    assert!(form(EXPECTED, &with_port, FORM).verify(Scheme::Twilio, &secrets, at(0)).is_ok(), "port removed");
    let http_with_port = with_port.replace("https", "http");
    let signed_with_port = form("Zmvh+3yNM1Phv2jhDCwEM3q5ebU=", &http_with_port, FORM);
    assert!(signed_with_port.verify(Scheme::Twilio, &secrets, at(0)).is_ok(), "port kept");
    assert!(
        form("kvajT1Ptam85bY51eRf/AJRuM3w=", URI, FORM).verify(Scheme::Twilio, &secrets, at(0)).is_ok(),
        ":443 added"
    );
    let http = URI.replace("https", "http");
    assert!(
        form("0ZXoZLH/DfblKGATFgpif+LLRf4=", &http, FORM).verify(Scheme::Twilio, &secrets, at(0)).is_ok(),
        ":80 added"
    );
}

#[test]
fn twilios_published_json_example_verifies_through_the_body_hash() {
    let url = format!("{URI}&bodySHA256={JSON_HASH}");
    let headers =
        headers(&[("X-Twilio-Signature", "a9nBmqA0ju/hNViExpshrM61xv4="), ("Content-Type", "application/json")]);
    let delivery = Delivery::post(headers, JSON_BODY).url(&url);
    assert!(delivery.verify(Scheme::Twilio, &secrets(&[TOKEN]), at(0)).is_ok());
    let tampered = delivery.with_body(br#"{"property": "value", "boolean": false}"#);
    let error =
        assert_refused(tampered.verify(Scheme::Twilio, &secrets(&[TOKEN]), at(0)), "does not match the bodySHA256");
    assert_eq!(error, WebhookError::BodyHashMismatch);
    let unhashed = delivery.with_body(JSON_BODY).url(URI);
    assert_refused(unhashed.verify(Scheme::Twilio, &secrets(&[TOKEN]), at(0)), "missing query parameter bodySHA256");
}

#[test]
fn a_status_callback_verifies_and_dedups_on_sid_and_status() {
    let url = "https://hub.example.com/webhooks/twilio/status";
    let parameters =
        [("MessageSid", "SM1f2e3d"), ("MessageStatus", "delivered"), ("To", "+15558675310"), ("ErrorCode", "")];
    let body = b"MessageSid=SM1f2e3d&MessageStatus=delivered&To=%2B15558675310&ErrorCode=";
    let delivery = form(&sign_form("auth-token", url, &parameters), url, body);
    let verified = delivery.verify(Scheme::Twilio, &secrets(&["auth-token"]), at(0)).expect("valid");
    assert_eq!(verified.event_id.as_deref(), Some("SM1f2e3d:delivered"));
    let reordered = delivery.with_body(b"To=%2B15558675310&ErrorCode=&MessageStatus=delivered&MessageSid=SM1f2e3d");
    assert!(
        reordered.verify(Scheme::Twilio, &secrets(&["auth-token"]), at(0)).is_ok(),
        "Twilio signs sorted parameters"
    );
    let tampered = delivery.with_body(b"MessageSid=SM1f2e3d&MessageStatus=failed&To=%2B15558675310&ErrorCode=");
    assert_refused(tampered.verify(Scheme::Twilio, &secrets(&["auth-token"]), at(0)), "no signature matched");
    assert_refused(delivery.verify(Scheme::Twilio, &secrets(&["other-token"]), at(0)), "no signature matched");
}

#[test]
fn a_body_less_get_signs_the_url_alone() {
    let url = "https://hub.example.com/webhooks/twilio/voice?CallSid=CA9&From=%2B1555";
    let delivery = Delivery::post(headers(&[("X-Twilio-Signature", &sign_form(TOKEN, url, &[]))]), b"")
        .url(url)
        .method(Method::GET);
    assert!(delivery.verify(Scheme::Twilio, &secrets(&[TOKEN]), at(0)).is_ok());
}

#[test]
fn the_header_and_the_url_are_required() {
    let delivery = form(EXPECTED, URI, FORM);
    let missing = delivery.without_header("X-Twilio-Signature");
    assert_refused(missing.verify(Scheme::Twilio, &secrets(&[TOKEN]), at(0)), "missing header X-Twilio-Signature");
    let mut no_url = delivery.with_body(FORM);
    no_url.url = None;
    assert_refused(no_url.verify(Scheme::Twilio, &secrets(&[TOKEN]), at(0)), "Twilio signs it");
}

#[test]
fn during_a_rotation_both_auth_tokens_verify() {
    let both = secrets(&["old-token", TOKEN]);
    assert_eq!(form(EXPECTED, URI, FORM).verify(Scheme::Twilio, &both, at(0)).expect("new").secret_index, 1);
    let old = form(&sign_form("old-token", URI, &[("CallSid", "CA1")]), URI, b"CallSid=CA1");
    assert_eq!(old.verify(Scheme::Twilio, &both, at(0)).expect("old").secret_index, 0);
}
