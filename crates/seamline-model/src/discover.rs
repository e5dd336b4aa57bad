use std::path::{Path, PathBuf};

use seamline_syntax::{Format, Limits, parse};

use crate::contract::{ContractKind, detect_kind};

/// Folders never searched for contracts.
const SKIP: &[&str] = &[
    ".git",
    "target",
    "node_modules",
    ".venv",
    "vendor",
    "dist",
    "build",
];

/// Contract files below `dir`, sorted by path: OpenAPI, Swagger and AsyncAPI documents anywhere (of any version,
/// so unsupported ones can be reported), and JSON Schema files that declare `$schema` (so configuration files
/// are not mistaken for contracts). Vendored copies of
/// other services' contracts are skipped.
pub fn find_contract_files(dir: &Path) -> Vec<(PathBuf, ContractKind)> {
    let mut out = Vec::new();
    walk(dir, 0, &mut out);
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<(PathBuf, ContractKind)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if depth < 8 && searched(&name) {
                walk(&path, depth + 1, out);
            }
            continue;
        }
        if !has_contract_extension(&name) {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        if let Some(kind) = contract_kind(&name, &bytes) {
            out.push((path, kind));
        }
    }
}

/// Whether contracts are searched for in a folder of this name: not hidden, not a build output, not vendored
/// copies of other services' contracts.
pub fn searched(folder: &str) -> bool {
    !folder.starts_with('.') && !SKIP.contains(&folder)
}

/// What a file is, when it is a contract as [`find_contract_files`] counts them: a `.yaml`, `.yml` or `.json`
/// file that is an OpenAPI, Swagger or AsyncAPI document of any version, or a JSON Schema declaring `$schema`.
/// A file that does not parse is not counted.
pub fn contract_kind(name: &str, bytes: &[u8]) -> Option<ContractKind> {
    if !has_contract_extension(name) {
        return None;
    }
    let parsed = parse(name, bytes, Format::detect(name, bytes), &Limits::default());
    let root = parsed.root?;
    let kind = detect_kind(&root);
    let keep = match kind {
        ContractKind::JsonSchema => root.get("$schema").is_some(),
        // An `openapi: 4.0` document is a contract this version cannot read: keep it so lint says so.
        ContractKind::Unknown => ["openapi", "asyncapi"]
            .iter()
            .any(|k| root.get(k).is_some()),
        _ => true,
    };
    keep.then_some(kind)
}

fn has_contract_extension(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")
}
