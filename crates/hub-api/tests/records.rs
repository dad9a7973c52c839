//! `/v1/records/{model}`, `/v1/changes` and `/v1/sync-runs` over HTTP on both backends: scope,
//! PII removal for analysts, filters, paging, the resumable change feed, and bad input.

mod common;

use chrono::{TimeDelta, Utc};
use common::TestApp;
use hub_core::access::{Role, TenantScope};
use hub_core::connection::ConnectionStatus;
use hub_core::id::{ConnectionId, FranchiseeId, LocationId};
use hub_core::records::{Customer, Model, RecordData, SourceRecord, SyncMode};
use hub_core::tenancy::{Currency, Name, NewFranchisee, NewLocation, TimeZone};
use hub_store::{ChangeContext, NewConnection, NewSyncRun, RecordUpsert, SyncCheckpoint, SyncPage};
use reqwest::Method;
use serde_json::json;

on_both_backends!(
    records_are_listed_within_scope_with_filters_and_pages,
    analysts_see_no_customer_pii,
    the_change_feed_resumes_from_its_cursor,
    bad_record_queries_are_refused_naming_the_parameter,
    sync_requests_need_a_connector_and_a_valid_mode,
);

struct Shop {
    franchisee: FranchiseeId,
    location: LocationId,
    connection: ConnectionId,
}

async fn shop(app: &TestApp, label: &str) -> Shop {
    let ctx = ChangeContext::cli();
    let scope = app.network_scope();
    let usd = Currency::parse("USD").expect("USD");
    let franchisee = app
        .store
        .create_franchisee(&scope, &ctx, NewFranchisee { name: Name::parse(label).expect("name"), currency: usd })
        .await
        .expect("franchisee");
    let location = app
        .store
        .create_location(
            &scope,
            &ctx,
            NewLocation {
                franchisee_id: franchisee.id.clone(),
                name: Name::parse(&format!("{label} Main St")).expect("name"),
                time_zone: TimeZone::parse("America/Chicago").expect("zone"),
                territory_id: None,
            },
        )
        .await
        .expect("location");
    let connection_scope = TenantScope::location(app.network_id.clone(), franchisee.id.clone(), location.id.clone());
    let new = NewConnection {
        provider: "square".into(),
        environment: "emulator".into(),
        scope: connection_scope,
        scopes: vec![],
        status: ConnectionStatus::Active,
        sealed_credentials: None,
    };
    let connection = app.store.create_connection(&scope, &ctx, &ConnectionId::new(), new).await.expect("connection");
    Shop { franchisee: franchisee.id, location: location.id, connection: connection.id }
}

/// Stores `count` customers for `shop` as one sync run would.
async fn store_customers(app: &TestApp, shop: &Shop, count: usize) {
    let new = NewSyncRun {
        network_id: app.network_id.clone(),
        connection_id: shop.connection.clone(),
        franchisee_id: Some(shop.franchisee.clone()),
        location_id: Some(shop.location.clone()),
        mode: SyncMode::Full,
        trigger: "test".into(),
    };
    let (run, _) = app.store.create_sync_run(new).await.expect("run");
    app.store.start_sync_run(&app.network_id, &run.id).await.expect("start");
    let upserts = (0..count)
        .map(|n| {
            let record = SourceRecord {
                external_id: format!("{}-C{n}", shop.location),
                remote_updated_at: Some(Utc::now()),
                provider_location_id: Some("L1".into()),
                data: RecordData::Customer(Customer {
                    given_name: Some(format!("Given{n}")),
                    family_name: Some("Family".into()),
                    email: Some(format!("c{n}@example.com")),
                    phone: Some("+15555550100".into()),
                    first_seen_at: Some(Utc::now()),
                }),
            };
            let data = record.data.to_json();
            RecordUpsert {
                content_hash: record.content_hash(&data),
                external_id: record.external_id,
                franchisee_id: Some(shop.franchisee.clone()),
                location_id: Some(shop.location.clone()),
                provider_location_id: record.provider_location_id,
                occurred_at: record.data.occurred_at(),
                remote_updated_at: record.remote_updated_at,
                data,
            }
        })
        .collect::<Vec<_>>();
    let page = SyncPage {
        network_id: app.network_id.clone(),
        run_id: run.id.clone(),
        connection_id: shop.connection.clone(),
        provider: "square".into(),
        model: Model::Customer,
        mark_seen: true,
        fetched: upserts.len() as u64,
        pages: 1,
        upserts,
        deletes: vec![],
        checkpoint: SyncCheckpoint::default(),
    };
    app.store.apply_sync_page(page).await.expect("page");
    app.store.finish_sync_run(&app.network_id, &run.id, None).await.expect("finish");
}

