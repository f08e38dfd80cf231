-- The change sequence (DESIGN §6): every transaction that changes a provider bumps this one row, so
-- every running server (and every instance on the same database) can poll one cheap value, rebuild
-- its snapshot when it moved, and use it as the snapshot version.
CREATE TABLE change_sequence (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
);
INSERT INTO change_sequence (id, seq) VALUES (1, 1);

-- Secrets generated once per database and shared by every process on it (the cursor-signing key).
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The public point drawn once for a confidential provider that has no admin-chosen point. It is
-- kept when the provider stops being confidential, so switching the flag back shows the same point.
ALTER TABLE providers ADD COLUMN drawn_lat DOUBLE PRECISION;
ALTER TABLE providers ADD COLUMN drawn_lon DOUBLE PRECISION;
