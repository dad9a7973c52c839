//! `/v1/agreements`, `/v1/exchange-rates` and `/v1/royalty-statements` over HTTP on both
//! backends: the contract, scope (a franchisee admin sees only its own statements), bad input
//! (a problem naming the field, nothing changed), and the flow into the QuickBooks emulator —
//! issue → invoice (once, through a 429 storm and an expired token) → paid read back.

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::TestApp;
use hub_core::access::{Role, TenantScope};
use hub_core::id::{ConnectionId, FranchiseeId, LocationId};
use hub_core::records::{Model, RecordData, Sale, SourceRecord, SyncMode};
use hub_core::tenancy::Currency;
use hub_emulators::{FaultRule, HttpFault};
use hub_store::{NewSyncRun, RecordUpsert, SyncCheckpoint, SyncPage};
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Value, json};

on_both_backends!(
    statements_follow_the_contract,
    statements_export_and_count_as_royalty_due,
    franchisee_admins_see_only_their_own_statements,
    bad_input_is_a_problem_naming_the_field_and_changes_nothing,
);

mod quickbooks {
    use super::*;
    on_both_backends_with_emulators!(issued_statements_are_invoiced_once_in_quickbooks_and_paid_status_comes_back);
}

fn money(text: &str) -> Decimal {
    text.parse().expect("decimal")
}

/// Writes sales of a shop as the sync engine would: `(external id, instant, gross)`.
async fn sync_sales(app: &TestApp, franchisee: &FranchiseeId, location: &LocationId, sales: &[(&str, &str, &str)]) {
    let connection = ConnectionId::new();
    let (run, _) = app
        .store
        .create_sync_run(NewSyncRun {
            network_id: app.network_id.clone(),
            connection_id: connection.clone(),
            franchisee_id: Some(franchisee.clone()),
            location_id: Some(location.clone()),
            mode: SyncMode::Incremental,
            trigger: "test".into(),
        })
        .await
        .expect("run");
    app.store.start_sync_run(&app.network_id, &run.id).await.expect("start");
    let usd = Currency::parse("USD").expect("USD");
    let upserts = sales
        .iter()
        .map(|(external_id, at, gross)| {
            let occurred_at: DateTime<Utc> = at.parse().expect("instant");
            let gross = money(gross);
            let data = RecordData::Sale(Sale {
                occurred_at,
                currency: usd,
                gross,
                discount: Decimal::ZERO,
                service_charges: Decimal::ZERO,
                tax: Decimal::ZERO,
                tip: Decimal::ZERO,
                total: gross,
                refunded: Decimal::ZERO,
                net: gross,
                customer_external_id: None,
                lines: Vec::new(),
                tenders: Vec::new(),
                refunds: Vec::new(),
            });
            let json = data.to_json();
            let source = SourceRecord {
                external_id: (*external_id).to_owned(),
                remote_updated_at: Some(occurred_at),
                provider_location_id: Some("L".into()),
                data,
            };
            RecordUpsert {
                external_id: (*external_id).to_owned(),
                franchisee_id: Some(franchisee.clone()),
                location_id: Some(location.clone()),
                provider_location_id: Some("L".into()),
                occurred_at: Some(occurred_at),
                remote_updated_at: Some(occurred_at),
                content_hash: source.content_hash(&json),
                data: json,
            }
        })
        .collect::<Vec<_>>();
    app.store
        .apply_sync_page(SyncPage {
            network_id: app.network_id.clone(),
            run_id: run.id.clone(),
            connection_id: connection,
            provider: "square".into(),
            model: Model::Sale,
            mark_seen: false,
            fetched: upserts.len() as u64,
            pages: 1,
            upserts,
            deletes: Vec::new(),
            checkpoint: SyncCheckpoint::default(),
        })
        .await
        .expect("page");
    app.store.finish_sync_run(&app.network_id, &run.id, None).await.expect("finish");
}

fn agreement(franchisee: &FranchiseeId) -> Value {
    json!({
        "franchisee_id": franchisee,
        "effective_from": "2026-01-01",
        "royalty_rate": "0.06",
        "tiers": [{"above": "1000.00", "rate": "0.05"}],
        "ad_fund_rate": "0.02",
        "technology_fee_per_location": "99.00",
        "minimum_royalty": "10.00",
    })
}

