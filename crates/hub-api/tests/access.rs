//! Every route, walked with a key of every role and scope: nobody reads or writes across
//! franchisees, roles that may not change a thing cannot, and refused calls write nothing.

mod common;

use common::TestApp;
use hub_core::access::{Role, TenantScope};
use hub_core::id::{FranchiseeId, LocationId};
use hub_core::tenancy::{Name, NewFranchisee, NewLocation, NewTerritory, TimeZone};
use hub_store::ChangeContext;
use reqwest::Method;
use serde_json::json;

on_both_backends!(every_route_respects_role_and_scope, revoked_and_missing_keys_get_401);

/// The fixture: franchisee A with shops A1 and A2, franchisee B with shop B1, one territory.
struct Network {
    a: FranchiseeId,
    b: FranchiseeId,
    a1: LocationId,
    a2: LocationId,
    b1: LocationId,
    territory: String,
}

fn name(text: &str) -> Name {
    Name::parse(text).expect("name")
}

async fn location(app: &TestApp, owner: &FranchiseeId, label: &str) -> LocationId {
    let new = NewLocation {
        franchisee_id: owner.clone(),
        name: name(label),
        time_zone: TimeZone::parse("America/New_York").expect("zone"),
        territory_id: None,
    };
    app.store.create_location(&app.network_scope(), &ChangeContext::cli(), new).await.expect("location").id
}

async fn franchisee(app: &TestApp, label: &str) -> FranchiseeId {
    let new = NewFranchisee { name: name(label), currency: hub_core::tenancy::Currency::parse("USD").expect("USD") };
    app.store.create_franchisee(&app.network_scope(), &ChangeContext::cli(), new).await.expect("franchisee").id
}

async fn fixture(app: &TestApp) -> Network {
    let a = franchisee(app, "Alpha Cuts LLC").await;
    let b = franchisee(app, "Bravo Barbers Inc").await;
    let a1 = location(app, &a, "A1").await;
    let a2 = location(app, &a, "A2").await;
    let b1 = location(app, &b, "B1").await;
    let territory = app
        .store
        .create_territory(
            &app.network_scope(),
            &ChangeContext::cli(),
            NewTerritory { name: name("East"), parent_id: None },
        )
        .await
        .expect("territory")
        .id
        .to_string();
    Network { a, b, a1, a2, b1, territory }
}

/// One call and the status each principal must get: network admin, network analyst, franchisee
/// admin of A, location manager of A1, integration key of A1.
struct Case {
    method: Method,
    path: String,
    body: Option<serde_json::Value>,
    expected: [u16; 5],
}

fn case(method: Method, path: impl Into<String>, body: Option<serde_json::Value>, expected: [u16; 5]) -> Case {
    Case { method, path: path.into(), body, expected }
}

