//! Create, read and update round trips: ids, `SyncToken`, `MetaData`, computed totals, sparse
//! and full updates, and payments moving invoice balances.

use reqwest::StatusCode;
use serde_json::json;

use super::{REALM, connect, id};
use crate::common::Harness;

#[tokio::test]
async fn royalty_invoice_is_created_read_back_and_sparse_updated_with_sync_tokens() {
    let harness = Harness::start().await;
    let company = connect(&harness, REALM).await;
    let customer = company
        .save(
            "customer",
            &json!({
                "DisplayName": "Downtown Cuts LLC",
                "CompanyName": "Downtown Cuts LLC",
                "PrimaryEmailAddr": {"Address": "owner@downtowncuts.example"},
                "BillAddr": {"Line1": "1 Main St", "City": "Austin", "CountrySubDivisionCode": "TX", "PostalCode": "78701"},
            }),
        )
        .await;
    assert_eq!((customer["SyncToken"].as_str(), customer["Active"].as_bool()), (Some("0"), Some(true)));
    assert_eq!(customer["CurrencyRef"]["value"], "USD");
    let royalty = company.item("Royalty").await;
    let brand_fund = company.item("Brand Fund").await;
    let technology = company.item("Technology Fee").await;

    let line = |item: &str, amount: f64, description: &str| {
        json!({
            "Amount": amount,
            "Description": description,
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": 1, "UnitPrice": amount},
        })
    };
    let created = company
        .save(
            "invoice",
            &json!({
                "CustomerRef": {"value": id(&customer)},
                "CurrencyRef": {"value": "USD"},
                "TxnDate": "2026-10-31",
                "DueDate": "2026-11-15",
                "DocNumber": "ROY-2026-10-001",
                "PrivateNote": "hub statement rs_123",
                "Line": [
                    line(&royalty, 1234.56, "6% of gross sales"),
                    line(&brand_fund, 411.52, "2% brand fund"),
                    line(&technology, 99.0, "POS and booking"),
                ],
            }),
        )
        .await;
    assert_eq!(created["TotalAmt"], json!(1745.08));
    assert_eq!(created["Balance"], json!(1745.08));
    assert_eq!(created["SyncToken"], "0");
    assert_eq!(created["CustomerRef"], json!({"value": id(&customer), "name": "Downtown Cuts LLC"}));
    assert_eq!(created["DocNumber"], "ROY-2026-10-001");
    assert_eq!((created["TxnDate"].as_str(), created["DueDate"].as_str()), (Some("2026-10-31"), Some("2026-11-15")));
    let lines = created["Line"].as_array().expect("lines");
    assert_eq!(lines.len(), 4, "three sales lines and QBO's subtotal line");
    assert_eq!(lines[0]["SalesItemLineDetail"]["ItemRef"], json!({"value": royalty, "name": "Royalty"}));
    assert_eq!(lines[3]["DetailType"], "SubTotalLineDetail");
    assert_eq!(lines[3]["Amount"], json!(1745.08));

    let read = company.get(&format!("/invoice/{}", id(&created))).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(read.intuit_tid.is_some(), "QBO answers with an intuit_tid");
    assert!(read.body["time"].is_string());
    assert_eq!(read.body["Invoice"], created, "a read returns what the create returned");

    let updated = company
        .save(
            "invoice",
            &json!({"Id": id(&created), "SyncToken": "0", "sparse": true, "PrivateNote": "hub statement rs_124"}),
        )
        .await;
    assert_eq!(updated["SyncToken"], "1");
    assert_eq!(updated["PrivateNote"], "hub statement rs_124");
    assert_eq!(updated["TotalAmt"], json!(1745.08), "a sparse update keeps the lines");
    assert_eq!(updated["DocNumber"], "ROY-2026-10-001");
    assert_eq!(updated["MetaData"]["CreateTime"], created["MetaData"]["CreateTime"]);
    assert!(updated["MetaData"]["LastUpdatedTime"].as_str() >= created["MetaData"]["LastUpdatedTime"].as_str());

    // Renaming the customer shows in the invoice's reference.
    company
        .save(
            "customer",
            &json!({"Id": id(&customer), "SyncToken": "0", "sparse": true, "DisplayName": "Downtown Cuts"}),
        )
        .await;
    let reread = company.get(&format!("/invoice/{}", id(&created))).await;
    assert_eq!(reread.body["Invoice"]["CustomerRef"]["name"], "Downtown Cuts");
    assert_eq!(reread.body["Invoice"]["SyncToken"], "1");
}

#[tokio::test]
async fn a_full_update_replaces_what_it_leaves_out_and_doc_numbers_are_assigned() {
    let harness = Harness::start().await;
    let company = connect(&harness, REALM).await;
    let customer = company.customer("Uptown Fades").await;
    let royalty = company.item("Royalty").await;
    let first = company.invoice(&customer, &royalty, 100.0).await;
    let second = company.invoice(&customer, &royalty, 200.0).await;
    assert_eq!((first["DocNumber"].as_str(), second["DocNumber"].as_str()), (Some("1001"), Some("1002")));
    assert_ne!(id(&first), id(&second));

    let mut body = super::invoice_body(&customer, &royalty, 150.0);
    body["Id"] = first["Id"].clone();
    body["SyncToken"] = first["SyncToken"].clone();
    let replaced = company.save("invoice", &body).await;
    assert_eq!(replaced["TotalAmt"], json!(150.0));
    assert_eq!(replaced["Line"].as_array().map(Vec::len), Some(2));
    assert_eq!(replaced["DocNumber"], "1001", "the number QBO assigned stays");

    let customer_record = company.get(&format!("/customer/{customer}")).await;
    assert_eq!(customer_record.body["Customer"]["Balance"], json!(350.0), "the open balance of both invoices");
}

