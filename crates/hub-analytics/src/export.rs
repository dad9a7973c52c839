//! CSV and Parquet exports of sales and KPIs (royalty statements can use the same tables).
//!
//! Everything exported is first a [`Table`]: named, typed [`Column`]s and rows of [`Value`]s.
//! A [`TableWriter`] writes a table's rows in chunks to CSV (the `csv` crate; a header row, then
//! one line per row) or to Parquet (the `parquet` crate's low-level writer, no arrow; one row group
//! per chunk; behind the `parquet` cargo feature, on by default). How each kind travels:
//!
//! | kind | CSV | Parquet |
//! |---|---|---|
//! | `Text` | as is | `BYTE_ARRAY` (`STRING`) |
//! | `Integer` | decimal digits | `INT64` |
//! | `Decimal` (money) | a decimal string, as stored (`12.50`) | `INT64` `DECIMAL(18, 4)`: exact for every ISO 4217 currency |
//! | `Float` (rates) | shortest round-trip form | `DOUBLE` |
//! | `Date` | `YYYY-MM-DD` | `INT32` `DATE` |
//! | `Timestamp` | RFC 3339 UTC | `INT64` `TIMESTAMP(MICROS, UTC)` |
//!
//! Every Parquet column is `OPTIONAL`; a null is an empty CSV field.

use std::io::Write;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use hub_core::access::TenantScope;
use hub_core::id::LocationId;
use hub_core::records::Sale;
use hub_core::royalties::RoyaltyStatement;
use hub_store::DayCursor;
use rust_decimal::Decimal;

use crate::kpis::{GroupBy, KpiReport};
use crate::{Analytics, AnalyticsError};

/// Scale of money columns in Parquet (`DECIMAL(18, 4)`).
pub const PARQUET_MONEY_SCALE: u32 = 4;
/// Sales read from the store per chunk (and per Parquet row group).
const SALES_PER_CHUNK: u32 = 2_000;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    Integer,
    /// Money: exact decimal.
    Decimal,
    Float,
    Date,
    Timestamp,
}

/// A named, typed column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
}

impl Column {
    pub fn new(name: impl Into<String>, kind: ColumnKind) -> Self {
        Self { name: name.into(), kind }
    }
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Text(String),
    Integer(i64),
    Decimal(Decimal),
    Float(f64),
    Date(NaiveDate),
    Timestamp(DateTime<Utc>),
}

impl Value {
    fn fits(&self, kind: ColumnKind) -> bool {
        matches!(
            (self, kind),
            (Self::Null, _)
                | (Self::Text(_), ColumnKind::Text)
                | (Self::Integer(_), ColumnKind::Integer)
                | (Self::Decimal(_), ColumnKind::Decimal)
                | (Self::Float(_), ColumnKind::Float)
                | (Self::Date(_), ColumnKind::Date)
                | (Self::Timestamp(_), ColumnKind::Timestamp)
        )
    }

    fn csv_field(&self) -> String {
        match self {
            Self::Null => String::new(),
            Self::Text(text) => text.clone(),
            Self::Integer(value) => value.to_string(),
            Self::Decimal(value) => value.to_string(),
            Self::Float(value) => value.to_string(),
            Self::Date(day) => day.format("%Y-%m-%d").to_string(),
            Self::Timestamp(at) => at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        }
    }
}

impl From<Option<f64>> for Value {
    fn from(value: Option<f64>) -> Self {
        value.map_or(Self::Null, Self::Float)
    }
}

