//! `seam context`: the assistant files, written or checked.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, bail};
use seamline_context::{Change, Settings, Target, gather, generate, plan};
use seamline_diagnostics::{Diagnostic, Severity};
use seamline_trace::render::count_tokens;
use serde_json::{Map, Value, json};

use crate::Status;

/// A line on standard output; a closed pipe (`seam context | head`) is not an error worth a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
use crate::args::{ContextArgs, Format, Global};
use crate::commands::write_atomically;

pub(crate) fn run(global: &Global, args: &ContextArgs) -> anyhow::Result<Status> {
    let json = global.format == Some(Format::Json);
    let dir = &args.dir;
    let Some(changes) = changes(dir)? else {
        return Ok(Status::InputError);
    };
    let refused = report_refusals(&changes, args.force_keep);
    if args.check {
        let stale: Vec<&Change> = changes
            .iter()
            .filter(|c| c.is_stale() && c.after.is_ok())
            .collect();
        if json {
            let paths: Vec<&str> = stale.iter().map(|c| c.path.as_str()).collect();
            say!(
                "{}",
                json!({ "up_to_date": stale.is_empty() && refused == 0, "stale": paths })
            );
        } else {
            for c in &stale {
                print_diff(c);
            }
        }
        if refused > 0 {
            return Ok(Status::InputError);
        }
        if stale.is_empty() {
            say!("assistant files are up to date ({} files)", changes.len());
            return Ok(Status::Clean);
        }
        eprintln!(
            "{} file(s) out of date: run `seam context` and commit the result",
            stale.len()
        );
        return Ok(Status::Findings);
    }
    if refused > 0 && !args.force_keep {
        return Ok(Status::InputError);
    }
    let mut kept = 0;
    let mut listed = Vec::new();
    for c in &changes {
        let path = dir.join(&c.path);
        let (state, text) = match &c.after {
            Ok(after) if c.linked_to.is_some() => ("linked", after.clone()),
            Ok(after) if c.before.as_deref() == Some(after.as_str()) => {
                ("unchanged", after.clone())
            }
            Ok(after) => {
                write_atomically(&path, after.as_bytes())?;
                (
                    if c.before.is_some() {
                        "updated"
                    } else {
                        "created"
                    },
                    after.clone(),
                )
            }
            Err(_) => {
                // --force-keep: the edited file stays; the version seam would write goes beside it.
                let (prefix, body) = block_body(c, dir)?;
                let fresh = seamline_context::blocks::apply(None, &prefix, &body)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let beside = format!("{}.new", c.path);
                write_atomically(&dir.join(&beside), fresh.as_bytes())?;
                kept += 1;
                ("kept", fresh)
            }
        };
        let tokens = count_tokens(&text);
        if json {
            listed.push(json!({ "path": c.path, "state": state, "tokens": tokens, "always_loaded": c.always_loaded, "linked_to": c.linked_to }));
        } else {
            let loaded = if c.always_loaded {
                ", always loaded"
            } else {
                ""
            };
            match &c.linked_to {
                Some(to) => say!(
                    "{:<44} {:<9} (one file with {to} through a link; written as {to})",
                    c.path,
                    state
                ),
                None => say!("{:<44} {:<9} {tokens:>5} tokens{loaded}", c.path, state),
            }
        }
    }
    if json {
        say!("{}", json!({ "files": listed }));
    }
    if args.mcp_config {
        write_mcp_configs(dir)?;
    }
    Ok(if kept > 0 {
        Status::Findings
    } else {
        Status::Clean
    })
}

/// The files and their wanted contents, or `None` after printing why the service cannot be read.
pub(crate) fn changes(dir: &Path) -> anyhow::Result<Option<Vec<Change>>> {
    if !dir.join("seam.toml").is_file() {
        bail!(
            "no seam.toml in `{}`; `seam context` runs in a service folder (create one with `seam init`)",
            dir.display()
        );
    }
    let (facts, manifest) = match gather(dir) {
        Ok(found) => found,
        Err(e) => {
            eprintln!("error: {e}");
            if let seamline_context::FactsError::Manifest { help: Some(h), .. } = &e {
                eprintln!("  help: {h}");
            }
            return Ok(None);
        }
    };
    let settings = Settings::from_manifest(&manifest);
    let generated = match generate(&facts, &settings) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: seam.toml: {e}");
            eprintln!(
                "  help: raise `[context] budget_tokens` (now {}), or trim what seam.toml lists",
                settings.budget_tokens
            );
            return Ok(None);
        }
    };
    match plan(dir, &generated) {
        Ok(changes) => Ok(Some(changes)),
        Err((path, e)) => bail!("cannot read {}: {e}", dir.join(path).display()),
    }
}

