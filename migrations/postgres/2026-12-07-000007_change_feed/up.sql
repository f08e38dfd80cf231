-- The change feed (GET /v1/changes): every write now marks each row it writes with its change, so
-- the rows changed after any point are found by change_seq alone, in (change_seq, id) order.
DROP INDEX providers_change_seq_idx;
CREATE INDEX providers_change_seq_idx ON providers (change_seq, id);

-- The change that created each row, which tells a creation from an update. Rows created before
-- this migration have 0: the feed reports them as updated.
ALTER TABLE providers ADD COLUMN created_seq BIGINT NOT NULL DEFAULT 0;

-- Large changes used to set reload_seq instead of marking their rows: a row written by one may
-- carry an older mark. Marking such rows with reload_seq may report a row that did not change,
-- never miss one that did; a running server's snapshot (at reload_seq or later) is unaffected.
UPDATE providers SET change_seq = (SELECT reload_seq FROM change_sequence WHERE id = 1)
WHERE change_seq < (SELECT reload_seq FROM change_sequence WHERE id = 1);

-- Rows a revert deleted (the records the reverted import created), with the change that deleted
-- them, so a mirror learns of the deletion too.
CREATE TABLE provider_tombstones (
    provider_id BIGINT PRIMARY KEY NOT NULL,
    change_seq BIGINT NOT NULL
);
CREATE INDEX provider_tombstones_change_seq_idx ON provider_tombstones (change_seq, provider_id);

-- Deletions before this migration left no tombstone: the feed cannot answer a mirror whose
-- position is older than this (other than 0, a mirror starting empty), and tells it to start over.
ALTER TABLE change_sequence ADD COLUMN feed_from BIGINT NOT NULL DEFAULT 0;
UPDATE change_sequence SET feed_from = seq;
