-- Which service published or consumed which version of a message in an environment, as traces sent to the
-- registry show: counters per hour (the hour of the latest span counted), so storage grows with the services,
-- messages and hours, not with the spans. The evidence a migration's "nobody reads the old version" rests on.

CREATE TABLE version_usage (
    environment   TEXT NOT NULL,
    message       TEXT NOT NULL,
    -- The major version as text, or `unknown` when the spans name none.
    version       TEXT NOT NULL,
    -- `publishes` or `consumes`.
    role          TEXT NOT NULL,
    service       TEXT NOT NULL,
    hour_ms       BIGINT NOT NULL,
    count         BIGINT NOT NULL,
    failed        BIGINT NOT NULL,
    last_seen_ms  BIGINT NOT NULL,
    PRIMARY KEY (environment, message, version, role, service, hour_ms)
);
