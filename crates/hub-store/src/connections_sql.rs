//! The SQL behind [`crate::ConnectionStore`], written once and expanded for both backends inside
//! a module of their own (it reuses the audit helpers `impl_sql_store!` defines).

macro_rules! connection_columns {
    () => {
        "network_id, id, franchisee_id, location_id, provider, environment, status, scopes, expires_at, \
         last_refreshed_at, last_error, created_at, updated_at"
    };
}
pub(crate) use connection_columns;

/// Implements [`crate::ConnectionStore`] for `$store` (with `reader` and `writer` pools).
macro_rules! impl_connection_store {
    (store: $store:ident) => {
        mod connection_store {
            use super::*;
            use chrono::DateTime;
            use hub_core::connection::Connection;
            use hub_core::id::{ConnectLinkId, ConnectionId};

            use crate::connections::{
                ConnectLink, ConnectionEvent, ConnectionRow, ConnectionStore, CredentialUpdate, NewConnection,
                OAuthState, ProviderSettingsRecord, StateRejection, StatusChange, StoredCredentials, StoredDataKey,
            };
            use crate::connections_sql::connection_columns;

            async fn fetch_connection(tx: &mut Tx<'_>, scope: &TenantScope, id: &ConnectionId) -> StoreResult<Connection> {
                let row: Option<ConnectionRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    connection_columns!(),
                    " FROM connections WHERE network_id = $1 AND id = $2 AND ($3 IS NULL OR franchisee_id = $3) \
                     AND ($4 IS NULL OR location_id = $4)"
                ))
                .bind(scope.network_id.as_str())
                .bind(id.as_str())
                .bind(opt(scope.franchisee_id.as_ref()))
                .bind(opt(scope.location_id.as_ref()))
                .fetch_optional(&mut **tx)
                .await?;
                row.ok_or(StoreError::NotFound { resource: "connection" })?.try_into()
            }

            async fn append_event(
                tx: &mut Tx<'_>,
                network_id: &NetworkId,
                id: &ConnectionId,
                kind: &str,
                detail: &str,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO connection_events (network_id, connection_id, seq, kind, detail, at) \
                     SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3, $4, $5 FROM connection_events \
                     WHERE network_id = $1 AND connection_id = $2",
                )
                .bind(network_id.as_str())
                .bind(id.as_str())
                .bind(kind)
                .bind(detail)
                .bind(now())
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            fn connection_event(ctx: &ChangeContext, action: &str, connection: &Connection, details: serde_json::Value) -> AuditEvent {
                event(
                    ctx,
                    action,
                    connection.id.as_str(),
                    connection.franchisee_id.as_ref(),
                    connection.location_id.as_ref(),
                    details,
                )
            }

            #[async_trait]
            impl ConnectionStore for $store {
                async fn insert_data_key(&self, network_id: &NetworkId, key: &StoredDataKey) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO vault_data_keys (network_id, id, master_key_id, wrapped, created_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(network_id.as_str())
                    .bind(&key.id)
                    .bind(&key.master_key_id)
                    .bind(&key.wrapped)
                    .bind(now())
                    .execute(&self.writer)
                    .await?;
                    Ok(())
                }

                async fn newest_data_key(&self, network_id: &NetworkId) -> StoreResult<Option<StoredDataKey>> {
                    let row: Option<(String, String, String)> = sqlx::query_as(
                        "SELECT id, master_key_id, wrapped FROM vault_data_keys WHERE network_id = $1 \
                         ORDER BY created_at DESC, id DESC LIMIT 1",
                    )
                    .bind(network_id.as_str())
                    .fetch_optional(&self.writer)
                    .await?;
                    Ok(row.map(|(id, master_key_id, wrapped)| StoredDataKey { id, master_key_id, wrapped }))
                }

                async fn data_key(&self, network_id: &NetworkId, key_id: &str) -> StoreResult<Option<StoredDataKey>> {
                    let row: Option<(String, String, String)> = sqlx::query_as(
                        "SELECT id, master_key_id, wrapped FROM vault_data_keys WHERE network_id = $1 AND id = $2",
                    )
                    .bind(network_id.as_str())
                    .bind(key_id)
                    .fetch_optional(&self.reader)
                    .await?;
                    Ok(row.map(|(id, master_key_id, wrapped)| StoredDataKey { id, master_key_id, wrapped }))
                }

                async fn all_data_keys(&self) -> StoreResult<Vec<(NetworkId, StoredDataKey)>> {
                    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
                        "SELECT network_id, id, master_key_id, wrapped FROM vault_data_keys ORDER BY network_id, id",
                    )
                    .fetch_all(&self.reader)
                    .await?;
                    rows.into_iter()
                        .map(|(network, id, master_key_id, wrapped)| {
                            let network = NetworkId::parse(&network)
                                .map_err(|_| StoreError::Corrupt(format!("vault_data_keys.network_id `{network}`")))?;
                            Ok((network, StoredDataKey { id, master_key_id, wrapped }))
                        })
                        .collect()
                }

                async fn rewrap_data_key(&self, network_id: &NetworkId, key: &StoredDataKey) -> StoreResult<()> {
                    sqlx::query("UPDATE vault_data_keys SET master_key_id = $3, wrapped = $4 WHERE network_id = $1 AND id = $2")
                        .bind(network_id.as_str())
                        .bind(&key.id)
                        .bind(&key.master_key_id)
                        .bind(&key.wrapped)
                        .execute(&self.writer)
                        .await?;
                    Ok(())
                }

                async fn create_connection(
                    &self,
                    scope: &TenantScope,
                    ctx: &ChangeContext,
                    id: &ConnectionId,
                    new: NewConnection,
                ) -> StoreResult<Connection> {
                    if !scope.contains(&new.scope) {
                        return Err(StoreError::OutOfScope { what: "connections for that scope" });
                    }
                    let at = now();
                    let connection = Connection {
                        id: id.clone(),
                        network_id: new.scope.network_id.clone(),
                        franchisee_id: new.scope.franchisee_id.clone(),
                        location_id: new.scope.location_id.clone(),
                        provider: new.provider,
                        environment: new.environment,
                        status: new.status,
                        scopes: new.scopes,
                        expires_at: None,
                        last_refreshed_at: None,
                        last_error: None,
                        created_at: at,
                        updated_at: at,
                    };
                    let mut tx = self.writer.begin().await?;
                    sqlx::query(
                        "INSERT INTO connections (network_id, id, franchisee_id, location_id, provider, environment, \
                         status, scopes, credentials, credentials_version, created_by, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                    )
                    .bind(connection.network_id.as_str())
                    .bind(connection.id.as_str())
                    .bind(opt(connection.franchisee_id.as_ref()))
                    .bind(opt(connection.location_id.as_ref()))
                    .bind(&connection.provider)
                    .bind(&connection.environment)
                    .bind(connection.status.as_str())
                    .bind(connection.scopes.join(" "))
                    .bind(new.sealed_credentials.as_deref())
                    .bind(i64::from(new.sealed_credentials.is_some()))
                    .bind(ctx.actor.id())
                    .bind(at)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                    append_event(&mut tx, &connection.network_id, id, "created", connection.status.as_str()).await?;
                    let details = json!({ "provider": connection.provider, "environment": connection.environment });
                    append_audit(&mut tx, &connection.network_id, connection_event(ctx, "connection.create", &connection, details)).await?;
                    tx.commit().await?;
                    Ok(connection)
                }

                async fn get_connection(&self, scope: &TenantScope, id: &ConnectionId) -> StoreResult<Connection> {
                    let mut tx = self.reader.begin().await?;
                    let connection = fetch_connection(&mut tx, scope, id).await?;
                    tx.commit().await?;
                    Ok(connection)
                }

                async fn list_connections(&self, scope: &TenantScope, page: &PageRequest) -> StoreResult<Page<Connection>> {
                    let rows: Vec<ConnectionRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        connection_columns!(),
                        " FROM connections WHERE network_id = $1 AND ($2 IS NULL OR franchisee_id = $2) \
                         AND ($3 IS NULL OR location_id = $3) AND ($4 IS NULL OR id > $4) ORDER BY id LIMIT $5"
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(opt(scope.location_id.as_ref()))
                    .bind(page.after.as_deref())
                    .bind(i64::from(page.limit) + 1)
                    .fetch_all(&self.reader)
                    .await?;
                    Ok(Page::from_rows(convert_all(rows)?, page.limit, |c: &Connection| c.id.to_string()))
                }

                async fn all_connection_ids(&self) -> StoreResult<Vec<(NetworkId, ConnectionId)>> {
                    let rows: Vec<(String, String)> =
                        sqlx::query_as("SELECT network_id, id FROM connections ORDER BY network_id, id")
                            .fetch_all(&self.reader)
                            .await?;
                    rows.into_iter()
                        .map(|(network, id)| {
                            let corrupt = || StoreError::Corrupt(format!("connections row `{network}/{id}`"));
                            Ok((NetworkId::parse(&network).map_err(|_| corrupt())?, ConnectionId::parse(&id).map_err(|_| corrupt())?))
                        })
                        .collect()
                }

                async fn connections_expiring_before(&self, before: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Connection>> {
                    let rows: Vec<ConnectionRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        connection_columns!(),
                        " FROM connections WHERE status = 'active' AND expires_at IS NOT NULL AND expires_at < $1 \
                         ORDER BY expires_at LIMIT $2"
                    ))
                    .bind(before)
                    .bind(i64::from(limit))
                    .fetch_all(&self.reader)
                    .await?;
                    convert_all(rows)
                }

                async fn connections_refreshed_before(
                    &self,
                    provider: &str,
                    before: DateTime<Utc>,
                    limit: u32,
                ) -> StoreResult<Vec<Connection>> {
                    let rows: Vec<ConnectionRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        connection_columns!(),
                        " FROM connections WHERE status = 'active' AND provider = $1 \
                         AND COALESCE(last_refreshed_at, created_at) < $2 ORDER BY id LIMIT $3"
                    ))
                    .bind(provider)
                    .bind(before)
                    .bind(i64::from(limit))
                    .fetch_all(&self.reader)
                    .await?;
                    convert_all(rows)
                }

                async fn read_credentials(
                    &self,
                    network_id: &NetworkId,
                    id: &ConnectionId,
                    ctx: &ChangeContext,
                ) -> StoreResult<StoredCredentials> {
                    let mut tx = self.writer.begin().await?;
                    let scope = TenantScope::network(network_id.clone());
                    let connection = fetch_connection(&mut tx, &scope, id).await?;
                    let (sealed, version): (Option<String>, i64) = sqlx::query_as(
                        "SELECT credentials, credentials_version FROM connections WHERE network_id = $1 AND id = $2",
                    )
                    .bind(network_id.as_str())
                    .bind(id.as_str())
                    .fetch_one(&mut *tx)
                    .await?;
                    let details = json!({ "version": version });
                    append_audit(&mut tx, network_id, connection_event(ctx, "connection.credentials.read", &connection, details)).await?;
                    tx.commit().await?;
                    Ok(StoredCredentials { sealed, version, expires_at: connection.expires_at, status: connection.status })
                }

                async fn save_credentials(
                    &self,
                    network_id: &NetworkId,
                    id: &ConnectionId,
                    ctx: &ChangeContext,
                    update: CredentialUpdate,
                ) -> StoreResult<Connection> {
                    let mut tx = self.writer.begin().await?;
                    let at = now();
                    let scopes = update.scopes.as_ref().map(|scopes| scopes.join(" "));
                    let written = sqlx::query(
                        "UPDATE connections SET credentials = $3, credentials_version = credentials_version + 1, \
                         expires_at = $4, scopes = COALESCE($5, scopes), status = 'active', last_error = NULL, \
                         last_refreshed_at = $6, refresh_lease_owner = NULL, refresh_lease_until = NULL, updated_at = $6 \
                         WHERE network_id = $1 AND id = $2 AND credentials_version = $7 AND status <> 'revoked'",
                    )
                    .bind(network_id.as_str())
                    .bind(id.as_str())
                    .bind(&update.sealed)
                    .bind(update.expires_at)
                    .bind(scopes)
                    .bind(at)
                    .bind(update.expected_version)
                    .execute(&mut *tx)
                    .await?;
                    if written.rows_affected() != 1 {
                        return Err(StoreError::conflict("the connection's credentials changed meanwhile (or it was revoked)"));
                    }
                    let connection = fetch_connection(&mut tx, &TenantScope::network(network_id.clone()), id).await?;
                    append_event(&mut tx, network_id, id, update.event, "").await?;
                    let details = json!({ "expires_at": connection.expires_at, "scopes": connection.scopes });
                    let action = format!("connection.{}", update.event);
                    append_audit(&mut tx, network_id, connection_event(ctx, &action, &connection, details)).await?;
                    tx.commit().await?;
                    Ok(connection)
                }

                async fn reseal_credentials(
                    &self,
                    network_id: &NetworkId,
                    id: &ConnectionId,
                    expected_version: i64,
                    sealed: &str,
                ) -> StoreResult<bool> {
                    let written = sqlx::query(
                        "UPDATE connections SET credentials = $3, credentials_version = credentials_version + 1 \
                         WHERE network_id = $1 AND id = $2 AND credentials_version = $4 AND credentials IS NOT NULL",
                    )
                    .bind(network_id.as_str())
                    .bind(id.as_str())
                    .bind(sealed)
                    .bind(expected_version)
                    .execute(&self.writer)
                    .await?;
                    Ok(written.rows_affected() == 1)
                }

                async fn set_connection_status(
                    &self,
                    network_id: &NetworkId,
                    id: &ConnectionId,
                    ctx: &ChangeContext,
                    change: StatusChange,
                ) -> StoreResult<Connection> {
                    let StatusChange { status, last_error, event: event_kind, clear_credentials } = change;
                    let mut tx = self.writer.begin().await?;
                    sqlx::query(
                        "UPDATE connections SET status = $3, last_error = $4, refresh_lease_owner = NULL, \
                         refresh_lease_until = NULL, updated_at = $5, \
                         credentials = CASE WHEN $6 THEN NULL ELSE credentials END, \
                         credentials_version = credentials_version + 1 \
                         WHERE network_id = $1 AND id = $2",
                    )
                    .bind(network_id.as_str())
                    .bind(id.as_str())
                    .bind(status.as_str())
                    .bind(last_error.as_deref())
                    .bind(now())
                    .bind(clear_credentials)
                    .execute(&mut *tx)
                    .await?;
                    let connection = fetch_connection(&mut tx, &TenantScope::network(network_id.clone()), id).await?;
                    append_event(&mut tx, network_id, id, event_kind, last_error.as_deref().unwrap_or("")).await?;
                    let details = json!({ "status": status.as_str(), "reason": last_error });
                    let action = format!("connection.{event_kind}");
                    append_audit(&mut tx, network_id, connection_event(ctx, &action, &connection, details)).await?;
                    tx.commit().await?;
                    Ok(connection)
                }

                async fn try_acquire_refresh_lease(
                    &self,
                    network_id: &NetworkId,
                    id: &ConnectionId,
                    owner: &str,
                    until: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    let at = now();
                    let taken = sqlx::query(
                        "UPDATE connections SET refresh_lease_owner = $3, refresh_lease_until = $4, \
                         status = CASE WHEN status = 'active' THEN 'refreshing' ELSE status END \
                         WHERE network_id = $1 AND id = $2 AND (refresh_lease_until IS NULL OR refresh_lease_until < $5)",
                    )
                    .bind(network_id.as_str())
                    .bind(id.as_str())
                    .bind(owner)
                    .bind(until)
                    .bind(at)
                    .execute(&self.writer)
                    .await?;
                    Ok(taken.rows_affected() == 1)
                }

                async fn release_refresh_lease(&self, network_id: &NetworkId, id: &ConnectionId, owner: &str) -> StoreResult<()> {
                    sqlx::query(
                        "UPDATE connections SET refresh_lease_owner = NULL, refresh_lease_until = NULL, \
                         status = CASE WHEN status = 'refreshing' THEN 'active' ELSE status END \
                         WHERE network_id = $1 AND id = $2 AND refresh_lease_owner = $3",
                    )
                    .bind(network_id.as_str())
                    .bind(id.as_str())
                    .bind(owner)
                    .execute(&self.writer)
                    .await?;
                    Ok(())
                }

                async fn connection_events(
                    &self,
                    network_id: &NetworkId,
                    id: &ConnectionId,
                    limit: u32,
                ) -> StoreResult<Vec<ConnectionEvent>> {
                    let rows: Vec<(i64, String, String, DateTime<Utc>)> = sqlx::query_as(
                        "SELECT seq, kind, detail, at FROM connection_events WHERE network_id = $1 AND connection_id = $2 \
                         ORDER BY seq DESC LIMIT $3",
                    )
                    .bind(network_id.as_str())
                    .bind(id.as_str())
                    .bind(i64::from(limit))
                    .fetch_all(&self.reader)
                    .await?;
                    Ok(rows.into_iter().map(|(seq, kind, detail, at)| ConnectionEvent { seq, kind, detail, at }).collect())
                }

                async fn insert_oauth_state(&self, state: &OAuthState) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO oauth_states (state_hash, network_id, connection_id, started_by, sealed_verifier, \
                         redirect_uri, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(&state.state_hash)
                    .bind(state.network_id.as_str())
                    .bind(state.connection_id.as_str())
                    .bind(&state.started_by)
                    .bind(state.sealed_verifier.as_deref())
                    .bind(&state.redirect_uri)
                    .bind(state.expires_at)
                    .bind(now())
                    .execute(&self.writer)
                    .await?;
                    Ok(())
                }

                async fn take_oauth_state(
                    &self,
                    state_hash: &str,
                    at: DateTime<Utc>,
                ) -> StoreResult<Result<OAuthState, StateRejection>> {
                    let mut tx = self.writer.begin().await?;
                    type Row = (String, String, String, Option<String>, String, DateTime<Utc>, Option<DateTime<Utc>>);
                    let row: Option<Row> = sqlx::query_as(
                        "SELECT network_id, connection_id, started_by, sealed_verifier, redirect_uri, expires_at, used_at \
                         FROM oauth_states WHERE state_hash = $1",
                    )
                    .bind(state_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some((network, connection, started_by, sealed_verifier, redirect_uri, expires_at, used_at)) = row else {
                        return Ok(Err(StateRejection::Unknown));
                    };
                    if used_at.is_some() {
                        return Ok(Err(StateRejection::AlreadyUsed));
                    }
                    // Used even when expired, so an expired state can never be retried into use.
                    let marked = sqlx::query("UPDATE oauth_states SET used_at = $2 WHERE state_hash = $1 AND used_at IS NULL")
                        .bind(state_hash)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    if marked.rows_affected() != 1 {
                        return Ok(Err(StateRejection::AlreadyUsed));
                    }
                    if expires_at <= at {
                        return Ok(Err(StateRejection::Expired));
                    }
                    let corrupt = || StoreError::Corrupt(format!("oauth_states row for `{connection}`"));
                    Ok(Ok(OAuthState {
                        state_hash: state_hash.to_owned(),
                        network_id: NetworkId::parse(&network).map_err(|_| corrupt())?,
                        connection_id: ConnectionId::parse(&connection).map_err(|_| corrupt())?,
                        started_by,
                        sealed_verifier,
                        redirect_uri,
                        expires_at,
                    }))
                }

                async fn insert_connect_link(&self, token_hash: &str, link: &ConnectLink) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO connect_links (token_hash, network_id, id, connection_id, created_by, expires_at, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(token_hash)
                    .bind(link.network_id.as_str())
                    .bind(link.id.as_str())
                    .bind(link.connection_id.as_str())
                    .bind(&link.created_by)
                    .bind(link.expires_at)
                    .bind(now())
                    .execute(&self.writer)
                    .await?;
                    Ok(())
                }

                async fn find_connect_link(&self, token_hash: &str) -> StoreResult<Option<ConnectLink>> {
                    let row: Option<(String, String, String, String, DateTime<Utc>)> = sqlx::query_as(
                        "SELECT id, network_id, connection_id, created_by, expires_at FROM connect_links WHERE token_hash = $1",
                    )
                    .bind(token_hash)
                    .fetch_optional(&self.reader)
                    .await?;
                    let Some((id, network, connection, created_by, expires_at)) = row else { return Ok(None) };
                    let corrupt = || StoreError::Corrupt(format!("connect_links row `{id}`"));
                    Ok(Some(ConnectLink {
                        id: ConnectLinkId::parse(&id).map_err(|_| corrupt())?,
                        network_id: NetworkId::parse(&network).map_err(|_| corrupt())?,
                        connection_id: ConnectionId::parse(&connection).map_err(|_| corrupt())?,
                        created_by,
                        expires_at,
                    }))
                }

                async fn provider_settings(&self, network_id: &NetworkId, provider: &str) -> StoreResult<Option<ProviderSettingsRecord>> {
                    let row: Option<(String, Option<String>, DateTime<Utc>)> = sqlx::query_as(
                        "SELECT settings, sealed_client_secret, updated_at FROM provider_settings \
                         WHERE network_id = $1 AND provider = $2",
                    )
                    .bind(network_id.as_str())
                    .bind(provider)
                    .fetch_optional(&self.reader)
                    .await?;
                    let Some((settings, sealed_client_secret, updated_at)) = row else { return Ok(None) };
                    let settings = serde_json::from_str(&settings)
                        .map_err(|_| StoreError::Corrupt(format!("provider_settings for `{provider}`")))?;
                    Ok(Some(ProviderSettingsRecord { provider: provider.to_owned(), settings, sealed_client_secret, updated_at }))
                }

                async fn list_provider_settings(&self, network_id: &NetworkId) -> StoreResult<Vec<ProviderSettingsRecord>> {
                    let rows: Vec<(String, String, Option<String>, DateTime<Utc>)> = sqlx::query_as(
                        "SELECT provider, settings, sealed_client_secret, updated_at FROM provider_settings \
                         WHERE network_id = $1 ORDER BY provider",
                    )
                    .bind(network_id.as_str())
                    .fetch_all(&self.reader)
                    .await?;
                    rows.into_iter()
                        .map(|(provider, settings, sealed_client_secret, updated_at)| {
                            let settings = serde_json::from_str(&settings)
                                .map_err(|_| StoreError::Corrupt(format!("provider_settings for `{provider}`")))?;
                            Ok(ProviderSettingsRecord { provider, settings, sealed_client_secret, updated_at })
                        })
                        .collect()
                }

                async fn put_provider_settings(
                    &self,
                    network_id: &NetworkId,
                    ctx: &ChangeContext,
                    record: &ProviderSettingsRecord,
                ) -> StoreResult<()> {
                    let mut tx = self.writer.begin().await?;
                    sqlx::query(
                        "INSERT INTO provider_settings (network_id, provider, settings, sealed_client_secret, updated_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (network_id, provider) DO UPDATE SET \
                         settings = excluded.settings, sealed_client_secret = excluded.sealed_client_secret, \
                         updated_at = excluded.updated_at",
                    )
                    .bind(network_id.as_str())
                    .bind(&record.provider)
                    .bind(record.settings.to_string())
                    .bind(record.sealed_client_secret.as_deref())
                    .bind(record.updated_at)
                    .execute(&mut *tx)
                    .await?;
                    let details = json!({ "settings": record.settings, "client_secret_set": record.sealed_client_secret.is_some() });
                    append_audit(&mut tx, network_id, event(ctx, "provider_settings.update", &record.provider, None, None, details)).await?;
                    tx.commit().await?;
                    Ok(())
                }
            }
        }
    };
}
pub(crate) use impl_connection_store;
