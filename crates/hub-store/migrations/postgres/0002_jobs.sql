-- The durable job queue (hub-jobs) and its cron schedules.
--
-- Keys. A job is a unit of work, not a tenant record: most belong to a network (`network_id` set,
-- e.g. "sync connection X"), but system jobs (purging, cross-network maintenance) belong to none, so
-- `network_id` is nullable and cannot lead the primary key. The key is the job id alone: globally
-- unique and time-sortable. Workers claim across every network in priority order, so the claim
-- index is global; the tenant view (`list_jobs` for one network) is served by `jobs_network`, which
-- does start with `network_id`. Were the queue ever sharded by network, system jobs would move to a
-- table of their own and these keys would gain the `network_id` prefix.
--
-- Claiming. `finished_at` is set exactly when a job succeeds, dies or is cancelled, so
-- `finished_at IS NULL` means "queued, running or failed". The claim index holds those rows in
-- claim order (priority, then due time): a claim walks it from the start, taking due rows whose
-- lease is absent or expired (`locked_until`), so fresh work and the reclaiming of a dead worker's
-- jobs come from one index. Claiming and heartbeats change no indexed column, so PostgreSQL can
-- update the row in place (a HOT update, hence the fillfactor) without touching any index; only
-- finishing a job moves it out of the claim index.
--
-- Purging finished jobs walks the primary key (ids sort by creation time), so needs no index.
CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    network_id   TEXT REFERENCES networks (id),
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    priority     SMALLINT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled')),
    run_at       TIMESTAMPTZ NOT NULL,
    unique_key   TEXT,
    attempts     INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
    locked_by    TEXT,
    locked_until TIMESTAMPTZ,
    last_error   TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    CHECK ((finished_at IS NULL) = (status IN ('queued', 'running', 'failed'))),
    CHECK ((locked_by IS NULL) = (status <> 'running'))
) WITH (
    -- Room on each page for the in-place updates of claims and heartbeats.
    fillfactor = 70,
    -- A queue churns: keep dead rows and planner statistics current.
    autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_analyze_scale_factor = 0.02
);
CREATE INDEX jobs_claim ON jobs (priority DESC, run_at, id) WHERE finished_at IS NULL;
-- One unfinished job per unique key and network ('' stands for "no network": NULLs never collide).
CREATE UNIQUE INDEX jobs_unique_key ON jobs (COALESCE(network_id, ''), unique_key)
    WHERE unique_key IS NOT NULL AND finished_at IS NULL;
CREATE INDEX jobs_network ON jobs (network_id, id) WHERE network_id IS NOT NULL;

-- Cron schedules; a node fires one by moving `next_run_at` on from the value it read, so of two
-- nodes that read the same due schedule only one moves it, and only that one enqueues the job.
CREATE TABLE job_schedules (
    name         TEXT PRIMARY KEY,
    cron         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    network_id   TEXT REFERENCES networks (id),
    priority     SMALLINT NOT NULL,
    max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
    next_run_at  TIMESTAMPTZ NOT NULL,
    last_run_at  TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX job_schedules_due ON job_schedules (next_run_at);
