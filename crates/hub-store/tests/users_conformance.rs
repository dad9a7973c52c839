//! The users and sessions store's conformance suite: written once, run against SQLite and
//! PostgreSQL.

use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use hub_core::access::{Role, Subject, TenantScope};
use hub_core::id::{FranchiseeId, NetworkId, UserId};
use hub_core::page::PageRequest;
use hub_core::tenancy::{Currency, Name, NewFranchisee};
use hub_store::{ChangeContext, LoginAttempt, NewSession, NewUser, Store, StoreError};

hub_store::tests_on_both_backends!(
    users_are_created_scoped_and_found_by_email,
    a_franchisee_cannot_create_or_see_users_elsewhere,
    totp_steps_are_accepted_once_and_in_order,
    sessions_are_found_by_token_hash_touched_and_purged,
    failed_sign_ins_are_counted_and_audited,
    disabling_a_user_ends_its_sessions,
);

async fn network(store: &dyn Store) -> NetworkId {
    let usd = Currency::parse("USD").expect("USD");
    store.create_network(&ChangeContext::cli(), Name::parse("Net").expect("name"), usd).await.expect("network").id
}

async fn franchisee(store: &dyn Store, network: &NetworkId, name: &str) -> FranchiseeId {
    let usd = Currency::parse("USD").expect("USD");
    let new = NewFranchisee { name: Name::parse(name).expect("name"), currency: usd };
    store.create_franchisee(&TenantScope::network(network.clone()), &ChangeContext::cli(), new).await.expect("fr").id
}

fn new_user(email: &str, role: Role, scope: TenantScope) -> NewUser {
    NewUser {
        email: email.to_owned(),
        role,
        scope,
        password_hash: format!("$argon2id$v=19$fake-for-{email}"),
        sealed_totp_secret: None,
    }
}

async fn users_are_created_scoped_and_found_by_email(store: Arc<dyn Store>) {
    let net = network(&*store).await;
    let whole = TenantScope::network(net.clone());
    let fr = franchisee(&*store, &net, "North").await;
    let owner_scope = TenantScope::franchisee(net.clone(), fr.clone());
    let admin = store
        .create_user(&whole, &ChangeContext::cli(), new_user("ana@example.com", Role::NetworkAdmin, whole.clone()))
        .await
        .expect("admin");
    let owner = store
        .create_user(&whole, &ChangeContext::cli(), new_user("bo@example.com", Role::FranchiseeAdmin, owner_scope))
        .await
        .expect("owner");
    assert_eq!(owner.franchisee_id.as_ref(), Some(&fr));
    assert!(!admin.totp_enabled && admin.disabled_at.is_none());

    let logins = store.find_user_logins("ana@example.com").await.expect("logins");
    assert_eq!(logins.len(), 1);
    assert_eq!(logins[0].user, admin);
    assert_eq!(logins[0].password_hash, "$argon2id$v=19$fake-for-ana@example.com");
    assert!(store.find_user_logins("nobody@example.com").await.expect("none").is_empty());

    let duplicate = store
        .create_user(&whole, &ChangeContext::cli(), new_user("ana@example.com", Role::NetworkAnalyst, whole.clone()))
        .await;
    assert!(matches!(duplicate, Err(StoreError::Conflict { .. })), "{duplicate:?}");

    let listed = store.list_users(&whole, &PageRequest { limit: 1, after: None }).await.expect("list");
    assert_eq!(listed.items, vec![admin.clone()]);
    assert!(listed.next_cursor.is_some());
    assert_eq!(store.get_user(&whole, &owner.id).await.expect("get"), owner);

    let audit = store.list_audit(&whole, &PageRequest::first()).await.expect("audit");
    assert!(audit.items.iter().any(|entry| entry.action == "user.create" && entry.resource_id == owner.id.as_str()));
}

