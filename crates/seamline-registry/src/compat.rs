//! can-i-deploy: a service version against what runs in an environment, in both directions. As a consumer, the
//! copy of each provider's contract it vendored (what it was built against) is compared with the contract of the
//! provider version deployed there; as a provider, each deployed consumer's vendored copy of this service's
//! contract is compared with this version's. The diff engine's usage-aware verdict decides: a change breaks a
//! pair only when it touches what that consumer uses.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;

use seamline_diff::{
    CannotJudge, DiffOptions, diff_documents, published_messages, verdict_with_published,
};
use seamline_model::{DocId, Manifest, Workspace, WorkspaceOptions, parse_manifest};

use crate::store::{Publication, Store, StoreError, StoredVersion};

/// One consumer–provider pair of the answer.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PairVerdict {
    pub consumer: String,
    pub consumer_version: String,
    pub provider: String,
    /// `None` when the provider is not deployed in the environment.
    pub provider_version: Option<String>,
    pub contract: String,
    pub compatible: bool,
    pub reason: String,
}

/// The answer to "can SERVICE VERSION go to ENVIRONMENT?".
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Decision {
    pub service: String,
    pub version: String,
    pub environment: String,
    pub deployable: bool,
    pub pairs: Vec<PairVerdict>,
    /// Message versions this version stops publishing that the version deployed there publishes, where the
    /// registry has evidence about them: a migration of the message, or spans of someone consuming it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removals: Vec<Removal>,
}

/// A message version a producer version stops publishing, judged from the message's migration and from who
/// consumed the version in the environment within the window.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Removal {
    pub message: String,
    pub version: u32,
    pub allowed: bool,
    pub reason: String,
    /// Who consumed it there within the window (`unknown` versions included: they may be this one).
    pub readers: Vec<crate::store::VersionUse>,
    /// The phase of the message's migration, when one runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migration_phase: Option<u8>,
}

/// A stored version opened for comparison: its manifest, and its files in a workspace of their own, parsed on
/// the first comparison that needs them (a gate whose verdicts are all remembered parses no contract).
struct Opened {
    stored: StoredVersion,
    manifest: Option<Manifest>,
    parsed: Option<Workspace>,
    root: PathBuf,
}

