//! The registry commands: `seam publish`, `seam pull`, `seam record-deployment`, `seam can-i-deploy`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, bail};
use seamline_diagnostics::Severity;
use seamline_lint::{LintOptions, lint_service_dir};
use seamline_model::{Lock, Manifest, Workspace, WorkspaceOptions, read_manifest, sha256_hex};
use serde_json::{Value, json};

use crate::Status;
use crate::args::{
    CanIDeployArgs, FailOn, Format, Global, PublishArgs, PullArgs, RecordDeploymentArgs,
    RegistryArgs, TargetArgs,
};
use crate::commands::init::quote;
use crate::commands::registry_client::{Client, segment};
use crate::commands::upstream::Upstream;
use crate::output::{emit, emit_input_errors};

/// The manifest of the service in `dir`; problems in it are an input error with file and line.
pub(crate) fn manifest(dir: &Path) -> anyhow::Result<Manifest> {
    let path = dir.join("seam.toml");
    if !path.is_file() {
        bail!(
            "no seam.toml in `{}`; run this in a service folder (or pass --dir)",
            dir.display()
        );
    }
    let shown = path.display().to_string();
    let read = read_manifest(&path, &shown).with_context(|| format!("reading {shown}"))?;
    if let Some(problem) = read.problems.first() {
        let at = read.source.line_col(problem.span.start);
        bail!(
            "{shown}:{}:{}: {}{}",
            at.line,
            at.column,
            problem.message,
            problem
                .help
                .as_ref()
                .map(|h| format!(" ({h})"))
                .unwrap_or_default()
        );
    }
    read.manifest
        .with_context(|| format!("{shown} declares no service"))
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The version named after the git commit of `dir`: 12 hex digits, like a short hash that stays unique.
fn git_version(dir: &Path) -> anyhow::Result<String> {
    git(dir, &["rev-parse", "--short=12", "HEAD"]).with_context(|| {
        format!(
            "`{}` is not in a git repository with a commit; pass --version",
            dir.display()
        )
    })
}

/// The service and version a deployment command is about.
fn target(args: &TargetArgs) -> anyhow::Result<(String, String)> {
    let service = match &args.service {
        Some(s) => s.clone(),
        None => manifest(&args.dir)?.name.value,
    };
    let version = match &args.version {
        Some(v) => v.clone(),
        None => git_version(&args.dir)?,
    };
    segment("service name", &service)?;
    segment("version", &version)?;
    Ok((service, version))
}

/// `+` means a space in a query string; the names allow it, so it is escaped.
fn query(value: &str) -> String {
    value.replace('+', "%2B")
}

pub(crate) fn publish(global: &Global, args: &PublishArgs) -> anyhow::Result<Status> {
    let manifest = manifest(&args.dir)?;
    let service = manifest.name.value.clone();
    segment("service name", &service)?;

    // Contracts are validated before they leave: errors are refused unless the caller says otherwise.
    let options = LintOptions {
        display_base: std::env::current_dir()?,
        ..LintOptions::default()
    };
    let outcome = lint_service_dir(&args.dir, &options);
    if !outcome.input_errors.is_empty() {
        emit_input_errors(global, &outcome.input_errors);
        return Ok(Status::InputError);
    }
    let errors = outcome
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if errors > 0 && !args.allow_lint_errors {
        emit(global, Format::Text, FailOn::Error, &outcome.diagnostics)?;
        anstream::eprintln!(
            "seam publish: refused: {errors} lint error(s) in {service}; fix them, or pass --allow-lint-errors"
        );
        return Ok(Status::Findings);
    }

    let version = match &args.version {
        Some(v) => v.clone(),
        None => {
            let version = git_version(&args.dir)?;
            if git(&args.dir, &["status", "--porcelain", "--", "."]).is_some() {
                bail!(
                    "`{}` has uncommitted changes, so its content is not commit {version}; commit them or pass --version",
                    args.dir.display()
                );
            }
            version
        }
    };
    segment("version", &version)?;
    let publication = seamline_registry::Publication {
        service: service.clone(),
        owner: manifest.owner.as_ref().map(|o| o.value.clone()),
        version: version.clone(),
        git_commit: git(&args.dir, &["rev-parse", "HEAD"]),
        branch: args.branch.clone().or_else(|| {
            git(&args.dir, &["rev-parse", "--abbrev-ref", "HEAD"]).filter(|b| b != "HEAD")
        }),
        manifest: std::fs::read_to_string(args.dir.join("seam.toml"))?,
        contracts: contract_files(&args.dir, &manifest)?,
    };
    // The registry's own check, before anything is sent: a contract the deploy gate could not judge is refused
    // whatever --allow-lint-errors says.
    if let Some(why) = seamline_registry::unreadable(&publication) {
        bail!("seam publish: refused: {why}");
    }
    let body = json!({
        "owner": publication.owner,
        "git_commit": publication.git_commit,
        "branch": publication.branch,
        "manifest": publication.manifest,
        "contracts": publication.contracts
            .iter()
            .map(|(path, content)| json!({ "path": path, "content": content }))
            .collect::<Vec<_>>(),
    });
    let client = Client::new(&args.registry, &args.dir)?;
    let answer = client
        .put(
            &format!("/api/v1/services/{service}/versions/{version}"),
            &body,
        )?
        .ok(&format!("publishing {service} {version}"))?;
    let outcome = answer["outcome"].as_str().unwrap_or("published");
    let hash = answer["content_hash"].as_str().unwrap_or("?");
    let verb = if outcome == "unchanged" {
        "already published, same content:"
    } else {
        "published"
    };
    println!(
        "{verb} {service} {version} (content {}) to {}",
        &hash[..hash.len().min(12)],
        client.base()
    );
    Ok(Status::Clean)
}

/// The files a version is made of, by path relative to the service folder: each provided contract and each
/// vendored copy of a consumed one (the deploy gate compares those), with every file their `$ref`s reach.
fn contract_files(dir: &Path, manifest: &Manifest) -> anyhow::Result<Vec<(String, String)>> {
    let root = std::fs::canonicalize(dir)?;
    let mut ws = Workspace::new(WorkspaceOptions {
        root: root.clone(),
        display_base: root.clone(),
        allow_remote_refs: false,
        limits: Default::default(),
    });
    let provided = manifest.provided_contracts().map(|p| p.spec.value.clone());
    let vendored = manifest.consumed_contracts().filter_map(|c| {
        c.vendored_candidates()
            .into_iter()
            .find(|p| root.join(p).is_file())
    });
    for path in provided.chain(vendored) {
        ws.load_with_refs(&root.join(path));
    }
    let mut files = Vec::new();
    for (_, doc) in ws.docs() {
        if doc.io_error.is_some() {
            continue;
        }
        let Ok(relative) = doc.path.strip_prefix(&root) else {
            continue;
        };
        let relative = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let content = std::fs::read_to_string(&doc.path)
            .with_context(|| format!("{} is not UTF-8 text", doc.path.display()))?;
        files.push((relative, content));
    }
    files.sort();
    Ok(files)
}

/// One consumed contract as the registry has it.
struct Pulled {
    service: String,
    contract: String,
    version: String,
    /// Where it goes, relative to the service folder.
    path: String,
    content: String,
}

/// One thing `seam pull` would do, in words, with what it does to this service when it replaces a vendored copy.
pub(crate) struct Planned {
    pub(crate) what: String,
    pub(crate) upstream: Option<Upstream>,
}

impl std::fmt::Display for Planned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.upstream {
            Some(u) => write!(f, "{}: {}", self.what, u.said),
            None => f.write_str(&self.what),
        }
    }
}

