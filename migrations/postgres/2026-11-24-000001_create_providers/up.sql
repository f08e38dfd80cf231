-- Providers (DESIGN §3). Lists are ';'-separated slugs/codes; phones are stored as written;
-- timestamps are RFC 3339 text and dates YYYY-MM-DD, so the SQL stays portable.
-- The PostgreSQL twin of migrations/sqlite: the same tables and constraints, BIGSERIAL ids.
CREATE TABLE providers (
    id BIGSERIAL PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    organization TEXT,
    description TEXT,
    categories TEXT NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    public_lat DOUBLE PRECISION,
    public_lon DOUBLE PRECISION,
    confidential BOOLEAN NOT NULL DEFAULT FALSE,
    address TEXT,
    locality TEXT,
    district TEXT,
    state TEXT,
    postal_code TEXT,
    country TEXT NOT NULL,
    phone TEXT,
    hotline TEXT,
    sms TEXT,
    intake_phone TEXT,
    email TEXT,
    website TEXT,
    languages TEXT NOT NULL DEFAULT '',
    hours TEXT,
    open_24_7 BOOLEAN NOT NULL DEFAULT FALSE,
    eligibility TEXT,
    cost TEXT,
    wheelchair TEXT NOT NULL DEFAULT 'unknown',
    verified_on TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX providers_status_idx ON providers (status);