/// A version's files in a workspace of their own, at `/registry/<service>/<version>/…`, shown by their paths.
fn files_workspace<'a>(
    service: &str,
    version: &str,
    files: impl Iterator<Item = (&'a str, &'a str)>,
) -> (Workspace, PathBuf, Vec<(&'a str, DocId)>) {
    let root = PathBuf::from("/registry").join(service).join(version);
    let mut workspace = Workspace::new(WorkspaceOptions {
        root: root.clone(),
        display_base: root.clone(),
        allow_remote_refs: false,
        limits: Default::default(),
    });
    let docs = files
        .map(|(path, content)| {
            let id = workspace.add_virtual_as(&root.join(path), path, content.as_bytes());
            (path, id)
        })
        .collect();
    (workspace, root, docs)
}

fn open(stored: StoredVersion) -> Opened {
    let root = PathBuf::from("/registry")
        .join(&stored.summary.service)
        .join(&stored.summary.version);
    let read = parse_manifest(
        &root.join("seam.toml"),
        "seam.toml",
        stored.manifest.as_bytes(),
    );
    Opened {
        manifest: read.manifest,
        stored,
        parsed: None,
        root,
    }
}

impl Opened {
    /// The version's files, parsed the first time they are asked for.
    fn workspace(&mut self) -> &mut Workspace {
        let stored = &self.stored;
        self.parsed.get_or_insert_with(|| {
            files_workspace(
                &stored.summary.service,
                &stored.summary.version,
                stored
                    .contracts
                    .iter()
                    .map(|(path, content, _)| (path.as_str(), content.as_str())),
            )
            .0
        })
    }

    fn name(&self) -> &str {
        &self.stored.summary.service
    }

    fn version(&self) -> &str {
        &self.stored.summary.version
    }

    fn has(&self, path: &str) -> bool {
        self.stored.contracts.iter().any(|(p, _, _)| p == path)
    }

    /// The file this version provides under the contract name `contract`.
    fn provided(&self, contract: &str) -> Option<String> {
        Some(
            self.manifest
                .as_ref()?
                .provided(contract)?
                .spec
                .value
                .clone(),
        )
    }
}

/// Why `publication` may not be stored, when it may not (the registry answers 422, and `seam publish` refuses
/// before sending): every file must read without a syntax problem, and
/// each contract the deploy gate compares (the provided ones, the vendored copies of consumed ones) must be
/// judgeable ([`Workspace::judgeable`]). A version stored anyway could only ever be answered "cannot judge".
pub fn unreadable(publication: &Publication) -> Option<String> {
    let (workspace, _, docs) = files_workspace(
        &publication.service,
        &publication.version,
        publication
            .contracts
            .iter()
            .map(|(path, content)| (path.as_str(), content.as_str())),
    );
    let manifest = parse_manifest(
        std::path::Path::new("seam.toml"),
        "seam.toml",
        publication.manifest.as_bytes(),
    )
    .manifest;
    let compared: Vec<String> = manifest
        .iter()
        .flat_map(|m| {
            let provided = m.provided_contracts().map(|p| p.spec.value.clone());
            let vendored = m.consumed_contracts().flat_map(|c| c.vendored_candidates());
            provided.chain(vendored).collect::<Vec<_>>()
        })
        .collect();
    let mut problems = Vec::new();
    for (path, doc) in docs {
        if compared.iter().any(|c| c == path) {
            problems.extend(workspace.judgeable(doc).err().unwrap_or_default());
        } else {
            problems.extend(workspace.read_problems(doc));
        }
    }
    problems.dedup();
    let first = problems.first()?;
    let more = match problems.len() {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    Some(format!(
        "{first}{more}; a contract that cannot be read cannot be judged by the deploy gate: fix it (`seam lint` \
         shows every problem) and publish again"
    ))
}

/// The major versions of `message` that `stored`'s contract `contract` defines, or why they cannot be told.
pub(crate) fn defined_versions(
    stored: StoredVersion,
    contract: &str,
    message: &str,
) -> Result<Vec<u32>, String> {
    let mut opened = open(stored);
    let Some(spec) = opened.provided(contract) else {
        return Err(format!("provides no contract named {contract}"));
    };
    if !opened.has(&spec) {
        return Err(format!("did not publish {spec}"));
    }
    let path = opened.root.join(&spec);
    let doc = opened.workspace().load_with_refs(&path);
    let mut versions: Vec<u32> = published_messages(opened.workspace(), doc)
        .into_iter()
        .filter(|(name, _)| name == message)
        .filter_map(|(_, version)| version)
        .collect();
    versions.sort_unstable();
    versions.dedup();
    Ok(versions)
}

/// Compares `consumer`'s vendored copy of `provider`'s `contract` with what `provider` publishes.
fn judge(consumer: &mut Opened, provider: &mut Opened, contract: &str) -> PairVerdict {
    let mut pair = PairVerdict {
        consumer: consumer.name().to_string(),
        consumer_version: consumer.version().to_string(),
        provider: provider.name().to_string(),
        provider_version: Some(provider.version().to_string()),
        contract: contract.to_string(),
        compatible: false,
        reason: String::new(),
    };
    let Some(manifest) = consumer.manifest.clone() else {
        pair.reason = format!(
            "{} {} has a seam.toml with problems",
            pair.consumer, pair.consumer_version
        );
        return pair;
    };
    let Some(consumed) = manifest
        .consumed_contracts()
        .find(|c| c.service.value == pair.provider && c.contract.value == contract)
    else {
        pair.compatible = true;
        pair.reason = "does not consume this contract".into();
        return pair;
    };
    let Some(vendored) = consumed
        .vendored_candidates()
        .into_iter()
        .find(|p| consumer.has(p))
    else {
        pair.reason = format!(
            "{} {} published no vendored copy of {}/{contract}; run `seam pull` there and publish again",
            pair.consumer, pair.consumer_version, pair.provider
        );
        return pair;
    };
    let Some(spec) = provider.provided(contract) else {
        pair.reason = format!(
            "{} {} provides no contract named {contract}",
            pair.provider,
            provider.version()
        );
        return pair;
    };
    if !provider.has(&spec) {
        pair.reason = format!(
            "{} {} did not publish {spec}",
            pair.provider,
            provider.version()
        );
        return pair;
    }
    let old_path = consumer.root.join(&vendored);
    let new_path = provider.root.join(&spec);
    let old = consumer.workspace().load_with_refs(&old_path);
    let new = provider.workspace().load_with_refs(&new_path);
    let changes = match diff_documents(
        consumer.workspace(),
        old,
        provider.workspace(),
        new,
        &DiffOptions::default(),
    ) {
        Ok(changes) => changes,
        Err(cannot) => {
            // Not compatible: a contract that cannot be read says nothing about what the consumer uses.
            pair.reason = cannot_judge(&cannot, consumer, provider);
            return pair;
        }
    };
    let published = published_messages(provider.workspace(), new);
    match verdict_with_published(
        &changes,
        &manifest,
        &pair.provider,
        contract,
        Some(&published),
    ) {
        Some(v) if v.breaks => {
            let first = v
                .relevant
                .iter()
                .map(|&i| &changes[i])
                .find(|c| c.level == seamline_diff::Level::Breaking);
            pair.reason = match first {
                Some(change) if change.path.is_empty() => format!(
                    "breaking for what {} uses: {}: {}",
                    pair.consumer, change.subject, change.message
                ),
                Some(change) => format!(
                    "breaking for what {} uses: {} {}: {}",
                    pair.consumer, change.subject, change.path, change.message
                ),
                None => format!("breaking for what {} uses", pair.consumer),
            };
        }
        Some(v) => {
            pair.compatible = true;
            pair.reason = if v.relevant.is_empty() {
                "no change to what it uses".into()
            } else {
                format!(
                    "{} change(s) to what it uses, none breaking",
                    v.relevant.len()
                )
            };
        }
        None => {
            pair.compatible = true;
            pair.reason = "does not consume this contract".into();
        }
    }
    pair
}

/// `cannot judge: payment-service 2: contracts/payment-api.yaml:1: …`: the first reason, with the version it
/// belongs to (the old side is the consumer's vendored copy, the new one the provider's contract).
fn cannot_judge(cannot: &CannotJudge, old: &Opened, new: &Opened) -> String {
    let first = cannot
        .old
        .first()
        .map(|u| (old, u))
        .or_else(|| cannot.new.first().map(|u| (new, u)));
    let more = cannot.old.len() + cannot.new.len();
    match first {
        Some((side, u)) => format!(
            "cannot judge: {} {}: {u}{}",
            side.name(),
            side.version(),
            if more > 1 {
                format!(" (and {} more)", more - 1)
            } else {
                String::new()
            }
        ),
        None => "cannot judge".into(),
    }
}

/// Runs `work` on a blocking thread: parsing and diffing contracts is CPU time, which on an async worker would
/// hold up every other request served by that worker. A panic in `work` is the caller's.
pub(crate) async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(err) => match err.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(err) => panic!("a blocking task did not finish: {err}"),
        },
    }
}

