ALTER TABLE change_sequence DROP COLUMN reload_seq;
DROP INDEX providers_change_seq_idx;
ALTER TABLE providers DROP COLUMN change_seq;
