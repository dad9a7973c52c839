//! The webhook store's conformance suite (sources, inbound group commit and dedup, endpoints,
//! events with their fan-out, claims, results, replay and recovery): written once, run against
//! SQLite and PostgreSQL.

use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use hub_core::access::{Role, TenantScope};
use hub_core::id::{
    FranchiseeId, InboundEventId, LocationId, NetworkId, WebhookEndpointId, WebhookEventId, WebhookSourceId,
};
use hub_core::page::PageRequest;
use hub_core::tenancy::{Currency, Name, NewFranchisee, NewLocation, NewTerritory, TimeZone};
use hub_store::{
    AttemptFilter, AttemptRecord, ChangeContext, DeliveryResult, DeliveryState, EmitBatch, EndpointScope,
    InboundOutcome, InboundResult, NewInboundEvent, NewWebhookEndpoint, NewWebhookEvent, NewWebhookSource,
    SealedSecret, SecretPurpose, Store,
};

hub_store::tests_on_both_backends!(
    sources_are_found_by_token_and_scoped,
    inbound_batches_store_once_per_key_and_process_as_a_queue,
    events_fan_out_once_to_matching_endpoints_in_scope,
    deliveries_retry_succeed_die_and_are_replayed_and_recovered,
    ordered_endpoints_get_one_delivery_at_a_time_in_order,
    endpoints_failing_too_long_are_disabled,
    the_change_cursor_moves_only_from_where_it_was,
);

struct Tenancy {
    network: NetworkId,
    franchisee: FranchiseeId,
    location: LocationId,
    other_franchisee: FranchiseeId,
    other_location: LocationId,
    territory: hub_core::id::TerritoryId,
}

async fn tenancy(store: &dyn Store) -> Tenancy {
    let ctx = ChangeContext::cli();
    let usd = Currency::parse("USD").expect("USD");
    let network = store.create_network(&ctx, Name::parse("Net").expect("name"), usd).await.expect("net").id;
    let scope = TenantScope::network(network.clone());
    let region = store
        .create_territory(&scope, &ctx, NewTerritory { name: Name::parse("Region").expect("n"), parent_id: None })
        .await
        .expect("region");
    let child = store
        .create_territory(
            &scope,
            &ctx,
            NewTerritory { name: Name::parse("Child").expect("n"), parent_id: Some(region.id.clone()) },
        )
        .await
        .expect("child");
    let mut made = Vec::new();
    for (label, territory) in [("North", Some(child.id.clone())), ("South", None)] {
        let franchisee = store
            .create_franchisee(&scope, &ctx, NewFranchisee { name: Name::parse(label).expect("n"), currency: usd })
            .await
            .expect("franchisee");
        let location = store
            .create_location(
                &scope,
                &ctx,
                NewLocation {
                    franchisee_id: franchisee.id.clone(),
                    name: Name::parse(&format!("{label} Main")).expect("n"),
                    time_zone: TimeZone::parse("America/Chicago").expect("tz"),
                    territory_id: territory,
                },
            )
            .await
            .expect("location");
        made.push((franchisee.id, location.id));
    }
    let (other_franchisee, other_location) = made.pop().expect("south");
    let (franchisee, location) = made.pop().expect("north");
    Tenancy { network, franchisee, location, other_franchisee, other_location, territory: region.id }
}

fn secret(text: &str) -> SealedSecret {
    SealedSecret { purpose: SecretPurpose::Signing, sealed: text.into(), added_at: Utc::now(), expires_at: None }
}

fn inbound(network: &NetworkId, source: &WebhookSourceId, key: &str) -> NewInboundEvent {
    NewInboundEvent {
        id: InboundEventId::new(),
        network_id: network.clone(),
        source_id: source.clone(),
        provider: "stripe".into(),
        connection_id: None,
        dedup_key: key.into(),
        event_ids: vec![key.into()],
        headers: "{}".into(),
        body: format!("{{\"id\":\"{key}\"}}").into_bytes(),
        received_at: Utc::now(),
    }
}

fn endpoint(scope: EndpointScope, types: &[&str], ordered: bool) -> NewWebhookEndpoint {
    NewWebhookEndpoint {
        id: WebhookEndpointId::new(),
        url: "https://example.com/hook".into(),
        description: None,
        event_types: types.iter().map(|t| (*t).to_owned()).collect(),
        scope,
        role: Role::NetworkAdmin,
        rate_limit_per_second: None,
        ordered,
        secrets: vec![secret("sealed-signing")],
    }
}

