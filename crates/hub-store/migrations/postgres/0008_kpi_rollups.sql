-- KPI rollups, maintained from the change feed by the `analytics.rollup` job (hub-analytics).
--
-- `rollup_facts` holds each counted record's contribution (a sale, an appointment, a timecard),
-- already placed on its location's local business day: the job recomputes a record's fact from
-- the record whenever the feed names it, and buckets are recomputed from facts, never patched
-- with deltas, so replaying a batch changes nothing. Money is an integer of 1/10 000 units so
-- both databases sum it exactly. Every key starts with network_id.
CREATE TABLE rollup_cursors (
    network_id TEXT PRIMARY KEY REFERENCES networks (id),
    seq        BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE rollup_facts (
    network_id                    TEXT NOT NULL REFERENCES networks (id),
    record_id                     TEXT NOT NULL,
    model                         TEXT NOT NULL,
    location_id                   TEXT NOT NULL,
    day                           DATE NOT NULL,
    occurred_at                   TIMESTAMPTZ NOT NULL,
    customer_key                  TEXT,
    gross                         BIGINT NOT NULL,
    net                           BIGINT NOT NULL,
    tax                           BIGINT NOT NULL,
    tips                          BIGINT NOT NULL,
    discounts                     BIGINT NOT NULL,
    refunds                       BIGINT NOT NULL,
    transactions                  BIGINT NOT NULL,
    foreign_currency_transactions BIGINT NOT NULL,
    appointments                  BIGINT NOT NULL,
    no_shows                      BIGINT NOT NULL,
    booked_minutes                BIGINT NOT NULL,
    worked_minutes                BIGINT NOT NULL,
    PRIMARY KEY (network_id, record_id)
);
CREATE INDEX rollup_facts_bucket ON rollup_facts (network_id, location_id, day);
-- Exports page through sales by business day.
CREATE INDEX rollup_facts_day ON rollup_facts (network_id, model, day, record_id);
CREATE INDEX rollup_facts_customer ON rollup_facts (network_id, customer_key, occurred_at)
    WHERE customer_key IS NOT NULL;

-- Each visiting customer's first visit in the network: new on that (location, day), returning after.
CREATE TABLE rollup_customers (
    network_id   TEXT NOT NULL REFERENCES networks (id),
    customer_key TEXT NOT NULL,
    first_at     TIMESTAMPTZ NOT NULL,
    location_id  TEXT NOT NULL,
    day          DATE NOT NULL,
    PRIMARY KEY (network_id, customer_key)
);
CREATE INDEX rollup_customers_bucket ON rollup_customers (network_id, location_id, day);

-- Buckets: per (location, local day), and the ISO weeks (by Monday) and months (by first day)
-- summed from the days, so a long range reads few rows.
CREATE TABLE rollup_days (
    network_id                    TEXT NOT NULL REFERENCES networks (id),
    location_id                   TEXT NOT NULL,
    day                           DATE NOT NULL,
    week                          DATE NOT NULL,
    month                         DATE NOT NULL,
    gross                         BIGINT NOT NULL,
    net                           BIGINT NOT NULL,
    tax                           BIGINT NOT NULL,
    tips                          BIGINT NOT NULL,
    discounts                     BIGINT NOT NULL,
    refunds                       BIGINT NOT NULL,
    transactions                  BIGINT NOT NULL,
    foreign_currency_transactions BIGINT NOT NULL,
    appointments                  BIGINT NOT NULL,
    no_shows                      BIGINT NOT NULL,
    booked_minutes                BIGINT NOT NULL,
    worked_minutes                BIGINT NOT NULL,
    new_customers                 BIGINT NOT NULL,
    returning_customers           BIGINT NOT NULL,
    PRIMARY KEY (network_id, location_id, day)
);
CREATE INDEX rollup_days_week ON rollup_days (network_id, location_id, week);
CREATE INDEX rollup_days_month ON rollup_days (network_id, location_id, month);
-- Network-wide reads of a date range seek by date.
CREATE INDEX rollup_days_network_day ON rollup_days (network_id, day);

CREATE TABLE rollup_weeks (
    network_id                    TEXT NOT NULL REFERENCES networks (id),
    location_id                   TEXT NOT NULL,
    week                          DATE NOT NULL,
    gross                         BIGINT NOT NULL,
    net                           BIGINT NOT NULL,
    tax                           BIGINT NOT NULL,
    tips                          BIGINT NOT NULL,
    discounts                     BIGINT NOT NULL,
    refunds                       BIGINT NOT NULL,
    transactions                  BIGINT NOT NULL,
    foreign_currency_transactions BIGINT NOT NULL,
    appointments                  BIGINT NOT NULL,
    no_shows                      BIGINT NOT NULL,
    booked_minutes                BIGINT NOT NULL,
    worked_minutes                BIGINT NOT NULL,
    new_customers                 BIGINT NOT NULL,
    returning_customers           BIGINT NOT NULL,
    PRIMARY KEY (network_id, location_id, week)
);
CREATE INDEX rollup_weeks_network_week ON rollup_weeks (network_id, week);

CREATE TABLE rollup_months (
    network_id                    TEXT NOT NULL REFERENCES networks (id),
    location_id                   TEXT NOT NULL,
    month                         DATE NOT NULL,
    gross                         BIGINT NOT NULL,
    net                           BIGINT NOT NULL,
    tax                           BIGINT NOT NULL,
    tips                          BIGINT NOT NULL,
    discounts                     BIGINT NOT NULL,
    refunds                       BIGINT NOT NULL,
    transactions                  BIGINT NOT NULL,
    foreign_currency_transactions BIGINT NOT NULL,
    appointments                  BIGINT NOT NULL,
    no_shows                      BIGINT NOT NULL,
    booked_minutes                BIGINT NOT NULL,
    worked_minutes                BIGINT NOT NULL,
    new_customers                 BIGINT NOT NULL,
    returning_customers           BIGINT NOT NULL,
    PRIMARY KEY (network_id, location_id, month)
);
CREATE INDEX rollup_months_network_month ON rollup_months (network_id, month);
