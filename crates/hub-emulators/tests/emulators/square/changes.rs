//! Changes made through the control surface show through the API as Square would show them:
//! refunds on the payment, in ListPaymentRefunds and on the order; edited and deleted
//! customers; new sales — each with `updated_at` (and `version`) moved on.

use hub_emulators::{EmulatorError, SquareCustomerUpdate};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Square, all_time, amount, two_shops};

async fn order_of(square: &Square, order_id: &str) -> Value {
    let orders = square.all_orders().await;
    orders.into_iter().find(|order| order["id"] == order_id).expect("the order")
}

#[tokio::test]
async fn a_refund_shows_on_the_payment_in_the_refund_list_and_on_the_order() {
    let square = Square::start(&two_shops("MLREFUND", 7, 20)).await;
    let control = square.harness.state().square();
    let (payments, _) = square.walk_get("/square/v2/payments", &all_time(), "payments").await;
    let payment = payments
        .iter()
        .find(|p| p.get("refunded_money").is_none() && amount(&p["total_money"]) > 1_000)
        .expect("a payment");
    let payment_id = payment["id"].as_str().expect("an id");
    let order_id = payment["order_id"].as_str().expect("an order");
    let before = order_of(&square, order_id).await;

    let result = control.refund_payment("MLREFUND", payment_id, Some(500)).expect("refunded");
    assert_eq!((result.amount, result.order_id.as_str()), (500, order_id));
    let after = square.get(&format!("/square/v2/payments/{payment_id}"), &[]).await.body["payment"].clone();
    assert_eq!(amount(&after["refunded_money"]), 500);
    assert_eq!(after["refund_ids"], json!([result.refund_id]));
    assert!(after["updated_at"].as_str() > payment["updated_at"].as_str());
    assert_ne!(after["version_token"], payment["version_token"]);

    let newest = [("sort_field", "UPDATED_AT".to_owned()), ("limit", "1".to_owned())];
    let refunds = square.get("/square/v2/refunds", &newest).await.items("refunds");
    assert_eq!(refunds[0]["id"].as_str(), Some(result.refund_id.as_str()), "in the default window (the last year)");
    assert_eq!((refunds[0]["status"].as_str(), amount(&refunds[0]["amount_money"])), (Some("COMPLETED"), 500));
    assert_eq!(refunds[0]["payment_id"].as_str(), Some(payment_id));

    let order = order_of(&square, order_id).await;
    assert_eq!(order["version"].as_i64(), before["version"].as_i64().map(|v| v + 1));
    assert!(order["updated_at"].as_str() > before["updated_at"].as_str());
    assert_eq!(order["refunds"][0]["id"].as_str(), Some(result.refund_id.as_str()));
    assert_eq!(amount(&order["refunds"][0]["amount_money"]), 500);
    let total = amount(&order["total_money"]);
    assert_eq!(amount(&order["return_amounts"]["total_money"]), 500);
    assert_eq!(amount(&order["net_amounts"]["total_money"]), total - 500);
    assert_eq!(
        amount(&order["net_amounts"]["tax_money"]),
        amount(&order["total_tax_money"]),
        "a partial refund is unitemized"
    );

    // Refunding the rest returns everything, component by component.
    let rest = control.refund_payment("MLREFUND", payment_id, None).expect("refunded");
    assert_eq!((rest.amount, rest.remaining), (total - 500, 0));
    let order = order_of(&square, order_id).await;
    for (returned, sold) in
        [("total_money", "total_money"), ("tax_money", "total_tax_money"), ("tip_money", "total_tip_money")]
    {
        assert_eq!(amount(&order["return_amounts"][returned]), amount(&order[sold]));
        assert_eq!(amount(&order["net_amounts"][returned]), 0);
    }
    assert!(
        matches!(control.refund_payment("MLREFUND", payment_id, Some(1)), Err(EmulatorError::Refused(_))),
        "nothing left"
    );
    assert!(matches!(control.refund_payment("MLREFUND", "nope", None), Err(EmulatorError::NotFound { .. })));
    assert_eq!(
        control.counts("MLREFUND").refunds as usize,
        square.walk_get("/square/v2/refunds", &all_time_and_now(), "refunds").await.0.len()
    );
}

fn all_time_and_now() -> Vec<(&'static str, String)> {
    vec![("begin_time", "2020-01-01T00:00:00Z".to_owned()), ("end_time", "2100-01-01T00:00:00Z".to_owned())]
}

