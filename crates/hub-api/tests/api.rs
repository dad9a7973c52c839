//! The API's contract on both backends: bad input gets a clear problem and changes nothing,
//! pagination, operations endpoints, the OpenAPI document and what never leaves in a response.

mod common;

use common::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends!(
    bad_input_is_refused_with_a_problem_and_changes_nothing,
    creates_answer_201_with_the_object_and_lists_paginate,
    operations_endpoints_answer,
    api_key_secrets_are_shown_once_and_never_stored,
    jobs_are_listed_retried_and_cancelled_within_the_network,
);

/// Sends raw bytes, for bodies `reqwest::json` would never produce.
async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (u16, Value, String) {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(&app.admin_key).body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await.expect("send");
    let status = response.status().as_u16();
    let media = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body = serde_json::from_slice(&response.bytes().await.expect("body")).unwrap_or(Value::Null);
    (status, body, media)
}

async fn franchisee_id(app: &TestApp) -> String {
    let (status, body) = app
        .send(Method::POST, "/v1/franchisees", &app.admin_key, Some(json!({"name": "Owner", "currency": "USD"})))
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

async fn bad_input_is_refused_with_a_problem_and_changes_nothing(app: TestApp) {
    let owner = franchisee_id(&app).await;
    let before = app.audit_length().await;
    let json_type = Some("application/json");
    let location = |extra: Value| {
        let mut body = json!({"franchisee_id": owner, "name": "Main St", "time_zone": "America/Chicago"});
        for (key, value) in extra.as_object().expect("object") {
            body[key] = value.clone();
        }
        serde_json::to_vec(&body).expect("json")
    };
    // (what, body, content type, expected status, field the problem must name)
    type Case<'a> = (&'a str, Vec<u8>, Option<&'a str>, u16, Option<&'a str>);
    let cases: Vec<Case> = vec![
        ("malformed JSON", b"{\"name\": ".to_vec(), json_type, 400, None),
        ("not an object", b"[1, 2]".to_vec(), json_type, 400, None),
        ("wrong type", location(json!({"name": 42})), json_type, 400, Some("name")),
        ("unknown field", location(json!({"colour": "red"})), json_type, 400, Some("colour")),
        (
            "missing field",
            serde_json::to_vec(&json!({"name": "x", "time_zone": "UTC"})).expect("json"),
            json_type,
            400,
            Some("franchisee_id"),
        ),
        ("invalid time zone", location(json!({"time_zone": "Mars/Olympus"})), json_type, 400, Some("time_zone")),
        ("empty name", location(json!({"name": "   "})), json_type, 400, Some("name")),
        ("malformed id", location(json!({"franchisee_id": "fr_nope"})), json_type, 400, Some("franchisee_id")),
        (
            "unknown franchisee",
            location(json!({"franchisee_id": "fr_01jdq5d7wz8k2m4n6p8r0t2v4x"})),
            json_type,
            400,
            Some("franchisee_id"),
        ),
        (
            "unknown territory",
            location(json!({"territory_id": "ter_01jdq5d7wz8k2m4n6p8r0t2v4x"})),
            json_type,
            400,
            Some("territory_id"),
        ),
        ("not JSON", location(json!({})), Some("text/plain"), 415, None),
        ("no content type", location(json!({})), None, 415, None),
        ("oversized body", location(json!({"name": "x".repeat(2 * 1024 * 1024)})), json_type, 413, None),
    ];
    for (what, body, content_type, expected, field) in cases {
        let (status, problem, media) = raw(&app, Method::POST, "/v1/locations", content_type, body).await;
        assert_eq!(status, expected, "{what}: {problem}");
        assert_eq!(media, "application/problem+json", "{what}");
        assert_eq!(problem["status"], expected, "{what}");
        assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()), "{what}: {problem}");
        assert!(problem["request_id"].as_str().is_some(), "{what}");
        if let Some(field) = field {
            assert_eq!(problem["errors"][0]["field"], field, "{what}: {problem}");
        }
    }
    let currency = serde_json::to_vec(&json!({"name": "Other", "currency": "usd"})).expect("json");
    let (status, problem, _) = raw(&app, Method::POST, "/v1/franchisees", json_type, currency).await;
    assert_eq!((status, problem["errors"][0]["field"].as_str()), (400, Some("currency")), "{problem}");

    for (query, field) in
        [("cursor=garbage", "cursor"), ("limit=0", "limit"), ("limit=abc", "limit"), ("limit=501", "limit")]
    {
        let (status, problem) = app.send(Method::GET, &format!("/v1/locations?{query}"), &app.admin_key, None).await;
        assert_eq!(status, 400, "{query}: {problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{query}: {problem}");
    }
    let (status, problem) = app.send(Method::GET, "/v1/locations?colour=red", &app.admin_key, None).await;
    assert_eq!(status, 400, "unknown query parameter: {problem}");
    let (status, problem) = app.send(Method::GET, "/v1/locations/not-an-id", &app.admin_key, None).await;
    assert_eq!((status, problem["errors"][0]["field"].as_str()), (400, Some("id")), "{problem}");
    let (status, problem) =
        app.send(Method::GET, "/v1/locations/loc_01jdq5d7wz8k2m4n6p8r0t2v4x", &app.admin_key, None).await;
    assert_eq!((status, problem["code"].as_str()), (404, Some("not_found")));
    let (status, problem) = app.send(Method::GET, "/v1/nowhere", &app.admin_key, None).await;
    assert_eq!((status, problem["code"].as_str()), (404, Some("not_found")));
    let (status, problem) = app.send(Method::PUT, "/v1/locations", &app.admin_key, None).await;
    assert_eq!((status, problem["code"].as_str()), (405, Some("method_not_allowed")));
    let (status, problem) = app
        .send(Method::POST, "/v1/franchisees", &app.admin_key, Some(json!({"name": "Owner", "currency": "USD"})))
        .await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("conflict")), "duplicate name");

    assert_eq!(app.audit_length().await, before, "refused requests wrote nothing");
    let (_, locations) = app.send(Method::GET, "/v1/locations", &app.admin_key, None).await;
    assert_eq!(locations["data"], json!([]), "no location was created");
}

