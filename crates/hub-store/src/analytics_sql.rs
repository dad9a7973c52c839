//! The SQL behind [`crate::AnalyticsStore`], written once and expanded for both backends inside a
//! module of their own (it reuses `impl_sql_store!`'s helpers: `now`, `opt`, `Tx`).
//!
//! Batches travel as one JSON parameter. What differs between the backends is passed in: how a
//! JSON array parameter becomes a row set or a list (of text or of dates), and the SQL type of
//! dates (`TEXT` `YYYY-MM-DD` on SQLite, `DATE` on PostgreSQL).

/// The summed figure columns of a bucket read, in [`crate::analytics::FiguresRow`]'s names.
macro_rules! sum_columns {
    () => {
        "CAST(SUM(r.gross) AS BIGINT) AS gross, CAST(SUM(r.net) AS BIGINT) AS net, \
         CAST(SUM(r.tax) AS BIGINT) AS tax, CAST(SUM(r.tips) AS BIGINT) AS tips, \
         CAST(SUM(r.discounts) AS BIGINT) AS discounts, CAST(SUM(r.refunds) AS BIGINT) AS refunds, \
         CAST(SUM(r.transactions) AS BIGINT) AS transactions, \
         CAST(SUM(r.foreign_currency_transactions) AS BIGINT) AS foreign_currency_transactions, \
         CAST(SUM(r.appointments) AS BIGINT) AS appointments, CAST(SUM(r.no_shows) AS BIGINT) AS no_shows, \
         CAST(SUM(r.booked_minutes) AS BIGINT) AS booked_minutes, \
         CAST(SUM(r.worked_minutes) AS BIGINT) AS worked_minutes, \
         CAST(SUM(r.new_customers) AS BIGINT) AS new_customers, \
         CAST(SUM(r.returning_customers) AS BIGINT) AS returning_customers"
    };
}
pub(crate) use sum_columns;

/// The figure columns every rollup table shares, in order.
macro_rules! figure_columns {
    () => {
        "gross, net, tax, tips, discounts, refunds, transactions, foreign_currency_transactions, appointments, \
         no_shows, booked_minutes, worked_minutes"
    };
}
pub(crate) use figure_columns;

