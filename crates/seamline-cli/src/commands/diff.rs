use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};
use seamline_diagnostics::{
    Diagnostic, RuleInfo, Severity, Summary, TextOptions, render_sarif, render_text,
};
use seamline_diff::{
    Change, ConsumerVerdict, DiffOptions, Level, apply_policy, diff_documents, published_messages,
    verdict_with_published,
};
use seamline_model::{
    DocId, Lock, LockedConsumer, Workspace, WorkspaceOptions, contract_kind, find_contract_files,
    read_manifest, searched,
};
use seamline_syntax::Limits;

use crate::Status;
use crate::args::{ColorChoice, DiffArgs, FailOn, Format, Global};
use crate::output::{emit, emit_input_errors, status, write_stdout};

/// A pair to compare and, when known, the contract's name as consumers know it (service, contract).
struct Pair {
    old: Source,
    new: Source,
    contract: Option<(String, String)>,
}

/// One side of a comparison, as the user named it.
#[derive(Clone)]
enum Source {
    Path(PathBuf),
    /// A file at a git revision: read with `git show`, never checked out.
    Git {
        rev: String,
        path: PathBuf,
    },
}

impl Source {
    fn parse(arg: &str) -> Source {
        if !Path::new(arg).exists()
            && let Some((rev, path)) = arg.split_once(':')
            && !rev.is_empty()
        {
            return Source::Git {
                rev: rev.to_owned(),
                path: PathBuf::from(path),
            };
        }
        Source::Path(PathBuf::from(arg))
    }
}

/// What a comparison found: the changes as diagnostics, and each consumer's verdict when consumers were given.
pub(crate) struct Collected {
    pub diagnostics: Vec<Diagnostic>,
    /// Why some pairs could not be compared (`contract-unreadable`, at error level): a side that cannot be read,
    /// or two different kinds of contract. Never silence: `seam diff` exits 2 for them, `seam check` fails.
    pub unjudged: Vec<Diagnostic>,
    /// The subject (operation or message) of each diagnostic, for grouped text.
    subjects: Vec<String>,
    verdicts: Vec<(String, ConsumerVerdict, Vec<String>)>,
    with_consumers: bool,
}

