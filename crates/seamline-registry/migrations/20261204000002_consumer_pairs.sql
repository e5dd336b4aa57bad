-- Which services have ever consumed which provider, one row per pair, so can-i-deploy finds a provider's
-- deployed consumers by looking up a handful of services rather than every deployment of an environment.
-- Rows are only added: the consumptions of the deployed version still decide.

CREATE TABLE consumer_pairs (
    provider  TEXT NOT NULL,
    service   TEXT NOT NULL,
    PRIMARY KEY (provider, service)
);

INSERT INTO consumer_pairs (provider, service) SELECT DISTINCT provider, service FROM consumptions;