/// What `seam pull` would do: the contracts, the changes in words, the hand-edited files it would replace.
pub(crate) struct PullPlan {
    service: String,
    pulled: Vec<Pulled>,
    pub(crate) changes: Vec<Planned>,
    edited: Vec<String>,
    lock: String,
    lock_changes: bool,
    pub(crate) registry: String,
}

impl PullPlan {
    /// How many replaced copies break this service or cannot be judged.
    pub(crate) fn breaking(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.upstream.as_ref().is_some_and(|u| u.breaks))
            .count()
    }
}

pub(crate) fn plan_pull(
    dir: &Path,
    registry: &RegistryArgs,
    env: Option<&str>,
) -> anyhow::Result<PullPlan> {
    let manifest = manifest(dir)?;
    let client = Client::new(registry, dir)?;
    let pulled = fetch_consumed(&client, &manifest, dir, env)?;
    let lock_path = dir.join("seam.lock");
    let old_lock = lock_path
        .is_file()
        .then(|| Lock::read(&lock_path, "seam.lock"))
        .transpose()
        .map_err(|e| anyhow::anyhow!("{}: {e}", lock_path.display()))?;
    let consumers = client
        .get(&format!(
            "/api/v1/services/{}/consumers",
            segment("service name", &manifest.name.value)?
        ))?
        .ok("reading who consumes this service")?;
    // The migrations this service takes part in; a registry from before migrations has none to tell.
    let migrations = match client.get("/api/v1/migrations")? {
        answer if answer.status == 404 => None,
        answer => Some(answer.ok("reading the migrations in flight")?),
    };
    let migrations = migrations.map(|all| involving(&manifest, &all));
    let lock = render_lock(&pulled, &consumers, migrations.as_deref());

    let mut changes = Vec::new();
    let mut edited = Vec::new();
    for p in &pulled {
        let on_disk = std::fs::read(dir.join(&p.path)).ok();
        if on_disk.as_deref() == Some(p.content.as_bytes()) {
            continue;
        }
        let locked = old_lock
            .as_ref()
            .and_then(|l| l.find(&p.service, &p.contract));
        let what = match (&on_disk, locked) {
            (None, _) => format!("add {} ({} {})", p.path, p.service, p.version),
            (Some(bytes), Some(l)) if sha256_hex(bytes) != l.sha256 => {
                edited.push(p.path.clone());
                format!(
                    "replace {} (edited by hand) with {} {}",
                    p.path, p.service, p.version
                )
            }
            (Some(_), Some(l)) => format!(
                "update {} from {} {} to {}",
                p.path, p.service, l.version, p.version
            ),
            (Some(_), None) => format!(
                "replace {} (not locked) with {} {}",
                p.path, p.service, p.version
            ),
        };
        // A copy that is replaced: what the provider's change does to what this service uses.
        let upstream = on_disk.is_some().then(|| {
            crate::commands::upstream::judge(
                dir,
                &manifest,
                &p.service,
                &p.contract,
                &p.version,
                &p.path,
                &p.content,
            )
        });
        changes.push(Planned { what, upstream });
    }
    let lock_changes = std::fs::read_to_string(&lock_path).ok().as_deref() != Some(&lock);
    if lock_changes {
        changes.push(Planned {
            what: "write seam.lock".into(),
            upstream: None,
        });
    }
    Ok(PullPlan {
        service: manifest.name.value.clone(),
        pulled,
        changes,
        edited,
        lock,
        lock_changes,
        registry: client.base().to_owned(),
    })
}

