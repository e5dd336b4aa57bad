-- Schema migrations of one message (`seam migrate`): one row per migration, the phase whose gate last passed, and
-- its history (JSON: each start, advance and abort, when and by which token). One active migration per producer
-- and message.

CREATE TABLE migrations (
    service       TEXT NOT NULL,
    contract      TEXT NOT NULL,
    message       TEXT NOT NULL,
    from_version  BIGINT NOT NULL,
    to_version    BIGINT NOT NULL,
    phase         BIGINT NOT NULL,
    -- `active`, `done` or `aborted`.
    state         TEXT NOT NULL,
    window_ms     BIGINT NOT NULL,
    started_ms    BIGINT NOT NULL,
    updated_ms    BIGINT NOT NULL,
    history       TEXT NOT NULL,
    PRIMARY KEY (service, message, started_ms)
);

CREATE UNIQUE INDEX migrations_active ON migrations (service, message) WHERE state = 'active';

-- The evidence behind a counter: the trace of its latest span, and when the registry first counted it (the
-- latest span of the first report: never earlier than the truth), so "nobody read it for a week" can tell a
-- week of silence from a week the registry did not watch.
ALTER TABLE version_usage ADD COLUMN last_trace_id TEXT;
ALTER TABLE version_usage ADD COLUMN first_seen_ms BIGINT;