/// A shop with an agreement and November sales of 1,500.00: royalty 1,000 × 6% = 60.00 +
/// 500 × 5% = 25.00, brand fund 30.00, technology fee 99.00 — 214.00.
async fn billed_shop(app: &TestApp, label: &str) -> (FranchiseeId, LocationId) {
    let (franchisee, location) = app.shop(label).await;
    let (status, created) =
        app.send(Method::POST, "/v1/agreements", &app.admin_key, Some(agreement(&franchisee))).await;
    assert_eq!(status, 201, "{created}");
    sync_sales(
        app,
        &franchisee,
        &location,
        &[
            ("S1", "2026-11-05T18:00:00Z", "1000.00"),
            ("S2", "2026-11-20T18:00:00Z", "500.00"),
            ("S3", "2026-12-02T18:00:00Z", "700.00"),
        ],
    )
    .await;
    (franchisee, location)
}

async fn compute(app: &TestApp, franchisee: &FranchiseeId, period_start: &str) -> (u16, Value) {
    let body = json!({"franchisee_id": franchisee, "period_start": period_start});
    app.send(Method::POST, "/v1/royalty-statements", &app.admin_key, Some(body)).await
}

async fn statements_follow_the_contract(app: TestApp) {
    let (franchisee, _) = billed_shop(&app, "North").await;
    let (status, listed) =
        app.send(Method::GET, &format!("/v1/agreements?franchisee_id={franchisee}"), &app.admin_key, None).await;
    assert_eq!(status, 200);
    assert_eq!(listed["data"][0]["royalty_rate"], "0.06");
    assert_eq!(listed["data"][0]["period"], "monthly");
    assert_eq!(listed["data"][0]["currency"], "USD", "the franchisee's currency by default");

    let (status, statement) = compute(&app, &franchisee, "2026-11-01").await;
    assert_eq!(status, 201, "{statement}");
    for field in ["id", "franchisee_id", "period_start", "period_end", "lines", "total", "currency", "status"] {
        assert!(!statement[field].is_null(), "a statement carries `{field}`: {statement}");
    }
    assert_eq!(statement["franchisee_id"], json!(franchisee));
    assert_eq!(
        (statement["period_start"].as_str(), statement["period_end"].as_str()),
        (Some("2026-11-01"), Some("2026-11-30"))
    );
    assert_eq!((statement["status"].as_str(), statement["currency"].as_str()), (Some("draft"), Some("USD")));
    let amounts: Vec<&str> =
        statement["lines"].as_array().expect("lines").iter().map(|l| l["amount"].as_str().expect("amount")).collect();
    assert_eq!(amounts, vec!["60.00", "25.00", "30.00", "99.00"]);
    assert_eq!(statement["total"], "214.00");
    assert_eq!(statement["consolidated"]["total"], "214.00");
    let id = statement["id"].as_str().expect("id").to_owned();

    let (status, again) = compute(&app, &franchisee, "2026-11-01").await;
    assert_eq!(status, 201);
    assert_eq!(
        (again["id"].clone(), again["lines"].clone(), again["total"].clone()),
        (statement["id"].clone(), statement["lines"].clone(), statement["total"].clone()),
        "recomputing is idempotent"
    );

    let (status, sales) =
        app.send(Method::GET, &format!("/v1/royalty-statements/{id}/lines/1/sales"), &app.admin_key, None).await;
    assert_eq!(status, 200, "{sales}");
    let bases: Vec<&str> =
        sales["data"].as_array().expect("data").iter().map(|s| s["base"].as_str().expect("base")).collect();
    assert_eq!(bases.len(), 2, "the two November sales, not December's: {sales}");
    assert!(bases.contains(&"1000.00") && bases.contains(&"500.00"));
    let (status, fee) =
        app.send(Method::GET, &format!("/v1/royalty-statements/{id}/lines/4/sales"), &app.admin_key, None).await;
    assert_eq!((status, fee["data"].as_array().map(Vec::len)), (200, Some(0)), "the technology fee sums no sales");
    let (status, _) =
        app.send(Method::GET, &format!("/v1/royalty-statements/{id}/lines/99/sales"), &app.admin_key, None).await;
    assert_eq!(status, 404);

    let (status, issued) =
        app.send(Method::POST, &format!("/v1/royalty-statements/{id}/issue"), &app.admin_key, None).await;
    assert_eq!(status, 200, "{issued}");
    assert_eq!(issued["status"], "issued");
    assert!(issued["issued_at"].is_string());
    let (status, refused) = compute(&app, &franchisee, "2026-11-01").await;
    assert_eq!(status, 409, "an issued statement is never recomputed: {refused}");
    assert_eq!(refused["code"], "conflict");
    let (status, december) = compute(&app, &franchisee, "2026-12-01").await;
    assert_eq!(status, 201);
    // 700.00 × 6% = 42.00 (above the 10.00 minimum), brand fund 14.00, one shop 99.00.
    assert_eq!(december["total"], "155.00", "{december}");

    let (_, got) = app.send(Method::GET, &format!("/v1/royalty-statements/{id}"), &app.admin_key, None).await;
    assert_eq!(got["status"], "issued");
    let (_, listed) = app.send(Method::GET, "/v1/royalty-statements?status=issued", &app.admin_key, None).await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1));
    let (_, listed) = app.send(Method::GET, "/v1/royalty-statements?period=2026-12", &app.admin_key, None).await;
    assert_eq!(listed["data"][0]["period_start"], "2026-12-01");
    let (_, listed) = app.send(Method::GET, "/v1/royalty-statements?limit=1", &app.admin_key, None).await;
    let cursor = listed["next_cursor"].as_str().expect("a second page");
    let (_, second) =
        app.send(Method::GET, &format!("/v1/royalty-statements?limit=1&cursor={cursor}"), &app.admin_key, None).await;
    assert_ne!(second["data"][0]["id"], listed["data"][0]["id"]);
    assert!(second["next_cursor"].is_null());
}

