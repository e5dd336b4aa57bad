use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use seamline_model::{
    ContractKind, Workspace, WorkspaceOptions, find_contract_files, messages, operations,
};
use seamline_syntax::Limits;

use crate::Status;
use crate::args::InitArgs;

/// `seam init`: a first `seam.toml` from the contracts in the folder. Provided contracts are the ones outside
/// `contracts/vendor/`; each `contracts/vendor/<service>/<contract>.*` becomes a dependency with every operation
/// or message it declares, for the developer to trim. Timeouts and retry policies are left for the developer to
/// choose (as comments), since no default is right for every dependency; `seam lint` asks for them.
pub(crate) fn run(args: &InitArgs) -> anyhow::Result<Status> {
    let dir = &args.dir;
    let target = dir.join("seam.toml");
    if target.exists() && !args.force {
        anyhow::bail!(
            "`{}` already exists; nothing was written (use --force to replace it)",
            target.display()
        );
    }
    let canonical =
        std::fs::canonicalize(dir).with_context(|| format!("reading {}", dir.display()))?;
    let name = match &args.name {
        Some(name) => name.clone(),
        None => canonical
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "my-service".to_owned()),
    };
    let text = manifest_text(&canonical, &name);
    std::fs::write(&target, &text).with_context(|| format!("writing {}", target.display()))?;
    eprintln!(
        "wrote {}; run `seam lint` to see what it still needs",
        target.display()
    );
    Ok(Status::Clean)
}

fn manifest_text(dir: &Path, name: &str) -> String {
    let mut ws = Workspace::new(WorkspaceOptions {
        root: dir.to_owned(),
        display_base: dir.to_owned(),
        allow_remote_refs: false,
        limits: Limits::default(),
    });
    let mut out = String::new();
    let _ = writeln!(
        out,
        "[service]\nname = {}\n# owner = \"team-...\"",
        quote(name)
    );
    let relative = |p: &Path| {
        p.strip_prefix(dir)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let provided = find_contract_files(dir);
    for (path, kind) in &provided {
        let table = match kind {
            ContractKind::OpenApi30 | ContractKind::OpenApi31 => "provides.http",
            k if k.is_events() => "provides.events",
            _ => continue,
        };
        let _ = writeln!(
            out,
            "\n[[{table}]]\nname = {}\nspec = {}",
            quote(&contract_name(path)),
            quote(&relative(path))
        );
        if table == "provides.events" {
            out.push_str("# broker = \"rabbitmq\"\n");
        }
    }
    for (service, contract, path) in vendored(dir) {
        let doc = ws.load_with_refs(&path);
        let kind = ws
            .doc(doc)
            .root
            .as_ref()
            .map_or(ContractKind::Unknown, seamline_model::detect_kind);
        if kind.is_openapi() {
            let ops: Vec<String> = operations(&ws, doc)
                .iter()
                .filter_map(|o| o.operation_id())
                .map(quote)
                .collect();
            let _ = writeln!(
                out,
                "\n[[consumes.http]]\nservice = {}\ncontract = {}\noperations = [{}]   # keep only the ones this service calls\n# timeout_ms = 2000\n# retry = {{ attempts = 3, backoff = \"exponential\" }}",
                quote(&service),
                quote(&contract),
                ops.join(", ")
            );
        } else if kind.is_events() {
            let msgs: Vec<String> = messages(&ws, doc).iter().map(|m| quote(&m.id())).collect();
            let _ = writeln!(
                out,
                "\n[[consumes.events]]\nservice = {}\ncontract = {}\nmessages = [{}]   # keep only the ones this service handles\n# dead_letter = \"{name}.{}.dlq\"",
                quote(&service),
                quote(&contract),
                msgs.join(", "),
                service.trim_end_matches("-service")
            );
        }
    }
    out
}

/// `contracts/vendor/<service>/<contract>.<ext>` files, sorted.
fn vendored(dir: &Path) -> Vec<(String, String, PathBuf)> {
    let mut out = Vec::new();
    let Ok(services) = std::fs::read_dir(dir.join("contracts").join("vendor")) else {
        return out;
    };
    for service in services.flatten().filter(|e| e.path().is_dir()) {
        let Ok(files) = std::fs::read_dir(service.path()) else {
            continue;
        };
        for file in files.flatten() {
            let path = file.path();
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or_default();
            if matches!(ext, "yaml" | "yml" | "json") {
                out.push((
                    service.file_name().to_string_lossy().into_owned(),
                    contract_name(&path),
                    path,
                ));
            }
        }
    }
    out.sort();
    out
}

/// `contracts/order-api.yaml` is `order-api`; `order-events.asyncapi.yaml` is `order-events`.
fn contract_name(path: &Path) -> String {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut name = file.as_str();
    for suffix in [".yaml", ".yml", ".json", ".asyncapi", ".openapi", ".schema"] {
        name = name.strip_suffix(suffix).unwrap_or(name);
    }
    name.to_owned()
}

/// A TOML basic string.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
