//! The shared outbound state's conformance suite (breaker transitions, provider pauses): written
//! once, run against SQLite and PostgreSQL.

use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use hub_store::{BreakerTransition, RateLimitPause, SharedCircuit, Store, StoreError};

hub_store::tests_on_both_backends!(
    breaker_transitions_replace_each_other_with_rising_versions,
    breaker_changes_are_read_by_time_and_a_fresh_reader_sees_open_breakers,
    pauses_keep_the_latest_end_and_end_on_time,
    purge_removes_only_ended_pauses_and_old_closed_breakers,
    bad_keys_are_refused,
);

fn opened(key: &str, node: &str) -> BreakerTransition {
    let now = Utc::now();
    BreakerTransition {
        breaker_key: key.to_owned(),
        provider: "hubspot".into(),
        host: Some("api.hubapi.com:443".into()),
        state: SharedCircuit::Open,
        opened_at: Some(now),
        reopen_at: Some(now + TimeDelta::milliseconds(400)),
        last_error: Some("503 from api.hubapi.com:443".into()),
        last_error_at: Some(now),
        node: node.to_owned(),
    }
}

fn closed(key: &str, node: &str) -> BreakerTransition {
    BreakerTransition {
        state: SharedCircuit::Closed,
        opened_at: None,
        reopen_at: None,
        host: None,
        ..opened(key, node)
    }
}

fn pause(connection: Option<&str>, until: chrono::DateTime<Utc>, node: &str) -> RateLimitPause {
    RateLimitPause {
        app_key: "hubspot:net_test".into(),
        connection_key: connection.map(str::to_owned),
        provider: "hubspot".into(),
        paused_until: until,
        node: node.to_owned(),
    }
}

async fn breaker_transitions_replace_each_other_with_rising_versions(store: Arc<dyn Store>) {
    let key = "connection:conn_a";
    assert_eq!(store.publish_breaker_transition(&opened(key, "node-a")).await.expect("open"), 1);
    assert_eq!(store.publish_breaker_transition(&closed(key, "node-b")).await.expect("close"), 2);
    assert_eq!(store.publish_breaker_transition(&opened("host:api.hubapi.com:443", "node-a")).await.expect("host"), 1);

    let all = store.breaker_states(Some(Utc::now() - TimeDelta::minutes(1))).await.expect("changes");
    assert_eq!(all.len(), 2, "one row per breaker: {all:?}");
    let connection = all.iter().find(|s| s.transition.breaker_key == key).expect("connection breaker");
    assert_eq!(connection.version, 2);
    assert_eq!(connection.transition.state, SharedCircuit::Closed);
    assert_eq!(connection.transition.node, "node-b");
    assert_eq!(connection.transition.reopen_at, None);
    assert_eq!(
        connection.transition.host.as_deref(),
        Some("api.hubapi.com:443"),
        "a transition without a host keeps the known one"
    );
    assert_eq!(connection.transition.last_error.as_deref(), Some("503 from api.hubapi.com:443"));
}

async fn breaker_changes_are_read_by_time_and_a_fresh_reader_sees_open_breakers(store: Arc<dyn Store>) {
    let published = opened("host:a.example:443", "node-a");
    store.publish_breaker_transition(&published).await.expect("open a");
    store.publish_breaker_transition(&closed("host:b.example:443", "node-a")).await.expect("close b");
    let watermark = Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    store.publish_breaker_transition(&opened("host:c.example:443", "node-b")).await.expect("open c");

    let fresh = store.breaker_states(None).await.expect("open breakers");
    let keys: Vec<_> = fresh.iter().map(|s| s.transition.breaker_key.as_str()).collect();
    assert_eq!(keys, vec!["host:a.example:443", "host:c.example:443"], "a fresh reader gets every open breaker");
    let stored = &fresh[0].transition;
    assert_eq!(stored.opened_at, published.opened_at.map(hub_core::audit::truncate_to_micros));
    assert_eq!(stored.reopen_at, published.reopen_at.map(hub_core::audit::truncate_to_micros));

    let since = store.breaker_states(Some(watermark)).await.expect("changes");
    let keys: Vec<_> = since.iter().map(|s| s.transition.breaker_key.as_str()).collect();
    assert_eq!(keys, vec!["host:c.example:443"], "only what changed after the watermark");
    assert!(since[0].updated_at > watermark);
}

async fn pauses_keep_the_latest_end_and_end_on_time(store: Arc<dyn Store>) {
    let now = Utc::now();
    let later = hub_core::audit::truncate_to_micros(now + TimeDelta::seconds(2));
    store.publish_rate_limit_pause(&pause(Some("conn_a"), later, "node-a")).await.expect("pause");
    store
        .publish_rate_limit_pause(&pause(Some("conn_a"), now + TimeDelta::seconds(1), "node-b"))
        .await
        .expect("shorter");
    store.publish_rate_limit_pause(&pause(None, now + TimeDelta::seconds(5), "node-b")).await.expect("app");
    store.publish_rate_limit_pause(&pause(Some("conn_old"), now - TimeDelta::seconds(1), "node-a")).await.expect("old");

    let active = store.active_rate_limit_pauses(now).await.expect("active");
    assert_eq!(active.len(), 2, "{active:?}");
    assert_eq!(active[0].connection_key.as_deref(), Some("conn_a"));
    assert_eq!((active[0].paused_until, active[0].node.as_str()), (later, "node-a"), "the later pause is kept");
    assert_eq!(active[1].connection_key, None, "an app-wide pause has no connection");
    let after_first = store.active_rate_limit_pauses(now + TimeDelta::seconds(3)).await.expect("active");
    assert_eq!(after_first.len(), 1);
    assert!(store.active_rate_limit_pauses(now + TimeDelta::seconds(6)).await.expect("active").is_empty());
}

async fn purge_removes_only_ended_pauses_and_old_closed_breakers(store: Arc<dyn Store>) {
    let now = Utc::now();
    store.publish_rate_limit_pause(&pause(Some("conn_old"), now - TimeDelta::seconds(10), "n")).await.expect("old");
    store.publish_rate_limit_pause(&pause(Some("conn_new"), now + TimeDelta::seconds(10), "n")).await.expect("new");
    store.publish_breaker_transition(&closed("host:closed.example:443", "n")).await.expect("closed");
    store.publish_breaker_transition(&opened("host:open.example:443", "n")).await.expect("open");
    assert_eq!(
        store.purge_outbound_state(now - TimeDelta::seconds(5)).await.expect("purge"),
        1,
        "only the ended pause"
    );
    assert_eq!(store.purge_outbound_state(now + TimeDelta::seconds(1)).await.expect("purge"), 1, "the closed breaker");
    let left = store.breaker_states(Some(now - TimeDelta::minutes(1))).await.expect("left");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].transition.state, SharedCircuit::Open, "open breakers are never purged");
    assert_eq!(store.active_rate_limit_pauses(now).await.expect("active").len(), 1);
}

async fn bad_keys_are_refused(store: Arc<dyn Store>) {
    let refused = store.publish_breaker_transition(&opened("", "n")).await;
    assert!(matches!(refused, Err(StoreError::Invalid(ref e)) if e.field.as_deref() == Some("breaker_key")));
    let long = "k".repeat(hub_store::MAX_OUTBOUND_KEY_LEN + 1);
    let refused = store.publish_rate_limit_pause(&pause(Some(&long), Utc::now(), "n")).await;
    assert!(matches!(refused, Err(StoreError::Invalid(ref e)) if e.field.as_deref() == Some("connection_key")));
}
