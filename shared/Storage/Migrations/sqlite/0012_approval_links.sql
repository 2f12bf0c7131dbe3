-- Signed approval links (Teams cards): one row per link, so that a link acts once. The POST marks the row used in the
-- same transaction that records the review decision; a used link is refused with 410.
CREATE TABLE approval_links (
    nonce       TEXT PRIMARY KEY,
    message_id  TEXT NOT NULL REFERENCES messages (id),
    action      TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    used_at     TEXT NULL,
    used_by     TEXT NULL
);
CREATE INDEX ix_approval_links_message ON approval_links (message_id);
