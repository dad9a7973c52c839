//! The storage conformance suite: written once, run against SQLite and PostgreSQL.

use std::sync::Arc;

use hub_core::access::{NewApiKey, Role, TenantScope};
use hub_core::audit::ChainVerifier;
use hub_core::id::{FranchiseeId, TerritoryId};
use hub_core::page::PageRequest;
use hub_core::tenancy::{
    Currency, FranchiseeChanges, LocationChanges, Name, Network, NewFranchisee, NewLocation, NewTerritory,
    TerritoryChanges, TimeZone,
};
use hub_store::{ChangeContext, Store, StoreError};

hub_store::tests_on_both_backends!(
    tenancy_round_trips,
    reads_are_filtered_by_scope,
    unique_names_conflict,
    pagination_visits_every_item_once,
    references_must_exist_and_territories_cannot_loop,
    deletes_refuse_what_is_still_used,
    api_keys_are_found_by_hash_and_revoked,
    every_change_extends_a_verifiable_audit_chain,
    concurrent_changes_keep_one_linear_chain,
    partial_updates_change_only_what_is_given,
    migrations_can_run_twice,
);

fn cli() -> ChangeContext {
    ChangeContext::cli()
}

fn name(text: &str) -> Name {
    Name::parse(text).expect("valid name")
}

fn usd() -> Currency {
    Currency::parse("USD").expect("USD")
}

async fn network(store: &dyn Store) -> (Network, TenantScope) {
    let network = store.create_network(&cli(), name("Fade Factory"), usd()).await.expect("network");
    let scope = TenantScope::network(network.id.clone());
    (network, scope)
}

async fn franchisee(store: &dyn Store, scope: &TenantScope, label: &str) -> FranchiseeId {
    store
        .create_franchisee(scope, &cli(), NewFranchisee { name: name(label), currency: usd() })
        .await
        .expect("franchisee")
        .id
}

fn new_location(franchisee_id: &FranchiseeId, label: &str) -> NewLocation {
    NewLocation {
        franchisee_id: franchisee_id.clone(),
        name: name(label),
        time_zone: TimeZone::parse("America/Chicago").expect("zone"),
        territory_id: None,
    }
}

async fn tenancy_round_trips(store: Arc<dyn Store>) {
    let (network, scope) = network(&*store).await;
    assert_eq!(store.get_network(&network.id).await.expect("get network"), network);
    let territory = store
        .create_territory(&scope, &cli(), NewTerritory { name: name("Midwest"), parent_id: None })
        .await
        .expect("territory");
    let owner = franchisee(&*store, &scope, "North Shears LLC").await;
    let mut new = new_location(&owner, "Main St");
    new.territory_id = Some(territory.id.clone());
    let location = store.create_location(&scope, &cli(), new).await.expect("location");
    assert_eq!(store.get_location(&scope, &location.id).await.expect("get"), location);
    assert_eq!(store.get_territory(&scope, &territory.id).await.expect("get territory"), territory);
    let listed = store.list_locations(&scope, &PageRequest::first()).await.expect("list");
    assert_eq!(listed.items, vec![location.clone()]);
    assert_eq!(listed.next_cursor, None);
    assert_eq!(location.network_id, network.id);
    assert_eq!(location.time_zone.name(), "America/Chicago");
}

async fn reads_are_filtered_by_scope(store: Arc<dyn Store>) {
    let (network, scope) = network(&*store).await;
    let first = franchisee(&*store, &scope, "First").await;
    let second = franchisee(&*store, &scope, "Second").await;
    let a = store.create_location(&scope, &cli(), new_location(&first, "A")).await.expect("a");
    let b = store.create_location(&scope, &cli(), new_location(&second, "B")).await.expect("b");

    let first_scope = TenantScope::franchisee(network.id.clone(), first.clone());
    let listed = store.list_locations(&first_scope, &PageRequest::first()).await.expect("list");
    assert_eq!(listed.items.iter().map(|l| &l.id).collect::<Vec<_>>(), vec![&a.id]);
    assert!(matches!(store.get_location(&first_scope, &b.id).await, Err(StoreError::NotFound { .. })));
    assert!(matches!(store.get_franchisee(&first_scope, &second).await, Err(StoreError::NotFound { .. })));
    let franchisees = store.list_franchisees(&first_scope, &PageRequest::first()).await.expect("list");
    assert_eq!(franchisees.items.len(), 1);

    let shop_scope = TenantScope::location(network.id.clone(), first.clone(), a.id.clone());
    let other_shop = store.create_location(&scope, &cli(), new_location(&first, "A2")).await.expect("a2");
    assert!(matches!(store.get_location(&shop_scope, &other_shop.id).await, Err(StoreError::NotFound { .. })));
    assert_eq!(store.list_locations(&shop_scope, &PageRequest::first()).await.expect("list").items.len(), 1);

    // A franchisee cannot write into another franchisee, even by naming it.
    let refused = store.create_location(&first_scope, &cli(), new_location(&second, "Sneaky")).await;
    assert!(matches!(refused, Err(StoreError::Invalid(ref e)) if e.field.as_deref() == Some("franchisee_id")));
    let refused = store.update_location(&first_scope, &cli(), &b.id, LocationChanges::default()).await;
    assert!(matches!(refused, Err(StoreError::NotFound { .. })));

    // Another network sees nothing of this one.
    let (_, other_network) = network_named(&*store, "Other Brand").await;
    assert!(matches!(store.get_location(&other_network, &a.id).await, Err(StoreError::NotFound { .. })));
    assert!(store.list_locations(&other_network, &PageRequest::first()).await.expect("list").items.is_empty());
}

