-- Microsoft Graph subscriptions, one per watched mailbox. The clientState is kept as its SHA-256 only: enough to
-- check a notification, useless for forging one if the table leaks.
CREATE TABLE graph_subscriptions (
    id                 TEXT PRIMARY KEY,
    mailbox            TEXT NOT NULL UNIQUE,
    resource           TEXT NOT NULL,
    client_state_hash  TEXT NOT NULL,
    expires_at         TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