/// Runs the comparison `args` describe, in the current folder.
pub(crate) fn collect(args: &DiffArgs) -> anyhow::Result<Collected> {
    let cwd = std::env::current_dir()?;
    // The provider's policy, when the command runs in its folder.
    let policy = match read_manifest(&cwd.join("seam.toml"), "seam.toml") {
        Ok(read) => match read.manifest {
            Some(manifest) => Some(manifest),
            None => bail!("seam.toml has problems; run `seam lint` to see them"),
        },
        Err(_) => None,
    };
    let strict =
        args.strict_open_content || policy.as_ref().is_some_and(|m| m.diff.strict_open_content);
    let options = DiffOptions {
        strict_open_content: strict,
        mode: args.mode.compatibility(),
        ..DiffOptions::default()
    };
    let given_contract = match &args.contract {
        Some(text) => match text.split_once('/') {
            Some((service, contract)) if !service.is_empty() && !contract.is_empty() => {
                Some((service.to_owned(), contract.to_owned()))
            }
            _ => bail!("--contract takes SERVICE/CONTRACT, such as payment-service/payment-api"),
        },
        None => None,
    };
    // Contracts at a revision that are gone from the folder now.
    let mut removed: Vec<(String, PathBuf)> = Vec::new();
    let pairs: Vec<Pair> = match (&args.against, &args.old, &args.new) {
        (Some(rev), _, _) => against(&cwd, rev, &mut removed)?,
        (None, Some(old), Some(new)) => {
            let (old, new) = (Source::parse(old), Source::parse(new));
            match (&old, &new) {
                (Source::Path(a), Source::Path(b)) if a.is_dir() && b.is_dir() => {
                    folder_pairs(a, b)
                }
                (Source::Path(a), Source::Path(b)) if a.is_dir() && args.mode.transitive() => {
                    // Every earlier version in the folder against the new one.
                    let contract = given_contract.clone().or_else(|| provided_name(&cwd, &new));
                    find_contract_files(a)
                        .into_iter()
                        .map(|(earlier, _)| Pair {
                            old: Source::Path(earlier),
                            new: Source::Path(b.clone()),
                            contract: contract.clone(),
                        })
                        .collect()
                }
                (Source::Git { rev, path }, Source::Path(b)) if b.is_dir() => {
                    git_folder_pairs(rev, path, b, &mut removed)?
                }
                (Source::Git { rev, path }, Source::Path(_)) if args.mode.transitive() => {
                    // Every earlier version of the file in the history of `rev`.
                    let contract = given_contract.clone().or_else(|| provided_name(&cwd, &new));
                    git_history(rev, path)?
                        .into_iter()
                        .map(|commit| Pair {
                            old: Source::Git {
                                rev: commit,
                                path: path.clone(),
                            },
                            new: new.clone(),
                            contract: contract.clone(),
                        })
                        .collect()
                }
                _ => {
                    let contract = given_contract.clone().or_else(|| provided_name(&cwd, &new));
                    vec![Pair { old, new, contract }]
                }
            }
        }
        _ => bail!("give OLD and NEW, or --against REV (see `seam diff --help`)"),
    };
    let consumers = args
        .consumers
        .iter()
        .map(|path| {
            let read = read_manifest(path, &path.to_string_lossy())
                .with_context(|| format!("reading {}", path.display()))?;
            read.manifest.ok_or_else(|| {
                anyhow::anyhow!(
                    "{} has problems; run `seam lint` there to see them",
                    path.display()
                )
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut diagnostics = Vec::new();
    let mut unjudged = Vec::new();
    let mut subjects = Vec::new();
    for (rev, file) in &removed {
        let check = &seamline_diff::checks::CONTRACT_REMOVED;
        let shown = file.to_string_lossy().trim_start_matches("./").to_owned();
        diagnostics.push(
            Diagnostic::new(
                check.code,
                check.id,
                Severity::Error,
                format!(
                    "{shown}: the contract at {rev} is gone; every operation and message it described is gone for \
                     its consumers"
                ),
            )
            .with_path(shown.clone())
            .with_help("restore it, or remove what it described one change at a time so consumers can move"),
        );
        subjects.push(shown);
    }
    let mut verdicts: Vec<(String, ConsumerVerdict, Vec<String>)> = Vec::new();
    for pair in pairs {
        // The two sides are independent: read them on two threads.
        let (old_loaded, new_loaded) = std::thread::scope(|scope| {
            let old_side = scope.spawn(|| {
                let mut ws = workspace(&cwd);
                load(&mut ws, &pair.old).map(|doc| (ws, doc))
            });
            let mut new_ws = workspace(&cwd);
            let new_loaded = load(&mut new_ws, &pair.new).map(|doc| (new_ws, doc));
            (
                old_side.join().expect("the reading thread does not panic"),
                new_loaded,
            )
        });
        let (old_ws, old_doc) = old_loaded?;
        let (new_ws, new_doc) = new_loaded?;
        let (Some(old_doc), Some(new_doc)) = (old_doc, new_doc) else {
            continue;
        };
        let mut changes = match diff_documents(&old_ws, old_doc, &new_ws, new_doc, &options) {
            Ok(changes) => changes,
            Err(cannot) => {
                unjudged.extend(cannot.to_diagnostics(&old_ws, &new_ws));
                continue;
            }
        };
        if let Some(manifest) = &policy {
            let base = match &pair.old {
                Source::Git { rev, .. } => Some(rev_parse(rev)?),
                Source::Path(_) => None,
            };
            changes = apply_policy(changes, manifest, base.as_deref(), &options.today());
        }
        if !consumers.is_empty() {
            let Some((service, contract)) = &pair.contract else {
                bail!(
                    "with --consumer, name the contract with --contract SERVICE/CONTRACT (no seam.toml here provides it)"
                );
            };
            for consumer in &consumers {
                let published = published_messages(&new_ws, new_doc);
                if let Some(v) =
                    verdict_with_published(&changes, consumer, service, contract, Some(&published))
                {
                    let reasons = v
                        .relevant
                        .iter()
                        .filter(|&&i| changes[i].level == Level::Breaking)
                        .map(|&i| changes[i].to_diagnostic().message)
                        .collect();
                    verdicts.push((format!("{service}/{contract}"), v, reasons));
                }
            }
        }
        let readers = pair
            .contract
            .as_ref()
            .filter(|(service, _)| policy.as_ref().is_some_and(|m| &m.name.value == service))
            .and_then(|(_, contract)| recorded_consumers(&cwd, contract));
        diagnostics.extend(changes.iter().map(|c| match &readers {
            Some(readers) => with_readers(c, readers),
            None => c.to_diagnostic(),
        }));
        subjects.extend(changes.iter().map(|c| c.subject.clone()));
        // Freeing two trees of a million nodes costs a tenth of the run; the process ends soon and the OS
        // takes the memory back at once.
        std::mem::forget(old_ws);
        std::mem::forget(new_ws);
    }
    Ok(Collected {
        diagnostics,
        unjudged,
        subjects,
        verdicts,
        with_consumers: !consumers.is_empty(),
    })
}

/// The consumers of this service's `contract` as `seam.lock` recorded them at the last `seam pull`, with what
/// each uses; `None` when the lock records no consumers (then nobody's use is known, and every breaking change
/// stays an error).
fn recorded_consumers(dir: &Path, contract: &str) -> Option<Vec<LockedConsumer>> {
    let path = dir.join("seam.lock");
    let lock = Lock::read(&path, "seam.lock").ok()?;
    Some(
        lock.consumers?
            .into_iter()
            .filter(|c| c.contract == contract)
            .collect(),
    )
}

/// A provided contract's change with who it concerns: a breaking change names the recorded consumers that use
/// what it touches, and is information when none does (nobody reads what it removes or changes).
fn with_readers(change: &Change, readers: &[LockedConsumer]) -> Diagnostic {
    let mut d = change.to_diagnostic();
    if change.level != Level::Breaking {
        return d;
    }
    let concerned: Vec<&LockedConsumer> = readers
        .iter()
        .filter(|r| change.usage.used_by(&r.uses))
        .collect();
    // Where each runs, when the lock knows: a consumer deployed nowhere is not broken in any environment yet.
    let running: Vec<String> = concerned
        .iter()
        .filter(|r| r.environments.as_ref().is_none_or(|e| !e.is_empty()))
        .map(|r| match &r.environments {
            Some(envs) => format!("{} (in {})", r.service, envs.join(", ")),
            None => r.service.clone(),
        })
        .collect();
    if concerned.is_empty() {
        d.severity = Severity::Info;
        d.message
            .push_str(" (no consumer recorded in seam.lock uses it, so it breaks nobody)");
    } else if running.is_empty() {
        let names: Vec<&str> = concerned.iter().map(|r| r.service.as_str()).collect();
        d.severity = Severity::Info;
        d.message.push_str(&format!(
            " (used by {}, deployed nowhere as recorded in seam.lock, so it breaks nothing that runs)",
            names.join(", ")
        ));
    } else {
        d.message.push_str(&format!(
            " (breaks {}, as recorded in seam.lock)",
            running.join(", ")
        ));
    }
    d
}

pub(crate) fn run(global: &Global, args: &DiffArgs) -> anyhow::Result<Status> {
    let Collected {
        diagnostics,
        unjudged,
        subjects,
        verdicts,
        with_consumers,
    } = collect(args)?;
    if !unjudged.is_empty() {
        // Some pair has no answer: the other pairs' changes would read as the whole story, so none are shown.
        emit_input_errors(global, &unjudged);
        return Ok(Status::InputError);
    }
    if !with_consumers {
        return show(global, &diagnostics, &subjects);
    }
    if global.format == Some(Format::Json) {
        let mut doc: serde_json::Value =
            serde_json::from_str(&seamline_diagnostics::render_json(&diagnostics))?;
        doc["consumers"] = verdicts
            .iter()
            .map(|(contract, v, reasons)| {
                serde_json::json!({
                    "consumer": v.consumer,
                    "contract": contract,
                    "verdict": if v.breaks { "breaks" } else { "safe" },
                    "relevant_changes": v.relevant.len(),
                    "breaking": reasons,
                })
            })
            .collect();
        write_stdout(global.color, &(serde_json::to_string_pretty(&doc)? + "\n"))?;
    } else {
        // The changes print as usual; the exit status follows the verdicts instead.
        show(global, &diagnostics, &subjects)?;
        let mut text = String::from("\nconsumers:\n");
        for (contract, v, reasons) in &verdicts {
            let word = if v.breaks { "breaks" } else { "safe" };
            text.push_str(&format!(
                "  {:<24} {word:<7} {contract}: {} change(s) to what it uses\n",
                v.consumer,
                v.relevant.len()
            ));
            for reason in reasons {
                text.push_str(&format!("      {reason}\n"));
            }
        }
        if verdicts.is_empty() {
            text.push_str("  none of the given consumers uses this contract\n");
        }
        write_stdout(global.color, &text)?;
    }
    Ok(if verdicts.iter().any(|(_, v, _)| v.breaks) {
        Status::Findings
    } else {
        Status::Clean
    })
}

/// Prints the changes. Text is grouped by what changed (an operation, a message), each group headed by it;
/// other formats are the lint's.
fn show(
    global: &Global,
    diagnostics: &[Diagnostic],
    subjects: &[String],
) -> anyhow::Result<Status> {
    if global.format == Some(Format::Sarif) {
        // The rules of a diff's log are the diff checks, not the lint rules.
        let rules: Vec<RuleInfo> = seamline_diff::checks::ALL
            .iter()
            .map(|c| c.info())
            .collect();
        write_stdout(
            global.color,
            &render_sarif(diagnostics, &rules, env!("CARGO_PKG_VERSION")),
        )?;
        return Ok(status(global, FailOn::Error, diagnostics));
    }
    if global.format.is_some_and(|f| f != Format::Text) || diagnostics.is_empty() {
        return emit(global, Format::Text, FailOn::Error, diagnostics);
    }
    let options = TextOptions {
        color: global.color != ColorChoice::Never,
    };
    let mut order: Vec<&String> = subjects.iter().collect();
    order.sort();
    order.dedup();
    let mut text = String::new();
    for subject in order {
        let group: Vec<Diagnostic> = diagnostics
            .iter()
            .zip(subjects)
            .filter(|(_, s)| *s == subject)
            .map(|(d, _)| d.clone())
            .collect();
        let rendered = render_text(&group, options);
        let body = rendered
            .rsplit_once("found ")
            .map_or(rendered.as_str(), |(body, _)| body);
        text.push_str(&format!("── {subject} ──\n\n{body}"));
    }
    text.push_str(&format!("found {}\n", Summary::of(diagnostics)));
    write_stdout(global.color, &text)?;
    Ok(status(global, FailOn::Error, diagnostics))
}

/// The (service, contract) name of `new` when ./seam.toml provides it.
fn provided_name(dir: &Path, new: &Source) -> Option<(String, String)> {
    let Source::Path(path) = new else { return None };
    let read = read_manifest(&dir.join("seam.toml"), "seam.toml").ok()?;
    let manifest = read.manifest?;
    let wanted = std::fs::canonicalize(path).ok()?;
    manifest
        .provided_contracts()
        .find(|p| std::fs::canonicalize(dir.join(&p.spec.value)).ok().as_ref() == Some(&wanted))
        .map(|p| (manifest.name.value.clone(), p.name.value.clone()))
}

fn workspace(cwd: &Path) -> Workspace {
    let root = cwd
        .ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(cwd)
        .to_path_buf();
    Workspace::new(WorkspaceOptions {
        root,
        display_base: cwd.to_path_buf(),
        allow_remote_refs: false,
        limits: Limits::default(),
    })
}

/// Files of two folders, paired by their path relative to each folder: every file that is a contract on either
/// side and exists on both. A contract that no longer parses is still paired, so it is reported, not skipped.
fn folder_pairs(old: &Path, new: &Path) -> Vec<Pair> {
    let relative = |dir: &Path| -> Vec<PathBuf> {
        find_contract_files(dir)
            .into_iter()
            .filter_map(|(p, _)| p.strip_prefix(dir).ok().map(Path::to_path_buf))
            .collect()
    };
    let mut files = relative(old);
    files.extend(relative(new));
    files.sort();
    files.dedup();
    files
        .into_iter()
        .filter(|r| old.join(r).is_file() && new.join(r).is_file())
        .map(|r| Pair {
            old: Source::Path(old.join(&r)),
            new: Source::Path(new.join(&r)),
            contract: None,
        })
        .collect()
}

/// The contracts of folder `path` at `rev`, paired with the files of `new` by relative path: every file that
/// is a contract on either side and exists on both.
fn git_folder_pairs(
    rev: &str,
    path: &Path,
    new: &Path,
    removed: &mut Vec<(String, PathBuf)>,
) -> anyhow::Result<Vec<Pair>> {
    let new_files: Vec<PathBuf> = find_contract_files(new)
        .into_iter()
        .filter_map(|(p, _)| p.strip_prefix(new).ok().map(Path::to_path_buf))
        .collect();
    let mut pairs = Vec::new();
    for file in git_files(rev, path)? {
        let Ok(relative) = file.strip_prefix(path.strip_prefix("./").unwrap_or(path)) else {
            continue;
        };
        let skipped = relative
            .parent()
            .into_iter()
            .flat_map(Path::components)
            .any(|c| !searched(&c.as_os_str().to_string_lossy()));
        if skipped {
            continue;
        }
        if !new.join(relative).is_file() {
            // A contract at `rev` that is gone: every consumer of what it described loses it.
            if git_show(rev, &file)?
                .is_some_and(|bytes| contract_kind(&file.to_string_lossy(), &bytes).is_some())
            {
                removed.push((rev.to_owned(), file.clone()));
            }
            continue;
        }
        // A file that is no contract now (or no longer parses) still counts when it was one at `rev`.
        let paired = new_files.iter().any(|f| f == relative)
            || git_show(rev, &file)?
                .is_some_and(|bytes| contract_kind(&file.to_string_lossy(), &bytes).is_some());
        if paired {
            pairs.push(Pair {
                old: Source::Git {
                    rev: rev.to_owned(),
                    path: file.clone(),
                },
                new: Source::Path(new.join(relative)),
                contract: None,
            });
        }
    }
    Ok(pairs)
}

/// Every contract the service in `dir` provides, against the same path at `rev`. Without a `seam.toml`, every
/// contract under `dir` (as `seam lint` finds them), against the same path at `rev`.
fn against(
    dir: &Path,
    rev: &str,
    removed: &mut Vec<(String, PathBuf)>,
) -> anyhow::Result<Vec<Pair>> {
    let manifest_path = dir.join("seam.toml");
    if !manifest_path.is_file() {
        rev_parse(rev)?;
        let pairs = git_folder_pairs(rev, Path::new("."), Path::new("."), removed)?;
        if pairs.is_empty() && removed.is_empty() {
            bail!(
                "no contract here to compare with {rev} (no seam.toml, and no OpenAPI, AsyncAPI or JSON Schema \
                 file below this folder that exists at both); name the files: seam diff {rev}:PATH PATH"
            );
        }
        return Ok(pairs);
    }
    let read = read_manifest(&manifest_path, "seam.toml")
        .with_context(|| format!("reading {}", manifest_path.display()))?;
    let Some(manifest) = read.manifest else {
        bail!("seam.toml has problems; run `seam lint` to see them");
    };
    Ok(manifest
        .provided_contracts()
        .map(|p| {
            let path = PathBuf::from(&p.spec.value);
            Pair {
                old: Source::Git {
                    rev: rev.to_owned(),
                    path: path.clone(),
                },
                new: Source::Path(path),
                contract: Some((manifest.name.value.clone(), p.name.value.clone())),
            }
        })
        .collect())
}

/// Loads a source and everything its references reach. `None` when a git revision does not have the file (a
/// contract added since then has nothing to be compared with).
fn load(ws: &mut Workspace, source: &Source) -> anyhow::Result<Option<DocId>> {
    match source {
        Source::Path(path) => {
            if !path.is_file() {
                bail!("no such file: {}", path.display());
            }
            Ok(Some(ws.load_with_refs(path)))
        }
        Source::Git { rev, path } => {
            let absolute = std::env::current_dir()?.join(path);
            let Some(bytes) = git_show(rev, path)? else {
                return Ok(None);
            };
            let shown = |ws: &Workspace, file: &Path| format!("{rev}:{}", ws.display_name(file));
            let first = ws.add_virtual_as(&absolute, &shown(ws, &absolute), &bytes);
            let mut queue = vec![first];
            while let Some(doc) = queue.pop() {
                for file in ws.referenced_files(doc) {
                    let relative = pathdiff(&file);
                    if let Some(bytes) = git_show(rev, &relative)? {
                        let before = ws.docs().count();
                        let name = shown(ws, &file);
                        let id = ws.add_virtual_as(&file, &name, &bytes);
                        if ws.docs().count() > before {
                            queue.push(id);
                        }
                    }
                }
            }
            Ok(Some(first))
        }
    }
}

/// `path` relative to the current folder, for `git show REV:./path`.
fn pathdiff(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd)
        .map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
}

/// The bytes of `path` at `rev`, or `None` when the revision has no such file.
fn git_show(rev: &str, path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    let spec = format!(
        "{rev}:./{}",
        path.to_string_lossy().trim_start_matches("./")
    );
    let out = Command::new("git")
        .args(["show", &spec])
        .output()
        .context("running git (is it installed?)")?;
    if out.status.success() {
        return Ok(Some(out.stdout));
    }
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("does not exist in") || err.contains("exists on disk, but not in") {
        return Ok(None);
    }
    bail!("git show {spec}: {}", err.trim())
}

/// The commit id `rev` names.
fn rev_parse(rev: &str) -> anyhow::Result<String> {
    let out = Command::new("git")
        .args(["rev-parse", "--verify", &format!("{rev}^{{commit}}")])
        .output()
        .context("running git (is it installed?)")?;
    if !out.status.success() {
        bail!(
            "`{rev}` is not a git revision here: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Files under `dir` at `rev`, relative to the current folder.
fn git_files(rev: &str, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let spec = format!("./{}", dir.to_string_lossy().trim_start_matches("./"));
    let out = Command::new("git")
        .args(["ls-tree", "-r", "--name-only", rev, "--", &spec])
        .output()
        .context("running git (is it installed?)")?;
    if !out.status.success() {
        bail!(
            "git ls-tree {rev} {spec}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| {
            [".yaml", ".yml", ".json"]
                .iter()
                .any(|e| l.to_ascii_lowercase().ends_with(e))
        })
        .map(PathBuf::from)
        .collect())
}

/// The commits reachable from `rev` that changed `path`, newest first.
fn git_history(rev: &str, path: &Path) -> anyhow::Result<Vec<String>> {
    let spec = format!("./{}", path.to_string_lossy().trim_start_matches("./"));
    let out = Command::new("git")
        .args(["rev-list", rev, "--", &spec])
        .output()
        .context("running git (is it installed?)")?;
    if !out.status.success() {
        bail!(
            "git rev-list {rev}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let commits: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    if commits.is_empty() {
        bail!("{} has no history at {rev}", path.display());
    }
    Ok(commits)
}