/// Columns and rows: what every export is made of.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new(columns: Vec<Column>) -> Self {
        Self { columns, rows: Vec::new() }
    }

    /// Refuses a row of the wrong width or with a value of the wrong kind.
    pub fn check_row(columns: &[Column], row: &[Value]) -> Result<(), AnalyticsError> {
        if row.len() != columns.len() {
            return Err(AnalyticsError::Export(format!(
                "a row has {} values for {} columns",
                row.len(),
                columns.len()
            )));
        }
        match columns.iter().zip(row).find(|(column, value)| !value.fits(column.kind)) {
            Some((column, value)) => {
                Err(AnalyticsError::Export(format!("column {} ({:?}) cannot hold {value:?}", column.name, column.kind)))
            }
            None => Ok(()),
        }
    }

    /// Writes the whole table in `format` to `out`.
    pub fn write<W: Write + Send>(&self, format: ExportFormat, out: W) -> Result<W, AnalyticsError> {
        let mut writer = TableWriter::new(format, self.columns.clone(), out)?;
        writer.write_rows(&self.rows)?;
        writer.finish()
    }
}

/// The file formats exports come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Parquet,
}

impl ExportFormat {
    /// The wire name (`csv`, `parquet`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Parquet => "parquet",
        }
    }

    /// Parses the wire name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Csv, Self::Parquet].into_iter().find(|format| format.as_str() == text)
    }

    /// The HTTP media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Parquet => "application/vnd.apache.parquet",
        }
    }

    /// Whether this build can write it (Parquet needs the `parquet` feature).
    pub fn available(self) -> bool {
        self == Self::Csv || cfg!(feature = "parquet")
    }
}

enum Sink<W: Write + Send> {
    Csv(csv::Writer<W>),
    #[cfg(feature = "parquet")]
    Parquet(parquet_writer::ParquetSink<W>),
}

/// Writes a table's rows in chunks (one Parquet row group per chunk), then [`TableWriter::finish`].
pub struct TableWriter<W: Write + Send> {
    columns: Vec<Column>,
    sink: Sink<W>,
    rows: u64,
}

impl<W: Write + Send> TableWriter<W> {
    /// Starts a file of `columns` on `out` (the CSV header is written at once).
    pub fn new(format: ExportFormat, columns: Vec<Column>, out: W) -> Result<Self, AnalyticsError> {
        let sink = match format {
            ExportFormat::Csv => {
                let mut writer = csv::Writer::from_writer(out);
                writer.write_record(columns.iter().map(|column| column.name.as_str())).map_err(csv_error)?;
                Sink::Csv(writer)
            }
            #[cfg(feature = "parquet")]
            ExportFormat::Parquet => Sink::Parquet(parquet_writer::ParquetSink::new(&columns, out)?),
            #[cfg(not(feature = "parquet"))]
            ExportFormat::Parquet => {
                return Err(AnalyticsError::invalid("format", "this build has no Parquet support (feature `parquet`)"));
            }
        };
        Ok(Self { columns, sink, rows: 0 })
    }

    /// Appends rows (refusing any that do not fit the columns).
    pub fn write_rows(&mut self, rows: &[Vec<Value>]) -> Result<(), AnalyticsError> {
        for row in rows {
            Table::check_row(&self.columns, row)?;
        }
        match &mut self.sink {
            Sink::Csv(writer) => {
                for row in rows {
                    writer.write_record(row.iter().map(Value::csv_field)).map_err(csv_error)?;
                }
            }
            #[cfg(feature = "parquet")]
            Sink::Parquet(sink) => sink.write_rows(&self.columns, rows)?,
        }
        self.rows += rows.len() as u64;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Ends the file and hands the output back.
    pub fn finish(self) -> Result<W, AnalyticsError> {
        match self.sink {
            Sink::Csv(writer) => writer.into_inner().map_err(|error| AnalyticsError::Export(error.to_string())),
            #[cfg(feature = "parquet")]
            Sink::Parquet(sink) => sink.finish(),
        }
    }
}

fn csv_error(error: csv::Error) -> AnalyticsError {
    AnalyticsError::Export(format!("csv: {error}"))
}

#[cfg(feature = "parquet")]
mod parquet_writer {
    //! Tables to Parquet with the low-level column writers.

    use std::io::Write;
    use std::sync::Arc;

