use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};
use seamline_diff::{DiffOptions, diff_documents};
use seamline_model::{DocId, Workspace, WorkspaceOptions, find_contract_files, read_manifest};
use seamline_syntax::Limits;

use crate::Status;
use crate::args::{DiffArgs, FailOn, Format, Global};
use crate::output::emit;

/// One side of a comparison, as the user named it.
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

pub(crate) fn run(global: &Global, args: &DiffArgs) -> anyhow::Result<Status> {
    let options = DiffOptions {
        strict_open_content: args.strict_open_content,
        ..DiffOptions::default()
    };
    let cwd = std::env::current_dir()?;
    let pairs: Vec<(Source, Source)> = match (&args.against, &args.old, &args.new) {
        (Some(rev), _, _) => against(&cwd, rev)?,
        (None, Some(old), Some(new)) => {
            let (old, new) = (Source::parse(old), Source::parse(new));
            match (&old, &new) {
                (Source::Path(a), Source::Path(b)) if a.is_dir() && b.is_dir() => {
                    folder_pairs(a, b)
                }
                _ => vec![(old, new)],
            }
        }
        _ => bail!("give OLD and NEW, or --against REV (see `seam diff --help`)"),
    };
    let mut diagnostics = Vec::new();
    for (old, new) in pairs {
        let mut old_ws = workspace(&cwd);
        let mut new_ws = workspace(&cwd);
        let Some(old_doc) = load(&mut old_ws, &old)? else {
            continue;
        };
        let Some(new_doc) = load(&mut new_ws, &new)? else {
            continue;
        };
        for change in diff_documents(&old_ws, old_doc, &new_ws, new_doc, &options) {
            diagnostics.push(change.to_diagnostic());
        }
    }
    emit(global, Format::Text, FailOn::Error, &diagnostics)
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

/// Files of two folders, paired by their path relative to each folder.
fn folder_pairs(old: &Path, new: &Path) -> Vec<(Source, Source)> {
    let relative = |dir: &Path| -> Vec<PathBuf> {
        find_contract_files(dir)
            .into_iter()
            .filter_map(|(p, _)| p.strip_prefix(dir).ok().map(Path::to_path_buf))
            .collect()
    };
    let new_files = relative(new);
    relative(old)
        .into_iter()
        .filter(|r| new_files.contains(r))
        .map(|r| (Source::Path(old.join(&r)), Source::Path(new.join(&r))))
        .collect()
}

/// Every contract the service in `dir` provides, against the same path at `rev`.
fn against(dir: &Path, rev: &str) -> anyhow::Result<Vec<(Source, Source)>> {
    let manifest_path = dir.join("seam.toml");
    let read = read_manifest(&manifest_path, "seam.toml")
        .with_context(|| format!("reading {}", manifest_path.display()))?;
    let Some(manifest) = read.manifest else {
        bail!("seam.toml has problems; run `seam lint` to see them");
    };
    Ok(manifest
        .provides_http
        .iter()
        .chain(&manifest.provides_events)
        .map(|p| {
            let path = PathBuf::from(&p.spec.value);
            (
                Source::Git {
                    rev: rev.to_owned(),
                    path: path.clone(),
                },
                Source::Path(path),
            )
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
            let first = ws.add_virtual(&absolute, &bytes);
            let mut queue = vec![first];
            while let Some(doc) = queue.pop() {
                for file in ws.referenced_files(doc) {
                    let relative = pathdiff(&file);
                    if let Some(bytes) = git_show(rev, &relative)? {
                        let before = ws.docs().count();
                        let id = ws.add_virtual(&file, &bytes);
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
