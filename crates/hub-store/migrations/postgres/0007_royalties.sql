-- Royalties: franchise agreements, exchange rates, royalty statements and the sales they trace,
-- and the provider account (QuickBooks realm) a connection was granted for.
--
-- Agreements. `terms` is the JSON of hub_core::royalties::AgreementTerms (rates and amounts as
-- decimal strings). Agreements are never edited: a new one supersedes an open-ended one by ending
-- it the day before (`effective_to`), and issued statements keep their own snapshot anyway.
CREATE TABLE royalty_agreements (
    network_id     TEXT NOT NULL REFERENCES networks (id),
    id             TEXT NOT NULL,
    franchisee_id  TEXT NOT NULL,
    effective_from DATE NOT NULL,
    effective_to   DATE,
    terms          TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (network_id, id)
);
CREATE INDEX royalty_agreements_franchisee ON royalty_agreements (network_id, franchisee_id, effective_from);

-- Exchange rates as they were recorded: one unit of `from_currency` is `rate` units of
-- `to_currency` on `rate_date`. Immutable: a statement names the rates it used.
CREATE TABLE exchange_rates (
    network_id    TEXT NOT NULL REFERENCES networks (id),
    from_currency TEXT NOT NULL,
    to_currency   TEXT NOT NULL,
    rate_date     DATE NOT NULL,
    rate          TEXT NOT NULL,
    source        TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (network_id, from_currency, to_currency, rate_date)
);

-- Statements. One per (franchisee, period). `content` holds what is frozen at issue: lines,
-- sales base, consolidated total, rates used, the agreement snapshot and the locations charged.
-- `source_seq` is the change-feed position its sales were read at.
CREATE TABLE royalty_statements (
    network_id      TEXT NOT NULL REFERENCES networks (id),
    id              TEXT NOT NULL,
    franchisee_id   TEXT NOT NULL,
    period_start    DATE NOT NULL,
    period_end      DATE NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('draft', 'issued', 'paid')),
    currency        TEXT NOT NULL,
    total           TEXT NOT NULL,
    content         TEXT NOT NULL,
    source_seq      BIGINT NOT NULL,
    computed_at     TIMESTAMPTZ NOT NULL,
    issued_at       TIMESTAMPTZ,
    paid_at         TIMESTAMPTZ,
    invoice_id      TEXT,
    invoice_number  TEXT,
    invoice_status  TEXT,
    invoice_balance TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (network_id, id)
);
CREATE UNIQUE INDEX royalty_statements_period ON royalty_statements (network_id, franchisee_id, period_start);
CREATE INDEX royalty_statements_status ON royalty_statements (network_id, status, id);

-- The trace: every sale a statement counted, per period it counted towards (its own period, or
-- an earlier issued one for adjustment lines), with its contribution to the base.
CREATE TABLE royalty_statement_sales (
    network_id   TEXT NOT NULL REFERENCES networks (id),
    statement_id TEXT NOT NULL,
    period_start DATE NOT NULL,
    record_id    TEXT NOT NULL,
    location_id  TEXT NOT NULL,
    local_date   DATE NOT NULL,
    currency     TEXT NOT NULL,
    base         TEXT NOT NULL,
    PRIMARY KEY (network_id, statement_id, period_start, record_id)
);
CREATE INDEX royalty_statement_sales_period ON royalty_statement_sales (network_id, period_start, record_id);

-- The provider's id of the account a connection was granted for (QuickBooks' `realmId`, sent
-- beside the authorization code): where the connection's API calls go.
CREATE TABLE provider_accounts (
    network_id    TEXT NOT NULL REFERENCES networks (id),
    connection_id TEXT NOT NULL,
    provider      TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (network_id, connection_id)
);
