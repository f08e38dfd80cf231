-- The change that last wrote each provider (the change sequence's value it committed), so a running
-- server applies just the rows a small change touched instead of reloading every row.
ALTER TABLE providers ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX providers_change_seq_idx ON providers (change_seq);
-- The last change whose rows are not all marked (a large import, a revert that deleted rows):
-- a snapshot older than it must reload every row. Rows written before this migration are unmarked.
ALTER TABLE change_sequence ADD COLUMN reload_seq BIGINT NOT NULL DEFAULT 0;
UPDATE change_sequence SET reload_seq = seq;