    use parquet::basic::{LogicalType, Repetition, TimeUnit, Type as PhysicalType};
    use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::types::Type;
    use rust_decimal::Decimal;

    use super::{Column, ColumnKind, PARQUET_MONEY_SCALE, Value};
    use crate::AnalyticsError;

    fn parquet_error(error: parquet::errors::ParquetError) -> AnalyticsError {
        AnalyticsError::Export(format!("parquet: {error}"))
    }

    fn schema(columns: &[Column]) -> Result<Type, AnalyticsError> {
        let mut fields = Vec::with_capacity(columns.len());
        for column in columns {
            let (physical, logical) = match column.kind {
                ColumnKind::Text => (PhysicalType::BYTE_ARRAY, Some(LogicalType::String)),
                ColumnKind::Integer => (PhysicalType::INT64, None),
                ColumnKind::Decimal => {
                    (PhysicalType::INT64, Some(LogicalType::decimal(PARQUET_MONEY_SCALE as i32, 18)))
                }
                ColumnKind::Float => (PhysicalType::DOUBLE, None),
                ColumnKind::Date => (PhysicalType::INT32, Some(LogicalType::Date)),
                ColumnKind::Timestamp => (PhysicalType::INT64, Some(LogicalType::timestamp(true, TimeUnit::MICROS))),
            };
            let mut builder = Type::primitive_type_builder(&column.name, physical)
                .with_repetition(Repetition::OPTIONAL)
                .with_logical_type(logical);
            if column.kind == ColumnKind::Decimal {
                builder = builder.with_precision(18).with_scale(PARQUET_MONEY_SCALE as i32);
            }
            fields.push(Arc::new(builder.build().map_err(parquet_error)?));
        }
        Type::group_type_builder("schema").with_fields(fields).build().map_err(parquet_error)
    }

    fn units(amount: Decimal) -> Result<i64, AnalyticsError> {
        let too_large = || AnalyticsError::Export(format!("{amount} exceeds DECIMAL(18, 4)"));
        let scaled = amount
            .round_dp(PARQUET_MONEY_SCALE)
            .checked_mul(Decimal::from(10_i64.pow(PARQUET_MONEY_SCALE)))
            .ok_or_else(too_large)?;
        i64::try_from(scaled.trunc()).map_err(|_| too_large())
    }

    pub(super) struct ParquetSink<W: Write + Send> {
        writer: SerializedFileWriter<W>,
    }

    impl<W: Write + Send> ParquetSink<W> {
        pub(super) fn new(columns: &[Column], out: W) -> Result<Self, AnalyticsError> {
            let properties = WriterProperties::builder()
                .set_compression(parquet::basic::Compression::SNAPPY)
                .set_created_by("franchise-hub".into())
                .build();
            let writer = SerializedFileWriter::new(out, Arc::new(schema(columns)?), Arc::new(properties))
                .map_err(parquet_error)?;
            Ok(Self { writer })
        }

