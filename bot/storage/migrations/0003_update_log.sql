-- The highest Telegram update id that was handled, so that an update Telegram delivers again
-- after a crash is not handled twice (see bot/polling.py).
CREATE TABLE update_watermark (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    update_id  INTEGER NOT NULL,
    handled_at TEXT    NOT NULL
);