/// For `seam check`: a finding per assistant file that `seam context` would change, once the service uses
/// assistant files at all (`[context]` in seam.toml, or a file with a block).
pub(crate) fn stale_diagnostics(dir: &Path) -> anyhow::Result<Vec<Diagnostic>> {
    let Some(changes) = changes(dir)? else {
        bail!("the assistant files cannot be worked out (see above)");
    };
    let configured = seamline_model::read_manifest(&dir.join("seam.toml"), "seam.toml")
        .ok()
        .and_then(|r| r.manifest)
        .is_some_and(|m| m.root.get("context").is_some());
    let adopted = changes.iter().any(|c| {
        c.before
            .as_deref()
            .is_some_and(|t| t.contains("<!-- seam:begin"))
    });
    if !configured && !adopted {
        return Ok(Vec::new());
    }
    Ok(changes
        .iter()
        .filter(|c| c.is_stale())
        .map(|c| {
            let path = dir.join(&c.path).display().to_string();
            match &c.after {
                Err(e) => Diagnostic::new(
                    "SEAM-A002",
                    "assistant-context-edited",
                    Severity::Error,
                    format!("line {}: {e}", e.line()),
                )
                .with_path(path)
                .with_help(e.help()),
                Ok(_) => Diagnostic::new(
                    "SEAM-A001",
                    "assistant-context-stale",
                    Severity::Error,
                    if c.before.is_some() {
                        "not what `seam context` writes from seam.toml and the contracts now"
                    } else {
                        "missing"
                    },
                )
                .with_path(path)
                .with_help("run `seam context` and commit the result (`seam context --check` shows the difference)"),
            }
        })
        .collect())
}

/// Prints each file whose block cannot be replaced; returns how many.
fn report_refusals(changes: &[Change], force_keep: bool) -> usize {
    let mut n = 0;
    for c in changes {
        if let Err(e) = &c.after {
            n += 1;
            eprintln!("error: {}:{}: {e}", c.path, e.line());
            if !(force_keep && matches!(e, seamline_context::BlockError::Edited { .. })) {
                eprintln!("  help: {}", e.help());
            }
        }
    }
    n
}

/// What a new file at a refused file's path would start with, and its block text (to write beside it).
fn block_body(c: &Change, dir: &Path) -> anyhow::Result<(String, String)> {
    let (facts, manifest) = gather(dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let generated = generate(&facts, &Settings::from_manifest(&manifest))?;
    generated
        .into_iter()
        .find(|g| g.path == c.path)
        .map(|g| (g.fresh_prefix, g.body))
        .context("the file is no longer generated")
}

fn print_diff(c: &Change) {
    let (Some(before), Ok(after)) = (c.before.as_deref(), c.after.as_ref()) else {
        if c.before.is_none() {
            say!("{}: missing (seam context would create it)", c.path);
        }
        return;
    };
    let diff = similar::TextDiff::from_lines(before, after.as_str());
    let diff = diff
        .unified_diff()
        .context_radius(2)
        .header(&format!("a/{}", c.path), &format!("b/{}", c.path))
        .to_string();
    let _ = std::io::stdout().write_all(diff.as_bytes());
}

/// The MCP client configuration of each targeted assistant, with a `seam` server added or updated and every
/// other entry kept.
fn write_mcp_configs(dir: &Path) -> anyhow::Result<()> {
    let (_, manifest) = gather(dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let settings = Settings::from_manifest(&manifest);
    let server = json!({ "command": "seam", "args": ["mcp"] });
    for target in &settings.targets {
        let (path, key, entry) = match target {
            Target::Claude => (".mcp.json", "mcpServers", server.clone()),
            Target::Cursor => (".cursor/mcp.json", "mcpServers", server.clone()),
            Target::Copilot => (
                ".vscode/mcp.json",
                "servers",
                json!({ "type": "stdio", "command": "seam", "args": ["mcp"] }),
            ),
            Target::Agents => continue,
        };
        let file = dir.join(path);
        let mut config: Value = match std::fs::read_to_string(&file) {
            Ok(text) => serde_json::from_str(&text).with_context(|| {
                format!("{path} is not valid JSON; fix it or move it away, then run again")
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => json!({}),
            Err(e) => return Err(e).with_context(|| format!("reading {path}")),
        };
        let Some(object) = config.as_object_mut() else {
            bail!("{path} is not a JSON object; fix it or move it away, then run again");
        };
        let servers = object
            .entry(key)
            .or_insert_with(|| Value::Object(Map::new()));
        let Some(servers) = servers.as_object_mut() else {
            bail!("`{key}` in {path} is not a JSON object");
        };
        if servers.get("seam") == Some(&entry) {
            say!("{path:<44} unchanged");
            continue;
        }
        servers.insert("seam".into(), entry);
        let mut text = serde_json::to_string_pretty(&config)?;
        text.push('\n');
        write_atomically(&file, text.as_bytes())?;
        say!("{path:<44} updated");
    }
    Ok(())
}