async fn records_are_listed_within_scope_with_filters_and_pages(app: TestApp) {
    let north = shop(&app, "North").await;
    let south = shop(&app, "South").await;
    store_customers(&app, &north, 5).await;
    store_customers(&app, &south, 3).await;

    let (status, all) = app.send(Method::GET, "/v1/records/customers?limit=4", &app.admin_key, None).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["data"].as_array().map(Vec::len), Some(4));
    let cursor = all["next_cursor"].as_str().expect("more pages");
    let (_, rest) =
        app.send(Method::GET, &format!("/v1/records/customers?limit=4&cursor={cursor}"), &app.admin_key, None).await;
    assert_eq!(rest["data"].as_array().map(Vec::len), Some(4));
    assert!(rest["next_cursor"].is_null());
    let first = &all["data"][0];
    for field in ["id", "location_id", "provider", "external_id", "given_name", "email", "version", "updated_at"] {
        assert!(!first[field].is_null(), "{field} in {first}");
    }

    let path = format!("/v1/records/customers?location_id={}", south.location);
    let (_, at_south) = app.send(Method::GET, &path, &app.admin_key, None).await;
    assert_eq!(at_south["data"].as_array().map(Vec::len), Some(3));

    let north_key = app
        .mint_key(Role::FranchiseeAdmin, TenantScope::franchisee(app.network_id.clone(), north.franchisee.clone()))
        .await;
    let (_, own) = app.send(Method::GET, "/v1/records/customers", &north_key, None).await;
    let own = own["data"].as_array().expect("data").clone();
    assert_eq!(own.len(), 5);
    assert!(own.iter().all(|record| record["location_id"] == json!(north.location.to_string())));
    let (_, south_list) = app.send(Method::GET, &path, &app.admin_key, None).await;
    let south_id = south_list["data"][0]["id"].as_str().expect("id");
    let (status, _) = app.send(Method::GET, &format!("/v1/records/customers/{south_id}"), &north_key, None).await;
    assert_eq!(status, 404, "another franchisee's record does not exist for this key");
    let (status, _) = app.send(Method::GET, &format!("/v1/records/customers/{south_id}"), &app.admin_key, None).await;
    assert_eq!(status, 200);
    let (status, _) = app.send(Method::GET, &format!("/v1/records/sales/{south_id}"), &app.admin_key, None).await;
    assert_eq!(status, 404, "the id is a customer, not a sale");

    let later = (Utc::now() + TimeDelta::minutes(5)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (status, none) =
        app.send(Method::GET, &format!("/v1/records/customers?updated_since={later}"), &app.admin_key, None).await;
    assert_eq!((status, none["data"].as_array().map(Vec::len)), (200, Some(0)));
}

async fn analysts_see_no_customer_pii(app: TestApp) {
    let north = shop(&app, "North").await;
    store_customers(&app, &north, 2).await;
    let analyst = app.mint_key(Role::NetworkAnalyst, app.network_scope()).await;
    let (status, listed) = app.send(Method::GET, "/v1/records/customers", &analyst, None).await;
    assert_eq!(status, 200);
    for record in listed["data"].as_array().expect("data") {
        for field in ["given_name", "family_name", "email", "phone"] {
            assert!(record[field].is_null(), "{field} must be hidden from analysts: {record}");
        }
        assert!(!record["first_seen_at"].is_null(), "aggregate-friendly fields stay");
    }
    let (_, admin_view) = app.send(Method::GET, "/v1/records/customers", &app.admin_key, None).await;
    assert!(admin_view["data"][0]["email"].as_str().is_some_and(|email| email.contains('@')));
}

async fn the_change_feed_resumes_from_its_cursor(app: TestApp) {
    let north = shop(&app, "North").await;
    store_customers(&app, &north, 5).await;
    let (status, first) = app.send(Method::GET, "/v1/changes?limit=3", &app.admin_key, None).await;
    assert_eq!(status, 200, "{first}");
    let seqs: Vec<i64> = first["data"].as_array().expect("data").iter().filter_map(|c| c["seq"].as_i64()).collect();
    assert_eq!(seqs.len(), 3);
    assert_eq!(first["data"][0]["kind"], "created");
    let cursor = first["next_cursor"].as_str().expect("cursor").to_owned();
    let (_, second) = app.send(Method::GET, &format!("/v1/changes?after={cursor}&limit=3"), &app.admin_key, None).await;
    let more: Vec<i64> = second["data"].as_array().expect("data").iter().filter_map(|c| c["seq"].as_i64()).collect();
    assert_eq!(more.len(), 2);
    assert!(more[0] > seqs[2], "no change twice");
    let end = second["next_cursor"].as_str().expect("cursor").to_owned();
    let (_, idle) = app.send(Method::GET, &format!("/v1/changes?after={end}"), &app.admin_key, None).await;
    assert_eq!(idle["data"].as_array().map(Vec::len), Some(0));
    assert_eq!(idle["next_cursor"].as_str(), Some(end.as_str()), "an empty page keeps the position");

    store_customers(&app, &shop(&app, "South").await, 1).await;
    let (_, fresh) = app.send(Method::GET, &format!("/v1/changes?after={end}"), &app.admin_key, None).await;
    assert_eq!(fresh["data"].as_array().map(Vec::len), Some(1), "the feed continues where it stopped");
}