async fn network_named(store: &dyn Store, label: &str) -> (Network, TenantScope) {
    let network = store.create_network(&cli(), name(label), usd()).await.expect("network");
    let scope = TenantScope::network(network.id.clone());
    (network, scope)
}

async fn unique_names_conflict(store: Arc<dyn Store>) {
    let (_, scope) = network(&*store).await;
    franchisee(&*store, &scope, "Same Name").await;
    let again =
        store.create_franchisee(&scope, &cli(), NewFranchisee { name: name("Same Name"), currency: usd() }).await;
    assert!(matches!(again, Err(StoreError::Conflict { .. })), "{again:?}");
    // The same name in another network is fine.
    let (_, other) = network_named(&*store, "Other").await;
    franchisee(&*store, &other, "Same Name").await;
}

async fn pagination_visits_every_item_once(store: Arc<dyn Store>) {
    let (_, scope) = network(&*store).await;
    let owner = franchisee(&*store, &scope, "Owner").await;
    let mut created = Vec::new();
    for index in 0..7 {
        created.push(
            store
                .create_location(&scope, &cli(), new_location(&owner, &format!("Shop {index}")))
                .await
                .expect("location")
                .id,
        );
    }
    let mut seen = Vec::new();
    let mut page = PageRequest { limit: 3, after: None };
    let mut pages = 0;
    loop {
        let result = store.list_locations(&scope, &page).await.expect("page");
        pages += 1;
        seen.extend(result.items.into_iter().map(|l| l.id));
        match result.next_cursor {
            Some(cursor) => page.after = Some(hub_core::page::decode_cursor(&cursor).expect("own cursor")),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, created, "every location once, in creation order");
}

async fn references_must_exist_and_territories_cannot_loop(store: Arc<dyn Store>) {
    let (_, scope) = network(&*store).await;
    let missing = store.create_location(&scope, &cli(), new_location(&FranchiseeId::new(), "Ghost")).await;
    assert!(matches!(missing, Err(StoreError::Invalid(ref e)) if e.field.as_deref() == Some("franchisee_id")));

    let owner = franchisee(&*store, &scope, "Owner").await;
    let mut bad_territory = new_location(&owner, "Lost");
    bad_territory.territory_id = Some(TerritoryId::new());
    let refused = store.create_location(&scope, &cli(), bad_territory).await;
    assert!(matches!(refused, Err(StoreError::Invalid(ref e)) if e.field.as_deref() == Some("territory_id")));

    let orphan = store
        .create_territory(&scope, &cli(), NewTerritory { name: name("Orphan"), parent_id: Some(TerritoryId::new()) })
        .await;
    assert!(matches!(orphan, Err(StoreError::Invalid(ref e)) if e.field.as_deref() == Some("parent_id")));

    let region = store
        .create_territory(&scope, &cli(), NewTerritory { name: name("Region"), parent_id: None })
        .await
        .expect("region");
    let area = store
        .create_territory(&scope, &cli(), NewTerritory { name: name("Area"), parent_id: Some(region.id.clone()) })
        .await
        .expect("area");
    let cycle = store
        .update_territory(
            &scope,
            &cli(),
            &region.id,
            TerritoryChanges { name: None, parent_id: Some(Some(area.id.clone())) },
        )
        .await;
    assert!(matches!(cycle, Err(StoreError::Invalid(ref e)) if e.field.as_deref() == Some("parent_id")));
    let unchanged = store.get_territory(&scope, &region.id).await.expect("region");
    assert_eq!(unchanged.parent_id, None, "a refused change writes nothing");
}

async fn deletes_refuse_what_is_still_used(store: Arc<dyn Store>) {
    let (network, scope) = network(&*store).await;
    let owner = franchisee(&*store, &scope, "Owner").await;
    let region = store
        .create_territory(&scope, &cli(), NewTerritory { name: name("Region"), parent_id: None })
        .await
        .expect("region");
    let mut new = new_location(&owner, "Shop");
    new.territory_id = Some(region.id.clone());
    let shop = store.create_location(&scope, &cli(), new).await.expect("shop");

    assert!(matches!(store.delete_franchisee(&scope, &cli(), &owner).await, Err(StoreError::Conflict { .. })));
    assert!(matches!(store.delete_territory(&scope, &cli(), &region.id).await, Err(StoreError::Conflict { .. })));

    let shop_scope = TenantScope::location(network.id.clone(), owner.clone(), shop.id.clone());
    let key = store
        .create_api_key(&scope, &cli(), api_key(Role::LocationManager, shop_scope.clone(), "shop-key"))
        .await
        .expect("key");
    store.delete_location(&scope, &cli(), &shop.id).await.expect("delete shop");
    let found = store.find_api_key_by_hash("shop-key").await.expect("find").expect("still listed");
    assert!(found.revoked_at.is_some(), "a deleted shop's keys stop working");
    assert_eq!(found.id, key.id);

    store.delete_territory(&scope, &cli(), &region.id).await.expect("empty territory");
    store.delete_franchisee(&scope, &cli(), &owner).await.expect("empty franchisee");
    assert!(matches!(store.get_franchisee(&scope, &owner).await, Err(StoreError::NotFound { .. })));
}

fn api_key(role: Role, scope: TenantScope, hash: &str) -> NewApiKey {
    NewApiKey {
        role,
        scope,
        name: Some("test".into()),
        display_prefix: "hub_test".into(),
        secret_hash: hash.into(),
        hash_key_id: "k1".into(),
    }
}

async fn api_keys_are_found_by_hash_and_revoked(store: Arc<dyn Store>) {
    let (network, scope) = network(&*store).await;
    let first = franchisee(&*store, &scope, "First").await;
    let second = franchisee(&*store, &scope, "Second").await;
    let first_scope = TenantScope::franchisee(network.id.clone(), first.clone());
    let second_scope = TenantScope::franchisee(network.id.clone(), second.clone());

    let key = store
        .create_api_key(&scope, &cli(), api_key(Role::FranchiseeAdmin, first_scope.clone(), "h1"))
        .await
        .expect("key");
    assert_eq!(store.find_api_key_by_hash("h1").await.expect("find"), Some(key.clone()));
    assert_eq!(store.find_api_key_by_hash("nope").await.expect("find"), None);
    assert_eq!(key.principal().map(|p| p.scope), Some(first_scope.clone()));

    // A franchisee may not mint keys for another franchisee.
    let refused =
        store.create_api_key(&first_scope, &cli(), api_key(Role::FranchiseeAdmin, second_scope.clone(), "h2")).await;
    assert!(matches!(refused, Err(StoreError::OutOfScope { .. })), "{refused:?}");
    // Nor for a franchisee that does not exist.
    let ghost = TenantScope::franchisee(network.id.clone(), FranchiseeId::new());
    let refused = store.create_api_key(&scope, &cli(), api_key(Role::FranchiseeAdmin, ghost, "h3")).await;
    assert!(matches!(refused, Err(StoreError::Invalid(_))), "{refused:?}");

    store
        .create_api_key(&scope, &cli(), api_key(Role::Integration, second_scope.clone(), "h4"))
        .await
        .expect("second key");
    let listed = store.list_api_keys(&first_scope, &PageRequest::first()).await.expect("list");
    assert_eq!(listed.items.iter().map(|k| &k.id).collect::<Vec<_>>(), vec![&key.id]);
    assert!(matches!(store.revoke_api_key(&second_scope, &cli(), &key.id).await, Err(StoreError::NotFound { .. })));

    let revoked = store.revoke_api_key(&first_scope, &cli(), &key.id).await.expect("revoke");
    assert!(revoked.revoked_at.is_some());
    let found = store.find_api_key_by_hash("h1").await.expect("find").expect("kept for the record");
    assert_eq!(found.principal(), None, "a revoked key authenticates no one");
    let again = store.revoke_api_key(&first_scope, &cli(), &key.id).await.expect("revoke twice");
    assert_eq!(again.revoked_at, revoked.revoked_at);
}

async fn verify_chain(store: &dyn Store, network: &Network) -> i64 {
    let mut verifier = ChainVerifier::default();
    let mut after = 0;
    loop {
        let entries = store.audit_chain(&network.id, after, 2).await.expect("chain");
        if entries.is_empty() {
            break;
        }
        for entry in &entries {
            verifier.push(entry).expect("intact chain");
            after = entry.seq;
        }
    }
    verifier.finish(store.audit_head(&network.id).await.expect("head")).expect("head matches")
}

async fn every_change_extends_a_verifiable_audit_chain(store: Arc<dyn Store>) {
    let (network, scope) = network(&*store).await;
    let owner = franchisee(&*store, &scope, "Owner").await;
    let ctx = ChangeContext { actor: hub_core::access::Actor::System, request_id: Some("req-1".into()) };
    let shop = store.create_location(&scope, &ctx, new_location(&owner, "Shop")).await.expect("shop");
    store
        .update_location(&scope, &cli(), &shop.id, LocationChanges { name: Some(name("Shop 2")), ..Default::default() })
        .await
        .expect("update");
    assert_eq!(verify_chain(&*store, &network).await, 4, "network, franchisee, location, update");

    let page = store.list_audit(&scope, &PageRequest::first()).await.expect("audit");
    let actions: Vec<_> = page.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, vec!["location.update", "location.create", "franchisee.create", "network.create"]);
    let created = &page.items[1];
    assert_eq!(created.request_id.as_deref(), Some("req-1"));
    assert_eq!(created.actor_kind, "system");
    assert_eq!(created.location_id.as_ref(), Some(&shop.id));

    // A refused change writes no audit entry.
    let _ = store.create_franchisee(&scope, &cli(), NewFranchisee { name: name("Owner"), currency: usd() }).await;
    assert_eq!(verify_chain(&*store, &network).await, 4);

    // A franchisee sees only entries about itself.
    let other = franchisee(&*store, &scope, "Other").await;
    let owner_scope = TenantScope::franchisee(network.id.clone(), owner.clone());
    let mine = store.list_audit(&owner_scope, &PageRequest::first()).await.expect("audit");
    assert!(mine.items.iter().all(|e| e.franchisee_id.as_ref() == Some(&owner)));
    assert!(!mine.items.iter().any(|e| e.franchisee_id.as_ref() == Some(&other)));
}

