//! Row shapes of the job tables and their conversion into [`crate::jobs`] types, plus the small
//! text helpers the job SQL shares. A row that does not parse back surfaces as
//! [`StoreError::Corrupt`], never a panic.

use chrono::{DateTime, SecondsFormat, Utc};
use hub_core::audit::truncate_to_micros;
use hub_core::id::{JobId, NetworkId, WorkerId};

use crate::StoreError;
use crate::jobs::{Job, JobKind, JobStatus, NewJob, Schedule};

/// Job errors are kept to this many bytes, so a handler returning a huge error cannot bloat rows.
pub(crate) const MAX_ERROR_LEN: usize = 4_000;

#[derive(sqlx::FromRow)]
pub(crate) struct JobRow {
    pub id: String,
    pub network_id: Option<String>,
    pub kind: String,
    pub payload: String,
    pub priority: i16,
    pub status: String,
    pub run_at: DateTime<Utc>,
    pub unique_key: Option<String>,
    pub attempts: i32,
    pub max_attempts: i32,
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

fn corrupt(column: &str, text: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{column} `{text}`: {why}"))
}

fn parse_network(column: &str, text: Option<&str>) -> Result<Option<NetworkId>, StoreError> {
    text.map(|text| NetworkId::parse(text).map_err(|error| corrupt(column, text, error))).transpose()
}

fn parse_payload(column: &str, text: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|error| corrupt(column, text, error))
}

fn parse_count(column: &str, value: i32) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|error| corrupt(column, &value.to_string(), error))
}

