//! Proactive token refresh: a pass (run every minute as the `connections.refresh_due` job) that
//! refreshes tokens about to expire and, for
//! providers that revoke idle refresh tokens (or ask for regular refreshes), tokens not refreshed
//! for a day. Calls still refresh on demand; this keeps idle connections alive.

use std::time::Duration;

use chrono::Utc;
use hub_connectors::catalog;
use hub_store::ChangeContext;

use crate::AppState;
use crate::routes::app_for;

/// Connections of idle-revoking providers are refreshed when older than this.
const AT_LEAST_EVERY: chrono::Duration = chrono::Duration::hours(20);
const BATCH: u32 = 200;

/// Refreshes what is due once; returns how many connections were refreshed successfully.
pub async fn refresh_due(state: &AppState, margin: Duration) -> usize {
    let now = Utc::now();
    let mut due: Vec<(hub_core::connection::Connection, bool)> = Vec::new();
    let horizon = now + chrono::Duration::from_std(margin).unwrap_or_default();
    match state.store.connections_expiring_before(horizon, BATCH).await {
        Ok(expiring) => due.extend(expiring.into_iter().map(|connection| (connection, false))),
        Err(error) => tracing::warn!(%error, "cannot list expiring connections"),
    }
    for definition in catalog::catalog() {
        let idle_revoking =
            definition.token.revokes_idle_after.is_some() || definition.token.refresh_at_least_every.is_some();
        if !idle_revoking {
            continue;
        }
        match state.store.connections_refreshed_before(definition.id, now - AT_LEAST_EVERY, BATCH).await {
            Ok(stale) => due.extend(stale.into_iter().map(|connection| (connection, true))),
            Err(error) => tracing::warn!(%error, provider = definition.id, "cannot list stale connections"),
        }
    }
    let ctx = ChangeContext { actor: hub_core::access::Actor::System, request_id: None };
    let mut refreshed = 0;
    for (connection, force) in due {
        let outcome = match app_for(state, &connection).await {
            Ok(app) => state.connections.access_token(&connection, &app, &ctx, force).await.map_err(|e| e.to_string()),
            Err(error) => Err(error.detail),
        };
        match outcome {
            Ok(_) => refreshed += 1,
            Err(error) => {
                tracing::warn!(connection = %connection.id, provider = %connection.provider, %error, "proactive refresh failed")
            }
        }
    }
    refreshed
}
