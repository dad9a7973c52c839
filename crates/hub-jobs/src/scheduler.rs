//! Cron schedules: validated expressions, and the loop that enqueues the job of every due schedule
//! once, however many nodes run a scheduler (the store's `fire_schedule` decides which one fires).

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hub_store::{Job, NewSchedule, Schedule};
use tokio_util::sync::CancellationToken;

use crate::error::JobsError;
use crate::queue::JobQueue;

/// A cron expression that parses and fires at least once more: five fields (minute hour
/// day-of-month month day-of-week), or six with seconds first. Times are UTC.
#[derive(Debug, Clone)]
pub struct CronExpression {
    text: String,
    cron: croner::Cron,
}

impl CronExpression {
    /// Parses `text`, refusing expressions that never fire from now on.
    pub fn parse(text: &str) -> Result<Self, JobsError> {
        let invalid = |reason: String| JobsError::InvalidCron { expression: text.to_owned(), reason };
        let cron = croner::Cron::from_str(text).map_err(|error| invalid(error.to_string()))?;
        let parsed = Self { text: text.to_owned(), cron };
        if parsed.next_after(Utc::now()).is_none() {
            return Err(invalid("it never fires again".into()));
        }
        Ok(parsed)
    }

    /// The first fire time strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&after, false).ok()
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// How a scheduler runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerConfig {
    /// How often due schedules are looked for (cron has one-minute resolution, or one second
    /// with a seconds field).
    pub tick: Duration,
    /// The most schedules fired per tick.
    pub batch: u32,
    /// Finished jobs older than this are deleted; `None` keeps them forever.
    pub keep_finished_jobs: Option<Duration>,
    /// How often finished jobs are purged.
    pub purge_interval: Duration,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            tick: Duration::from_secs(1),
            batch: 100,
            keep_finished_jobs: Some(Duration::from_secs(7 * 86_400)),
            purge_interval: Duration::from_secs(3_600),
        }
    }
}

/// Fires due cron schedules into the queue, and purges old finished jobs.
#[derive(Clone)]
pub struct Scheduler {
    queue: JobQueue,
    config: SchedulerConfig,
}

impl Scheduler {
    /// A scheduler over `queue`.
    pub fn new(queue: JobQueue, config: SchedulerConfig) -> Self {
        Self { queue, config }
    }

    /// Creates or replaces a schedule after checking its cron expression; a new or changed
    /// expression first fires at its next occurrence from now.
    pub async fn upsert(&self, new: NewSchedule) -> Result<Schedule, JobsError> {
        let cron = CronExpression::parse(&new.cron)?;
        let next = cron.next_after(Utc::now()).ok_or_else(|| JobsError::InvalidCron {
            expression: new.cron.clone(),
            reason: "it never fires again".into(),
        })?;
        Ok(self.queue.store().upsert_schedule(&new, next).await?)
    }

    /// Fires every schedule due now (each at most once, however long it was overdue) and returns
    /// the jobs this node enqueued for them.
    pub async fn tick(&self) -> Result<Vec<Job>, JobsError> {
        let now = Utc::now();
        let store = self.queue.store();
        let mut fired = Vec::new();
        for schedule in store.due_schedules(now, self.config.batch).await? {
            let next = match CronExpression::parse(&schedule.cron).map(|cron| cron.next_after(now)) {
                Ok(Some(next)) => next,
                Ok(None) | Err(_) => {
                    tracing::error!(
                        schedule = %schedule.name, cron = %schedule.cron,
                        "schedule's cron expression is invalid or never fires; fix or delete it"
                    );
                    continue;
                }
            };
            if let Some(job) = store.fire_schedule(&schedule, next).await? {
                tracing::info!(schedule = %schedule.name, job_id = %job.id, next_run_at = %next, "schedule fired");
                fired.push(job);
            }
        }
        if !fired.is_empty() {
            self.queue.wake_workers();
        }
        Ok(fired)
    }

    /// Ticks until `shutdown` fires, purging finished jobs every purge interval.
    pub async fn run(&self, shutdown: CancellationToken) {
        let mut ticker = tokio::time::interval(self.config.tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_purge: Option<tokio::time::Instant> = None;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = ticker.tick() => {}
            }
            if let Err(error) = self.tick().await {
                tracing::warn!(%error, "firing due schedules failed; will try again");
            }
            let purge_due = last_purge.is_none_or(|at| at.elapsed() >= self.config.purge_interval);
            if let (Some(keep), true) = (self.config.keep_finished_jobs, purge_due) {
                last_purge = Some(tokio::time::Instant::now());
                let before = Utc::now() - chrono::TimeDelta::from_std(keep).unwrap_or(chrono::TimeDelta::MAX);
                match self.queue.store().purge_finished_jobs(before).await {
                    Ok(0) => {}
                    Ok(purged) => tracing::info!(purged, "purged finished jobs"),
                    Err(error) => tracing::warn!(%error, "purging finished jobs failed; will try again"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_expressions_parse_and_step_forward() {
        let nightly = CronExpression::parse("0 3 * * *").expect("five fields");
        let at = DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z").expect("time").with_timezone(&Utc);
        let next = nightly.next_after(at).expect("next");
        assert_eq!(next.to_rfc3339(), "2026-03-02T03:00:00+00:00");
        assert_eq!(nightly.next_after(next).map(|t| t.to_rfc3339()).as_deref(), Some("2026-03-03T03:00:00+00:00"));
        let every_ten_seconds = CronExpression::parse("*/10 * * * * *").expect("six fields");
        assert_eq!(
            every_ten_seconds.next_after(at).map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-03-01T10:00:10+00:00")
        );
        for bad in ["", "every day", "61 * * * *", "* * * *"] {
            assert!(matches!(CronExpression::parse(bad), Err(JobsError::InvalidCron { .. })), "{bad:?}");
        }
    }
}