fn event(kind: &str, key: &str, franchisee: Option<&FranchiseeId>, location: Option<&LocationId>) -> NewWebhookEvent {
    NewWebhookEvent {
        id: WebhookEventId::new(),
        event_type: kind.into(),
        dedup_key: key.into(),
        franchisee_id: franchisee.cloned(),
        location_id: location.cloned(),
        data: r#"{"n":1}"#.into(),
        occurred_at: Utc::now(),
    }
}

async fn emit(store: &dyn Store, network: &NetworkId, events: Vec<NewWebhookEvent>) -> hub_store::EmitOutcome {
    store
        .emit_webhook_events(EmitBatch { network_id: network.clone(), events, cursor: None, marks: vec![] })
        .await
        .expect("emit")
}

fn attempt(code: Option<u16>) -> AttemptRecord {
    AttemptRecord { status_code: code, latency_ms: 3, response: Some("ok".into()), error: None, at: Utc::now() }
}

async fn sources_are_found_by_token_and_scoped(store: Arc<dyn Store>) {
    let t = tenancy(&*store).await;
    let ctx = ChangeContext::cli();
    let scope = TenantScope::franchisee(t.network.clone(), t.franchisee.clone());
    let new = NewWebhookSource {
        id: WebhookSourceId::new(),
        provider: "stripe".into(),
        token_hash: "hash-1".into(),
        connection_id: None,
        franchisee_id: Some(t.franchisee.clone()),
        location_id: None,
        notification_url: None,
        secrets: vec![secret("sealed-1")],
    };
    let created = store.create_webhook_source(&scope, &ctx, new).await.expect("create");
    let found = store.find_webhook_source_by_token("hash-1").await.expect("find").expect("found");
    assert_eq!(found, created);
    assert!(store.find_webhook_source_by_token("hash-2").await.expect("find").is_none());
    let outsider = TenantScope::franchisee(t.network.clone(), t.other_franchisee.clone());
    assert!(store.get_webhook_source(&outsider, &created.id).await.is_err(), "another franchisee sees nothing");
    let rotated = store
        .set_webhook_source_secrets(&scope, &ctx, &created.id, vec![secret("sealed-1"), secret("sealed-2")])
        .await
        .expect("rotate");
    assert_eq!(rotated.secrets.len(), 2);
    let listed = store.list_webhook_sources(&TenantScope::network(t.network.clone()), &PageRequest::first()).await;
    assert_eq!(listed.expect("list").items.len(), 1);
    store.delete_webhook_source(&scope, &ctx, &created.id).await.expect("delete");
    assert!(store.find_webhook_source_by_token("hash-1").await.expect("find").is_none());
}

async fn inbound_batches_store_once_per_key_and_process_as_a_queue(store: Arc<dyn Store>) {
    let t = tenancy(&*store).await;
    let source = WebhookSourceId::new();
    let batch = vec![
        inbound(&t.network, &source, "evt_1"),
        inbound(&t.network, &source, "evt_2"),
        inbound(&t.network, &source, "evt_1"),
    ];
    let outcomes = store.insert_inbound_events(&batch).await.expect("insert");
    assert_eq!(outcomes, [InboundOutcome::Stored, InboundOutcome::Stored, InboundOutcome::Duplicate]);
    let again = store
        .insert_inbound_events(&[inbound(&t.network, &source, "evt_2"), inbound(&t.network, &source, "evt_3")])
        .await
        .expect("insert");
    assert_eq!(again, [InboundOutcome::Duplicate, InboundOutcome::Stored]);
    let keys = ["evt_1", "evt_3", "evt_9"].map(String::from);
    let mut present = store.inbound_keys_present(&source, &keys).await.expect("present");
    present.sort();
    assert_eq!(present, ["evt_1", "evt_3"]);

    let lease = Utc::now() + TimeDelta::seconds(30);
    let claimed = store.claim_inbound_events(10, lease).await.expect("claim");
    assert_eq!(claimed.len(), 3);
    assert!(claimed.iter().all(|event| event.body.is_some() && event.attempts == 1));
    assert!(
        store.claim_inbound_events(10, lease).await.expect("claim").is_empty(),
        "leased ones are not claimed twice"
    );
    let results: Vec<InboundResult> = claimed
        .iter()
        .enumerate()
        .map(|(index, event)| InboundResult {
            network_id: event.network_id.clone(),
            id: event.id.clone(),
            error: (index == 0).then(|| "provider down".to_owned()),
            give_up: false,
        })
        .collect();
    store.finish_inbound_events(&results, Utc::now()).await.expect("finish");
    let retried = store.claim_inbound_events(10, lease).await.expect("claim");
    assert_eq!(retried.len(), 1, "the failed one is received again");
    assert_eq!(retried[0].attempts, 2);
    store
        .finish_inbound_events(
            &[InboundResult { network_id: t.network.clone(), id: retried[0].id.clone(), error: None, give_up: false }],
            Utc::now(),
        )
        .await
        .expect("finish");
    let purged = store.purge_inbound_payloads(Utc::now() + TimeDelta::seconds(1)).await.expect("purge");
    assert_eq!(purged, 3);
    let scope = TenantScope::network(t.network.clone());
    // The listing needs the source to exist in scope.
    assert!(store.list_inbound_events(&scope, &source, &PageRequest::first()).await.is_err());
}