#[tokio::test]
async fn edited_customers_move_on_and_deleted_ones_vanish() {
    let square = Square::start(&two_shops("MLPEOPLE", 7, 21)).await;
    let control = square.harness.state().square();
    let ids = control.customer_ids("MLPEOPLE");
    let (edited, deleted) = (&ids[0], &ids[1]);
    let find = |id: &str| json!({"query": {"filter": {"email_address": {"exact": id}}}});
    let (all, _) = square.walk_get("/square/v2/customers", &[], "customers").await;
    let original = all.iter().find(|c| c["id"] == edited.as_str()).expect("the customer").clone();

    let started = chrono::Utc::now() - chrono::Duration::seconds(1);
    let update = SquareCustomerUpdate {
        given_name: Some("Zzyzx".into()),
        email_address: Some("zzyzx@example.org".into()),
        ..Default::default()
    };
    control.update_customer("MLPEOPLE", edited, update).expect("updated");
    let changed = square.post("/square/v2/customers/search", &find("zzyzx@example.org")).await.items("customers");
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["given_name"], "Zzyzx");
    assert_eq!(changed[0]["version"].as_i64(), original["version"].as_i64().map(|v| v + 1));
    assert!(changed[0]["updated_at"].as_str() > original["updated_at"].as_str());
    let recent = json!({"query": {"filter": {"updated_at": {"start_at": started.to_rfc3339()}}}, "count": true});
    let since = square.post("/square/v2/customers/search", &recent).await;
    assert_eq!(super::ids(&since.items("customers")), vec![edited.clone()], "an incremental search finds the edit");
    assert_eq!(since.body["count"], 1);
    let by_name = square.walk_get("/square/v2/customers", &[], "customers").await.0;
    assert_eq!(by_name.last().expect("customers")["id"], edited.as_str(), "renamed to Zzyzx, sorted last");

    let email = all.iter().find(|c| c["id"] == deleted.as_str()).expect("the customer")["email_address"].clone();
    control.delete_customer("MLPEOPLE", deleted).expect("deleted");
    let listed = square.walk_get("/square/v2/customers", &[("sort_field", "CREATED_AT".into())], "customers").await.0;
    assert!(listed.iter().all(|c| c["id"] != deleted.as_str()));
    assert_eq!(listed.len(), all.len() - 1);
    let searched = square.post("/square/v2/customers/search", &find(email.as_str().expect("an email"))).await;
    assert_eq!(
        (searched.status, searched.body.clone()),
        (StatusCode::OK, json!({})),
        "Square answers {{}} when nothing matches"
    );
    assert_eq!(control.counts("MLPEOPLE").customers as usize, all.len() - 1);
    let counted = square.get("/square/v2/customers", &[("count", "true".into()), ("limit", "1".into())]).await;
    assert_eq!(counted.body["count"].as_u64(), Some(all.len() as u64 - 1));
    assert!(matches!(control.delete_customer("MLPEOPLE", deleted), Err(EmulatorError::NotFound { .. })));
    assert!(control.update_customer("MLPEOPLE", deleted, SquareCustomerUpdate::default()).is_err());
}

#[tokio::test]
async fn sales_taken_now_appear_in_orders_and_payments() {
    let square = Square::start(&two_shops("MLNOW", 7, 22)).await;
    let control = square.harness.state().square();
    let before = control.counts("MLNOW");
    let started = chrono::Utc::now() - chrono::Duration::seconds(1);
    let added = control.add_orders("MLNOW", square.location(1), 5).expect("added");
    let after = control.counts("MLNOW");
    assert_eq!((after.orders, after.payments), (before.orders + 5, before.payments + 5));
    let body = json!({
        "location_ids": [square.location(1)],
        "query": {"filter": {"date_time_filter": {"updated_at": {"start_at": started.to_rfc3339()}}}, "sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"}},
    });
    let fresh = square.post("/square/v2/orders/search", &body).await.items("orders");
    let fresh_ids: Vec<&str> = fresh.iter().filter_map(|o| o["id"].as_str()).collect();
    assert_eq!(fresh_ids, added.iter().map(|a| a.order_id.as_str()).collect::<Vec<_>>());
    for (order, sale) in fresh.iter().zip(&added) {
        assert_eq!(amount(&order["total_money"]), sale.total);
        assert_eq!(order["tenders"][0]["payment_id"].as_str(), Some(sale.payment_id.as_str()));
        let payment = square.get(&format!("/square/v2/payments/{}", sale.payment_id), &[]).await;
        assert_eq!(amount(&payment.body["payment"]["total_money"]), sale.total);
    }
    // The default ListPayments window (the last year, up to now) includes them.
    let latest = square
        .get("/square/v2/payments", &[("location_id", square.location(1).to_owned()), ("limit", "5".into())])
        .await;
    let mut latest_ids: Vec<String> = super::ids(&latest.items("payments"));
    latest_ids.reverse();
    assert_eq!(latest_ids, added.iter().map(|a| a.payment_id.clone()).collect::<Vec<_>>());
    assert!(matches!(control.add_orders("MLNOW", "LNOWHERE", 1), Err(EmulatorError::NotFound { .. })));
}
