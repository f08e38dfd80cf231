-- Whether a provider's point is its door ('exact') or a gazetteer centroid an import placed it at
-- because the row had no coordinates ('approximate'). Every existing row was given coordinates.
ALTER TABLE providers ADD COLUMN location_precision TEXT NOT NULL DEFAULT 'exact';
