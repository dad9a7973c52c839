//! `hub jobs list|retry|cancel`: the operator's view of the durable job queue, all networks.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use hub_core::id::JobId;
use hub_core::page::{PageRequest, decode_cursor};
use hub_store::{ChangeContext, Job, JobFilter, JobStatus, JobVisibility};

use crate::Common;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Lists jobs, newest first.
    List {
        #[command(flatten)]
        common: Common,
        /// Only jobs in this status (queued, running, succeeded, failed, dead, cancelled).
        #[arg(long)]
        status: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Queues a failed or dead job to run again now.
    Retry {
        #[command(flatten)]
        common: Common,
        id: String,
    },
    /// Cancels a job that has not finished.
    Cancel {
        #[command(flatten)]
        common: Common,
        id: String,
    },
}

fn line(job: &Job) -> String {
    format!(
        "{}  {:<10} {:<24} attempts {}/{}  run_at {}  {}",
        job.id,
        job.status.as_str(),
        job.kind.as_str(),
        job.attempts,
        job.max_attempts,
        job.run_at.format("%Y-%m-%d %H:%M:%S"),
        job.last_error.as_deref().unwrap_or("")
    )
}

fn json(job: &Job) -> serde_json::Value {
    serde_json::json!({
        "id": job.id, "kind": job.kind.as_str(), "status": job.status.as_str(), "network_id": job.network_id,
        "attempts": job.attempts, "max_attempts": job.max_attempts, "run_at": job.run_at, "last_error": job.last_error,
    })
}

pub async fn run(command: JobsCommand) -> anyhow::Result<ExitCode> {
    let (common, action) = match &command {
        JobsCommand::List { common, .. } | JobsCommand::Retry { common, .. } | JobsCommand::Cancel { common, .. } => {
            (common, &command)
        }
    };
    let config = Config::load(common, None)?;
    crate::telemetry::init(&config);
    let store = config.open_store().await?;
    store.migrate().await?;
    let ctx = ChangeContext::cli();
    match action {
        JobsCommand::List { status, limit, json: as_json, .. } => {
            let status = status
                .as_deref()
                .map(|text| JobStatus::parse(text).with_context(|| format!("--status: `{text}` is not a job status")))
                .transpose()?;
            let filter = JobFilter { visibility: JobVisibility::Operator, status, kind: None };
            let mut page = PageRequest::from_query(Some((*limit).clamp(1, 500)), None)?;
            let mut shown = 0u32;
            loop {
                let result = store.list_jobs(&filter, &page).await?;
                for job in &result.items {
                    if *as_json {
                        println!("{}", json(job))
                    } else {
                        println!("{}", line(job))
                    }
                    shown += 1;
                }
                match result.next_cursor {
                    Some(cursor) if shown < *limit => page.after = Some(decode_cursor(&cursor)?),
                    _ => break,
                }
            }
            if shown == 0 && !*as_json {
                eprintln!("no jobs");
            }
        }
        JobsCommand::Retry { id, .. } => {
            let id = JobId::parse(id).context("job id")?;
            println!("{}", line(&store.retry_job(&JobVisibility::Operator, &ctx, &id).await?));
        }
        JobsCommand::Cancel { id, .. } => {
            let id = JobId::parse(id).context("job id")?;
            println!("{}", line(&store.cancel_job(&JobVisibility::Operator, &ctx, &id).await?));
        }
    }
    Ok(ExitCode::SUCCESS)
}
