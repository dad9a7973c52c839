-- Unified records, their change feed, and the sync engine's runs and cursors.
--
-- Records. One row per (connection, model, external id): the provider's object as the unified
-- model sees it (`data`, JSON), with its provenance. `content_hash` decides whether an incoming
-- payload changes anything; an unchanged one writes nothing (except, in a full sync, the
-- `seen_run` mark that the sweep uses to find what the provider no longer has). Deletes are soft:
-- `deleted_at` is set and the row stays for history. `franchisee_id` and `location_id` place the
-- record in the tenant hierarchy, so every scoped read filters on them.
CREATE TABLE records (
    network_id           TEXT NOT NULL REFERENCES networks (id),
    id                   TEXT NOT NULL,
    model                TEXT NOT NULL,
    connection_id        TEXT NOT NULL,
    external_id          TEXT NOT NULL,
    provider             TEXT NOT NULL,
    franchisee_id        TEXT,
    location_id          TEXT,
    provider_location_id TEXT,
    occurred_at          TEXT,
    remote_updated_at    TEXT,
    content_hash         TEXT NOT NULL,
    version              INTEGER NOT NULL,
    data                 TEXT NOT NULL,
    seen_run             TEXT,
    deleted_at           TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    PRIMARY KEY (network_id, id)
);
CREATE UNIQUE INDEX records_source ON records (network_id, connection_id, model, external_id);
CREATE INDEX records_model ON records (network_id, model, id);
CREATE INDEX records_list ON records (network_id, model, location_id, id);
CREATE INDEX records_franchisee ON records (network_id, model, franchisee_id, id);
CREATE INDEX records_occurred ON records (network_id, model, location_id, occurred_at);

-- The change feed: every create, update and delete of a record, in commit order per network.
-- Sequence numbers come from `change_heads`: a writer bumps its network's head inside the
-- transaction that writes the changes, so (on PostgreSQL, where writers run concurrently) the
-- head's row lock orders commits and a reader never sees seq N+1 before seq N.
CREATE TABLE change_heads (
    network_id TEXT PRIMARY KEY REFERENCES networks (id),
    seq        INTEGER NOT NULL
);
CREATE TABLE changes (
    network_id    TEXT NOT NULL REFERENCES networks (id),
    seq           INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('created', 'updated', 'deleted')),
    model         TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    version       INTEGER NOT NULL,
    franchisee_id TEXT,
    location_id   TEXT,
    connection_id TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    at            TEXT NOT NULL,
    PRIMARY KEY (network_id, seq)
);

-- One row per sync of a connection: what it was asked to do, how far it got (the checkpoint it
-- resumes from after a crash) and what it found.
CREATE TABLE sync_runs (
    network_id    TEXT NOT NULL REFERENCES networks (id),
    id            TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    franchisee_id TEXT,
    location_id   TEXT,
    mode          TEXT NOT NULL CHECK (mode IN ('full', 'incremental')),
    trigger_kind  TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    checkpoint    TEXT NOT NULL,
    fetched       INTEGER NOT NULL DEFAULT 0,
    created       INTEGER NOT NULL DEFAULT 0,
    updated       INTEGER NOT NULL DEFAULT 0,
    deleted       INTEGER NOT NULL DEFAULT 0,
    unchanged     INTEGER NOT NULL DEFAULT 0,
    pages         INTEGER NOT NULL DEFAULT 0,
    errors        TEXT NOT NULL DEFAULT '[]',
    requested_at  TEXT NOT NULL,
    started_at    TEXT,
    finished_at   TEXT,
    PRIMARY KEY (network_id, id)
);
CREATE INDEX sync_runs_connection ON sync_runs (network_id, connection_id, id);
-- At most one unfinished run per connection: a second request joins the first.
CREATE UNIQUE INDEX sync_runs_active ON sync_runs (network_id, connection_id) WHERE status IN ('queued', 'running');

-- Per (connection, model): where the next incremental sync starts.
CREATE TABLE sync_cursors (
    network_id        TEXT NOT NULL REFERENCES networks (id),
    connection_id     TEXT NOT NULL,
    model             TEXT NOT NULL,
    high_water        TEXT,
    last_run_id       TEXT NOT NULL,
    last_full_sync_at TEXT,
    last_synced_at    TEXT NOT NULL,
    PRIMARY KEY (network_id, connection_id, model)
);
