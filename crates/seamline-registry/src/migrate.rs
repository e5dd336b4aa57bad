//! `seam migrate`: one message moved from one major version to the next in five phases, kept per producer and
//! message. Each phase has a gate, checked from what the registry holds (published contracts, the manifests of
//! the versions deployed in each environment, and the version-usage counters that traces feed), never from what
//! someone says:
//!
//! 1. *new version defined*: the producer's latest published contract defines both versions;
//! 2. *dual-publish*: in every environment, the producer's deployed manifest publishes both, and spans show both
//!    published within the window;
//! 3. *consumers accept both*: every consumer deployed in every environment lists the new version;
//! 4. *nobody reads the old version*: for a whole window the registry watched, no span shows anyone (known or
//!    not) consuming the old version, and every known consumer is seen consuming the new one;
//! 5. *old version removed*: no deployed producer publishes the old version any more.
//!
//! Facts are gathered by the store ([`Facts`]) and judged by pure functions, so every gate is tested without a
//! database.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use seamline_model::list_versions;

use crate::store::{Store, StoreError, StoredVersion, VersionUse};

/// The phases, in order; phase `n` is `PHASES[n - 1]`.
pub use seamline_model::MIGRATION_PHASES as PHASES;

/// How long nobody may have read the old version before it may go, unless the migration says otherwise.
pub const DEFAULT_WINDOW_MS: i64 = 7 * 24 * HOUR_MS;

const HOUR_MS: i64 = 3_600_000;

/// A migration as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Migration {
    /// The producer.
    pub service: String,
    /// The producer's contract that defines the message.
    pub contract: String,
    pub message: String,
    pub from: u32,
    pub to: u32,
    /// The last phase whose gate passed, 1 to 5.
    pub phase: u8,
    /// `active`, `done` (phase 5 reached) or `aborted`.
    pub state: String,
    /// How long the old version must have gone unread, in milliseconds.
    pub window_ms: i64,
    pub started_ms: i64,
    pub updated_ms: i64,
    pub history: Vec<Step>,
}

/// One transition: `start`, `advance` or `abort`, the phase after it, when, and by which token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub action: String,
    pub phase: u8,
    pub at_ms: i64,
    pub by: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl Migration {
    pub fn active(&self) -> bool {
        self.state == "active"
    }

    /// `inventory.stock_reserved v1 → v2`.
    pub fn title(&self) -> String {
        format!("{} v{} → v{}", self.message, self.from, self.to)
    }
}

/// What the registry holds about a migration's message, gathered by the store.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// The producer's latest published version and the versions of the message its contract defines, or why
    /// they cannot be told.
    pub latest: Option<Result<(String, Vec<u32>), String>>,
    /// Every environment the producer is deployed in.
    pub environments: Vec<EnvironmentFacts>,
    pub now_ms: i64,
}