async fn a_franchisee_cannot_create_or_see_users_elsewhere(store: Arc<dyn Store>) {
    let net = network(&*store).await;
    let whole = TenantScope::network(net.clone());
    let north = TenantScope::franchisee(net.clone(), franchisee(&*store, &net, "North").await);
    let south = TenantScope::franchisee(net.clone(), franchisee(&*store, &net, "South").await);
    let south_user = store
        .create_user(&whole, &ChangeContext::cli(), new_user("s@example.com", Role::FranchiseeAdmin, south.clone()))
        .await
        .expect("south user");
    let refused = store
        .create_user(&north, &ChangeContext::cli(), new_user("x@example.com", Role::FranchiseeAdmin, south.clone()))
        .await;
    assert!(matches!(refused, Err(StoreError::OutOfScope { .. })), "{refused:?}");
    let hidden = store.get_user(&north, &south_user.id).await;
    assert!(matches!(hidden, Err(StoreError::NotFound { .. })), "{hidden:?}");
    assert!(store.list_users(&north, &PageRequest::first()).await.expect("list").items.is_empty());
    let ghost = TenantScope::franchisee(net.clone(), FranchiseeId::new());
    let unknown =
        store.create_user(&whole, &ChangeContext::cli(), new_user("g@example.com", Role::FranchiseeAdmin, ghost)).await;
    assert!(matches!(unknown, Err(StoreError::Invalid(_))), "{unknown:?}");
}

async fn totp_steps_are_accepted_once_and_in_order(store: Arc<dyn Store>) {
    let net = network(&*store).await;
    let whole = TenantScope::network(net.clone());
    let user = store
        .create_user(&whole, &ChangeContext::cli(), new_user("t@example.com", Role::NetworkAdmin, whole.clone()))
        .await
        .expect("user");
    let enrolled =
        store.set_user_totp(&whole, &ChangeContext::cli(), &user.id, Some("sealed".into())).await.expect("enrol");
    assert!(enrolled.totp_enabled);
    let login = store.find_user_logins("t@example.com").await.expect("login").remove(0);
    assert_eq!(login.sealed_totp_secret.as_deref(), Some("sealed"));
    assert!(login.user.totp_enabled);
    assert!(store.use_totp_step(&net, &user.id, 100).await.expect("first"));
    assert!(!store.use_totp_step(&net, &user.id, 100).await.expect("replay"), "a step is used once");
    assert!(!store.use_totp_step(&net, &user.id, 99).await.expect("older"), "an older step is refused");
    assert!(store.use_totp_step(&net, &user.id, 101).await.expect("next"));
    assert!(!store.use_totp_step(&net, &UserId::new(), 200).await.expect("unknown user"));
    let cleared = store.set_user_totp(&whole, &ChangeContext::cli(), &user.id, None).await.expect("disable");
    assert!(!cleared.totp_enabled);
}

async fn sessions_are_found_by_token_hash_touched_and_purged(store: Arc<dyn Store>) {
    let net = network(&*store).await;
    let now = Utc::now();
    let subject = Subject::User(UserId::new());
    let new = |hash: &str, expires_in: TimeDelta| NewSession {
        network_id: net.clone(),
        subject: subject.clone(),
        token_hash: hash.to_owned(),
        csrf_token: format!("csrf-{hash}"),
        awaiting_totp: hash == "pending",
        expires_at: now + expires_in,
    };
    let live = store.create_session(new("live", TimeDelta::hours(8))).await.expect("live");
    let pending = store.create_session(new("pending", TimeDelta::minutes(5))).await.expect("pending");
    let expired = store.create_session(new("expired", TimeDelta::seconds(-1))).await.expect("expired");
    let found = store.find_session("live").await.expect("find").expect("present");
    assert_eq!(found, live);
    assert_eq!(found.subject, subject);
    assert_eq!(found.csrf_token, "csrf-live");
    assert!(store.find_session("pending").await.expect("find").expect("present").awaiting_totp);
    assert!(store.find_session("nope").await.expect("find").is_none());

    let later = now + TimeDelta::minutes(3);
    store.touch_session(&net, &live.id, later).await.expect("touch");
    let touched = store.find_session("live").await.expect("find").expect("present");
    assert!(touched.last_seen_at > live.last_seen_at);

    // Idle before `now + 1 min`: the pending one (never touched) goes, the touched one stays.
    let purged = store.purge_sessions(Utc::now(), now + TimeDelta::minutes(1)).await.expect("purge");
    assert_eq!(purged, 2, "the expired and the idle session");
    assert!(store.find_session("expired").await.expect("find").is_none());
    assert!(store.find_session("pending").await.expect("find").is_none());
    assert!(store.find_session("live").await.expect("find").is_some());
    store.delete_session(&net, &live.id).await.expect("sign out");
    store.delete_session(&net, &live.id).await.expect("twice is fine");
    assert!(store.find_session("live").await.expect("find").is_none());
    let _ = (pending, expired);
}

