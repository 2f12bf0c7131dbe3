-- IMAP listeners: which worker process listens to which account (see docs/ingestion-imap.md). The cursors themselves
-- live in ingest_cursors (source 'imap').
CREATE TABLE imap_leases (
    account     TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