/// The Seamline version whose comparison reached a stored verdict; a verdict reached by another is not read.
pub(crate) const ENGINE: &str = env!("CARGO_PKG_VERSION");

/// A consumer version and a provider version, through one contract: what a verdict is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PairKey {
    pub consumer: String,
    pub consumer_version: String,
    pub provider: String,
    pub provider_version: String,
    pub contract: String,
}

/// The longest window of `migrations`.
fn longest(migrations: &[crate::migrate::Migration]) -> i64 {
    migrations.iter().map(|m| m.window_ms).max().unwrap_or(0)
}

/// A verdict: compatible or not, and why.
pub(crate) type Verdict = (bool, String);

/// One pair of a decision, before the verdicts are read.
enum Slot {
    Judged(PairKey),
    /// The candidate consumes `contract` of `provider`, which does not run in the environment.
    NotDeployed {
        provider: String,
        contract: String,
    },
}

impl Store {
    /// Whether `service` `version` can go to `environment`: every pair with a deployed partner is compatible.
    pub async fn can_i_deploy(
        &self,
        service: &str,
        version: &str,
        environment: &str,
    ) -> Result<Decision, StoreError> {
        let candidate = [(service.to_owned(), version.to_owned())];
        let mut grid = self
            .decisions(&candidate, &[environment.to_owned()])
            .await?;
        grid.pop()
            .and_then(|mut row| row.pop())
            .ok_or_else(|| StoreError::UnknownVersion {
                service: service.into(),
                version: version.into(),
            })
    }

