-- Access tokens, stored as SHA-256 hashes of the secret (the secret is shown once, at creation), and an index of
-- who consumes what, so can-i-deploy finds a provider's consumers without opening every deployed version.

CREATE TABLE tokens (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    -- Space-separated: read, publish:<service>, deploy:<environment>, admin.
    scopes      TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    revoked_ms  BIGINT
);

-- One row per contract a published version consumes, from its seam.toml.
CREATE TABLE consumptions (
    service   TEXT NOT NULL,
    version   TEXT NOT NULL,
    provider  TEXT NOT NULL,
    contract  TEXT NOT NULL,
    PRIMARY KEY (service, version, provider, contract),
    FOREIGN KEY (service, version) REFERENCES versions (service, version)
);

CREATE INDEX consumptions_by_provider ON consumptions (provider, service, version);
