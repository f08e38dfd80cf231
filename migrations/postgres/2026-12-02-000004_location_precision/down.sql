ALTER TABLE providers DROP COLUMN location_precision;
