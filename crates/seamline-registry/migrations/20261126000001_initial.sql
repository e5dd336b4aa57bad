-- The registry's first schema. Portable between SQLite and PostgreSQL: natural text keys, no auto-increment,
-- times as Unix milliseconds.

CREATE TABLE services (
    name        TEXT PRIMARY KEY,
    owner       TEXT,
    created_ms  BIGINT NOT NULL
);

-- A published service version: immutable, identified by its content hash.
CREATE TABLE versions (
    service       TEXT NOT NULL REFERENCES services (name),
    version       TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    git_commit    TEXT,
    branch        TEXT,
    manifest      TEXT NOT NULL,
    created_ms    BIGINT NOT NULL,
    PRIMARY KEY (service, version)
);

CREATE TABLE contracts (
    service   TEXT NOT NULL,
    version   TEXT NOT NULL,
    path      TEXT NOT NULL,
    content   TEXT NOT NULL,
    hash      TEXT NOT NULL,
    PRIMARY KEY (service, version, path),
    FOREIGN KEY (service, version) REFERENCES versions (service, version)
);

CREATE TABLE environments (
    name        TEXT PRIMARY KEY,
    created_ms  BIGINT NOT NULL
);

-- What runs where now; one row per service and environment.
CREATE TABLE deployments (
    environment  TEXT NOT NULL REFERENCES environments (name),
    service      TEXT NOT NULL,
    version      TEXT NOT NULL,
    deployed_ms  BIGINT NOT NULL,
    PRIMARY KEY (environment, service),
    FOREIGN KEY (service, version) REFERENCES versions (service, version)
);

-- Every deployment ever recorded, for the history pages.
CREATE TABLE deployment_log (
    environment  TEXT NOT NULL,
    service      TEXT NOT NULL,
    version      TEXT NOT NULL,
    deployed_ms  BIGINT NOT NULL
);

CREATE INDEX deployment_log_by_service ON deployment_log (service, deployed_ms);
