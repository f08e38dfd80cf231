DROP TABLE provider_versions;
DROP TABLE imports;
DROP TABLE audit_log;
DROP TABLE api_tokens;
