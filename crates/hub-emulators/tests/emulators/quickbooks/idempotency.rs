//! `requestid`: a create repeated with the same id (a retry after a lost answer) returns the
//! original result and creates nothing, even when the repeats race; ids are per company.

use reqwest::StatusCode;
use serde_json::json;

use super::{OTHER_REALM, REALM, connect, id, invoice_body, with_query};
use crate::common::Harness;

#[tokio::test]
async fn repeating_a_create_with_one_requestid_makes_one_invoice() {
    let harness = Harness::start().await;
    let company = connect(&harness, REALM).await;
    let customer = company.customer("Harbor Cuts").await;
    let royalty = company.item("Royalty").await;
    let body = invoice_body(&customer, &royalty, 812.5);

    let first = company.post_with("invoice", &[("requestid", "royalty-2026-10-harbor")], &body).await;
    assert_eq!(first.status, StatusCode::OK);
    let mut changed = body.clone();
    changed["PrivateNote"] = json!("a retry whose body drifted");
    let again = company.post_with("invoice", &[("requestid", "royalty-2026-10-harbor")], &changed).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["Invoice"], first.body["Invoice"], "the original result, not a new invoice");
    assert_eq!(harness.state().quickbooks().invoices(REALM).len(), 1);

    // Another request id is another invoice; no request id at all is too.
    company.post_with("invoice", &[("requestid", "royalty-2026-10-harbor-b")], &body).await;
    company.post("invoice", &body).await;
    assert_eq!(harness.state().quickbooks().invoices(REALM).len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_repeats_of_one_requestid_make_one_invoice() {
    let harness = Harness::start().await;
    let company = connect(&harness, REALM).await;
    let customer = company.customer("Lakeside Cuts").await;
    let royalty = company.item("Royalty").await;
    let body = invoice_body(&customer, &royalty, 99.99);
    let mut repeats = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let request = harness
            .http
            .post(with_query(&company.url("/invoice"), &[("requestid", "race-1"), ("minorversion", "75")]))
            .bearer_auth(&company.token)
            .json(&body);
        repeats.spawn(async move {
            let response = request.send().await.expect("answers");
            (response.status(), response.json::<serde_json::Value>().await.expect("json"))
        });
    }
    let mut ids = Vec::new();
    while let Some(joined) = repeats.join_next().await {
        let (status, answer) = joined.expect("the request task ran");
        assert_eq!(status, StatusCode::OK, "{answer}");
        ids.push(id(&answer["Invoice"]));
    }
    assert_eq!(ids.len(), 8);
    assert!(ids.windows(2).all(|pair| pair[0] == pair[1]), "every repeat answers the same invoice: {ids:?}");
    assert_eq!(harness.state().quickbooks().invoices(REALM).len(), 1);
}

#[tokio::test]
async fn request_ids_are_remembered_per_company_and_failures_are_not_remembered() {
    let harness = Harness::start().await;
    let first = connect(&harness, REALM).await;
    let second = connect(&harness, OTHER_REALM).await;
    for company in [&first, &second] {
        let customer = company.customer("Same Name Cuts").await;
        let royalty = company.item("Royalty").await;
        let answer =
            company.post_with("invoice", &[("requestid", "shared-id")], &invoice_body(&customer, &royalty, 10.0)).await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    assert_eq!(harness.state().quickbooks().invoices(REALM).len(), 1);
    assert_eq!(harness.state().quickbooks().invoices(OTHER_REALM).len(), 1);

    // A refused create can be retried with the same request id once the body is fixed.
    let customer = first.customer("Retry Cuts").await;
    let royalty_id = super::id(&harness.state().quickbooks().items(REALM)[0]);
    let refused =
        first.post_with("invoice", &[("requestid", "fix-then-retry")], &invoice_body(&customer, "999", 5.0)).await;
    refused.assert_fault(400, "2500", "ValidationFault");
    let fixed = first
        .post_with("invoice", &[("requestid", "fix-then-retry")], &invoice_body(&customer, &royalty_id, 5.0))
        .await;
    assert_eq!(fixed.status, StatusCode::OK, "{fixed:?}");
}
