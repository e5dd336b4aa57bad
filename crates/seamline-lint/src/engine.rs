use std::path::{Path, PathBuf};

use seamline_diagnostics::{Diagnostic, Label, Severity};
use seamline_model::{Lock, Workspace, WorkspaceOptions, find_contract_files, read_manifest};
use seamline_syntax::Limits;

use crate::context::{ContractRole, LoadedContract, kind_of, vendored_path};
use crate::rule::Report;
use crate::rules::ALL;
use crate::{Context, Rule, suppress};

/// Settings for one lint run that do not come from `seam.toml`.
#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    pub allow_remote_refs: bool,
    /// References may not leave this folder; found from `.git` when not given.
    pub root: Option<PathBuf>,
    /// Files are shown relative to this folder.
    pub display_base: PathBuf,
    /// Rules to run (names, codes or code prefixes), on top of the manifest's `[lint] select`.
    pub select: Vec<String>,
    /// Rules to skip, on top of the manifest's `[lint] ignore`.
    pub ignore: Vec<String>,
}

/// What a run found. `input_errors` are problems that stop the run from being trusted (a broken manifest, a
/// path that does not exist, an unknown rule in the configuration): the CLI exits 2 for them.
#[derive(Debug, Default)]
pub struct LintOutcome {
    pub diagnostics: Vec<Diagnostic>,
    pub input_errors: Vec<Diagnostic>,
    pub files_checked: usize,
}

impl LintOutcome {
    fn absorb(&mut self, other: LintOutcome) {
        self.diagnostics.extend(other.diagnostics);
        self.input_errors.extend(other.input_errors);
        self.files_checked += other.files_checked;
    }
}

/// Lints each path: a folder with `seam.toml` (or that file itself) is a service; another folder is searched
/// for contracts; any other file is one contract.
pub fn lint(paths: &[PathBuf], options: &LintOptions) -> LintOutcome {
    let mut outcome = LintOutcome::default();
    for path in paths {
        let result = if path.is_dir() && path.join("seam.toml").is_file() {
            lint_service_dir(path, options)
        } else if path.file_name().is_some_and(|n| n == "seam.toml") && path.is_file() {
            lint_service_dir(path.parent().unwrap_or(Path::new(".")), options)
        } else if path.is_dir() {
            let files: Vec<PathBuf> = find_contract_files(path)
                .into_iter()
                .map(|(p, _)| p)
                .collect();
            lint_files(&files, path, options)
        } else if path.is_file() {
            lint_files(
                std::slice::from_ref(path),
                path.parent().unwrap_or(Path::new(".")),
                options,
            )
        } else {
            let mut outcome = LintOutcome::default();
            outcome.input_errors.push(
                Diagnostic::new("SEAM-I001", "input-missing", Severity::Error, "no such file or folder")
                    .with_path(path.to_string_lossy())
                    .with_help("check the path; `seam lint` with no path lints the service in the current folder"),
            );
            outcome
        };
        outcome.absorb(result);
    }
    outcome
}

fn workspace(start: &Path, options: &LintOptions) -> Workspace {
    let root = options
        .root
        .clone()
        .unwrap_or_else(|| repository_root(start));
    Workspace::new(WorkspaceOptions {
        root,
        display_base: options.display_base.clone(),
        allow_remote_refs: options.allow_remote_refs,
        limits: Limits::default(),
    })
}

/// The nearest folder at or above `start` holding `.git`, or `start` itself.
fn repository_root(start: &Path) -> PathBuf {
    let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_owned());
    start
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .map_or(start.clone(), Path::to_path_buf)
}

fn lint_files(files: &[PathBuf], start: &Path, options: &LintOptions) -> LintOutcome {
    let mut ws = workspace(start, options);
    let contracts: Vec<LoadedContract> = files
        .iter()
        .map(|f| {
            let doc = ws.load_with_refs(f);
            LoadedContract {
                doc,
                kind: kind_of(&ws, doc),
                role: ContractRole::Provided,
            }
        })
        .collect();
    let ctx = Context {
        ref_problems: ws.ref_problems(),
        ws: &ws,
        service_root: None,
        manifest: None,
        manifest_read: None,
        lock: None,
        contracts,
    };
    run(&ctx, options, &[], &[], &[])
}