        /// One row group holding `rows`, written column by column.
        pub(super) fn write_rows(&mut self, columns: &[Column], rows: &[Vec<Value>]) -> Result<(), AnalyticsError> {
            if rows.is_empty() {
                return Ok(());
            }
            let mut group = self.writer.next_row_group().map_err(parquet_error)?;
            for (index, column) in columns.iter().enumerate() {
                let mut out = group
                    .next_column()
                    .map_err(parquet_error)?
                    .ok_or_else(|| AnalyticsError::Export("the Parquet schema has fewer columns".into()))?;
                let levels: Vec<i16> = rows.iter().map(|row| i16::from(row[index] != Value::Null)).collect();
                let cells = rows.iter().map(|row| &row[index]);
                match column.kind {
                    ColumnKind::Text => {
                        let values: Vec<ByteArray> = cells
                            .filter_map(|cell| match cell {
                                Value::Text(text) => Some(ByteArray::from(text.as_str())),
                                _ => None,
                            })
                            .collect();
                        out.typed::<ByteArrayType>()
                            .write_batch(&values, Some(&levels), None)
                            .map_err(parquet_error)?;
                    }
                    ColumnKind::Integer | ColumnKind::Decimal | ColumnKind::Timestamp => {
                        let mut values = Vec::with_capacity(rows.len());
                        for cell in cells {
                            match cell {
                                Value::Integer(value) => values.push(*value),
                                Value::Decimal(amount) => values.push(units(*amount)?),
                                Value::Timestamp(at) => values.push(at.timestamp_micros()),
                                _ => {}
                            }
                        }
                        out.typed::<Int64Type>().write_batch(&values, Some(&levels), None).map_err(parquet_error)?;
                    }
                    ColumnKind::Float => {
                        let values: Vec<f64> = cells
                            .filter_map(|cell| match cell {
                                Value::Float(value) => Some(*value),
                                _ => None,
                            })
                            .collect();
                        out.typed::<DoubleType>().write_batch(&values, Some(&levels), None).map_err(parquet_error)?;
                    }
                    ColumnKind::Date => {
                        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch is a date");
                        let values: Vec<i32> = cells
                            .filter_map(|cell| match cell {
                                Value::Date(day) => i32::try_from((*day - epoch).num_days()).ok(),
                                _ => None,
                            })
                            .collect();
                        out.typed::<Int32Type>().write_batch(&values, Some(&levels), None).map_err(parquet_error)?;
                    }
                }
                out.close().map_err(parquet_error)?;
            }
            group.close().map_err(parquet_error)?;
            Ok(())
        }

        pub(super) fn finish(self) -> Result<W, AnalyticsError> {
            self.writer.into_inner().map_err(parquet_error)
        }
    }
}

/// The columns of a sales export (no customer data).
pub fn sales_columns() -> Vec<Column> {
    use ColumnKind::*;
    [
        ("sale_id", Text),
        ("external_id", Text),
        ("provider", Text),
        ("connection_id", Text),
        ("franchisee_id", Text),
        ("location_id", Text),
        ("business_day", Date),
        ("occurred_at", Timestamp),
        ("currency", Text),
        ("gross", Decimal),
        ("discount", Decimal),
        ("service_charges", Decimal),
        ("tax", Decimal),
        ("tip", Decimal),
        ("total", Decimal),
        ("refunded", Decimal),
        ("net", Decimal),
        ("lines", Integer),
    ]
    .into_iter()
    .map(|(name, kind)| Column::new(name, kind))
    .collect()
}

/// Which sales to export: local business days `from..=to`, optionally of one location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesExport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub location_id: Option<LocationId>,
}

impl SalesExport {
    /// Refuses a reversed or too long (over [`crate::kpis::MAX_DAYS`] days) range.
    pub fn validate(&self) -> Result<(), AnalyticsError> {
        if self.from > self.to {
            return Err(AnalyticsError::invalid("from", format!("{} is after to ({})", self.from, self.to)));
        }
        let days = (self.to - self.from).num_days() + 1;
        if days > crate::kpis::MAX_DAYS {
            return Err(AnalyticsError::invalid(
                "to",
                format!("the range spans {days} days; at most {} are exported at once", crate::kpis::MAX_DAYS),
            ));
        }
        Ok(())
    }
}

fn text(value: impl ToString) -> Value {
    Value::Text(value.to_string())
}

fn optional_text(value: Option<impl ToString>) -> Value {
    value.map_or(Value::Null, text)
}

