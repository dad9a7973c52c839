//! Outbound webhooks end to end, on both backends: endpoints registered over the API, events from
//! the change feed and the platform, a receiver that fails for a while and then recovers. Every
//! endpoint gets every event in its scope exactly once after dedup by `webhook-id`, none outside
//! it; every delivery verifies with the reference `standardwebhooks` library; analysts' endpoints
//! get no customer PII; the attempts log, replay and SSRF refusals behave.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path as AxumPath, State};
use axum::http::{HeaderMap, StatusCode};
use common::TestApp;
use hub_core::access::{Role, TenantScope};
use hub_core::id::{ConnectionId, FranchiseeId, LocationId, NetworkId};
use hub_core::records::{Model, SyncMode};
use hub_core::tenancy::{Currency, Name, NewFranchisee, NewLocation, TimeZone};
use hub_store::{ChangeContext, NewSyncRun, RecordUpsert, SyncCheckpoint, SyncPage};
use hub_webhooks::outbound::PlatformEvent;
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends!(
    a_receiver_that_fails_then_recovers_gets_each_event_once_and_only_in_scope,
    bad_endpoints_are_refused_naming_the_field,
);

#[derive(Default)]
struct Receiver {
    /// Requests to fail before answering 200.
    failures_left: Mutex<usize>,
    /// (endpoint path, webhook-id, body, headers) of every request.
    seen: Mutex<Vec<(String, String, Bytes, HeaderMap)>>,
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    AxumPath(name): AxumPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    receiver.seen.lock().expect("lock").push((name, id, body, headers));
    let mut left = receiver.failures_left.lock().expect("lock");
    if *left > 0 {
        *left -= 1;
        return (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance");
    }
    (StatusCode::OK, "thanks")
}

async fn start_receiver(failures: usize) -> (String, Arc<Receiver>) {
    let receiver = Arc::new(Receiver { failures_left: Mutex::new(failures), ..Default::default() });
    let app = axum::Router::new().route("/{name}", axum::routing::post(receive)).with_state(Arc::clone(&receiver));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, receiver)
}

struct Shop {
    franchisee: FranchiseeId,
    location: LocationId,
}

async fn shop(app: &TestApp, label: &str) -> Shop {
    let scope = app.network_scope();
    let ctx = ChangeContext::cli();
    let usd = Currency::parse("USD").expect("usd");
    let franchisee = app
        .store
        .create_franchisee(&scope, &ctx, NewFranchisee { name: Name::parse(label).expect("n"), currency: usd })
        .await
        .expect("franchisee");
    let location = app
        .store
        .create_location(
            &scope,
            &ctx,
            NewLocation {
                franchisee_id: franchisee.id.clone(),
                name: Name::parse(&format!("{label} shop")).expect("n"),
                time_zone: TimeZone::parse("America/New_York").expect("tz"),
                territory_id: None,
            },
        )
        .await
        .expect("location");
    Shop { franchisee: franchisee.id, location: location.id }
}

async fn create_endpoint(app: &TestApp, key: &str, body: Value) -> (String, String) {
    let (status, created) = app.send(Method::POST, "/v1/webhook-endpoints", key, Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("whsec_"));
    (created["id"].as_str().expect("id").to_owned(), secret)
}

/// Writes one sale through the records store (as a sync would), so it enters the change feed.
async fn sync_sale(app: &TestApp, network: &NetworkId, shop: &Shop, connection: &ConnectionId, refunded: &str) {
    let (run, _) = app
        .store
        .create_sync_run(NewSyncRun {
            network_id: network.clone(),
            connection_id: connection.clone(),
            franchisee_id: Some(shop.franchisee.clone()),
            location_id: Some(shop.location.clone()),
            mode: SyncMode::Incremental,
            trigger: "test".into(),
        })
        .await
        .expect("run");
    app.store.start_sync_run(network, &run.id).await.expect("start");
    let data = json!({"total": "20.00", "refunded": refunded}).to_string();
    app.store
        .apply_sync_page(SyncPage {
            network_id: network.clone(),
            run_id: run.id.clone(),
            connection_id: connection.clone(),
            provider: "square".into(),
            model: Model::Sale,
            mark_seen: false,
            upserts: vec![RecordUpsert {
                external_id: "sale-1".into(),
                franchisee_id: Some(shop.franchisee.clone()),
                location_id: Some(shop.location.clone()),
                provider_location_id: None,
                occurred_at: None,
                remote_updated_at: None,
                content_hash: format!("hash-{refunded}"),
                data,
            }],
            deletes: vec![],
            fetched: 1,
            pages: 1,
            checkpoint: SyncCheckpoint::default(),
        })
        .await
        .expect("page");
    app.store.finish_sync_run(network, &run.id, None).await.expect("finish");
}