pub(crate) fn pull(args: &PullArgs) -> anyhow::Result<Status> {
    let plan = plan_pull(&args.dir, &args.registry, args.env.as_deref())?;
    if args.check {
        if plan.changes.is_empty() {
            println!("vendored contracts and seam.lock match {}", plan.registry);
            return Ok(Status::Clean);
        }
        println!("`seam pull` would change:");
        for c in &plan.changes {
            println!("  {c}");
        }
        let breaking = plan.breaking();
        if breaking > 0 {
            println!(
                "{breaking} provider change(s) break {} or cannot be judged: adapt it before pulling, or ask the \
                 provider for a migration (docs/registry.md)",
                plan.service
            );
        }
        return Ok(Status::Findings);
    }
    if !plan.edited.is_empty() && !args.force {
        bail!(
            "these vendored files were edited by hand (their hash is not the one in seam.lock): {}; keep the edits \
             elsewhere, then pass --force to overwrite them",
            plan.edited.join(", ")
        );
    }
    for p in &plan.pulled {
        let path = args.dir.join(&p.path);
        if std::fs::read(&path).ok().as_deref() != Some(p.content.as_bytes()) {
            crate::commands::write_atomically(&path, p.content.as_bytes())?;
        }
    }
    if plan.lock_changes {
        crate::commands::write_atomically(&args.dir.join("seam.lock"), plan.lock.as_bytes())?;
    }
    if plan.changes.is_empty() {
        println!("up to date with {}", plan.registry);
    }
    for c in &plan.changes {
        println!("{c}");
    }
    Ok(Status::Clean)
}

