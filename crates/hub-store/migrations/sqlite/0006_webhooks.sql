-- Webhooks in both directions.
--
-- Inbound sources: where a provider delivers events for one connection (or the network's app).
-- The URL token is stored only as its SHA-256; secrets only sealed by the vault (JSON list, several
-- during a rotation, each with its expiry).
CREATE TABLE webhook_sources (
    network_id       TEXT NOT NULL REFERENCES networks (id),
    id               TEXT NOT NULL,
    provider         TEXT NOT NULL,
    token_hash       TEXT NOT NULL,
    connection_id    TEXT,
    franchisee_id    TEXT,
    location_id      TEXT,
    notification_url TEXT,
    secrets          TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (network_id, id)
);
CREATE UNIQUE INDEX webhook_sources_token ON webhook_sources (token_hash);

-- Verified inbound deliveries, written in batches (group commit) before the provider gets its
-- 2xx, deduplicated per source by the provider's event id, and processed from here as from a
-- queue. `body` is dropped after the retention period; the row (and its dedup key) stays.
CREATE TABLE inbound_events (
    network_id    TEXT NOT NULL REFERENCES networks (id),
    id            TEXT NOT NULL,
    source_id     TEXT NOT NULL,
    provider      TEXT NOT NULL,
    connection_id TEXT,
    dedup_key     TEXT NOT NULL,
    event_ids     TEXT NOT NULL,
    headers       TEXT,
    body          BLOB,
    status        TEXT NOT NULL CHECK (status IN ('received', 'processed', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    error         TEXT,
    leased_until  TEXT,
    received_at   TEXT NOT NULL,
    processed_at  TEXT,
    PRIMARY KEY (network_id, id)
);
CREATE UNIQUE INDEX inbound_events_dedup ON inbound_events (network_id, source_id, dedup_key);
-- Claims select by id alone (ids are globally unique).
CREATE UNIQUE INDEX inbound_events_id ON inbound_events (id);
CREATE INDEX inbound_events_pending ON inbound_events (received_at) WHERE status = 'received';
CREATE INDEX inbound_events_source ON inbound_events (network_id, source_id, id);
CREATE INDEX inbound_events_purge ON inbound_events (received_at) WHERE body IS NOT NULL;

-- Subscribers' endpoints. The scope columns say what the endpoint hears about and who sees it:
-- franchisee_id (franchisee or location scope), location_id, territory_id.
CREATE TABLE webhook_endpoints (
    network_id            TEXT NOT NULL REFERENCES networks (id),
    id                    TEXT NOT NULL,
    url                   TEXT NOT NULL,
    description           TEXT,
    event_types           TEXT NOT NULL,
    franchisee_id         TEXT,
    location_id           TEXT,
    territory_id          TEXT,
    role                  TEXT NOT NULL,
    rate_limit_per_second INTEGER,
    ordered               BOOLEAN NOT NULL,
    secrets               TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('enabled', 'disabled')),
    disabled_reason       TEXT,
    failing_since         TEXT,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    PRIMARY KEY (network_id, id)
);

-- Outbound events: one per dedup key (`change:<seq>`, `sync.failed:<run>`, …), so re-emitting
-- after a crash stores nothing twice.
CREATE TABLE webhook_events (
    network_id    TEXT NOT NULL REFERENCES networks (id),
    id            TEXT NOT NULL,
    event_type    TEXT NOT NULL,
    dedup_key     TEXT NOT NULL,
    franchisee_id TEXT,
    location_id   TEXT,
    data          TEXT NOT NULL,
    occurred_at   TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (network_id, id)
);
CREATE UNIQUE INDEX webhook_events_dedup ON webhook_events (network_id, dedup_key);

-- One delivery per (event, endpoint), made with the event. `attempts` counts since it was last
-- (re)queued; the endpoint's scope is copied so scoped reads need no join.
CREATE TABLE webhook_deliveries (
    network_id       TEXT NOT NULL REFERENCES networks (id),
    id               TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    endpoint_id      TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    franchisee_id    TEXT,
    location_id      TEXT,
    ordered          BOOLEAN NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    leased_until     TEXT,
    last_status_code INTEGER,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    delivered_at     TEXT,
    PRIMARY KEY (network_id, id)
);
CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (network_id, endpoint_id, event_id);
CREATE UNIQUE INDEX webhook_deliveries_id ON webhook_deliveries (id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (network_id, endpoint_id, status, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (network_id, event_id);

-- The attempts log: status, latency and the first 1 KiB of each answer.
CREATE TABLE webhook_attempts (
    network_id    TEXT NOT NULL REFERENCES networks (id),
    id            TEXT NOT NULL,
    delivery_id   TEXT NOT NULL,
    endpoint_id   TEXT NOT NULL,
    event_id      TEXT NOT NULL,
    event_type    TEXT NOT NULL,
    franchisee_id TEXT,
    location_id   TEXT,
    attempt       INTEGER NOT NULL,
    status_code   INTEGER,
    latency_ms    INTEGER NOT NULL,
    response      TEXT,
    error         TEXT,
    outcome       TEXT NOT NULL,
    at            TEXT NOT NULL,
    PRIMARY KEY (network_id, id)
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (network_id, endpoint_id, id);
CREATE INDEX webhook_attempts_event ON webhook_attempts (network_id, event_id, id);

-- The outbound producer's position in each network's change feed, moved in the transaction that
-- stores the events it produced (compare-and-set, so two nodes never fan out one change twice).
CREATE TABLE webhook_cursors (
    network_id TEXT PRIMARY KEY REFERENCES networks (id),
    change_seq INTEGER NOT NULL
);

-- What the producer remembers per record to tell an update's meaning (a sale's refunded total).
CREATE TABLE webhook_marks (
    network_id TEXT NOT NULL REFERENCES networks (id),
    record_id  TEXT NOT NULL,
    mark       TEXT NOT NULL,
    PRIMARY KEY (network_id, record_id)
);

-- Where the scan for failed syncs and expired connections stands (one row).
CREATE TABLE webhook_scans (
    name       TEXT PRIMARY KEY,
    scanned_at TEXT NOT NULL
);
