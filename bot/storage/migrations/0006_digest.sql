-- telecrm schema: manager digests and team group alerts (bot/services/digest.py, groups.py).

-- Jobs that must do their work once per day, however often they wake up, across restarts
-- and several processes: the row is inserted in the same transaction as the job's outbox
-- rows, and a second insert for the same day loses on the primary key.
CREATE TABLE daily_runs (
    job       TEXT NOT NULL,
    run_date  TEXT NOT NULL,                    -- 'YYYY-MM-DD' in the team's time zone
    ran_at    TEXT NOT NULL,
    PRIMARY KEY (job, run_date)
);

-- The digest's "new customers" of a period, without reading the whole book.
CREATE INDEX customers_created ON customers (created_at) WHERE merged_into_id IS NULL;

-- The customers at risk use customers_quiet (migration 5): status, then the longest without
-- contact first.
