-- What the reviewer sees with a draft: who wrote its text (template, or the hosted model) and what the send-safety lint found (a JSON list).
ALTER TABLE drafts ADD COLUMN source TEXT;
ALTER TABLE drafts ADD COLUMN lint_findings TEXT;
