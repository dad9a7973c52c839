-- Dashboard users (email + argon2 password hash + optional sealed TOTP secret), their sessions
-- (token stored as a SHA-256 hash) and sign-in attempts (rate limiting).

CREATE TABLE users (
    network_id         TEXT NOT NULL REFERENCES networks (id),
    id                 TEXT NOT NULL,
    email              TEXT NOT NULL,
    role               TEXT NOT NULL,
    franchisee_id      TEXT,
    location_id        TEXT,
    password_hash      TEXT NOT NULL,
    sealed_totp_secret TEXT,
    totp_last_step     BIGINT,
    created_at         TIMESTAMPTZ NOT NULL,
    disabled_at        TIMESTAMPTZ,
    PRIMARY KEY (network_id, id)
);
CREATE UNIQUE INDEX users_email ON users (network_id, email);
CREATE INDEX users_by_email ON users (email);
CREATE INDEX users_scope ON users (network_id, franchisee_id, location_id);

CREATE TABLE dashboard_sessions (
    network_id    TEXT NOT NULL REFERENCES networks (id),
    id            TEXT NOT NULL,
    token_hash    TEXT NOT NULL,
    subject       TEXT NOT NULL,
    csrf_token    TEXT NOT NULL,
    awaiting_totp BOOLEAN NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (network_id, id)
);
CREATE UNIQUE INDEX dashboard_sessions_token ON dashboard_sessions (token_hash);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);

-- Not a tenant table: an attempt may name no known user (and so no network).
CREATE TABLE login_attempts (
    login     TEXT NOT NULL,
    client    TEXT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    reason    TEXT,
    at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_attempts_login ON login_attempts (login, at);
CREATE INDEX login_attempts_client ON login_attempts (client, at);