impl TryFrom<JobRow> for Job {
    type Error = StoreError;
    fn try_from(row: JobRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: JobId::parse(&row.id).map_err(|error| corrupt("jobs.id", &row.id, error))?,
            network_id: parse_network("jobs.network_id", row.network_id.as_deref())?,
            kind: JobKind::parse(&row.kind).map_err(|error| corrupt("jobs.kind", &row.kind, error))?,
            payload: parse_payload("jobs.payload", &row.payload)?,
            priority: row.priority,
            status: JobStatus::parse(&row.status)
                .ok_or_else(|| corrupt("jobs.status", &row.status, "not a job status"))?,
            run_at: row.run_at,
            unique_key: row.unique_key,
            attempts: parse_count("jobs.attempts", row.attempts)?,
            max_attempts: parse_count("jobs.max_attempts", row.max_attempts)?,
            locked_by: row
                .locked_by
                .map(|text| WorkerId::parse(&text).map_err(|error| corrupt("jobs.locked_by", &text, error)))
                .transpose()?,
            locked_until: row.locked_until,
            last_error: row.last_error,
            created_at: row.created_at,
            updated_at: row.updated_at,
            finished_at: row.finished_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ScheduleRow {
    pub name: String,
    pub cron: String,
    pub kind: String,
    pub payload: String,
    pub network_id: Option<String>,
    pub priority: i16,
    pub max_attempts: i32,
    pub next_run_at: DateTime<Utc>,
    pub last_run_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<ScheduleRow> for Schedule {
    type Error = StoreError;
    fn try_from(row: ScheduleRow) -> Result<Self, StoreError> {
        Ok(Self {
            kind: JobKind::parse(&row.kind).map_err(|error| corrupt("job_schedules.kind", &row.kind, error))?,
            payload: parse_payload("job_schedules.payload", &row.payload)?,
            network_id: parse_network("job_schedules.network_id", row.network_id.as_deref())?,
            max_attempts: parse_count("job_schedules.max_attempts", row.max_attempts)?,
            name: row.name,
            cron: row.cron,
            priority: row.priority,
            next_run_at: row.next_run_at,
            last_run_at: row.last_run_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The smallest job id that can have been made at or after `at`: ids are UUIDv7 (48 bits of Unix
/// milliseconds first) in base32 behind `job_`, so they sort by creation time.
pub(crate) fn first_job_id_at(at: DateTime<Utc>) -> String {
    let millis = u128::try_from(at.timestamp_millis()).unwrap_or(0) & ((1 << 48) - 1);
    format!("{}_{}", JobId::PREFIX, hub_core::id::encode_base32(millis << 80))
}

/// Cuts `error` to at most [`MAX_ERROR_LEN`] bytes on a character boundary.
pub(crate) fn clip_error(error: &str) -> &str {
    if error.len() <= MAX_ERROR_LEN {
        return error;
    }
    let mut end = MAX_ERROR_LEN;
    while !error.is_char_boundary(end) {
        end -= 1;
    }
    &error[..end]
}

/// The rows of a batch insert as one JSON array of arrays (id, network_id, kind, payload,
/// priority, run_at, unique_key, max_attempts), which the SQL unpacks: one parameter, however
/// many rows (SQLite looks bound parameters up by name in linear time, so hundreds of them cost
/// more than the insert). Times use the text form the SQLite driver binds, which PostgreSQL parses.
pub(crate) fn insert_rows_json(jobs: &[NewJob], at: DateTime<Utc>) -> Result<String, StoreError> {
    let rows: Vec<serde_json::Value> = jobs
        .iter()
        .map(|new| {
            let max_attempts = i32::try_from(new.max_attempts).map_err(|_| {
                StoreError::Invalid(hub_core::ValidationError::new("is too large").for_field("max_attempts"))
            })?;
            let run_at = truncate_to_micros(new.run_at.unwrap_or(at)).to_rfc3339_opts(SecondsFormat::AutoSi, false);
            Ok(serde_json::json!([
                JobId::new().as_str(),
                new.network_id.as_ref().map(|id| id.as_str()),
                new.kind.as_str(),
                new.payload.to_string(),
                new.priority,
                run_at,
                new.unique_key.as_deref(),
                max_attempts,
            ]))
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(serde_json::Value::Array(rows).to_string())
}

/// The rows of a batch insert as one array per column, for PostgreSQL's `UNNEST`: typed, binary
/// parameters, so nothing is formatted or parsed as text on either side.
pub(crate) struct BatchColumns {
    pub id: Vec<String>,
    pub network_id: Vec<Option<String>>,
    pub kind: Vec<String>,
    pub payload: Vec<String>,
    pub priority: Vec<i16>,
    pub run_at: Vec<DateTime<Utc>>,
    pub unique_key: Vec<Option<String>>,
    pub max_attempts: Vec<i32>,
}

impl BatchColumns {
    /// Fresh ids, and `at` as the due time of jobs without one.
    pub(crate) fn of(jobs: &[NewJob], at: DateTime<Utc>) -> Result<Self, StoreError> {
        let mut columns = Self {
            id: Vec::with_capacity(jobs.len()),
            network_id: Vec::with_capacity(jobs.len()),
            kind: Vec::with_capacity(jobs.len()),
            payload: Vec::with_capacity(jobs.len()),
            priority: Vec::with_capacity(jobs.len()),
            run_at: Vec::with_capacity(jobs.len()),
            unique_key: Vec::with_capacity(jobs.len()),
            max_attempts: Vec::with_capacity(jobs.len()),
        };
        for new in jobs {
            let max_attempts = i32::try_from(new.max_attempts).map_err(|_| {
                StoreError::Invalid(hub_core::ValidationError::new("is too large").for_field("max_attempts"))
            })?;
            columns.id.push(JobId::new().as_str().to_owned());
            columns.network_id.push(new.network_id.as_ref().map(|id| id.as_str().to_owned()));
            columns.kind.push(new.kind.as_str().to_owned());
            columns.payload.push(new.payload.to_string());
            columns.priority.push(new.priority);
            columns.run_at.push(truncate_to_micros(new.run_at.unwrap_or(at)));
            columns.unique_key.push(new.unique_key.clone());
            columns.max_attempts.push(max_attempts);
        }
        Ok(columns)
    }
}

/// The jobs a claim statement returned, in claim order: those it dead-lettered instead (their
/// lease ran out on the last attempt) are logged and left out.
pub(crate) fn claimed_jobs(rows: Vec<JobRow>) -> Result<Vec<Job>, StoreError> {
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        let job = Job::try_from(row)?;
        if job.status == JobStatus::Running {
            claimed.push(job);
        } else {
            tracing::warn!(job_id = %job.id, kind = %job.kind, "job dead-lettered: its lease ran out on the last attempt");
        }
    }
    claimed.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.run_at.cmp(&b.run_at)).then(a.id.cmp(&b.id)));
    Ok(claimed)
}

/// Parses ids read back from `jobs.id`.
pub(crate) fn parse_job_ids(ids: Vec<String>) -> Result<Vec<JobId>, StoreError> {
    ids.into_iter().map(|id| JobId::parse(&id).map_err(|error| corrupt("jobs.id", &id, error))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_clipped_on_a_character_boundary() {
        let long = "é".repeat(MAX_ERROR_LEN);
        let clipped = clip_error(&long);
        assert!(clipped.len() <= MAX_ERROR_LEN && clipped.len() >= MAX_ERROR_LEN - 1);
        assert_eq!(clip_error("short"), "short");
    }

    #[test]
    fn ids_made_before_an_instant_sort_below_its_first_id() {
        let before = JobId::new();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let cutoff = first_job_id_at(Utc::now());
        std::thread::sleep(std::time::Duration::from_millis(2));
        let after = JobId::new();
        assert!(before.as_str() < cutoff.as_str() && cutoff.as_str() < after.as_str());
        assert!(JobId::parse(&cutoff).is_ok());
    }

    #[test]
    fn batch_rows_carry_every_column_in_order() {
        let kind = JobKind::parse("sync.connection").expect("kind");
        let at = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.123456Z").expect("time").with_timezone(&Utc);
        let new = NewJob::new(kind, serde_json::json!({ "a": 1 })).priority(3).unique_key("k").max_attempts(4);
        let text = insert_rows_json(&[new], at).expect("rows");
        let rows: serde_json::Value = serde_json::from_str(&text).expect("json");
        let row = &rows[0];
        assert!(row[0].as_str().is_some_and(|id| JobId::parse(id).is_ok()));
        assert_eq!(row[1], serde_json::Value::Null);
        assert_eq!(
            (row[2].as_str(), row[3].as_str(), row[4].as_i64()),
            (Some("sync.connection"), Some("{\"a\":1}"), Some(3))
        );
        assert_eq!(row[5].as_str(), Some("2026-01-02T03:04:05.123456+00:00"));
        assert_eq!((row[6].as_str(), row[7].as_i64()), (Some("k"), Some(4)));
    }
}