    /// can-i-deploy for `service` `version` against every known environment.
    pub async fn matrix(&self, service: &str, version: &str) -> Result<Matrix, StoreError> {
        let environments: Vec<String> = self
            .environments()
            .await?
            .into_iter()
            .map(|e| e.name)
            .collect();
        let candidate = [(service.to_owned(), version.to_owned())];
        let environments = self
            .decisions(&candidate, &environments)
            .await?
            .pop()
            .unwrap_or_default();
        Ok(Matrix {
            service: service.into(),
            version: version.into(),
            deployable: environments.iter().all(|d| d.deployable),
            environments,
        })
    }

    /// can-i-deploy for each candidate version in each environment, as `[candidate][environment]`, in a few
    /// queries whatever their number: what the candidates consume, which of their partners run where and the
    /// verdicts already reached are each read at once; only the pairs never judged are compared (on blocking
    /// threads), and their verdicts stored. A candidate that was never published is an error.
    pub async fn decisions(
        &self,
        candidates: &[(String, String)],
        environments: &[String],
    ) -> Result<Vec<Vec<Decision>>, StoreError> {
        let consumed = self.consumptions_of(candidates).await?;
        let mut providers: Vec<&str> = consumed
            .values()
            .flatten()
            .map(|(p, _)| p.as_str())
            .collect();
        providers.sort_unstable();
        providers.dedup();
        let mut services: Vec<&str> = candidates.iter().map(|(s, _)| s.as_str()).collect();
        services.sort_unstable();
        services.dedup();
        // slots[candidate][environment]: the pairs of each decision.
        let mut slots: Vec<Vec<Vec<Slot>>> = candidates.iter().map(|_| Vec::new()).collect();
        for environment in environments {
            let running: HashMap<String, String> = self
                .deployed_versions(environment, &providers)
                .await?
                .into_iter()
                .collect();
            let consumers = self.deployed_consumers(environment, &services).await?;
            for (row, (service, version)) in slots.iter_mut().zip(candidates) {
                let mut pairs = Vec::new();
                // As a consumer: each contract it consumes, against the provider deployed there.
                for (provider, contract) in consumed
                    .get(&(service.clone(), version.clone()))
                    .into_iter()
                    .flatten()
                {
                    pairs.push(match running.get(provider) {
                        Some(deployed) => Slot::Judged(PairKey {
                            consumer: service.clone(),
                            consumer_version: version.clone(),
                            provider: provider.clone(),
                            provider_version: deployed.clone(),
                            contract: contract.clone(),
                        }),
                        None => Slot::NotDeployed {
                            provider: provider.clone(),
                            contract: contract.clone(),
                        },
                    });
                }
                // As a provider: each deployed consumer of this service, found through the index kept at
                // publish time.
                for (provider, deployment, contract) in &consumers {
                    if provider == service {
                        pairs.push(Slot::Judged(PairKey {
                            consumer: deployment.service.clone(),
                            consumer_version: deployment.version.clone(),
                            provider: service.clone(),
                            provider_version: version.clone(),
                            contract: contract.clone(),
                        }));
                    }
                }
                row.push(pairs);
            }
        }
        let mut keys: Vec<&PairKey> = slots
            .iter()
            .flatten()
            .flatten()
            .filter_map(|slot| match slot {
                Slot::Judged(key) => Some(key),
                Slot::NotDeployed { .. } => None,
            })
            .collect();
        keys.sort_unstable_by(|a, b| key_order(a).cmp(&key_order(b)));
        keys.dedup();
        let mut verdicts = self.stored_verdicts(candidates).await?;
        let missing: Vec<PairKey> = keys
            .into_iter()
            .filter(|k| !verdicts.contains_key(*k))
            .cloned()
            .collect();
        if !missing.is_empty() {
            // A task of its own: when the question is abandoned (its client left, or its time ran out), the
            // comparisons already started still end in stored verdicts rather than in work thrown away.
            let store = self.clone();
            let judging = tokio::spawn(async move {
                let judged = store.judge_each(missing).await?;
                // The verdicts are known: a database that cannot store them now only means they are judged
                // again next time.
                if let Err(err) = store.store_verdicts(&judged).await {
                    tracing::warn!(error = %err, "storing verdicts");
                }
                Ok::<_, StoreError>(judged)
            });
            let judged = judging
                .await
                .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
            verdicts.extend(judged);
        }
        let mut grid: Vec<Vec<Decision>> = slots
            .into_iter()
            .zip(candidates)
            .map(|(row, (service, version))| {
                row.into_iter()
                    .zip(environments)
                    .map(|(pairs, environment)| {
                        let pairs: Vec<PairVerdict> = pairs
                            .into_iter()
                            .map(|slot| match slot {
                                Slot::Judged(key) => {
                                    let (compatible, reason) =
                                        verdicts.get(&key).cloned().unwrap_or_else(|| {
                                            (
                                                false,
                                                "cannot judge: the comparison did not finish"
                                                    .into(),
                                            )
                                        });
                                    PairVerdict {
                                        consumer: key.consumer,
                                        consumer_version: key.consumer_version,
                                        provider: key.provider,
                                        provider_version: Some(key.provider_version),
                                        contract: key.contract,
                                        compatible,
                                        reason,
                                    }
                                }
                                Slot::NotDeployed { provider, contract } => PairVerdict {
                                    consumer: service.clone(),
                                    consumer_version: version.clone(),
                                    provider,
                                    provider_version: None,
                                    contract,
                                    compatible: true,
                                    reason: format!(
                                        "not deployed in {environment}: nothing to check against"
                                    ),
                                },
                            })
                            .collect();
                        Decision {
                            service: service.clone(),
                            version: version.clone(),
                            environment: environment.clone(),
                            deployable: pairs.iter().all(|p| p.compatible),
                            pairs,
                            removals: Vec::new(),
                        }
                    })
                    .collect()
            })
            .collect();
        self.judge_removals(candidates, environments, &mut grid)
            .await?;
        Ok(grid)
    }