#[derive(Clone, Debug, Default)]
pub struct EnvironmentFacts {
    pub name: String,
    /// The producer's deployed version and the versions of the message its manifest publishes.
    pub producer: Deployed,
    /// Each deployed service whose manifest consumes the message from the producer's contract, and the versions
    /// it lists (`None`: listed without a version).
    pub consumers: Vec<Deployed>,
    /// The message's counters within the window.
    pub usage: Vec<VersionUse>,
    /// When the registry first counted a use of the message here (any version, anyone).
    pub watched_since_ms: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct Deployed {
    pub service: String,
    pub version: String,
    /// Versions published (producer) or accepted (consumer), or why the manifest cannot say.
    pub declares: Result<Vec<Option<u32>>, String>,
}

impl Default for Deployed {
    fn default() -> Self {
        Deployed {
            service: String::new(),
            version: String::new(),
            declares: Ok(Vec::new()),
        }
    }
}

/// A migration with its gates judged now.
#[derive(Clone, Debug, Serialize)]
pub struct Status {
    #[serde(flatten)]
    pub migration: Migration,
    /// The name of the phase reached.
    pub phase_name: &'static str,
    /// The phase `advance` would move to, while the migration is active.
    pub next: Option<u8>,
    /// The five gates as they stand now.
    pub gates: Vec<Gate>,
    /// Per environment, the producer, the consumers and anyone else seen reading the message.
    pub environments: Vec<EnvironmentStatus>,
    pub evaluated_ms: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Gate {
    pub phase: u8,
    pub name: &'static str,
    pub passed: bool,
    /// What keeps it shut, each with what to do.
    pub blockers: Vec<String>,
    /// What it rests on.
    pub evidence: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EnvironmentStatus {
    pub environment: String,
    pub parties: Vec<Party>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Party {
    pub service: String,
    /// `producer`, `consumer` or `unknown reader` (seen consuming, with no deployed manifest that says so).
    pub role: &'static str,
    /// The deployed version, when it is deployed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The versions its manifest publishes or accepts (`*` for the message listed without a version).
    pub declares: Vec<String>,
    /// What spans show it doing within the window.
    pub seen: Vec<Seen>,
    /// What this service has to do now.
    pub duty: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Seen {
    /// `publishes` or `consumes`.
    pub role: String,
    pub version: String,
    pub count: i64,
    pub last_seen_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

/// Judges `migration`'s five gates on `facts`.
pub fn evaluate(migration: &Migration, facts: &Facts) -> Status {
    let judge = Judge {
        m: migration,
        f: facts,
    };
    let gates = vec![
        judge.defined(),
        judge.dual_publish(),
        judge.consumers_accept(),
        judge.nobody_reads_old(),
        judge.removed(),
    ];
    let environments = facts
        .environments
        .iter()
        .map(|env| judge.parties(env))
        .collect();
    let phase = migration.phase.clamp(1, 5);
    Status {
        migration: migration.clone(),
        phase_name: PHASES[usize::from(phase) - 1],
        next: (migration.active() && phase < 5).then_some(phase + 1),
        gates,
        environments,
        evaluated_ms: facts.now_ms,
    }
}

impl Status {
    /// The gate of phase `phase` (1 to 5).
    pub fn gate(&self, phase: u8) -> &Gate {
        &self.gates[usize::from(phase.clamp(1, 5)) - 1]
    }

    /// This service's duty in each environment it takes part in: `(environment, role, duty)`.
    pub fn duties_of(&self, service: &str) -> Vec<(&str, &'static str, &str)> {
        self.environments
            .iter()
            .flat_map(|env| {
                env.parties
                    .iter()
                    .filter(|p| p.service == service)
                    .map(|p| (env.environment.as_str(), p.role, p.duty.as_str()))
            })
            .collect()
    }
}

struct Judge<'a> {
    m: &'a Migration,
    f: &'a Facts,
}

impl Judge<'_> {
    fn gate(&self, phase: u8, blockers: Vec<String>, evidence: Vec<String>) -> Gate {
        Gate {
            phase,
            name: PHASES[usize::from(phase) - 1],
            passed: blockers.is_empty(),
            blockers,
            evidence,
        }
    }

    fn window(&self) -> String {
        duration(self.m.window_ms)
    }

    fn since(&self) -> i64 {
        self.f.now_ms.saturating_sub(self.m.window_ms)
    }

    /// Gate 1: the latest published contract defines both versions.
    fn defined(&self) -> Gate {
        let (m, mut blockers, mut evidence) = (self.m, Vec::new(), Vec::new());
        match &self.f.latest {
            None => blockers.push(format!(
                "{} has published no version: publish one whose {} defines {} v{} and v{}",
                m.service, m.contract, m.message, m.from, m.to
            )),
            Some(Err(why)) => blockers.push(format!("{} latest version: {why}", m.service)),
            Some(Ok((version, defined))) => {
                let missing: Vec<String> = [m.from, m.to]
                    .into_iter()
                    .filter(|v| !defined.contains(v))
                    .map(|v| format!("v{v}"))
                    .collect();
                if missing.is_empty() {
                    evidence.push(format!(
                        "{} {version}: {} defines {} v{} and v{}",
                        m.service, m.contract, m.message, m.from, m.to
                    ));
                } else {
                    blockers.push(format!(
                        "{} {version}: {} does not define {} {} (it defines {}): add the new version beside the \
                         old one and publish",
                        m.service,
                        m.contract,
                        m.message,
                        missing.join(" and "),
                        list_versions(defined.iter().copied().map(Some))
                    ));
                }
            }
        }
        self.gate(1, blockers, evidence)
    }

    /// Gate 2: in every environment, the deployed producer publishes both, by its manifest and by its spans.
    fn dual_publish(&self) -> Gate {
        let (m, mut blockers, mut evidence) = (self.m, Vec::new(), Vec::new());
        if self.f.environments.is_empty() {
            blockers.push(format!(
                "{} is deployed in no environment: deploy a version that publishes v{} and v{}",
                m.service, m.from, m.to
            ));
        }
        for env in &self.f.environments {
            let p = &env.producer;
            match &p.declares {
                Err(why) => {
                    blockers.push(format!("{}: {} {}: {why}", env.name, p.service, p.version))
                }
                Ok(declared) => {
                    let both = [m.from, m.to].iter().all(|v| declared.contains(&Some(*v)));
                    if both {
                        evidence.push(format!(
                            "{}: {} {} publishes v{} and v{} (seam.toml)",
                            env.name, p.service, p.version, m.from, m.to
                        ));
                    } else {
                        blockers.push(format!(
                            "{}: {} {} publishes {} of {} (seam.toml [[publishes]]): deploy a version that publishes \
                             both v{} and v{}",
                            env.name,
                            p.service,
                            p.version,
                            list_versions(declared.iter().copied()),
                            m.message,
                            m.from,
                            m.to
                        ));
                    }
                }
            }
            for v in [m.from, m.to] {
                match self.latest_use(env, &p.service, "publishes", &v.to_string()) {
                    Some(u) => evidence.push(format!(
                        "{}: spans show {} publishing v{v} ×{}, last {}",
                        env.name,
                        p.service,
                        u.count,
                        seen_at(u)
                    )),
                    None => blockers.push(format!(
                        "{}: no span shows {} publishing v{v} in the last {}: send its traces to the registry \
                         (OTLP to /v1/traces, or `seam migrate evidence`)",
                        env.name,
                        p.service,
                        self.window()
                    )),
                }
            }
        }
        self.gate(2, blockers, evidence)
    }

    /// Gate 3: every deployed consumer lists the new version.
    fn consumers_accept(&self) -> Gate {
        let (mut blockers, mut evidence) = (Vec::new(), Vec::new());
        self.accepting(&mut blockers, &mut evidence);
        self.gate(3, blockers, evidence)
    }

    fn accepting(&self, blockers: &mut Vec<String>, evidence: &mut Vec<String>) {
        let m = self.m;
        for env in &self.f.environments {
            if env.consumers.is_empty() {
                evidence.push(format!(
                    "{}: no deployed service's seam.toml consumes {} from {}",
                    env.name, m.message, m.service
                ));
            }
            for c in &env.consumers {
                match &c.declares {
                    Err(why) => {
                        blockers.push(format!("{}: {} {}: {why}", env.name, c.service, c.version))
                    }
                    Ok(listed) if listed.contains(&Some(m.to)) => evidence.push(format!(
                        "{}: {} {} accepts {} (seam.toml)",
                        env.name,
                        c.service,
                        c.version,
                        list_versions(listed.iter().copied())
                    )),
                    Ok(listed) if listed.contains(&None) => blockers.push(format!(
                        "{}: {} {} lists {} without a version: list the versions it accepts, {}@{} among them",
                        env.name, c.service, c.version, m.message, m.message, m.to
                    )),
                    Ok(listed) => blockers.push(format!(
                        "{}: {} {} accepts only {} (seam.toml [[consumes.events]]): add {}@{} to its messages and \
                         deploy it",
                        env.name,
                        c.service,
                        c.version,
                        list_versions(listed.iter().copied()),
                        m.message,
                        m.to
                    )),
                }
            }
        }
    }

    /// Gate 4: a whole window watched, no reader of the old version, every consumer seen on the new one.
    fn nobody_reads_old(&self) -> Gate {
        let (m, mut blockers, mut evidence) = (self.m, Vec::new(), Vec::new());
        self.accepting(&mut blockers, &mut evidence);
        evidence.clear();
        let since = self.since();
        let from = m.from.to_string();
        let to = m.to.to_string();
        if self.f.environments.is_empty() {
            blockers.push(format!("{} is deployed in no environment", m.service));
        }
        for env in &self.f.environments {
            match env.watched_since_ms {
                Some(first) if first <= since => evidence.push(format!(
                    "{}: the registry has counted {}'s use since {}, a whole window of {}",
                    env.name,
                    m.message,
                    rfc3339_ms(first),
                    self.window()
                )),
                Some(first) => blockers.push(format!(
                    "{}: the registry has counted {}'s use only since {}: silence means something after a whole \
                     window of {}, at {}",
                    env.name,
                    m.message,
                    rfc3339_ms(first),
                    self.window(),
                    rfc3339_ms(first.saturating_add(m.window_ms))
                )),
                None => blockers.push(format!(
                    "{}: no span of {} has reached the registry: without traces, nobody's silence can be told \
                     (OTLP to /v1/traces, or `seam migrate evidence`)",
                    env.name, m.message
                )),
            }
            let known: BTreeSet<&str> = env.consumers.iter().map(|c| c.service.as_str()).collect();
            for u in env
                .usage
                .iter()
                .filter(|u| u.role == "consumes" && u.last_seen_ms >= since)
            {
                let who = if known.contains(u.service.as_str()) {
                    u.service.clone()
                } else {
                    format!(
                        "{} (an unknown reader: no seam.toml deployed in {} says it consumes {})",
                        u.service, env.name, m.message
                    )
                };
                if u.version == from {
                    blockers.push(format!(
                        "{}: {who} still reads v{from}: ×{} in the window, last {}",
                        env.name,
                        u.count,
                        seen_at(u)
                    ));
                } else if u.version == "unknown" {
                    blockers.push(format!(
                        "{}: {who} consumes {} in spans that name no version (×{}, last {}): it may read v{from}; \
                         record the version in `messaging.message.schema_version`",
                        env.name,
                        m.message,
                        u.count,
                        seen_at(u)
                    ));
                }
            }
            for c in &env.consumers {
                match self.latest_use(env, &c.service, "consumes", &to) {
                    Some(u) => evidence.push(format!(
                        "{}: {} consumes v{to} ×{}, last {}",
                        env.name,
                        c.service,
                        u.count,
                        seen_at(u)
                    )),
                    None => blockers.push(format!(
                        "{}: no span shows {} consuming v{to} in the last {}: without its spans, its silence about \
                         v{from} proves nothing",
                        env.name,
                        c.service,
                        self.window()
                    )),
                }
            }
        }
        if blockers.is_empty() {
            evidence.push(format!(
                "nobody consumed v{from} in the last {} in any environment",
                self.window()
            ));
        }
        self.gate(4, blockers, evidence)
    }

    /// Gate 5: no deployed producer publishes the old version.
    fn removed(&self) -> Gate {
        let (m, mut blockers, mut evidence) = (self.m, Vec::new(), Vec::new());
        for env in &self.f.environments {
            let p = &env.producer;
            match &p.declares {
                Err(why) => {
                    blockers.push(format!("{}: {} {}: {why}", env.name, p.service, p.version))
                }
                Ok(declared) if declared.contains(&Some(m.from)) => blockers.push(format!(
                    "{}: {} {} still publishes v{}: deploy a version without it{}",
                    env.name,
                    p.service,
                    p.version,
                    m.from,
                    if m.phase >= 4 {
                        " (can-i-deploy lets it go now that phase 4 passed)"
                    } else {
                        " once phase 4 has passed"
                    }
                )),
                Ok(_) => evidence.push(format!(
                    "{}: {} {} no longer publishes v{}",
                    env.name, p.service, p.version, m.from
                )),
            }
        }
        self.gate(5, blockers, evidence)
    }

    /// The counter of `service` doing `role` with `version` within the window, if any.
    fn latest_use<'e>(
        &self,
        env: &'e EnvironmentFacts,
        service: &str,
        role: &str,
        version: &str,
    ) -> Option<&'e VersionUse> {
        let since = self.since();
        env.usage.iter().find(|u| {
            u.service == service
                && u.role == role
                && u.version == version
                && u.last_seen_ms >= since
        })
    }

    /// The producer, each consumer and each unknown reader of `env`, with their duty now.
    fn parties(&self, env: &EnvironmentFacts) -> EnvironmentStatus {
        let m = self.m;
        let since = self.since();
        let seen_of = |service: &str| -> Vec<Seen> {
            env.usage
                .iter()
                .filter(|u| u.service == service && u.last_seen_ms >= since)
                .map(|u| Seen {
                    role: u.role.clone(),
                    version: u.version.clone(),
                    count: u.count,
                    last_seen_ms: u.last_seen_ms,
                    trace_id: u.trace_id.clone(),
                })
                .collect()
        };
        let mut parties = Vec::new();
        let p = &env.producer;
        parties.push(Party {
            service: p.service.clone(),
            role: "producer",
            version: Some(p.version.clone()),
            declares: declared(&p.declares),
            seen: seen_of(&p.service),
            duty: self.producer_duty(p),
        });
        for c in &env.consumers {
            let seen = seen_of(&c.service);
            parties.push(Party {
                service: c.service.clone(),
                role: "consumer",
                version: Some(c.version.clone()),
                declares: declared(&c.declares),
                duty: self.consumer_duty(c, &seen),
                seen,
            });
        }
        let mut unknown: Vec<&str> = env
            .usage
            .iter()
            .filter(|u| {
                u.role == "consumes"
                    && u.last_seen_ms >= since
                    && !env.consumers.iter().any(|c| c.service == u.service)
                    && u.service != p.service
            })
            .map(|u| u.service.as_str())
            .collect();
        unknown.dedup();
        for service in unknown {
            let seen = seen_of(service);
            let reads_old = seen.iter().any(|s| {
                s.role == "consumes" && (s.version == m.from.to_string() || s.version == "unknown")
            });
            parties.push(Party {
                service: service.to_owned(),
                role: "unknown reader",
                version: None,
                declares: Vec::new(),
                duty: if reads_old {
                    format!(
                        "reads {} v{} with no deployed seam.toml that says so: publish its manifest and move it to \
                         v{}, or stop it, before v{} goes",
                        m.message, m.from, m.to, m.from
                    )
                } else {
                    format!(
                        "reads {} with no deployed seam.toml that says so: publish its manifest",
                        m.message
                    )
                },
                seen,
            });
        }
        EnvironmentStatus {
            environment: env.name.clone(),
            parties,
        }
    }

    fn state(&self) -> seamline_model::MigrationState<'_> {
        seamline_model::MigrationState {
            message: &self.m.message,
            from: self.m.from,
            to: self.m.to,
            phase: self.m.phase,
            state: &self.m.state,
        }
    }

