-- Tenancy, API keys and the audit chain. Every tenant table's key starts with network_id.
CREATE TABLE networks (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    currency   TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE franchisees (
    network_id TEXT NOT NULL REFERENCES networks (id),
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    currency   TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (network_id, id)
);
CREATE UNIQUE INDEX franchisees_name ON franchisees (network_id, name);

CREATE TABLE territories (
    network_id TEXT NOT NULL REFERENCES networks (id),
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    parent_id  TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (network_id, id),
    FOREIGN KEY (network_id, parent_id) REFERENCES territories (network_id, id)
);
CREATE UNIQUE INDEX territories_name ON territories (network_id, name);

CREATE TABLE locations (
    network_id    TEXT NOT NULL REFERENCES networks (id),
    id            TEXT NOT NULL,
    franchisee_id TEXT NOT NULL,
    territory_id  TEXT,
    name          TEXT NOT NULL,
    time_zone     TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (network_id, id),
    FOREIGN KEY (network_id, franchisee_id) REFERENCES franchisees (network_id, id),
    FOREIGN KEY (network_id, territory_id) REFERENCES territories (network_id, id)
);
CREATE INDEX locations_franchisee ON locations (network_id, franchisee_id, id);
CREATE INDEX locations_territory ON locations (network_id, territory_id);

-- Keys are found by their keyed hash; the secret itself is never stored.
CREATE TABLE api_keys (
    network_id     TEXT NOT NULL REFERENCES networks (id),
    id             TEXT NOT NULL,
    role           TEXT NOT NULL,
    franchisee_id  TEXT,
    location_id    TEXT,
    name           TEXT,
    display_prefix TEXT NOT NULL,
    secret_hash    TEXT NOT NULL,
    hash_key_id    TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    revoked_at     TIMESTAMPTZ,
    PRIMARY KEY (network_id, id)
);
CREATE UNIQUE INDEX api_keys_secret_hash ON api_keys (secret_hash);
CREATE INDEX api_keys_scope ON api_keys (network_id, franchisee_id, location_id);

CREATE TABLE audit_log (
    network_id    TEXT NOT NULL REFERENCES networks (id),
    seq           BIGINT NOT NULL,
    id            TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    actor_kind    TEXT NOT NULL,
    actor_id      TEXT NOT NULL,
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    franchisee_id TEXT,
    location_id   TEXT,
    request_id    TEXT,
    details       TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    PRIMARY KEY (network_id, seq)
);
CREATE INDEX audit_log_scope ON audit_log (network_id, franchisee_id, location_id, seq);

-- The last entry of each network's chain; a removed tail shows as a mismatch here.
CREATE TABLE audit_heads (
    network_id TEXT PRIMARY KEY REFERENCES networks (id),
    seq        BIGINT NOT NULL,
    hash       TEXT NOT NULL
);
