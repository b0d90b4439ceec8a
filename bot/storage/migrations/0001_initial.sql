-- telecrm schema, version 1: the whole domain of PRODUCT.md.
-- Times are UTC ISO-8601 text ('YYYY-MM-DDTHH:MM:SS.ffffffZ'): they sort as text.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,          -- Telegram user id
    full_name     TEXT    NOT NULL,
    username      TEXT,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'manager', 'rep')),
    language      TEXT    NOT NULL,
    timezone      TEXT    NOT NULL,
    quiet_start   TEXT,                          -- 'HH:MM' local, NULL = no quiet hours
    quiet_end     TEXT,
    digest_time   TEXT    NOT NULL DEFAULT '09:00',
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    reachable     INTEGER NOT NULL DEFAULT 1 CHECK (reachable IN (0, 1)),
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);

CREATE TABLE customers (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    name                 TEXT    NOT NULL,
    company              TEXT,
    kind                 TEXT    NOT NULL DEFAULT 'b2c' CHECK (kind IN ('b2b', 'b2c')),
    telegram_username    TEXT,
    city                 TEXT,
    source               TEXT,
    demand               TEXT    CHECK (demand IN ('product', 'service', 'both')),
    status               TEXT    NOT NULL DEFAULT 'potential' CHECK (status IN (
                             'potential', 'initial_contact', 'following_up',
                             'pending_confirmation', 'won', 'maintaining',
                             'churn_warning', 'churned', 'dormant')),
    value_tier           TEXT    NOT NULL DEFAULT 'normal'
                             CHECK (value_tier IN ('high', 'normal', 'low')),
    value_tier_override  TEXT    CHECK (value_tier_override IN ('high', 'normal', 'low')),
    notes                TEXT,
    owner_id             INTEGER REFERENCES users (id),
    referred_by_id       INTEGER REFERENCES customers (id) ON DELETE SET NULL,
    merged_into_id       INTEGER REFERENCES customers (id),
    last_contact_at      TEXT,
    next_followup_at     TEXT,
    created_by           INTEGER REFERENCES users (id),
    created_at           TEXT    NOT NULL,
    updated_at           TEXT    NOT NULL
);
CREATE INDEX customers_owner ON customers (owner_id, status);
CREATE INDEX customers_followup ON customers (next_followup_at)
    WHERE next_followup_at IS NOT NULL;
CREATE INDEX customers_referrer ON customers (referred_by_id)
    WHERE referred_by_id IS NOT NULL;

CREATE TABLE customer_phones (
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    phone        TEXT    NOT NULL,              -- E.164
    position     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (customer_id, phone)
);
CREATE INDEX customer_phones_phone ON customer_phones (phone);

CREATE TABLE customer_emails (
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    email        TEXT    NOT NULL,              -- normalised (domain lower-cased)
    position     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (customer_id, email)
);
CREATE INDEX customer_emails_email ON customer_emails (email COLLATE NOCASE);

CREATE TABLE customer_tags (
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    tag          TEXT    NOT NULL,
    PRIMARY KEY (customer_id, tag)
);
CREATE INDEX customer_tags_tag ON customer_tags (tag);

CREATE TABLE interactions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id       INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    author_id         INTEGER REFERENCES users (id),
    kind              TEXT    NOT NULL CHECK (kind IN (
                          'call', 'meeting', 'message', 'email', 'visit', 'note', 'feedback')),
    text              TEXT    NOT NULL DEFAULT '',
    amount_minor      INTEGER,                  -- amount in minor units (cents, fen)
    currency          TEXT,                     -- ISO 4217
    sentiment         TEXT    CHECK (sentiment IN ('satisfied', 'neutral', 'dissatisfied')),
    next_followup_at  TEXT,
    occurred_at       TEXT    NOT NULL,
    created_at        TEXT    NOT NULL,
    CHECK ((amount_minor IS NULL) = (currency IS NULL))
);
CREATE INDEX interactions_customer ON interactions (customer_id, occurred_at);
CREATE INDEX interactions_author ON interactions (author_id, occurred_at);

CREATE TABLE status_history (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    changed_by   INTEGER REFERENCES users (id),   -- NULL: the system (a rule)
    from_status  TEXT,
    to_status    TEXT    NOT NULL,
    reason       TEXT    CHECK (reason IN ('product_quality', 'service', 'price', 'competitor',
                                           'no_longer_needed', 'other')),
    reason_text  TEXT,
    changed_at   TEXT    NOT NULL
);
CREATE INDEX status_history_customer ON status_history (customer_id, changed_at);
CREATE INDEX status_history_time ON status_history (changed_at);

CREATE TABLE reminders (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    due_at       TEXT    NOT NULL,
    note         TEXT,
    state        TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'done', 'cancelled')),
    created_at   TEXT    NOT NULL,
    closed_at    TEXT
);
CREATE INDEX reminders_due ON reminders (state, due_at);
CREATE INDEX reminders_user ON reminders (user_id, state, due_at);

CREATE TABLE invites (
    code        TEXT    PRIMARY KEY,
    role        TEXT    NOT NULL CHECK (role IN ('admin', 'manager', 'rep')),
    created_by  INTEGER NOT NULL REFERENCES users (id),
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    used_by     INTEGER REFERENCES users (id),
    used_at     TEXT
);

CREATE TABLE group_chats (
    chat_id      INTEGER PRIMARY KEY,
    title        TEXT,
    bound_by     INTEGER NOT NULL REFERENCES users (id),
    bound_at     TEXT    NOT NULL,
    show_values  INTEGER NOT NULL DEFAULT 0 CHECK (show_values IN (0, 1))
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id   INTEGER,                          -- NULL: the system
    action     TEXT    NOT NULL,
    entity     TEXT    NOT NULL,
    entity_id  TEXT,
    details    TEXT    NOT NULL DEFAULT '{}',    -- JSON
    at         TEXT    NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
CREATE INDEX audit_log_at ON audit_log (at);

-- python-telegram-bot persistence: user/chat/bot/callback data as JSON documents.
CREATE TABLE ptb_data (
    kind  TEXT NOT NULL CHECK (kind IN ('user', 'chat', 'bot', 'callback')),
    key   INTEGER NOT NULL,                     -- user or chat id; 0 for bot and callback
    data  TEXT NOT NULL,                        -- JSON
    PRIMARY KEY (kind, key)
);

-- python-telegram-bot persistence: the state of each named conversation.
CREATE TABLE ptb_conversations (
    name   TEXT NOT NULL,
    key    TEXT NOT NULL,                       -- JSON array of chat/user ids
    state  TEXT NOT NULL,                       -- JSON
    PRIMARY KEY (name, key)
);