/// Implements [`crate::AnalyticsStore`] for `$store` (with `reader` and `writer` pools).
macro_rules! impl_analytics_store {
    (
        store: $store:ident,
        in_json: ($json_open:literal, $json_close:literal),
        in_dates: ($dates_open:literal, $dates_close:literal),
        rows: ($rows_open:literal, $rows_close:literal),
        date: $date:literal,
        instant: $instant:literal
    ) => {
        mod analytics_store {
            use super::*;
            use std::collections::{BTreeMap, BTreeSet, HashMap};

            use chrono::NaiveDate;
            use hub_core::id::RecordId;
            use hub_core::records::StoredRecord;

            use crate::analytics::{
                AnalyticsStore, DatedRecord, DayCursor, FiguresRow, MAX_ROLLUP_BATCH, RollupBatch, RollupGroup,
                RollupGrouping, RollupOutcome, cover, month_start, next_month, next_week, week_start,
            };
            use crate::analytics_sql::{figure_columns, sum_columns};
            use crate::records_rows::{RecordRow, instant_text, record_columns};

            fn json<T: serde::Serialize>(value: &T) -> String {
                serde_json::to_string(value).expect("plain values serialize")
            }

            fn day_text(day: NaiveDate) -> String {
                day.format("%Y-%m-%d").to_string()
            }

            /// Recomputes the day buckets `days` of `location` from its facts, then the week and
            /// month buckets above them from the days.
            async fn recompute_location(
                tx: &mut Tx<'_>,
                network: &str,
                location: &str,
                days: &BTreeSet<NaiveDate>,
            ) -> StoreResult<()> {
                let day_list: Vec<String> = days.iter().map(|day| day_text(*day)).collect();
                let day_rows: Vec<(String, String, String)> = days
                    .iter()
                    .map(|day| (day_text(*day), day_text(week_start(*day)), day_text(month_start(*day))))
                    .collect();
                sqlx::query(concat!(
                    "DELETE FROM rollup_days WHERE network_id = $1 AND location_id = $2 AND day",
                    $dates_open,
                    "$3",
                    $dates_close
                ))
                .bind(network)
                .bind(location)
                .bind(json(&day_list))
                .execute(&mut **tx)
                .await?;
                sqlx::query(concat!(
                    "INSERT INTO rollup_days (network_id, location_id, day, week, month, ",
                    figure_columns!(),
                    ", new_customers, returning_customers) SELECT f.network_id, f.location_id, f.day, CAST(v.value ->> 1 AS ",
                    $date,
                    "), CAST(v.value ->> 2 AS ",
                    $date,
                    "), CAST(SUM(f.gross) AS BIGINT), CAST(SUM(f.net) AS BIGINT), CAST(SUM(f.tax) AS BIGINT), \
                     CAST(SUM(f.tips) AS BIGINT), CAST(SUM(f.discounts) AS BIGINT), CAST(SUM(f.refunds) AS BIGINT), \
                     CAST(SUM(f.transactions) AS BIGINT), CAST(SUM(f.foreign_currency_transactions) AS BIGINT), \
                     CAST(SUM(f.appointments) AS BIGINT), CAST(SUM(f.no_shows) AS BIGINT), \
                     CAST(SUM(f.booked_minutes) AS BIGINT), CAST(SUM(f.worked_minutes) AS BIGINT), \
                     (SELECT COUNT(*) FROM rollup_customers c WHERE c.network_id = f.network_id \
                      AND c.location_id = f.location_id AND c.day = f.day), \
                     COUNT(DISTINCT f.customer_key) - (SELECT COUNT(*) FROM rollup_customers c \
                      WHERE c.network_id = f.network_id AND c.location_id = f.location_id AND c.day = f.day) \
                     FROM ",
                    $rows_open,
                    "$3",
                    $rows_close,
                    " JOIN rollup_facts f ON f.network_id = $1 AND f.location_id = $2 AND f.day = CAST(v.value ->> 0 AS ",
                    $date,
                    ") GROUP BY f.network_id, f.location_id, f.day, v.value ->> 1, v.value ->> 2"
                ))
                .bind(network)
                .bind(location)
                .bind(json(&day_rows))
                .execute(&mut **tx)
                .await?;
                let weeks: BTreeSet<String> = days.iter().map(|day| day_text(week_start(*day))).collect();
                let months: BTreeSet<String> = days.iter().map(|day| day_text(month_start(*day))).collect();
                for (table, column, keys) in [("rollup_weeks", "week", weeks), ("rollup_months", "month", months)] {
                    let keys: Vec<String> = keys.into_iter().collect();
                    let delete = format!(
                        "DELETE FROM {table} WHERE network_id = $1 AND location_id = $2 AND {column}{}$3{}",
                        $dates_open, $dates_close
                    );
                    sqlx::query(sqlx::AssertSqlSafe(delete))
                        .bind(network)
                        .bind(location)
                        .bind(json(&keys))
                        .execute(&mut **tx)
                        .await?;
                    let insert = format!(
                        "INSERT INTO {table} (network_id, location_id, {column}, {figures}, new_customers, \
                         returning_customers) SELECT r.network_id, r.location_id, r.{column}, {sums} FROM rollup_days r \
                         WHERE r.network_id = $1 AND r.location_id = $2 AND r.{column}{open}$3{close} \
                         GROUP BY r.network_id, r.location_id, r.{column}",
                        figures = figure_columns!(),
                        sums = sum_columns!(),
                        open = $dates_open,
                        close = $dates_close,
                    );
                    sqlx::query(sqlx::AssertSqlSafe(insert))
                        .bind(network)
                        .bind(location)
                        .bind(json(&keys))
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }

            /// Recomputes the first visit of `keys`; returns the (location, day) buckets whose
            /// new-customer count changed.
            async fn recompute_first_visits(
                tx: &mut Tx<'_>,
                network: &str,
                keys: &BTreeSet<String>,
            ) -> StoreResult<Vec<(String, NaiveDate)>> {
                if keys.is_empty() {
                    return Ok(Vec::new());
                }
                let key_list: Vec<&String> = keys.iter().collect();
                let visits: Vec<(String, chrono::DateTime<Utc>, String, String, NaiveDate)> = sqlx::query_as(concat!(
                    "SELECT customer_key, occurred_at, record_id, location_id, day FROM rollup_facts \
                     WHERE network_id = $1 AND customer_key",
                    $json_open,
                    "$2",
                    $json_close
                ))
                .bind(network)
                .bind(json(&key_list))
                .fetch_all(&mut **tx)
                .await?;
                // The earliest visit per customer (ties: the smaller record id).
                let mut first: HashMap<String, (chrono::DateTime<Utc>, String, String, NaiveDate)> = HashMap::new();
                for (key, at, record, location, day) in visits {
                    let candidate = (at, record, location, day);
                    match first.get(&key) {
                        Some(current) if (current.0, &current.1) <= (candidate.0, &candidate.1) => {}
                        _ => {
                            first.insert(key, candidate);
                        }
                    }
                }
                let old: Vec<(String, String, NaiveDate)> = sqlx::query_as(concat!(
                    "DELETE FROM rollup_customers WHERE network_id = $1 AND customer_key",
                    $json_open,
                    "$2",
                    $json_close,
                    " RETURNING customer_key, location_id, day"
                ))
                .bind(network)
                .bind(json(&key_list))
                .fetch_all(&mut **tx)
                .await?;
                let old: HashMap<String, (String, NaiveDate)> =
                    old.into_iter().map(|(key, location, day)| (key, (location, day))).collect();
                let mut moved = Vec::new();
                for key in keys {
                    let before = old.get(key).cloned();
                    let after = first.get(key).map(|(_, _, location, day)| (location.clone(), *day));
                    if before != after {
                        moved.extend(before);
                        moved.extend(after);
                    }
                }
                let rows: Vec<(&String, String, &String, String)> = first
                    .iter()
                    .map(|(key, (at, _, location, day))| (key, instant_text(*at), location, day_text(*day)))
                    .collect();
                if !rows.is_empty() {
                    sqlx::query(concat!(
                        "INSERT INTO rollup_customers (network_id, customer_key, first_at, location_id, day) \
                         SELECT $1, v.value ->> 0, CAST(v.value ->> 1 AS ",
                        $instant,
                        "), v.value ->> 2, CAST(v.value ->> 3 AS ",
                        $date,
                        ") FROM ",
                        $rows_open,
                        "$2",
                        $rows_close
                    ))
                    .bind(network)
                    .bind(json(&rows))
                    .execute(&mut **tx)
                    .await?;
                }
                Ok(moved)
            }

            /// The figures of one table's buckets for the days (or bucket starts) `from..=to`.
            async fn read_groups(
                store: &$store,
                scope: &TenantScope,
                table: &str,
                column: &str,
                from: NaiveDate,
                to: NaiveDate,
                grouping: RollupGrouping,
            ) -> StoreResult<Vec<(String, FiguresRow)>> {
                // (what the key is, what rows are grouped by): PostgreSQL refuses a constant GROUP BY.
                // Franchisee and territory sums are folded from location sums by `rollup_groups`.
                let (key, group) = match grouping {
                    RollupGrouping::Day => ("CAST(r.day AS TEXT)", "r.day"),
                    RollupGrouping::Week => ("CAST(r.week AS TEXT)", "r.week"),
                    RollupGrouping::Month => ("CAST(r.month AS TEXT)", "r.month"),
                    RollupGrouping::Location | RollupGrouping::Franchisee | RollupGrouping::Territory => {
                        ("r.location_id", "r.location_id")
                    }
                    RollupGrouping::Total => ("''", "r.network_id"),
                };
                // The scope as plain predicates (no `$n IS NULL OR …`), so both planners seek the
                // scope's locations through the bucket keys instead of scanning the network.
                let owned = "r.location_id IN (SELECT id FROM locations WHERE network_id = $1 AND franchisee_id = $4)";
                let filter = match (&scope.franchisee_id, &scope.location_id) {
                    (Some(_), Some(_)) => format!(" AND r.location_id = $5 AND {owned}"),
                    (Some(_), None) => format!(" AND {owned}"),
                    _ => String::new(),
                };
                let sql = format!(
                    "SELECT {key} AS group_key, {sums} FROM {table} r \
                     WHERE r.network_id = $1 AND r.{column} >= $2 AND r.{column} <= $3{filter} GROUP BY {group}",
                    sums = sum_columns!(),
                );
                let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(scope.network_id.as_str()).bind(from).bind(to);
                if let Some(franchisee) = &scope.franchisee_id {
                    query = query.bind(franchisee.as_str());
                    if let Some(location) = &scope.location_id {
                        query = query.bind(location.as_str());
                    }
                }
                let rows: Vec<FiguresRow> = query.fetch_all(&store.reader).await?;
                Ok(rows.into_iter().map(|row| (row.group_key.clone(), row)).collect())
            }

            #[async_trait]
            impl AnalyticsStore for $store {
                async fn rollup_cursor(&self, network_id: &NetworkId) -> StoreResult<i64> {
                    let seq: Option<i64> = sqlx::query_scalar("SELECT seq FROM rollup_cursors WHERE network_id = $1")
                        .bind(network_id.as_str())
                        .fetch_optional(&self.reader)
                        .await?;
                    Ok(seq.unwrap_or(0))
                }

                async fn records_by_id(&self, scope: &TenantScope, ids: &[RecordId]) -> StoreResult<Vec<StoredRecord>> {
                    if ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
                    let rows: Vec<RecordRow> = sqlx::query_as(concat!(
                        "SELECT ",
                        record_columns!(),
                        " FROM records WHERE network_id = $1 AND ($2 IS NULL OR franchisee_id = $2) \
                         AND ($3 IS NULL OR location_id = $3) AND id",
                        $json_open,
                        "$4",
                        $json_close
                    ))
                    .bind(scope.network_id.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(opt(scope.location_id.as_ref()))
                    .bind(json(&ids))
                    .fetch_all(&self.reader)
                    .await?;
                    convert_all(rows)
                }

                async fn apply_rollup(&self, batch: RollupBatch) -> StoreResult<RollupOutcome> {
                    if batch.touched.len() > MAX_ROLLUP_BATCH || batch.facts.len() > MAX_ROLLUP_BATCH {
                        return Err(StoreError::Invalid(
                            hub_core::ValidationError::new(format!("a rollup batch holds at most {MAX_ROLLUP_BATCH} records"))
                                .for_field("touched"),
                        ));
                    }
                    let network = batch.network_id.as_str();
                    let at = now();
                    let mut tx = self.writer.begin().await?;
                    sqlx::query(
                        "INSERT INTO rollup_cursors (network_id, seq, updated_at) VALUES ($1, 0, $2) \
                         ON CONFLICT (network_id) DO NOTHING",
                    )
                    .bind(network)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                    // First, so that on PostgreSQL a second worker queues on the cursor's row lock
                    // and then finds the cursor moved.
                    let moved = sqlx::query(
                        "UPDATE rollup_cursors SET seq = $3, updated_at = $4 WHERE network_id = $1 AND seq = $2",
                    )
                    .bind(network)
                    .bind(batch.from_seq)
                    .bind(batch.to_seq)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if moved != 1 {
                        return Err(StoreError::conflict(format!(
                            "the rollup cursor of network {network} is no longer at {}",
                            batch.from_seq
                        )));
                    }
                    let mut outcome = RollupOutcome::default();
                    if batch.touched.is_empty() {
                        tx.commit().await?;
                        return Ok(outcome);
                    }
                    let touched: Vec<&str> = batch.touched.iter().map(|id| id.as_str()).collect();
                    let old: Vec<(String, NaiveDate, Option<String>)> = sqlx::query_as(concat!(
                        "DELETE FROM rollup_facts WHERE network_id = $1 AND record_id",
                        $json_open,
                        "$2",
                        $json_close,
                        " RETURNING location_id, day, customer_key"
                    ))
                    .bind(network)
                    .bind(json(&touched))
                    .fetch_all(&mut *tx)
                    .await?;
                    let mut buckets: BTreeMap<String, BTreeSet<NaiveDate>> = BTreeMap::new();
                    let mut customers: BTreeSet<String> = BTreeSet::new();
                    for (location, day, customer) in old {
                        buckets.entry(location).or_default().insert(day);
                        customers.extend(customer);
                    }
                    let mut rows = Vec::with_capacity(batch.facts.len());
                    let mut seen = BTreeSet::new();
                    for fact in &batch.facts {
                        if !seen.insert(fact.record_id.as_str()) {
                            continue;
                        }
                        buckets.entry(fact.location_id.to_string()).or_default().insert(fact.day);
                        customers.extend(fact.customer_key.clone());
                        let f = &fact.figures;
                        rows.push(serde_json::json!([
                            fact.record_id.as_str(),
                            fact.model.as_str(),
                            fact.location_id.as_str(),
                            day_text(fact.day),
                            instant_text(fact.occurred_at),
                            fact.customer_key,
                            crate::analytics::to_units(f.gross, "gross")?,
                            crate::analytics::to_units(f.net, "net")?,
                            crate::analytics::to_units(f.tax, "tax")?,
                            crate::analytics::to_units(f.tips, "tips")?,
                            crate::analytics::to_units(f.discounts, "discounts")?,
                            crate::analytics::to_units(f.refunds, "refunds")?,
                            f.transactions,
                            f.foreign_currency_transactions,
                            f.appointments,
                            f.no_shows,
                            f.booked_minutes,
                            f.worked_minutes,
                        ]));
                    }
                    outcome.facts = rows.len() as u64;
                    if !rows.is_empty() {
                        sqlx::query(concat!(
                            "INSERT INTO rollup_facts (network_id, record_id, model, location_id, day, occurred_at, \
                             customer_key, ",
                            figure_columns!(),
                            ") SELECT $1, v.value ->> 0, v.value ->> 1, v.value ->> 2, CAST(v.value ->> 3 AS ",
                            $date,
                            "), CAST(v.value ->> 4 AS ",
                            $instant,
                            "), v.value ->> 5, CAST(v.value ->> 6 AS BIGINT), CAST(v.value ->> 7 AS BIGINT), \
                             CAST(v.value ->> 8 AS BIGINT), CAST(v.value ->> 9 AS BIGINT), \
                             CAST(v.value ->> 10 AS BIGINT), CAST(v.value ->> 11 AS BIGINT), \
                             CAST(v.value ->> 12 AS BIGINT), CAST(v.value ->> 13 AS BIGINT), \
                             CAST(v.value ->> 14 AS BIGINT), CAST(v.value ->> 15 AS BIGINT), \
                             CAST(v.value ->> 16 AS BIGINT), CAST(v.value ->> 17 AS BIGINT) FROM ",
                            $rows_open,
                            "$2",
                            $rows_close
                        ))
                        .bind(network)
                        .bind(json(&rows))
                        .execute(&mut *tx)
                        .await?;
                    }
                    for (location, day) in recompute_first_visits(&mut tx, network, &customers).await? {
                        buckets.entry(location).or_default().insert(day);
                    }
                    for (location, days) in &buckets {
                        outcome.days += days.len() as u64;
                        recompute_location(&mut tx, network, location, days).await?;
                    }
                    tx.commit().await?;
                    Ok(outcome)
                }

                async fn rollup_groups(
                    &self,
                    scope: &TenantScope,
                    from: NaiveDate,
                    to: NaiveDate,
                    grouping: RollupGrouping,
                ) -> StoreResult<Vec<RollupGroup>> {
                    if from > to {
                        return Ok(Vec::new());
                    }
                    if matches!(grouping, RollupGrouping::Franchisee | RollupGrouping::Territory) {
                        // Sum by location (the buckets' own key, no join), then fold the locations
                        // into their franchisee or territory here: a join in the bucket query made
                        // PostgreSQL's plans several times slower for the same rows.
                        let by_location = self.rollup_groups(scope, from, to, RollupGrouping::Location).await?;
                        let places: Vec<(String, String, Option<String>)> =
                            sqlx::query_as("SELECT id, franchisee_id, territory_id FROM locations WHERE network_id = $1")
                                .bind(scope.network_id.as_str())
                                .fetch_all(&self.reader)
                                .await?;
                        let owner: HashMap<String, String> = places
                            .into_iter()
                            .map(|(id, franchisee, territory)| match grouping {
                                RollupGrouping::Franchisee => (id, franchisee),
                                _ => (id, territory.unwrap_or_default()),
                            })
                            .collect();
                        let mut merged: BTreeMap<String, crate::RollupFigures> = BTreeMap::new();
                        for group in by_location {
                            let key = owner.get(&group.key).cloned().ok_or_else(|| {
                                StoreError::Corrupt(format!("rollup buckets name an unknown location {}", group.key))
                            })?;
                            merged.entry(key).or_default().add(&group.figures);
                        }
                        return Ok(merged.into_iter().map(|(key, figures)| RollupGroup { key, figures }).collect());
                    }
                    let mut parts: Vec<(String, FiguresRow)> = Vec::new();
                    match grouping {
                        RollupGrouping::Day => {
                            parts.extend(read_groups(self, scope, "rollup_days", "day", from, to, grouping).await?);
                        }
                        RollupGrouping::Week => {
                            let (weeks, edges) = cover(from, to, week_start, next_week);
                            if let Some((first, last)) = weeks {
                                parts.extend(
                                    read_groups(self, scope, "rollup_weeks", "week", first, last, grouping).await?,
                                );
                            }
                            for (start, end) in edges {
                                parts.extend(read_groups(self, scope, "rollup_days", "day", start, end, grouping).await?);
                            }
                        }
                        _ => {
                            let (months, edges) = cover(from, to, month_start, next_month);
                            if let Some((first, last)) = months {
                                parts.extend(
                                    read_groups(self, scope, "rollup_months", "month", first, last, grouping).await?,
                                );
                            }
                            for (start, end) in edges {
                                parts.extend(read_groups(self, scope, "rollup_days", "day", start, end, grouping).await?);
                            }
                        }
                    }
                    let mut merged: BTreeMap<String, crate::RollupFigures> = BTreeMap::new();
                    for (key, row) in parts {
                        merged.entry(key).or_default().add(&row.figures());
                    }
                    Ok(merged.into_iter().map(|(key, figures)| RollupGroup { key, figures }).collect())
                }

                async fn sales_by_day(
                    &self,
                    scope: &TenantScope,
                    from: NaiveDate,
                    to: NaiveDate,
                    location_id: Option<&LocationId>,
                    after: Option<&DayCursor>,
                    limit: u32,
                ) -> StoreResult<Vec<DatedRecord>> {
                    #[derive(sqlx::FromRow)]
                    struct Row {
                        business_day: NaiveDate,
                        #[sqlx(flatten)]
                        record: RecordRow,
                    }
                    let rows: Vec<Row> = sqlx::query_as(
                        "SELECT f.day AS business_day, r.network_id, r.id, r.model, r.connection_id, r.external_id, \
                         r.provider, r.franchisee_id, r.location_id, r.provider_location_id, r.remote_updated_at, \
                         r.content_hash, r.version, r.data, r.deleted_at, r.created_at, r.updated_at \
                         FROM rollup_facts f JOIN records r ON r.network_id = f.network_id AND r.id = f.record_id \
                         WHERE f.network_id = $1 AND f.model = 'sale' AND ($2 IS NULL OR r.franchisee_id = $2) \
                         AND ($3 IS NULL OR f.location_id = $3) AND ($4 IS NULL OR f.location_id = $4) \
                         AND f.day >= $5 AND f.day <= $6 \
                         AND ($7 IS NULL OR f.day > $7 OR (f.day = $7 AND f.record_id > $8)) \
                         ORDER BY f.day, f.record_id LIMIT $9",
                    )
                    .bind(scope.network_id.as_str())
                    .bind(opt(scope.franchisee_id.as_ref()))
                    .bind(opt(scope.location_id.as_ref()))
                    .bind(opt(location_id))
                    .bind(from)
                    .bind(to)
                    .bind(after.map(|cursor| cursor.day))
                    .bind(after.map(|cursor| cursor.record_id.as_str()))
                    .bind(i64::from(limit))
                    .fetch_all(&self.reader)
                    .await?;
                    rows.into_iter()
                        .map(|row| Ok(DatedRecord { day: row.business_day, record: StoredRecord::try_from(row.record)? }))
                        .collect()
                }
            }
        }
    };
}
pub(crate) use impl_analytics_store;