    fn producer_duty(&self, p: &Deployed) -> String {
        let declared = p.declares.as_ref().map(Vec::as_slice).unwrap_or_default();
        self.state().producer_duty(declared)
    }

    fn consumer_duty(&self, c: &Deployed, seen: &[Seen]) -> String {
        let listed = match &c.declares {
            Err(why) => return format!("fix its seam.toml: {why}"),
            Ok(listed) => listed,
        };
        let reads_old = seen.iter().find(|s| {
            s.role == "consumes" && (s.version == self.m.from.to_string() || s.version == "unknown")
        });
        self.state().consumer_duty(
            listed,
            reads_old.map(|s| rfc3339_ms(s.last_seen_ms)).as_deref(),
        )
    }
}

fn declared(declares: &Result<Vec<Option<u32>>, String>) -> Vec<String> {
    declares
        .as_ref()
        .map(|vs| {
            vs.iter()
                .map(|v| v.map_or_else(|| "*".to_owned(), |v| v.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// `v1 and v2`, `v1`, or `no version`.
/// `2026-12-05T12:00:00.000Z (trace 4bf9…)`.
fn seen_at(u: &VersionUse) -> String {
    match &u.trace_id {
        Some(trace) => format!("{} (trace {trace})", rfc3339_ms(u.last_seen_ms)),
        None => rfc3339_ms(u.last_seen_ms),
    }
}

pub fn rfc3339_ms(ms: i64) -> String {
    seamline_model::civil::rfc3339(u64::try_from(ms).unwrap_or(0).saturating_mul(1_000_000))
}

/// `7 d`, `36 h`, `90 s`: a window as people say it.
pub fn duration(ms: i64) -> String {
    const DAY_MS: i64 = 24 * HOUR_MS;
    match ms {
        ms if ms >= DAY_MS && ms % DAY_MS == 0 => format!("{} d", ms / DAY_MS),
        ms if ms >= HOUR_MS && ms % HOUR_MS == 0 => format!("{} h", ms / HOUR_MS),
        ms if ms >= 60_000 && ms % 60_000 == 0 => format!("{} min", ms / 60_000),
        ms if ms % 1000 == 0 => format!("{} s", ms / 1000),
        ms => format!("{ms} ms"),
    }
}

/// `7d`, `36h`, `30m`, `90s`, `500ms` as milliseconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit_ms = match unit.trim() {
        "ms" => 1,
        "s" => 1000,
        "m" | "min" => 60_000,
        "h" => HOUR_MS,
        "d" => 24 * HOUR_MS,
        _ => 0,
    };
    match number.parse::<i64>() {
        Ok(n) if unit_ms > 0 && n > 0 => n
            .checked_mul(unit_ms)
            .filter(|ms| *ms <= 366 * 24 * HOUR_MS)
            .ok_or_else(|| format!("`{text}` is longer than a year")),
        _ => Err(format!(
            "`{text}` is not a duration: write a whole number and a unit, e.g. 7d, 36h, 30m, 90s"
        )),
    }
}

/// What `seam migrate start` asks for.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Start {
    pub contract: String,
    pub message: String,
    #[serde(deserialize_with = "crate::store::whole_number")]
    pub from: u32,
    #[serde(deserialize_with = "crate::store::whole_number")]
    pub to: u32,
    /// Defaults to [`DEFAULT_WINDOW_MS`].
    #[serde(default, deserialize_with = "crate::store::some_whole_number")]
    pub window_ms: Option<i64>,
}

const COLUMNS: &str = "service, contract, message, from_version, to_version, phase, state, window_ms, started_ms, \
                       updated_ms, history";

fn from_row(row: &sqlx::any::AnyRow) -> Result<Migration, StoreError> {
    use sqlx::Row;
    let history: String = row.try_get(10)?;
    let version = |i: usize| -> Result<u32, StoreError> {
        Ok(u32::try_from(row.try_get::<i64, _>(i)?).unwrap_or(0))
    };
    Ok(Migration {
        service: row.try_get(0)?,
        contract: row.try_get(1)?,
        message: row.try_get(2)?,
        from: version(3)?,
        to: version(4)?,
        phase: u8::try_from(row.try_get::<i64, _>(5)?).unwrap_or(1),
        state: row.try_get(6)?,
        window_ms: row.try_get(7)?,
        started_ms: row.try_get(8)?,
        updated_ms: row.try_get(9)?,
        history: serde_json::from_str(&history).unwrap_or_default(),
    })
}

fn manifest_of(stored: &StoredVersion) -> Result<seamline_model::Manifest, String> {
    seamline_model::parse_manifest(
        std::path::Path::new("seam.toml"),
        "seam.toml",
        stored.manifest.as_bytes(),
    )
    .manifest
    .ok_or_else(|| "its published seam.toml cannot be read".to_owned())
}

impl Store {
    /// Every migration, the active ones first, newest first.
    pub async fn migrations(&self) -> Result<Vec<Migration>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM migrations ORDER BY CASE WHEN state = 'active' THEN 0 ELSE 1 END, \
             started_ms DESC, service, message"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Every active migration.
    pub(crate) async fn active_migrations(&self) -> Result<Vec<Migration>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM migrations WHERE state = 'active' ORDER BY service, message"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// The migration of `service`'s `message`: the active one, else the latest.
    pub async fn migration(
        &self,
        service: &str,
        message: &str,
    ) -> Result<Option<Migration>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM migrations WHERE service = $1 AND message = $2 \
             ORDER BY CASE WHEN state = 'active' THEN 0 ELSE 1 END, started_ms DESC LIMIT 1"
        ))
        .bind(service)
        .bind(message)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// `migration` with its gates judged on what the registry holds now.
    pub async fn migration_status(&self, migration: &Migration) -> Result<Status, StoreError> {
        let facts = self.facts(migration).await?;
        Ok(evaluate(migration, &facts))
    }

    /// What the registry holds about `m`'s message: the producer's latest contract, and per environment the
    /// producer deployed there, its consumers and the message's counters.
    pub(crate) async fn facts(&self, m: &Migration) -> Result<Facts, StoreError> {
        let now_ms = crate::store::now_ms();
        let since = now_ms.saturating_sub(m.window_ms);
        let latest = match self.service(&m.service).await?.and_then(|s| s.latest) {
            None => None,
            Some(version) => match self.version(&m.service, &version).await? {
                None => None,
                Some(stored) => {
                    let (contract, message) = (m.contract.clone(), m.message.clone());
                    let defined = crate::compat::blocking(move || {
                        crate::compat::defined_versions(stored, &contract, &message)
                    })
                    .await;
                    Some(defined.map(|d| (version, d)))
                }
            },
        };
        let mut environments = Vec::new();
        for env in self.environments().await? {
            let Some((_, version)) = self
                .deployed_versions(&env.name, &[m.service.as_str()])
                .await?
                .pop()
            else {
                continue;
            };
            let declares = match self.version(&m.service, &version).await? {
                Some(stored) => manifest_of(&stored).map(|p| p.publishes_versions(&m.message)),
                None => Err("its published version is gone".into()),
            };
            let producer = Deployed {
                service: m.service.clone(),
                version,
                declares,
            };
            let mut consumers = Vec::new();
            for (_, deployment, contract) in self
                .deployed_consumers(&env.name, &[m.service.as_str()])
                .await?
            {
                if contract != m.contract
                    || consumers
                        .iter()
                        .any(|c: &Deployed| c.service == deployment.service)
                {
                    continue;
                }
                let Some(stored) = self
                    .version(&deployment.service, &deployment.version)
                    .await?
                else {
                    continue;
                };
                let declares = match manifest_of(&stored) {
                    Ok(manifest) => manifest
                        .accepts_versions(&m.service, &m.contract, &m.message)
                        .map(Ok),
                    Err(why) => Some(Err(why)),
                };
                if let Some(declares) = declares {
                    consumers.push(Deployed {
                        service: deployment.service,
                        version: deployment.version,
                        declares,
                    });
                }
            }
            let usage = self.usage(&env.name, Some(&m.message), since).await?;
            let watched_since_ms = self.watched_since(&env.name, &m.message).await?;
            environments.push(EnvironmentFacts {
                name: env.name,
                producer,
                consumers,
                usage,
                watched_since_ms,
            });
        }
        Ok(Facts {
            latest,
            environments,
            now_ms,
        })
    }

    /// When the registry first counted a use of `message` in `environment`.
    async fn watched_since(
        &self,
        environment: &str,
        message: &str,
    ) -> Result<Option<i64>, StoreError> {
        use sqlx::Row;
        let row = sqlx::query(
            "SELECT MIN(COALESCE(first_seen_ms, hour_ms)) FROM version_usage \
             WHERE environment = $1 AND message = $2",
        )
        .bind(environment)
        .bind(message)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get::<Option<i64>, _>(0)?)
    }