async fn franchisee_admins_see_only_their_own_statements(app: TestApp) {
    let (north, _) = billed_shop(&app, "North").await;
    let (south, _) = billed_shop(&app, "South").await;
    let (_, north_statement) = compute(&app, &north, "2026-11-01").await;
    let (_, south_statement) = compute(&app, &south, "2026-11-01").await;
    let north_admin =
        app.mint_key(Role::FranchiseeAdmin, TenantScope::franchisee(app.network_id.clone(), north.clone())).await;
    let (status, listed) = app.send(Method::GET, "/v1/royalty-statements", &north_admin, None).await;
    assert_eq!(status, 200);
    let ids: Vec<&Value> = listed["data"].as_array().expect("data").iter().map(|s| &s["id"]).collect();
    assert_eq!(ids, vec![&north_statement["id"]]);
    let theirs = format!("/v1/royalty-statements/{}", south_statement["id"].as_str().expect("id"));
    assert_eq!(app.send(Method::GET, &theirs, &north_admin, None).await.0, 404);
    assert_eq!(app.send(Method::GET, &format!("{theirs}/lines/1/sales"), &north_admin, None).await.0, 404);
    let (status, filtered) =
        app.send(Method::GET, &format!("/v1/royalty-statements?franchisee_id={south}"), &north_admin, None).await;
    assert_eq!((status, filtered["data"].as_array().map(Vec::len)), (200, Some(0)));
    let (_, agreements) = app.send(Method::GET, "/v1/agreements", &north_admin, None).await;
    assert_eq!(agreements["data"].as_array().map(Vec::len), Some(1));
    // Reading is not writing: no computing, issuing or agreements of its own.
    let body = json!({"franchisee_id": north, "period_start": "2026-12-01"});
    assert_eq!(app.send(Method::POST, "/v1/royalty-statements", &north_admin, Some(body)).await.0, 403);
    let own = format!("/v1/royalty-statements/{}/issue", north_statement["id"].as_str().expect("id"));
    assert_eq!(app.send(Method::POST, &own, &north_admin, None).await.0, 403);
    assert_eq!(app.send(Method::POST, "/v1/agreements", &north_admin, Some(agreement(&north))).await.0, 403);
    // Analysts read the network; location managers read no royalties.
    let analyst = app.mint_key(Role::NetworkAnalyst, app.network_scope()).await;
    let (_, all) = app.send(Method::GET, "/v1/royalty-statements", &analyst, None).await;
    assert_eq!(all["data"].as_array().map(Vec::len), Some(2));
    let (_, location) = app.shop("East").await;
    let shop_scope = TenantScope::location(
        app.network_id.clone(),
        app.store.get_location(&app.network_scope(), &location).await.expect("loc").franchisee_id,
        location,
    );
    let manager = app.mint_key(Role::LocationManager, shop_scope).await;
    assert_eq!(app.send(Method::GET, "/v1/royalty-statements", &manager, None).await.0, 403);
}

