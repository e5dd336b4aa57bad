pub(crate) mod check;
pub(crate) mod completions;
pub(crate) mod context;
pub(crate) mod diff;
pub(crate) mod init;
pub(crate) mod lint;
pub(crate) mod mcp;
pub(crate) mod migrate;
pub(crate) mod registry;
pub(crate) mod registry_client;
pub(crate) mod rules;
pub(crate) mod serve;
pub(crate) mod trace;
pub(crate) mod trace_fetch;
pub(crate) mod upstream;

use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// Writes beside the target and renames over it, so an interrupted write never leaves half a file.
///
/// A symbolic link is written through (its target gets the new text, the link stays a link), the temporary
/// file has a unique name (two runs at once never share one), and an existing file keeps its permissions.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let path = seamline_context::final_path(path).with_context(|| {
        format!(
            "{}: follow its symbolic link to a file and run again",
            path.display()
        )
    })?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let existing = std::fs::metadata(&path).ok().map(|m| m.permissions());
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".seam-tmp");
    #[cfg(unix)]
    {
        // A new file gets what the umask allows, as any other file written here would; not tempfile's 0600.
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut temp = builder
        .tempfile_in(&dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    std::io::Write::write_all(&mut temp, bytes)
        .with_context(|| format!("writing {}", temp.path().display()))?;
    if let Some(permissions) = existing {
        std::fs::set_permissions(temp.path(), permissions)
            .with_context(|| format!("keeping the permissions of {}", path.display()))?;
    }
    temp.persist(&path)
        .map_err(|e| e.error)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