#[tokio::test]
async fn payments_apply_to_invoices_and_lower_their_balance() {
    let harness = Harness::start().await;
    let company = connect(&harness, REALM).await;
    let customer = company.customer("Midtown Barbers").await;
    let royalty = company.item("Royalty").await;
    let invoice = company.invoice(&customer, &royalty, 500.0).await;

    let payment = company
        .save(
            "payment",
            &json!({
                "CustomerRef": {"value": customer},
                "TotalAmt": 600.0,
                "PaymentRefNum": "ACH-7781",
                "Line": [{"Amount": 200.0, "LinkedTxn": [{"TxnId": id(&invoice), "TxnType": "Invoice"}]}],
            }),
        )
        .await;
    assert_eq!((payment["TotalAmt"].clone(), payment["UnappliedAmt"].clone()), (json!(600.0), json!(400.0)));
    assert_eq!(payment["Line"][0]["LinkedTxn"][0], json!({"TxnId": id(&invoice), "TxnType": "Invoice"}));

    let partly_paid = company.get(&format!("/invoice/{}", id(&invoice))).await.body["Invoice"].clone();
    assert_eq!(partly_paid["Balance"], json!(300.0));
    assert_eq!(partly_paid["SyncToken"], "1", "applying a payment changes the invoice");
    assert_eq!(partly_paid["LinkedTxn"], json!([{"TxnId": id(&payment), "TxnType": "Payment"}]));

    // Applying the rest through a sparse update of the payment.
    let updated = company
        .save(
            "payment",
            &json!({
                "Id": id(&payment), "SyncToken": "0", "sparse": true,
                "Line": [{"Amount": 500.0, "LinkedTxn": [{"TxnId": id(&invoice), "TxnType": "Invoice"}]}],
            }),
        )
        .await;
    assert_eq!(updated["UnappliedAmt"], json!(100.0));
    let paid = company.get(&format!("/invoice/{}", id(&invoice))).await.body["Invoice"].clone();
    assert_eq!((paid["Balance"].clone(), paid["SyncToken"].clone()), (json!(0.0), json!("2")));

    // The control surface's mark-paid refuses an invoice with nothing left to pay.
    let refused = harness.state().quickbooks().mark_invoice_paid(REALM, &id(&invoice)).expect_err("nothing to pay");
    assert_eq!(refused.code(), "6000");
}

#[tokio::test]
async fn deleting_payments_and_invoices_restores_balances_and_shows_in_cdc() {
    let harness = Harness::start().await;
    let company = connect(&harness, REALM).await;
    let since = (chrono::Utc::now() - chrono::Duration::seconds(2)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let customer = company.customer("Closing Cuts").await;
    let royalty = company.item("Royalty").await;
    let invoice = company.invoice(&customer, &royalty, 100.0).await;
    let payment = harness.state().quickbooks().mark_invoice_paid(REALM, &id(&invoice)).expect("an open invoice");
    let delete = |entity: &'static str, body: serde_json::Value| {
        let company = &company;
        async move { company.post_with(entity, &[("operation", "delete")], &body).await }
    };

    delete("payment", json!({"Id": id(&payment), "SyncToken": "1"})).await.assert_fault(400, "5010", "ValidationFault");
    let deleted = delete("payment", json!({"Id": id(&payment), "SyncToken": "0"})).await;
    assert_eq!(deleted.status, StatusCode::OK, "{deleted:?}");
    assert_eq!(deleted.body["Payment"], json!({"domain": "QBO", "status": "Deleted", "Id": id(&payment)}));
    company.get(&format!("/payment/{}", id(&payment))).await.assert_fault(400, "610", "ValidationFault");
    let reopened = company.get(&format!("/invoice/{}", id(&invoice))).await.body["Invoice"].clone();
    assert_eq!((reopened["Balance"].clone(), reopened["SyncToken"].clone()), (json!(100.0), json!("2")));
    assert_eq!(reopened["LinkedTxn"], json!([]));

    delete("customer", json!({"Id": customer, "SyncToken": "0"})).await.assert_fault(400, "500", "ValidationFault");
    let gone = delete("invoice", json!({"Id": id(&invoice), "SyncToken": "2"})).await;
    assert_eq!(gone.body["Invoice"]["status"], "Deleted", "{gone:?}");
    assert_eq!(company.select("select count(*) from Invoice").await["totalCount"], json!(0));

    let cdc = company.get(&format!("/cdc?entities=Invoice,Payment&changedSince={since}")).await;
    let responses = &cdc.body["CDCResponse"][0]["QueryResponse"];
    assert_eq!(responses[0]["Invoice"][0]["status"], "Deleted", "{cdc:?}");
    assert_eq!(responses[0]["Invoice"][0]["Id"], invoice["Id"]);
    assert_eq!(responses[1]["Payment"][0]["status"], "Deleted");
}
