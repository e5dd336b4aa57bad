//! What a provider's new contract does to this service: the vendored copy on disk against the version `seam pull`
//! would write, judged on what this service's `seam.toml` says it uses (its operations, its messages and their
//! versions), as the registry's deploy gate judges a pair.

use std::path::{Path, PathBuf};

use seamline_diff::{
    Change, DiffOptions, Level, Usage, diff_documents, published_messages, verdict_with_published,
};
use seamline_model::{Manifest, Workspace, WorkspaceOptions};

/// The verdict on one pulled contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Upstream {
    /// A change breaks what this service uses, or the change cannot be judged (which is never taken as safe).
    pub breaks: bool,
    /// `breaks this service: …`, `safe for this service: …` or `cannot judge: …`.
    pub said: String,
}

/// The most breaking changes named in one verdict; the rest are counted.
const NAMED: usize = 3;

/// Judges `content`, `service` `version`'s contract `contract`, against the vendored copy at `vendored` (relative
/// to `dir`), for the service whose manifest is `manifest`.
pub(crate) fn judge(
    dir: &Path,
    manifest: &Manifest,
    service: &str,
    contract: &str,
    version: &str,
    vendored: &str,
    content: &str,
) -> Upstream {
    let root = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let workspace = |root: &Path| {
        Workspace::new(WorkspaceOptions {
            root: root.to_path_buf(),
            display_base: root.to_path_buf(),
            allow_remote_refs: false,
            limits: Default::default(),
        })
    };
    let mut old_ws = workspace(&root);
    let old = old_ws.load_with_refs(&root.join(vendored));
    // The new version is not on disk: it lives in a folder of its own, named for where it comes from.
    let new_root = PathBuf::from("/registry").join(service).join(version);
    let mut new_ws = workspace(&new_root);
    let new_path = new_root.join(vendored);
    new_ws.add_virtual_as(
        &new_path,
        &format!("{service} {version}"),
        content.as_bytes(),
    );
    let new = new_ws.load_with_refs(&new_path);
    let changes = match diff_documents(&old_ws, old, &new_ws, new, &DiffOptions::default()) {
        Ok(changes) => changes,
        Err(cannot) => {
            let first = cannot
                .old
                .first()
                .map(|u| format!("the vendored copy: {u}"));
            let first = first.or_else(|| {
                cannot
                    .new
                    .first()
                    .map(|u| format!("{service} {version}: {u}"))
            });
            return Upstream {
                breaks: true,
                said: format!(
                    "cannot judge: {}",
                    first.unwrap_or_else(|| "the two versions cannot be compared".into())
                ),
            };
        }
    };
    let published = published_messages(&new_ws, new);
    let Some(v) = verdict_with_published(&changes, manifest, service, contract, Some(&published))
    else {
        return Upstream {
            breaks: false,
            said: "safe for this service: it does not consume this contract".into(),
        };
    };
    let consumer = &manifest.name.value;
    if v.breaks {
        let breaking: Vec<&Change> = v
            .relevant
            .iter()
            .map(|&i| &changes[i])
            .filter(|c| c.level == Level::Breaking)
            .collect();
        let named: Vec<String> = breaking
            .iter()
            .take(NAMED)
            .map(|c| {
                let what = if c.path.is_empty() {
                    c.subject.clone()
                } else {
                    format!("{} {}", c.subject, c.path)
                };
                let at = used_at(manifest, service, contract, &c.usage)
                    .map(|line| format!(" ({consumer} uses it: seam.toml:{line})"))
                    .unwrap_or_default();
                format!("{what}: {}{at}", c.message)
            })
            .collect();
        let more = match breaking.len().saturating_sub(NAMED) {
            0 => String::new(),
            n => format!("; and {n} more"),
        };
        return Upstream {
            breaks: true,
            said: format!("breaks this service: {}{more}", named.join("; ")),
        };
    }
    let said = match (v.relevant.len(), changes.len()) {
        (0, 0) => "safe for this service: no change to the contract".to_string(),
        (0, n) => format!("safe for this service: {n} change(s), none to what it uses"),
        (k, _) => format!("safe for this service: {k} change(s) to what it uses, none breaking"),
    };
    Upstream {
        breaks: false,
        said,
    }
}

/// The line of `seam.toml` that says this service uses what `usage` names: the message or operation listed, else
/// the entry that consumes the contract.
fn used_at(manifest: &Manifest, service: &str, contract: &str, usage: &Usage) -> Option<usize> {
    let pointer = match usage {
        Usage::Message { name, version } => manifest
            .consumes_events
            .iter()
            .find(|e| e.service.value == service && e.contract.value == contract)
            .and_then(|e| {
                e.messages
                    .iter()
                    .find(|m| {
                        &m.value.name == name
                            && (m.value.version.is_none() || m.value.version == *version)
                    })
                    .map(|m| &m.pointer)
                    .or(Some(&e.service.pointer))
            }),
        Usage::Operation { id } => manifest
            .consumes_http
            .iter()
            .find(|h| h.service.value == service && h.contract.value == contract)
            .and_then(|h| {
                h.operations
                    .iter()
                    .find(|o| Some(&o.value) == id.as_ref())
                    .map(|o| &o.pointer)
                    .or(Some(&h.service.pointer))
            }),
        Usage::Everyone => manifest
            .consumed_contracts()
            .find(|c| c.service.value == service && c.contract.value == contract)
            .map(|c| &c.service.pointer),
    }?;
    let (node, key) = manifest.root.locate(pointer)?;
    let span = key.unwrap_or(node.span);
    Some(manifest.source.line_col(span.start).line as usize)
}
