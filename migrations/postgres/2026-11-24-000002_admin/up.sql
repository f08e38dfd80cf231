-- Admin: API tokens (only a hash is kept), the audit log, import history with reports, and the
-- versions each import wrote, so an import can be reverted exactly.
CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    records BIGINT NOT NULL DEFAULT 0
);

-- Import ids are given by the writer (max + 1 under the writers' lock), so that, as on SQLite,
-- rolled-back dry runs leave no gaps.
CREATE TABLE imports (
    id BIGINT PRIMARY KEY,
    created_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    source TEXT NOT NULL,
    mode TEXT NOT NULL,
    on_error TEXT NOT NULL,
    reverts_import BIGINT,
    reverted_by BIGINT,
    report TEXT NOT NULL
);

-- One row per record an import changed: the whole stored row before (NULL when the import created
-- it) and after (NULL when a revert deleted it), as JSON.
CREATE TABLE provider_versions (
    id BIGSERIAL PRIMARY KEY,
    import_id BIGINT NOT NULL REFERENCES imports (id),
    provider_id BIGINT NOT NULL,
    before_json TEXT,
    after_json TEXT
);

CREATE INDEX provider_versions_import_idx ON provider_versions (import_id);
CREATE INDEX provider_versions_provider_idx ON provider_versions (provider_id);