async fn every_route_respects_role_and_scope(app: TestApp) {
    let net = fixture(&app).await;
    let network = app.network_id.clone();
    let keys = [
        app.admin_key.clone(),
        app.mint_key(Role::NetworkAnalyst, TenantScope::network(network.clone())).await,
        app.mint_key(Role::FranchiseeAdmin, TenantScope::franchisee(network.clone(), net.a.clone())).await,
        app.mint_key(Role::LocationManager, TenantScope::location(network.clone(), net.a.clone(), net.a1.clone()))
            .await,
        app.mint_key(Role::Integration, TenantScope::location(network.clone(), net.a.clone(), net.a1.clone())).await,
    ];
    let roles = ["network_admin", "network_analyst", "franchisee_admin(A)", "location_manager(A1)", "integration(A1)"];
    let (a, b, a1, a2, b1, t) = (&net.a, &net.b, &net.a1, &net.a2, &net.b1, &net.territory);

    for (index, key) in keys.iter().enumerate() {
        // Resources that a successful delete consumes are made fresh for each principal.
        let empty_franchisee = franchisee(&app, &format!("Empty {index}")).await;
        let empty_territory = app
            .store
            .create_territory(
                &app.network_scope(),
                &ChangeContext::cli(),
                NewTerritory { name: name(&format!("Spare {index}")), parent_id: None },
            )
            .await
            .expect("territory")
            .id;
        let doomed_a = location(&app, a, &format!("Doomed A {index}")).await;
        let doomed_b = location(&app, b, &format!("Doomed B {index}")).await;
        let key_in_a = key_id(&app, TenantScope::franchisee(network.clone(), a.clone())).await;
        let key_in_b = key_id(&app, TenantScope::franchisee(network.clone(), b.clone())).await;
        let new_location = |owner: &FranchiseeId, label: &str| {
            Some(json!({ "franchisee_id": owner, "name": format!("{label} {index}"), "time_zone": "America/Denver" }))
        };

        let cases = [
            case(Method::GET, "/v1/franchisees", None, [200, 200, 200, 200, 200]),
            case(Method::GET, format!("/v1/franchisees/{a}"), None, [200, 200, 200, 200, 200]),
            case(Method::GET, format!("/v1/franchisees/{b}"), None, [200, 200, 404, 404, 404]),
            case(
                Method::POST,
                "/v1/franchisees",
                Some(json!({"name": format!("New {index}"), "currency": "USD"})),
                [201, 403, 403, 403, 403],
            ),
            case(
                Method::PATCH,
                format!("/v1/franchisees/{a}"),
                Some(json!({"currency": "USD"})),
                [200, 403, 200, 403, 403],
            ),
            case(
                Method::PATCH,
                format!("/v1/franchisees/{b}"),
                Some(json!({"currency": "USD"})),
                [200, 403, 404, 403, 403],
            ),
            case(Method::DELETE, format!("/v1/franchisees/{empty_franchisee}"), None, [204, 403, 403, 403, 403]),
            case(Method::GET, "/v1/territories", None, [200, 200, 200, 200, 200]),
            case(Method::GET, format!("/v1/territories/{t}"), None, [200, 200, 200, 200, 200]),
            case(
                Method::POST,
                "/v1/territories",
                Some(json!({"name": format!("West {index}")})),
                [201, 403, 403, 403, 403],
            ),
            case(
                Method::PATCH,
                format!("/v1/territories/{t}"),
                Some(json!({"name": "East"})),
                [200, 403, 403, 403, 403],
            ),
            case(Method::DELETE, format!("/v1/territories/{empty_territory}"), None, [204, 403, 403, 403, 403]),
            case(Method::GET, "/v1/locations", None, [200, 200, 200, 200, 200]),
            case(Method::GET, format!("/v1/locations/{a1}"), None, [200, 200, 200, 200, 200]),
            case(Method::GET, format!("/v1/locations/{a2}"), None, [200, 200, 200, 404, 404]),
            case(Method::GET, format!("/v1/locations/{b1}"), None, [200, 200, 404, 404, 404]),
            case(Method::POST, "/v1/locations", new_location(a, "Shop A"), [201, 403, 201, 403, 403]),
            case(Method::POST, "/v1/locations", new_location(b, "Shop B"), [201, 403, 400, 403, 403]),
            case(Method::PATCH, format!("/v1/locations/{a1}"), Some(json!({"name": "A1"})), [200, 403, 200, 200, 403]),
            case(Method::PATCH, format!("/v1/locations/{a2}"), Some(json!({"name": "A2"})), [200, 403, 200, 404, 403]),
            case(Method::PATCH, format!("/v1/locations/{b1}"), Some(json!({"name": "B1"})), [200, 403, 404, 404, 403]),
            case(Method::DELETE, format!("/v1/locations/{doomed_b}"), None, [204, 403, 404, 403, 403]),
            case(Method::DELETE, format!("/v1/locations/{doomed_a}"), None, [204, 403, 204, 403, 403]),
            case(Method::GET, "/v1/api-keys", None, [200, 403, 200, 403, 403]),
            case(
                Method::POST,
                "/v1/api-keys",
                Some(json!({"role": "integration", "franchisee_id": a})),
                [201, 403, 201, 403, 403],
            ),
            case(
                Method::POST,
                "/v1/api-keys",
                Some(json!({"role": "integration", "franchisee_id": b})),
                // Another franchisee's id is "no such franchisee" to a franchisee admin.
                [201, 403, 400, 403, 403],
            ),
            case(Method::POST, "/v1/api-keys", Some(json!({"role": "network_admin"})), [201, 403, 403, 403, 403]),
            case(Method::DELETE, format!("/v1/api-keys/{key_in_b}"), None, [204, 403, 404, 403, 403]),
            case(Method::DELETE, format!("/v1/api-keys/{key_in_a}"), None, [204, 403, 204, 403, 403]),
            case(Method::GET, "/v1/audit", None, [200, 403, 200, 403, 403]),
        ];
        for case in cases {
            let before = app.audit_length().await;
            let (status, body) = app.send(case.method.clone(), &case.path, key, case.body.clone()).await;
            let expected = case.expected[index];
            assert_eq!(
                status,
                expected,
                "{} {} {} as {}: {body}",
                case.method,
                case.path,
                case.body.as_ref().map_or(String::new(), |b| b.to_string()),
                roles[index]
            );
            let after = app.audit_length().await;
            if status >= 400 {
                assert_eq!(before, after, "a refused call wrote an audit entry: {} {}", case.method, case.path);
                assert_eq!(body["status"], status, "problem body for {} {}", case.method, case.path);
            } else if case.method != Method::GET {
                assert_eq!(after, before + 1, "a change without an audit entry: {} {}", case.method, case.path);
            }
        }
    }

    // Lists hold only what is in scope.
    let ids = |body: serde_json::Value| -> Vec<String> {
        body["data"].as_array().expect("data").iter().map(|item| item["id"].as_str().expect("id").to_owned()).collect()
    };
    let (_, all) = app.send(Method::GET, "/v1/locations?limit=500", &keys[0], None).await;
    let (_, franchisee_view) = app.send(Method::GET, "/v1/locations?limit=500", &keys[2], None).await;
    let (_, shop_view) = app.send(Method::GET, "/v1/locations?limit=500", &keys[3], None).await;
    let franchisee_ids = ids(franchisee_view);
    assert!(franchisee_ids.contains(&a1.to_string()) && franchisee_ids.contains(&a2.to_string()));
    assert!(!franchisee_ids.contains(&b1.to_string()));
    assert!(ids(all).contains(&b1.to_string()));
    assert_eq!(ids(shop_view), vec![a1.to_string()]);
    let (_, franchisees) = app.send(Method::GET, "/v1/franchisees", &keys[2], None).await;
    assert_eq!(ids(franchisees), vec![a.to_string()]);
    let (_, audit) = app.send(Method::GET, "/v1/audit?limit=500", &keys[2], None).await;
    let audit = audit["data"].as_array().expect("data").clone();
    assert!(!audit.is_empty());
    assert!(
        audit.iter().all(|entry| entry["franchisee_id"] == a.to_string()),
        "franchisee sees only its own audit entries"
    );
    let (_, keys_view) = app.send(Method::GET, "/v1/api-keys?limit=500", &keys[2], None).await;
    assert!(keys_view["data"].as_array().expect("data").iter().all(|key| key["franchisee_id"] == a.to_string()));
    assert!(
        keys_view["data"].as_array().expect("data").iter().all(|key| key.get("key").is_none()),
        "listed keys carry no secret"
    );
}

