-- Ingestion: notifications and fetch work from Graph, Gmail and IMAP, persisted before a webhook answers, and
-- the per-source cursors (Graph delta links, Gmail history ids, IMAP UIDVALIDITY and last UID).
CREATE TABLE ingest_jobs (
    id           TEXT PRIMARY KEY,
    source       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    mailbox      TEXT NOT NULL,
    dedupe_key   TEXT NULL,
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL,
    attempt      INTEGER NOT NULL DEFAULT 0,
    next_run_at  TEXT NOT NULL,
    last_error   TEXT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX ingest_jobs_dedupe ON ingest_jobs (source, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX ingest_jobs_due ON ingest_jobs (next_run_at) WHERE state = 'queued';
CREATE INDEX ingest_jobs_state ON ingest_jobs (state, created_at);

CREATE TABLE ingest_cursors (
    source      TEXT NOT NULL,
    mailbox     TEXT NOT NULL,
    cursor      TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (source, mailbox)
);
