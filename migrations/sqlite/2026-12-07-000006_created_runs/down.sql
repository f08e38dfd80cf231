-- The code before this migration knows a created record only by a provider_versions row. Each
-- record listed here gets one whose after_json is not a row, so that a revert of its import is
-- refused (as a stored version that is not valid JSON) rather than leaving the records it created
-- in place: the digests that tell whether they changed since cannot be checked there.
INSERT INTO provider_versions (import_id, provider_id, before_json, after_json)
WITH RECURSIVE created (import_id, provider_id, last_id) AS (
    SELECT import_id, first_id, last_id FROM created_runs
    UNION ALL
    SELECT import_id, provider_id + 1, last_id FROM created WHERE provider_id < last_id
)
SELECT import_id, provider_id, NULL, 'created by this import; kept as a digest in created_runs, which was dropped'
FROM created
ORDER BY import_id, provider_id;

DROP INDEX created_runs_import_idx;
DROP TABLE created_runs;
