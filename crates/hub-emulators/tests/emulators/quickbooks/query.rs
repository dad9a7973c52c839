//! The query language and CDC: filters, ordering, paging every record exactly once, counts,
//! QBO's limits, and change data capture since an instant.

use std::collections::BTreeSet;

use chrono::{Duration, SecondsFormat, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{REALM, connect, id, with_query};
use crate::common::Harness;

fn ids(response: &Value, entity: &str) -> Vec<String> {
    response[entity].as_array().map(|list| list.iter().map(id).collect()).unwrap_or_default()
}

#[tokio::test]
async fn startposition_and_maxresults_page_through_every_invoice_exactly_once() {
    let harness = Harness::start().await;
    let company = connect(&harness, REALM).await;
    let customer = company.customer("Westside Cuts").await;
    let royalty = company.item("Royalty").await;
    let mut created = BTreeSet::new();
    for amount in 1..=23 {
        created.insert(id(&company.invoice(&customer, &royalty, f64::from(amount) * 10.0).await));
    }

    let mut seen = Vec::new();
    let mut start = 1;
    loop {
        let page = company.select(&format!("SELECT * FROM Invoice STARTPOSITION {start} MAXRESULTS 5")).await;
        let page_ids = ids(&page, "Invoice");
        if page_ids.is_empty() {
            assert_eq!(page, json!({}), "past the end QBO answers an empty QueryResponse");
            break;
        }
        assert_eq!(page["startPosition"], json!(start));
        assert_eq!(page["maxResults"], json!(page_ids.len()), "maxResults is the number returned");
        start += page_ids.len();
        seen.extend(page_ids);
    }
    assert_eq!(seen.len(), 23, "no invoice twice: {seen:?}");
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), created, "every invoice once");

    let count = company.select("select count(*) from Invoice").await;
    assert_eq!(count, json!({"totalCount": 23}));
    let default_page = company.select("select * from invoice").await;
    assert_eq!(default_page["maxResults"], json!(23), "up to 100 without MAXRESULTS");
}

#[tokio::test]
async fn where_in_like_and_orderby_filter_the_way_qbo_does() {
    let harness = Harness::start().await;
    let company = connect(&harness, REALM).await;
    let north = company.customer("North Cuts").await;
    let south = company.customer("South Cuts").await;
    let royalty = company.item("Royalty").await;
    let small = company.invoice(&north, &royalty, 50.0).await;
    let large = company.invoice(&north, &royalty, 900.0).await;
    let other = company.invoice(&south, &royalty, 300.0).await;

    let by_customer =
        company.select(&format!("Select * From Invoice Where CustomerRef = '{north}' OrderBy TotalAmt Desc")).await;
    assert_eq!(ids(&by_customer, "Invoice"), vec![id(&large), id(&small)]);
    let amounts = company.select("select * from Invoice where TotalAmt > '100' and TotalAmt <= 900 orderby Id").await;
    assert_eq!(ids(&amounts, "Invoice"), vec![id(&large), id(&other)]);
    let numbers = format!(
        "'{}', '{}'",
        small["DocNumber"].as_str().unwrap_or_default(),
        other["DocNumber"].as_str().unwrap_or_default()
    );
    let by_number = company.select(&format!("select * from Invoice where DocNumber in ({numbers})")).await;
    assert_eq!(ids(&by_number, "Invoice"), vec![id(&small), id(&other)]);

    let named = company.select("select * from Customer where DisplayName = 'north cuts'").await;
    assert_eq!(ids(&named, "Customer"), vec![north.clone()], "names match without regard to case");
    let like = company.select("select * from Customer where DisplayName like '%Cuts' orderby DisplayName desc").await;
    assert_eq!(ids(&like, "Customer"), vec![south, north]);
    let items = company.select("select * from Item where Name = 'Royalty' and Active = true").await;
    assert_eq!(ids(&items, "Item"), vec![royalty]);

    let future = (Utc::now() + Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let changed = company.select(&format!("select * from Invoice where Metadata.LastUpdatedTime > '{future}'")).await;
    assert_eq!(changed, json!({}));
    let past = (Utc::now() - Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Secs, false);
    let recent =
        company.select(&format!("select count(*) from Invoice where MetaData.LastUpdatedTime >= '{past}'")).await;
    assert_eq!(recent["totalCount"], json!(3));

    // The statement may also be POSTed as the body.
    let posted = harness
        .http
        .post(company.url("/query?minorversion=75"))
        .bearer_auth(&company.token)
        .header("content-type", "application/text")
        .body("select * from Payment")
        .send()
        .await
        .expect("answers");
    assert_eq!(posted.status(), StatusCode::OK);
    assert_eq!(posted.json::<Value>().await.expect("json")["QueryResponse"], json!({}));
}

#[tokio::test]
async fn queries_qbo_refuses_are_4001_and_unparsable_ones_4000() {
    let harness = Harness::start().await;
    let company = connect(&harness, REALM).await;
    for (statement, code) in [
        ("select * from Invoice maxresults 1001", "4001"),
        ("select * from Invoice where Colour = 'red'", "4001"),
        ("select * from Vendor", "4001"),
        ("select * from Invoice where TxnDate > 'yesterday'", "4001"),
        ("select * form Invoice", "4000"),
        ("select * from Invoice where DocNumber = '1' or DocNumber = '2'", "4000"),
        ("delete from Invoice", "4000"),
    ] {
        company.query(statement).await.assert_fault(400, code, "ValidationFault");
    }
}

#[tokio::test]
async fn cdc_returns_what_changed_since_an_instant() {
    let harness = Harness::start().await;
    let company = connect(&harness, REALM).await;
    let before = (Utc::now() - Duration::seconds(2)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let customer = company.customer("Eastside Cuts").await;
    let royalty = company.item("Royalty").await;
    let invoice = company.invoice(&customer, &royalty, 75.0).await;
    harness.state().quickbooks().mark_invoice_paid(REALM, &id(&invoice)).expect("an open invoice");

    let cdc = |entities: &str, since: &str| {
        let pairs = [("entities", entities), ("changedSince", since), ("minorversion", "75")];
        harness.http.get(with_query(&company.url("/cdc"), &pairs)).bearer_auth(&company.token).send()
    };
    let response: Value = cdc("Invoice,Payment,Customer", &before).await.expect("answers").json().await.expect("json");
    let responses = response["CDCResponse"][0]["QueryResponse"].as_array().expect("one QueryResponse per entity");
    assert_eq!(responses.len(), 3);
    assert_eq!(ids(&responses[0], "Invoice"), vec![id(&invoice)]);
    assert_eq!(responses[0]["Invoice"][0]["Balance"], json!(0.0), "CDC returns the current state");
    assert_eq!(responses[1]["Payment"].as_array().map(Vec::len), Some(1));
    assert_eq!(ids(&responses[2], "Customer"), vec![customer]);

    let later = (Utc::now() + Duration::minutes(5)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let none: Value = cdc("Invoice", &later).await.expect("answers").json().await.expect("json");
    assert!(none["CDCResponse"][0]["QueryResponse"][0].get("Invoice").is_none(), "{none}");

    let too_old = (Utc::now() - Duration::days(31)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let refused = cdc("Invoice", &too_old).await.expect("answers");
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let missing = company.get("/cdc?entities=Invoice").await;
    missing.assert_fault(400, "2020", "ValidationFault");
}
