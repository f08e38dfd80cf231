ALTER TABLE change_sequence DROP COLUMN feed_from;
DROP INDEX provider_tombstones_change_seq_idx;
DROP TABLE provider_tombstones;
ALTER TABLE providers DROP COLUMN created_seq;
DROP INDEX providers_change_seq_idx;
CREATE INDEX providers_change_seq_idx ON providers (change_seq);
