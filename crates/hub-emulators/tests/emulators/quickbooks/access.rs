//! Who may call and how often: bearer tokens per realm, realm isolation, QBO's 429 throttling
//! (forced and by limit) with recovery, and the control surface over HTTP.

use std::time::Duration;

use hub_emulators::quickbooks_online::ThrottleLimits;
use hub_emulators::{FaultRule, HttpFault};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{OTHER_REALM, REALM, connect, id, invoice_body, with_query};
use crate::common::Harness;

#[tokio::test]
async fn tokens_are_per_realm_and_each_company_sees_only_its_own_data() {
    let harness = Harness::start().await;
    let first = connect(&harness, REALM).await;
    let second = connect(&harness, OTHER_REALM).await;
    let customer = first.customer("Only In First").await;
    let royalty = first.item("Royalty").await;
    first.invoice(&customer, &royalty, 10.0).await;

    // The first company's token on the second company's URL.
    let crossed = harness
        .http
        .get(with_query(&second.url("/query"), &[("query", "select * from Invoice")]))
        .bearer_auth(&first.token)
        .send()
        .await
        .expect("answers");
    assert_eq!(crossed.status(), StatusCode::FORBIDDEN);
    let body: Value = crossed.json().await.expect("json");
    assert_eq!(
        (body["Fault"]["type"].as_str(), body["Fault"]["Error"][0]["code"].as_str()),
        (Some("AuthorizationFault"), Some("3100"))
    );

    assert_eq!(second.select("select * from Invoice").await, json!({}));
    assert_eq!(second.select("select count(*) from Customer").await["totalCount"], json!(0));
    second.get(&format!("/customer/{customer}")).await.assert_fault(400, "610", "ValidationFault");
    assert_eq!(second.customer("Only In First").await, "1", "names and ids are per company");

    for token in [None, Some("not-a-token")] {
        let mut request = harness.http.get(first.url(&format!("/customer/{customer}")));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("answers");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["Fault"]["type"], "AuthenticationFault");
    }
    harness.state().revoke_all_tokens(hub_emulators::EmulatedProvider::QuickBooksOnline);
    first.get(&format!("/customer/{customer}")).await.assert_fault(401, "3200", "AuthenticationFault");
}

#[tokio::test]
async fn forced_throttling_answers_qbo_429_faults_then_recovers() {
    let harness = Harness::start().await;
    let company = connect(&harness, REALM).await;
    let other = connect(&harness, OTHER_REALM).await;
    let quickbooks = harness.state().quickbooks();
    quickbooks.force_throttle(REALM, 2);
    for _ in 0..2 {
        let answer = company.query("select * from Customer").await;
        answer.assert_fault(429, "3001", "SERVICE");
        assert_eq!(
            answer.body["Fault"]["Error"][0]["Message"],
            "message=ThrottleExceeded; errorCode=003001; statusCode=429"
        );
    }
    assert_eq!(other.query("select * from Customer").await.status, StatusCode::OK, "other realms are not throttled");
    assert_eq!(company.query("select * from Customer").await.status, StatusCode::OK, "recovered");
    assert_eq!(quickbooks.throttled_requests(REALM), 2);

    // A throttled create creates nothing.
    let customer = company.customer("Throttled Cuts").await;
    let royalty = company.item("Royalty").await;
    quickbooks.force_throttle(REALM, 1);
    company.post("invoice", &invoice_body(&customer, &royalty, 1.0)).await.assert_fault(429, "3001", "SERVICE");
    assert!(quickbooks.invoices(REALM).is_empty());
}

#[tokio::test]
async fn the_per_minute_limit_throttles_until_the_window_passes() {
    let harness = Harness::start().await;
    let company = connect(&harness, REALM).await;
    let quickbooks = harness.state().quickbooks();
    assert_eq!(quickbooks.throttle_limits(), ThrottleLimits::default());
    assert_eq!(ThrottleLimits::default().requests_per_window, 500);
    quickbooks.set_throttle_limits(ThrottleLimits {
        requests_per_window: 3,
        window: Duration::from_millis(400),
        concurrent: 10,
    });
    for _ in 0..3 {
        assert_eq!(company.query("select * from Item").await.status, StatusCode::OK);
    }
    company.query("select * from Item").await.assert_fault(429, "3001", "SERVICE");
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(company.query("select * from Item").await.status, StatusCode::OK, "the window slid");
}

#[tokio::test]
async fn the_generic_rate_limit_fault_speaks_qbo_fault_envelope() {
    let harness = Harness::start().await;
    let company = connect(&harness, REALM).await;
    let rule = FaultRule::new("quickbooks-online", "/v3/company", HttpFault::RateLimited { retry_after_secs: 60 });
    harness.state().inject_fault(rule.times(1)).expect("a valid rule");
    let answer = company.query("select * from Invoice").await;
    answer.assert_fault(429, "3001", "SERVICE");
    assert_eq!(company.query("select * from Invoice").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_control_surface_over_http_lists_marks_paid_throttles_and_resets() {
    let harness = Harness::start().await;
    let company = connect(&harness, REALM).await;
    let control = |path: &str| harness.url(&format!("/_emulator/quickbooks-online{path}"));
    let created: Value = harness
        .http
        .post(control(&format!("/realms/{REALM}/customers")))
        .json(&json!({"DisplayName": "Seeded Cuts"}))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    let item: Value = harness
        .http
        .post(control(&format!("/realms/{REALM}/items")))
        .json(&json!({"Name": "Royalty"}))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    let invoice = company.invoice(&id(&created), &id(&item), 250.0).await;

    let listed: Vec<Value> = harness
        .http
        .get(control(&format!("/realms/{REALM}/invoices")))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(listed, vec![invoice.clone()]);
    let paid: Value = harness
        .http
        .post(control(&format!("/realms/{REALM}/invoices/{}/mark-paid", id(&invoice))))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(paid["Invoice"]["Balance"], json!(0.0));
    assert_eq!(paid["Invoice"]["SyncToken"], "1");
    assert_eq!(paid["Payment"]["TotalAmt"], json!(250.0));
    assert_eq!(paid["Payment"]["Line"][0]["LinkedTxn"][0]["TxnId"], invoice["Id"]);
    let payments: Vec<Value> = harness
        .http
        .get(control(&format!("/realms/{REALM}/payments")))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(payments.len(), 1);

    let forced =
        harness.http.put(control(&format!("/realms/{REALM}/throttle"))).json(&json!({"requests": 1})).send().await;
    assert_eq!(forced.expect("answers").status(), StatusCode::NO_CONTENT);
    company.query("select * from Invoice").await.assert_fault(429, "3001", "SERVICE");
    let limits: Value = harness
        .http
        .put(control("/throttle-limits"))
        .json(&json!({"requests_per_window": 100}))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(limits, json!({"requests_per_window": 100, "window_millis": 60000, "concurrent": 10}));

    let reset = harness.http.post(control(&format!("/realms/{REALM}/reset"))).send().await.expect("answers");
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    assert!(harness.state().quickbooks().invoices(REALM).is_empty());
    let unknown = harness.http.get(control(&format!("/realms/{REALM}/vendors"))).send().await.expect("answers");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    // The generic per-provider switches still answer under the same prefix.
    let revoked =
        harness.http.post(harness.url("/_emulator/quickbooks-online/revoke-all")).send().await.expect("answers");
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
}
