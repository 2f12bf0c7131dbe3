-- Work that one process at a time must do: an IMAP account's listener, the Graph subscription manager, the Gmail watch.
-- A row per task names the holder and when its claim runs out (see shared/Ingestion/IngestLeases.cs).
CREATE TABLE ingest_leases (
    name        TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
