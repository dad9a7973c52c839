//! The SQL behind [`crate::RoyaltyStore`], written once and expanded for both backends inside a
//! module of their own (it reuses `impl_sql_store!`'s helpers: `now`, `opt`, `Tx`, `event`,
//! `append_audit`, `require_network_scope`). Every tenant query filters by the caller's scope:
//! `network_id` always, `franchisee_id` when the scope names one. Dates bind as `NaiveDate`
//! (`DATE` on PostgreSQL, ISO text on SQLite, which sorts the same); decimals as their text.

/// Implements [`crate::RoyaltyStore`] for `$store` (with `reader` and `writer` pools).
macro_rules! impl_royalty_store {
    (store: $store:ident, rows: ($rows_open:literal, $rows_close:literal), date: $date:literal) => {
        mod royalty_store {
            use super::*;

            use chrono::{DateTime, NaiveDate};
            use hub_core::id::{AgreementId, ConnectionId, RoyaltyStatementId};
            use hub_core::royalties::{Agreement, ExchangeRate, NewAgreement, RoyaltyStatement, TracedSale};
            use hub_core::tenancy::Currency;

            use crate::royalties::{
                ChangedSale, InvoiceUpdate, RoyaltyStore, SaleRow, StatementDraft, StatementFilter,
            };
            use crate::royalties_rows::{
                AgreementRow, ExchangeRateRow, SaleDataRow, StatementContent, StatementRow, TraceRow, agreement_columns,
                changed_sale, statement_columns, terms_json, trace_columns,
            };

            async fn fetch_statement(
                tx: &mut Tx<'_>,
                scope: &TenantScope,
                id: &RoyaltyStatementId,
            ) -> StoreResult<RoyaltyStatement> {
                let row: Option<StatementRow> = sqlx::query_as(concat!(
                    "SELECT ",
                    statement_columns!(),
                    " FROM royalty_statements WHERE network_id = $1 AND id = $2 AND ($3 IS NULL OR franchisee_id = $3)"
                ))
                .bind(scope.network_id.as_str())
                .bind(id.as_str())
                .bind(opt(scope.franchisee_id.as_ref()))
                .fetch_optional(&mut **tx)
                .await?;
                row.ok_or(StoreError::NotFound { resource: "royalty statement" })?.try_into()
            }

            #[async_trait]
            impl RoyaltyStore for $store {
                async fn create_agreement(
                    &self,
                    scope: &TenantScope,
                    ctx: &ChangeContext,
                    new: NewAgreement,
                ) -> StoreResult<Agreement> {
                    require_network_scope(scope, "agreements")?;
                    new.validate()?;
                    let mut tx = self.writer.begin().await?;
                    let franchisee = fetch_franchisee_in(&mut tx, scope, &new.franchisee_id).await?;
                    let existing: Vec<AgreementRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        agreement_columns!(),
                        " FROM royalty_agreements WHERE network_id = $1 AND franchisee_id = $2 ORDER BY effective_from"
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(franchisee.as_str())
                    .fetch_all(&mut *tx)
                    .await?;
                    let existing: Vec<Agreement> = convert_all(existing)?;
                    let new_to = new.effective_to.unwrap_or(NaiveDate::MAX);
                    for agreement in &existing {
                        let from = agreement.effective_from;
                        let to = agreement.effective_to.unwrap_or(NaiveDate::MAX);
                        if from > new_to || to < new.effective_from {
                            continue;
                        }
                        // An open-ended agreement that began earlier ends where the new one begins.
                        if agreement.effective_to.is_none() && from < new.effective_from {
                            let last_day = new.effective_from.pred_opt().unwrap_or(new.effective_from);
                            sqlx::query(
                                "UPDATE royalty_agreements SET effective_to = $3 WHERE network_id = $1 AND id = $2",
                            )
                            .bind(scope.network_id.as_str())
                            .bind(agreement.id.as_str())
                            .bind(last_day)
                            .execute(&mut *tx)
                            .await?;
                            continue;
                        }
                        return Err(StoreError::conflict(format!(
                            "agreement {} already covers {} to {}",
                            agreement.id,
                            from,
                            agreement.effective_to.map_or_else(|| "open end".to_owned(), |to| to.to_string())
                        )));
                    }
                    let agreement = Agreement {
                        id: AgreementId::new(),
                        network_id: scope.network_id.clone(),
                        franchisee_id: new.franchisee_id,
                        effective_from: new.effective_from,
                        effective_to: new.effective_to,
                        terms: new.terms,
                        created_at: now(),
                    };
                    sqlx::query(concat!(
                        "INSERT INTO royalty_agreements (",
                        agreement_columns!(),
                        ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
                    ))
                    .bind(agreement.network_id.as_str())
                    .bind(agreement.id.as_str())
                    .bind(agreement.franchisee_id.as_str())
                    .bind(agreement.effective_from)
                    .bind(agreement.effective_to)
                    .bind(terms_json(&agreement.terms))
                    .bind(agreement.created_at)
                    .execute(&mut *tx)
                    .await?;
                    let details = serde_json::json!({
                        "effective_from": agreement.effective_from,
                        "effective_to": agreement.effective_to,
                        "terms": agreement.terms,
                    });
                    let entry = event(
                        ctx,
                        "agreement.create",
                        agreement.id.as_str(),
                        Some(&agreement.franchisee_id),
                        None,
                        details,
                    );
                    append_audit(&mut tx, &scope.network_id, entry).await?;
                    tx.commit().await?;
                    Ok(agreement)
                }

                async fn list_agreements(
                    &self,
                    scope: &TenantScope,
                    franchisee_id: Option<&FranchiseeId>,
                    page: &PageRequest,
                ) -> StoreResult<Page<Agreement>> {
                    let rows: Vec<AgreementRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        agreement_columns!(),
                        " FROM royalty_agreements WHERE network_id = $1 AND ($2 IS NULL OR franchisee_id = $2) \
                         AND ($3 IS NULL OR franchisee_id = $3) AND ($4 IS NULL OR id > $4) ORDER BY id LIMIT $5"
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(opt(franchisee_id))
                    .bind(page.after.as_deref())
                    .bind(i64::from(page.limit) + 1)
                    .fetch_all(&self.reader)
                    .await?;
                    let agreements: Vec<Agreement> = convert_all(rows)?;
                    Ok(Page::from_rows(agreements, page.limit, |agreement: &Agreement| agreement.id.to_string()))
                }

                async fn agreement_on(
                    &self,
                    scope: &TenantScope,
                    franchisee_id: &FranchiseeId,
                    date: NaiveDate,
                ) -> StoreResult<Option<Agreement>> {
                    let row: Option<AgreementRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        agreement_columns!(),
                        " FROM royalty_agreements WHERE network_id = $1 AND franchisee_id = $2 \
                         AND ($3 IS NULL OR franchisee_id = $3) AND effective_from <= $4 \
                         AND (effective_to IS NULL OR effective_to >= $4) ORDER BY effective_from DESC LIMIT 1"
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(franchisee_id.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(date)
                    .fetch_optional(&self.reader)
                    .await?;
                    row.map(Agreement::try_from).transpose()
                }

                async fn add_exchange_rate(
                    &self,
                    scope: &TenantScope,
                    ctx: &ChangeContext,
                    rate: ExchangeRate,
                ) -> StoreResult<ExchangeRate> {
                    require_network_scope(scope, "exchange rates")?;
                    rate.validate()?;
                    let mut tx = self.writer.begin().await?;
                    sqlx::query(
                        "INSERT INTO exchange_rates (network_id, from_currency, to_currency, rate_date, rate, source, \
                         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(scope.network_id.as_str())
                    .bind(rate.from.as_str())
                    .bind(rate.to.as_str())
                    .bind(rate.rate_date)
                    .bind(rate.rate.to_string())
                    .bind(rate.source.trim())
                    .bind(now())
                    .execute(&mut *tx)
                    .await
                    .map_err(|error| match StoreError::from(error) {
                        StoreError::Conflict { .. } => StoreError::conflict(format!(
                            "a {}→{} rate for {} is already recorded (recorded rates never change)",
                            rate.from, rate.to, rate.rate_date
                        )),
                        other => other,
                    })?;
                    let resource = format!("{}{}:{}", rate.from, rate.to, rate.rate_date);
                    let entry = event(
                        ctx,
                        "exchange_rate.create",
                        &resource,
                        None,
                        None,
                        serde_json::json!({"rate": rate.rate.to_string(), "source": rate.source.trim()}),
                    );
                    append_audit(&mut tx, &scope.network_id, entry).await?;
                    tx.commit().await?;
                    Ok(ExchangeRate { source: rate.source.trim().to_owned(), ..rate })
                }

                async fn list_exchange_rates(
                    &self,
                    scope: &TenantScope,
                    page: &PageRequest,
                ) -> StoreResult<Page<ExchangeRate>> {
                    // The cursor is "<rate_date> <from><to>"; newest date first, then by pair.
                    let (after_date, after_pair) = match page.after.as_deref().map(|key| key.split_once(' ')) {
                        Some(Some((date, pair))) => (
                            Some(date.parse::<NaiveDate>().map_err(|_| {
                                StoreError::Invalid(hub_core::ValidationError::new("is not a cursor this API returned").for_field("cursor"))
                            })?),
                            Some(pair.to_owned()),
                        ),
                        Some(None) => {
                            return Err(StoreError::Invalid(
                                hub_core::ValidationError::new("is not a cursor this API returned").for_field("cursor"),
                            ));
                        }
                        None => (None, None),
                    };
                    let rows: Vec<ExchangeRateRow> = sqlx::query_as(
                        "SELECT from_currency, to_currency, rate_date, rate, source FROM exchange_rates \
                         WHERE network_id = $1 AND ($2 IS NULL OR rate_date < $2 OR (rate_date = $2 AND \
                         from_currency || to_currency > $3)) ORDER BY rate_date DESC, from_currency, to_currency LIMIT $4",
                    )
                    .bind(scope.network_id.as_str())
                    .bind(after_date)
                    .bind(after_pair.unwrap_or_default())
                    .bind(i64::from(page.limit) + 1)
                    .fetch_all(&self.reader)
                    .await?;
                    let rates: Vec<ExchangeRate> = convert_all(rows)?;
                    Ok(Page::from_rows(rates, page.limit, |rate: &ExchangeRate| {
                        format!("{} {}{}", rate.rate_date, rate.from, rate.to)
                    }))
                }

                async fn exchange_rate_on(
                    &self,
                    network_id: &NetworkId,
                    from: Currency,
                    to: Currency,
                    on: NaiveDate,
                ) -> StoreResult<Option<ExchangeRate>> {
                    let row: Option<ExchangeRateRow> = sqlx::query_as(
                        "SELECT from_currency, to_currency, rate_date, rate, source FROM exchange_rates \
                         WHERE network_id = $1 AND from_currency = $2 AND to_currency = $3 AND rate_date <= $4 \
                         ORDER BY rate_date DESC LIMIT 1",
                    )
                    .bind(network_id.as_str())
                    .bind(from.as_str())
                    .bind(to.as_str())
                    .bind(on)
                    .fetch_optional(&self.reader)
                    .await?;
                    row.map(ExchangeRate::try_from).transpose()
                }

                async fn change_head(&self, network_id: &NetworkId) -> StoreResult<i64> {
                    let head: Option<i64> = sqlx::query_scalar("SELECT seq FROM change_heads WHERE network_id = $1")
                        .bind(network_id.as_str())
                        .fetch_optional(&self.writer)
                        .await?;
                    Ok(head.unwrap_or(0))
                }

                async fn sales_between(
                    &self,
                    scope: &TenantScope,
                    location_id: &LocationId,
                    from: DateTime<Utc>,
                    to: DateTime<Utc>,
                ) -> StoreResult<Vec<SaleRow>> {
                    let rows: Vec<SaleDataRow> = sqlx::query_as(
                        "SELECT id, location_id, occurred_at, data FROM records WHERE network_id = $1 AND model = $2 \
                         AND location_id = $3 AND ($4 IS NULL OR franchisee_id = $4) AND occurred_at >= $5 \
                         AND occurred_at < $6 AND deleted_at IS NULL ORDER BY occurred_at, id",
                    )
                    .bind(scope.network_id.as_str())
                    .bind(hub_core::records::Model::Sale.as_str())
                    .bind(location_id.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(truncate_to_micros(from))
                    .bind(truncate_to_micros(to))
                    .fetch_all(&self.writer)
                    .await?;
                    convert_all(rows)
                }

                async fn sales_changed_after(
                    &self,
                    scope: &TenantScope,
                    franchisee_id: &FranchiseeId,
                    after_seq: i64,
                ) -> StoreResult<Vec<ChangedSale>> {
                    let rows: Vec<(String, Option<String>, Option<DateTime<Utc>>)> = sqlx::query_as(
                        "SELECT DISTINCT r.id, r.location_id, r.occurred_at FROM changes c JOIN records r \
                         ON r.network_id = c.network_id AND r.id = c.record_id WHERE c.network_id = $1 AND c.seq > $2 \
                         AND c.model = $3 AND c.franchisee_id = $4 AND ($5 IS NULL OR c.franchisee_id = $5) \
                         ORDER BY r.id",
                    )
                    .bind(scope.network_id.as_str())
                    .bind(after_seq)
                    .bind(hub_core::records::Model::Sale.as_str())
                    .bind(franchisee_id.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .fetch_all(&self.writer)
                    .await?;
                    rows.into_iter().filter_map(|row| changed_sale(row).transpose()).collect()
                }

                async fn save_statement_draft(
                    &self,
                    scope: &TenantScope,
                    ctx: &ChangeContext,
                    draft: StatementDraft,
                ) -> StoreResult<RoyaltyStatement> {
                    require_network_scope(scope, "royalty statements")?;
                    let at = now();
                    let mut tx = self.writer.begin().await?;
                    fetch_franchisee_in(&mut tx, scope, &draft.franchisee_id).await?;
                    let existing: Option<(String, String, DateTime<Utc>)> = sqlx::query_as(
                        "SELECT id, status, created_at FROM royalty_statements WHERE network_id = $1 \
                         AND franchisee_id = $2 AND period_start = $3",
                    )
                    .bind(scope.network_id.as_str())
                    .bind(draft.franchisee_id.as_str())
                    .bind(draft.period_start)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let content = StatementContent::of_draft(&draft).to_json();
                    let id = match existing {
                        Some((_, status, _)) if status != "draft" => {
                            return Err(StoreError::conflict(format!(
                                "the statement of {} for {} is {status}; issued statements never change (later \
                                 sales become adjustments on the next statement)",
                                draft.franchisee_id, draft.period_start
                            )));
                        }
                        Some((id, _, _)) => {
                            sqlx::query(
                                "UPDATE royalty_statements SET period_end = $3, currency = $4, total = $5, content = $6, \
                                 source_seq = $7, computed_at = $8, updated_at = $8 WHERE network_id = $1 AND id = $2",
                            )
                            .bind(scope.network_id.as_str())
                            .bind(&id)
                            .bind(draft.period_end)
                            .bind(draft.currency.as_str())
                            .bind(draft.total.to_string())
                            .bind(&content)
                            .bind(draft.source_seq)
                            .bind(at)
                            .execute(&mut *tx)
                            .await?;
                            sqlx::query("DELETE FROM royalty_statement_sales WHERE network_id = $1 AND statement_id = $2")
                                .bind(scope.network_id.as_str())
                                .bind(&id)
                                .execute(&mut *tx)
                                .await?;
                            id
                        }
                        None => {
                            let id = RoyaltyStatementId::new().to_string();
                            sqlx::query(concat!(
                                "INSERT INTO royalty_statements (",
                                statement_columns!(),
                                ") VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, $10, NULL, NULL, NULL, NULL, \
                                 NULL, NULL, $10, $10)"
                            ))
                            .bind(scope.network_id.as_str())
                            .bind(&id)
                            .bind(draft.franchisee_id.as_str())
                            .bind(draft.period_start)
                            .bind(draft.period_end)
                            .bind(draft.currency.as_str())
                            .bind(draft.total.to_string())
                            .bind(&content)
                            .bind(draft.source_seq)
                            .bind(at)
                            .execute(&mut *tx)
                            .await?;
                            id
                        }
                    };
                    for chunk in draft.trace.chunks(500) {
                        let rows = crate::royalties_rows::trace_rows_json(chunk);
                        sqlx::query(concat!(
                            "INSERT INTO royalty_statement_sales (network_id, statement_id, ",
                            trace_columns!(),
                            ") SELECT $1, $2, CAST(v.value ->> 0 AS ",
                            $date,
                            "), v.value ->> 1, v.value ->> 2, CAST(v.value ->> 3 AS ",
                            $date,
                            "), v.value ->> 4, v.value ->> 5 FROM ",
                            $rows_open,
                            "$3",
                            $rows_close
                        ))
                        .bind(scope.network_id.as_str())
                        .bind(&id)
                        .bind(rows)
                        .execute(&mut *tx)
                        .await?;
                    }
                    let statement_id = RoyaltyStatementId::parse(&id)
                        .map_err(|error| StoreError::Corrupt(format!("royalty_statements.id `{id}`: {error}")))?;
                    let details = serde_json::json!({
                        "period_start": draft.period_start,
                        "total": draft.total.to_string(),
                        "currency": draft.currency.as_str(),
                        "source_seq": draft.source_seq,
                    });
                    let entry = event(
                        ctx,
                        "royalty_statement.compute",
                        &id,
                        Some(&draft.franchisee_id),
                        None,
                        details,
                    );
                    append_audit(&mut tx, &scope.network_id, entry).await?;
                    let statement = fetch_statement(&mut tx, scope, &statement_id).await?;
                    tx.commit().await?;
                    Ok(statement)
                }

                async fn issue_statement(
                    &self,
                    scope: &TenantScope,
                    ctx: &ChangeContext,
                    id: &RoyaltyStatementId,
                ) -> StoreResult<(RoyaltyStatement, bool)> {
                    require_network_scope(scope, "royalty statements")?;
                    let at = now();
                    let mut tx = self.writer.begin().await?;
                    let updated = sqlx::query(
                        "UPDATE royalty_statements SET status = 'issued', issued_at = $3, updated_at = $3 \
                         WHERE network_id = $1 AND id = $2 AND status = 'draft'",
                    )
                    .bind(scope.network_id.as_str())
                    .bind(id.as_str())
                    .bind(at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    let statement = fetch_statement(&mut tx, scope, id).await?;
                    if updated == 1 {
                        let details = serde_json::json!({
                            "period_start": statement.period_start,
                            "total": statement.total.to_string(),
                            "currency": statement.currency.as_str(),
                        });
                        let entry = event(
                            ctx,
                            "royalty_statement.issue",
                            id.as_str(),
                            Some(&statement.franchisee_id),
                            None,
                            details,
                        );
                        append_audit(&mut tx, &scope.network_id, entry).await?;
                    }
                    tx.commit().await?;
                    Ok((statement, updated == 1))
                }

                async fn get_statement(
                    &self,
                    scope: &TenantScope,
                    id: &RoyaltyStatementId,
                ) -> StoreResult<RoyaltyStatement> {
                    let mut tx = self.reader.begin().await?;
                    let statement = fetch_statement(&mut tx, scope, id).await?;
                    tx.commit().await?;
                    Ok(statement)
                }

                async fn find_statement(
                    &self,
                    scope: &TenantScope,
                    franchisee_id: &FranchiseeId,
                    period_start: NaiveDate,
                ) -> StoreResult<Option<RoyaltyStatement>> {
                    let row: Option<StatementRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        statement_columns!(),
                        " FROM royalty_statements WHERE network_id = $1 AND franchisee_id = $2 AND period_start = $3 \
                         AND ($4 IS NULL OR franchisee_id = $4)"
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(franchisee_id.as_str())
                    .bind(period_start)
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .fetch_optional(&self.writer)
                    .await?;
                    row.map(RoyaltyStatement::try_from).transpose()
                }

                async fn list_statements(
                    &self,
                    scope: &TenantScope,
                    filter: &StatementFilter,
                    page: &PageRequest,
                ) -> StoreResult<Page<RoyaltyStatement>> {
                    let rows: Vec<StatementRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        statement_columns!(),
                        " FROM royalty_statements WHERE network_id = $1 AND ($2 IS NULL OR franchisee_id = $2) \
                         AND ($3 IS NULL OR franchisee_id = $3) AND ($4 IS NULL OR period_start = $4) \
                         AND ($5 IS NULL OR status = $5) AND ($6 IS NULL OR id > $6) \
                         AND ($8 IS NULL OR period_start >= $8) AND ($9 IS NULL OR period_start <= $9) ORDER BY id LIMIT $7"
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(opt(filter.franchisee_id.as_ref()))
                    .bind(filter.period_start)
                    .bind(filter.status.map(|status| status.as_str()))
                    .bind(page.after.as_deref())
                    .bind(i64::from(page.limit) + 1)
                    .bind(filter.period_from)
                    .bind(filter.period_to)
                    .fetch_all(&self.reader)
                    .await?;
                    let statements: Vec<RoyaltyStatement> = convert_all(rows)?;
                    Ok(Page::from_rows(statements, page.limit, |statement: &RoyaltyStatement| statement.id.to_string()))
                }

                async fn issued_statements(
                    &self,
                    scope: &TenantScope,
                    franchisee_id: &FranchiseeId,
                ) -> StoreResult<Vec<RoyaltyStatement>> {
                    let rows: Vec<StatementRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        statement_columns!(),
                        " FROM royalty_statements WHERE network_id = $1 AND franchisee_id = $2 \
                         AND ($3 IS NULL OR franchisee_id = $3) AND status IN ('issued', 'paid') ORDER BY period_start"
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(franchisee_id.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .fetch_all(&self.writer)
                    .await?;
                    convert_all(rows)
                }

                async fn list_traced_sales(
                    &self,
                    scope: &TenantScope,
                    id: &RoyaltyStatementId,
                    period_start: NaiveDate,
                    page: &PageRequest,
                ) -> StoreResult<Page<TracedSale>> {
                    let mut tx = self.reader.begin().await?;
                    fetch_statement(&mut tx, scope, id).await?;
                    let rows: Vec<TraceRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        trace_columns!(),
                        " FROM royalty_statement_sales WHERE network_id = $1 AND statement_id = $2 \
                         AND period_start = $3 AND ($4 IS NULL OR record_id > $4) ORDER BY record_id LIMIT $5"
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(id.as_str())
                    .bind(period_start)
                    .bind(page.after.as_deref())
                    .bind(i64::from(page.limit) + 1)
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    let sales: Vec<TracedSale> = convert_all(rows)?;
                    Ok(Page::from_rows(sales, page.limit, |sale: &TracedSale| sale.record_id.to_string()))
                }

                async fn billed_traces(
                    &self,
                    scope: &TenantScope,
                    franchisee_id: &FranchiseeId,
                    period_start: NaiveDate,
                ) -> StoreResult<Vec<TracedSale>> {
                    let rows: Vec<TraceRow> = sqlx::query_as(
                        "SELECT t.period_start, t.record_id, t.location_id, t.local_date, t.currency, t.base \
                         FROM royalty_statement_sales t JOIN royalty_statements s ON s.network_id = t.network_id \
                         AND s.id = t.statement_id WHERE t.network_id = $1 AND t.period_start = $2 \
                         AND s.franchisee_id = $3 AND ($4 IS NULL OR s.franchisee_id = $4) \
                         AND s.status IN ('issued', 'paid') ORDER BY t.record_id",
                    )
                    .bind(scope.network_id.as_str())
                    .bind(period_start)
                    .bind(franchisee_id.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .fetch_all(&self.writer)
                    .await?;
                    convert_all(rows)
                }

                async fn record_invoice(
                    &self,
                    network_id: &NetworkId,
                    id: &RoyaltyStatementId,
                    update: InvoiceUpdate,
                ) -> StoreResult<RoyaltyStatement> {
                    let scope = TenantScope::network(network_id.clone());
                    let at = now();
                    let mut tx = self.writer.begin().await?;
                    let before = fetch_statement(&mut tx, &scope, id).await?;
                    if before.status == hub_core::royalties::StatementStatus::Draft {
                        return Err(StoreError::conflict(format!("statement {id} is a draft; only issued ones are invoiced")));
                    }
                    if let Some(existing) = &before.invoice_id
                        && existing != &update.invoice_id
                    {
                        return Err(StoreError::conflict(format!(
                            "statement {id} is already invoiced as {existing}, not {}",
                            update.invoice_id
                        )));
                    }
                    let paid = update.invoice_status == "paid";
                    sqlx::query(
                        "UPDATE royalty_statements SET invoice_id = $3, invoice_number = $4, invoice_status = $5, \
                         invoice_balance = $6, status = CASE WHEN $7 THEN 'paid' ELSE status END, \
                         paid_at = CASE WHEN $7 AND paid_at IS NULL THEN $8 ELSE paid_at END, updated_at = $8 \
                         WHERE network_id = $1 AND id = $2",
                    )
                    .bind(network_id.as_str())
                    .bind(id.as_str())
                    .bind(&update.invoice_id)
                    .bind(update.invoice_number.as_deref())
                    .bind(&update.invoice_status)
                    .bind(update.invoice_balance.to_string())
                    .bind(paid)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                    let changed = before.invoice_id.is_none() || (paid && before.paid_at.is_none());
                    if changed {
                        let action = if paid { "royalty_statement.paid" } else { "royalty_statement.invoice" };
                        let details = serde_json::json!({
                            "invoice_id": update.invoice_id,
                            "invoice_status": update.invoice_status,
                        });
                        let entry = event(
                            &ChangeContext { actor: hub_core::access::Actor::System, request_id: None },
                            action,
                            id.as_str(),
                            Some(&before.franchisee_id),
                            None,
                            details,
                        );
                        append_audit(&mut tx, network_id, entry).await?;
                    }
                    let statement = fetch_statement(&mut tx, &scope, id).await?;
                    tx.commit().await?;
                    Ok(statement)
                }

                async fn statements_awaiting_payment(&self, limit: u32) -> StoreResult<Vec<RoyaltyStatement>> {
                    let rows: Vec<StatementRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        statement_columns!(),
                        " FROM royalty_statements WHERE status = 'issued' AND invoice_id IS NOT NULL \
                         ORDER BY issued_at, id LIMIT $1"
                    ))
                    .bind(i64::from(limit))
                    .fetch_all(&self.reader)
                    .await?;
                    convert_all(rows)
                }

                async fn set_provider_account(
                    &self,
                    network_id: &NetworkId,
                    connection_id: &ConnectionId,
                    provider: &str,
                    account_id: &str,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO provider_accounts (network_id, connection_id, provider, account_id, updated_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (network_id, connection_id) DO UPDATE SET \
                         account_id = excluded.account_id, provider = excluded.provider, updated_at = excluded.updated_at",
                    )
                    .bind(network_id.as_str())
                    .bind(connection_id.as_str())
                    .bind(provider)
                    .bind(account_id)
                    .bind(now())
                    .execute(&self.writer)
                    .await?;
                    Ok(())
                }

                async fn provider_account(
                    &self,
                    network_id: &NetworkId,
                    connection_id: &ConnectionId,
                ) -> StoreResult<Option<String>> {
                    Ok(sqlx::query_scalar(
                        "SELECT account_id FROM provider_accounts WHERE network_id = $1 AND connection_id = $2",
                    )
                    .bind(network_id.as_str())
                    .bind(connection_id.as_str())
                    .fetch_optional(&self.reader)
                    .await?)
                }
            }

            /// The franchisee's id if it exists in scope, else an invalid `franchisee_id`.
            async fn fetch_franchisee_in(
                tx: &mut Tx<'_>,
                scope: &TenantScope,
                id: &FranchiseeId,
            ) -> StoreResult<FranchiseeId> {
                let found: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM franchisees WHERE network_id = $1 AND id = $2 AND ($3 IS NULL OR id = $3)",
                )
                .bind(scope.network_id.as_str())
                .bind(id.as_str())
                .bind(opt(scope.franchisee_id.as_ref()))
                .fetch_optional(&mut **tx)
                .await?;
                found.map(|_| id.clone()).ok_or_else(|| StoreError::unknown_reference("franchisee_id", "franchisee"))
            }
        }
    };
}
pub(crate) use impl_royalty_store;
