pub(crate) mod check;
pub(crate) mod completions;
pub(crate) mod context;
pub(crate) mod diff;
pub(crate) mod init;
pub(crate) mod lint;
pub(crate) mod mcp;
pub(crate) mod registry;
pub(crate) mod registry_client;
pub(crate) mod rules;
pub(crate) mod serve;
pub(crate) mod trace;
pub(crate) mod trace_fetch;

use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// Writes beside the target and renames over it, so an interrupted write never leaves half a file.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.seam-tmp"));
    std::fs::write(&temp, bytes).with_context(|| format!("writing {}", temp.display()))?;
    std::fs::rename(&temp, path).with_context(|| format!("writing {}", path.display()))
}
