-- Microsoft Graph subscriptions, one per watched mailbox. The clientState is kept as its SHA-256 only: enough to
-- check a notification, useless for forging one if the table leaks.
CREATE TABLE graph_subscriptions (
    id                 text PRIMARY KEY,
    mailbox            text NOT NULL UNIQUE,
    resource           text NOT NULL,
    client_state_hash  text NOT NULL,
    expires_at         timestamptz NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);
