//! The SQL behind [`crate::WebhookStore`], written once and expanded for both backends (it reuses
//! `impl_sql_store!`'s helpers: `now`, `opt`, `Tx`, `append_audit`, `event`).
//!
//! Hot paths are batches: a group of inbound deliveries is one multi-row insert; a claim is one
//! `UPDATE … RETURNING` (PostgreSQL skips rows other nodes hold); a batch of delivery results is
//! one update, one insert into the attempts log and a statement per endpoint involved.

/// Implements [`crate::WebhookStore`] for `$store` (with `reader` and `writer` pools).
macro_rules! impl_webhook_store {
    (
        store: $store:ident,
        db: $db:ty,
        in_json: ($json_open:literal, $json_close:literal),
        rows: ($rows_open:literal, $rows_close:literal),
        in_ids: ($ids_open:literal, $ids_close:literal),
        instant: $instant:literal,
        claim_lock: $claim_lock:literal
    ) => {
        mod webhook_store {
            use super::*;
            use std::collections::{HashMap, HashSet};

            use chrono::DateTime;
            use hub_core::id::{WebhookEndpointId, WebhookEventId, WebhookSourceId};
            use hub_core::records::Change;

            use crate::records_rows::{ChangeRow, change_columns, instant_text};
            use crate::webhooks::{
                AttemptFilter, ChangeWithRecord, ClaimedDelivery, Delivery, DeliveryAttempt, DeliveryResult,
                DeliveryState, DisabledEndpoint, EmitBatch, EmitOutcome, EndpointScope, InboundEvent,
                InboundOutcome, InboundResult, NewInboundEvent, NewWebhookEndpoint, NewWebhookEvent,
                NewWebhookSource, PlatformOccurrence, SealedSecret, WebhookEndpoint, WebhookEvent, WebhookSource,
                WebhookStore, endpoint_matches,
            };
            use crate::webhooks_rows::{
                AttemptRow, ClaimRow, DeliveryRow, EndpointRow, EventRow, InboundRow, SourceRow, attempt_columns,
                delivery_columns, endpoint_columns, event_columns, inbound_columns, scope_columns, source_columns,
            };

            /// Rows per multi-row insert (well under both backends' bind-parameter limits).
            const INSERT_CHUNK: usize = 500;

            fn secrets_json(secrets: &[SealedSecret]) -> String {
                serde_json::to_string(secrets).expect("sealed secrets serialize: plain fields")
            }

            fn list_json<T: AsRef<str>>(items: &[T]) -> String {
                crate::jobs::json_list(items)
            }

            fn clip(text: &str) -> String {
                crate::jobs_rows::clip_error(text).to_owned()
            }

            async fn fetch_source(tx: &mut Tx<'_>, scope: &TenantScope, id: &WebhookSourceId) -> StoreResult<WebhookSource> {
                let row: Option<SourceRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    source_columns!(),
                    " FROM webhook_sources WHERE network_id = $1 AND id = $2 AND ($3 IS NULL OR franchisee_id = $3) \
                     AND ($4 IS NULL OR location_id = $4)"
                ))
                .bind(scope.network_id.as_str())
                .bind(id.as_str())
                .bind(opt(scope.franchisee_id.as_ref()))
                .bind(opt(scope.location_id.as_ref()))
                .fetch_optional(&mut **tx)
                .await?;
                row.ok_or(StoreError::NotFound { resource: "webhook source" })?.try_into()
            }

            async fn fetch_endpoint(
                tx: &mut Tx<'_>,
                scope: &TenantScope,
                id: &WebhookEndpointId,
            ) -> StoreResult<WebhookEndpoint> {
                let row: Option<EndpointRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    endpoint_columns!(),
                    " FROM webhook_endpoints WHERE network_id = $1 AND id = $2 AND ($3 IS NULL OR franchisee_id = $3) \
                     AND ($4 IS NULL OR location_id = $4)"
                ))
                .bind(scope.network_id.as_str())
                .bind(id.as_str())
                .bind(opt(scope.franchisee_id.as_ref()))
                .bind(opt(scope.location_id.as_ref()))
                .fetch_optional(&mut **tx)
                .await?;
                row.ok_or(StoreError::NotFound { resource: "webhook endpoint" })?.try_into()
            }

            /// Creates the deliveries of freshly stored events to every matching enabled endpoint.
            async fn fan_out(
                tx: &mut Tx<'_>,
                network_id: &NetworkId,
                events: &[(&str, &NewWebhookEvent)],
                at: DateTime<Utc>,
            ) -> StoreResult<u64> {
                if events.is_empty() {
                    return Ok(0);
                }
                let rows: Vec<EndpointRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    endpoint_columns!(),
                    " FROM webhook_endpoints WHERE network_id = $1 AND status = 'enabled'"
                ))
                .bind(network_id.as_str())
                .fetch_all(&mut **tx)
                .await?;
                if rows.is_empty() {
                    return Ok(0);
                }
                let endpoints: Vec<WebhookEndpoint> = convert_all(rows)?;
                let (mut territory_of, mut parent_of) = (HashMap::new(), HashMap::new());
                if endpoints.iter().any(|endpoint| matches!(endpoint.scope, EndpointScope::Territory(_))) {
                    let locations: Vec<(String, String)> = sqlx::query_as(
                        "SELECT id, territory_id FROM locations WHERE network_id = $1 AND territory_id IS NOT NULL",
                    )
                    .bind(network_id.as_str())
                    .fetch_all(&mut **tx)
                    .await?;
                    territory_of.extend(locations);
                    let parents: Vec<(String, String)> = sqlx::query_as(
                        "SELECT id, parent_id FROM territories WHERE network_id = $1 AND parent_id IS NOT NULL",
                    )
                    .bind(network_id.as_str())
                    .fetch_all(&mut **tx)
                    .await?;
                    parent_of.extend(parents);
                }
                let mut deliveries = Vec::new();
                for (event_id, event) in events {
                    for endpoint in &endpoints {
                        if endpoint_matches(
                            &endpoint.scope,
                            &endpoint.event_types,
                            &event.event_type,
                            event.franchisee_id.as_ref().map(|id| id.as_str()),
                            event.location_id.as_ref().map(|id| id.as_str()),
                            &territory_of,
                            &parent_of,
                        ) {
                            deliveries.push((*event_id, *event, endpoint));
                        }
                    }
                }
                let created = deliveries.len() as u64;
                for chunk in deliveries.chunks(INSERT_CHUNK) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO webhook_deliveries (network_id, id, event_id, endpoint_id, event_type, \
                         franchisee_id, location_id, ordered, status, attempts, next_attempt_at, created_at) ",
                    );
                    insert.push_values(chunk, |mut row, (event_id, event, endpoint)| {
                        let (franchisee_id, location_id, _) = scope_columns(&endpoint.scope);
                        row.push_bind(network_id.to_string())
                            .push_bind(hub_core::id::DeliveryId::new().to_string())
                            .push_bind(event_id.to_string())
                            .push_bind(endpoint.id.to_string())
                            .push_bind(event.event_type.clone())
                            .push_bind(franchisee_id)
                            .push_bind(location_id)
                            .push_bind(endpoint.ordered)
                            .push_bind("pending")
                            .push_bind(0_i64)
                            .push_bind(at)
                            .push_bind(at);
                    });
                    insert.push(" ON CONFLICT DO NOTHING");
                    insert.build().execute(&mut **tx).await?;
                }
                Ok(created)
            }

            fn scope_ids(scope: &EndpointScope) -> (Option<hub_core::id::FranchiseeId>, Option<hub_core::id::LocationId>) {
                match scope {
                    EndpointScope::Franchisee(franchisee) => (Some(franchisee.clone()), None),
                    EndpointScope::Location { franchisee_id, location_id } => {
                        (Some(franchisee_id.clone()), Some(location_id.clone()))
                    }
                    EndpointScope::Network | EndpointScope::Territory(_) => (None, None),
                }
            }

            #[async_trait]
            impl WebhookStore for $store {
                async fn create_webhook_source(
                    &self,
                    scope: &TenantScope,
                    ctx: &ChangeContext,
                    new: NewWebhookSource,
                ) -> StoreResult<WebhookSource> {
                    let at = now();
                    let mut tx = self.writer.begin().await?;
                    let row: SourceRow = sqlx::query_as(concat!(
                        "INSERT INTO webhook_sources (network_id, id, provider, token_hash, connection_id, \
                         franchisee_id, location_id, notification_url, secrets, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING ",
                        source_columns!()
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(new.id.as_str())
                    .bind(&new.provider)
                    .bind(&new.token_hash)
                    .bind(opt(new.connection_id.as_ref()))
                    .bind(opt(new.franchisee_id.as_ref()))
                    .bind(opt(new.location_id.as_ref()))
                    .bind(new.notification_url.as_deref())
                    .bind(secrets_json(&new.secrets))
                    .bind(at)
                    .fetch_one(&mut *tx)
                    .await?;
                    let details = serde_json::json!({
                        "provider": new.provider,
                        "connection_id": new.connection_id,
                        "notification_url": new.notification_url,
                    });
                    append_audit(
                        &mut tx,
                        &scope.network_id,
                        event(
                            ctx,
                            "webhook_source.create",
                            new.id.as_str(),
                            new.franchisee_id.as_ref(),
                            new.location_id.as_ref(),
                            details,
                        ),
                    )
                    .await?;
                    tx.commit().await?;
                    row.try_into()
                }

                async fn get_webhook_source(&self, scope: &TenantScope, id: &WebhookSourceId) -> StoreResult<WebhookSource> {
                    let mut tx = self.reader.begin().await?;
                    let source = fetch_source(&mut tx, scope, id).await?;
                    tx.commit().await?;
                    Ok(source)
                }

                async fn list_webhook_sources(
                    &self,
                    scope: &TenantScope,
                    page: &PageRequest,
                ) -> StoreResult<Page<WebhookSource>> {
                    let rows: Vec<SourceRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        source_columns!(),
                        " FROM webhook_sources WHERE network_id = $1 AND ($2 IS NULL OR franchisee_id = $2) \
                         AND ($3 IS NULL OR location_id = $3) AND ($4 IS NULL OR id > $4) ORDER BY id LIMIT $5"
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(opt(scope.location_id.as_ref()))
                    .bind(page.after.as_deref())
                    .bind(i64::from(page.limit) + 1)
                    .fetch_all(&self.reader)
                    .await?;
                    let sources = convert_all(rows)?;
                    Ok(Page::from_rows(sources, page.limit, |source: &WebhookSource| source.id.to_string()))
                }

                async fn set_webhook_source_secrets(
                    &self,
                    scope: &TenantScope,
                    ctx: &ChangeContext,
                    id: &WebhookSourceId,
                    secrets: Vec<SealedSecret>,
                ) -> StoreResult<WebhookSource> {
                    let mut tx = self.writer.begin().await?;
                    let source = fetch_source(&mut tx, scope, id).await?;
                    let row: SourceRow = sqlx::query_as(concat!(
                        "UPDATE webhook_sources SET secrets = $3, updated_at = $4 WHERE network_id = $1 AND id = $2 RETURNING ",
                        source_columns!()
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(id.as_str())
                    .bind(secrets_json(&secrets))
                    .bind(now())
                    .fetch_one(&mut *tx)
                    .await?;
                    append_audit(
                        &mut tx,
                        &scope.network_id,
                        event(
                            ctx,
                            "webhook_source.rotate_secret",
                            id.as_str(),
                            source.franchisee_id.as_ref(),
                            source.location_id.as_ref(),
                            serde_json::json!({"secrets": secrets.len()}),
                        ),
                    )
                    .await?;
                    tx.commit().await?;
                    row.try_into()
                }

                async fn delete_webhook_source(
                    &self,
                    scope: &TenantScope,
                    ctx: &ChangeContext,
                    id: &WebhookSourceId,
                ) -> StoreResult<()> {
                    let mut tx = self.writer.begin().await?;
                    let source = fetch_source(&mut tx, scope, id).await?;
                    sqlx::query("DELETE FROM webhook_sources WHERE network_id = $1 AND id = $2")
                        .bind(scope.network_id.as_str())
                        .bind(id.as_str())
                        .execute(&mut *tx)
                        .await?;
                    append_audit(
                        &mut tx,
                        &scope.network_id,
                        event(
                            ctx,
                            "webhook_source.delete",
                            id.as_str(),
                            source.franchisee_id.as_ref(),
                            source.location_id.as_ref(),
                            serde_json::json!({"provider": source.provider}),
                        ),
                    )
                    .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn find_webhook_source_by_token(&self, token_hash: &str) -> StoreResult<Option<WebhookSource>> {
                    let row: Option<SourceRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        source_columns!(),
                        " FROM webhook_sources WHERE token_hash = $1"
                    ))
                    .bind(token_hash)
                    .fetch_optional(&self.reader)
                    .await?;
                    row.map(WebhookSource::try_from).transpose()
                }

                async fn audit_webhook_refusal(&self, source: &WebhookSource, reason: &str, refused: u64) -> StoreResult<()> {
                    let mut tx = self.writer.begin().await?;
                    let ctx = ChangeContext { actor: hub_core::access::Actor::System, request_id: None };
                    append_audit(
                        &mut tx,
                        &source.network_id,
                        event(
                            &ctx,
                            "webhook_source.refused",
                            source.id.as_str(),
                            source.franchisee_id.as_ref(),
                            source.location_id.as_ref(),
                            serde_json::json!({"provider": source.provider, "reason": clip(reason), "refused": refused}),
                        ),
                    )
                    .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn insert_inbound_events(&self, events: &[NewInboundEvent]) -> StoreResult<Vec<InboundOutcome>> {
                    // A key repeated inside the batch is stored once: the first copy wins.
                    let mut first: HashSet<(&str, &str, &str)> = HashSet::with_capacity(events.len());
                    let unique: Vec<&NewInboundEvent> = events
                        .iter()
                        .filter(|event| {
                            first.insert((event.network_id.as_str(), event.source_id.as_str(), event.dedup_key.as_str()))
                        })
                        .collect();
                    let mut stored: HashSet<String> = HashSet::with_capacity(unique.len());
                    let mut tx = self.writer.begin().await?;
                    for chunk in unique.chunks(INSERT_CHUNK / 2) {
                        let mut insert = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO inbound_events (network_id, id, source_id, provider, connection_id, dedup_key, \
                             event_ids, headers, body, status, received_at) ",
                        );
                        insert.push_values(chunk, |mut row, event| {
                            row.push_bind(event.network_id.to_string())
                                .push_bind(event.id.to_string())
                                .push_bind(event.source_id.to_string())
                                .push_bind(event.provider.clone())
                                .push_bind(event.connection_id.as_ref().map(|id| id.to_string()))
                                .push_bind(event.dedup_key.clone())
                                .push_bind(list_json(&event.event_ids))
                                .push_bind(event.headers.clone())
                                .push_bind(event.body.clone())
                                .push_bind("received")
                                .push_bind(event.received_at);
                        });
                        insert.push(" ON CONFLICT DO NOTHING RETURNING id");
                        let ids: Vec<(String,)> = insert.build_query_as().fetch_all(&mut *tx).await?;
                        stored.extend(ids.into_iter().map(|(id,)| id));
                    }
                    tx.commit().await?;
                    Ok(events
                        .iter()
                        .map(|event| {
                            if stored.remove(event.id.as_str()) { InboundOutcome::Stored } else { InboundOutcome::Duplicate }
                        })
                        .collect())
                }

                async fn claim_inbound_events(
                    &self,
                    limit: u32,
                    lease_until: DateTime<Utc>,
                ) -> StoreResult<Vec<InboundEvent>> {
                    let at = now();
                    let rows: Vec<InboundRow> = sqlx::query_as(concat!(
                        "UPDATE inbound_events SET leased_until = $2, attempts = attempts + 1 WHERE id",
                        $ids_open,
                        "SELECT id FROM inbound_events WHERE status = 'received' \
                         AND (leased_until IS NULL OR leased_until <= $1) ORDER BY received_at LIMIT $3",
                        $claim_lock,
                        $ids_close,
                        " RETURNING ",
                        inbound_columns!(),
                        ", body"
                    ))
                    .bind(at)
                    .bind(lease_until)
                    .bind(i64::from(limit))
                    .fetch_all(&self.writer)
                    .await?;
                    convert_all(rows)
                }

                async fn finish_inbound_events(
                    &self,
                    results: &[InboundResult],
                    retry_at: DateTime<Utc>,
                ) -> StoreResult<()> {
                    if results.is_empty() {
                        return Ok(());
                    }
                    let rows: Vec<serde_json::Value> = results
                        .iter()
                        .map(|result| {
                            let status = match (&result.error, result.give_up) {
                                (None, _) => "processed",
                                (Some(_), true) => "failed",
                                (Some(_), false) => "received",
                            };
                            serde_json::json!([
                                result.network_id.as_str(),
                                result.id.as_str(),
                                status,
                                result.error.as_deref().map(clip)
                            ])
                        })
                        .collect();
                    sqlx::query(concat!(
                        "UPDATE inbound_events SET status = v.value ->> 2, error = v.value ->> 3, \
                         leased_until = CASE WHEN v.value ->> 2 = 'received' THEN $3 END, \
                         processed_at = CASE WHEN v.value ->> 2 = 'received' THEN NULL ELSE $1 END FROM ",
                        $rows_open,
                        "$2",
                        $rows_close,
                        " WHERE inbound_events.network_id = v.value ->> 0 AND inbound_events.id = v.value ->> 1"
                    ))
                    .bind(now())
                    .bind(serde_json::Value::Array(rows).to_string())
                    .bind(truncate_to_micros(retry_at))
                    .execute(&self.writer)
                    .await?;
                    Ok(())
                }

                async fn purge_inbound_payloads(&self, before: DateTime<Utc>) -> StoreResult<u64> {
                    let done = sqlx::query(
                        "UPDATE inbound_events SET body = NULL, headers = NULL WHERE body IS NOT NULL AND received_at < $1 \
                         AND status <> 'received'",
                    )
                    .bind(truncate_to_micros(before))
                    .execute(&self.writer)
                    .await?;
                    Ok(done.rows_affected())
                }

                async fn list_inbound_events(
                    &self,
                    scope: &TenantScope,
                    source_id: &WebhookSourceId,
                    page: &PageRequest,
                ) -> StoreResult<Page<InboundEvent>> {
                    let mut tx = self.reader.begin().await?;
                    fetch_source(&mut tx, scope, source_id).await?;
                    let rows: Vec<InboundRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        inbound_columns!(),
                        " FROM inbound_events WHERE network_id = $1 AND source_id = $2 AND ($3 IS NULL OR id < $3) \
                         ORDER BY id DESC LIMIT $4"
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(source_id.as_str())
                    .bind(page.after.as_deref())
                    .bind(i64::from(page.limit) + 1)
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    let events = convert_all(rows)?;
                    Ok(Page::from_rows(events, page.limit, |event: &InboundEvent| event.id.to_string()))
                }

                async fn inbound_keys_present(&self, source_id: &WebhookSourceId, keys: &[String]) -> StoreResult<Vec<String>> {
                    let mut present = Vec::new();
                    for chunk in keys.chunks(5_000) {
                        let rows: Vec<(String,)> = sqlx::query_as(concat!(
                            "SELECT dedup_key FROM inbound_events WHERE source_id = $1 AND dedup_key",
                            $json_open,
                            "$2",
                            $json_close
                        ))
                        .bind(source_id.as_str())
                        .bind(list_json(chunk))
                        .fetch_all(&self.reader)
                        .await?;
                        present.extend(rows.into_iter().map(|(key,)| key));
                    }
                    Ok(present)
                }

                async fn create_webhook_endpoint(
                    &self,
                    scope: &TenantScope,
                    ctx: &ChangeContext,
                    new: NewWebhookEndpoint,
                ) -> StoreResult<WebhookEndpoint> {
                    let at = now();
                    let (franchisee_id, location_id, territory_id) = scope_columns(&new.scope);
                    let mut tx = self.writer.begin().await?;
                    let row: EndpointRow = sqlx::query_as(concat!(
                        "INSERT INTO webhook_endpoints (network_id, id, url, description, event_types, franchisee_id, \
                         location_id, territory_id, role, rate_limit_per_second, ordered, secrets, status, created_at, \
                         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'enabled', $13, $13) \
                         RETURNING ",
                        endpoint_columns!()
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(new.id.as_str())
                    .bind(&new.url)
                    .bind(new.description.as_deref())
                    .bind(list_json(&new.event_types))
                    .bind(franchisee_id)
                    .bind(location_id)
                    .bind(territory_id)
                    .bind(new.role.as_str())
                    .bind(new.rate_limit_per_second.map(i64::from))
                    .bind(new.ordered)
                    .bind(secrets_json(&new.secrets))
                    .bind(at)
                    .fetch_one(&mut *tx)
                    .await?;
                    let (audit_franchisee, audit_location) = scope_ids(&new.scope);
                    append_audit(
                        &mut tx,
                        &scope.network_id,
                        event(
                            ctx,
                            "webhook_endpoint.create",
                            new.id.as_str(),
                            audit_franchisee.as_ref(),
                            audit_location.as_ref(),
                            serde_json::json!({"url": new.url, "event_types": new.event_types, "role": new.role}),
                        ),
                    )
                    .await?;
                    tx.commit().await?;
                    row.try_into()
                }

                async fn get_webhook_endpoint(
                    &self,
                    scope: &TenantScope,
                    id: &WebhookEndpointId,
                ) -> StoreResult<WebhookEndpoint> {
                    let mut tx = self.reader.begin().await?;
                    let endpoint = fetch_endpoint(&mut tx, scope, id).await?;
                    tx.commit().await?;
                    Ok(endpoint)
                }

                async fn list_webhook_endpoints(
                    &self,
                    scope: &TenantScope,
                    page: &PageRequest,
                ) -> StoreResult<Page<WebhookEndpoint>> {
                    let rows: Vec<EndpointRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        endpoint_columns!(),
                        " FROM webhook_endpoints WHERE network_id = $1 AND ($2 IS NULL OR franchisee_id = $2) \
                         AND ($3 IS NULL OR location_id = $3) AND ($4 IS NULL OR id > $4) ORDER BY id LIMIT $5"
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(opt(scope.location_id.as_ref()))
                    .bind(page.after.as_deref())
                    .bind(i64::from(page.limit) + 1)
                    .fetch_all(&self.reader)
                    .await?;
                    let endpoints = convert_all(rows)?;
                    Ok(Page::from_rows(endpoints, page.limit, |endpoint: &WebhookEndpoint| endpoint.id.to_string()))
                }

                async fn endpoints_by_id(
                    &self,
                    ids: &[(NetworkId, WebhookEndpointId)],
                ) -> StoreResult<Vec<WebhookEndpoint>> {
                    let mut by_network: HashMap<&NetworkId, Vec<&str>> = HashMap::new();
                    for (network, id) in ids {
                        by_network.entry(network).or_default().push(id.as_str());
                    }
                    let mut endpoints = Vec::with_capacity(ids.len());
                    for (network, ids) in by_network {
                        let rows: Vec<EndpointRow> = sqlx::query_as(concat!(
                            "SELECT ",
                            endpoint_columns!(),
                            " FROM webhook_endpoints WHERE network_id = $1 AND id",
                            $json_open,
                            "$2",
                            $json_close
                        ))
                        .bind(network.as_str())
                        .bind(list_json(&ids))
                        .fetch_all(&self.reader)
                        .await?;
                        endpoints.extend(convert_all::<_, WebhookEndpoint>(rows)?);
                    }
                    Ok(endpoints)
                }

                async fn set_webhook_endpoint_secrets(
                    &self,
                    scope: &TenantScope,
                    ctx: &ChangeContext,
                    id: &WebhookEndpointId,
                    secrets: Vec<SealedSecret>,
                ) -> StoreResult<WebhookEndpoint> {
                    let mut tx = self.writer.begin().await?;
                    let endpoint = fetch_endpoint(&mut tx, scope, id).await?;
                    let row: EndpointRow = sqlx::query_as(concat!(
                        "UPDATE webhook_endpoints SET secrets = $3, updated_at = $4 WHERE network_id = $1 AND id = $2 \
                         RETURNING ",
                        endpoint_columns!()
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(id.as_str())
                    .bind(secrets_json(&secrets))
                    .bind(now())
                    .fetch_one(&mut *tx)
                    .await?;
                    let (franchisee, location) = scope_ids(&endpoint.scope);
                    append_audit(
                        &mut tx,
                        &scope.network_id,
                        event(
                            ctx,
                            "webhook_endpoint.rotate_secret",
                            id.as_str(),
                            franchisee.as_ref(),
                            location.as_ref(),
                            serde_json::json!({"secrets": secrets.len()}),
                        ),
                    )
                    .await?;
                    tx.commit().await?;
                    row.try_into()
                }

                async fn delete_webhook_endpoint(
                    &self,
                    scope: &TenantScope,
                    ctx: &ChangeContext,
                    id: &WebhookEndpointId,
                ) -> StoreResult<()> {
                    let mut tx = self.writer.begin().await?;
                    let endpoint = fetch_endpoint(&mut tx, scope, id).await?;
                    sqlx::query("DELETE FROM webhook_deliveries WHERE network_id = $1 AND endpoint_id = $2 AND status = 'pending'")
                        .bind(scope.network_id.as_str())
                        .bind(id.as_str())
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("DELETE FROM webhook_endpoints WHERE network_id = $1 AND id = $2")
                        .bind(scope.network_id.as_str())
                        .bind(id.as_str())
                        .execute(&mut *tx)
                        .await?;
                    let (franchisee, location) = scope_ids(&endpoint.scope);
                    append_audit(
                        &mut tx,
                        &scope.network_id,
                        event(
                            ctx,
                            "webhook_endpoint.delete",
                            id.as_str(),
                            franchisee.as_ref(),
                            location.as_ref(),
                            serde_json::json!({"url": endpoint.url}),
                        ),
                    )
                    .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn emit_webhook_events(&self, batch: EmitBatch) -> StoreResult<EmitOutcome> {
                    let at = now();
                    let network = batch.network_id.as_str();
                    let mut tx = self.writer.begin().await?;
                    if let Some((from, to)) = batch.cursor {
                        sqlx::query(
                            "INSERT INTO webhook_cursors (network_id, change_seq) VALUES ($1, 0) \
                             ON CONFLICT (network_id) DO NOTHING",
                        )
                        .bind(network)
                        .execute(&mut *tx)
                        .await?;
                        let moved = sqlx::query(
                            "UPDATE webhook_cursors SET change_seq = $3 WHERE network_id = $1 AND change_seq = $2",
                        )
                        .bind(network)
                        .bind(from)
                        .bind(to)
                        .execute(&mut *tx)
                        .await?;
                        if moved.rows_affected() == 0 {
                            return Ok(EmitOutcome::default());
                        }
                    }
                    let mut stored: HashSet<String> = HashSet::new();
                    for chunk in batch.events.chunks(INSERT_CHUNK) {
                        let mut insert = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO webhook_events (network_id, id, event_type, dedup_key, franchisee_id, \
                             location_id, data, occurred_at, created_at) ",
                        );
                        insert.push_values(chunk, |mut row, event| {
                            row.push_bind(network.to_owned())
                                .push_bind(event.id.to_string())
                                .push_bind(event.event_type.clone())
                                .push_bind(event.dedup_key.clone())
                                .push_bind(event.franchisee_id.as_ref().map(|id| id.to_string()))
                                .push_bind(event.location_id.as_ref().map(|id| id.to_string()))
                                .push_bind(event.data.clone())
                                .push_bind(truncate_to_micros(event.occurred_at))
                                .push_bind(at);
                        });
                        insert.push(" ON CONFLICT DO NOTHING RETURNING id");
                        let ids: Vec<(String,)> = insert.build_query_as().fetch_all(&mut *tx).await?;
                        stored.extend(ids.into_iter().map(|(id,)| id));
                    }
                    let fresh: Vec<(&str, &NewWebhookEvent)> = batch
                        .events
                        .iter()
                        .filter(|event| stored.contains(event.id.as_str()))
                        .map(|event| (event.id.as_str(), event))
                        .collect();
                    let deliveries = fan_out(&mut tx, &batch.network_id, &fresh, at).await?;
                    if !batch.marks.is_empty() {
                        let rows: Vec<serde_json::Value> =
                            batch.marks.iter().map(|(record, mark)| serde_json::json!([record, mark])).collect();
                        sqlx::query(concat!(
                            "INSERT INTO webhook_marks (network_id, record_id, mark) SELECT $1, v.value ->> 0, \
                             v.value ->> 1 FROM ",
                            $rows_open,
                            "$2",
                            $rows_close,
                            " WHERE true ON CONFLICT (network_id, record_id) DO UPDATE SET mark = excluded.mark"
                        ))
                        .bind(network)
                        .bind(serde_json::Value::Array(rows).to_string())
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                    let stored_ids = fresh.iter().map(|(_, event)| event.id.clone()).collect();
                    Ok(EmitOutcome { written: true, stored: stored_ids, deliveries })
                }

                async fn webhook_change_cursor(&self, network_id: &NetworkId) -> StoreResult<i64> {
                    let row: Option<(i64,)> =
                        sqlx::query_as("SELECT change_seq FROM webhook_cursors WHERE network_id = $1")
                            .bind(network_id.as_str())
                            .fetch_optional(&self.reader)
                            .await?;
                    Ok(row.map_or(0, |(seq,)| seq))
                }

                async fn networks_with_new_changes(&self) -> StoreResult<Vec<NetworkId>> {
                    let rows: Vec<(String,)> = sqlx::query_as(
                        "SELECT h.network_id FROM change_heads h LEFT JOIN webhook_cursors c \
                         ON c.network_id = h.network_id WHERE h.seq > COALESCE(c.change_seq, 0) ORDER BY h.network_id",
                    )
                    .fetch_all(&self.reader)
                    .await?;
                    rows.into_iter()
                        .map(|(id,)| crate::webhooks_rows::id("change_heads.network_id", &id, NetworkId::parse))
                        .collect()
                }

                async fn changes_with_records(
                    &self,
                    network_id: &NetworkId,
                    after_seq: i64,
                    limit: u32,
                ) -> StoreResult<Vec<ChangeWithRecord>> {
                    let rows: Vec<ChangeRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        change_columns!(),
                        " FROM changes WHERE network_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
                    ))
                    .bind(network_id.as_str())
                    .bind(after_seq)
                    .bind(i64::from(limit))
                    .fetch_all(&self.reader)
                    .await?;
                    let changes: Vec<Change> = convert_all(rows)?;
                    let ids: Vec<&str> = changes.iter().map(|change| change.record_id.as_str()).collect();
                    let mut data: HashMap<String, String> = HashMap::new();
                    for chunk in ids.chunks(1_000) {
                        let rows: Vec<(String, String)> = sqlx::query_as(concat!(
                            "SELECT id, data FROM records WHERE network_id = $1 AND id",
                            $json_open,
                            "$2",
                            $json_close
                        ))
                        .bind(network_id.as_str())
                        .bind(list_json(chunk))
                        .fetch_all(&self.reader)
                        .await?;
                        data.extend(rows);
                    }
                    changes
                        .into_iter()
                        .map(|change| {
                            let record = match data.get(change.record_id.as_str()) {
                                Some(text) => Some(serde_json::from_str(text).map_err(|error| {
                                    StoreError::Corrupt(format!("records.data of {}: {error}", change.record_id))
                                })?),
                                None => None,
                            };
                            Ok(ChangeWithRecord { change, data: record })
                        })
                        .collect()
                }

                async fn webhook_marks(
                    &self,
                    network_id: &NetworkId,
                    record_ids: &[String],
                ) -> StoreResult<HashMap<String, String>> {
                    let mut marks = HashMap::new();
                    for chunk in record_ids.chunks(1_000) {
                        let rows: Vec<(String, String)> = sqlx::query_as(concat!(
                            "SELECT record_id, mark FROM webhook_marks WHERE network_id = $1 AND record_id",
                            $json_open,
                            "$2",
                            $json_close
                        ))
                        .bind(network_id.as_str())
                        .bind(list_json(chunk))
                        .fetch_all(&self.reader)
                        .await?;
                        marks.extend(rows);
                    }
                    Ok(marks)
                }

                async fn platform_occurrences_since(
                    &self,
                    since: DateTime<Utc>,
                    limit: u32,
                ) -> StoreResult<Vec<PlatformOccurrence>> {
                    type Row = (String, String, String, Option<String>, Option<String>, Option<String>, String, DateTime<Utc>);
                    let since = truncate_to_micros(since);
                    let failed: Vec<Row> = sqlx::query_as(
                        "SELECT r.network_id, r.id, r.connection_id, c.provider, r.franchisee_id, r.location_id, \
                         r.errors, r.finished_at FROM sync_runs r LEFT JOIN connections c \
                         ON c.network_id = r.network_id AND c.id = r.connection_id \
                         WHERE r.status = 'failed' AND r.finished_at >= $1 ORDER BY r.finished_at LIMIT $2",
                    )
                    .bind(since)
                    .bind(i64::from(limit))
                    .fetch_all(&self.reader)
                    .await?;
                    let expired: Vec<(String, String, i64, Option<String>, Option<String>, Option<String>, String, DateTime<Utc>)> =
                        sqlx::query_as(
                            "SELECT e.network_id, e.connection_id, e.seq, c.provider, c.franchisee_id, c.location_id, \
                             e.detail, e.at FROM connection_events e JOIN connections c \
                             ON c.network_id = e.network_id AND c.id = e.connection_id \
                             WHERE e.kind = 'needs_reauthorization' AND e.at >= $1 ORDER BY e.at LIMIT $2",
                        )
                        .bind(since)
                        .bind(i64::from(limit))
                        .fetch_all(&self.reader)
                        .await?;
                    let parse = |column: &str, text: &str| crate::webhooks_rows::id(column, text, NetworkId::parse);
                    let connection =
                        |text: &str| crate::webhooks_rows::id("connection_id", text, hub_core::id::ConnectionId::parse);
                    let franchisee = |text: Option<String>| {
                        text.map(|text| crate::webhooks_rows::id("franchisee_id", &text, hub_core::id::FranchiseeId::parse))
                            .transpose()
                    };
                    let location = |text: Option<String>| {
                        text.map(|text| crate::webhooks_rows::id("location_id", &text, hub_core::id::LocationId::parse))
                            .transpose()
                    };
                    let mut found = Vec::with_capacity(failed.len() + expired.len());
                    for (network, run, conn, provider, fr, loc, errors, at) in failed {
                        let errors: Vec<String> = serde_json::from_str(&errors).unwrap_or_default();
                        found.push(PlatformOccurrence {
                            network_id: parse("sync_runs.network_id", &network)?,
                            event_type: "sync.failed",
                            key: format!("sync.failed:{run}"),
                            connection_id: connection(&conn)?,
                            provider,
                            franchisee_id: franchisee(fr)?,
                            location_id: location(loc)?,
                            sync_run_id: Some(run),
                            detail: errors.last().cloned().unwrap_or_default(),
                            at,
                        });
                    }
                    for (network, conn, seq, provider, fr, loc, detail, at) in expired {
                        found.push(PlatformOccurrence {
                            network_id: parse("connection_events.network_id", &network)?,
                            event_type: "connection.expired",
                            key: format!("connection.expired:{conn}:{seq}"),
                            connection_id: connection(&conn)?,
                            provider,
                            franchisee_id: franchisee(fr)?,
                            location_id: location(loc)?,
                            sync_run_id: None,
                            detail,
                            at,
                        });
                    }
                    found.sort_by_key(|occurrence| occurrence.at);
                    found.truncate(limit as usize);
                    Ok(found)
                }

                async fn platform_scan_position(&self) -> StoreResult<Option<DateTime<Utc>>> {
                    let row: Option<(DateTime<Utc>,)> =
                        sqlx::query_as("SELECT scanned_at FROM webhook_scans WHERE name = 'platform'")
                            .fetch_optional(&self.reader)
                            .await?;
                    Ok(row.map(|(at,)| at))
                }

                async fn save_platform_scan_position(&self, at: DateTime<Utc>) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO webhook_scans (name, scanned_at) VALUES ('platform', $1) \
                         ON CONFLICT (name) DO UPDATE SET scanned_at = excluded.scanned_at",
                    )
                    .bind(truncate_to_micros(at))
                    .execute(&self.writer)
                    .await?;
                    Ok(())
                }

                async fn claim_deliveries(
                    &self,
                    now_at: DateTime<Utc>,
                    lease_until: DateTime<Utc>,
                    limit: u32,
                ) -> StoreResult<Vec<ClaimedDelivery>> {
                    let now_at = truncate_to_micros(now_at);
                    let claimed: Vec<ClaimRow> = sqlx::query_as(concat!(
                        "UPDATE webhook_deliveries SET leased_until = $2, attempts = attempts + 1 WHERE id",
                        $ids_open,
                        "SELECT d.id FROM webhook_deliveries d WHERE d.status = 'pending' AND d.next_attempt_at <= $1 \
                         AND (d.leased_until IS NULL OR d.leased_until <= $1) \
                         AND (d.ordered = FALSE OR NOT EXISTS (SELECT 1 FROM webhook_deliveries e \
                         WHERE e.network_id = d.network_id AND e.endpoint_id = d.endpoint_id AND e.status = 'pending' \
                         AND e.id < d.id)) ORDER BY d.next_attempt_at LIMIT $3",
                        $claim_lock,
                        $ids_close,
                        " RETURNING network_id, id, endpoint_id, event_id, event_type, attempts"
                    ))
                    .bind(now_at)
                    .bind(truncate_to_micros(lease_until))
                    .bind(i64::from(limit))
                    .fetch_all(&self.writer)
                    .await?;
                    if claimed.is_empty() {
                        return Ok(Vec::new());
                    }
                    let mut by_network: HashMap<&str, Vec<&str>> = HashMap::new();
                    for row in &claimed {
                        by_network.entry(row.network_id.as_str()).or_default().push(row.event_id.as_str());
                    }
                    let mut events: HashMap<String, EventRow> = HashMap::new();
                    for (network, ids) in by_network {
                        let rows: Vec<EventRow> = sqlx::query_as(concat!(
                            "SELECT ",
                            event_columns!(),
                            " FROM webhook_events WHERE network_id = $1 AND id",
                            $json_open,
                            "$2",
                            $json_close
                        ))
                        .bind(network)
                        .bind(list_json(&ids))
                        .fetch_all(&self.reader)
                        .await?;
                        events.extend(rows.into_iter().map(|row| (row.id.clone(), row)));
                    }
                    let mut out = Vec::with_capacity(claimed.len());
                    for row in claimed {
                        let event = events
                            .get(&row.event_id)
                            .ok_or_else(|| StoreError::Corrupt(format!("delivery {} has no event", row.id)))?;
                        out.push(row.into_claimed(event)?);
                    }
                    out.sort_by(|a, b| a.id.cmp(&b.id));
                    Ok(out)
                }

                async fn next_delivery_due(&self) -> StoreResult<Option<DateTime<Utc>>> {
                    let row: (Option<DateTime<Utc>>,) = sqlx::query_as(
                        "SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending'",
                    )
                    .fetch_one(&self.reader)
                    .await?;
                    Ok(row.0)
                }

                async fn record_deliveries(
                    &self,
                    results: &[DeliveryResult],
                    disable_failing_before: DateTime<Utc>,
                ) -> StoreResult<Vec<DisabledEndpoint>> {
                    if results.is_empty() {
                        return Ok(Vec::new());
                    }
                    let at = now();
                    let mut updates = Vec::with_capacity(results.len());
                    let mut attempts = Vec::with_capacity(results.len());
                    // Per endpoint: did any attempt in the batch succeed, did any fail.
                    let mut health: HashMap<(&str, &str), (bool, bool)> = HashMap::new();
                    for result in results {
                        let delivery = &result.delivery;
                        let (status, next, postponed) = match &result.state {
                            DeliveryState::Succeeded => ("succeeded", at, false),
                            DeliveryState::Retry(next) => ("pending", *next, false),
                            DeliveryState::Dead => ("dead", at, false),
                            DeliveryState::Postponed(next) => ("pending", *next, true),
                        };
                        let record = result.attempt.as_ref();
                        updates.push(serde_json::json!([
                            delivery.network_id.as_str(),
                            delivery.id.as_str(),
                            status,
                            instant_text(next),
                            record.and_then(|attempt| attempt.status_code),
                            record.and_then(|attempt| attempt.error.as_deref().map(clip)),
                            (status == "succeeded").then(|| instant_text(at)),
                            if postponed { 1 } else { 0 },
                        ]));
                        if let Some(attempt) = record {
                            let entry = health
                                .entry((delivery.network_id.as_str(), delivery.endpoint_id.as_str()))
                                .or_insert((false, false));
                            if status == "succeeded" {
                                entry.0 = true;
                            } else {
                                entry.1 = true;
                            }
                            attempts.push(serde_json::json!([
                                delivery.network_id.as_str(),
                                hub_core::id::DeliveryAttemptId::new().as_str(),
                                delivery.id.as_str(),
                                delivery.endpoint_id.as_str(),
                                delivery.event_id.as_str(),
                                delivery.event_type,
                                i64::from(delivery.attempt),
                                attempt.status_code,
                                attempt.latency_ms,
                                attempt.response,
                                attempt.error.as_deref().map(clip),
                                status,
                                instant_text(attempt.at),
                            ]));
                        }
                    }
                    let mut tx = self.writer.begin().await?;
                    sqlx::query(concat!(
                        "UPDATE webhook_deliveries SET status = v.value ->> 2, next_attempt_at = CAST(v.value ->> 3 AS ",
                        $instant,
                        "), leased_until = NULL, last_status_code = COALESCE(CAST(v.value ->> 4 AS BIGINT), \
                         CASE WHEN CAST(v.value ->> 7 AS BIGINT) = 1 THEN last_status_code END), \
                         last_error = CASE WHEN CAST(v.value ->> 7 AS BIGINT) = 1 THEN last_error ELSE v.value ->> 5 END, \
                         delivered_at = CAST(v.value ->> 6 AS ",
                        $instant,
                        "), attempts = attempts - CAST(v.value ->> 7 AS BIGINT) FROM ",
                        $rows_open,
                        "$1",
                        $rows_close,
                        " WHERE webhook_deliveries.network_id = v.value ->> 0 AND webhook_deliveries.id = v.value ->> 1"
                    ))
                    .bind(serde_json::Value::Array(updates).to_string())
                    .execute(&mut *tx)
                    .await?;
                    if !attempts.is_empty() {
                        sqlx::query(concat!(
                            "INSERT INTO webhook_attempts (network_id, id, delivery_id, endpoint_id, event_id, event_type, \
                             franchisee_id, location_id, attempt, status_code, latency_ms, response, error, outcome, at) \
                             SELECT v.value ->> 0, v.value ->> 1, v.value ->> 2, v.value ->> 3, v.value ->> 4, \
                             v.value ->> 5, d.franchisee_id, d.location_id, CAST(v.value ->> 6 AS BIGINT), \
                             CAST(v.value ->> 7 AS BIGINT), CAST(v.value ->> 8 AS BIGINT), v.value ->> 9, v.value ->> 10, \
                             v.value ->> 11, CAST(v.value ->> 12 AS ",
                            $instant,
                            ") FROM ",
                            $rows_open,
                            "$1",
                            $rows_close,
                            " JOIN webhook_deliveries d ON d.network_id = v.value ->> 0 AND d.id = v.value ->> 2"
                        ))
                        .bind(serde_json::Value::Array(attempts).to_string())
                        .execute(&mut *tx)
                        .await?;
                    }
                    let mut disabled = Vec::new();
                    for ((network, endpoint), (succeeded, failed)) in health {
                        if succeeded {
                            sqlx::query(
                                "UPDATE webhook_endpoints SET failing_since = NULL WHERE network_id = $1 AND id = $2 \
                                 AND failing_since IS NOT NULL",
                            )
                            .bind(network)
                            .bind(endpoint)
                            .execute(&mut *tx)
                            .await?;
                            continue;
                        }
                        if !failed {
                            continue;
                        }
                        let row: Option<EndpointRow> = sqlx::query_as(concat!(
                            "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $3) \
                             WHERE network_id = $1 AND id = $2 RETURNING ",
                            endpoint_columns!()
                        ))
                        .bind(network)
                        .bind(endpoint)
                        .bind(at)
                        .fetch_optional(&mut *tx)
                        .await?;
                        let Some(row) = row else { continue };
                        let endpoint_row: WebhookEndpoint = row.try_into()?;
                        let Some(since) = endpoint_row.failing_since else { continue };
                        if !endpoint_row.is_enabled() || since > truncate_to_micros(disable_failing_before) {
                            continue;
                        }
                        sqlx::query(
                            "UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = $3, updated_at = $4 \
                             WHERE network_id = $1 AND id = $2",
                        )
                        .bind(network)
                        .bind(endpoint)
                        .bind(format!("every delivery failed since {since}"))
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                        sqlx::query(
                            "UPDATE webhook_deliveries SET status = 'dead', leased_until = NULL, \
                             last_error = 'the endpoint was disabled' WHERE network_id = $1 AND endpoint_id = $2 \
                             AND status = 'pending'",
                        )
                        .bind(network)
                        .bind(endpoint)
                        .execute(&mut *tx)
                        .await?;
                        disabled.push(DisabledEndpoint {
                            network_id: endpoint_row.network_id.clone(),
                            endpoint_id: endpoint_row.id.clone(),
                            scope: endpoint_row.scope.clone(),
                            url: endpoint_row.url.clone(),
                            failing_since: since,
                        });
                    }
                    tx.commit().await?;
                    Ok(disabled)
                }

                async fn replay_webhook_event(
                    &self,
                    scope: &TenantScope,
                    ctx: &ChangeContext,
                    id: &WebhookEventId,
                ) -> StoreResult<u64> {
                    let at = now();
                    let mut tx = self.writer.begin().await?;
                    let found: Option<(String, Option<String>, Option<String>)> = sqlx::query_as(
                        "SELECT id, franchisee_id, location_id FROM webhook_events WHERE network_id = $1 AND id = $2 \
                         AND ($3 IS NULL OR franchisee_id = $3) AND ($4 IS NULL OR location_id = $4)",
                    )
                    .bind(scope.network_id.as_str())
                    .bind(id.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(opt(scope.location_id.as_ref()))
                    .fetch_optional(&mut *tx)
                    .await?;
                    if found.is_none() {
                        return Err(StoreError::NotFound { resource: "event" });
                    }
                    // Only deliveries to endpoints the caller can see, and not ones in flight.
                    let done = sqlx::query(
                        "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $3, \
                         leased_until = NULL WHERE network_id = $1 AND event_id = $2 \
                         AND ($4 IS NULL OR franchisee_id = $4) AND ($5 IS NULL OR location_id = $5) \
                         AND (status <> 'pending' OR leased_until IS NULL OR leased_until <= $3) \
                         AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE network_id = $1 AND status = 'enabled')",
                    )
                    .bind(scope.network_id.as_str())
                    .bind(id.as_str())
                    .bind(at)
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(opt(scope.location_id.as_ref()))
                    .execute(&mut *tx)
                    .await?;
                    append_audit(
                        &mut tx,
                        &scope.network_id,
                        event(
                            ctx,
                            "webhook_event.replay",
                            id.as_str(),
                            scope.franchisee_id.as_ref(),
                            scope.location_id.as_ref(),
                            serde_json::json!({"deliveries": done.rows_affected()}),
                        ),
                    )
                    .await?;
                    tx.commit().await?;
                    Ok(done.rows_affected())
                }

                async fn recover_webhook_endpoint(
                    &self,
                    scope: &TenantScope,
                    ctx: &ChangeContext,
                    id: &WebhookEndpointId,
                    since: DateTime<Utc>,
                ) -> StoreResult<u64> {
                    let at = now();
                    let mut tx = self.writer.begin().await?;
                    let endpoint = fetch_endpoint(&mut tx, scope, id).await?;
                    sqlx::query(
                        "UPDATE webhook_endpoints SET status = 'enabled', disabled_reason = NULL, failing_since = NULL, \
                         updated_at = $3 WHERE network_id = $1 AND id = $2",
                    )
                    .bind(scope.network_id.as_str())
                    .bind(id.as_str())
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                    let done = sqlx::query(
                        "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $3, \
                         leased_until = NULL WHERE network_id = $1 AND endpoint_id = $2 AND status = 'dead' \
                         AND created_at >= $4",
                    )
                    .bind(scope.network_id.as_str())
                    .bind(id.as_str())
                    .bind(at)
                    .bind(truncate_to_micros(since))
                    .execute(&mut *tx)
                    .await?;
                    let (franchisee, location) = scope_ids(&endpoint.scope);
                    append_audit(
                        &mut tx,
                        &scope.network_id,
                        event(
                            ctx,
                            "webhook_endpoint.recover",
                            id.as_str(),
                            franchisee.as_ref(),
                            location.as_ref(),
                            serde_json::json!({"since": since, "deliveries": done.rows_affected()}),
                        ),
                    )
                    .await?;
                    tx.commit().await?;
                    Ok(done.rows_affected())
                }

                async fn get_webhook_event(&self, scope: &TenantScope, id: &WebhookEventId) -> StoreResult<WebhookEvent> {
                    let row: Option<EventRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        event_columns!(),
                        " FROM webhook_events WHERE network_id = $1 AND id = $2 AND ($3 IS NULL OR franchisee_id = $3) \
                         AND ($4 IS NULL OR location_id = $4)"
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(id.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(opt(scope.location_id.as_ref()))
                    .fetch_optional(&self.reader)
                    .await?;
                    row.ok_or(StoreError::NotFound { resource: "event" })?.try_into()
                }

                async fn list_webhook_events(
                    &self,
                    scope: &TenantScope,
                    page: &PageRequest,
                ) -> StoreResult<Page<WebhookEvent>> {
                    let rows: Vec<EventRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        event_columns!(),
                        " FROM webhook_events WHERE network_id = $1 AND ($2 IS NULL OR franchisee_id = $2) \
                         AND ($3 IS NULL OR location_id = $3) AND ($4 IS NULL OR id < $4) ORDER BY id DESC LIMIT $5"
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(opt(scope.location_id.as_ref()))
                    .bind(page.after.as_deref())
                    .bind(i64::from(page.limit) + 1)
                    .fetch_all(&self.reader)
                    .await?;
                    let events = convert_all(rows)?;
                    Ok(Page::from_rows(events, page.limit, |event: &WebhookEvent| event.id.to_string()))
                }

                async fn list_delivery_attempts(
                    &self,
                    scope: &TenantScope,
                    filter: &AttemptFilter,
                    page: &PageRequest,
                ) -> StoreResult<Page<DeliveryAttempt>> {
                    let rows: Vec<AttemptRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        attempt_columns!(),
                        " FROM webhook_attempts WHERE network_id = $1 AND ($2 IS NULL OR franchisee_id = $2) \
                         AND ($3 IS NULL OR location_id = $3) AND ($4 IS NULL OR endpoint_id = $4) \
                         AND ($5 IS NULL OR event_id = $5) AND ($6 IS NULL OR id < $6) ORDER BY id DESC LIMIT $7"
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(opt(scope.location_id.as_ref()))
                    .bind(opt(filter.endpoint_id.as_ref()))
                    .bind(opt(filter.event_id.as_ref()))
                    .bind(page.after.as_deref())
                    .bind(i64::from(page.limit) + 1)
                    .fetch_all(&self.reader)
                    .await?;
                    let attempts = convert_all(rows)?;
                    Ok(Page::from_rows(attempts, page.limit, |attempt: &DeliveryAttempt| attempt.id.to_string()))
                }

                async fn list_deliveries(
                    &self,
                    scope: &TenantScope,
                    endpoint_id: &WebhookEndpointId,
                    page: &PageRequest,
                ) -> StoreResult<Page<Delivery>> {
                    let rows: Vec<DeliveryRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        delivery_columns!(),
                        " FROM webhook_deliveries WHERE network_id = $1 AND ($2 IS NULL OR franchisee_id = $2) \
                         AND ($3 IS NULL OR location_id = $3) AND endpoint_id = $4 AND ($5 IS NULL OR id < $5) \
                         ORDER BY id DESC LIMIT $6"
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(opt(scope.location_id.as_ref()))
                    .bind(endpoint_id.as_str())
                    .bind(page.after.as_deref())
                    .bind(i64::from(page.limit) + 1)
                    .fetch_all(&self.reader)
                    .await?;
                    let deliveries = convert_all(rows)?;
                    Ok(Page::from_rows(deliveries, page.limit, |delivery: &Delivery| delivery.id.to_string()))
                }
            }
        }
    };
}
pub(crate) use impl_webhook_store;
