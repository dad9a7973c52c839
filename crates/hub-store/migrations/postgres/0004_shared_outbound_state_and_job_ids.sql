-- Outbound-call state shared between hub nodes (hub-resilience): circuit-breaker transitions and
-- the pauses providers ask for. Each node keeps the live state in memory and publishes only
-- transitions here; the others read them back every fraction of a second. Not tenant data: a
-- host breaker is shared by every network calling that host, and the keys are the in-memory keys
-- (`host:…`, `connection:conn_…`, `hubspot:net_…`), so no key starts with `network_id`.

-- The latest transition of each breaker. `version` is bumped by every publication, so a reader
-- applies each one once; `updated_at` is what readers poll on.
CREATE TABLE breaker_states (
    breaker_key   TEXT PRIMARY KEY,
    provider      TEXT NOT NULL,
    -- For a connection breaker: the host it calls (health shows the worse of the two).
    host          TEXT,
    state         TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    opened_at     TIMESTAMPTZ,
    -- While open: when the cool-down ends and a node may probe.
    reopen_at     TIMESTAMPTZ,
    last_error    TEXT,
    last_error_at TIMESTAMPTZ,
    updated_by    TEXT NOT NULL,
    version       BIGINT NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX breaker_states_changed ON breaker_states (updated_at);

-- Keys a provider told some node to leave alone until `paused_until`. `connection_key` is ''
-- when the whole provider app is paused.
CREATE TABLE rate_limit_pauses (
    app_key        TEXT NOT NULL,
    connection_key TEXT NOT NULL,
    provider       TEXT NOT NULL,
    paused_until   TIMESTAMPTZ NOT NULL,
    updated_by     TEXT NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (app_key, connection_key)
);
CREATE INDEX rate_limit_pauses_active ON rate_limit_pauses (paused_until);

-- Job ids compare byte by byte. They are ASCII (`job_` and base32), so the order is the same as
-- before, but every lookup and insert of the primary key compares with memcmp instead of going
-- through the database's locale.
ALTER TABLE jobs ALTER COLUMN id TYPE TEXT COLLATE "C";

-- The claim index loses its `id` tiebreak: claims take the highest priority, then the earliest
-- due, and jobs tied on both in index order. Why: a claim walks the index from its start, and
-- until VACUUM reaches it the start holds an entry for every job finished since (PostgreSQL
-- keeps the entry of a row's old version; finishing a job moves it out of the partial index).
-- Without the 31-byte id, jobs enqueued together (same priority and due time, as a batch
-- enqueue gives them) share one deduplicated entry, so that walk is over a handful of index
-- tuples instead of one per finished job; measured on 60,000 finished jobs, a claim of 100 went
-- from about 8 ms to under 1 ms. Entries are also half as wide for jobs enqueued one by one.
DROP INDEX jobs_claim;
CREATE INDEX jobs_claim ON jobs (priority DESC, run_at) WHERE finished_at IS NULL;
