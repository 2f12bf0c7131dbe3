-- IMAP listeners: which worker process listens to which account (see docs/ingestion-imap.md). The cursors themselves
-- live in ingest_cursors (source 'imap').
CREATE TABLE imap_leases (
    account     text PRIMARY KEY,
    owner       text NOT NULL,
    expires_at  timestamptz NOT NULL
);