/// Every consumed contract from the registry: from the provider version deployed in `env`, or its latest.
fn fetch_consumed(
    client: &Client,
    manifest: &Manifest,
    dir: &Path,
    env: Option<&str>,
) -> anyhow::Result<Vec<Pulled>> {
    let deployed = match env {
        Some(env) => Some(
            client
                .get(&format!(
                    "/api/v1/environments/{}/deployments",
                    segment("environment", env)?
                ))?
                .ok(&format!("reading the deployments in {env}"))?,
        ),
        None => None,
    };
    let mut versions: Vec<(String, Value)> = Vec::new();
    let mut pulled = Vec::new();
    let mut problems = Vec::new();
    for consumed in manifest.consumed_contracts() {
        let (service, contract) = (&consumed.service.value, &consumed.contract.value);
        segment("service name", service)?;
        if !versions.iter().any(|(s, _)| s == service) {
            let version = match &deployed {
                Some(list) => list
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|d| d["service"] == service.as_str())
                    .and_then(|d| d["version"].as_str())
                    .map(str::to_owned),
                None => client
                    .get(&format!("/api/v1/services/{service}/versions"))?
                    .ok(&format!("listing the versions of {service}"))?
                    .get(0)
                    .and_then(|v| v["version"].as_str())
                    .map(str::to_owned),
            };
            let Some(version) = version else {
                problems.push(match env {
                    Some(env) => format!("{service} is not deployed in {env}"),
                    None => format!("{service} has published no version"),
                });
                continue;
            };
            let detail = client
                .get(&format!(
                    "/api/v1/services/{service}/versions/{}",
                    segment("version", &version)?
                ))?
                .ok(&format!("reading {service} {version}"))?;
            versions.push((service.clone(), detail));
        }
        let Some((_, detail)) = versions.iter().find(|(s, _)| s == service) else {
            continue;
        };
        let version = detail["version"].as_str().unwrap_or_default().to_owned();
        let provider_manifest = seamline_model::parse_manifest(
            Path::new("seam.toml"),
            "seam.toml",
            detail["manifest"].as_str().unwrap_or_default().as_bytes(),
        )
        .manifest;
        let Some(spec) = provider_manifest
            .as_ref()
            .and_then(|m| m.provided(contract))
            .map(|p| p.spec.value.clone())
        else {
            problems.push(format!(
                "{service} {version} provides no contract named `{contract}`"
            ));
            continue;
        };
        let Some(content) = detail["contracts"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["path"] == spec.as_str())
            .and_then(|c| c["content"].as_str())
        else {
            problems.push(format!("{service} {version} did not publish {spec}"));
            continue;
        };
        pulled.push(Pulled {
            service: service.clone(),
            contract: contract.clone(),
            version,
            path: vendor_path(dir, &consumed.vendored_candidates(), &spec),
            content: content.to_owned(),
        });
    }
    if !problems.is_empty() {
        bail!(
            "cannot pull from {}:\n  {}",
            client.base(),
            problems.join("\n  ")
        );
    }
    Ok(pulled)
}

/// Where a vendored copy goes: where it already is, else the candidate with the provider's kind and extension
/// (`x.asyncapi.yaml` stays an AsyncAPI YAML file), else the first candidate.
fn vendor_path(dir: &Path, candidates: &[String], provider_spec: &str) -> String {
    if let Some(existing) = candidates.iter().find(|c| dir.join(c).is_file()) {
        return existing.clone();
    }
    let suffix = |c: &str| {
        c.rsplit('/')
            .next()
            .unwrap_or(c)
            .split_once('.')
            .map(|(_, s)| s.to_owned())
    };
    let wanted = suffix(provider_spec);
    candidates
        .iter()
        .find(|c| suffix(c) == wanted)
        .or_else(|| {
            let ext = provider_spec.rsplit('.').next();
            candidates.iter().find(|c| c.rsplit('.').next() == ext)
        })
        .unwrap_or(&candidates[0])
        .clone()
}