async fn key_id(app: &TestApp, scope: TenantScope) -> String {
    let secret = app.mint_key(Role::Integration, scope).await;
    let hash = app.hasher.candidate_hashes(&secrecy::SecretString::from(secret)).remove(0);
    app.store.find_api_key_by_hash(&hash).await.expect("find").expect("key").id.to_string()
}

async fn revoked_and_missing_keys_get_401(app: TestApp) {
    let (status, created) = app
        .send(
            Method::POST,
            "/v1/api-keys",
            &app.admin_key,
            Some(json!({"role": "network_analyst", "name": "report bot"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().expect("key shown once").to_owned();
    assert_eq!(created["role"], "network_analyst");
    assert_eq!(app.send(Method::GET, "/v1/locations", &key, None).await.0, 200);

    let (status, _) = app
        .send(Method::DELETE, &format!("/v1/api-keys/{}", created["id"].as_str().expect("id")), &app.admin_key, None)
        .await;
    assert_eq!(status, 204);
    let (status, problem) = app.send(Method::GET, "/v1/locations", &key, None).await;
    assert_eq!(status, 401, "revoked keys stop working at once");
    assert_eq!(problem["code"], "unauthenticated");
    assert!(problem["detail"].as_str().expect("detail").contains("revoked"));

    for bad in ["", "hub_notakey", "hub_0000000000000000000000000000000000000000"] {
        let (status, problem) = app.send(Method::GET, "/v1/locations", bad, None).await;
        assert_eq!(status, 401, "key {bad:?}");
        assert_eq!(problem["code"], "unauthenticated");
    }
    let response = app
        .client
        .get(app.url("/v1/locations"))
        .header("authorization", "Basic Zm9vOmJhcg==")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(response.headers()["content-type"], "application/problem+json");
}