    /// Starts a migration at phase 1, once its gate holds: the producer's latest contract defines both versions.
    pub async fn start_migration(
        &self,
        service: &str,
        start: &Start,
        by: &str,
    ) -> Result<Status, StoreError> {
        let refused = |why: String| Err(StoreError::MigrationRefused(why));
        if start.from == start.to || start.from == 0 || start.to == 0 {
            return refused(format!(
                "a migration goes from one major version to another (1 or more), not from {} to {}",
                start.from, start.to
            ));
        }
        let window_ms = start.window_ms.unwrap_or(DEFAULT_WINDOW_MS);
        if !(1000..=366 * 24 * HOUR_MS).contains(&window_ms) {
            return refused(format!(
                "the window is 1 s to a year, not {}",
                duration(window_ms)
            ));
        }
        if let Some(active) = self.migration(service, &start.message).await?
            && active.active()
        {
            return refused(format!(
                "{} already migrates {}; see `seam migrate status {}`, or abort it first",
                service,
                active.title(),
                start.message
            ));
        }
        let now = crate::store::now_ms();
        let migration = Migration {
            service: service.to_owned(),
            contract: start.contract.clone(),
            message: start.message.clone(),
            from: start.from,
            to: start.to,
            phase: 1,
            state: "active".into(),
            window_ms,
            started_ms: now,
            updated_ms: now,
            history: vec![Step {
                action: "start".into(),
                phase: 1,
                at_ms: now,
                by: by.into(),
                note: String::new(),
            }],
        };
        let status = self.migration_status(&migration).await?;
        shut(&status, 1)?;
        let _turn = self.write_turn().await;
        let inserted = sqlx::query(&format!(
            "INSERT INTO migrations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(&migration.service)
        .bind(&migration.contract)
        .bind(&migration.message)
        .bind(i64::from(migration.from))
        .bind(i64::from(migration.to))
        .bind(i64::from(migration.phase))
        .bind(&migration.state)
        .bind(migration.window_ms)
        .bind(migration.started_ms)
        .bind(migration.updated_ms)
        .bind(serde_json::to_string(&migration.history).unwrap_or_default())
        .execute(self.pool())
        .await;
        match inserted {
            Ok(_) => Ok(status),
            // Another start won the race for the one active migration of this message.
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => refused(format!(
                "{} already migrates {}; see `seam migrate status {}`",
                service, start.message, start.message
            )),
            Err(err) => Err(err.into()),
        }
    }

    /// Moves the active migration of `service`'s `message` to its next phase, when that phase's gate holds now.
    pub async fn advance_migration(
        &self,
        service: &str,
        message: &str,
        by: &str,
    ) -> Result<Status, StoreError> {
        let mut migration = self.active_migration(service, message).await?;
        let status = self.migration_status(&migration).await?;
        let next = migration.phase + 1;
        shut(&status, next)?;
        if next == 4 {
            // Removal rests on phase 3 too: a consumer deployed since that accepts only the old version.
            shut(&status, 3)?;
        }
        let before = migration.phase;
        migration.phase = next;
        if next == 5 {
            migration.state = "done".into();
        }
        let note = status.gate(next).evidence.join("; ");
        self.record_step(&mut migration, before, "advance", by, note)
            .await?;
        self.migration_status(&migration).await
    }

    /// Abandons the active migration of `service`'s `message`: the gates stop applying, and can-i-deploy judges
    /// removals by the manifests and the counters alone again.
    pub async fn abort_migration(
        &self,
        service: &str,
        message: &str,
        by: &str,
    ) -> Result<Status, StoreError> {
        let mut migration = self.active_migration(service, message).await?;
        let before = migration.phase;
        migration.state = "aborted".into();
        let note = format!(
            "aborted at phase {before} ({})",
            PHASES[usize::from(before.clamp(1, 5)) - 1]
        );
        self.record_step(&mut migration, before, "abort", by, note)
            .await?;
        self.migration_status(&migration).await
    }

    async fn active_migration(
        &self,
        service: &str,
        message: &str,
    ) -> Result<Migration, StoreError> {
        match self.migration(service, message).await? {
            Some(m) if m.active() => Ok(m),
            Some(m) => Err(StoreError::MigrationRefused(format!(
                "the migration of {}'s {} is {} (phase {}: {}); start a new one with `seam migrate start`",
                service,
                m.title(),
                m.state,
                m.phase,
                PHASES[usize::from(m.phase.clamp(1, 5)) - 1]
            ))),
            None => Err(StoreError::NoMigration(format!(
                "{service} has no migration of {message}; start one with `seam migrate start`"
            ))),
        }
    }

    /// Stores `migration`'s new phase and state with a step of history, if nobody moved it since it was read at
    /// phase `before`.
    async fn record_step(
        &self,
        migration: &mut Migration,
        before: u8,
        action: &str,
        by: &str,
        note: String,
    ) -> Result<(), StoreError> {
        let now = crate::store::now_ms().max(migration.updated_ms);
        migration.updated_ms = now;
        migration.history.push(Step {
            action: action.into(),
            phase: migration.phase,
            at_ms: now,
            by: by.into(),
            note,
        });
        let _turn = self.write_turn().await;
        let updated = sqlx::query(
            "UPDATE migrations SET phase = $1, state = $2, updated_ms = $3, history = $4 \
             WHERE service = $5 AND message = $6 AND started_ms = $7 AND state = 'active' AND phase = $8",
        )
        .bind(i64::from(migration.phase))
        .bind(&migration.state)
        .bind(now)
        .bind(serde_json::to_string(&migration.history).unwrap_or_default())
        .bind(&migration.service)
        .bind(&migration.message)
        .bind(migration.started_ms)
        .bind(i64::from(before))
        .execute(self.pool())
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::MigrationRefused(format!(
                "the migration of {} moved meanwhile; see `seam migrate status {}` and try again",
                migration.title(),
                migration.message
            )));
        }
        Ok(())
    }
}

