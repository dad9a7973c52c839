//! The SQL behind [`crate::OutboundStateStore`], written once and expanded for both backends
//! inside a module of their own. Both dialects share it: `ON CONFLICT … DO UPDATE` with
//! `excluded`, and `RETURNING`.

macro_rules! breaker_state_columns {
    () => {
        "breaker_key, provider, host, state, opened_at, reopen_at, last_error, last_error_at, updated_by, version, \
         updated_at"
    };
}
pub(crate) use breaker_state_columns;

/// Implements [`crate::OutboundStateStore`] for `$store` (with `reader` and `writer` pools).
macro_rules! impl_outbound_store {
    (store: $store:ident) => {
        mod outbound_store {
            use super::*;
            use chrono::DateTime;

            use crate::outbound::{
                BreakerStateRow, BreakerTransition, OutboundStateStore, RateLimitPause, RateLimitPauseRow,
                SharedBreakerState, check_key,
            };
            use crate::outbound_sql::breaker_state_columns;

            #[async_trait]
            impl OutboundStateStore for $store {
                async fn publish_breaker_transition(&self, transition: &BreakerTransition) -> StoreResult<i64> {
                    check_key("breaker_key", &transition.breaker_key)?;
                    let (version,): (i64,) = sqlx::query_as(concat!(
                        "INSERT INTO breaker_states (",
                        breaker_state_columns!(),
                        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10) \
                         ON CONFLICT (breaker_key) DO UPDATE SET provider = excluded.provider, \
                         host = COALESCE(excluded.host, breaker_states.host), state = excluded.state, \
                         opened_at = excluded.opened_at, reopen_at = excluded.reopen_at, \
                         last_error = excluded.last_error, last_error_at = excluded.last_error_at, \
                         updated_by = excluded.updated_by, version = breaker_states.version + 1, \
                         updated_at = excluded.updated_at RETURNING version"
                    ))
                    .bind(&transition.breaker_key)
                    .bind(&transition.provider)
                    .bind(transition.host.as_deref())
                    .bind(transition.state.as_str())
                    .bind(transition.opened_at.map(truncate_to_micros))
                    .bind(transition.reopen_at.map(truncate_to_micros))
                    .bind(transition.last_error.as_deref().map(crate::jobs_rows::clip_error))
                    .bind(transition.last_error_at.map(truncate_to_micros))
                    .bind(&transition.node)
                    .bind(now())
                    .fetch_one(&self.writer)
                    .await?;
                    Ok(version)
                }

                async fn breaker_states(
                    &self,
                    changed_after: Option<DateTime<Utc>>,
                ) -> StoreResult<Vec<SharedBreakerState>> {
                    let rows: Vec<BreakerStateRow> = match changed_after {
                        Some(after) => {
                            sqlx::query_as(concat!(
                                "SELECT ",
                                breaker_state_columns!(),
                                " FROM breaker_states WHERE updated_at > $1 ORDER BY updated_at, breaker_key"
                            ))
                            .bind(truncate_to_micros(after))
                            .fetch_all(&self.reader)
                            .await?
                        }
                        None => {
                            sqlx::query_as(concat!(
                                "SELECT ",
                                breaker_state_columns!(),
                                " FROM breaker_states WHERE state = 'open' ORDER BY updated_at, breaker_key"
                            ))
                            .fetch_all(&self.reader)
                            .await?
                        }
                    };
                    convert_all(rows)
                }

                async fn publish_rate_limit_pause(&self, pause: &RateLimitPause) -> StoreResult<()> {
                    check_key("app_key", &pause.app_key)?;
                    if let Some(connection) = &pause.connection_key {
                        check_key("connection_key", connection)?;
                    }
                    sqlx::query(
                        "INSERT INTO rate_limit_pauses (app_key, connection_key, provider, paused_until, updated_by, \
                         updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (app_key, connection_key) DO UPDATE SET provider = excluded.provider, \
                         paused_until = CASE WHEN excluded.paused_until > rate_limit_pauses.paused_until \
                             THEN excluded.paused_until ELSE rate_limit_pauses.paused_until END, \
                         updated_by = CASE WHEN excluded.paused_until > rate_limit_pauses.paused_until \
                             THEN excluded.updated_by ELSE rate_limit_pauses.updated_by END, \
                         updated_at = excluded.updated_at",
                    )
                    .bind(&pause.app_key)
                    .bind(pause.connection_key.as_deref().unwrap_or(""))
                    .bind(&pause.provider)
                    .bind(truncate_to_micros(pause.paused_until))
                    .bind(&pause.node)
                    .bind(now())
                    .execute(&self.writer)
                    .await?;
                    Ok(())
                }

                async fn active_rate_limit_pauses(&self, at: DateTime<Utc>) -> StoreResult<Vec<RateLimitPause>> {
                    let rows: Vec<RateLimitPauseRow> = sqlx::query_as(
                        "SELECT app_key, connection_key, provider, paused_until, updated_by FROM rate_limit_pauses \
                         WHERE paused_until > $1 ORDER BY paused_until, app_key, connection_key",
                    )
                    .bind(truncate_to_micros(at))
                    .fetch_all(&self.reader)
                    .await?;
                    Ok(rows.into_iter().map(RateLimitPause::from).collect())
                }

                async fn purge_outbound_state(&self, before: DateTime<Utc>) -> StoreResult<u64> {
                    let before = truncate_to_micros(before);
                    let mut tx = self.writer.begin().await?;
                    let pauses = sqlx::query("DELETE FROM rate_limit_pauses WHERE paused_until < $1")
                        .bind(before)
                        .execute(&mut *tx)
                        .await?;
                    let breakers = sqlx::query("DELETE FROM breaker_states WHERE state = 'closed' AND updated_at < $1")
                        .bind(before)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(pauses.rows_affected() + breakers.rows_affected())
                }
            }
        }
    };
}
pub(crate) use impl_outbound_store;