async fn creates_answer_201_with_the_object_and_lists_paginate(app: TestApp) {
    let owner = franchisee_id(&app).await;
    let (status, territory) =
        app.send(Method::POST, "/v1/territories", &app.admin_key, Some(json!({"name": "Midwest"}))).await;
    assert_eq!(status, 201);
    let (status, child) = app
        .send(
            Method::POST,
            "/v1/territories",
            &app.admin_key,
            Some(json!({"name": "Chicagoland", "parent_id": territory["id"]})),
        )
        .await;
    assert_eq!((status, &child["parent_id"]), (201, &territory["id"]));
    let mut created = Vec::new();
    for index in 0..5 {
        let body = json!({"franchisee_id": owner, "name": format!("Shop {index}"), "time_zone": "America/Chicago", "territory_id": child["id"]});
        let (status, location) = app.send(Method::POST, "/v1/locations", &app.admin_key, Some(body)).await;
        assert_eq!(status, 201, "{location}");
        assert!(location["id"].as_str().expect("id").starts_with("loc_"));
        assert_eq!(location["time_zone"], "America/Chicago");
        created.push(location["id"].as_str().expect("id").to_owned());
    }
    let (status, fetched) = app.send(Method::GET, &format!("/v1/locations/{}", created[0]), &app.admin_key, None).await;
    assert_eq!((status, fetched["name"].as_str()), (200, Some("Shop 0")));

    let mut seen = Vec::new();
    let mut path = "/v1/locations?limit=2".to_owned();
    loop {
        let (status, page) = app.send(Method::GET, &path, &app.admin_key, None).await;
        assert_eq!(status, 200);
        seen.extend(page["data"].as_array().expect("data").iter().map(|l| l["id"].as_str().expect("id").to_owned()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/locations?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, created);

    let (status, moved) = app
        .send(
            Method::PATCH,
            &format!("/v1/locations/{}", created[0]),
            &app.admin_key,
            Some(json!({"territory_id": null})),
        )
        .await;
    assert_eq!((status, &moved["territory_id"], moved["name"].as_str()), (200, &Value::Null, Some("Shop 0")));
    let (status, _) = app.send(Method::DELETE, &format!("/v1/locations/{}", created[0]), &app.admin_key, None).await;
    assert_eq!(status, 204);
    let (status, _) = app.send(Method::GET, &format!("/v1/locations/{}", created[0]), &app.admin_key, None).await;
    assert_eq!(status, 404);
    let (status, audit) = app.send(Method::GET, "/v1/audit?limit=3", &app.admin_key, None).await;
    assert_eq!(status, 200);
    assert_eq!(audit["data"][0]["action"], "location.delete");
    assert_eq!(audit["data"][1]["action"], "location.update");
    assert!(
        audit["data"][0]["request_id"].as_str().is_some_and(|id| !id.is_empty()),
        "audit entries carry the request id"
    );
}

async fn operations_endpoints_answer(app: TestApp) {
    let response = app.client.get(app.url("/healthz")).send().await.expect("healthz");
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(app.client.get(app.url("/readyz")).send().await.expect("readyz").status(), 200);

    let location = "/v1/locations/loc_01jdq5d7wz8k2m4n6p8r0t2v4x";
    app.send(Method::GET, location, &app.admin_key, None).await;
    let metrics = app.client.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    assert!(
        metrics.contains(r#"hub_http_requests_total{method="GET",route="/v1/locations/{id}",status="404"}"#),
        "counted by route template:\n{metrics}"
    );
    assert!(metrics.contains("hub_http_request_duration_seconds_bucket"), "latency histogram");
    assert!(!metrics.contains("loc_01jdq5d7wz8k2m4n6p8r0t2v4x"), "no raw ids in labels");

    let document: Value =
        app.client.get(app.url("/openapi.json")).send().await.expect("openapi").json().await.expect("json");
    let expected = [
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/metrics"),
        ("get", "/openapi.json"),
        ("get", "/v1/franchisees"),
        ("post", "/v1/franchisees"),
        ("get", "/v1/franchisees/{id}"),
        ("patch", "/v1/franchisees/{id}"),
        ("delete", "/v1/franchisees/{id}"),
        ("get", "/v1/territories"),
        ("post", "/v1/territories"),
        ("get", "/v1/territories/{id}"),
        ("patch", "/v1/territories/{id}"),
        ("delete", "/v1/territories/{id}"),
        ("get", "/v1/locations"),
        ("post", "/v1/locations"),
        ("get", "/v1/locations/{id}"),
        ("patch", "/v1/locations/{id}"),
        ("delete", "/v1/locations/{id}"),
        ("get", "/v1/api-keys"),
        ("post", "/v1/api-keys"),
        ("delete", "/v1/api-keys/{id}"),
        ("get", "/v1/audit"),
        ("get", "/v1/connections"),
        ("post", "/v1/connections"),
        ("get", "/v1/connections/{id}"),
        ("delete", "/v1/connections/{id}"),
        ("post", "/v1/connections/{id}/refresh"),
        ("post", "/v1/connections/{id}/check"),
        ("get", "/v1/connections/{id}/health"),
        ("post", "/v1/connections/{id}/authorize"),
        ("post", "/v1/connections/{id}/link"),
        ("get", "/v1/connections/{id}/events"),
        ("get", "/v1/providers"),
        ("get", "/v1/jobs"),
        ("post", "/v1/jobs/{id}/retry"),
        ("post", "/v1/jobs/{id}/cancel"),
        ("patch", "/v1/providers/{id}/settings"),
        ("get", "/oauth/callback"),
        ("get", "/connect/{token}"),
        ("get", "/connect/{token}/start"),
        ("get", "/v1/records/{model}"),
        ("get", "/v1/records/{model}/{id}"),
        ("get", "/v1/changes"),
        ("post", "/v1/connections/{id}/sync"),
        ("get", "/v1/sync-runs"),
        ("get", "/v1/sync-runs/{id}"),
        ("post", "/webhooks/{provider}/{token}"),
        ("get", "/webhooks/{provider}/{token}"),
        ("post", "/v1/webhook-sources"),
        ("get", "/v1/webhook-sources"),
        ("get", "/v1/webhook-sources/{id}"),
        ("delete", "/v1/webhook-sources/{id}"),
        ("post", "/v1/webhook-sources/{id}/rotate-secret"),
        ("get", "/v1/webhook-sources/{id}/events"),
        ("post", "/v1/webhook-endpoints"),
        ("get", "/v1/webhook-endpoints"),
        ("get", "/v1/webhook-endpoints/{id}"),
        ("delete", "/v1/webhook-endpoints/{id}"),
        ("post", "/v1/webhook-endpoints/{id}/rotate-secret"),
        ("post", "/v1/webhook-endpoints/{id}/recover"),
        ("get", "/v1/event-types"),
        ("get", "/v1/events"),
        ("get", "/v1/events/{id}"),
        ("post", "/v1/events/{id}/replay"),
        ("get", "/v1/deliveries"),
        ("get", "/v1/kpis"),
        ("get", "/v1/exports/sales"),
        ("get", "/v1/exports/kpis"),
        ("get", "/v1/exports/royalty-statements"),
        ("post", "/v1/agreements"),
        ("get", "/v1/agreements"),
        ("post", "/v1/exchange-rates"),
        ("get", "/v1/exchange-rates"),
        ("post", "/v1/royalty-statements"),
        ("get", "/v1/royalty-statements"),
        ("get", "/v1/royalty-statements/{id}"),
        ("post", "/v1/royalty-statements/{id}/issue"),
        ("get", "/v1/royalty-statements/{id}/lines/{line_id}/sales"),
    ];
    let paths = document["paths"].as_object().expect("paths");
    let documented: usize = paths.values().map(|item| item.as_object().expect("item").len()).sum();
    for (method, path) in expected {
        assert!(document["paths"][path][method]["responses"].is_object(), "{method} {path} is documented");
    }
    assert_eq!(documented, expected.len(), "every documented operation is one the test knows");
    assert!(document["components"]["schemas"]["Problem"].is_object());
}

async fn api_key_secrets_are_shown_once_and_never_stored(app: TestApp) {
    let (status, created) =
        app.send(Method::POST, "/v1/api-keys", &app.admin_key, Some(json!({"role": "integration"}))).await;
    assert_eq!(status, 201);
    let secret = created["key"].as_str().expect("key").to_owned();
    assert!(secret.starts_with("hub_") && secret.starts_with(created["display_prefix"].as_str().expect("prefix")));
    let (_, listed) = app.send(Method::GET, "/v1/api-keys", &app.admin_key, None).await;
    assert!(!listed.to_string().contains(&secret[4..]), "lists never carry secrets");
    let (_, audit) = app.send(Method::GET, "/v1/audit?limit=500", &app.admin_key, None).await;
    assert!(!audit.to_string().contains(&secret[4..]), "the audit log never carries secrets");
    if let Some(path) = &app.sqlite_path {
        let mut bytes = std::fs::read(path).expect("db");
        bytes.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
        let needle = &secret.as_bytes()[4..];
        assert!(!bytes.windows(needle.len()).any(|window| window == needle), "the key is not in the database file");
    }
}

async fn jobs_are_listed_retried_and_cancelled_within_the_network(app: TestApp) {
    use hub_store::{JobKind, NewJob};
    let kind = JobKind::parse("sync.connection").expect("kind");
    let mine = app
        .store
        .enqueue(NewJob::new(kind.clone(), json!({"n": 1})).in_network(app.network_id.clone()))
        .await
        .expect("enqueue")
        .into_job();
    let other_network = app
        .store
        .create_network(
            &hub_store::ChangeContext::cli(),
            hub_core::tenancy::Name::parse("Other").expect("name"),
            hub_core::tenancy::Currency::parse("USD").expect("USD"),
        )
        .await
        .expect("network");
    let theirs = app
        .store
        .enqueue(NewJob::new(kind.clone(), json!({"n": 2})).in_network(other_network.id))
        .await
        .expect("enqueue")
        .into_job();
    let system = app.store.enqueue(NewJob::new(kind, json!({"n": 3}))).await.expect("enqueue").into_job();

    let (status, listed) = app.send(Method::GET, "/v1/jobs", &app.admin_key, None).await;
    assert_eq!(status, 200, "{listed}");
    let ids: Vec<&str> =
        listed["data"].as_array().expect("data").iter().map(|j| j["id"].as_str().expect("id")).collect();
    assert_eq!(ids, vec![mine.id.as_str()], "only this network's jobs");
    assert!(!ids.contains(&theirs.id.as_str()) && !ids.contains(&system.id.as_str()));

    let (status, cancelled) =
        app.send(Method::POST, &format!("/v1/jobs/{}/cancel", mine.id), &app.admin_key, None).await;
    assert_eq!((status, cancelled["status"].as_str()), (200, Some("cancelled")), "{cancelled}");
    let (status, problem) = app.send(Method::POST, &format!("/v1/jobs/{}/retry", mine.id), &app.admin_key, None).await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("conflict")), "only failed or dead jobs are retried");
    let (status, _) = app.send(Method::POST, &format!("/v1/jobs/{}/cancel", theirs.id), &app.admin_key, None).await;
    assert_eq!(status, 404, "another network's job is not found");
    let (status, problem) = app.send(Method::GET, "/v1/jobs?status=bogus", &app.admin_key, None).await;
    assert_eq!((status, problem["errors"][0]["field"].as_str()), (400, Some("status")));
    let (status, filtered) = app.send(Method::GET, "/v1/jobs?status=succeeded", &app.admin_key, None).await;
    assert_eq!((status, filtered["data"].as_array().map(Vec::len)), (200, Some(0)));
    let analyst = app.mint_key(hub_core::access::Role::NetworkAnalyst, app.network_scope()).await;
    assert_eq!(app.send(Method::GET, "/v1/jobs", &analyst, None).await.0, 403);
}