/// Refuses when gate `phase` of `status` is shut, saying what keeps it shut.
fn shut(status: &Status, phase: u8) -> Result<(), StoreError> {
    let gate = status.gate(phase);
    if gate.passed {
        return Ok(());
    }
    Err(StoreError::MigrationRefused(format!(
        "gate {} ({}) of {} is shut: {}",
        gate.phase,
        gate.name,
        status.migration.title(),
        gate.blockers.join("; ")
    )))
}

impl Migration {
    /// Whether this migration is of a message of `provider`'s `contract`.
    pub(crate) fn provider_of(&self, provider: &str, contract: &str) -> bool {
        self.service == provider && self.contract == contract
    }
}

/// The versioned messages `running` publishes that `candidate` does not, by its manifest.
pub(crate) fn stops_publishing(
    running: &StoredVersion,
    candidate: &StoredVersion,
) -> Vec<(String, u32)> {
    let (Ok(running), Ok(candidate)) = (manifest_of(running), manifest_of(candidate)) else {
        return Vec::new();
    };
    let kept: std::collections::HashSet<&seamline_model::MessageRef> = candidate
        .publishes
        .iter()
        .map(|p| &p.message.value)
        .collect();
    let mut gone: Vec<(String, u32)> = running
        .publishes
        .iter()
        .map(|p| &p.message.value)
        .filter(|r| !kept.contains(r))
        .filter_map(|r| Some((r.name.clone(), r.version?)))
        .collect();
    gone.sort();
    gone.dedup();
    gone
}