async fn drain(app: &TestApp, until: impl Fn() -> bool, what: impl Fn() -> String) {
    let state = app.state.as_ref().expect("state");
    for _ in 0..400 {
        state.webhooks.producer().produce_all().await.expect("produce");
        state.webhooks.dispatcher().run_until_idle().await.expect("dispatch");
        if until() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("deliveries did not arrive in time: {}", what());
}

async fn a_receiver_that_fails_then_recovers_gets_each_event_once_and_only_in_scope(app: TestApp) {
    let network = app.network_id.clone();
    let north = shop(&app, "North").await;
    let south = shop(&app, "South").await;
    // The first 7 requests fail, whichever endpoint they are for.
    let (base, receiver) = start_receiver(7).await;
    let admin = app.admin_key.clone();
    let (all_id, all_secret) = create_endpoint(&app, &admin, json!({"url": format!("{base}/all")})).await;
    let north_key =
        app.mint_key(Role::FranchiseeAdmin, TenantScope::franchisee(network.clone(), north.franchisee.clone())).await;
    let (_, north_secret) =
        create_endpoint(&app, &north_key, json!({"url": format!("{base}/north"), "ordered": true})).await;
    let (_, south_secret) = create_endpoint(
        &app,
        &admin,
        json!({"url": format!("{base}/south-shop"), "location_id": south.location, "event_types": ["sale.created", "sale.refunded", "customer.updated"]}),
    )
    .await;
    let (_, analyst_secret) = create_endpoint(
        &app,
        &admin,
        json!({"url": format!("{base}/analyst"), "role": "network_analyst", "event_types": ["customer.updated"]}),
    )
    .await;

    let state = app.state.as_ref().expect("state");
    let emitter = state.webhooks.emitter();
    let mut emitted: HashMap<&str, Vec<String>> = HashMap::new();
    let emit = |event: PlatformEvent, places: &[&'static str]| {
        let event = event.clone();
        let places = places.to_vec();
        async move { (emitter.emit(event.clone()).await.expect("emit"), event, places) }
    };
    let mut plan = Vec::new();
    for n in 0..4 {
        plan.push(
            emit(
                PlatformEvent::new(
                    network.clone(),
                    "royalty.statement.issued",
                    format!("stmt-north-{n}"),
                    json!({"n": n}),
                )
                .for_franchisee(north.franchisee.clone()),
                &["all", "north"],
            )
            .await,
        );
    }
    plan.push(
        emit(
            PlatformEvent::new(
                network.clone(),
                "customer.updated",
                "cust-south-1",
                json!({
                    "model": "customer", "record": {"given_name": "Ada", "email": "ada@example.com", "phone": "555"}
                }),
            )
            .for_location(south.franchisee.clone(), south.location.clone()),
            &["all", "south-shop", "analyst"],
        )
        .await,
    );
    plan.push(emit(PlatformEvent::new(network.clone(), "sync.failed", "net-level-1", json!({})), &["all"]).await);
    // A repeat of a dedup key is not a new event.
    let (repeat, _, _) = emit(PlatformEvent::new(network.clone(), "sync.failed", "net-level-1", json!({})), &[]).await;
    assert!(!repeat.stored);
    // Two changes of one sale at the south shop: created, then refunded.
    let connection = ConnectionId::new();
    sync_sale(&app, &network, &south, &connection, "0.00").await;
    sync_sale(&app, &network, &south, &connection, "5.00").await;

    let mut expected: HashMap<&str, BTreeSet<String>> = HashMap::new();
    for (_, event, places) in &plan {
        for place in places {
            expected.entry(place).or_default().insert(event.dedup_key.clone());
        }
    }
    let _ = &mut emitted;
    // Change events are identified by their event ids once produced; count them by type.
    let total_expected: usize = expected.values().map(BTreeSet::len).sum::<usize>() + 4; // 2 sale events × (all, south-shop)
    let unique = |receiver: &Receiver| {
        let seen = receiver.seen.lock().expect("lock");
        seen.iter()
            .filter(|(_, _, _, headers)| headers.get("webhook-signature").is_some())
            .map(|(name, id, _, _)| (name.clone(), id.clone()))
            .collect::<BTreeSet<_>>()
    };
    let ok_count = |receiver: &Receiver| receiver.seen.lock().expect("lock").len();
    drain(
        &app,
        || unique(&receiver).len() >= total_expected && ok_count(&receiver) >= total_expected + 7,
        || {
            format!(
                "{} unique of {total_expected}, {} requests: {:?}",
                unique(&receiver).len(),
                ok_count(&receiver),
                unique(&receiver)
            )
        },
    )
    .await;
    // Let anything stray arrive before judging.
    tokio::time::sleep(Duration::from_millis(200)).await;
    state.webhooks.dispatcher().run_until_idle().await.expect("dispatch");

    let secrets: HashMap<&str, &str> = HashMap::from([
        ("all", all_secret.as_str()),
        ("north", north_secret.as_str()),
        ("south-shop", south_secret.as_str()),
        ("analyst", analyst_secret.as_str()),
    ]);
    let seen = receiver.seen.lock().expect("lock").clone();
    assert!(seen.len() >= total_expected + 7, "the 7 failures were retried");
    let mut by_endpoint: HashMap<String, HashMap<String, Value>> = HashMap::new();
    for (name, id, body, headers) in &seen {
        let reference = standardwebhooks::Webhook::new(secrets[name.as_str()]).expect("secret");
        reference.verify(body, headers).expect("the reference library verifies every delivery");
        let payload: Value = serde_json::from_slice(body).expect("json");
        assert_eq!(payload["id"], id.as_str(), "webhook-id is the event id");
        by_endpoint.entry(name.clone()).or_default().insert(id.clone(), payload);
    }
    let received_keys = |name: &str| -> BTreeSet<String> {
        by_endpoint
            .get(name)
            .map(|events| {
                events
                    .values()
                    .filter(|p| !p["type"].as_str().unwrap_or("").starts_with("sale."))
                    .map(|p| p["id"].to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    for (place, keys) in &expected {
        assert_eq!(received_keys(place).len(), keys.len(), "{place} gets each of its platform events exactly once");
    }
    for name in ["north", "analyst"] {
        let sales =
            by_endpoint[name].values().filter(|p| p["type"].as_str().unwrap_or("").starts_with("sale.")).count();
        assert_eq!(sales, 0, "{name} hears nothing of the south shop's sales");
    }
    for name in ["all", "south-shop"] {
        let mut types: Vec<String> = by_endpoint[name]
            .values()
            .filter_map(|p| p["type"].as_str().filter(|t| t.starts_with("sale.")).map(str::to_owned))
            .collect();
        types.sort();
        assert_eq!(types, ["sale.created", "sale.refunded"], "{name}");
    }
    assert!(by_endpoint["north"].values().all(|p| p["franchisee_id"] == json!(north.franchisee)), "only North's");
    assert!(
        by_endpoint
            .get("south-shop")
            .is_some_and(|events| events.values().all(|p| p["location_id"] == json!(south.location)))
    );
    let customer_for = |name: &str| {
        by_endpoint[name].values().find(|p| p["type"] == "customer.updated").expect("customer event")["data"]["record"]
            .clone()
    };
    assert_eq!(customer_for("all")["email"], "ada@example.com");
    assert!(
        customer_for("analyst")["email"].is_null() && customer_for("analyst")["given_name"].is_null(),
        "no PII for analysts"
    );

    // The attempts log shows the failures and the recovery, with the answers' text.
    let (status, log) =
        app.send(Method::GET, &format!("/v1/deliveries?endpoint_id={all_id}&limit=500"), &admin, None).await;
    assert_eq!(status, 200);
    let attempts = log["data"].as_array().expect("data");
    assert!(attempts.iter().any(|a| a["status_code"] == 503 && a["response"] == "down for maintenance"));
    assert!(attempts.iter().any(|a| a["status_code"] == 200 && a["outcome"] == "succeeded"));
    assert!(attempts.iter().all(|a| a["latency_ms"].is_u64()));
    let (status, _) = app.send(Method::GET, &format!("/v1/deliveries?endpoint_id={all_id}"), &north_key, None).await;
    assert_eq!(status, 404, "another scope's endpoint is not found");

    // Replaying one event sends it again, with the same webhook-id.
    let replayed_id = by_endpoint["north"].keys().next().expect("one").clone();
    let before = seen.len();
    let (status, answer) = app.send(Method::POST, &format!("/v1/events/{replayed_id}/replay"), &north_key, None).await;
    assert_eq!((status, answer["requeued"].as_u64()), (202, Some(1)), "only the caller's endpoint: {answer}");
    drain(&app, || receiver.seen.lock().expect("lock").len() > before, || "the replay".to_owned()).await;
    let again = receiver.seen.lock().expect("lock")[before].clone();
    assert_eq!((again.0.as_str(), again.1.as_str()), ("north", replayed_id.as_str()));
}

async fn bad_endpoints_are_refused_naming_the_field(app: TestApp) {
    let north = shop(&app, "North").await;
    let south = shop(&app, "South").await;
    let admin = app.admin_key.clone();
    let north_key = app
        .mint_key(Role::FranchiseeAdmin, TenantScope::franchisee(app.network_id.clone(), north.franchisee.clone()))
        .await;
    let audit = app.audit_length().await;
    let cases = [
        (&admin, json!({"url": "http://10.1.2.3/hook"}), "url"),
        (&admin, json!({"url": "http://169.254.169.254/latest/meta-data"}), "url"),
        (&admin, json!({"url": "ftp://example.com/x"}), "url"),
        (&admin, json!({"url": "not a url"}), "url"),
        (&admin, json!({"url": "http://127.0.0.1:9/x", "event_types": ["sale.exploded"]}), "event_types"),
        (&admin, json!({"url": "http://127.0.0.1:9/x", "rate_limit_per_second": 0}), "rate_limit_per_second"),
        (
            &admin,
            json!({"url": "http://127.0.0.1:9/x", "territory_id": "ter_01jdq5d7wz8k2m4n6p8r0t2v4x"}),
            "territory_id",
        ),
        (&north_key, json!({"url": "http://127.0.0.1:9/x", "franchisee_id": south.franchisee}), "franchisee_id"),
        (&north_key, json!({"url": "http://127.0.0.1:9/x", "role": "network_admin"}), "role"),
        (&admin, json!({"url": "http://127.0.0.1:9/x", "colour": "red"}), "colour"),
    ];
    for (key, body, field) in cases {
        let (status, problem) = app.send(Method::POST, "/v1/webhook-endpoints", key, Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
    }
    assert_eq!(app.audit_length().await, audit, "nothing changed");
    let (status, types) = app.send(Method::GET, "/v1/event-types", &north_key, None).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = types["data"].as_array().expect("data").iter().filter_map(|t| t["name"].as_str()).collect();
    for wanted in [
        "sale.created",
        "sale.refunded",
        "appointment.booked",
        "customer.updated",
        "connection.expired",
        "sync.failed",
        "royalty.statement.issued",
    ] {
        assert!(names.contains(&wanted), "{wanted}");
    }
    let (status, problem) = app
        .send(
            Method::POST,
            "/v1/webhook-endpoints/ep_01jdq5d7wz8k2m4n6p8r0t2v4x/recover",
            &admin,
            Some(json!({"since": "soon"})),
        )
        .await;
    assert_eq!((status, problem["errors"][0]["field"].as_str()), (400, Some("since")));
    // Secrets never show again.
    let (_, secret) = create_endpoint(&app, &admin, json!({"url": "http://127.0.0.1:9/x"})).await;
    let (status, list) = app.send(Method::GET, "/v1/webhook-endpoints", &admin, None).await;
    assert_eq!(status, 200);
    assert!(!list.to_string().contains(&secret[6..]));
}