async fn failed_sign_ins_are_counted_and_audited(store: Arc<dyn Store>) {
    let net = network(&*store).await;
    let whole = TenantScope::network(net.clone());
    let user = store
        .create_user(&whole, &ChangeContext::cli(), new_user("f@example.com", Role::NetworkAdmin, whole.clone()))
        .await
        .expect("user");
    let start = Utc::now() - TimeDelta::seconds(1);
    let attempt = |login: &str, client: &str, succeeded: bool, user: Option<hub_store::User>| LoginAttempt {
        login: login.to_owned(),
        client: client.to_owned(),
        succeeded,
        at: Utc::now(),
        user,
        reason: (!succeeded).then(|| "wrong_password".to_owned()),
    };
    for _ in 0..3 {
        store.record_login_attempt(&attempt("f@example.com", "10.0.0.1", false, Some(user.clone()))).await.expect("a");
    }
    store.record_login_attempt(&attempt("ghost@example.com", "10.0.0.2", false, None)).await.expect("unknown");
    store.record_login_attempt(&attempt("f@example.com", "10.0.0.3", true, Some(user.clone()))).await.expect("ok");
    assert_eq!(store.failed_login_attempts("f@example.com", "10.9.9.9", start).await.expect("by login"), 3);
    assert_eq!(store.failed_login_attempts("x@example.com", "10.0.0.2", start).await.expect("by client"), 1);
    let future = Utc::now() + TimeDelta::seconds(5);
    assert_eq!(store.failed_login_attempts("f@example.com", "10.0.0.1", future).await.expect("window"), 0);
    let audit = store.list_audit(&whole, &PageRequest::first()).await.expect("audit");
    let failed = audit.items.iter().filter(|entry| entry.action == "user.sign_in_failed").count();
    assert_eq!(failed, 3);
    let signed_in = audit.items.iter().find(|entry| entry.action == "user.sign_in").expect("sign-in audited");
    assert_eq!(signed_in.actor_id, user.id.as_str());
    assert!(!signed_in.details.to_string().contains("argon2"), "no secret in the audit log");
}

async fn disabling_a_user_ends_its_sessions(store: Arc<dyn Store>) {
    let net = network(&*store).await;
    let whole = TenantScope::network(net.clone());
    let user = store
        .create_user(&whole, &ChangeContext::cli(), new_user("d@example.com", Role::NetworkAdmin, whole.clone()))
        .await
        .expect("user");
    store
        .create_session(NewSession {
            network_id: net.clone(),
            subject: Subject::User(user.id.clone()),
            token_hash: "d-token".into(),
            csrf_token: "c".into(),
            awaiting_totp: false,
            expires_at: Utc::now() + TimeDelta::hours(1),
        })
        .await
        .expect("session");
    let disabled = store.disable_user(&whole, &ChangeContext::cli(), &user.id).await.expect("disable");
    assert!(disabled.disabled_at.is_some());
    assert!(store.find_session("d-token").await.expect("find").is_none(), "its sessions end");
    let login = store.find_user_logins("d@example.com").await.expect("login").remove(0);
    assert!(login.user.disabled_at.is_some());
}
