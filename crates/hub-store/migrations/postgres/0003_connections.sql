-- Connections, their sealed credentials, and the vault's wrapped data keys.

-- Per-network data keys, wrapped by a master key; the newest is used for new secrets.
CREATE TABLE vault_data_keys (
    network_id    TEXT NOT NULL REFERENCES networks (id),
    id            TEXT NOT NULL,
    master_key_id TEXT NOT NULL,
    wrapped       TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (network_id, id)
);

CREATE TABLE connections (
    network_id          TEXT NOT NULL REFERENCES networks (id),
    id                  TEXT NOT NULL,
    franchisee_id       TEXT,
    location_id         TEXT,
    provider            TEXT NOT NULL,
    environment         TEXT NOT NULL,
    status              TEXT NOT NULL,
    scopes              TEXT NOT NULL,
    -- Sealed JSON (access token, refresh token, …), bound to this connection's id.
    credentials         TEXT,
    -- Bumped on every credential write: writers compare-and-set on it.
    credentials_version BIGINT NOT NULL DEFAULT 0,
    expires_at          TIMESTAMPTZ,
    last_refreshed_at   TIMESTAMPTZ,
    last_error          TEXT,
    -- One token refresh in flight per connection across all nodes.
    refresh_lease_owner TEXT,
    refresh_lease_until TIMESTAMPTZ,
    created_by          TEXT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (network_id, id)
);
CREATE INDEX connections_scope ON connections (network_id, franchisee_id, location_id);
CREATE INDEX connections_expiry ON connections (status, expires_at);

-- Authorization attempts in flight: looked up by the hash of the state parameter, used once.
CREATE TABLE oauth_states (
    state_hash      TEXT PRIMARY KEY,
    network_id      TEXT NOT NULL REFERENCES networks (id),
    connection_id   TEXT NOT NULL,
    started_by      TEXT NOT NULL,
    sealed_verifier TEXT,
    redirect_uri    TEXT NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    used_at         TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL
);

-- Expiring links a shop owner opens to authorize a connection without an API key.
CREATE TABLE connect_links (
    token_hash    TEXT PRIMARY KEY,
    network_id    TEXT NOT NULL REFERENCES networks (id),
    id            TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

-- A connection's history a person needs to see: authorized, refreshed, needs reauthorization, revoked.
CREATE TABLE connection_events (
    network_id    TEXT NOT NULL REFERENCES networks (id),
    connection_id TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    detail        TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (network_id, connection_id, seq)
);

-- A network's own OAuth app and URL overrides per provider; the client secret is sealed.
CREATE TABLE provider_settings (
    network_id           TEXT NOT NULL REFERENCES networks (id),
    provider             TEXT NOT NULL,
    settings             TEXT NOT NULL,
    sealed_client_secret TEXT,
    updated_at           TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (network_id, provider)
);
