use hub_webhooks::{Scheme, event_ids};

use crate::support::{Delivery, assert_refused, at, b64, headers, hmac_sha256, secrets};

const TOKEN: &str = "intuit-verifier-token";
const LEGACY_BODY: &[u8] = br#"{"eventNotifications":[{"realmId":"1185883450","dataChangeEvent":{"entities":[{"name":"Customer","id":"1","operation":"Create","lastUpdated":"2015-10-05T14:42:19-0700"}]}}]}"#;
const CLOUD_EVENTS_BODY: &[u8] = br#"[{"specversion":"1.0","id":"88cd52aa-33b6-4351-9aa1-7fa0ad7d2ff0","source":"intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=","type":"qbo.customer.created.v1","time":"2025-11-12T17:50:15.000Z","intuitentityid":"1","intuitaccountid":"1185883450","data":{}},{"specversion":"1.0","id":"0f3b1c6e-1d44-4a0e-8d0c-5e6c0b6a1e11","type":"qbo.invoice.updated.v1","data":{}}]"#;

fn signed(token: &str, body: &[u8]) -> Delivery {
    Delivery::post(headers(&[("intuit-signature", &b64(&hmac_sha256(token.as_bytes(), body)))]), body)
}

#[test]
fn both_body_formats_verify_and_cloud_events_list_their_ids() {
    let legacy = signed(TOKEN, LEGACY_BODY);
    let verified = legacy.verify(Scheme::QuickBooks, &secrets(&[TOKEN]), at(0)).expect("legacy");
    assert_eq!(verified.event_id, None, "a batch has no single id");
    assert!(event_ids(Scheme::QuickBooks, &legacy.request()).is_empty(), "the legacy format carries no event id");
    let cloud = signed(TOKEN, CLOUD_EVENTS_BODY);
    assert!(cloud.verify(Scheme::QuickBooks, &secrets(&[TOKEN]), at(0)).is_ok());
    assert_eq!(
        event_ids(Scheme::QuickBooks, &cloud.request()),
        ["88cd52aa-33b6-4351-9aa1-7fa0ad7d2ff0", "0f3b1c6e-1d44-4a0e-8d0c-5e6c0b6a1e11"]
    );
}

#[test]
fn tampering_a_wrong_token_and_a_missing_header_are_refused() {
    let delivery = signed(TOKEN, LEGACY_BODY);
    let tampered =
        delivery.with_body(&LEGACY_BODY.iter().map(|b| if *b == b'1' { b'2' } else { *b }).collect::<Vec<_>>());
    assert_refused(tampered.verify(Scheme::QuickBooks, &secrets(&[TOKEN]), at(0)), "no signature matched");
    assert_refused(delivery.verify(Scheme::QuickBooks, &secrets(&["other-token"]), at(0)), "no signature matched");
    let missing = delivery.without_header("intuit-signature");
    assert_refused(missing.verify(Scheme::QuickBooks, &secrets(&[TOKEN]), at(0)), "missing header intuit-signature");
}

#[test]
fn during_a_rotation_both_tokens_verify() {
    let both = secrets(&[TOKEN, "intuit-next-token"]);
    assert_eq!(signed(TOKEN, LEGACY_BODY).verify(Scheme::QuickBooks, &both, at(0)).expect("old").secret_index, 0);
    let new = signed("intuit-next-token", LEGACY_BODY);
    assert_eq!(new.verify(Scheme::QuickBooks, &both, at(0)).expect("new").secret_index, 1);
}
