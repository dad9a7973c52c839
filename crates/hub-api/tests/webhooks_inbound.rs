//! Inbound webhooks over real HTTP, on both backends: one provider of each scheme family signs a
//! delivery the way the provider does; the hub stores it before the 2xx, answers a repeat with a
//! 2xx and stores nothing new, refuses a forged one with 401 and changes nothing, answers the
//! handshakes, keeps old and new secrets valid during a rotation, and turns a stored delivery into
//! a targeted sync of its connection.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::TestApp;
use hmac::{Hmac, Mac};
use hub_core::page::PageRequest;
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends!(
    stripe_deliveries_are_stored_once_and_forgeries_change_nothing,
    url_signing_schemes_verify_against_the_registered_url,
    token_schemes_and_handshakes_are_answered,
    sendgrid_and_standard_webhooks_partner_feeds_verify,
    rotation_keeps_both_secrets_valid_during_the_overlap,
    bad_registrations_are_refused_naming_the_field,
    stored_deliveries_become_a_targeted_sync_of_their_connection,
);

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("key");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs()
}

async fn register(app: &TestApp, body: Value) -> (String, String) {
    let (status, created) = app.send(Method::POST, "/v1/webhook-sources", &app.admin_key, Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let url = created["hub_url"].as_str().expect("hub url").to_owned();
    assert!(created.get("secret").is_none(), "secrets are never returned");
    (id, url)
}

async fn post(app: &TestApp, url: &str, headers: &[(&str, String)], body: &[u8]) -> (u16, String) {
    let mut request = app.client.post(url).body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.expect("send");
    (response.status().as_u16(), response.text().await.expect("text"))
}

async fn stored(app: &TestApp, source: &str) -> Vec<Value> {
    let (status, page) =
        app.send(Method::GET, &format!("/v1/webhook-sources/{source}/events?limit=500"), &app.admin_key, None).await;
    assert_eq!(status, 200, "{page}");
    page["data"].as_array().expect("data").clone()
}

fn stripe_headers(secret: &str, body: &[u8], at: u64) -> Vec<(&'static str, String)> {
    let t = at.to_string();
    let v1 = hex::encode(hmac_sha256(secret.as_bytes(), &[t.as_bytes(), b".", body]));
    vec![("Stripe-Signature", format!("t={t},v1={v1}")), ("Content-Type", "application/json".into())]
}

async fn stripe_deliveries_are_stored_once_and_forgeries_change_nothing(app: TestApp) {
    let secret = "whsec_stripe_test_secret";
    let (source, url) = register(&app, json!({"provider": "stripe", "secret": secret})).await;
    let body = br#"{"id":"evt_1","type":"charge.succeeded","data":{"object":{}}}"#;
    let (status, answer) = post(&app, &url, &stripe_headers(secret, body, now()), body).await;
    assert_eq!((status, answer.as_str()), (200, r#"{"status":"stored"}"#));
    let events = stored(&app, &source).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["dedup_key"], "evt_1");
    assert_eq!(events[0]["event_ids"], json!(["evt_1"]));

    // Stripe retries with a fresh signature: a 2xx, nothing new.
    let (status, answer) = post(&app, &url, &stripe_headers(secret, body, now()), body).await;
    assert_eq!((status, answer.as_str()), (200, r#"{"status":"duplicate"}"#));
    assert_eq!(stored(&app, &source).await.len(), 1);

    let audit_before = app.audit_length().await;
    let tampered = br#"{"id":"evt_2","type":"charge.succeeded","data":{"object":{"amount":1}}}"#;
    let forged = [
        (stripe_headers(secret, body, now()), &tampered[..]),
        (stripe_headers("whsec_wrong", tampered, now()), &tampered[..]),
        (stripe_headers(secret, tampered, now() - 3_600), &tampered[..]),
        (vec![("Content-Type", "application/json".to_owned())], &tampered[..]),
    ];
    for (headers, body) in &forged {
        let (status, problem) = post(&app, &url, headers, body).await;
        assert_eq!(status, 401, "{problem}");
        let problem: Value = serde_json::from_str(&problem).expect("problem");
        assert_eq!(problem["code"], "unauthenticated");
        assert!(!problem.to_string().contains(secret));
    }
    assert_eq!(stored(&app, &source).await.len(), 1, "refusals store nothing");
    // Refusals are audited at most once a minute per source.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.audit_length().await, audit_before + 1);

    let (status, _) =
        post(&app, &url.replace("/stripe/", "/square/"), &stripe_headers(secret, body, now()), body).await;
    assert_eq!(status, 404, "a token belongs to one provider");
    let (status, _) = post(&app, &format!("{}/webhooks/stripe/whk_nope", app.base_url), &[], body).await;
    assert_eq!(status, 404);
}

async fn url_signing_schemes_verify_against_the_registered_url(app: TestApp) {
    let key = "square-signature-key";
    let notification_url = "https://hooks.example.com/square/inbound";
    let (status, created) = app
        .send(
            Method::POST,
            "/v1/webhook-sources",
            &app.admin_key,
            Some(json!({"provider": "square", "secret": key, "notification_url": notification_url})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(created["url"], notification_url, "the URL to register at Square is the proxy's");
    let hub_url = created["hub_url"].as_str().expect("hub url");
    let source = created["id"].as_str().expect("id");
    let body = br#"{"merchant_id":"M1","type":"payment.updated","event_id":"6a8f5f28"}"#;
    let signature = STANDARD.encode(hmac_sha256(key.as_bytes(), &[notification_url.as_bytes(), body]));
    let (status, _) = post(&app, hub_url, &[("x-square-hmacsha256-signature", signature.clone())], body).await;
    assert_eq!(status, 200);
    // Signed over the hub's URL instead of the registered one: refused.
    let wrong = STANDARD.encode(hmac_sha256(key.as_bytes(), &[hub_url.as_bytes(), body]));
    let (status, _) = post(&app, hub_url, &[("x-square-hmacsha256-signature", wrong)], body).await;
    assert_eq!(status, 401);
    let events = stored(&app, source).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["dedup_key"], "6a8f5f28");
}

async fn token_schemes_and_handshakes_are_answered(app: TestApp) {
    // Meta: the GET handshake echoes the challenge; POSTs carry X-Hub-Signature-256.
    let (meta, meta_url) =
        register(&app, json!({"provider": "meta", "secret": "meta-app-secret", "verify_token": "meta-verify"})).await;
    let challenge = format!("{meta_url}?hub.mode=subscribe&hub.verify_token=meta-verify&hub.challenge=1158201444");
    let response = app.client.get(&challenge).send().await.expect("get");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.text().await.expect("text"), "1158201444");
    let wrong = challenge.replace("meta-verify", "guess");
    assert_eq!(app.client.get(&wrong).send().await.expect("get").status().as_u16(), 401);
    let unsubscribe = challenge.replace("hub.mode=subscribe", "hub.mode=unsubscribe");
    assert_eq!(app.client.get(&unsubscribe).send().await.expect("get").status().as_u16(), 403);
    let body = br#"{"object":"page","entry":[{"id":"1","time":1}]}"#;
    let signature = format!("sha256={}", hex::encode(hmac_sha256(b"meta-app-secret", &[body])));
    let (status, _) = post(&app, &meta_url, &[("X-Hub-Signature-256", signature)], body).await;
    assert_eq!(status, 200);
    assert_eq!(stored(&app, &meta).await.len(), 1, "the handshake stored nothing, the event did");

    // Google Calendar: the channel's `sync` message is acknowledged and not stored.
    let (google, google_url) = register(&app, json!({"provider": "google-calendar", "secret": "channel-token"})).await;
    let headers = |state: &str, number: &str, token: &str| {
        vec![
            ("X-Goog-Channel-ID", "chan-1".to_owned()),
            ("X-Goog-Channel-Token", token.to_owned()),
            ("X-Goog-Resource-ID", "res-1".to_owned()),
            ("X-Goog-Resource-State", state.to_owned()),
            ("X-Goog-Message-Number", number.to_owned()),
        ]
    };
    let (status, text) = post(&app, &google_url, &headers("sync", "1", "channel-token"), b"").await;
    assert_eq!((status, text.as_str()), (200, ""));
    let (status, _) = post(&app, &google_url, &headers("exists", "2", "channel-token"), b"").await;
    assert_eq!(status, 200);
    let (status, _) = post(&app, &google_url, &headers("exists", "3", "wrong-token"), b"").await;
    assert_eq!(status, 401);
    let events = stored(&app, &google).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["dedup_key"], "chan-1:2");

    // Clover REST: a static auth code; no event id, so a repeat of the same bytes is a duplicate.
    let (clover, clover_url) = register(&app, json!({"provider": "clover", "secret": "clover-auth-code"})).await;
    let body = br#"{"appId":"A","merchants":{"M":[{"objectId":"O:1","type":"UPDATE","ts":1}]}}"#;
    let (_, first) = post(&app, &clover_url, &[("X-Clover-Auth", "clover-auth-code".into())], body).await;
    let (_, second) = post(&app, &clover_url, &[("X-Clover-Auth", "clover-auth-code".into())], body).await;
    assert_eq!((first.as_str(), second.as_str()), (r#"{"status":"stored"}"#, r#"{"status":"duplicate"}"#));
    let (status, _) = post(&app, &clover_url, &[("X-Clover-Auth", "nope".into())], body).await;
    assert_eq!(status, 401);
    assert_eq!(stored(&app, &clover).await.len(), 1);
}

async fn sendgrid_and_standard_webhooks_partner_feeds_verify(app: TestApp) {
    use p256::ecdsa::signature::Signer;
    use p256::pkcs8::EncodePublicKey;
    let key = p256::ecdsa::SigningKey::from_bytes(&[7u8; 32].into()).expect("key");
    let public = STANDARD.encode(key.verifying_key().to_public_key_der().expect("der").as_bytes());
    let (sendgrid, sendgrid_url) = register(&app, json!({"provider": "sendgrid", "secret": public})).await;
    let body =
        br#"[{"email":"a@example.com","event":"delivered","sg_event_id":"sg1"},{"event":"open","sg_event_id":"sg2"}]"#;
    let t = now().to_string();
    let signature: p256::ecdsa::Signature = key.sign(&[t.as_bytes(), body].concat());
    let headers = vec![
        ("X-Twilio-Email-Event-Webhook-Signature", STANDARD.encode(signature.to_der().as_bytes())),
        ("X-Twilio-Email-Event-Webhook-Timestamp", t.clone()),
    ];
    assert_eq!(post(&app, &sendgrid_url, &headers, body).await.0, 200);
    assert_eq!(post(&app, &sendgrid_url, &headers, b"[]").await.0, 401, "tampered body");
    let events = stored(&app, &sendgrid).await;
    assert_eq!(events[0]["event_ids"], json!(["sg1", "sg2"]), "every event of a batch is recorded");

    let whsec = hub_webhooks::SigningSecret::generate();
    let (partner, partner_url) =
        register(&app, json!({"provider": "standard-webhooks", "secret": whsec.to_whsec()})).await;
    let body = br#"{"type":"lead.created","data":{"name":"Sam"}}"#;
    let mut map = http::HeaderMap::new();
    hub_webhooks::sign(&[whsec], "msg_lead_1", SystemTime::now(), body).expect("sign").apply(&mut map);
    let headers: Vec<(&str, String)> = ["webhook-id", "webhook-timestamp", "webhook-signature"]
        .into_iter()
        .map(|name| (name, map[name].to_str().expect("ascii").to_owned()))
        .collect();
    assert_eq!(post(&app, &partner_url, &headers, body).await.0, 200);
    assert_eq!(post(&app, &partner_url, &headers[..2], body).await.0, 401, "missing signature header");
    assert_eq!(stored(&app, &partner).await[0]["dedup_key"], "msg_lead_1");
}

async fn rotation_keeps_both_secrets_valid_during_the_overlap(app: TestApp) {
    let (source, url) = register(&app, json!({"provider": "stripe", "secret": "whsec_old"})).await;
    let path = format!("/v1/webhook-sources/{source}/rotate-secret");
    let (status, rotated) = app
        .send(Method::POST, &path, &app.admin_key, Some(json!({"secret": "whsec_new", "overlap_seconds": 3600})))
        .await;
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(rotated["live_secrets"], 2);
    let old = br#"{"id":"evt_old"}"#;
    let new = br#"{"id":"evt_new"}"#;
    assert_eq!(post(&app, &url, &stripe_headers("whsec_old", old, now()), old).await.0, 200);
    assert_eq!(post(&app, &url, &stripe_headers("whsec_new", new, now()), new).await.0, 200);
    // With no overlap the old one stops at once.
    let (status, _) = app
        .send(Method::POST, &path, &app.admin_key, Some(json!({"secret": "whsec_newest", "overlap_seconds": 0})))
        .await;
    assert_eq!(status, 200);
    let late = br#"{"id":"evt_late"}"#;
    assert_eq!(post(&app, &url, &stripe_headers("whsec_new", late, now()), late).await.0, 401);
    assert_eq!(post(&app, &url, &stripe_headers("whsec_newest", late, now()), late).await.0, 200);
}

async fn bad_registrations_are_refused_naming_the_field(app: TestApp) {
    let audit = app.audit_length().await;
    let cases = [
        (json!({"provider": "adp", "secret": "x"}), "provider"),
        (json!({"provider": "stripe", "secret": "  "}), "secret"),
        (json!({"provider": "standard-webhooks", "secret": "not-whsec"}), "secret"),
        (json!({"provider": "stripe", "secret": "s", "verify_token": "t"}), "verify_token"),
        (json!({"provider": "square", "secret": "s", "notification_url": "ftp://x"}), "notification_url"),
        (
            json!({"provider": "stripe", "secret": "s", "connection_id": "conn_01jdq5d7wz8k2m4n6p8r0t2v4x"}),
            "connection_id",
        ),
        (json!({"provider": "stripe", "secret": "s", "colour": "red"}), "colour"),
    ];
    for (body, field) in cases {
        let (status, problem) = app.send(Method::POST, "/v1/webhook-sources", &app.admin_key, Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    assert_eq!(app.audit_length().await, audit, "nothing changed");
    let analyst = app.mint_key(hub_core::access::Role::NetworkAnalyst, app.network_scope()).await;
    let (status, _) = app
        .send(Method::POST, "/v1/webhook-sources", &analyst, Some(json!({"provider": "stripe", "secret": "s"})))
        .await;
    assert_eq!(status, 403);
    let _ = PageRequest::first();
}

async fn stored_deliveries_become_a_targeted_sync_of_their_connection(app: TestApp) {
    use hub_store::NewConnection;
    let scope = app.network_scope();
    let id = hub_core::id::ConnectionId::new();
    let connection = app
        .store
        .create_connection(
            &scope,
            &hub_store::ChangeContext::cli(),
            &id,
            NewConnection {
                provider: "square".into(),
                environment: "sandbox".into(),
                scope: scope.clone(),
                scopes: vec![],
                status: hub_core::connection::ConnectionStatus::Active,
                sealed_credentials: None,
            },
        )
        .await;
    let Ok(connection) = connection else {
        panic!("a connection can be created: {connection:?}");
    };
    let (source, url) = register(
        &app,
        json!({"provider": "square", "secret": "sq-key", "connection_id": connection.id, "notification_url": "https://h.example/sq"}),
    )
    .await;
    for n in 0..3 {
        let body = format!(r#"{{"type":"payment.updated","event_id":"e{n}"}}"#);
        let signature = STANDARD.encode(hmac_sha256(b"sq-key", &[b"https://h.example/sq", body.as_bytes()]));
        assert_eq!(post(&app, &url, &[("x-square-hmacsha256-signature", signature)], body.as_bytes()).await.0, 200);
    }
    let state = app.state.as_ref().expect("state");
    let applier = std::sync::Arc::new(hub_api::webhook_sync::SyncApplier::new(state.store.clone(), state.sync.clone()));
    let processed = state.webhooks.processor(applier).run_until_idle().await.expect("process");
    assert_eq!(processed, 3);
    let events = stored(&app, &source).await;
    assert!(events.iter().all(|event| event["status"] == "processed"), "{events:?}");
    let runs = app.store.list_sync_runs(&scope, Some(&connection.id), &PageRequest::first()).await.expect("runs");
    let webhook_runs: Vec<_> = runs.items.iter().filter(|run| run.trigger == "webhook").collect();
    assert_eq!(webhook_runs.len(), 1, "three deliveries make one targeted sync");
    assert_eq!(webhook_runs[0].mode, hub_core::records::SyncMode::Incremental);
}