async fn events_fan_out_once_to_matching_endpoints_in_scope(store: Arc<dyn Store>) {
    let t = tenancy(&*store).await;
    let ctx = ChangeContext::cli();
    let network_scope = TenantScope::network(t.network.clone());
    let all = store.create_webhook_endpoint(&network_scope, &ctx, endpoint(EndpointScope::Network, &[], false)).await;
    let all = all.expect("network endpoint");
    let refunds = store
        .create_webhook_endpoint(&network_scope, &ctx, endpoint(EndpointScope::Network, &["sale.refunded"], false))
        .await
        .expect("typed endpoint");
    let north = store
        .create_webhook_endpoint(
            &network_scope,
            &ctx,
            endpoint(EndpointScope::Franchisee(t.franchisee.clone()), &[], false),
        )
        .await
        .expect("franchisee endpoint");
    let south_shop = store
        .create_webhook_endpoint(
            &network_scope,
            &ctx,
            endpoint(
                EndpointScope::Location {
                    franchisee_id: t.other_franchisee.clone(),
                    location_id: t.other_location.clone(),
                },
                &[],
                false,
            ),
        )
        .await
        .expect("location endpoint");
    let region = store
        .create_webhook_endpoint(
            &network_scope,
            &ctx,
            endpoint(EndpointScope::Territory(t.territory.clone()), &[], false),
        )
        .await
        .expect("territory endpoint");

    let north_sale = event("sale.created", "change:1", Some(&t.franchisee), Some(&t.location));
    let south_refund = event("sale.refunded", "change:2", Some(&t.other_franchisee), Some(&t.other_location));
    let outcome = emit(&*store, &t.network, vec![north_sale.clone(), south_refund.clone()]).await;
    assert_eq!(outcome.stored.len(), 2);
    // north sale: all, north, region. south refund: all, refunds, south_shop.
    assert_eq!(outcome.deliveries, 6);
    let repeat = emit(&*store, &t.network, vec![event("sale.created", "change:1", None, None)]).await;
    assert!(repeat.stored.is_empty() && repeat.deliveries == 0, "a dedup key is emitted once");

    let page = PageRequest::first();
    let count = |id: &WebhookEndpointId| {
        let store = Arc::clone(&store);
        let scope = network_scope.clone();
        let id = id.clone();
        async move { store.list_deliveries(&scope, &id, &PageRequest::first()).await.expect("list").items.len() }
    };
    assert_eq!(count(&all.id).await, 2);
    assert_eq!(count(&refunds.id).await, 1);
    assert_eq!(count(&north.id).await, 1);
    assert_eq!(count(&south_shop.id).await, 1);
    assert_eq!(count(&region.id).await, 1);

    // Scoped reads: the north franchisee sees its endpoint and event, not the south's.
    let north_scope = TenantScope::franchisee(t.network.clone(), t.franchisee.clone());
    let visible = store.list_webhook_endpoints(&north_scope, &page).await.expect("list").items;
    assert_eq!(visible.iter().map(|e| &e.id).collect::<Vec<_>>(), [&north.id]);
    assert!(store.get_webhook_event(&north_scope, &north_sale.id).await.is_ok());
    assert!(store.get_webhook_event(&north_scope, &south_refund.id).await.is_err());
    assert!(store.list_deliveries(&north_scope, &south_shop.id, &page).await.expect("list").items.is_empty());
}