async fn bad_input_is_a_problem_naming_the_field_and_changes_nothing(app: TestApp) {
    let (franchisee, _) = app.shop("North").await;
    let before = app.audit_length().await;
    let field_of = |problem: &Value| problem["errors"][0]["field"].as_str().map(str::to_owned);
    let cases = [
        (json!({"franchisee_id": franchisee, "effective_from": "2026-01-01", "royalty_rate": "6"}), "royalty_rate"),
        (json!({"franchisee_id": franchisee, "effective_from": "2026-01-01", "royalty_rate": 0.06}), "royalty_rate"),
        (
            json!({"franchisee_id": franchisee, "effective_from": "2026-01-01", "royalty_rate": "0.06", "minimum_royalty": "1.001"}),
            "minimum_royalty",
        ),
        (
            json!({"franchisee_id": franchisee, "effective_from": "2026-01-01", "royalty_rate": "0.06", "tiers": [{"above": "0", "rate": "0.05"}]}),
            "tiers[0].above",
        ),
        (
            json!({"franchisee_id": franchisee, "effective_from": "2026-06-01", "effective_to": "2026-01-01", "royalty_rate": "0.06"}),
            "effective_to",
        ),
        (json!({"franchisee_id": "fr_nope", "effective_from": "2026-01-01", "royalty_rate": "0.06"}), "franchisee_id"),
        (
            json!({"franchisee_id": franchisee, "effective_from": "2026-01-01", "royalty_rate": "0.06", "period": "yearly"}),
            "period",
        ),
    ];
    for (body, field) in cases {
        let (status, problem) = app.send(Method::POST, "/v1/agreements", &app.admin_key, Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {problem}");
        assert_eq!(problem["status"], 400);
        assert!(field_of(&problem).is_some_and(|named| named.starts_with(field)), "{body} names {field}: {problem}");
    }
    let (status, problem) = compute(&app, &franchisee, "2026-11-01").await;
    assert_eq!(status, 400, "no agreement yet: {problem}");
    assert_eq!(field_of(&problem).as_deref(), Some("period_start"));
    app.send(Method::POST, "/v1/agreements", &app.admin_key, Some(agreement(&franchisee))).await;
    let after_agreement = app.audit_length().await;
    assert_eq!(after_agreement, before + 1, "only the good agreement was recorded");
    let (status, problem) = compute(&app, &franchisee, "2026-11-02").await;
    assert_eq!((status, field_of(&problem).as_deref()), (400, Some("period_start")), "{problem}");
    let other = hub_core::id::FranchiseeId::new();
    let (status, problem) = compute(&app, &other, "2026-11-01").await;
    assert_eq!((status, field_of(&problem).as_deref()), (400, Some("franchisee_id")), "{problem}");
    let (status, problem) = app
        .send(Method::POST, "/v1/royalty-statements", &app.admin_key, Some(json!({"franchisee_id": franchisee})))
        .await;
    assert_eq!(status, 400, "{problem}");
    let (status, _) = app.send(Method::POST, "/v1/royalty-statements/rst_nope/issue", &app.admin_key, None).await;
    assert_eq!(status, 400);
    let (status, _) = app
        .send(
            Method::POST,
            &format!("/v1/royalty-statements/{}/issue", hub_core::id::RoyaltyStatementId::new()),
            &app.admin_key,
            None,
        )
        .await;
    assert_eq!(status, 404);
    for query in ["period=2026-13", "period=202611", "status=open", "limit=0", "colour=red"] {
        let (status, problem) =
            app.send(Method::GET, &format!("/v1/royalty-statements?{query}"), &app.admin_key, None).await;
        assert_eq!(status, 400, "{query}: {problem}");
    }
    let rate =
        |value: Value| json!({"from": "EUR", "to": "USD", "rate": value, "rate_date": "2026-11-30", "source": "ECB"});
    for (body, field) in [
        (rate(json!("0")), "rate"),
        (rate(json!("-1.2")), "rate"),
        (json!({"from": "EUR", "to": "EUR", "rate": "1", "rate_date": "2026-11-30", "source": "ECB"}), "to"),
        (json!({"from": "EUR", "to": "USD", "rate": "1.08", "rate_date": "2026-11-30", "source": " "}), "source"),
    ] {
        let (status, problem) = app.send(Method::POST, "/v1/exchange-rates", &app.admin_key, Some(body.clone())).await;
        assert_eq!((status, field_of(&problem).as_deref()), (400, Some(field)), "{body}: {problem}");
    }
    let (status, _) = app.send(Method::POST, "/v1/exchange-rates", &app.admin_key, Some(rate(json!("1.0850")))).await;
    assert_eq!(status, 201);
    let (status, problem) =
        app.send(Method::POST, "/v1/exchange-rates", &app.admin_key, Some(rate(json!("1.2")))).await;
    assert_eq!(status, 409, "recorded rates never change: {problem}");
    let (_, rates) = app.send(Method::GET, "/v1/exchange-rates", &app.admin_key, None).await;
    assert_eq!((rates["data"].as_array().map(Vec::len), rates["data"][0]["rate"].as_str()), (Some(1), Some("1.0850")));
    assert_eq!(app.audit_length().await, after_agreement + 1, "refused input recorded nothing");
    let (_, statements) = app.send(Method::GET, "/v1/royalty-statements", &app.admin_key, None).await;
    assert_eq!(statements["data"].as_array().map(Vec::len), Some(0));
}

/// Connects the franchisor (network level) to the emulated QuickBooks company `realm`.
async fn connect_quickbooks(app: &TestApp, realm: &str) -> String {
    let body = json!({"provider": "quickbooks-online"});
    let (status, created) = app.send(Method::POST, "/v1/connections", &app.admin_key, Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let mut authorize = reqwest::Url::parse(created["authorize_url"].as_str().expect("authorize_url")).expect("url");
    authorize.query_pairs_mut().append_pair("emulator_account", realm);
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let consent = browser.get(authorize).send().await.expect("consent");
    let callback = consent.headers()["location"].to_str().expect("location").to_owned();
    assert!(callback.contains(&format!("realmId={realm}")), "QuickBooks names the company: {callback}");
    let page = browser.get(&callback).send().await.expect("callback");
    assert_eq!(page.status(), 200, "the callback accepts the code");
    created["id"].as_str().expect("id").to_owned()
}

async fn issued_statements_are_invoiced_once_in_quickbooks_and_paid_status_comes_back(app: TestApp) {
    let realm = "9130354";
    let quickbooks = app.emulators().quickbooks();
    // Access tokens live one second: the one from the consent is dead by the time invoicing runs.
    app.emulators().set_token_lifetimes(
        hub_emulators::EmulatedProvider::QuickBooksOnline,
        hub_emulators::TokenLifetimes { access: Some(Duration::from_secs(1)), refresh: None },
    );
    let connection = connect_quickbooks(&app, realm).await;
    let stored = app
        .store
        .provider_account(&app.network_id, &ConnectionId::parse(&connection).expect("id"))
        .await
        .expect("account");
    assert_eq!(stored.as_deref(), Some(realm), "the callback kept the realmId");
    let (north, _) = billed_shop(&app, "North").await;
    let (south, _) = billed_shop(&app, "South").await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    // QuickBooks throttles the next six calls (more than one call's retries absorb) and refuses
    // one token as if it had expired.
    quickbooks.force_throttle(realm, 6);
    app.emulators()
        .inject_fault(FaultRule::new("quickbooks-online", "/v3", HttpFault::Status { status: 401 }).times(1))
        .expect("fault");

    let mut ids = Vec::new();
    for franchisee in [&north, &south] {
        let (_, statement) = compute(&app, franchisee, "2026-11-01").await;
        let id = statement["id"].as_str().expect("id").to_owned();
        let (status, issued) =
            app.send(Method::POST, &format!("/v1/royalty-statements/{id}/issue"), &app.admin_key, None).await;
        assert_eq!(status, 200, "{issued}");
        // Issuing twice queues nothing twice.
        app.send(Method::POST, &format!("/v1/royalty-statements/{id}/issue"), &app.admin_key, None).await;
        ids.push(id);
    }
    app.run_jobs(Duration::from_secs(10)).await;
    assert!(quickbooks.throttled_requests(realm) >= 6, "the 429s were answered");
    assert!(app.emulators().active_faults().is_empty(), "the refused token was met");
    let refreshes = app.emulators().token_requests(hub_emulators::EmulatedProvider::QuickBooksOnline).refresh_token;
    assert!(refreshes >= 1, "the expired token was refreshed (rotating), not fatal");
    let invoices = quickbooks.invoices(realm);
    assert_eq!(invoices.len(), 2, "one invoice per statement: {invoices:?}");
    let customers = quickbooks.customers(realm);
    assert_eq!(customers.len(), 2, "one customer per franchisee");
    for id in &ids {
        let (_, statement) = app.send(Method::GET, &format!("/v1/royalty-statements/{id}"), &app.admin_key, None).await;
        let invoice_id = statement["invoice_id"].as_str().expect("invoiced");
        let invoice = invoices.iter().find(|invoice| invoice["Id"] == invoice_id).expect("the invoice");
        assert_eq!(invoice["TotalAmt"], json!(214.0));
        assert_eq!(invoice["Line"].as_array().map(Vec::len), Some(5), "four lines and QBO's subtotal");
        assert_eq!(statement["invoice_status"], "open");
        assert_eq!(invoice["DocNumber"].as_str().map(|n| n.starts_with("R202611-")), Some(true));
    }
    let (_, events) = app.send(Method::GET, "/v1/events?limit=500", &app.admin_key, None).await;
    let issued_events = events["data"]
        .as_array()
        .map(|events| events.iter().filter(|e| e["type"] == "royalty.statement.issued").count());
    assert_eq!(issued_events, Some(2), "one event per statement: {events}");

    // The invoice job running again (a retry after a lost completion) creates nothing.
    let statement =
        app.store.get_statement(&app.network_scope(), &ids[0].parse().expect("id")).await.expect("statement");
    app.state.as_ref().expect("state").royalties.enqueue_invoice(&statement).await.expect("enqueue");
    app.run_jobs(Duration::from_secs(5)).await;
    assert_eq!(quickbooks.invoices(realm).len(), 2);

    // The franchisee pays in QuickBooks; the read-back moves the statement to paid.
    let first_invoice = statement.invoice_id.clone().expect("invoice id");
    quickbooks.mark_invoice_paid(realm, &first_invoice).expect("paid");
    // QuickBooks notifies the Payment; the stored notification queues the read-back.
    let state = app.state.as_ref().expect("state");
    let applier = hub_api::webhook_sync::SyncApplier::new(app.store.clone(), state.sync.clone())
        .with_royalties(state.royalties.clone());
    let body = json!({"eventNotifications": [{"realmId": realm, "dataChangeEvent": {"entities": [
        {"name": "Payment", "id": "1", "operation": "Create", "lastUpdated": "2026-12-01T10:00:00.000Z"}
    ]}}]});
    let notification = hub_store::InboundEvent {
        id: hub_core::id::InboundEventId::new(),
        network_id: app.network_id.clone(),
        source_id: hub_core::id::WebhookSourceId::new(),
        provider: "quickbooks-online".into(),
        connection_id: Some(ConnectionId::parse(&connection).expect("id")),
        dedup_key: "payment-1".into(),
        event_ids: vec!["payment-1".into()],
        status: "received".into(),
        attempts: 0,
        error: None,
        received_at: Utc::now(),
        processed_at: None,
        payload_kept: true,
        body: Some(body.to_string().into_bytes()),
    };
    use hub_webhooks::inbound::processor::InboundApplier;
    applier
        .apply(&app.network_id, &ConnectionId::parse(&connection).expect("id"), &[notification])
        .await
        .expect("the notification is applied");
    app.run_jobs(Duration::from_secs(5)).await;
    let (_, paid) = app.send(Method::GET, &format!("/v1/royalty-statements/{}", ids[0]), &app.admin_key, None).await;
    assert_eq!((paid["status"].as_str(), paid["invoice_status"].as_str()), (Some("paid"), Some("paid")), "{paid}");
    assert_eq!(paid["invoice_balance"], "0.00");
    let (_, open) = app.send(Method::GET, &format!("/v1/royalty-statements/{}", ids[1]), &app.admin_key, None).await;
    assert_eq!(open["status"], "issued");
}

/// Issued November (214.00) and drafted December (155.00): the statements export has a row per
/// line, and the KPIs carry them as royalty due — billed, outstanding, drafted — for the network
/// and per franchisee row.
async fn statements_export_and_count_as_royalty_due(app: TestApp) {
    let (franchisee, _) = billed_shop(&app, "North").await;
    let (_, november) = compute(&app, &franchisee, "2026-11-01").await;
    let id = november["id"].as_str().expect("id").to_owned();
    let (status, _) = app.send(Method::POST, &format!("/v1/royalty-statements/{id}/issue"), &app.admin_key, None).await;
    assert_eq!(status, 200);
    let (status, december) = compute(&app, &franchisee, "2026-12-01").await;
    assert_eq!((status, december["total"].as_str()), (201, Some("155.00")));

    let response = app
        .client
        .get(app.url("/v1/exports/royalty-statements?period_from=2026-11-01&period_to=2026-12-01&format=csv"))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .expect("csv export");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let text = response.text().await.expect("body");
    let lines: Vec<&str> = text.lines().collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("a {name} column"));
    let (statement, amount, status) = (column("statement_id"), column("amount"), column("status"));
    // November: 60.00 + 25.00 + 30.00 + 99.00; December: 42.00 + 14.00 + 99.00.
    let mut by_statement: std::collections::BTreeMap<String, (Decimal, usize, String)> = Default::default();
    for line in &lines[1..] {
        let cells = csv_cells(line);
        let entry = by_statement.entry(cells[statement].clone()).or_default();
        entry.0 += money(&cells[amount]);
        entry.1 += 1;
        entry.2 = cells[status].clone();
    }
    assert_eq!(by_statement[&id], (money("214.00"), 4, "issued".to_owned()), "{text}");
    let december_id = december["id"].as_str().expect("id");
    assert_eq!(by_statement[december_id], (money("155.00"), 3, "draft".to_owned()), "{text}");

    let (status, problem) =
        app.send(Method::GET, "/v1/exports/royalty-statements?status=late", &app.admin_key, None).await;
    assert_eq!((status, problem["code"].as_str()), (400, Some("invalid_request")), "{problem}");
    let (franchisee_scope, _) = app.shop("South").await;
    let outsider =
        app.mint_key(Role::FranchiseeAdmin, TenantScope::franchisee(app.network_id.clone(), franchisee_scope)).await;
    let response =
        app.client.get(app.url("/v1/exports/royalty-statements")).bearer_auth(&outsider).send().await.expect("export");
    let text = response.text().await.expect("body");
    assert_eq!(text.lines().count(), 1, "another franchisee's export holds only the header: {text}");

    let (status, kpis) =
        app.send(Method::GET, "/v1/kpis?from=2026-11-01&to=2026-12-31&group_by=franchisee", &app.admin_key, None).await;
    assert_eq!(status, 200, "{kpis}");
    let due = &kpis["royalty_due"];
    assert_eq!(
        (due["billed"].as_str(), due["outstanding"].as_str(), due["drafted"].as_str(), due["statements"].as_u64()),
        (Some("214.00"), Some("214.00"), Some("155.00"), Some(2)),
        "{kpis}"
    );
    let (_, november_only) =
        app.send(Method::GET, "/v1/kpis?from=2026-11-01&to=2026-11-30&group_by=month", &app.admin_key, None).await;
    assert_eq!(november_only["royalty_due"]["drafted"], "0", "{november_only}");
    assert_eq!(november_only["royalty_due"]["billed"], "214.00");
}

/// One CSV line's fields (RFC 4180 quoting; the export has no line breaks inside fields).
fn csv_cells(line: &str) -> Vec<String> {
    let (mut cells, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(std::mem::take(&mut cell)),
            (c, _) => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}