async fn bad_record_queries_are_refused_naming_the_parameter(app: TestApp) {
    let cases = [
        ("/v1/records/sale", "model"),
        ("/v1/records/kpis", "model"),
        ("/v1/records/sales?location_id=fr_01jdq5d7wz8k2m4n6p8r0t2v4x", "location_id"),
        ("/v1/records/sales?updated_since=yesterday", "updated_since"),
        ("/v1/records/sales?limit=0", "limit"),
        ("/v1/records/sales?cursor=garbage", "cursor"),
        ("/v1/records/sales?colour=red", "colour"),
        ("/v1/records/sales?include_deleted=maybe", "include_deleted"),
        ("/v1/changes?after=garbage", "after"),
        ("/v1/changes?limit=5000", "limit"),
        ("/v1/sync-runs?connection_id=nope", "connection_id"),
    ];
    for (path, field) in cases {
        let (status, problem) = app.send(Method::GET, path, &app.admin_key, None).await;
        assert_eq!(status, 400, "{path}: {problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{path}: {problem}");
    }
    let (status, _) = app.send(Method::GET, "/v1/records/sales", "", None).await;
    assert_eq!(status, 401);
}

async fn sync_requests_need_a_connector_and_a_valid_mode(app: TestApp) {
    let north = shop(&app, "North").await;
    let path = format!("/v1/connections/{}/sync", north.connection);
    let (status, problem) = app.send(Method::POST, &path, &app.admin_key, Some(json!({"mode": "sideways"}))).await;
    assert_eq!((status, problem["errors"][0]["field"].as_str()), (400, Some("mode")));
    let (status, problem) = app.send(Method::POST, &path, &app.admin_key, Some(json!({"mode": "full", "x": 1}))).await;
    assert_eq!((status, problem["errors"][0]["field"].as_str()), (400, Some("x")));
    let audit_before = app.audit_length().await;
    let (status, accepted) = app.send(Method::POST, &path, &app.admin_key, Some(json!({"mode": "full"}))).await;
    assert_eq!(status, 202, "{accepted}");
    let run_id = accepted["sync_run_id"].as_str().expect("sync_run_id").to_owned();
    assert_eq!((accepted["status"].as_str(), accepted["mode"].as_str()), (Some("queued"), Some("full")));
    let (status, again) = app.send(Method::POST, &path, &app.admin_key, None).await;
    assert_eq!((status, again["sync_run_id"].as_str()), (202, Some(run_id.as_str())), "joins the queued run");
    assert_eq!(app.audit_length().await, audit_before, "queuing a sync changes no tenant data");

    let (status, runs) = app.send(Method::GET, "/v1/sync-runs", &app.admin_key, None).await;
    assert_eq!((status, runs["data"][0]["id"].as_str()), (200, Some(run_id.as_str())));
    let (status, run) = app.send(Method::GET, &format!("/v1/sync-runs/{run_id}"), &app.admin_key, None).await;
    assert_eq!((status, run["status"].as_str(), run["fetched"].as_u64()), (200, Some("queued"), Some(0)));
    let location_key = app
        .mint_key(
            Role::LocationManager,
            TenantScope::location(app.network_id.clone(), north.franchisee.clone(), north.location.clone()),
        )
        .await;
    let (status, _) = app.send(Method::GET, &format!("/v1/sync-runs/{run_id}"), &location_key, None).await;
    assert_eq!(status, 200, "the shop's manager sees its runs");
    let other = shop(&app, "South").await;
    let (status, _) =
        app.send(Method::POST, &format!("/v1/connections/{}/sync", other.connection), &location_key, None).await;
    assert_eq!(status, 404, "another shop's connection does not exist for this key");
    let analyst = app.mint_key(Role::NetworkAnalyst, app.network_scope()).await;
    let (status, _) = app.send(Method::POST, &path, &analyst, None).await;
    assert_eq!(status, 403);

    let stripe = NewConnection {
        provider: "stripe".into(),
        environment: "emulator".into(),
        scope: app.network_scope(),
        scopes: vec![],
        status: ConnectionStatus::Active,
        sealed_credentials: None,
    };
    let stripe = app
        .store
        .create_connection(&app.network_scope(), &ChangeContext::cli(), &ConnectionId::new(), stripe)
        .await
        .expect("stripe");
    let (status, problem) =
        app.send(Method::POST, &format!("/v1/connections/{}/sync", stripe.id), &app.admin_key, None).await;
    assert_eq!(status, 409, "no connector reads Stripe yet: {problem}");
    assert!(problem["detail"].as_str().is_some_and(|detail| detail.contains("stripe")), "{problem}");
}
