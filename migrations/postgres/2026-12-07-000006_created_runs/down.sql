-- Imports made while this table existed lose the list of the records they created: reverting one
-- after this restores only the records it updated or deactivated.
DROP INDEX created_runs_import_idx;
DROP TABLE created_runs;
