-- Signed approval links (Teams cards): one row per link, so that a link acts once. The POST marks the row used in the
-- same transaction that records the review decision; a used link is refused with 410.
CREATE TABLE approval_links (
    nonce       text PRIMARY KEY,
    message_id  uuid NOT NULL REFERENCES messages (id),
    action      text NOT NULL,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL,
    used_at     timestamptz NULL,
    used_by     text NULL
);
CREATE INDEX ix_approval_links_message ON approval_links (message_id);