async fn deliveries_retry_succeed_die_and_are_replayed_and_recovered(store: Arc<dyn Store>) {
    let t = tenancy(&*store).await;
    let ctx = ChangeContext::cli();
    let scope = TenantScope::network(t.network.clone());
    let ep =
        store.create_webhook_endpoint(&scope, &ctx, endpoint(EndpointScope::Network, &[], false)).await.expect("ep");
    let first = event("sale.created", "k1", None, None);
    let second = event("sale.created", "k2", None, None);
    emit(&*store, &t.network, vec![first.clone(), second.clone()]).await;
    let now = Utc::now();
    let lease = now + TimeDelta::seconds(30);
    let claimed = store.claim_deliveries(now, lease, 10).await.expect("claim");
    assert_eq!(claimed.len(), 2);
    assert!(claimed.iter().all(|d| d.attempt == 1 && d.event_data == r#"{"n":1}"#));
    assert!(store.claim_deliveries(now, lease, 10).await.expect("claim").is_empty(), "leased");
    let far = now + TimeDelta::hours(1);
    let results = vec![
        DeliveryResult {
            delivery: claimed[0].clone(),
            state: DeliveryState::Succeeded,
            attempt: Some(attempt(Some(200))),
        },
        DeliveryResult {
            delivery: claimed[1].clone(),
            state: DeliveryState::Retry(far),
            attempt: Some(attempt(Some(503))),
        },
    ];
    assert!(store.record_deliveries(&results, now - TimeDelta::days(5)).await.expect("record").is_empty());
    assert!(store.claim_deliveries(Utc::now(), lease, 10).await.expect("claim").is_empty(), "the retry is not due");
    assert!(store.next_delivery_due().await.expect("due").is_some_and(|due| due > now + TimeDelta::minutes(59)));
    let again = store.claim_deliveries(far, far + TimeDelta::seconds(30), 10).await.expect("claim");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempt, 2);
    // Postponed: released without counting the attempt.
    let postponed = DeliveryResult { delivery: again[0].clone(), state: DeliveryState::Postponed(far), attempt: None };
    store.record_deliveries(&[postponed], now - TimeDelta::days(5)).await.expect("record");
    let third = store.claim_deliveries(far, far + TimeDelta::seconds(30), 10).await.expect("claim");
    assert_eq!(third[0].attempt, 2, "a postponed attempt is not counted");
    let dead = DeliveryResult { delivery: third[0].clone(), state: DeliveryState::Dead, attempt: Some(attempt(None)) };
    store.record_deliveries(&[dead], now - TimeDelta::days(5)).await.expect("record");

    let log = store
        .list_delivery_attempts(
            &scope,
            &AttemptFilter { endpoint_id: Some(ep.id.clone()), event_id: None },
            &PageRequest::first(),
        )
        .await
        .expect("attempts")
        .items;
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].outcome, "dead");
    assert_eq!(log.iter().filter(|a| a.status_code == Some(200)).count(), 1);

    // Replay one event: its delivery is queued again from attempt 1.
    assert_eq!(store.replay_webhook_event(&scope, &ctx, &first.id).await.expect("replay"), 1);
    let replayed = store.claim_deliveries(Utc::now(), lease, 10).await.expect("claim");
    assert_eq!(replayed.len(), 1);
    assert_eq!((replayed[0].event_id.clone(), replayed[0].attempt), (first.id.clone(), 1));
    store
        .record_deliveries(
            &[DeliveryResult {
                delivery: replayed[0].clone(),
                state: DeliveryState::Succeeded,
                attempt: Some(attempt(Some(204))),
            }],
            now - TimeDelta::days(5),
        )
        .await
        .expect("record");
    // Recover: dead deliveries since a time are queued again.
    let recovered =
        store.recover_webhook_endpoint(&scope, &ctx, &ep.id, now - TimeDelta::minutes(1)).await.expect("recover");
    assert_eq!(recovered, 1);
    let back = store.claim_deliveries(Utc::now(), lease, 10).await.expect("claim");
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].event_id, second.id);
    let outsider = TenantScope::franchisee(t.network.clone(), t.franchisee.clone());
    assert!(store.replay_webhook_event(&outsider, &ctx, &first.id).await.is_err(), "not the franchisee's event");
}

async fn ordered_endpoints_get_one_delivery_at_a_time_in_order(store: Arc<dyn Store>) {
    let t = tenancy(&*store).await;
    let ctx = ChangeContext::cli();
    let scope = TenantScope::network(t.network.clone());
    store.create_webhook_endpoint(&scope, &ctx, endpoint(EndpointScope::Network, &[], true)).await.expect("ep");
    let events: Vec<NewWebhookEvent> = (0..3).map(|n| event("sale.created", &format!("o{n}"), None, None)).collect();
    emit(&*store, &t.network, events.clone()).await;
    let lease = Utc::now() + TimeDelta::seconds(30);
    let first = store.claim_deliveries(Utc::now(), lease, 10).await.expect("claim");
    assert_eq!(first.len(), 1, "only the head of an ordered endpoint");
    assert_eq!(first[0].event_id, events[0].id);
    assert!(store.claim_deliveries(Utc::now(), lease, 10).await.expect("claim").is_empty());
    let retry = DeliveryResult {
        delivery: first[0].clone(),
        state: DeliveryState::Retry(Utc::now()),
        attempt: Some(attempt(Some(500))),
    };
    store.record_deliveries(&[retry], Utc::now() - TimeDelta::days(5)).await.expect("record");
    let again = store.claim_deliveries(Utc::now() + TimeDelta::seconds(1), lease, 10).await.expect("claim");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].event_id, events[0].id, "a failing head holds back the rest");
    let done = DeliveryResult {
        delivery: again[0].clone(),
        state: DeliveryState::Succeeded,
        attempt: Some(attempt(Some(200))),
    };
    store.record_deliveries(&[done], Utc::now() - TimeDelta::days(5)).await.expect("record");
    let next = store.claim_deliveries(Utc::now() + TimeDelta::seconds(1), lease, 10).await.expect("claim");
    assert_eq!(next[0].event_id, events[1].id);
}