/// The active migrations `manifest`'s service takes part in: those of its own messages, and those of messages it
/// consumes from their producer's contract.
fn involving(manifest: &Manifest, all: &Value) -> Vec<Value> {
    let field = |m: &Value, key: &str| m[key].as_str().unwrap_or_default().to_owned();
    all.as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["state"] == "active")
        .filter(|m| {
            manifest.takes_part_in(
                &field(m, "service"),
                &field(m, "contract"),
                &field(m, "message"),
            )
        })
        .cloned()
        .collect()
}

fn render_lock(pulled: &[Pulled], consumers: &Value, migrations: Option<&[Value]>) -> String {
    let mut out = String::from(
        "# Pins each vendored contract by version and content hash, and records who consumes this service's\n\
         # contracts and the migrations in flight (for `seam context`). Written by `seam pull`; do not edit by\n\
         # hand.\nversion = 1\n",
    );
    // Who consumes this service, as the registry says now: inline tables, so that an empty list still says
    // "recorded, nobody".
    let consumers: Vec<String> = consumers
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let uses: Vec<String> = c["uses"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(quote)
                .collect();
            // Where it runs, when the registry says (an older registry does not).
            let environments = c["deployed_in"].as_array().map(|envs| {
                let envs: Vec<String> = envs.iter().filter_map(Value::as_str).map(quote).collect();
                format!(", environments = [{}]", envs.join(", "))
            });
            Some(format!(
                "  {{ service = {}, contract = {}, uses = [{}]{} }},\n",
                quote(c["service"].as_str()?),
                quote(c["contract"].as_str()?),
                uses.join(", "),
                environments.unwrap_or_default()
            ))
        })
        .collect();
    if consumers.is_empty() {
        out.push_str("consumers = []\n");
    } else {
        let _ = write!(out, "consumers = [\n{}]\n", consumers.concat());
    }
    // The migrations in flight, with the phase each had reached: `seam context` tells this service its duty.
    match migrations {
        None => {}
        Some([]) => out.push_str("migrations = []\n"),
        Some(list) => {
            out.push_str("migrations = [\n");
            for m in list {
                let _ = writeln!(
                    out,
                    "  {{ service = {}, contract = {}, message = {}, from = {}, to = {}, phase = {} }},",
                    quote(m["service"].as_str().unwrap_or_default()),
                    quote(m["contract"].as_str().unwrap_or_default()),
                    quote(m["message"].as_str().unwrap_or_default()),
                    m["from"],
                    m["to"],
                    m["phase"]
                );
            }
            out.push_str("]\n");
        }
    }
    for p in pulled {
        let _ = write!(
            out,
            "\n[[contract]]\nservice = {}\ncontract = {}\nversion = {}\npath = {}\nsha256 = \"{}\"\n",
            quote(&p.service),
            quote(&p.contract),
            quote(&p.version),
            quote(&p.path),
            sha256_hex(p.content.as_bytes())
        );
    }
    out
}

pub(crate) fn record_deployment(args: &RecordDeploymentArgs) -> anyhow::Result<Status> {
    let (service, version) = target(&args.target)?;
    let env = segment("environment", &args.env)?;
    let client = Client::new(&args.registry, &args.target.dir)?;
    client
        .put(
            &format!("/api/v1/environments/{env}/deployments/{service}"),
            &json!({ "version": version }),
        )?
        .ok(&format!("recording {service} {version} in {env}"))?;
    println!("recorded: {service} {version} runs in {env}");
    Ok(Status::Clean)
}