/// Whether `message` `version` may stop being published in `environment`: after its migration's phase 4, with no
/// reader since; without a migration, when nobody consumed it within the window.
pub(crate) fn judge_removal(
    message: &str,
    version: u32,
    migration: Option<&Migration>,
    readers: Vec<VersionUse>,
    window_ms: i64,
    environment: &str,
) -> crate::compat::Removal {
    let named: Vec<String> = readers
        .iter()
        .map(|u| {
            let which = if u.version == "unknown" {
                " (spans naming no version)"
            } else {
                ""
            };
            format!("{}{which} ×{}, last {}", u.service, u.count, seen_at(u))
        })
        .collect();
    let still_read = || {
        format!(
            "still read in {environment} within {}: {}",
            duration(window_ms),
            named.join("; ")
        )
    };
    let (allowed, reason) = match migration {
        Some(m) if m.phase >= 4 && readers.is_empty() => (
            true,
            format!(
                "{} passed phase 4 (nobody reads the old version): v{version} may go",
                m.title()
            ),
        ),
        Some(m) if m.phase >= 4 => (
            false,
            format!(
                "{} passed phase 4, but v{version} is read again: {}",
                m.title(),
                still_read()
            ),
        ),
        Some(m) => (
            false,
            format!(
                "{} is at phase {} ({}): v{version} may go only after phase 4 (nobody reads the old version){}",
                m.title(),
                m.phase,
                PHASES[usize::from(m.phase.clamp(1, 5)) - 1],
                if readers.is_empty() {
                    String::new()
                } else {
                    format!("; {}", still_read())
                }
            ),
        ),
        None if readers.is_empty() => (
            true,
            format!(
                "nobody consumed {message} v{version} in {environment} within {}",
                duration(window_ms)
            ),
        ),
        None => (
            false,
            format!(
                "{message} v{version} is removed but {}; migrate its readers first (`seam migrate start`)",
                still_read()
            ),
        ),
    };
    crate::compat::Removal {
        message: message.to_owned(),
        version,
        allowed,
        reason,
        readers,
        migration_phase: migration.map(|m| m.phase),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;
    const DAY: i64 = 24 * HOUR_MS;

    fn migration(phase: u8) -> Migration {
        Migration {
            service: "inventory-service".into(),
            contract: "inventory-events".into(),
            message: "inventory.stock_reserved".into(),
            from: 1,
            to: 2,
            phase,
            state: "active".into(),
            window_ms: 7 * DAY,
            started_ms: NOW - 30 * DAY,
            updated_ms: NOW - 30 * DAY,
            history: Vec::new(),
        }
    }

    fn used(service: &str, role: &str, version: &str, ago_ms: i64) -> VersionUse {
        VersionUse {
            service: service.into(),
            role: role.into(),
            message: "inventory.stock_reserved".into(),
            version: version.into(),
            count: 40,
            failed: 0,
            last_seen_ms: NOW - ago_ms,
            trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
        }
    }

    fn deployed(service: &str, version: &str, declares: &[Option<u32>]) -> Deployed {
        Deployed {
            service: service.into(),
            version: version.into(),
            declares: Ok(declares.to_vec()),
        }
    }

    /// Production as it is once every gate up to 4 holds: both defined, both published and seen, the one
    /// consumer on v2 only for three weeks, and a month of counting.
    fn healthy() -> Facts {
        Facts {
            latest: Some(Ok(("7".into(), vec![1, 2]))),
            environments: vec![EnvironmentFacts {
                name: "production".into(),
                producer: deployed("inventory-service", "7", &[Some(1), Some(2)]),
                consumers: vec![deployed("order-service", "3", &[Some(1), Some(2)])],
                usage: vec![
                    used("inventory-service", "publishes", "1", 60_000),
                    used("inventory-service", "publishes", "2", 60_000),
                    used("order-service", "consumes", "2", 60_000),
                    // Read v1 last three weeks ago: outside the window.
                    used("order-service", "consumes", "1", 21 * DAY),
                ],
                watched_since_ms: Some(NOW - 30 * DAY),
            }],
            now_ms: NOW,
        }
    }

    fn blockers(status: &Status, phase: u8) -> String {
        status.gate(phase).blockers.join("\n")
    }

    #[test]
    fn every_gate_up_to_four_holds_on_a_migration_that_has_done_its_work() {
        let status = evaluate(&migration(3), &healthy());
        for phase in 1..=4 {
            assert!(status.gate(phase).passed, "{}", blockers(&status, phase));
        }
        // v1 is still published: removal has not happened.
        assert!(!status.gate(5).passed);
        assert!(blockers(&status, 5).contains("still publishes v1"));
        assert_eq!(status.next, Some(4));
    }

    #[test]
    fn gate_one_needs_both_versions_in_the_latest_contract() {
        let mut facts = healthy();
        facts.latest = Some(Ok(("6".into(), vec![1])));
        let status = evaluate(&migration(1), &facts);
        assert!(!status.gate(1).passed);
        assert!(blockers(&status, 1).contains("does not define inventory.stock_reserved v2"));
        facts.latest = None;
        assert!(blockers(&evaluate(&migration(1), &facts), 1).contains("has published no version"));
    }

    #[test]
    fn gate_two_needs_the_manifest_and_the_spans_of_both_versions() {
        let mut facts = healthy();
        facts.environments[0].producer = deployed("inventory-service", "6", &[Some(1)]);
        let status = evaluate(&migration(1), &facts);
        assert!(blockers(&status, 2).contains("production: inventory-service 6 publishes v1 of"));
        // Both declared, but no span shows v2 published: the manifest alone is a promise.
        let mut facts = healthy();
        facts.environments[0]
            .usage
            .retain(|u| !(u.role == "publishes" && u.version == "2"));
        let status = evaluate(&migration(1), &facts);
        assert!(
            blockers(&status, 2)
                .contains("no span shows inventory-service publishing v2 in the last 7 d"),
            "{}",
            blockers(&status, 2)
        );
        // Deployed nowhere.
        let mut facts = healthy();
        facts.environments.clear();
        assert!(
            blockers(&evaluate(&migration(1), &facts), 2).contains("deployed in no environment")
        );
    }

    #[test]
    fn gate_three_names_the_consumer_that_accepts_only_the_old_version() {
        let mut facts = healthy();
        facts.environments[0].consumers = vec![
            deployed("order-service", "3", &[Some(1)]),
            deployed("billing-service", "9", &[None]),
        ];
        let status = evaluate(&migration(2), &facts);
        let shut = blockers(&status, 3);
        assert!(
            shut.contains("production: order-service 3 accepts only v1")
                && shut.contains("add inventory.stock_reserved@2"),
            "{shut}"
        );
        assert!(
            shut.contains("billing-service 9 lists inventory.stock_reserved without a version")
        );
        // Gate 4 rests on gate 3 too.
        assert!(!status.gate(4).passed);
        let duty = &status.environments[0].parties[1].duty;
        assert!(duty.starts_with("accept v2"), "{duty}");
    }

    #[test]
    fn gate_four_is_shut_by_any_reader_of_the_old_version_within_the_window() {
        // The known consumer read v1 yesterday.
        let mut facts = healthy();
        facts.environments[0]
            .usage
            .push(used("order-service", "consumes", "1", DAY));
        let status = evaluate(&migration(3), &facts);
        let shut = blockers(&status, 4);
        assert!(
            shut.contains("production: order-service still reads v1: ×40 in the window, last ")
                && shut.contains("(trace 4bf92f3577b34da6a3ce929d0e0e4736)"),
            "{shut}"
        );
        // A service no deployed manifest names, reading v1.
        let mut facts = healthy();
        facts.environments[0]
            .usage
            .push(used("audit-service", "consumes", "1", HOUR_MS));
        let status = evaluate(&migration(3), &facts);
        assert!(blockers(&status, 4).contains("audit-service (an unknown reader"));
        let party = status.environments[0]
            .parties
            .iter()
            .find(|p| p.service == "audit-service")
            .unwrap();
        assert_eq!(party.role, "unknown reader");
        // Spans that name no version may be v1.
        let mut facts = healthy();
        facts.environments[0]
            .usage
            .push(used("order-service", "consumes", "unknown", HOUR_MS));
        assert!(
            blockers(&evaluate(&migration(3), &facts), 4).contains("spans that name no version")
        );
    }

    #[test]
    fn gate_four_does_not_take_silence_it_did_not_watch_for_a_whole_window() {
        // Counting began two days ago: a week of silence cannot be told yet.
        let mut facts = healthy();
        facts.environments[0].watched_since_ms = Some(NOW - 2 * DAY);
        assert!(blockers(&evaluate(&migration(3), &facts), 4).contains("only since"));
        // No counter at all.
        let mut facts = healthy();
        facts.environments[0].watched_since_ms = None;
        facts.environments[0].usage.clear();
        assert!(
            blockers(&evaluate(&migration(3), &facts), 4)
                .contains("no span of inventory.stock_reserved")
        );
        // A consumer never seen on v2: its silence about v1 proves nothing.
        let mut facts = healthy();
        facts.environments[0]
            .usage
            .retain(|u| u.service != "order-service");
        assert!(
            blockers(&evaluate(&migration(3), &facts), 4)
                .contains("no span shows order-service consuming v2")
        );
    }

    #[test]
    fn duties_follow_the_phase() {
        let status = evaluate(&migration(2), &healthy());
        let duties = status.duties_of("inventory-service");
        assert_eq!(
            duties,
            vec![(
                "production",
                "producer",
                "publish both v1 and v2 until phase 5"
            )]
        );
        let status = evaluate(&migration(4), &healthy());
        assert!(
            status.duties_of("inventory-service")[0]
                .2
                .starts_with("phase 4 passed: remove v1")
        );
        assert!(
            status.duties_of("order-service")[0]
                .2
                .contains("may drop inventory.stock_reserved@1")
        );
    }

    #[test]
    fn a_removal_waits_for_phase_four_and_for_silence() {
        let reader = used("order-service", "consumes", "1", HOUR_MS);
        let early = judge_removal(
            "inventory.stock_reserved",
            1,
            Some(&migration(3)),
            vec![reader.clone()],
            7 * DAY,
            "production",
        );
        assert!(!early.allowed);
        assert!(
            early
                .reason
                .contains("is at phase 3 (consumers accept both)"),
            "{}",
            early.reason
        );
        assert!(
            early.reason.contains("order-service ×40, last"),
            "{}",
            early.reason
        );
        let silent_early = judge_removal(
            "inventory.stock_reserved",
            1,
            Some(&migration(3)),
            Vec::new(),
            7 * DAY,
            "production",
        );
        assert!(
            !silent_early.allowed,
            "before phase 4, even with no reader seen"
        );
        let done = judge_removal(
            "inventory.stock_reserved",
            1,
            Some(&migration(4)),
            Vec::new(),
            7 * DAY,
            "production",
        );
        assert!(done.allowed, "{}", done.reason);
        let relapsed = judge_removal(
            "inventory.stock_reserved",
            1,
            Some(&migration(4)),
            vec![reader.clone()],
            7 * DAY,
            "production",
        );
        assert!(!relapsed.allowed && relapsed.reason.contains("is read again"));
        let unmanaged = judge_removal(
            "inventory.stock_reserved",
            1,
            None,
            vec![reader],
            7 * DAY,
            "production",
        );
        assert!(
            !unmanaged.allowed
                && unmanaged
                    .reason
                    .contains("still read in production within 7 d")
        );
        assert!(
            judge_removal(
                "inventory.stock_reserved",
                1,
                None,
                Vec::new(),
                7 * DAY,
                "production"
            )
            .allowed
        );
    }

    #[test]
    fn windows_read_and_print_as_people_write_them() {
        for (text, ms) in [
            ("7d", 7 * DAY),
            ("36h", 36 * HOUR_MS),
            ("30m", 1_800_000),
            ("90s", 90_000),
            ("500ms", 500),
        ] {
            assert_eq!(parse_duration(text), Ok(ms), "{text}");
        }
        for bad in [
            "",
            "7",
            "d",
            "-1d",
            "0d",
            "7w",
            "400d",
            "99999999999999999999d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(duration(7 * DAY), "7 d");
        assert_eq!(duration(90_000), "90 s");
        assert_eq!(duration(1_800_000), "30 min");
    }
}