    /// Adds to each decision the message versions its candidate stops publishing where there is evidence about
    /// them (a migration of the message, or spans of someone consuming the version), and says in each pair
    /// through a migrating contract which phase its verdict depends on.
    async fn judge_removals(
        &self,
        candidates: &[(String, String)],
        environments: &[String],
        grid: &mut [Vec<Decision>],
    ) -> Result<(), StoreError> {
        let migrations = self.active_migrations().await?;
        let now = crate::store::now_ms();
        let mut services: Vec<&str> = candidates.iter().map(|(s, _)| s.as_str()).collect();
        services.sort_unstable();
        services.dedup();
        for (e, environment) in environments.iter().enumerate() {
            let read = self
                .consumed_since(
                    environment,
                    now - crate::migrate::DEFAULT_WINDOW_MS.max(longest(&migrations)),
                )
                .await?;
            let migrating = |service: &str| migrations.iter().any(|m| m.service == service);
            if read.is_empty() && !services.iter().any(|s| migrating(s)) {
                continue;
            }
            let running: HashMap<String, String> = self
                .deployed_versions(environment, &services)
                .await?
                .into_iter()
                .collect();
            for (row, (service, version)) in grid.iter_mut().zip(candidates) {
                let decision = &mut row[e];
                for pair in &mut decision.pairs {
                    if let Some(m) = migrations
                        .iter()
                        .find(|m| m.provider_of(&pair.provider, &pair.contract))
                    {
                        pair.reason.push_str(&format!(
                            " (while {} migrates {}: phase {}, {})",
                            m.service,
                            m.title(),
                            m.phase,
                            crate::migrate::PHASES[usize::from(m.phase.clamp(1, 5)) - 1]
                        ));
                    }
                }
                let Some(deployed) = running.get(service).filter(|d| *d != version) else {
                    continue;
                };
                if read.is_empty() && !migrating(service) {
                    continue;
                }
                let (Some(candidate), Some(running)) = (
                    self.version(service, version).await?,
                    self.version(service, deployed).await?,
                ) else {
                    continue;
                };
                for (message, v) in crate::migrate::stops_publishing(&running, &candidate) {
                    let migration = migrations
                        .iter()
                        .find(|m| m.service == *service && m.message == message && m.from == v);
                    if migration.is_none() && !read.contains(&message) {
                        continue;
                    }
                    // After phase 4, a read within the migration's window is a relapse; before it, and without
                    // a migration, the readers of the last week (at least) are named.
                    let window = match migration {
                        Some(m) if m.phase >= 4 => m.window_ms,
                        Some(m) => m.window_ms.max(crate::migrate::DEFAULT_WINDOW_MS),
                        None => crate::migrate::DEFAULT_WINDOW_MS,
                    };
                    let readers: Vec<crate::store::VersionUse> = self
                        .usage(environment, Some(&message), now - window)
                        .await?
                        .into_iter()
                        .filter(|u| {
                            u.role == "consumes"
                                && u.last_seen_ms >= now - window
                                && (u.version == v.to_string() || u.version == "unknown")
                        })
                        .collect();
                    let removal = crate::migrate::judge_removal(
                        &message,
                        v,
                        migration,
                        readers,
                        window,
                        environment,
                    );
                    decision.deployable &= removal.allowed;
                    decision.removals.push(removal);
                }
            }
        }
        Ok(())
    }

