//! From generated blocks to file contents: what each file holds now and what it should hold.

use std::path::Path;

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
}

impl Change {
    /// Whether writing would change the file.
    pub fn is_stale(&self) -> bool {
        match &self.after {
            Ok(after) => self.before.as_deref() != Some(after.as_str()),
            Err(_) => true,
        }
    }
}

/// Reads each generated file's current text under `root` and works out its new text. `Err` for a file that
/// exists but cannot be read as UTF-8 text.
pub fn plan(root: &Path, generated: &[Generated]) -> Result<Vec<Change>, (String, std::io::Error)> {
    generated
        .iter()
        .map(|g| {
            let before = match std::fs::read_to_string(root.join(&g.path)) {
                Ok(text) => Some(text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err((g.path.clone(), e)),
            };
            let after = blocks::apply(before.as_deref(), &g.fresh_prefix, &g.body);
            Ok(Change {
                path: g.path.clone(),
                before,
                after,
                always_loaded: g.always_loaded,
            })
        })
        .collect()
}
