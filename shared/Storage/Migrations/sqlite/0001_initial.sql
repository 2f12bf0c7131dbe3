-- Sift schema v1 (SQLite, the embedded default). Timestamps are ISO-8601 UTC text (sortable);
-- ids are UUID v7 text.
CREATE TABLE messages (
    id                   TEXT PRIMARY KEY,
    mailbox              TEXT NOT NULL,
    internet_message_id  TEXT NOT NULL,
    thread_id            TEXT NOT NULL,
    sender               TEXT NOT NULL,
    subject              TEXT NOT NULL,
    received_at          TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    status               TEXT NOT NULL,
    intent               TEXT NULL,
    urgency              TEXT NULL,
    owner                TEXT NULL,
    policy_flags         TEXT NULL,
    confidence           REAL NULL,
    route                TEXT NULL,
    explanation          TEXT NULL,
    filter_reason        TEXT NULL,
    auto_sent            INTEGER NOT NULL DEFAULT 0,
    cost_usd             REAL NOT NULL DEFAULT 0,
    content              TEXT NOT NULL,
    CONSTRAINT uq_messages_mailbox_imid UNIQUE (mailbox, internet_message_id)
);
CREATE INDEX ix_messages_status_created ON messages (status, created_at DESC);
CREATE INDEX ix_messages_created ON messages (created_at DESC);

CREATE TABLE workflows (
    message_id       TEXT PRIMARY KEY REFERENCES messages (id),
    state            TEXT NOT NULL,
    next_run_at      TEXT NOT NULL,
    attempt          INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT NULL,
    lease_token      INTEGER NOT NULL DEFAULT 0,
    wake             INTEGER NOT NULL DEFAULT 0,
    wait_event       TEXT NULL,
    wait_deadline    TEXT NULL,
    last_error       TEXT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    completed_at     TEXT NULL
);
CREATE INDEX ix_workflows_due ON workflows (next_run_at) WHERE state IN ('queued', 'running', 'waiting');
CREATE INDEX ix_workflows_state ON workflows (state);

CREATE TABLE workflow_steps (
    message_id    TEXT NOT NULL REFERENCES workflows (message_id),
    name          TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    result        TEXT NOT NULL,
    completed_at  TEXT NOT NULL,
    duration_ms   REAL NOT NULL,
    PRIMARY KEY (message_id, name)
);

CREATE TABLE workflow_events (
    message_id  TEXT NOT NULL REFERENCES workflows (message_id),
    name        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (message_id, name)
);

CREATE TABLE side_effects (
    idempotency_key  TEXT PRIMARY KEY,
    message_id       TEXT NOT NULL REFERENCES messages (id),
    kind             TEXT NOT NULL,
    state            TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    completed_at     TEXT NULL,
    result           TEXT NULL
);
CREATE INDEX ix_side_effects_message ON side_effects (message_id);

CREATE TABLE drafts (
    id            TEXT PRIMARY KEY,
    message_id    TEXT NOT NULL REFERENCES messages (id),
    draft_text    TEXT NOT NULL,
    template_id   TEXT NULL,
    approver      TEXT NULL,
    decision      TEXT NULL,
    latency_ms    INTEGER NULL,
    sent_text     TEXT NULL,
    created_at    TEXT NOT NULL,
    decided_at    TEXT NULL,
    CONSTRAINT uq_drafts_message UNIQUE (message_id)
);

CREATE TABLE metrics (
    date            TEXT NOT NULL,
    intent          TEXT NOT NULL,
    messages        INTEGER NOT NULL,
    auto_rate       REAL NOT NULL,
    approve_rate    REAL NOT NULL,
    revert_rate     REAL NOT NULL,
    avg_latency_ms  REAL NOT NULL,
    cost_usd        REAL NOT NULL,
    PRIMARY KEY (date, intent)
);

CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id      TEXT NULL,
    at              TEXT NOT NULL,
    step            TEXT NOT NULL,
    what            TEXT NOT NULL,
    why             TEXT NULL,
    actor           TEXT NOT NULL,
    model_version   TEXT NULL,
    policy_version  TEXT NULL,
    data            TEXT NULL
);
CREATE INDEX ix_audit_log_message ON audit_log (message_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