impl Analytics {
    /// Writes the sales in `scope` that the rollups have folded in, in (business day, id) order,
    /// chunk by chunk; `progress` hears the running row count after each chunk.
    pub async fn export_sales<W: Write + Send>(
        &self,
        scope: &TenantScope,
        export: &SalesExport,
        writer: &mut TableWriter<W>,
        mut progress: impl FnMut(u64),
    ) -> Result<u64, AnalyticsError> {
        export.validate()?;
        let mut after: Option<DayCursor> = None;
        loop {
            let page = self
                .store()
                .sales_by_day(
                    scope,
                    export.from,
                    export.to,
                    export.location_id.as_ref(),
                    after.as_ref(),
                    SALES_PER_CHUNK,
                )
                .await?;
            let Some(last) = page.last() else { return Ok(writer.rows()) };
            after = Some(DayCursor { day: last.day, record_id: last.record.id.clone() });
            let mut rows = Vec::with_capacity(page.len());
            for dated in &page {
                let record = &dated.record;
                let sale: Sale = serde_json::from_value(record.data.clone()).map_err(|error| {
                    AnalyticsError::Store(hub_store::StoreError::Corrupt(format!("sale {}: {error}", record.id)))
                })?;
                rows.push(vec![
                    text(&record.id),
                    text(&record.external_id),
                    text(&record.provider),
                    text(&record.connection_id),
                    optional_text(record.franchisee_id.as_ref()),
                    optional_text(record.location_id.as_ref()),
                    Value::Date(dated.day),
                    Value::Timestamp(sale.occurred_at),
                    text(sale.currency.as_str()),
                    Value::Decimal(sale.gross),
                    Value::Decimal(sale.discount),
                    Value::Decimal(sale.service_charges),
                    Value::Decimal(sale.tax),
                    Value::Decimal(sale.tip),
                    Value::Decimal(sale.total),
                    Value::Decimal(sale.refunded),
                    Value::Decimal(sale.net),
                    Value::Integer(sale.lines.len() as i64),
                ]);
            }
            writer.write_rows(&rows)?;
            progress(writer.rows());
            if page.len() < SALES_PER_CHUNK as usize {
                return Ok(writer.rows());
            }
        }
    }
}

const KPI_NAMES: [&str; 10] = [
    "gross_sales",
    "net_sales",
    "tips",
    "transactions",
    "average_ticket",
    "appointments",
    "no_show_rate",
    "staff_utilisation",
    "new_customers",
    "returning_customers",
];

/// A KPI report as a table: one row per report row (by location, with each KPI's percentile
/// rank as `<kpi>_percentile`), then a `total` row.
pub fn kpi_table(report: &KpiReport) -> Table {
    use ColumnKind::*;
    let mut columns: Vec<Column> = [
        ("key", Text),
        ("label", Text),
        ("currency", Text),
        ("gross_sales", Decimal),
        ("net_sales", Decimal),
        ("tips", Decimal),
        ("tax", Decimal),
        ("discounts", Decimal),
        ("refunds", Decimal),
        ("transactions", Integer),
        ("average_ticket", Decimal),
        ("appointments", Integer),
        ("no_show_rate", Float),
        ("staff_utilisation", Float),
        ("new_customers", Integer),
        ("returning_customers", Integer),
        ("foreign_currency_transactions", Integer),
    ]
    .into_iter()
    .map(|(name, kind)| Column::new(name, kind))
    .collect();
    let ranked = report.group_by == GroupBy::Location;
    if ranked {
        columns.extend(KPI_NAMES.iter().map(|name| Column::new(format!("{name}_percentile"), Float)));
    }
    let royalties = report.group_by == GroupBy::Franchisee && report.royalty_due.is_some();
    if royalties {
        columns.extend(
            ["royalty_billed", "royalty_outstanding", "royalty_drafted"].map(|name| Column::new(name, Decimal)),
        );
    }
    let count = |value: u64| Value::Integer(i64::try_from(value).unwrap_or(i64::MAX));
    let mut table = Table::new(columns);
    let currency = report.currency.as_str();
    let rows = report.rows.iter().map(|row| {
        (row.key.as_str(), row.label.as_deref(), &row.kpis, row.percentiles.as_ref(), row.royalty_due.as_ref())
    });
    let total = std::iter::once(("total", None, &report.totals, None, report.royalty_due.as_ref()));
    for (key, label, kpis, percentiles, due) in rows.chain(total) {
        let mut cells = vec![
            text(key),
            optional_text(label),
            text(currency),
            Value::Decimal(kpis.gross_sales),
            Value::Decimal(kpis.net_sales),
            Value::Decimal(kpis.tips),
            Value::Decimal(kpis.tax),
            Value::Decimal(kpis.discounts),
            Value::Decimal(kpis.refunds),
            count(kpis.transactions),
            Value::Decimal(kpis.average_ticket),
            count(kpis.appointments),
            kpis.no_show_rate.into(),
            kpis.staff_utilisation.into(),
            count(kpis.new_customers),
            count(kpis.returning_customers),
            count(kpis.foreign_currency_transactions),
        ];
        if ranked {
            match percentiles {
                Some(p) => cells.extend([
                    Value::Float(p.gross_sales),
                    Value::Float(p.net_sales),
                    Value::Float(p.tips),
                    Value::Float(p.transactions),
                    Value::Float(p.average_ticket),
                    Value::Float(p.appointments),
                    p.no_show_rate.into(),
                    p.staff_utilisation.into(),
                    Value::Float(p.new_customers),
                    Value::Float(p.returning_customers),
                ]),
                None => cells.extend(std::iter::repeat_n(Value::Null, KPI_NAMES.len())),
            }
        }
        if royalties {
            let due = due.cloned().unwrap_or_default();
            cells.extend([Value::Decimal(due.billed), Value::Decimal(due.outstanding), Value::Decimal(due.drafted)]);
        }
        table.rows.push(cells);
    }
    table
}