pub(crate) fn can_i_deploy(global: &Global, args: &CanIDeployArgs) -> anyhow::Result<Status> {
    let (service, version) = target(&args.target)?;
    let client = Client::new(&args.registry, &args.target.dir)?;
    let (answer, decisions) = match &args.env {
        Some(env) if !args.to_all_envs => {
            let env = segment("environment", env)?;
            let answer = client
                .get(&format!(
                    "/api/v1/can-i-deploy?service={}&version={}&environment={}",
                    query(&service),
                    query(&version),
                    query(env)
                ))?
                .ok(&format!("asking can-i-deploy for {service} {version}"))?;
            (answer.clone(), vec![answer])
        }
        _ => {
            let answer = client
                .get(&format!(
                    "/api/v1/matrix?service={}&version={}",
                    query(&service),
                    query(&version)
                ))?
                .ok(&format!("asking can-i-deploy for {service} {version}"))?;
            let decisions = answer["environments"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            (answer, decisions)
        }
    };
    let deployable = answer["deployable"].as_bool().unwrap_or(false);
    if global.format == Some(Format::Json) {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        print!("{}", render_decisions(&service, &version, &decisions));
        if decisions.is_empty() {
            println!(
                "{service} {version}: the registry knows no environment yet; nothing to check against"
            );
        }
    }
    Ok(if deployable {
        Status::Clean
    } else {
        Status::Findings
    })
}

/// One block per environment: the verdict, then each pair with its reason.
fn render_decisions(service: &str, version: &str, decisions: &[Value]) -> String {
    let mut out = String::new();
    for d in decisions {
        let env = d["environment"].as_str().unwrap_or("?");
        let ok = d["deployable"].as_bool().unwrap_or(false);
        let pairs = d["pairs"].as_array().cloned().unwrap_or_default();
        // A pair the registry could not judge (a stored contract it cannot read) is a "no" of its own kind.
        let unjudged = pairs
            .iter()
            .filter(|p| {
                p["reason"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("cannot judge"))
            })
            .count();
        let _ = writeln!(
            out,
            "{service} {version} → {env}: {}",
            match (ok, unjudged) {
                (true, _) => "yes, deployable".to_owned(),
                (false, 0) => "NO, not deployable".to_owned(),
                (false, n) => format!(
                    "NO, not deployable: {n} pair(s) cannot be judged (a contract there cannot be read)"
                ),
            }
        );
        if pairs.is_empty() {
            let _ = writeln!(out, "  no partner of {service} is deployed in {env}");
        }
        for p in pairs {
            let s = |k: &str| p[k].as_str().unwrap_or("?").to_owned();
            let provider_version = p["provider_version"].as_str().unwrap_or("(not deployed)");
            let _ = writeln!(
                out,
                "  {} {} {} → {} {} {}: {}",
                if p["compatible"].as_bool().unwrap_or(false) {
                    "✓"
                } else {
                    "✗"
                },
                s("consumer"),
                s("consumer_version"),
                s("provider"),
                provider_version,
                s("contract"),
                s("reason"),
            );
        }
        for r in d["removals"].as_array().into_iter().flatten() {
            let _ = writeln!(
                out,
                "  {} stops publishing {} v{}: {}",
                if r["allowed"].as_bool().unwrap_or(false) {
                    "✓"
                } else {
                    "✗"
                },
                r["message"].as_str().unwrap_or("?"),
                r["version"],
                r["reason"].as_str().unwrap_or("?"),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_that_cannot_be_judged_is_a_no_that_says_so() {
        let decision = json!({
            "environment": "production",
            "deployable": false,
            "pairs": [{
                "consumer": "order-service", "consumer_version": "4f2a1c",
                "provider": "payment-service", "provider_version": "x", "contract": "payment-api",
                "compatible": false,
                "reason": "cannot judge: payment-service x: contracts/payment-api.yaml:1: the file is empty",
            }],
        });
        let text = render_decisions("payment-service", "x", &[decision]);
        assert!(
            text.starts_with(
                "payment-service x → production: NO, not deployable: 1 pair(s) cannot be judged"
            ),
            "{text}"
        );
        assert!(
            text.contains("✗ order-service 4f2a1c → payment-service x payment-api: cannot judge: payment-service x: contracts/payment-api.yaml:1:"),
            "{text}"
        );
    }
}