async fn concurrent_changes_keep_one_linear_chain(store: Arc<dyn Store>) {
    let (network, scope) = network(&*store).await;
    let owner = franchisee(&*store, &scope, "Owner").await;
    let mut tasks = Vec::new();
    for index in 0..24 {
        let store = Arc::clone(&store);
        let scope = scope.clone();
        let location = new_location(&owner, &format!("Shop {index}"));
        tasks.push(tokio::spawn(async move { store.create_location(&scope, &cli(), location).await }));
    }
    for task in tasks {
        task.await.expect("join").expect("create");
    }
    assert_eq!(verify_chain(&*store, &network).await, 26);
}

async fn partial_updates_change_only_what_is_given(store: Arc<dyn Store>) {
    let (_, scope) = network(&*store).await;
    let owner = franchisee(&*store, &scope, "Owner").await;
    let region = store
        .create_territory(&scope, &cli(), NewTerritory { name: name("Region"), parent_id: None })
        .await
        .expect("region");
    let mut new = new_location(&owner, "Shop");
    new.territory_id = Some(region.id.clone());
    let shop = store.create_location(&scope, &cli(), new).await.expect("shop");

    let renamed = store
        .update_location(
            &scope,
            &cli(),
            &shop.id,
            LocationChanges { name: Some(name("Renamed")), ..Default::default() },
        )
        .await
        .expect("rename");
    assert_eq!(renamed.name.as_str(), "Renamed");
    assert_eq!(renamed.territory_id, Some(region.id.clone()));
    assert_eq!(renamed.time_zone, shop.time_zone);

    let moved = store
        .update_location(&scope, &cli(), &shop.id, LocationChanges { territory_id: Some(None), ..Default::default() })
        .await
        .expect("clear territory");
    assert_eq!(moved.territory_id, None);
    assert_eq!(store.get_location(&scope, &shop.id).await.expect("get"), moved);

    let currency = Currency::parse("CAD").expect("CAD");
    let changed = store
        .update_franchisee(&scope, &cli(), &owner, FranchiseeChanges { currency: Some(currency), name: None })
        .await
        .expect("currency");
    assert_eq!(changed.currency, currency);
    assert_eq!(changed.name.as_str(), "Owner");
}

async fn migrations_can_run_twice(store: Arc<dyn Store>) {
    store.migrate().await.expect("second migrate is a no-op");
    store.ping().await.expect("ping");
}