    /// The messages someone consumed in `environment` since `since_ms`.
    async fn consumed_since(
        &self,
        environment: &str,
        since_ms: i64,
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT DISTINCT message FROM version_usage WHERE environment = $1 AND role = 'consumes' \
             AND hour_ms >= $2 AND last_seen_ms >= $3",
        )
        .bind(environment)
        .bind(since_ms.saturating_sub(since_ms.rem_euclid(3_600_000)))
        .bind(since_ms)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// Compares the pairs of `keys`, on blocking threads, a share of the pairs each (grouped by provider version,
    /// so a provider's contract is parsed once per share).
    async fn judge_each(
        &self,
        mut keys: Vec<PairKey>,
    ) -> Result<HashMap<PairKey, Verdict>, StoreError> {
        keys.sort_unstable_by(|a, b| {
            (&a.provider, &a.provider_version).cmp(&(&b.provider, &b.provider_version))
        });
        let mut versions: HashMap<(String, String), StoredVersion> = HashMap::new();
        for key in &keys {
            for (service, version) in [
                (&key.consumer, &key.consumer_version),
                (&key.provider, &key.provider_version),
            ] {
                let id = (service.clone(), version.clone());
                if !versions.contains_key(&id)
                    && let Some(stored) = self.version(service, version).await?
                {
                    versions.insert(id, stored);
                }
            }
        }
        let versions = std::sync::Arc::new(versions);
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let share = keys.len().div_ceil(threads).max(1);
        let mut shares = tokio::task::JoinSet::new();
        let mut keys = keys.into_iter().peekable();
        while keys.peek().is_some() {
            let mut mine: Vec<PairKey> = keys.by_ref().take(share).collect();
            // A provider version's pairs stay in one share.
            while let (Some(last), Some(next)) = (mine.last(), keys.peek())
                && (&last.provider, &last.provider_version)
                    == (&next.provider, &next.provider_version)
            {
                mine.extend(keys.next());
            }
            let versions = versions.clone();
            // Every question's comparisons share the cores: a share waits for a turn.
            let turn = self.ahead_queue().judging.clone().acquire_owned().await;
            shares.spawn_blocking(move || {
                let _turn = turn;
                judge_share(mine, &versions)
            });
        }
        let mut verdicts = HashMap::new();
        while let Some(done) = shares.join_next().await {
            verdicts.extend(done.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())));
        }
        Ok(verdicts)
    }

    /// Drops the verdicts stored and the versions read, so the next questions are answered from scratch (for
    /// measuring).
    pub async fn forget_cached(&self) -> Result<(), StoreError> {
        self.forget_versions();
        let _turn = self.write_turn().await;
        sqlx::query("DELETE FROM verdicts")
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

/// Comparisons: verdicts reached ahead of the questions, in the background one batch at a time, and a turn for
/// every comparison, whoever asked, one per core.
#[derive(Debug)]
pub(crate) struct Ahead {
    turn: tokio::sync::Semaphore,
    waiting: std::sync::atomic::AtomicUsize,
    /// Comparisons running at once, whoever asked: one per core.
    judging: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Default for Ahead {
    fn default() -> Ahead {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Ahead {
            turn: tokio::sync::Semaphore::new(1),
            waiting: Default::default(),
            judging: std::sync::Arc::new(tokio::sync::Semaphore::new(cores)),
        }
    }
}

/// Batches waiting for their turn; past it a new one is dropped (its cells are judged when first asked).
const AHEAD_WAITING: usize = 256;

impl Store {
    /// After `service` `version` was published: judges it against every environment in the background, so the
    /// overview's first view of it reads stored verdicts.
    pub fn judge_ahead_of_publish(&self, service: &str, version: &str) {
        let (service, version) = (service.to_owned(), version.to_owned());
        self.ahead(move |store| async move { store.matrix(&service, &version).await.map(drop) });
    }

    /// After `service` `version` was deployed to `environment`: judges the latest versions of its partners (who
    /// consumes it, and what it consumes) against that environment in the background; their cells there now
    /// pair with the version deployed.
    pub fn judge_ahead_of_deploy(&self, environment: &str, service: &str, version: &str) {
        let (environment, service, version) = (
            environment.to_owned(),
            service.to_owned(),
            version.to_owned(),
        );
        self.ahead(move |store| async move {
            let partners = store.latest_of_partners(&service, &version).await?;
            store.decisions(&partners, &[environment]).await.map(drop)
        });
    }

    fn ahead<F, Fut>(&self, batch: F)
    where
        F: FnOnce(Store) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), StoreError>> + Send,
    {
        use std::sync::atomic::Ordering;
        let ahead = self.ahead_queue();
        if ahead.waiting.fetch_add(1, Ordering::Relaxed) >= AHEAD_WAITING {
            ahead.waiting.fetch_sub(1, Ordering::Relaxed);
            tracing::debug!(
                "judging ahead: {AHEAD_WAITING} batches wait already; this one is left to the pages"
            );
            return;
        }
        let store = self.clone();
        tokio::spawn(async move {
            let ahead = store.ahead_queue().clone();
            let Ok(_turn) = ahead.turn.acquire().await else {
                return;
            };
            ahead.waiting.fetch_sub(1, Ordering::Relaxed);
            if let Err(err) = batch(store).await {
                tracing::warn!(error = %err, "judging ahead");
            }
        });
    }
}

/// Sorts keys so equal ones are next to each other.
pub(crate) fn key_order(k: &PairKey) -> [&str; 5] {
    [
        &k.consumer,
        &k.consumer_version,
        &k.provider,
        &k.provider_version,
        &k.contract,
    ]
}

/// Judges `keys`, opening each version they name once.
fn judge_share(
    keys: Vec<PairKey>,
    versions: &HashMap<(String, String), StoredVersion>,
) -> Vec<(PairKey, Verdict)> {
    let mut opened: HashMap<(String, String), Opened> = HashMap::new();
    let take = |opened: &mut HashMap<(String, String), Opened>, service: &str, version: &str| {
        let id = (service.to_owned(), version.to_owned());
        opened
            .remove(&id)
            .or_else(|| versions.get(&id).cloned().map(open))
    };
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let (Some(mut consumer), Some(mut provider)) = (
            take(&mut opened, &key.consumer, &key.consumer_version),
            take(&mut opened, &key.provider, &key.provider_version),
        ) else {
            let reason = "cannot judge: a version of the pair is no longer stored".to_string();
            out.push((key, (false, reason)));
            continue;
        };
        let pair = judge(&mut consumer, &mut provider, &key.contract);
        for o in [consumer, provider] {
            opened.insert((o.name().to_owned(), o.version().to_owned()), o);
        }
        out.push((key, (pair.compatible, pair.reason)));
    }
    out
}

