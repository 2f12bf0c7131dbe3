-- Ingestion: notifications and fetch work from Graph, Gmail and IMAP, persisted before a webhook answers, and
-- the per-source cursors (Graph delta links, Gmail history ids, IMAP UIDVALIDITY and last UID).
CREATE TABLE ingest_jobs (
    id           uuid PRIMARY KEY,
    source       text NOT NULL,
    kind         text NOT NULL,
    mailbox      text NOT NULL,
    dedupe_key   text NULL,
    payload      text NOT NULL,
    state        text NOT NULL,
    attempt      integer NOT NULL DEFAULT 0,
    next_run_at  timestamptz NOT NULL,
    last_error   text NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE UNIQUE INDEX ingest_jobs_dedupe ON ingest_jobs (source, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX ingest_jobs_due ON ingest_jobs (next_run_at) WHERE state = 'queued';
CREATE INDEX ingest_jobs_state ON ingest_jobs (state, created_at);

CREATE TABLE ingest_cursors (
    source      text NOT NULL,
    mailbox     text NOT NULL,
    cursor      text NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (source, mailbox)
);