/// Lints the service in `dir`: its manifest, the contracts it provides and the vendored contracts it consumes.
pub fn lint_service_dir(dir: &Path, options: &LintOptions) -> LintOutcome {
    let mut outcome = LintOutcome::default();
    let mut ws = workspace(dir, options);
    let manifest_path = dir.join("seam.toml");
    let shown =
        ws.display_name(&std::fs::canonicalize(&manifest_path).unwrap_or(manifest_path.clone()));
    let read = match read_manifest(&manifest_path, &shown) {
        Ok(read) => read,
        Err(err) => {
            outcome.input_errors.push(
                Diagnostic::new(
                    "SEAM-I001",
                    "input-missing",
                    Severity::Error,
                    format!("cannot read the manifest: {err}"),
                )
                .with_path(shown),
            );
            return outcome;
        }
    };
    if !read.problems.is_empty() {
        for p in &read.problems {
            let mut d =
                Diagnostic::new("SEAM-I002", "manifest-invalid", Severity::Error, &p.message)
                    .with_primary(Label::new(&read.source, p.span));
            if let Some(help) = &p.help {
                d = d.with_help(help);
            }
            outcome.input_errors.push(d);
        }
        return outcome;
    }
    let Some(manifest) = read.manifest.as_ref() else {
        return outcome;
    };
    let mut contracts = Vec::new();
    for provided in manifest.provided_contracts() {
        let path = dir.join(&provided.spec.value);
        if path.is_file() {
            let doc = ws.load_with_refs(&path);
            contracts.push(LoadedContract {
                doc,
                kind: kind_of(&ws, doc),
                role: ContractRole::Provided,
            });
        }
    }

    for c in manifest.consumed_contracts() {
        let (service, contract) = (c.service, c.contract);
        let path = vendored_path(dir, c);
        if path.is_file() {
            let doc = ws.load_with_refs(&path);
            contracts.push(LoadedContract {
                doc,
                kind: kind_of(&ws, doc),
                role: ContractRole::Consumed {
                    service: service.value.clone(),
                    contract: contract.value.clone(),
                },
            });
        }
    }
    let lock_path = dir.join("seam.lock");
    let lock = lock_path.is_file().then(|| {
        let shown =
            ws.display_name(&std::fs::canonicalize(&lock_path).unwrap_or(lock_path.clone()));
        Lock::read(&lock_path, &shown)
    });
    let config = &manifest.lint;
    let strings = |v: &[seamline_model::Spanned<String>]| {
        v.iter().map(|s| s.value.clone()).collect::<Vec<_>>()
    };
    let select = strings(&config.select);
    let ignore = strings(&config.ignore);
    let severity: Vec<(String, String)> = config
        .severity
        .iter()
        .map(|(r, l)| (r.value.clone(), l.value.clone()))
        .collect();
    // Unknown rule names in the configuration are input errors: a typo there would silently disable nothing.
    for entry in config
        .select
        .iter()
        .chain(&config.ignore)
        .chain(config.severity.iter().map(|(r, _)| r))
    {
        if !ALL.iter().any(|r| matches_rule(r, &entry.value)) {
            let (node, key) = manifest
                .root
                .locate(&entry.pointer)
                .map_or((None, None), |(n, k)| (Some(n), k));
            let span = key.or(node.map(|n| n.span)).unwrap_or_default();
            let mut d = Diagnostic::new(
                "SEAM-I002",
                "manifest-invalid",
                Severity::Error,
                format!("unknown rule `{}`", entry.value),
            )
            .with_primary(Label::new(&manifest.source, span));
            if let Some(s) = suggest_rule(&entry.value) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            outcome.input_errors.push(d);
        }
    }
    if !outcome.input_errors.is_empty() {
        return outcome;
    }
    let ctx = Context {
        ref_problems: ws.ref_problems(),
        ws: &ws,
        service_root: Some(dir.to_owned()),
        manifest: Some(manifest),
        manifest_read: Some(&read),
        lock,
        contracts,
    };
    let mut result = run(&ctx, options, &select, &ignore, &severity);
    result.files_checked += 1;
    outcome.absorb(result);
    outcome
}

/// Whether `selector` (a name, a code or a code prefix such as `SEAM-E`) names `rule`.
pub(crate) fn matches_rule(rule: &Rule, selector: &str) -> bool {
    rule.name == selector
        || rule.code == selector
        || (selector.starts_with("SEAM-") && rule.code.starts_with(selector))
}

pub(crate) fn suggest_rule(name: &str) -> Option<&'static str> {
    let names: Vec<&'static str> = ALL.iter().map(|r| r.name).collect();
    seamline_model::suggest(name, &names)
}

fn run(
    ctx: &Context<'_>,
    options: &LintOptions,
    select: &[String],
    ignore: &[String],
    severity: &[(String, String)],
) -> LintOutcome {
    let selected: Vec<&String> = select.iter().chain(&options.select).collect();
    let ignored: Vec<&String> = ignore.iter().chain(&options.ignore).collect();
    let mut diagnostics = Vec::new();
    for rule in ALL.iter().copied() {
        if !selected.is_empty() && !selected.iter().any(|s| matches_rule(rule, s)) {
            continue;
        }
        if ignored.iter().any(|s| matches_rule(rule, s)) {
            continue;
        }
        let level = severity
            .iter()
            .rev()
            .find(|(r, _)| matches_rule(rule, r))
            .map(|(_, l)| l.as_str());
        if level == Some("off") {
            continue;
        }
        let mut report = Report {
            rule,
            ctx,
            out: Vec::new(),
        };
        (rule.check)(ctx, &mut report);
        let level = level.and_then(Severity::parse);
        for mut d in report.out {
            if let Some(level) = level {
                d.severity = level;
            }
            diagnostics.push(d);
        }
    }
    let mut diagnostics = suppress::apply(ctx, diagnostics);
    seamline_diagnostics::sort(&mut diagnostics);
    let files_checked = ctx.ws.docs().count();
    LintOutcome {
        diagnostics,
        input_errors: Vec::new(),
        files_checked,
    }
}
