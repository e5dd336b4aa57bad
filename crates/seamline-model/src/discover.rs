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
            if depth < 8 && !name.starts_with('.') && !SKIP.contains(&name.as_str()) {
                walk(&path, depth + 1, out);
            }
            continue;
        }
        let lower = name.to_ascii_lowercase();
        if !(lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")) {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let parsed = parse(
            &name,
            &bytes,
            Format::detect(&name, &bytes),
            &Limits::default(),
        );
        let Some(root) = parsed.root else { continue };
        let kind = detect_kind(&root);
        let keep = match kind {
            ContractKind::JsonSchema => root.get("$schema").is_some(),
            // An `openapi: 4.0` document is a contract this version cannot read: keep it so lint says so.
            ContractKind::Unknown => ["openapi", "asyncapi"]
                .iter()
                .any(|k| root.get(k).is_some()),
            _ => true,
        };
        if keep {
            out.push((path, kind));
        }
    }
}