/// Royalty statements as a table: one row per statement line, with its statement's period,
/// status, totals (own and network currency) and invoice beside it, so a spreadsheet can sum
/// lines by kind or by statement. A statement with no lines still has one row (line columns
/// empty).
pub fn statements_table(statements: &[RoyaltyStatement]) -> Table {
    use ColumnKind::*;
    let columns = [
        ("statement_id", Text),
        ("franchisee_id", Text),
        ("period_start", Date),
        ("period_end", Date),
        ("status", Text),
        ("currency", Text),
        ("line_id", Integer),
        ("line_kind", Text),
        ("adjustment", Text),
        ("line_period_start", Date),
        ("description", Text),
        ("base", Decimal),
        ("rate", Decimal),
        ("quantity", Integer),
        ("amount", Decimal),
        ("sale_count", Integer),
        ("statement_total", Decimal),
        ("network_currency", Text),
        ("network_total", Decimal),
        ("invoice_number", Text),
        ("invoice_status", Text),
        ("issued_at", Timestamp),
    ]
    .into_iter()
    .map(|(name, kind)| Column::new(name, kind))
    .collect();
    let mut table = Table::new(columns);
    for statement in statements {
        let head = [
            text(&statement.id),
            text(&statement.franchisee_id),
            Value::Date(statement.period_start),
            Value::Date(statement.period_end),
            text(statement.status.as_str()),
            text(statement.currency.as_str()),
        ];
        let tail = [
            Value::Decimal(statement.total),
            text(statement.consolidated.currency.as_str()),
            Value::Decimal(statement.consolidated.total),
            optional_text(statement.invoice_number.as_ref()),
            optional_text(statement.invoice_status.as_ref()),
            statement.issued_at.map_or(Value::Null, Value::Timestamp),
        ];
        let lines: Vec<[Value; 10]> = if statement.lines.is_empty() {
            vec![std::array::from_fn(|_| Value::Null)]
        } else {
            statement
                .lines
                .iter()
                .map(|line| {
                    [
                        Value::Integer(i64::from(line.line_id)),
                        text(line.kind.as_str()),
                        text(if line.adjustment { "true" } else { "false" }),
                        Value::Date(line.period_start),
                        text(&line.description),
                        Value::Decimal(line.base),
                        line.rate.map_or(Value::Null, Value::Decimal),
                        line.quantity.map_or(Value::Null, |quantity| Value::Integer(i64::from(quantity))),
                        Value::Decimal(line.amount),
                        Value::Integer(i64::try_from(line.sale_count).unwrap_or(i64::MAX)),
                    ]
                })
                .collect()
        };
        for line in lines {
            table.rows.push(head.iter().cloned().chain(line).chain(tail.iter().cloned()).collect());
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut table = Table::new(vec![
            Column::new("name", ColumnKind::Text),
            Column::new("count", ColumnKind::Integer),
            Column::new("amount", ColumnKind::Decimal),
            Column::new("rate", ColumnKind::Float),
            Column::new("day", ColumnKind::Date),
            Column::new("at", ColumnKind::Timestamp),
        ]);
        let day = NaiveDate::from_ymd_opt(2026, 3, 9).expect("a date");
        let at = DateTime::parse_from_rfc3339("2026-03-09T23:59:00.5Z").expect("an instant").with_timezone(&Utc);
        table.rows.push(vec![
            Value::Text("North, \"Main\" St".into()),
            Value::Integer(3),
            Value::Decimal(Decimal::new(123_450, 4)),
            Value::Float(0.25),
            Value::Date(day),
            Value::Timestamp(at),
        ]);
        table.rows.push(vec![
            Value::Null,
            Value::Null,
            Value::Decimal(Decimal::new(-5, 2)),
            Value::Null,
            Value::Null,
            Value::Null,
        ]);
        table
    }

    #[test]
    fn csv_quotes_and_keeps_money_as_decimal_strings() {
        let bytes = sample().write(ExportFormat::Csv, Vec::new()).expect("csv");
        let text = String::from_utf8(bytes).expect("utf-8");
        assert_eq!(
            text,
            "name,count,amount,rate,day,at\n\"North, \"\"Main\"\" St\",3,12.3450,0.25,2026-03-09,2026-03-09T23:59:00.500Z\n\
             ,,-0.05,,,\n"
        );
    }

    #[test]
    fn rows_that_do_not_fit_are_refused() {
        let mut table = sample();
        table.rows.push(vec![Value::Integer(1)]);
        assert!(matches!(table.write(ExportFormat::Csv, Vec::new()), Err(AnalyticsError::Export(_))));
        let mut table = sample();
        table.rows[0][1] = Value::Text("three".into());
        assert!(matches!(table.write(ExportFormat::Csv, Vec::new()), Err(AnalyticsError::Export(_))));
    }

    #[cfg(feature = "parquet")]
    #[test]
    fn parquet_round_trips_through_the_reader() {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        use parquet::record::Field;

        let bytes = sample().write(ExportFormat::Parquet, Vec::new()).expect("parquet");
        let reader = SerializedFileReader::new(bytes::Bytes::from(bytes)).expect("a parquet file");
        let rows: Vec<Vec<(String, Field)>> = reader
            .get_row_iter(None)
            .expect("rows")
            .map(|row| row.expect("a row").get_column_iter().map(|(n, f)| (n.clone(), f.clone())).collect())
            .collect();
        assert_eq!(rows.len(), 2);
        let first: Vec<&Field> = rows[0].iter().map(|(_, field)| field).collect();
        assert_eq!(first[0], &Field::Str("North, \"Main\" St".into()));
        assert_eq!(first[1], &Field::Long(3));
        match first[2] {
            Field::Decimal(decimal) => {
                assert_eq!((decimal.precision(), decimal.scale()), (18, 4));
                assert_eq!(i64::from_be_bytes(decimal.data().try_into().expect("8 bytes")), 123_450);
            }
            other => panic!("money is a decimal, not {other:?}"),
        }
        assert_eq!(first[3], &Field::Double(0.25));
        assert_eq!(first[4], &Field::Date(20_521), "days since 1970-01-01");
        assert_eq!(first[5], &Field::TimestampMicros(1_773_100_740_500_000));
        assert_eq!(rows[1][0].1, Field::Null);
    }
}
