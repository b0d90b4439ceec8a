-- Everything the bot sends on its own is first a row here, written in the same transaction as
-- the change that causes it; the dispatcher claims due rows, sends them, marks them sent.
CREATE TABLE outbox (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    kind              TEXT    NOT NULL,          -- followup_due, nudge, churn_alert, ...
    chat_id           INTEGER NOT NULL,          -- where it goes (a member or a group)
    user_id           INTEGER REFERENCES users (id),  -- the member it is for (quiet hours, language)
    customer_id       INTEGER REFERENCES customers (id) ON DELETE CASCADE,
    payload           TEXT    NOT NULL DEFAULT '{}',   -- JSON: ids and facts, rendered at send time
    dedupe_key        TEXT    UNIQUE,            -- a rule's message is written once per occasion
    due_at            TEXT    NOT NULL,
    state             TEXT    NOT NULL DEFAULT 'pending'
                          CHECK (state IN ('pending', 'sent', 'failed', 'cancelled')),
    claimed_by        TEXT,                      -- the dispatcher holding it
    claim_expires_at  TEXT,                      -- after this, another dispatcher may take it
    attempts          INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT,
    sent_at           TEXT,
    message_id        INTEGER,                   -- Telegram's id of the delivered message
    created_at        TEXT    NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, due_at);
CREATE INDEX outbox_customer ON outbox (customer_id, kind, state);
