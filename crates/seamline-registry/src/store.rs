//! Storage through sqlx's `Any` driver: the same queries and migrations run on SQLite and PostgreSQL, so one test
//! suite covers both. Keys are natural (service name, version), times are Unix milliseconds.

use std::collections::HashMap;

use serde::Deserialize as _;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Row};

use crate::compat::{PairKey, Verdict};

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A version is immutable: the same version with other content is refused.
    #[error(
        "{service} {version} is already published with other content (hash {existing}, this one {new}); publish \
         it under a new version"
    )]
    Conflict {
        service: String,
        version: String,
        existing: String,
        new: String,
    },
    #[error("{service} {version} has not been published")]
    UnknownVersion { service: String, version: String },
    #[error("the database URL must start with sqlite: or postgres:, not `{0}`")]
    UnsupportedUrl(String),
    /// The published `seam.toml` does not parse: where and why.
    #[error("the published seam.toml is invalid: {0}")]
    InvalidManifest(String),
    /// A published contract cannot be read or judged (syntax, empty, not a contract, an unresolved `$ref`):
    /// where and why.
    #[error("a published contract cannot be read: {0}")]
    UnreadableContract(String),
    /// A migration step its gate or its state does not allow: which gate, and what keeps it shut.
    #[error("{0}")]
    MigrationRefused(String),
    #[error("{0}")]
    NoMigration(String),
    #[error("the system's random source failed: {0}")]
    Random(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrating the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A service version to publish.
#[derive(Clone, Debug, PartialEq)]
pub struct Publication {
    pub service: String,
    pub owner: Option<String>,
    pub version: String,
    pub git_commit: Option<String>,
    pub branch: Option<String>,
    /// The `seam.toml` text.
    pub manifest: String,
    /// Contracts by path relative to the service root, with their text.
    pub contracts: Vec<(String, String)>,
}

/// `Err` with what to do when `commit` is not a git commit id: 4 to 64 hexadecimal digits (an abbreviated or
/// full SHA-1 or SHA-256 id, as `git rev-parse` prints it).
pub(crate) fn check_git_commit(commit: &str) -> Result<(), String> {
    if (4..=64).contains(&commit.len()) && commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(
            "git_commit is not a commit id: send 4 to 64 hexadecimal digits, as `git rev-parse HEAD` prints"
                .into(),
        )
    }
}

