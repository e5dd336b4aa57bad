//! From generated blocks to file contents: what each file holds now and what it should hold.

use std::path::{Path, PathBuf};

use crate::blocks::{self, BlockError};
use crate::render::Generated;

/// One file's current and wanted text.
#[derive(Debug)]
pub struct Change {
    /// Relative to the service root, with forward slashes.
    pub path: String,
    /// What the file holds now; `None` when it does not exist.
    pub before: Option<String>,
    /// What it should hold, or why its block cannot be replaced.
    pub after: Result<String, BlockError>,
    pub always_loaded: bool,
    /// Another generated file this one is a symbolic link to (or shares its file with, through links): it is
    /// written through that one and never on its own, so its `after` is its `before`.
    pub linked_to: Option<String>,
}

impl Change {
    /// Whether writing would change the file.
    pub fn is_stale(&self) -> bool {
        if self.linked_to.is_some() {
            return false;
        }
        match &self.after {
            Ok(after) => self.before.as_deref() != Some(after.as_str()),
            Err(_) => true,
        }
    }
}

/// Reads each generated file's current text under `root` and works out its new text. `Err` for a file that
/// exists but cannot be read as UTF-8 text.
///
/// Generated files that are one file through symbolic links (a common `CLAUDE.md → AGENTS.md`) are written
/// once: as `AGENTS.md` when it is one of them (the canonical text), else as the first listed; the others
/// are left as they are and name it in `linked_to`.
pub fn plan(root: &Path, generated: &[Generated]) -> Result<Vec<Change>, (String, std::io::Error)> {
    let resolved: Vec<Option<PathBuf>> = generated
        .iter()
        .map(|g| final_path(&root.join(&g.path)).ok())
        .collect();
    let writer = |i: usize| -> usize {
        let Some(file) = &resolved[i] else { return i };
        let same: Vec<usize> = (0..generated.len())
            .filter(|&j| resolved[j].as_ref() == Some(file))
            .collect();
        same.iter()
            .copied()
            .find(|&j| generated[j].path == "AGENTS.md")
            .unwrap_or(same[0])
    };
    generated
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let before = match std::fs::read_to_string(root.join(&g.path)) {
                Ok(text) => Some(text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err((g.path.clone(), e)),
            };
            let through = writer(i);
            let (after, linked_to) = if through == i {
                (
                    blocks::apply(before.as_deref(), &g.fresh_prefix, &g.body),
                    None,
                )
            } else {
                let after = before.clone().unwrap_or_default();
                (Ok(after), Some(generated[through].path.clone()))
            };
            Ok(Change {
                path: g.path.clone(),
                before,
                after,
                always_loaded: g.always_loaded,
                linked_to,
            })
        })
        .collect()
}

/// The file a path finally names: symbolic links followed (a dangling one names the file it would create),
/// its folder made absolute when it exists, so two names of one file compare equal.
pub fn final_path(path: &Path) -> std::io::Result<PathBuf> {
    let mut path = path.to_path_buf();
    // The kernel gives up after 40 links; so does this.
    for _ in 0..40 {
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&path)?;
                path = match path.parent() {
                    Some(parent) => parent.join(target),
                    None => target,
                };
            }
            _ => {
                let name = path.file_name().map(ToOwned::to_owned);
                let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
                return Ok(match (parent.map(std::fs::canonicalize), name) {
                    (Some(Ok(dir)), Some(name)) => dir.join(name),
                    _ => path,
                });
            }
        }
    }
    Err(std::io::Error::other(format!(
        "{}: too many levels of symbolic links",
        path.display()
    )))
}