async fn endpoints_failing_too_long_are_disabled(store: Arc<dyn Store>) {
    let t = tenancy(&*store).await;
    let ctx = ChangeContext::cli();
    let scope = TenantScope::network(t.network.clone());
    let ep =
        store.create_webhook_endpoint(&scope, &ctx, endpoint(EndpointScope::Network, &[], false)).await.expect("ep");
    emit(&*store, &t.network, vec![event("sale.created", "a", None, None), event("sale.created", "b", None, None)])
        .await;
    let lease = Utc::now() + TimeDelta::seconds(30);
    let claimed = store.claim_deliveries(Utc::now(), lease, 1).await.expect("claim");
    let retry = |delivery| DeliveryResult {
        delivery,
        state: DeliveryState::Retry(Utc::now() + TimeDelta::hours(1)),
        attempt: Some(attempt(Some(500))),
    };
    // First failure: failing since now, nothing disabled with a 5-day threshold.
    let disabled = store.record_deliveries(&[retry(claimed[0].clone())], Utc::now() - TimeDelta::days(5)).await;
    assert!(disabled.expect("record").is_empty());
    let fetched = store.get_webhook_endpoint(&scope, &ep.id).await.expect("get");
    assert!(fetched.failing_since.is_some());
    // A threshold in the future stands for "five days later".
    let second = store.claim_deliveries(Utc::now(), lease, 1).await.expect("claim");
    let disabled = store.record_deliveries(&[retry(second[0].clone())], Utc::now() + TimeDelta::seconds(1)).await;
    let disabled = disabled.expect("record");
    assert_eq!(disabled.len(), 1);
    assert_eq!(disabled[0].endpoint_id, ep.id);
    let fetched = store.get_webhook_endpoint(&scope, &ep.id).await.expect("get");
    assert!(!fetched.is_enabled());
    assert!(store.claim_deliveries(Utc::now() + TimeDelta::hours(2), lease, 10).await.expect("claim").is_empty());
    let outcome = emit(&*store, &t.network, vec![event("sale.created", "c", None, None)]).await;
    assert_eq!(outcome.deliveries, 0, "a disabled endpoint gets no new deliveries");
}

async fn the_change_cursor_moves_only_from_where_it_was(store: Arc<dyn Store>) {
    let t = tenancy(&*store).await;
    assert_eq!(store.webhook_change_cursor(&t.network).await.expect("cursor"), 0);
    let batch = |from, to, key: &str| EmitBatch {
        network_id: t.network.clone(),
        events: vec![event("sale.created", key, None, None)],
        cursor: Some((from, to)),
        marks: vec![("rec_1".into(), "10.00".into())],
    };
    assert!(store.emit_webhook_events(batch(0, 5, "change:5")).await.expect("emit").written);
    assert_eq!(store.webhook_change_cursor(&t.network).await.expect("cursor"), 5);
    let stale = store.emit_webhook_events(batch(0, 7, "change:7")).await.expect("emit");
    assert!(!stale.written, "a producer that read an old cursor writes nothing");
    let marks = store.webhook_marks(&t.network, &["rec_1".into()]).await.expect("marks");
    assert_eq!(marks.get("rec_1").map(String::as_str), Some("10.00"));
    let events = store.list_webhook_events(&TenantScope::network(t.network.clone()), &PageRequest::first()).await;
    assert_eq!(events.expect("events").items.len(), 1);
    assert!(store.platform_scan_position().await.expect("scan").is_none());
    let at = Utc::now();
    store.save_platform_scan_position(at).await.expect("save");
    assert!(store.platform_scan_position().await.expect("scan").is_some());
    assert!(store.platform_occurrences_since(at - TimeDelta::days(1), 10).await.expect("scan").is_empty());
}
