-- The records an import created, without a copy of each: runs of consecutive provider ids, each
-- with a 16-byte digest per record (the first half of the SHA-256 of the row as written, in
-- id order), from which a revert tells whether the record is still as the import left it. The
-- whole row is no longer kept in provider_versions for a created record: the state before it
-- is no record at all, and the state after it is the row itself until something changes it.
CREATE TABLE created_runs (
    id BIGSERIAL PRIMARY KEY,
    import_id BIGINT NOT NULL REFERENCES imports (id),
    first_id BIGINT NOT NULL,
    last_id BIGINT NOT NULL,
    digests BYTEA NOT NULL
);

CREATE INDEX created_runs_import_idx ON created_runs (import_id);
