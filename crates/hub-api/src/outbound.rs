//! The outbound stack's shared state over the store: how every hub node's `ResilientClient`
//! tells the others about breakers opening and closing and about pauses providers asked for
//! (`breaker_states` and `rate_limit_pauses`, on both backends).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hub_resilience::{
    BreakerKey, CircuitState, PublishedBreaker, ScopeKey, SharedBreaker, SharedPause, SharedStateBackend,
    SharedStateError,
};
use hub_store::{BreakerTransition, RateLimitPause, SharedCircuit, Store};

/// [`SharedStateBackend`] over the hub's store.
#[derive(Clone)]
pub struct StoreSharedState(pub Arc<dyn Store>);

impl std::fmt::Debug for StoreSharedState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("StoreSharedState").field(&self.0.backend()).finish()
    }
}

fn transition(breaker: &SharedBreaker) -> BreakerTransition {
    BreakerTransition {
        breaker_key: breaker.key.to_string(),
        provider: breaker.provider.clone(),
        host: breaker.host.clone(),
        // Only openings and closings are published; a half-open breaker still refuses calls.
        state: match breaker.state {
            CircuitState::Closed => SharedCircuit::Closed,
            CircuitState::Open | CircuitState::HalfOpen => SharedCircuit::Open,
        },
        opened_at: breaker.opened_at,
        reopen_at: breaker.reopen_at,
        last_error: breaker.last_error.clone(),
        last_error_at: breaker.last_error_at,
        node: breaker.node.clone(),
    }
}

#[async_trait]
impl SharedStateBackend for StoreSharedState {
    async fn publish_breaker(&self, breaker: &SharedBreaker) -> Result<i64, SharedStateError> {
        Ok(self.0.publish_breaker_transition(&transition(breaker)).await?)
    }

    async fn breaker_changes(
        &self,
        changed_after: Option<DateTime<Utc>>,
    ) -> Result<Vec<PublishedBreaker>, SharedStateError> {
        let states = self.0.breaker_states(changed_after).await?;
        let mut changes = Vec::with_capacity(states.len());
        for stored in states {
            let row = stored.transition;
            let Some(key) = BreakerKey::parse(&row.breaker_key) else {
                tracing::warn!(breaker_key = %row.breaker_key, "ignoring a shared breaker state with an unknown key");
                continue;
            };
            let state = match row.state {
                SharedCircuit::Open => CircuitState::Open,
                SharedCircuit::Closed => CircuitState::Closed,
            };
            let breaker = SharedBreaker {
                key,
                provider: row.provider,
                host: row.host,
                state,
                opened_at: row.opened_at,
                reopen_at: row.reopen_at,
                last_error: row.last_error,
                last_error_at: row.last_error_at,
                node: row.node,
            };
            changes.push(PublishedBreaker { breaker, version: stored.version });
        }
        Ok(changes)
    }

    async fn publish_pause(&self, pause: &SharedPause) -> Result<(), SharedStateError> {
        let row = RateLimitPause {
            app_key: pause.app_key.to_string(),
            connection_key: pause.connection.as_ref().map(ToString::to_string),
            provider: pause.provider.clone(),
            paused_until: pause.until,
            node: pause.node.clone(),
        };
        Ok(self.0.publish_rate_limit_pause(&row).await?)
    }

    async fn active_pauses(&self, now: DateTime<Utc>) -> Result<Vec<SharedPause>, SharedStateError> {
        let rows = self.0.active_rate_limit_pauses(now).await?;
        Ok(rows
            .into_iter()
            .map(|row| SharedPause {
                app_key: ScopeKey::from(row.app_key),
                connection: row.connection_key.map(ScopeKey::from),
                provider: row.provider,
                until: row.paused_until,
                node: row.node,
            })
            .collect())
    }

    async fn purge(&self, before: DateTime<Utc>) -> Result<(), SharedStateError> {
        self.0.purge_outbound_state(before).await?;
        Ok(())
    }
}