/// `Err` with what to do when `branch` is not a branch name: 1 to 255 characters, parts between `/` and `.`
/// never empty (so no `..`, `//`, or `.` or `/` at either end), not starting with `-`, and none of git's
/// forbidden characters (spaces, control characters, `~ ^ : ? * [ \`) nor `{`. Stricter than git in small ways
/// (`{`, a part starting with `.`), so that `openapi.json` can say it as one pattern.
pub(crate) fn check_branch(branch: &str) -> Result<(), String> {
    let plain =
        |c: char| !(c <= ' ' || ('\u{7f}'..='\u{9f}').contains(&c) || "~^:?*[\\/.{".contains(c));
    let ok = !branch.is_empty()
        && branch.chars().count() <= 255
        && !branch.starts_with('-')
        && branch
            .split(['/', '.'])
            .all(|part| !part.is_empty() && part.chars().all(plain));
    if ok {
        Ok(())
    } else {
        Err(
            "branch is not a branch name: send what `git branch --show-current` prints (at most 255 \
             characters; no spaces, control characters, `~^:?*[\\{`, `..` or `//`)"
                .into(),
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublishOutcome {
    Created,
    /// The same version with the same content was already there: publishing is idempotent.
    Unchanged,
}

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct ServiceSummary {
    pub name: String,
    pub owner: Option<String>,
    pub versions: i64,
    pub latest: Option<String>,
}

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct VersionSummary {
    pub service: String,
    pub version: String,
    pub content_hash: String,
    pub git_commit: Option<String>,
    pub branch: Option<String>,
    pub created_ms: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StoredVersion {
    pub summary: VersionSummary,
    pub manifest: String,
    /// `(path, content, hash)`, sorted by path.
    pub contracts: Vec<(String, String, String)>,
}

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct Deployment {
    pub environment: String,
    pub service: String,
    pub version: String,
    pub deployed_ms: i64,
}

/// One consumer → provider dependency through one contract.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Edge {
    pub consumer: String,
    pub provider: String,
    pub contract: String,
}

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct EnvironmentSummary {
    pub name: String,
    pub services: i64,
}

/// How often one service published or consumed one version of a message, and when last.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, sqlx::FromRow)]
#[serde(deny_unknown_fields)]
pub struct VersionUse {
    pub service: String,
    /// `publishes` or `consumes`.
    pub role: String,
    pub message: String,
    /// The major version as text, or `unknown`.
    pub version: String,
    #[serde(deserialize_with = "whole_number")]
    pub count: i64,
    /// How many of those failed (a consumer that rejected or dead-lettered the event).
    #[serde(deserialize_with = "whole_number")]
    pub failed: i64,
    /// Unix milliseconds of the latest one.
    #[serde(deserialize_with = "whole_number")]
    pub last_seen_ms: i64,
    /// The trace of the latest one (32 hexadecimal digits), when known: the evidence to open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

/// An integer as JSON may write it: `10` or `10.0` (JSON Schema counts both as integers); a fraction, or one
/// out of the target type's range, is an error.
pub(crate) fn whole_number<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64>,
{
    let n = serde_json::Number::deserialize(d)?;
    let whole = match (n.as_i64(), n.as_f64()) {
        (Some(i), _) => Some(i),
        (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
        _ => None,
    };
    whole
        .and_then(|i| T::try_from(i).ok())
        .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a whole number in range")))
}

/// [`whole_number`] for a field that may be absent (with `#[serde(default)]`).
pub(crate) fn some_whole_number<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64>,
{
    whole_number(d).map(Some)
}

/// `(provider, contract)` for every contract a published `seam.toml` consumes. A manifest that does not parse, or
/// names another service, is refused.
fn consumed_contracts(service: &str, manifest: &str) -> Result<Vec<(String, String)>, StoreError> {
    let path = std::path::Path::new("seam.toml");
    let read = seamline_model::parse_manifest(path, "seam.toml", manifest.as_bytes());
    if let Some(problem) = read.problems.first() {
        let at = read.source.line_col(problem.span.start);
        return Err(StoreError::InvalidManifest(format!(
            "line {}: {}",
            at.line, problem.message
        )));
    }
    let Some(manifest) = read.manifest else {
        return Err(StoreError::InvalidManifest("it is empty".into()));
    };
    if manifest.name.value != service {
        return Err(StoreError::InvalidManifest(format!(
            "it names the service `{}`, not `{service}`",
            manifest.name.value
        )));
    }
    Ok(manifest
        .consumed_contracts()
        .map(|c| (c.service.value.clone(), c.contract.value.clone()))
        .collect())
}

/// The content hash of a publication: the manifest and every contract, by path, so order and the git commit do
/// not change it.
pub fn content_hash(manifest: &str, contracts: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = contracts.iter().collect();
    sorted.sort();
    let mut bytes = Vec::new();
    for part in std::iter::once(("seam.toml", manifest))
        .chain(sorted.iter().map(|(p, c)| (p.as_str(), c.as_str())))
    {
        // Lengths first, so no choice of text can make two different publications hash alike.
        bytes.extend_from_slice(format!("{}:{}:", part.0.len(), part.1.len()).as_bytes());
        bytes.extend_from_slice(part.0.as_bytes());
        bytes.extend_from_slice(part.1.as_bytes());
    }
    seamline_model::sha256_hex(&bytes)
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The registry's storage.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    /// SQLite takes one writer at a time, and a transaction that reads before it writes cannot wait for the
    /// lock (it fails with "database is locked"). Writes through one `Store` take turns here instead; several
    /// servers sharing one database is what PostgreSQL is for.
    write_gate: Option<std::sync::Arc<tokio::sync::Mutex<()>>>,
    /// Verdicts being reached ahead of the questions, shared by the clones of this store.
    ahead: std::sync::Arc<crate::compat::Ahead>,
    /// Versions already read, shared by the clones of this store.
    version_cache: std::sync::Arc<std::sync::Mutex<VersionCache>>,
}

/// Versions read from the database, kept up to a size; past it the cache starts over.
#[derive(Debug, Default)]
struct VersionCache {
    versions: std::collections::HashMap<(String, String), StoredVersion>,
    bytes: usize,
}

/// The most text the version cache holds.
const VERSION_CACHE_BYTES: usize = 64 * 1024 * 1024;

impl VersionCache {
    fn get(&self, key: &(String, String)) -> Option<&StoredVersion> {
        self.versions.get(key)
    }

    fn insert(&mut self, key: (String, String), stored: StoredVersion) {
        let size = stored.manifest.len()
            + stored
                .contracts
                .iter()
                .map(|(p, c, h)| p.len() + c.len() + h.len())
                .sum::<usize>();
        if self.bytes + size > VERSION_CACHE_BYTES {
            self.versions.clear();
            self.bytes = 0;
        }
        self.bytes += size;
        self.versions.insert(key, stored);
    }
}

/// How long a request waits for a database connection before it is answered 503.
const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// PostgreSQL cancels a statement that runs longer, so an abandoned or runaway query does not hold the database.
const STATEMENT_TIMEOUT: &str = "SET statement_timeout = '10s'";

/// How many versions a page lists when the request does not say.
pub(crate) const VERSION_PAGE: u32 = 100;

/// The most versions one page lists.
pub(crate) const VERSION_PAGE_MAX: u32 = 1000;

// The queries behind every page, kept here so a test can read their plans. None counts or sorts a service's
// versions: the latest version and the count are kept on the service's row (see the publish), and versions are
// read through `versions_by_created`, newest first, a page at a time.

/// Every service, by name, with its number of versions and its latest.
const SERVICES: &str = "SELECT name, owner, version_count AS versions, latest_version AS latest FROM services \
                        ORDER BY name";

/// The most values a query built for a list binds at once (lists longer are asked in parts).
const PARAMETERS_AT_ONCE: usize = 800;

/// `$first, $first+1, …`: `n` placeholders.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `(a = $first AND b = $first+1) OR …`: `n` pairs, for an index on (a, b).
fn pairs_match(a: &str, b: &str, first: usize, n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "({a} = ${} AND {b} = ${})",
                first + 2 * i,
                first + 2 * i + 1
            )
        })
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// The deployments in `$1` whose version consumes one of `n` providers (`$2`…), with the provider and the
/// contract: from the services that ever consumed each provider, each one's deployment there and that version's
/// consumptions, so a handful of lookups per provider.
fn deployed_consumers_sql(n: usize) -> String {
    format!(
        "SELECT p.provider, d.environment, d.service, d.version, d.deployed_ms, c.contract \
         FROM consumer_pairs p CROSS JOIN deployments d CROSS JOIN consumptions c \
         WHERE p.provider IN ({}) AND d.environment = $1 AND d.service = p.service \
         AND c.service = d.service AND c.version = d.version AND c.provider = p.provider \
         AND d.service <> p.provider ORDER BY p.provider, d.service, c.contract",
        placeholders(2, n)
    )
}

/// `n` versions (`$1` service, `$2` version, …) with what each consumes; a version that consumes nothing is
/// one row with nulls.
fn consumptions_sql(n: usize) -> String {
    format!(
        "SELECT v.service, v.version, c.provider, c.contract FROM versions v LEFT JOIN consumptions c \
         ON c.service = v.service AND c.version = v.version WHERE {} \
         ORDER BY v.service, v.version, c.provider, c.contract",
        pairs_match("v.service", "v.version", 1, n)
    )
}

/// The verdicts reached by the Seamline version `$1` in which one of `n` versions (`$2` service, `$3` version,
/// …) is the consumer or the provider.
fn verdicts_sql(n: usize) -> String {
    let terms: Vec<String> = (0..n)
        .map(|i| {
            let (service, version) = (2 + 2 * i, 3 + 2 * i);
            format!(
                "(consumer = ${service} AND consumer_version = ${version}) \
                 OR (provider = ${service} AND provider_version = ${version})"
            )
        })
        .collect();
    format!(
        "SELECT consumer, consumer_version, provider, provider_version, contract, compatible, reason \
         FROM verdicts WHERE engine = $1 AND ({})",
        terms.join(" OR ")
    )
}

/// A page of services by name: `$1` the name before the first, `$2` how many.
const SERVICES_AFTER: &str = "SELECT name, owner, version_count AS versions, latest_version AS latest \
                              FROM services WHERE name > $1 ORDER BY name LIMIT $2";

/// One service: `$1` its name.
const SERVICE: &str = "SELECT name, owner, version_count AS versions, latest_version AS latest FROM services \
                       WHERE name = $1";

/// A service's newest versions: `$1` service, `$2` how many.
const VERSIONS: &str = "SELECT service, version, content_hash, git_commit, branch, created_ms FROM versions \
                        WHERE service = $1 ORDER BY created_ms DESC, version DESC LIMIT $2";

/// The versions published before one: `$1` service, `$2` and `$3` that version's time and name, `$4` how many.
const VERSIONS_BEFORE: &str = "SELECT service, version, content_hash, git_commit, branch, created_ms \
                               FROM versions WHERE service = $1 AND (created_ms, version) < ($2, $3) \
                               ORDER BY created_ms DESC, version DESC LIMIT $4";

/// Who consumes whom, as each service's latest version says. `CROSS JOIN` makes SQLite walk the services and
/// look up each one's latest consumptions, rather than scan every version's (PostgreSQL plans it either way).
const EDGES: &str = "SELECT c.service AS consumer, c.provider, c.contract FROM services s \
                     CROSS JOIN consumptions c WHERE c.service = s.name AND c.version = s.latest_version \
                     ORDER BY c.service, c.provider, c.contract";

/// The edges, as `EDGES`, whose consumer's name is after `$1` and up to `$2`.
const EDGES_FROM: &str = "SELECT c.service AS consumer, c.provider, c.contract FROM services s \
                          CROSS JOIN consumptions c WHERE s.name > $1 AND s.name <= $2 \
                          AND c.service = s.name AND c.version = s.latest_version";

/// The edges, as `EDGES`, whose provider's name is after `$1` and up to `$2`: from the services that ever
/// consumed those providers.
const EDGES_TO: &str = "SELECT c.service AS consumer, c.provider, c.contract FROM consumer_pairs p \
                        CROSS JOIN services s CROSS JOIN consumptions c \
                        WHERE p.provider > $1 AND p.provider <= $2 AND s.name = p.service \
                        AND c.service = s.name AND c.version = s.latest_version AND c.provider = p.provider";

/// Who consumes `$1`, as each service's latest version says: from the services that ever consumed it, each
/// one's latest consumptions.
const CONSUMERS_OF: &str = "SELECT c.service, c.version, c.contract FROM consumer_pairs p \
                            CROSS JOIN services s CROSS JOIN consumptions c \
                            WHERE p.provider = $1 AND s.name = p.service AND c.service = s.name \
                            AND c.version = s.latest_version AND c.provider = p.provider \
                            AND c.service <> $1 ORDER BY c.service, c.contract";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl Store {
    /// Connects (`sqlite:PATH` creates the file; `postgres://…`) and brings the schema up to date.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        install_default_drivers();
        let url = match url {
            u if u.starts_with("sqlite:") && !u.contains('?') && !u.contains(":memory:") => {
                format!("{u}?mode=rwc")
            }
            u if u.starts_with("sqlite:")
                || u.starts_with("postgres:")
                || u.starts_with("postgresql:") =>
            {
                u.to_string()
            }
            other => return Err(StoreError::UnsupportedUrl(other.to_string())),
        };
        // One SQLite file takes one writer at a time; a small pool avoids queueing on its lock.
        let connections = if url.starts_with("sqlite:") { 4 } else { 16 };
        let pool = AnyPoolOptions::new()
            .max_connections(connections)
            // A database that is down or saturated answers 503 within this, rather than after sqlx's 30 s.
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    if conn.backend_name() == "PostgreSQL" {
                        sqlx::Executor::execute(&mut *conn, STATEMENT_TIMEOUT).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        let sqlite = url.starts_with("sqlite:");
        if sqlite && !url.contains(":memory:") {
            // Readers do not wait for a writer in WAL mode; the setting is kept in the file.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
        }
        // Migrations build indexes and fill columns over every row: they run without the statement timeout
        // that bounds a request, on a connection of their own.
        if sqlite {
            MIGRATOR.run(&pool).await?;
        } else {
            let mut conn = pool.acquire().await?;
            sqlx::Executor::execute(&mut *conn, "SET statement_timeout = 0").await?;
            MIGRATOR.run(&mut *conn).await?;
            sqlx::Executor::execute(&mut *conn, STATEMENT_TIMEOUT).await?;
        }
        Ok(Store {
            pool,
            write_gate: sqlite.then(Default::default),
            ahead: Default::default(),
            version_cache: Default::default(),
        })
    }

    pub(crate) fn ahead_queue(&self) -> &std::sync::Arc<crate::compat::Ahead> {
        &self.ahead
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// This store's turn to write, on SQLite; nothing to wait for on PostgreSQL.
    pub(crate) async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.write_gate {
            Some(gate) => Some(gate.lock().await),
            None => None,
        }
    }

    /// Stores a version with its contracts in one transaction: all of it or nothing.
    pub async fn publish(&self, publication: &Publication) -> Result<PublishOutcome, StoreError> {
        let consumed = consumed_contracts(&publication.service, &publication.manifest)?;
        // Reading every contract is work for a blocking thread, not for the server's async workers.
        let checked = publication.clone();
        if let Some(why) = tokio::task::spawn_blocking(move || crate::compat::unreadable(&checked))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
        {
            return Err(StoreError::UnreadableContract(why));
        }
        let hash = content_hash(&publication.manifest, &publication.contracts);
        let now = now_ms();
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        // An update on conflict, not nothing: it locks the service's row until this transaction ends, so
        // publishes of one service take turns and each sees the versions of those before it when it sets the
        // latest one below.
        sqlx::query(
            "INSERT INTO services (name, owner, created_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET name = excluded.name",
        )
        .bind(&publication.service)
        .bind(&publication.owner)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let inserted = sqlx::query(
            "INSERT INTO versions (service, version, content_hash, git_commit, branch, manifest, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (service, version) DO NOTHING",
        )
        .bind(&publication.service)
        .bind(&publication.version)
        .bind(&hash)
        .bind(&publication.git_commit)
        .bind(&publication.branch)
        .bind(&publication.manifest)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            let existing: String = sqlx::query(
                "SELECT content_hash FROM versions WHERE service = $1 AND version = $2",
            )
            .bind(&publication.service)
            .bind(&publication.version)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
            tx.rollback().await?;
            if existing == hash {
                return Ok(PublishOutcome::Unchanged);
            }
            return Err(StoreError::Conflict {
                service: publication.service.clone(),
                version: publication.version.clone(),
                existing,
                new: hash,
            });
        }
        for (path, content) in &publication.contracts {
            sqlx::query("INSERT INTO contracts (service, version, path, content, hash) VALUES ($1, $2, $3, $4, $5)")
                .bind(&publication.service)
                .bind(&publication.version)
                .bind(path)
                .bind(content)
                .bind(seamline_model::sha256_hex(content.as_bytes()))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "UPDATE services SET version_count = version_count + 1, latest_version = (SELECT v.version \
             FROM versions v WHERE v.service = $1 ORDER BY v.created_ms DESC, v.version DESC LIMIT 1) \
             WHERE name = $1",
        )
        .bind(&publication.service)
        .execute(&mut *tx)
        .await?;
        for (provider, contract) in &consumed {
            sqlx::query(
                "INSERT INTO consumer_pairs (provider, service) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(provider)
            .bind(&publication.service)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO consumptions (service, version, provider, contract) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(&publication.service)
            .bind(&publication.version)
            .bind(provider)
            .bind(contract)
            .execute(&mut *tx)
            .await?;
        }
        if publication.owner.is_some() {
            sqlx::query("UPDATE services SET owner = $1 WHERE name = $2")
                .bind(&publication.owner)
                .bind(&publication.service)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(PublishOutcome::Created)
    }

    pub async fn services(&self) -> Result<Vec<ServiceSummary>, StoreError> {
        Ok(sqlx::query_as(SERVICES).fetch_all(&self.pool).await?)
    }

    /// At most `limit` services by name, after the name `after` when it is given.
    pub async fn services_after(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ServiceSummary>, StoreError> {
        // Every name sorts after the empty one.
        Ok(sqlx::query_as(SERVICES_AFTER)
            .bind(after.unwrap_or_default())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?)
    }

    /// One service, with its number of versions and its latest.
    pub async fn service(&self, name: &str) -> Result<Option<ServiceSummary>, StoreError> {
        Ok(sqlx::query_as(SERVICE)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The team that owns `service`, as its latest publication said.
    pub async fn owner(&self, service: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT owner FROM services WHERE name = $1")
            .bind(service)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?.flatten())
    }

    /// A page of a service's versions, newest first: at most `limit`, and only those published before the
    /// version `before` when it is given (the last of the page before). An unknown `before` is an error.
    pub async fn versions(
        &self,
        service: &str,
        before: Option<&str>,
        limit: u32,
    ) -> Result<Vec<VersionSummary>, StoreError> {
        let Some(before) = before else {
            return Ok(sqlx::query_as(VERSIONS)
                .bind(service)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?);
        };
        let anchor =
            sqlx::query("SELECT created_ms FROM versions WHERE service = $1 AND version = $2")
                .bind(service)
                .bind(before)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| StoreError::UnknownVersion {
                    service: service.into(),
                    version: before.into(),
                })?;
        let created_ms: i64 = anchor.try_get(0)?;
        Ok(sqlx::query_as(VERSIONS_BEFORE)
            .bind(service)
            .bind(created_ms)
            .bind(before)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?)
    }

    /// A published version with its files. Versions are immutable, so what was read once is kept in memory
    /// (up to `VERSION_CACHE_BYTES`) and not read again.
    pub async fn version(
        &self,
        service: &str,
        version: &str,
    ) -> Result<Option<StoredVersion>, StoreError> {
        let key = (service.to_owned(), version.to_owned());
        if let Some(hit) = self
            .version_cache
            .lock()
            .ok()
            .and_then(|c| c.get(&key).cloned())
        {
            return Ok(Some(hit));
        }
        let read = self.read_version(service, version).await?;
        if let (Some(stored), Ok(mut cache)) = (&read, self.version_cache.lock()) {
            cache.insert(key, stored.clone());
        }
        Ok(read)
    }

    pub(crate) fn forget_versions(&self) {
        if let Ok(mut cache) = self.version_cache.lock() {
            *cache = VersionCache::default();
        }
    }

    async fn read_version(
        &self,
        service: &str,
        version: &str,
    ) -> Result<Option<StoredVersion>, StoreError> {
        let Some(row) = sqlx::query(
            "SELECT service, version, content_hash, git_commit, branch, created_ms, manifest FROM versions \
             WHERE service = $1 AND version = $2",
        )
        .bind(service)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let contracts = sqlx::query(
            "SELECT path, content, hash FROM contracts WHERE service = $1 AND version = $2 ORDER BY path",
        )
        .bind(service)
        .bind(version)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("path")?, r.try_get("content")?, r.try_get("hash")?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(Some(StoredVersion {
            summary: sqlx::FromRow::from_row(&row)?,
            manifest: row.try_get("manifest")?,
            contracts,
        }))
    }

    /// Records that `service` `version` now runs in `environment` (created on first use).
    pub async fn record_deployment(
        &self,
        environment: &str,
        service: &str,
        version: &str,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        let known = sqlx::query("SELECT 1 FROM versions WHERE service = $1 AND version = $2")
            .bind(service)
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            return Err(StoreError::UnknownVersion {
                service: service.into(),
                version: version.into(),
            });
        }
        sqlx::query("INSERT INTO environments (name, created_ms) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(environment)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO deployments (environment, service, version, deployed_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (environment, service) DO UPDATE SET version = excluded.version, \
             deployed_ms = excluded.deployed_ms",
        )
        .bind(environment)
        .bind(service)
        .bind(version)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO deployment_log (environment, service, version, deployed_ms) VALUES ($1, $2, $3, $4)")
            .bind(environment)
            .bind(service)
            .bind(version)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// What runs in `environment`, by service.
    pub async fn deployed(&self, environment: &str) -> Result<Vec<Deployment>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT environment, service, version, deployed_ms FROM deployments WHERE environment = $1 \
             ORDER BY service",
        )
        .bind(environment)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every environment with how many services run there.
    pub async fn environments(&self) -> Result<Vec<EnvironmentSummary>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT e.name, (SELECT COUNT(*) FROM deployments d WHERE d.environment = e.name) AS services \
             FROM environments e ORDER BY e.name",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The services deployed in `environment` whose deployed version consumes a contract of one of `providers`,
    /// as `(provider, deployment, contract)`, from the index kept at publish time.
    pub async fn deployed_consumers(
        &self,
        environment: &str,
        providers: &[&str],
    ) -> Result<Vec<(String, Deployment, String)>, StoreError> {
        let mut found = Vec::new();
        for chunk in providers.chunks(PARAMETERS_AT_ONCE) {
            let sql = deployed_consumers_sql(chunk.len());
            let mut query = sqlx::query(&sql).bind(environment);
            for provider in chunk {
                query = query.bind(*provider);
            }
            for r in query.fetch_all(&self.pool).await? {
                found.push((
                    r.try_get("provider")?,
                    sqlx::FromRow::from_row(&r)?,
                    r.try_get("contract")?,
                ));
            }
        }
        Ok(found)
    }

    /// How many services there are and how many versions they have: it changes with every publish, and only
    /// then, so what is drawn from the services' latest versions can be kept until it changes.
    pub(crate) async fn services_stamp(&self) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*), CAST(COALESCE(SUM(version_count), 0) AS BIGINT) FROM services",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

    /// The latest versions of `service`'s partners: the services that ever consumed it, and those `version`
    /// consumes.
    pub(crate) async fn latest_of_partners(
        &self,
        service: &str,
        version: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, latest_version FROM services WHERE latest_version IS NOT NULL AND name <> $1 \
             AND (name IN (SELECT service FROM consumer_pairs WHERE provider = $1) \
             OR name IN (SELECT provider FROM consumptions WHERE service = $1 AND version = $2)) ORDER BY name",
        )
        .bind(service)
        .bind(version)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// What each of `versions` consumes, `(provider, contract)` by version; an error naming the first that was
    /// never published.
    pub(crate) async fn consumptions_of(
        &self,
        versions: &[(String, String)],
    ) -> Result<HashMap<(String, String), Vec<(String, String)>>, StoreError> {
        let mut consumed: HashMap<(String, String), Vec<(String, String)>> = HashMap::new();
        for chunk in versions.chunks(PARAMETERS_AT_ONCE / 2) {
            let sql = consumptions_sql(chunk.len());
            let mut query = sqlx::query(&sql);
            for (service, version) in chunk {
                query = query.bind(service).bind(version);
            }
            for r in query.fetch_all(&self.pool).await? {
                let entry = consumed.entry((r.try_get(0)?, r.try_get(1)?)).or_default();
                if let (Some(provider), Some(contract)) = (r.try_get(2)?, r.try_get(3)?) {
                    entry.push((provider, contract));
                }
            }
        }
        if let Some((service, version)) = versions.iter().find(|v| !consumed.contains_key(*v)) {
            return Err(StoreError::UnknownVersion {
                service: service.clone(),
                version: version.clone(),
            });
        }
        Ok(consumed)
    }

    /// The verdicts stored by this Seamline version in which one of `versions` is the consumer or the provider.
    pub(crate) async fn stored_verdicts(
        &self,
        versions: &[(String, String)],
    ) -> Result<HashMap<PairKey, Verdict>, StoreError> {
        let mut found = HashMap::new();
        for chunk in versions.chunks(PARAMETERS_AT_ONCE / 2) {
            let sql = verdicts_sql(chunk.len());
            let mut query = sqlx::query(&sql).bind(crate::compat::ENGINE);
            for (service, version) in chunk {
                query = query.bind(service).bind(version);
            }
            for r in query.fetch_all(&self.pool).await? {
                let key = PairKey {
                    consumer: r.try_get(0)?,
                    consumer_version: r.try_get(1)?,
                    provider: r.try_get(2)?,
                    provider_version: r.try_get(3)?,
                    contract: r.try_get(4)?,
                };
                let compatible: i64 = r.try_get(5)?;
                found.insert(key, (compatible != 0, r.try_get(6)?));
            }
        }
        Ok(found)
    }

    /// Stores verdicts reached by this Seamline version; one already stored is kept.
    pub(crate) async fn store_verdicts(
        &self,
        verdicts: &HashMap<PairKey, Verdict>,
    ) -> Result<(), StoreError> {
        // In one order, so two servers storing overlapping verdicts at once take the rows' locks in the same
        // order and never deadlock (PostgreSQL).
        let mut verdicts: Vec<_> = verdicts.iter().collect();
        verdicts.sort_unstable_by(|a, b| {
            crate::compat::key_order(a.0).cmp(&crate::compat::key_order(b.0))
        });
        let _turn = self.write_turn().await;
        for chunk in verdicts.chunks(PARAMETERS_AT_ONCE / 8) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| format!("({})", placeholders(1 + 8 * i, 8)))
                .collect();
            let sql = format!(
                "INSERT INTO verdicts (consumer, consumer_version, provider, provider_version, contract, engine, \
                 compatible, reason) VALUES {} ON CONFLICT DO NOTHING",
                rows.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for (k, (compatible, reason)) in chunk {
                query = query
                    .bind(&k.consumer)
                    .bind(&k.consumer_version)
                    .bind(&k.provider)
                    .bind(&k.provider_version)
                    .bind(&k.contract)
                    .bind(crate::compat::ENGINE)
                    .bind(i64::from(*compatible))
                    .bind(reason);
            }
            query.execute(&self.pool).await?;
        }
        Ok(())
    }

    /// Who consumes whom, as each service's latest version says: `(consumer, provider, contract)`.
    pub async fn edges(&self) -> Result<Vec<Edge>, StoreError> {
        Ok(sqlx::query_as(EDGES).fetch_all(&self.pool).await?)
    }

    /// The edges from or to the services whose names are after `after` and up to `last` (a page of services),
    /// sorted as `edges`.
    pub async fn edges_of_range(&self, after: &str, last: &str) -> Result<Vec<Edge>, StoreError> {
        let mut edges: Vec<Edge> = Vec::new();
        for sql in [EDGES_FROM, EDGES_TO] {
            let rows: Vec<Edge> = sqlx::query_as(sql)
                .bind(after)
                .bind(last)
                .fetch_all(&self.pool)
                .await?;
            edges.extend(rows);
        }
        edges.sort_by(|a, b| {
            (&a.consumer, &a.provider, &a.contract).cmp(&(&b.consumer, &b.provider, &b.contract))
        });
        edges.dedup();
        Ok(edges)
    }

    /// Who consumes `provider`, as each service's latest version says: `(consumer, its version, contract)`.
    pub async fn consumers_of(
        &self,
        provider: &str,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        let rows = sqlx::query(CONSUMERS_OF)
            .bind(provider)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    /// Where `service` runs, by environment.
    pub async fn deployments_of(&self, service: &str) -> Result<Vec<Deployment>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT environment, service, version, deployed_ms FROM deployments WHERE service = $1 \
             ORDER BY environment",
        )
        .bind(service)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The versions of `services` deployed in `environment`, in one round trip per 800: `(service, version)` for those
    /// deployed there.
    pub async fn deployed_versions(
        &self,
        environment: &str,
        services: &[&str],
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut found = Vec::new();
        for chunk in services.chunks(PARAMETERS_AT_ONCE) {
            let sql = format!(
                "SELECT service, version FROM deployments WHERE environment = $1 AND service IN ({})",
                placeholders(2, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(environment);
            for service in chunk {
                query = query.bind(*service);
            }
            for r in query.fetch_all(&self.pool).await? {
                found.push((r.try_get(0)?, r.try_get(1)?));
            }
        }
        Ok(found)
    }

    /// Adds `uses` to the counters of `environment`, each in the hour of its `last_seen_ms`.
    pub async fn record_usage(
        &self,
        environment: &str,
        uses: &[VersionUse],
    ) -> Result<(), StoreError> {
        const HOUR_MS: i64 = 3_600_000;
        let _turn = self.write_turn().await;
        let mut tx = self.pool.begin().await?;
        for u in uses {
            sqlx::query(
                "INSERT INTO version_usage (environment, message, version, role, service, hour_ms, count, failed, \
                 last_seen_ms, last_trace_id, first_seen_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9) \
                 ON CONFLICT (environment, message, version, role, service, hour_ms) DO UPDATE SET \
                 count = version_usage.count + excluded.count, failed = version_usage.failed + excluded.failed, \
                 last_trace_id = CASE WHEN excluded.last_seen_ms >= version_usage.last_seen_ms \
                 THEN COALESCE(excluded.last_trace_id, version_usage.last_trace_id) \
                 ELSE version_usage.last_trace_id END, \
                 last_seen_ms = CASE WHEN excluded.last_seen_ms > version_usage.last_seen_ms \
                 THEN excluded.last_seen_ms ELSE version_usage.last_seen_ms END, \
                 first_seen_ms = CASE WHEN excluded.first_seen_ms < version_usage.first_seen_ms \
                 THEN excluded.first_seen_ms ELSE version_usage.first_seen_ms END",
            )
            .bind(environment)
            .bind(&u.message)
            .bind(&u.version)
            .bind(&u.role)
            .bind(&u.service)
            .bind(u.last_seen_ms.saturating_sub(u.last_seen_ms.rem_euclid(HOUR_MS)))
            .bind(u.count)
            .bind(u.failed)
            .bind(u.last_seen_ms)
            .bind(u.trace_id.as_deref())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The counters of `environment` since `since_ms`, summed over the hours: of one message, or of every one.
    pub async fn usage(
        &self,
        environment: &str,
        message: Option<&str>,
        since_ms: i64,
    ) -> Result<Vec<VersionUse>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT service, role, message, version, CAST(SUM(count) AS BIGINT) AS count, \
             CAST(SUM(failed) AS BIGINT) AS failed, MAX(last_seen_ms) AS last_seen_ms, \
             (SELECT l.last_trace_id FROM version_usage l WHERE l.environment = $1 AND l.message = u.message \
              AND l.version = u.version AND l.role = u.role AND l.service = u.service \
              ORDER BY l.hour_ms DESC LIMIT 1) AS trace_id \
             FROM version_usage u \
             WHERE environment = $1 AND ($2 = '' OR message = $2) AND hour_ms >= $3 \
             GROUP BY message, version, role, service ORDER BY message, version, role, service",
        )
        .bind(environment)
        .bind(message.unwrap_or(""))
        // From the start of the hour `since_ms` falls in.
        .bind(since_ms.saturating_sub(since_ms.rem_euclid(3_600_000)))
        .fetch_all(&self.pool)
        .await?)
    }

    /// A trivial query, for readiness: the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite's plan for `sql`, one line per step.
    async fn plan(store: &Store, sql: &str, binds: usize) -> String {
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let mut query = sqlx::query(&explain);
        for _ in 0..binds {
            query = query.bind("x");
        }
        let rows = query.fetch_all(&store.pool).await.unwrap();
        rows.iter()
            .map(|r| r.try_get::<String, _>("detail").unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The pages' queries stay proportional to what they show, at any number of versions: none runs a query per
    /// row, none scans or sorts every version of a service, and versions are read through their index. (The
    /// plans, not timings: timings are for `bench/registry.sh`.)
    #[tokio::test]
    async fn no_page_query_visits_every_version() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("r.db").display());
        let store = Store::open(&url).await.unwrap();
        for (sql, binds) in [
            (SERVICES, 0),
            (SERVICES_AFTER, 2),
            (SERVICE, 1),
            (EDGES, 0),
            (CONSUMERS_OF, 1),
            (deployed_consumers_sql(3).as_str(), 4),
            (EDGES_FROM, 2),
            (EDGES_TO, 2),
        ] {
            let plan = plan(&store, sql, binds).await;
            assert!(
                !plan.contains("CORRELATED"),
                "a query per row:\n{sql}\n{plan}"
            );
            assert!(!plan.contains("versions"), "reads versions:\n{sql}\n{plan}");
            for big in ["SCAN c", "SCAN consumptions", "SCAN d", "SCAN deployments"] {
                assert!(
                    !plan.contains(big),
                    "scans every consumption:\n{sql}\n{plan}"
                );
            }
        }
        // The can-i-deploy questions of a page: every version and verdict found by its key.
        for (sql, binds, table) in [
            (consumptions_sql(3), 6, "v"),
            (verdicts_sql(3), 7, "verdicts"),
        ] {
            let plan = plan(&store, &sql, binds).await;
            assert!(
                !plan.contains(&format!("SCAN {table}"))
                    && plan.contains(&format!("SEARCH {table} USING")),
                "not found by key:\n{sql}\n{plan}"
            );
        }
        for (sql, binds) in [(VERSIONS, 2), (VERSIONS_BEFORE, 4)] {
            let plan = plan(&store, sql, binds).await;
            assert!(
                plan.starts_with("SEARCH versions USING")
                    && plan.contains("INDEX versions_by_created (service=?")
                    && !plan.contains('\n'),
                "not one walk of the index, newest first:\n{sql}\n{plan}"
            );
        }
        store.close().await;
    }
}
