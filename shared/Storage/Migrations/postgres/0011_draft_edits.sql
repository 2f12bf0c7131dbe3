-- What reviewers changed: the character edit distance between the draft and the text that was sent, and that distance
-- over the longer text's length (0 = sent as drafted, 1 = rewritten). Per intent and template, they show which drafts
-- reviewers trust; the pairs are the fine-tuning examples.
ALTER TABLE drafts ADD COLUMN edit_distance INTEGER NULL;
ALTER TABLE drafts ADD COLUMN edit_ratio REAL NULL;
