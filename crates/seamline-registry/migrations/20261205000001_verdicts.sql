-- can-i-deploy verdicts as they are reached, one row per consumer version, provider version and contract.
-- Versions are immutable, so a verdict holds for as long as the comparison that reached it: `engine` names the
-- Seamline version that judged, and rows of another are not read. A page of the can-i-deploy overview reads
-- its verdicts here in a few queries instead of comparing contracts again after every restart.

CREATE TABLE verdicts (
    consumer          TEXT NOT NULL,
    consumer_version  TEXT NOT NULL,
    provider          TEXT NOT NULL,
    provider_version  TEXT NOT NULL,
    contract          TEXT NOT NULL,
    engine            TEXT NOT NULL,
    compatible        BIGINT NOT NULL,
    reason            TEXT NOT NULL,
    PRIMARY KEY (consumer, consumer_version, provider, provider_version, contract, engine)
);

CREATE INDEX verdicts_by_provider ON verdicts (provider, provider_version);
