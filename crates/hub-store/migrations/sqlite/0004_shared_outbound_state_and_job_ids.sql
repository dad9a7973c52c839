-- Outbound-call state shared between hub nodes (hub-resilience): circuit-breaker transitions and
-- the pauses providers ask for. Each node keeps the live state in memory and publishes only
-- transitions here; the others read them back every fraction of a second. Not tenant data: a
-- host breaker is shared by every network calling that host, and the keys are the in-memory keys
-- (`host:…`, `connection:conn_…`, `hubspot:net_…`), so no key starts with `network_id`.
-- Times are RFC 3339 text in UTC written by the hub in one format, so comparing the text compares
-- the instants.

-- The latest transition of each breaker. `version` is bumped by every publication, so a reader
-- applies each one once; `updated_at` is what readers poll on.
CREATE TABLE breaker_states (
    breaker_key   TEXT PRIMARY KEY,
    provider      TEXT NOT NULL,
    -- For a connection breaker: the host it calls (health shows the worse of the two).
    host          TEXT,
    state         TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    opened_at     TEXT,
    -- While open: when the cool-down ends and a node may probe.
    reopen_at     TEXT,
    last_error    TEXT,
    last_error_at TEXT,
    updated_by    TEXT NOT NULL,
    version       INTEGER NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX breaker_states_changed ON breaker_states (updated_at);

-- Keys a provider told some node to leave alone until `paused_until`. `connection_key` is ''
-- when the whole provider app is paused.
CREATE TABLE rate_limit_pauses (
    app_key        TEXT NOT NULL,
    connection_key TEXT NOT NULL,
    provider       TEXT NOT NULL,
    paused_until   TEXT NOT NULL,
    updated_by     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (app_key, connection_key)
);
CREATE INDEX rate_limit_pauses_active ON rate_limit_pauses (paused_until);

-- (PostgreSQL's 0004 also makes job ids compare byte by byte; SQLite's TEXT already does.)
