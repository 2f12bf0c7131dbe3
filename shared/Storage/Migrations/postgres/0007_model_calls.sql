-- Every call to a hosted model, with what it cost: tokens (from the provider, or estimated), price and latency.
-- The message keeps the sums; the redacted prompt of each call is in the audit log's data.
-- A classification costs fractions of a cent (about $0.0001 to $0.001): six decimals rounded it away.
ALTER TABLE messages ALTER COLUMN cost_usd TYPE numeric(16, 10);
ALTER TABLE metrics ALTER COLUMN cost_usd TYPE numeric(16, 10);
ALTER TABLE messages ADD COLUMN tokens_in bigint NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN tokens_out bigint NOT NULL DEFAULT 0;

CREATE TABLE model_calls (
    id                bigserial PRIMARY KEY,
    message_id        uuid NOT NULL REFERENCES messages (id),
    at                timestamptz NOT NULL,
    step              text NOT NULL,
    provider          text NOT NULL,
    model             text NOT NULL,
    purpose           text NOT NULL,
    tokens_in         integer NOT NULL,
    tokens_out        integer NOT NULL,
    tokens_estimated  boolean NOT NULL,
    cost_usd          numeric(16, 10) NOT NULL,
    latency_ms        double precision NOT NULL,
    outcome           text NOT NULL
);
CREATE INDEX ix_model_calls_message ON model_calls (message_id, id);
CREATE INDEX ix_model_calls_at ON model_calls (at);
