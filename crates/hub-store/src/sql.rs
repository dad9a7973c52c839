//! The SQL both backends share, written once as a macro and expanded for SQLite and PostgreSQL.
//!
//! Parameters are `$n` in every statement: PostgreSQL's own syntax, and SQLite reads `$n` as
//! "argument n". What differs between the backends (row locking for the audit head) is passed in.

macro_rules! location_columns {
    () => {
        "network_id, id, franchisee_id, territory_id, name, time_zone, created_at, updated_at"
    };
}
macro_rules! franchisee_columns {
    () => {
        "network_id, id, name, currency, created_at, updated_at"
    };
}
macro_rules! territory_columns {
    () => {
        "network_id, id, name, parent_id, created_at, updated_at"
    };
}
macro_rules! api_key_columns {
    () => {
        "network_id, id, role, franchisee_id, location_id, name, display_prefix, created_at, revoked_at"
    };
}
macro_rules! audit_columns {
    () => {
        "network_id, seq, id, at, actor_kind, actor_id, action, resource_type, resource_id, franchisee_id, \
         location_id, request_id, details, prev_hash, hash"
    };
}
pub(crate) use {api_key_columns, audit_columns, franchisee_columns, location_columns, territory_columns};

/// Implements [`crate::Store`] for `$store`, which has `reader` and `writer` pools of `$db`.
/// `$head_for_update` reads the audit head of network `$1` and locks it until commit where the
/// backend needs a lock (SQLite serialises writers already).
macro_rules! impl_sql_store {
    (store: $store:ident, db: $db:ty, backend: $backend:expr, head_for_update: $head_for_update:literal) => {
        use async_trait::async_trait;
        use chrono::Utc;
        use hub_core::access::{ApiKey, NewApiKey, TenantScope};
        use hub_core::audit::{AuditEntry, AuditEvent, GENESIS_HASH, truncate_to_micros};
        use hub_core::id::{ApiKeyId, FranchiseeId, LocationId, NetworkId, TerritoryId};
        use hub_core::page::{Page, PageRequest};
        use hub_core::tenancy::{
            Currency, Franchisee, FranchiseeChanges, Location, LocationChanges, Name, Network, NewFranchisee,
            NewLocation, NewTerritory, Territory, TerritoryChanges,
        };
        use serde_json::json;

        use crate::rows::{ApiKeyRow, AuditRow, FranchiseeRow, LocationRow, NetworkRow, TerritoryRow, convert_all};
        use crate::sql::{api_key_columns, audit_columns, franchisee_columns, location_columns, territory_columns};
        use crate::{Backend, ChangeContext, Store, StoreError, StoreResult};

        type Tx<'a> = sqlx::Transaction<'a, $db>;

        fn now() -> chrono::DateTime<Utc> {
            truncate_to_micros(Utc::now())
        }

        /// Appends one entry to the network's chain inside the caller's transaction.
        async fn append_audit(tx: &mut Tx<'_>, network_id: &NetworkId, event: AuditEvent) -> StoreResult<()> {
            let (seq, hash): (i64, String) =
                sqlx::query_as($head_for_update).bind(network_id.as_str()).fetch_one(&mut **tx).await?;
            let entry = AuditEntry::next(network_id.clone(), seq, &hash, now(), &event);
            sqlx::query(concat!(
                "INSERT INTO audit_log (",
                audit_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
            ))
            .bind(entry.network_id.as_str())
            .bind(entry.seq)
            .bind(entry.id.as_str())
            .bind(entry.at)
            .bind(&entry.actor_kind)
            .bind(&entry.actor_id)
            .bind(&entry.action)
            .bind(&entry.resource_type)
            .bind(&entry.resource_id)
            .bind(entry.franchisee_id.as_ref().map(|id| id.as_str()))
            .bind(entry.location_id.as_ref().map(|id| id.as_str()))
            .bind(entry.request_id.as_deref())
            .bind(&entry.details)
            .bind(&entry.prev_hash)
            .bind(&entry.hash)
            .execute(&mut **tx)
            .await?;
            sqlx::query("UPDATE audit_heads SET seq = $2, hash = $3 WHERE network_id = $1")
                .bind(network_id.as_str())
                .bind(entry.seq)
                .bind(&entry.hash)
                .execute(&mut **tx)
                .await?;
            Ok(())
        }

        fn event(
            ctx: &ChangeContext,
            action: &str,
            resource_id: &str,
            franchisee_id: Option<&FranchiseeId>,
            location_id: Option<&LocationId>,
            details: serde_json::Value,
        ) -> AuditEvent {
            AuditEvent {
                actor: ctx.actor.clone(),
                action: action.to_owned(),
                resource_type: action.split('.').next().unwrap_or(action).to_owned(),
                resource_id: resource_id.to_owned(),
                franchisee_id: franchisee_id.cloned(),
                location_id: location_id.cloned(),
                request_id: ctx.request_id.clone(),
                details,
            }
        }

        fn require_network_scope(scope: &TenantScope, what: &'static str) -> StoreResult<()> {
            if scope.franchisee_id.is_some() { Err(StoreError::OutOfScope { what }) } else { Ok(()) }
        }

        fn opt(id: Option<&impl AsRef<str>>) -> Option<&str> {
            id.map(|id| id.as_ref())
        }

        async fn fetch_location(tx: &mut Tx<'_>, scope: &TenantScope, id: &LocationId) -> StoreResult<Location> {
            let row: Option<LocationRow> = sqlx::query_as(concat!(
                "SELECT ",
                location_columns!(),
                " FROM locations WHERE network_id = $1 AND id = $2 AND ($3 IS NULL OR franchisee_id = $3) \
                 AND ($4 IS NULL OR id = $4)"
            ))
            .bind(scope.network_id.as_str())
            .bind(id.as_str())
            .bind(opt(scope.franchisee_id.as_ref()))
            .bind(opt(scope.location_id.as_ref()))
            .fetch_optional(&mut **tx)
            .await?;
            row.ok_or(StoreError::NotFound { resource: "location" })?.try_into()
        }

        async fn fetch_api_key(tx: &mut Tx<'_>, scope: &TenantScope, id: &ApiKeyId) -> StoreResult<ApiKey> {
            let row: Option<ApiKeyRow> = sqlx::query_as(concat!(
                "SELECT ",
                api_key_columns!(),
                " FROM api_keys WHERE network_id = $1 AND id = $2 AND ($3 IS NULL OR franchisee_id = $3) \
                 AND ($4 IS NULL OR location_id = $4)"
            ))
            .bind(scope.network_id.as_str())
            .bind(id.as_str())
            .bind(opt(scope.franchisee_id.as_ref()))
            .bind(opt(scope.location_id.as_ref()))
            .fetch_optional(&mut **tx)
            .await?;
            row.ok_or(StoreError::NotFound { resource: "api key" })?.try_into()
        }

        async fn fetch_franchisee(tx: &mut Tx<'_>, scope: &TenantScope, id: &FranchiseeId) -> StoreResult<Franchisee> {
            let row: Option<FranchiseeRow> = sqlx::query_as(concat!(
                "SELECT ",
                franchisee_columns!(),
                " FROM franchisees WHERE network_id = $1 AND id = $2 AND ($3 IS NULL OR id = $3)"
            ))
            .bind(scope.network_id.as_str())
            .bind(id.as_str())
            .bind(opt(scope.franchisee_id.as_ref()))
            .fetch_optional(&mut **tx)
            .await?;
            row.ok_or(StoreError::NotFound { resource: "franchisee" })?.try_into()
        }

        async fn fetch_territory(tx: &mut Tx<'_>, network_id: &NetworkId, id: &TerritoryId) -> StoreResult<Territory> {
            let row: Option<TerritoryRow> = sqlx::query_as(concat!(
                "SELECT ",
                territory_columns!(),
                " FROM territories WHERE network_id = $1 AND id = $2"
            ))
            .bind(network_id.as_str())
            .bind(id.as_str())
            .fetch_optional(&mut **tx)
            .await?;
            row.ok_or(StoreError::NotFound { resource: "territory" })?.try_into()
        }

        /// A territory reference from a request body: it must exist in the network.
        async fn check_territory_reference(
            tx: &mut Tx<'_>,
            network_id: &NetworkId,
            field: &str,
            id: Option<&TerritoryId>,
        ) -> StoreResult<()> {
            match id {
                Some(id) => match fetch_territory(tx, network_id, id).await {
                    Err(StoreError::NotFound { .. }) => Err(StoreError::unknown_reference(field, "territory")),
                    other => other.map(drop),
                },
                None => Ok(()),
            }
        }

        async fn revoke_keys_where(
            tx: &mut Tx<'_>,
            network_id: &NetworkId,
            franchisee_id: Option<&FranchiseeId>,
            location_id: Option<&LocationId>,
        ) -> StoreResult<u64> {
            let done = sqlx::query(
                "UPDATE api_keys SET revoked_at = $4 WHERE network_id = $1 AND revoked_at IS NULL \
                 AND ($2 IS NULL OR franchisee_id = $2) AND ($3 IS NULL OR location_id = $3)",
            )
            .bind(network_id.as_str())
            .bind(opt(franchisee_id))
            .bind(opt(location_id))
            .bind(now())
            .execute(&mut **tx)
            .await?;
            Ok(done.rows_affected())
        }

        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> Backend {
                $backend
            }

            async fn migrate(&self) -> StoreResult<()> {
                self.run_migrations().await
            }

            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.reader).await?;
                Ok(())
            }

            async fn create_network(&self, ctx: &ChangeContext, name: Name, currency: Currency) -> StoreResult<Network> {
                let network =
                    Network { id: NetworkId::new(), name, currency, created_at: now() };
                let mut tx = self.writer.begin().await?;
                sqlx::query("INSERT INTO networks (id, name, currency, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(network.id.as_str())
                    .bind(network.name.as_str())
                    .bind(network.currency.as_str())
                    .bind(network.created_at)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO audit_heads (network_id, seq, hash) VALUES ($1, 0, $2)")
                    .bind(network.id.as_str())
                    .bind(GENESIS_HASH)
                    .execute(&mut *tx)
                    .await?;
                let details = json!({ "name": network.name.as_str(), "currency": network.currency.as_str() });
                append_audit(&mut tx, &network.id, event(ctx, "network.create", network.id.as_str(), None, None, details))
                    .await?;
                tx.commit().await?;
                Ok(network)
            }

            async fn get_network(&self, id: &NetworkId) -> StoreResult<Network> {
                let row: Option<NetworkRow> =
                    sqlx::query_as("SELECT id, name, currency, created_at FROM networks WHERE id = $1")
                        .bind(id.as_str())
                        .fetch_optional(&self.reader)
                        .await?;
                row.ok_or(StoreError::NotFound { resource: "network" })?.try_into()
            }

            async fn list_networks(&self) -> StoreResult<Vec<Network>> {
                let rows: Vec<NetworkRow> =
                    sqlx::query_as("SELECT id, name, currency, created_at FROM networks ORDER BY id")
                        .fetch_all(&self.reader)
                        .await?;
                convert_all(rows)
            }

            async fn create_franchisee(
                &self,
                scope: &TenantScope,
                ctx: &ChangeContext,
                new: NewFranchisee,
            ) -> StoreResult<Franchisee> {
                require_network_scope(scope, "franchisees")?;
                let at = now();
                let franchisee = Franchisee {
                    id: FranchiseeId::new(),
                    network_id: scope.network_id.clone(),
                    name: new.name,
                    currency: new.currency,
                    created_at: at,
                    updated_at: at,
                };
                let mut tx = self.writer.begin().await?;
                sqlx::query(concat!(
                    "INSERT INTO franchisees (",
                    franchisee_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6)"
                ))
                .bind(franchisee.network_id.as_str())
                .bind(franchisee.id.as_str())
                .bind(franchisee.name.as_str())
                .bind(franchisee.currency.as_str())
                .bind(at)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(|error| name_conflict(error, "franchisee"))?;
                let details = json!({ "name": franchisee.name.as_str(), "currency": franchisee.currency.as_str() });
                let entry = event(ctx, "franchisee.create", franchisee.id.as_str(), Some(&franchisee.id), None, details);
                append_audit(&mut tx, &scope.network_id, entry).await?;
                tx.commit().await?;
                Ok(franchisee)
            }

            async fn get_franchisee(&self, scope: &TenantScope, id: &FranchiseeId) -> StoreResult<Franchisee> {
                let mut tx = self.reader.begin().await?;
                let franchisee = fetch_franchisee(&mut tx, scope, id).await?;
                tx.commit().await?;
                Ok(franchisee)
            }

            async fn list_franchisees(&self, scope: &TenantScope, page: &PageRequest) -> StoreResult<Page<Franchisee>> {
                let rows: Vec<FranchiseeRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    franchisee_columns!(),
                    " FROM franchisees WHERE network_id = $1 AND ($2 IS NULL OR id = $2) \
                     AND ($3 IS NULL OR id > $3) ORDER BY id LIMIT $4"
                ))
                .bind(scope.network_id.as_str())
                .bind(opt(scope.franchisee_id.as_ref()))
                .bind(page.after.as_deref())
                .bind(i64::from(page.limit) + 1)
                .fetch_all(&self.reader)
                .await?;
                Ok(Page::from_rows(convert_all(rows)?, page.limit, |f: &Franchisee| f.id.to_string()))
            }

            async fn update_franchisee(
                &self,
                scope: &TenantScope,
                ctx: &ChangeContext,
                id: &FranchiseeId,
                changes: FranchiseeChanges,
            ) -> StoreResult<Franchisee> {
                let mut tx = self.writer.begin().await?;
                let mut franchisee = fetch_franchisee(&mut tx, scope, id).await?;
                let details = json!({
                    "name": changes.name.as_ref().map(|n| n.as_str()),
                    "currency": changes.currency.as_ref().map(|c| c.as_str()),
                });
                if let Some(name) = changes.name {
                    franchisee.name = name;
                }
                if let Some(currency) = changes.currency {
                    franchisee.currency = currency;
                }
                franchisee.updated_at = now();
                sqlx::query(
                    "UPDATE franchisees SET name = $3, currency = $4, updated_at = $5 WHERE network_id = $1 AND id = $2",
                )
                .bind(scope.network_id.as_str())
                .bind(id.as_str())
                .bind(franchisee.name.as_str())
                .bind(franchisee.currency.as_str())
                .bind(franchisee.updated_at)
                .execute(&mut *tx)
                .await
                .map_err(|error| name_conflict(error, "franchisee"))?;
                append_audit(&mut tx, &scope.network_id, event(ctx, "franchisee.update", id.as_str(), Some(id), None, details))
                    .await?;
                tx.commit().await?;
                Ok(franchisee)
            }

            async fn delete_franchisee(&self, scope: &TenantScope, ctx: &ChangeContext, id: &FranchiseeId) -> StoreResult<()> {
                require_network_scope(scope, "franchisees")?;
                let mut tx = self.writer.begin().await?;
                let franchisee = fetch_franchisee(&mut tx, scope, id).await?;
                let (locations,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM locations WHERE network_id = $1 AND franchisee_id = $2")
                        .bind(scope.network_id.as_str())
                        .bind(id.as_str())
                        .fetch_one(&mut *tx)
                        .await?;
                if locations > 0 {
                    return Err(StoreError::conflict(format!(
                        "franchisee still owns {locations} location(s); delete or move them first"
                    )));
                }
                let revoked = revoke_keys_where(&mut tx, &scope.network_id, Some(id), None).await?;
                sqlx::query("DELETE FROM franchisees WHERE network_id = $1 AND id = $2")
                    .bind(scope.network_id.as_str())
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await?;
                let details = json!({ "name": franchisee.name.as_str(), "revoked_keys": revoked });
                append_audit(&mut tx, &scope.network_id, event(ctx, "franchisee.delete", id.as_str(), Some(id), None, details))
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_territory(
                &self,
                scope: &TenantScope,
                ctx: &ChangeContext,
                new: NewTerritory,
            ) -> StoreResult<Territory> {
                require_network_scope(scope, "territories")?;
                let at = now();
                let territory = Territory {
                    id: TerritoryId::new(),
                    network_id: scope.network_id.clone(),
                    name: new.name,
                    parent_id: new.parent_id,
                    created_at: at,
                    updated_at: at,
                };
                let mut tx = self.writer.begin().await?;
                check_territory_reference(&mut tx, &scope.network_id, "parent_id", territory.parent_id.as_ref()).await?;
                sqlx::query(concat!(
                    "INSERT INTO territories (",
                    territory_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6)"
                ))
                .bind(territory.network_id.as_str())
                .bind(territory.id.as_str())
                .bind(territory.name.as_str())
                .bind(opt(territory.parent_id.as_ref()))
                .bind(at)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(|error| name_conflict(error, "territory"))?;
                let details = json!({ "name": territory.name.as_str(), "parent_id": territory.parent_id });
                append_audit(&mut tx, &scope.network_id, event(ctx, "territory.create", territory.id.as_str(), None, None, details))
                    .await?;
                tx.commit().await?;
                Ok(territory)
            }

            async fn get_territory(&self, scope: &TenantScope, id: &TerritoryId) -> StoreResult<Territory> {
                let mut tx = self.reader.begin().await?;
                let territory = fetch_territory(&mut tx, &scope.network_id, id).await?;
                tx.commit().await?;
                Ok(territory)
            }

            async fn list_territories(&self, scope: &TenantScope, page: &PageRequest) -> StoreResult<Page<Territory>> {
                let rows: Vec<TerritoryRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    territory_columns!(),
                    " FROM territories WHERE network_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"
                ))
                .bind(scope.network_id.as_str())
                .bind(page.after.as_deref())
                .bind(i64::from(page.limit) + 1)
                .fetch_all(&self.reader)
                .await?;
                Ok(Page::from_rows(convert_all(rows)?, page.limit, |t: &Territory| t.id.to_string()))
            }

            async fn update_territory(
                &self,
                scope: &TenantScope,
                ctx: &ChangeContext,
                id: &TerritoryId,
                changes: TerritoryChanges,
            ) -> StoreResult<Territory> {
                require_network_scope(scope, "territories")?;
                let mut tx = self.writer.begin().await?;
                let mut territory = fetch_territory(&mut tx, &scope.network_id, id).await?;
                let details = json!({
                    "name": changes.name.as_ref().map(|n| n.as_str()),
                    "parent_id": changes.parent_id,
                });
                if let Some(name) = changes.name {
                    territory.name = name;
                }
                if let Some(parent_id) = changes.parent_id {
                    check_territory_reference(&mut tx, &scope.network_id, "parent_id", parent_id.as_ref()).await?;
                    // Walk up from the new parent: meeting this territory would make a cycle.
                    let mut ancestor = parent_id.clone();
                    while let Some(current) = ancestor {
                        if &current == id {
                            return Err(StoreError::Invalid(
                                hub_core::ValidationError::new("would put the territory inside itself")
                                    .for_field("parent_id"),
                            ));
                        }
                        ancestor = fetch_territory(&mut tx, &scope.network_id, &current).await?.parent_id;
                    }
                    territory.parent_id = parent_id;
                }
                territory.updated_at = now();
                sqlx::query(
                    "UPDATE territories SET name = $3, parent_id = $4, updated_at = $5 WHERE network_id = $1 AND id = $2",
                )
                .bind(scope.network_id.as_str())
                .bind(id.as_str())
                .bind(territory.name.as_str())
                .bind(opt(territory.parent_id.as_ref()))
                .bind(territory.updated_at)
                .execute(&mut *tx)
                .await
                .map_err(|error| name_conflict(error, "territory"))?;
                append_audit(&mut tx, &scope.network_id, event(ctx, "territory.update", id.as_str(), None, None, details)).await?;
                tx.commit().await?;
                Ok(territory)
            }

            async fn delete_territory(&self, scope: &TenantScope, ctx: &ChangeContext, id: &TerritoryId) -> StoreResult<()> {
                require_network_scope(scope, "territories")?;
                let mut tx = self.writer.begin().await?;
                let territory = fetch_territory(&mut tx, &scope.network_id, id).await?;
                let (members,): (i64,) = sqlx::query_as(
                    "SELECT (SELECT COUNT(*) FROM locations WHERE network_id = $1 AND territory_id = $2) \
                     + (SELECT COUNT(*) FROM territories WHERE network_id = $1 AND parent_id = $2)",
                )
                .bind(scope.network_id.as_str())
                .bind(id.as_str())
                .fetch_one(&mut *tx)
                .await?;
                if members > 0 {
                    return Err(StoreError::conflict(
                        "territory still holds locations or territories; move them first",
                    ));
                }
                sqlx::query("DELETE FROM territories WHERE network_id = $1 AND id = $2")
                    .bind(scope.network_id.as_str())
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await?;
                let details = json!({ "name": territory.name.as_str() });
                append_audit(&mut tx, &scope.network_id, event(ctx, "territory.delete", id.as_str(), None, None, details)).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_location(
                &self,
                scope: &TenantScope,
                ctx: &ChangeContext,
                new: NewLocation,
            ) -> StoreResult<Location> {
                if scope.location_id.is_some() {
                    return Err(StoreError::OutOfScope { what: "locations" });
                }
                let mut tx = self.writer.begin().await?;
                match fetch_franchisee(&mut tx, scope, &new.franchisee_id).await {
                    Err(StoreError::NotFound { .. }) => {
                        return Err(StoreError::unknown_reference("franchisee_id", "franchisee"));
                    }
                    other => other?,
                };
                check_territory_reference(&mut tx, &scope.network_id, "territory_id", new.territory_id.as_ref()).await?;
                let at = now();
                let location = Location {
                    id: LocationId::new(),
                    network_id: scope.network_id.clone(),
                    franchisee_id: new.franchisee_id,
                    territory_id: new.territory_id,
                    name: new.name,
                    time_zone: new.time_zone,
                    created_at: at,
                    updated_at: at,
                };
                sqlx::query(concat!(
                    "INSERT INTO locations (",
                    location_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                ))
                .bind(location.network_id.as_str())
                .bind(location.id.as_str())
                .bind(location.franchisee_id.as_str())
                .bind(opt(location.territory_id.as_ref()))
                .bind(location.name.as_str())
                .bind(location.time_zone.name())
                .bind(at)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                let details = json!({
                    "name": location.name.as_str(),
                    "time_zone": location.time_zone.name(),
                    "territory_id": location.territory_id,
                });
                let entry = event(
                    ctx,
                    "location.create",
                    location.id.as_str(),
                    Some(&location.franchisee_id),
                    Some(&location.id),
                    details,
                );
                append_audit(&mut tx, &scope.network_id, entry).await?;
                tx.commit().await?;
                Ok(location)
            }

            async fn get_location(&self, scope: &TenantScope, id: &LocationId) -> StoreResult<Location> {
                let mut tx = self.reader.begin().await?;
                let location = fetch_location(&mut tx, scope, id).await?;
                tx.commit().await?;
                Ok(location)
            }

            async fn list_locations(&self, scope: &TenantScope, page: &PageRequest) -> StoreResult<Page<Location>> {
                let rows: Vec<LocationRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    location_columns!(),
                    " FROM locations WHERE network_id = $1 AND ($2 IS NULL OR franchisee_id = $2) \
                     AND ($3 IS NULL OR id = $3) AND ($4 IS NULL OR id > $4) ORDER BY id LIMIT $5"
                ))
                .bind(scope.network_id.as_str())
                .bind(opt(scope.franchisee_id.as_ref()))
                .bind(opt(scope.location_id.as_ref()))
                .bind(page.after.as_deref())
                .bind(i64::from(page.limit) + 1)
                .fetch_all(&self.reader)
                .await?;
                Ok(Page::from_rows(convert_all(rows)?, page.limit, |l: &Location| l.id.to_string()))
            }

            async fn update_location(
                &self,
                scope: &TenantScope,
                ctx: &ChangeContext,
                id: &LocationId,
                changes: LocationChanges,
            ) -> StoreResult<Location> {
                let mut tx = self.writer.begin().await?;
                let mut location = fetch_location(&mut tx, scope, id).await?;
                let details = json!({
                    "name": changes.name.as_ref().map(|n| n.as_str()),
                    "time_zone": changes.time_zone.as_ref().map(|z| z.name()),
                    "territory_id": changes.territory_id,
                });
                if let Some(name) = changes.name {
                    location.name = name;
                }
                if let Some(time_zone) = changes.time_zone {
                    location.time_zone = time_zone;
                }
                if let Some(territory_id) = changes.territory_id {
                    check_territory_reference(&mut tx, &scope.network_id, "territory_id", territory_id.as_ref()).await?;
                    location.territory_id = territory_id;
                }
                location.updated_at = now();
                sqlx::query(
                    "UPDATE locations SET name = $3, time_zone = $4, territory_id = $5, updated_at = $6 \
                     WHERE network_id = $1 AND id = $2",
                )
                .bind(scope.network_id.as_str())
                .bind(id.as_str())
                .bind(location.name.as_str())
                .bind(location.time_zone.name())
                .bind(opt(location.territory_id.as_ref()))
                .bind(location.updated_at)
                .execute(&mut *tx)
                .await?;
                let entry =
                    event(ctx, "location.update", id.as_str(), Some(&location.franchisee_id), Some(id), details);
                append_audit(&mut tx, &scope.network_id, entry).await?;
                tx.commit().await?;
                Ok(location)
            }

            async fn delete_location(&self, scope: &TenantScope, ctx: &ChangeContext, id: &LocationId) -> StoreResult<()> {
                if scope.location_id.is_some() {
                    return Err(StoreError::OutOfScope { what: "locations" });
                }
                let mut tx = self.writer.begin().await?;
                let location = fetch_location(&mut tx, scope, id).await?;
                let revoked = revoke_keys_where(&mut tx, &scope.network_id, None, Some(id)).await?;
                sqlx::query("DELETE FROM locations WHERE network_id = $1 AND id = $2")
                    .bind(scope.network_id.as_str())
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await?;
                let details = json!({ "name": location.name.as_str(), "revoked_keys": revoked });
                let entry =
                    event(ctx, "location.delete", id.as_str(), Some(&location.franchisee_id), Some(id), details);
                append_audit(&mut tx, &scope.network_id, entry).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_api_key(&self, scope: &TenantScope, ctx: &ChangeContext, new: NewApiKey) -> StoreResult<ApiKey> {
                if !scope.contains(&new.scope) {
                    return Err(StoreError::OutOfScope { what: "api keys for that scope" });
                }
                let mut tx = self.writer.begin().await?;
                // The key's scope must name real things that belong together.
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
                let key = ApiKey {
                    id: ApiKeyId::new(),
                    network_id: new.scope.network_id.clone(),
                    role: new.role,
                    franchisee_id: new.scope.franchisee_id.clone(),
                    location_id: new.scope.location_id.clone(),
                    name: new.name,
                    display_prefix: new.display_prefix,
                    created_at: now(),
                    revoked_at: None,
                };
                sqlx::query(
                    "INSERT INTO api_keys (network_id, id, role, franchisee_id, location_id, name, display_prefix, \
                     secret_hash, hash_key_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(key.network_id.as_str())
                .bind(key.id.as_str())
                .bind(key.role.as_str())
                .bind(opt(key.franchisee_id.as_ref()))
                .bind(opt(key.location_id.as_ref()))
                .bind(key.name.as_deref())
                .bind(&key.display_prefix)
                .bind(&new.secret_hash)
                .bind(&new.hash_key_id)
                .bind(key.created_at)
                .execute(&mut *tx)
                .await?;
                let details = json!({ "role": key.role.as_str(), "name": key.name });
                let entry = event(
                    ctx,
                    "api_key.create",
                    key.id.as_str(),
                    key.franchisee_id.as_ref(),
                    key.location_id.as_ref(),
                    details,
                );
                append_audit(&mut tx, &key.network_id, entry).await?;
                tx.commit().await?;
                Ok(key)
            }

            async fn find_api_key_by_hash(&self, secret_hash: &str) -> StoreResult<Option<ApiKey>> {
                let row: Option<ApiKeyRow> =
                    sqlx::query_as(concat!("SELECT ", api_key_columns!(), " FROM api_keys WHERE secret_hash = $1"))
                        .bind(secret_hash)
                        .fetch_optional(&self.reader)
                        .await?;
                row.map(ApiKey::try_from).transpose()
            }

            async fn get_api_key(&self, scope: &TenantScope, id: &ApiKeyId) -> StoreResult<ApiKey> {
                let mut tx = self.reader.begin().await?;
                let key = fetch_api_key(&mut tx, scope, id).await?;
                tx.commit().await?;
                Ok(key)
            }

            async fn list_api_keys(&self, scope: &TenantScope, page: &PageRequest) -> StoreResult<Page<ApiKey>> {
                let rows: Vec<ApiKeyRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    api_key_columns!(),
                    " FROM api_keys WHERE network_id = $1 AND ($2 IS NULL OR franchisee_id = $2) \
                     AND ($3 IS NULL OR location_id = $3) AND ($4 IS NULL OR id > $4) ORDER BY id LIMIT $5"
                ))
                .bind(scope.network_id.as_str())
                .bind(opt(scope.franchisee_id.as_ref()))
                .bind(opt(scope.location_id.as_ref()))
                .bind(page.after.as_deref())
                .bind(i64::from(page.limit) + 1)
                .fetch_all(&self.reader)
                .await?;
                Ok(Page::from_rows(convert_all(rows)?, page.limit, |k: &ApiKey| k.id.to_string()))
            }

            async fn revoke_api_key(&self, scope: &TenantScope, ctx: &ChangeContext, id: &ApiKeyId) -> StoreResult<ApiKey> {
                let mut tx = self.writer.begin().await?;
                let mut key = fetch_api_key(&mut tx, scope, id).await?;
                if key.revoked_at.is_some() {
                    return Ok(key);
                }
                key.revoked_at = Some(now());
                sqlx::query("UPDATE api_keys SET revoked_at = $3 WHERE network_id = $1 AND id = $2")
                    .bind(scope.network_id.as_str())
                    .bind(id.as_str())
                    .bind(key.revoked_at)
                    .execute(&mut *tx)
                    .await?;
                let entry = event(
                    ctx,
                    "api_key.revoke",
                    id.as_str(),
                    key.franchisee_id.as_ref(),
                    key.location_id.as_ref(),
                    json!({ "role": key.role.as_str() }),
                );
                append_audit(&mut tx, &scope.network_id, entry).await?;
                tx.commit().await?;
                Ok(key)
            }

            async fn list_audit(&self, scope: &TenantScope, page: &PageRequest) -> StoreResult<Page<AuditEntry>> {
                let before: Option<i64> = page
                    .after
                    .as_deref()
                    .map(|key| {
                        key.parse().map_err(|_| {
                            StoreError::Invalid(
                                hub_core::ValidationError::new("is not a cursor this API returned").for_field("cursor"),
                            )
                        })
                    })
                    .transpose()?;
                let rows: Vec<AuditRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    audit_columns!(),
                    " FROM audit_log WHERE network_id = $1 AND ($2 IS NULL OR franchisee_id = $2) \
                     AND ($3 IS NULL OR location_id = $3) AND ($4 IS NULL OR seq < $4) ORDER BY seq DESC LIMIT $5"
                ))
                .bind(scope.network_id.as_str())
                .bind(opt(scope.franchisee_id.as_ref()))
                .bind(opt(scope.location_id.as_ref()))
                .bind(before)
                .bind(i64::from(page.limit) + 1)
                .fetch_all(&self.reader)
                .await?;
                Ok(Page::from_rows(convert_all(rows)?, page.limit, |e: &AuditEntry| e.seq.to_string()))
            }

            async fn audit_chain(&self, network_id: &NetworkId, after_seq: i64, limit: u32) -> StoreResult<Vec<AuditEntry>> {
                let rows: Vec<AuditRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    audit_columns!(),
                    " FROM audit_log WHERE network_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
                ))
                .bind(network_id.as_str())
                .bind(after_seq)
                .bind(i64::from(limit))
                .fetch_all(&self.reader)
                .await?;
                convert_all(rows)
            }

            async fn audit_head(&self, network_id: &NetworkId) -> StoreResult<Option<(i64, String)>> {
                Ok(sqlx::query_as("SELECT seq, hash FROM audit_heads WHERE network_id = $1")
                    .bind(network_id.as_str())
                    .fetch_optional(&self.reader)
                    .await?)
            }
        }

        /// A unique-name violation becomes a conflict that says which name.
        fn name_conflict(error: sqlx::Error, what: &str) -> StoreError {
            match StoreError::from(error) {
                StoreError::Conflict { .. } => StoreError::conflict(format!("a {what} with that name already exists")),
                other => other,
            }
        }
    };
}
pub(crate) use impl_sql_store;
