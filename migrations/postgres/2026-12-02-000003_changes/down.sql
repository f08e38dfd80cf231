ALTER TABLE providers DROP COLUMN drawn_lon;
ALTER TABLE providers DROP COLUMN drawn_lat;
DROP TABLE server_keys;
DROP TABLE change_sequence;
