//! Realistic refusals, each in QBO's `Fault` envelope with QBO's code and HTTP status, and each
//! leaving the company unchanged.

use serde_json::{Value, json};

use super::{Company, REALM, connect, id, invoice_body};
use crate::common::Harness;

fn sales_line(item: &str, amount: Value, qty: Option<f64>, unit_price: Option<f64>) -> Value {
    let mut detail = json!({"ItemRef": {"value": item}});
    if let Some(qty) = qty {
        detail["Qty"] = json!(qty);
    }
    if let Some(unit_price) = unit_price {
        detail["UnitPrice"] = json!(unit_price);
    }
    json!({"Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail})
}

async fn setup(harness: &Harness) -> (Company<'_>, String, String) {
    let company = connect(harness, REALM).await;
    let customer = company.customer("Riverside Cuts").await;
    let royalty = company.item("Royalty").await;
    (company, customer, royalty)
}

#[tokio::test]
async fn invoice_bodies_qbo_refuses_create_nothing() {
    let harness = Harness::start().await;
    let (company, customer, royalty) = setup(&harness).await;
    let cases = [
        (
            "missing CustomerRef",
            json!({"Line": [sales_line(&royalty, json!(10), None, None)]}),
            "2020",
            Some("CustomerRef"),
        ),
        ("unknown customer", invoice_body("4040", &royalty, 10.0), "2500", Some("CustomerRef")),
        ("no lines", json!({"CustomerRef": {"value": customer}}), "2020", Some("Line")),
        ("unknown item", invoice_body(&customer, "777", 10.0), "2500", Some("Line[0].SalesItemLineDetail.ItemRef")),
        (
            "amount is not a number",
            json!({"CustomerRef": {"value": customer}, "Line": [sales_line(&royalty, json!("ten"), None, None)]}),
            "2010",
            Some("Line[0].Amount"),
        ),
        (
            "amount is not qty × unit price",
            json!({"CustomerRef": {"value": customer}, "Line": [sales_line(&royalty, json!(100), Some(3.0), Some(33.0))]}),
            "6070",
            Some("Line[0].Amount"),
        ),
        (
            "fractions of a cent",
            json!({"CustomerRef": {"value": customer}, "Line": [sales_line(&royalty, json!(10.005), None, None)]}),
            "6000",
            Some("Line[0].Amount"),
        ),
        (
            "a negative total",
            json!({"CustomerRef": {"value": customer}, "Line": [sales_line(&royalty, json!(-5), None, None)]}),
            "6000",
            Some("Line"),
        ),
        (
            "a line without DetailType",
            json!({"CustomerRef": {"value": customer}, "Line": [{"Amount": 5}]}),
            "2020",
            Some("Line[0].DetailType"),
        ),
        (
            "another currency than the customer's",
            json!({"CustomerRef": {"value": customer}, "CurrencyRef": {"value": "CAD"}, "Line": [sales_line(&royalty, json!(5), None, None)]}),
            "6000",
            Some("CurrencyRef"),
        ),
        (
            "a DocNumber over 21 characters",
            json!({"CustomerRef": {"value": customer}, "DocNumber": "ROYALTY-2026-10-000000001", "Line": [sales_line(&royalty, json!(5), None, None)]}),
            "2050",
            Some("DocNumber"),
        ),
    ];
    for (case, body, code, element) in cases {
        let answer = company.post("invoice", &body).await;
        answer.assert_fault(400, code, "ValidationFault");
        assert_eq!(answer.body["Fault"]["Error"][0]["element"].as_str(), element, "{case}: {answer:?}");
    }
    assert!(harness.state().quickbooks().invoices(REALM).is_empty(), "no refused create left an invoice");
    // A well-formed line with qty × price rounding to the cent is fine.
    let fine = json!({"CustomerRef": {"value": customer}, "Line": [sales_line(&royalty, json!(100.01), Some(3.0), Some(33.335))]});
    assert_eq!(company.save("invoice", &fine).await["TotalAmt"], json!(100.01));
}

#[tokio::test]
async fn duplicate_names_stale_sync_tokens_and_missing_records() {
    let harness = Harness::start().await;
    let (company, customer, royalty) = setup(&harness).await;
    company.post("customer", &json!({"DisplayName": "riverside cuts "})).await.assert_fault(
        400,
        "6240",
        "ValidationFault",
    );
    company.post("item", &json!({"Name": "ROYALTY"})).await.assert_fault(400, "6240", "ValidationFault");
    company.post("customer", &json!({"GivenName": ""})).await.assert_fault(400, "2020", "ValidationFault");
    company
        .post("customer", &json!({"DisplayName": "Bad Mail", "PrimaryEmailAddr": {"Address": "not-an-address"}}))
        .await
        .assert_fault(400, "2210", "ValidationFault");
    assert_eq!(harness.state().quickbooks().customers(REALM).len(), 1);

    let invoice = company.invoice(&customer, &royalty, 40.0).await;
    let update = |token: &str| json!({"Id": id(&invoice), "SyncToken": token, "sparse": true, "PrivateNote": "x"});
    company.save("invoice", &update("0")).await;
    let stale = company.post("invoice", &update("0")).await;
    stale.assert_fault(400, "5010", "ValidationFault");
    assert_eq!(stale.body["Fault"]["Error"][0]["element"], "SyncToken");
    company.post("invoice", &json!({"Id": id(&invoice), "sparse": true, "PrivateNote": "y"})).await.assert_fault(
        400,
        "2020",
        "ValidationFault",
    );
    company.post("invoice", &json!({"Id": "9999", "SyncToken": "0", "sparse": true})).await.assert_fault(
        400,
        "610",
        "ValidationFault",
    );
    company.get("/invoice/9999").await.assert_fault(400, "610", "ValidationFault");
    let unchanged = company.get(&format!("/invoice/{}", id(&invoice))).await;
    assert_eq!(unchanged.body["Invoice"]["SyncToken"], "1", "refused updates change nothing");
}

#[tokio::test]
async fn payments_qbo_refuses_and_bodies_that_are_not_json() {
    let harness = Harness::start().await;
    let (company, customer, royalty) = setup(&harness).await;
    let other = company.customer("Someone Else").await;
    let invoice = company.invoice(&customer, &royalty, 100.0).await;
    let payment = |customer: &str, total: f64, applied: f64| {
        json!({
            "CustomerRef": {"value": customer},
            "TotalAmt": total,
            "Line": [{"Amount": applied, "LinkedTxn": [{"TxnId": id(&invoice), "TxnType": "Invoice"}]}],
        })
    };
    company.post("payment", &payment(&customer, 150.0, 150.0)).await.assert_fault(400, "6000", "ValidationFault");
    company.post("payment", &payment(&customer, 50.0, 80.0)).await.assert_fault(400, "6000", "ValidationFault");
    company.post("payment", &payment(&other, 100.0, 100.0)).await.assert_fault(400, "620", "ValidationFault");
    company.post("payment", &json!({"CustomerRef": {"value": customer}})).await.assert_fault(
        400,
        "2020",
        "ValidationFault",
    );
    assert!(harness.state().quickbooks().payments(REALM).is_empty());

    let not_json = harness
        .http
        .post(company.url("/invoice"))
        .bearer_auth(&company.token)
        .header("content-type", "application/json")
        .body("{\"CustomerRef\":")
        .send()
        .await
        .expect("answers");
    assert_eq!(not_json.status().as_u16(), 400);
    let body: Value = not_json.json().await.expect("a JSON fault");
    assert_eq!(body["Fault"]["Error"][0]["code"], "2010");
    company.post("journalentry", &json!({})).await.assert_fault(400, "500", "ValidationFault");

    harness.state().quickbooks().reject_duplicate_doc_numbers(REALM, true);
    let mut reused = invoice_body(&customer, &royalty, 1.0);
    reused["DocNumber"] = invoice["DocNumber"].clone();
    company.post("invoice", &reused).await.assert_fault(400, "6140", "ValidationFault");
}
