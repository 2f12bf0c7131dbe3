-- Every call to a hosted model, with what it cost: tokens (from the provider, or estimated), price and latency.
-- The message keeps the sums; the redacted prompt of each call is in the audit log's data.
ALTER TABLE messages ADD COLUMN tokens_in INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN tokens_out INTEGER NOT NULL DEFAULT 0;

CREATE TABLE model_calls (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id        TEXT NOT NULL REFERENCES messages (id),
    at                TEXT NOT NULL,
    step              TEXT NOT NULL,
    provider          TEXT NOT NULL,
    model             TEXT NOT NULL,
    purpose           TEXT NOT NULL,
    tokens_in         INTEGER NOT NULL,
    tokens_out        INTEGER NOT NULL,
    tokens_estimated  INTEGER NOT NULL,
    cost_usd          REAL NOT NULL,
    latency_ms        REAL NOT NULL,
    outcome           TEXT NOT NULL
);
CREATE INDEX ix_model_calls_message ON model_calls (message_id, id);
CREATE INDEX ix_model_calls_at ON model_calls (at);
