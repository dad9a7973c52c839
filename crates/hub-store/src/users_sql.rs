//! The SQL behind [`crate::UserStore`] and [`crate::SessionStore`], written once and expanded for
//! both backends inside a module of their own (it reuses the audit helpers `impl_sql_store!`
//! defines).

/// Implements [`crate::UserStore`] and [`crate::SessionStore`] for `$store`.
macro_rules! impl_user_store {
    (store: $store:ident) => {
        mod user_store {
            use super::*;
            use chrono::DateTime;
            use hub_core::id::{SessionId, UserId};

            use crate::users::{
                LoginAttempt, NewSession, NewUser, Session, SessionRow, SessionStore, User, UserLogin, UserRow,
                UserStore, session_columns, user_columns,
            };

            async fn fetch_user(tx: &mut Tx<'_>, scope: &TenantScope, id: &UserId) -> StoreResult<User> {
                let row: Option<UserRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM users WHERE network_id = $1 AND id = $2 AND ($3 IS NULL OR franchisee_id = $3) \
                     AND ($4 IS NULL OR location_id = $4)"
                ))
                .bind(scope.network_id.as_str())
                .bind(id.as_str())
                .bind(opt(scope.franchisee_id.as_ref()))
                .bind(opt(scope.location_id.as_ref()))
                .fetch_optional(&mut **tx)
                .await?;
                row.ok_or(StoreError::NotFound { resource: "user" })?.try_into()
            }

            fn user_event(ctx: &ChangeContext, action: &str, user: &User, details: serde_json::Value) -> AuditEvent {
                event(ctx, action, user.id.as_str(), user.franchisee_id.as_ref(), user.location_id.as_ref(), details)
            }

            #[derive(sqlx::FromRow)]
            struct LoginRow {
                #[sqlx(flatten)]
                user: UserRow,
                password_hash: String,
                sealed_totp_secret: Option<String>,
                totp_last_step: Option<i64>,
            }

            #[async_trait]
            impl UserStore for $store {
                async fn create_user(&self, scope: &TenantScope, ctx: &ChangeContext, new: NewUser) -> StoreResult<User> {
                    if !scope.contains(&new.scope) {
                        return Err(StoreError::OutOfScope { what: "users for that scope" });
                    }
                    let mut tx = self.writer.begin().await?;
                    if let Some(location_id) = &new.scope.location_id {
                        match fetch_location(&mut tx, &new.scope, location_id).await {
                            Err(StoreError::NotFound { .. }) => {
                                return Err(StoreError::unknown_reference("location_id", "location"));
                            }
                            other => other?,
                        };
                    } else if let Some(franchisee_id) = &new.scope.franchisee_id {
                        match fetch_franchisee(&mut tx, &new.scope, franchisee_id).await {
                            Err(StoreError::NotFound { .. }) => {
                                return Err(StoreError::unknown_reference("franchisee_id", "franchisee"));
                            }
                            other => other?,
                        };
                    }
                    let user = User {
                        id: UserId::new(),
                        network_id: new.scope.network_id.clone(),
                        email: new.email,
                        role: new.role,
                        franchisee_id: new.scope.franchisee_id.clone(),
                        location_id: new.scope.location_id.clone(),
                        totp_enabled: new.sealed_totp_secret.is_some(),
                        created_at: now(),
                        disabled_at: None,
                    };
                    let inserted = sqlx::query(
                        "INSERT INTO users (network_id, id, email, role, franchisee_id, location_id, password_hash, \
                         sealed_totp_secret, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(user.network_id.as_str())
                    .bind(user.id.as_str())
                    .bind(&user.email)
                    .bind(user.role.as_str())
                    .bind(opt(user.franchisee_id.as_ref()))
                    .bind(opt(user.location_id.as_ref()))
                    .bind(&new.password_hash)
                    .bind(new.sealed_totp_secret.as_deref())
                    .bind(user.created_at)
                    .execute(&mut *tx)
                    .await;
                    match inserted.map_err(StoreError::from) {
                        Err(StoreError::Conflict { .. }) => {
                            return Err(StoreError::conflict("a user with this email already exists in the network"));
                        }
                        other => other?,
                    };
                    let details = json!({ "email": user.email, "role": user.role.as_str(), "totp": user.totp_enabled });
                    append_audit(&mut tx, &user.network_id, user_event(ctx, "user.create", &user, details)).await?;
                    tx.commit().await?;
                    Ok(user)
                }

                async fn get_user(&self, scope: &TenantScope, id: &UserId) -> StoreResult<User> {
                    let mut tx = self.reader.begin().await?;
                    let user = fetch_user(&mut tx, scope, id).await?;
                    tx.commit().await?;
                    Ok(user)
                }

                async fn list_users(&self, scope: &TenantScope, page: &PageRequest) -> StoreResult<Page<User>> {
                    let rows: Vec<UserRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        user_columns!(),
                        " FROM users WHERE network_id = $1 AND ($2 IS NULL OR franchisee_id = $2) \
                         AND ($3 IS NULL OR location_id = $3) AND ($4 IS NULL OR id > $4) ORDER BY id LIMIT $5"
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(opt(scope.location_id.as_ref()))
                    .bind(page.after.as_deref())
                    .bind(i64::from(page.limit) + 1)
                    .fetch_all(&self.reader)
                    .await?;
                    Ok(Page::from_rows(convert_all(rows)?, page.limit, |u: &User| u.id.to_string()))
                }

                async fn find_user_logins(&self, email: &str) -> StoreResult<Vec<UserLogin>> {
                    let rows: Vec<LoginRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        user_columns!(),
                        ", password_hash, sealed_totp_secret, totp_last_step FROM users WHERE email = $1 \
                         ORDER BY network_id, id LIMIT 20"
                    ))
                    .bind(email)
                    .fetch_all(&self.writer)
                    .await?;
                    rows.into_iter()
                        .map(|row| {
                            Ok(UserLogin {
                                user: row.user.try_into()?,
                                password_hash: row.password_hash,
                                sealed_totp_secret: row.sealed_totp_secret,
                                totp_last_step: row.totp_last_step,
                            })
                        })
                        .collect()
                }

                async fn set_user_totp(
                    &self,
                    scope: &TenantScope,
                    ctx: &ChangeContext,
                    id: &UserId,
                    sealed_secret: Option<String>,
                ) -> StoreResult<User> {
                    let mut tx = self.writer.begin().await?;
                    let mut user = fetch_user(&mut tx, scope, id).await?;
                    sqlx::query(
                        "UPDATE users SET sealed_totp_secret = $3, totp_last_step = NULL WHERE network_id = $1 AND id = $2",
                    )
                    .bind(user.network_id.as_str())
                    .bind(id.as_str())
                    .bind(sealed_secret.as_deref())
                    .execute(&mut *tx)
                    .await?;
                    user.totp_enabled = sealed_secret.is_some();
                    let action = if user.totp_enabled { "user.totp.enable" } else { "user.totp.disable" };
                    append_audit(&mut tx, &user.network_id, user_event(ctx, action, &user, json!({}))).await?;
                    tx.commit().await?;
                    Ok(user)
                }

                async fn use_totp_step(&self, network_id: &NetworkId, id: &UserId, step: i64) -> StoreResult<bool> {
                    let updated = sqlx::query(
                        "UPDATE users SET totp_last_step = $3 WHERE network_id = $1 AND id = $2 \
                         AND (totp_last_step IS NULL OR totp_last_step < $3)",
                    )
                    .bind(network_id.as_str())
                    .bind(id.as_str())
                    .bind(step)
                    .execute(&self.writer)
                    .await?;
                    Ok(updated.rows_affected() == 1)
                }

                async fn disable_user(&self, scope: &TenantScope, ctx: &ChangeContext, id: &UserId) -> StoreResult<User> {
                    let mut tx = self.writer.begin().await?;
                    let mut user = fetch_user(&mut tx, scope, id).await?;
                    if user.disabled_at.is_some() {
                        return Ok(user);
                    }
                    user.disabled_at = Some(now());
                    sqlx::query("UPDATE users SET disabled_at = $3 WHERE network_id = $1 AND id = $2")
                        .bind(user.network_id.as_str())
                        .bind(id.as_str())
                        .bind(user.disabled_at)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("DELETE FROM dashboard_sessions WHERE network_id = $1 AND subject = $2")
                        .bind(user.network_id.as_str())
                        .bind(id.as_str())
                        .execute(&mut *tx)
                        .await?;
                    append_audit(&mut tx, &user.network_id, user_event(ctx, "user.disable", &user, json!({}))).await?;
                    tx.commit().await?;
                    Ok(user)
                }

                async fn record_login_attempt(&self, attempt: &LoginAttempt) -> StoreResult<()> {
                    let mut tx = self.writer.begin().await?;
                    sqlx::query("INSERT INTO login_attempts (login, client, succeeded, reason, at) VALUES ($1, $2, $3, $4, $5)")
                        .bind(&attempt.login)
                        .bind(&attempt.client)
                        .bind(attempt.succeeded)
                        .bind(attempt.reason.as_deref())
                        .bind(attempt.at)
                        .execute(&mut *tx)
                        .await?;
                    if let Some(user) = &attempt.user {
                        let ctx = ChangeContext { actor: hub_core::access::Actor::User(user.id.clone()), request_id: None };
                        let action = if attempt.succeeded { "user.sign_in" } else { "user.sign_in_failed" };
                        let details = json!({ "client": attempt.client, "reason": attempt.reason });
                        append_audit(&mut tx, &user.network_id, user_event(&ctx, action, user, details)).await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn failed_login_attempts(&self, login: &str, client: &str, since: DateTime<Utc>) -> StoreResult<u64> {
                    let (by_login, by_client): (i64, i64) = sqlx::query_as(
                        "SELECT (SELECT COUNT(*) FROM login_attempts WHERE login = $1 AND at >= $3 AND NOT succeeded), \
                         (SELECT COUNT(*) FROM login_attempts WHERE client = $2 AND at >= $3 AND NOT succeeded)",
                    )
                    .bind(login)
                    .bind(client)
                    .bind(since)
                    .fetch_one(&self.writer)
                    .await?;
                    Ok(u64::try_from(by_login.max(by_client)).unwrap_or(0))
                }
            }

            #[async_trait]
            impl SessionStore for $store {
                async fn create_session(&self, new: NewSession) -> StoreResult<Session> {
                    let at = now();
                    let session = Session {
                        id: SessionId::new(),
                        network_id: new.network_id,
                        subject: new.subject,
                        csrf_token: new.csrf_token,
                        awaiting_totp: new.awaiting_totp,
                        created_at: at,
                        last_seen_at: at,
                        expires_at: hub_core::audit::truncate_to_micros(new.expires_at),
                    };
                    sqlx::query(
                        "INSERT INTO dashboard_sessions (network_id, id, token_hash, subject, csrf_token, awaiting_totp, \
                         created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(session.network_id.as_str())
                    .bind(session.id.as_str())
                    .bind(&new.token_hash)
                    .bind(session.subject.as_str())
                    .bind(&session.csrf_token)
                    .bind(session.awaiting_totp)
                    .bind(session.created_at)
                    .bind(session.last_seen_at)
                    .bind(session.expires_at)
                    .execute(&self.writer)
                    .await?;
                    Ok(session)
                }

                async fn find_session(&self, token_hash: &str) -> StoreResult<Option<Session>> {
                    let row: Option<SessionRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        session_columns!(),
                        " FROM dashboard_sessions WHERE token_hash = $1"
                    ))
                    .bind(token_hash)
                    .fetch_optional(&self.writer)
                    .await?;
                    row.map(Session::try_from).transpose()
                }

                async fn touch_session(&self, network_id: &NetworkId, id: &SessionId, at: DateTime<Utc>) -> StoreResult<()> {
                    sqlx::query("UPDATE dashboard_sessions SET last_seen_at = $3 WHERE network_id = $1 AND id = $2")
                        .bind(network_id.as_str())
                        .bind(id.as_str())
                        .bind(hub_core::audit::truncate_to_micros(at))
                        .execute(&self.writer)
                        .await?;
                    Ok(())
                }

                async fn delete_session(&self, network_id: &NetworkId, id: &SessionId) -> StoreResult<()> {
                    sqlx::query("DELETE FROM dashboard_sessions WHERE network_id = $1 AND id = $2")
                        .bind(network_id.as_str())
                        .bind(id.as_str())
                        .execute(&self.writer)
                        .await?;
                    Ok(())
                }

                async fn purge_sessions(&self, now: DateTime<Utc>, idle_before: DateTime<Utc>) -> StoreResult<u64> {
                    let deleted = sqlx::query("DELETE FROM dashboard_sessions WHERE expires_at < $1 OR last_seen_at < $2")
                        .bind(now)
                        .bind(idle_before)
                        .execute(&self.writer)
                        .await?;
                    Ok(deleted.rows_affected())
                }
            }
        }
    };
}
pub(crate) use impl_user_store;
