-- Sift schema v1 (PostgreSQL). Timestamps are UTC timestamptz; ids are UUID v7.
CREATE TABLE messages (
    id                   uuid PRIMARY KEY,
    mailbox              text NOT NULL,
    internet_message_id  text NOT NULL,
    thread_id            text NOT NULL,
    sender               text NOT NULL,
    subject              text NOT NULL,
    received_at          timestamptz NOT NULL,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    status               text NOT NULL,
    intent               text NULL,
    urgency              text NULL,
    owner                text NULL,
    policy_flags         text NULL,
    confidence           double precision NULL,
    route                text NULL,
    explanation          text NULL,
    filter_reason        text NULL,
    auto_sent            boolean NOT NULL DEFAULT false,
    cost_usd             numeric(12, 6) NOT NULL DEFAULT 0,
    content              text NOT NULL,
    CONSTRAINT uq_messages_mailbox_imid UNIQUE (mailbox, internet_message_id)
);
CREATE INDEX ix_messages_status_created ON messages (status, created_at DESC);
CREATE INDEX ix_messages_created ON messages (created_at DESC);

-- The durable workflow instance, one per message. It is also the work queue: a row is due when
-- next_run_at has passed; a running row's next_run_at is its lease expiry, so a crashed worker's
-- instance becomes due again by itself.
CREATE TABLE workflows (
    message_id       uuid PRIMARY KEY REFERENCES messages (id),
    state            text NOT NULL,
    next_run_at      timestamptz NOT NULL,
    attempt          integer NOT NULL DEFAULT 0,
    lease_owner      text NULL,
    lease_token      bigint NOT NULL DEFAULT 0,
    wake             boolean NOT NULL DEFAULT false,
    wait_event       text NULL,
    wait_deadline    timestamptz NULL,
    last_error       text NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    completed_at     timestamptz NULL
);
CREATE INDEX ix_workflows_due ON workflows (next_run_at) WHERE state IN ('queued', 'running', 'waiting');
CREATE INDEX ix_workflows_state ON workflows (state);

CREATE TABLE workflow_steps (
    message_id    uuid NOT NULL REFERENCES workflows (message_id),
    name          text NOT NULL,
    seq           integer NOT NULL,
    result        text NOT NULL,
    completed_at  timestamptz NOT NULL,
    duration_ms   double precision NOT NULL,
    PRIMARY KEY (message_id, name)
);

CREATE TABLE workflow_events (
    message_id  uuid NOT NULL REFERENCES workflows (message_id),
    name        text NOT NULL,
    payload     text NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (message_id, name)
);

CREATE TABLE side_effects (
    idempotency_key  text PRIMARY KEY,
    message_id       uuid NOT NULL REFERENCES messages (id),
    kind             text NOT NULL,
    state            text NOT NULL,
    started_at       timestamptz NOT NULL,
    completed_at     timestamptz NULL,
    result           text NULL
);
CREATE INDEX ix_side_effects_message ON side_effects (message_id);

CREATE TABLE drafts (
    id            uuid PRIMARY KEY,
    message_id    uuid NOT NULL REFERENCES messages (id),
    draft_text    text NOT NULL,
    template_id   text NULL,
    approver      text NULL,
    decision      text NULL,
    latency_ms    bigint NULL,
    sent_text     text NULL,
    created_at    timestamptz NOT NULL,
    decided_at    timestamptz NULL,
    CONSTRAINT uq_drafts_message UNIQUE (message_id)
);

CREATE TABLE metrics (
    date            date NOT NULL,
    intent          text NOT NULL,
    messages        integer NOT NULL,
    auto_rate       double precision NOT NULL,
    approve_rate    double precision NOT NULL,
    revert_rate     double precision NOT NULL,
    avg_latency_ms  double precision NOT NULL,
    cost_usd        numeric(12, 6) NOT NULL,
    PRIMARY KEY (date, intent)
);

CREATE TABLE audit_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id      uuid NULL,
    at              timestamptz NOT NULL,
    step            text NOT NULL,
    what            text NOT NULL,
    why             text NULL,
    actor           text NOT NULL,
    model_version   text NULL,
    policy_version  text NULL,
    data            text NULL
);
CREATE INDEX ix_audit_log_message ON audit_log (message_id, id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