/// can-i-deploy for one version against every environment.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Matrix {
    pub service: String,
    pub version: String,
    /// True when the version can go to every environment.
    pub deployable: bool,
    pub environments: Vec<Decision>,
}

/// The changes to one provided contract between two versions of a service.
#[derive(Clone, Debug)]
pub struct ContractChanges {
    pub contract: String,
    /// The file in the newer version (or the older, when the contract was dropped).
    pub path: String,
    /// Set when there is nothing to compare: the contract is new, or was dropped.
    pub note: Option<String>,
    /// Set when the two versions cannot be compared: `cannot judge: …` with the file, line and reason.
    pub cannot_judge: Option<String>,
    pub changes: Vec<seamline_diff::Change>,
}

impl Store {
    /// Every provided contract of `service`, compared from version `from` to version `to`.
    pub async fn diff_versions(
        &self,
        service: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<ContractChanges>, StoreError> {
        let load = |version: &str| {
            let version = version.to_owned();
            async move {
                self.version(service, &version)
                    .await?
                    .ok_or_else(|| StoreError::UnknownVersion {
                        service: service.into(),
                        version,
                    })
            }
        };
        let (old, new) = (load(from).await?, load(to).await?);
        let to = to.to_owned();
        Ok(blocking(move || {
            let (mut old, mut new) = (open(old), open(new));
            let provided = |o: &Opened| -> Vec<(String, String)> {
                o.manifest
                    .as_ref()
                    .map(|m| {
                        m.provided_contracts()
                            .map(|p| (p.name.value.clone(), p.spec.value.clone()))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let (before, after) = (provided(&old), provided(&new));
            let mut out = Vec::new();
            for (contract, path) in &after {
                let Some((_, old_path)) = before.iter().find(|(c, _)| c == contract) else {
                    out.push(ContractChanges {
                        contract: contract.clone(),
                        path: path.clone(),
                        note: Some(format!("new in {to}")),
                        cannot_judge: None,
                        changes: Vec::new(),
                    });
                    continue;
                };
                if !old.has(old_path) || !new.has(path) {
                    out.push(ContractChanges {
                        contract: contract.clone(),
                        path: path.clone(),
                        note: Some("a version did not publish this file".into()),
                        cannot_judge: None,
                        changes: Vec::new(),
                    });
                    continue;
                }
                let (old_path, new_path) = (old.root.join(old_path), new.root.join(path));
                let a = old.workspace().load_with_refs(&old_path);
                let b = new.workspace().load_with_refs(&new_path);
                let (changes, cannot_judge) = match diff_documents(
                    old.workspace(),
                    a,
                    new.workspace(),
                    b,
                    &DiffOptions::default(),
                ) {
                    Ok(changes) => (changes, None),
                    Err(cannot) => (Vec::new(), Some(self::cannot_judge(&cannot, &old, &new))),
                };
                out.push(ContractChanges {
                    contract: contract.clone(),
                    path: path.clone(),
                    note: None,
                    cannot_judge,
                    changes,
                });
            }
            for (contract, path) in before {
                if !after.iter().any(|(c, _)| *c == contract) {
                    out.push(ContractChanges {
                        contract,
                        path,
                        note: Some(format!("no longer provided in {to}")),
                        cannot_judge: None,
                        changes: Vec::new(),
                    });
                }
            }
            out
        })
        .await)
    }
}
