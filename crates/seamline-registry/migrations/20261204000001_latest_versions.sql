-- Every page asks for services' latest versions and how many versions they have. Both are kept on the service's
-- row when a version is published, so no page counts or sorts a service's versions; a service's versions are
-- read newest first, a page at a time, through an index on (service, created_ms, version).

ALTER TABLE services ADD COLUMN latest_version TEXT;
ALTER TABLE services ADD COLUMN version_count BIGINT NOT NULL DEFAULT 0;

CREATE INDEX versions_by_created ON versions (service, created_ms, version);
CREATE INDEX deployments_by_service ON deployments (service, environment);

UPDATE services SET
    version_count = (SELECT COUNT(*) FROM versions v WHERE v.service = services.name),
    latest_version = (SELECT v.version FROM versions v WHERE v.service = services.name
                      ORDER BY v.created_ms DESC, v.version DESC LIMIT 1);
