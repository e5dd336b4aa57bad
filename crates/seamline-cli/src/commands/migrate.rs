//! `seam migrate start | status | advance | abort`: the registry keeps each migration and judges its gates; this
//! sends the steps and shows where each migration stands.

use std::fmt::Write as _;

use anyhow::bail;
use seamline_model::path_segment;
use serde_json::{Value, json};

use crate::Status;
use crate::args::{DataFormat, MigrateCommand, MigrationOf};
use crate::commands::registry_client::{Client, segment};

pub(crate) fn run(command: &MigrateCommand) -> anyhow::Result<Status> {
    match command {
        MigrateCommand::Evidence(args) => crate::commands::trace::evidence(args),
        MigrateCommand::Start(args) => {
            let (client, service) = producer(&args.on)?;
            let window_ms = seamline_registry::migrate::parse_duration(&args.window)
                .map_err(anyhow::Error::msg)?;
            let body = json!({
                "contract": args.contract,
                "message": args.message,
                "from": args.from,
                "to": args.to,
                "window_ms": window_ms,
            });
            let answer = client.post(
                &format!("/api/v1/migrations/{}", path_segment(&service)),
                &body,
            )?;
            step(answer, args.format, "starting the migration")
        }
        MigrateCommand::Status(args) => status(args.message.as_deref(), &args.on, args.format),
        MigrateCommand::Advance(args) | MigrateCommand::Abort(args) => {
            let (client, service) = producer(&args.on)?;
            let (verb, doing) = match command {
                MigrateCommand::Advance(_) => ("advance", "advancing the migration"),
                _ => ("abort", "aborting the migration"),
            };
            let answer = client.post(
                &format!(
                    "/api/v1/migrations/{}/{}/{verb}",
                    path_segment(&service),
                    path_segment(&args.message)
                ),
                &Value::Null,
            )?;
            step(answer, args.format, doing)
        }
    }
}

/// The registry, and the producing service: `--service`, else the service of seam.toml in `--dir`.
fn producer(on: &MigrationOf) -> anyhow::Result<(Client, String)> {
    let client = Client::new(&on.registry, &on.dir)?;
    let service = match &on.service {
        Some(service) => service.clone(),
        None => crate::commands::registry::manifest(&on.dir)?.name.value,
    };
    segment("service name", &service)?;
    Ok((client, service))
}

/// A refused step (409) is the answer "no" with its reason, exit 1; any other failure is an error.
fn step(
    answer: crate::commands::registry_client::Answer,
    format: Option<DataFormat>,
    doing: &str,
) -> anyhow::Result<Status> {
    if answer.status == 409 {
        let detail = answer.body["detail"].as_str().unwrap_or("refused");
        if format == Some(DataFormat::Json) {
            println!("{}", serde_json::to_string_pretty(&answer.body)?);
        } else {
            println!("refused: {detail}");
        }
        return Ok(Status::Findings);
    }
    let status = answer.ok(doing)?;
    print_status(&status, format)?;
    Ok(Status::Clean)
}

fn status(
    message: Option<&str>,
    on: &MigrationOf,
    format: Option<DataFormat>,
) -> anyhow::Result<Status> {
    let client = Client::new(&on.registry, &on.dir)?;
    let list = client.get("/api/v1/migrations")?.ok("listing migrations")?;
    let all = list.as_array().cloned().unwrap_or_default();
    let Some(message) = message else {
        if format == Some(DataFormat::Json) {
            println!("{}", serde_json::to_string_pretty(&list)?);
        } else if all.is_empty() {
            println!("no migration yet; start one with `seam migrate start`");
        } else {
            for m in &all {
                println!("{}", one_line(m));
            }
        }
        return Ok(Status::Clean);
    };
    // The producer: --service, else whichever service migrates the message (the active migration first).
    let service = match &on.service {
        Some(service) => service.clone(),
        None => {
            let mut producers: Vec<&str> = all
                .iter()
                .filter(|m| m["message"] == message)
                .filter_map(|m| m["service"].as_str())
                .collect();
            producers.dedup();
            match producers.as_slice() {
                [] => bail!(
                    "no migration of {message} in the registry; `seam migrate status` lists them"
                ),
                [one] => (*one).to_owned(),
                many => bail!(
                    "{} publish a migration of {message}: say which with --service",
                    many.join(" and ")
                ),
            }
        }
    };
    segment("service name", &service)?;
    let status = client
        .get(&format!(
            "/api/v1/migrations/{}/{}",
            path_segment(&service),
            path_segment(message)
        ))?
        .ok(&format!("reading the migration of {message}"))?;
    print_status(&status, format)?;
    Ok(Status::Clean)
}

fn print_status(status: &Value, format: Option<DataFormat>) -> anyhow::Result<()> {
    if format == Some(DataFormat::Json) {
        println!("{}", serde_json::to_string_pretty(status)?);
    } else {
        print!("{}", render(status));
    }
    Ok(())
}

/// `inventory-service inventory.stock_reserved v1 → v2: phase 2 of 5 (dual-publish), active`.
fn one_line(m: &Value) -> String {
    let s = |k: &str| m[k].as_str().unwrap_or("?").to_owned();
    let phase = m["phase"].as_u64().unwrap_or(0);
    let name = seamline_registry::migrate::PHASES
        .get(usize::try_from(phase).unwrap_or(0).wrapping_sub(1))
        .copied()
        .unwrap_or("?");
    format!(
        "{} {} v{} → v{}: phase {phase} of 5 ({name}), {}",
        s("service"),
        s("message"),
        m["from"],
        m["to"],
        s("state")
    )
}

/// The whole status: the gates (evidence of those passed, what keeps the others shut), then each environment's
/// parties with what spans show them doing and their duty now.
fn render(status: &Value) -> String {
    let mut out = String::new();
    let window = status["window_ms"].as_i64().unwrap_or(0);
    let _ = writeln!(
        out,
        "{}; window {}",
        one_line(status),
        seamline_registry::migrate::duration(window)
    );
    let next = status["next"].as_u64();
    for gate in status["gates"].as_array().into_iter().flatten() {
        let phase = gate["phase"].as_u64().unwrap_or(0);
        let passed = gate["passed"].as_bool().unwrap_or(false);
        let _ = writeln!(
            out,
            "  {} {phase} {}{}",
            if passed { "✓" } else { "✗" },
            gate["name"].as_str().unwrap_or("?"),
            if next == Some(phase) {
                "  ← next"
            } else {
                ""
            }
        );
        let lines = if passed {
            &gate["evidence"]
        } else {
            &gate["blockers"]
        };
        for line in lines.as_array().into_iter().flatten() {
            let _ = writeln!(out, "      {}", line.as_str().unwrap_or("?"));
        }
    }
    for env in status["environments"].as_array().into_iter().flatten() {
        let _ = writeln!(out, "{}:", env["environment"].as_str().unwrap_or("?"));
        for p in env["parties"].as_array().into_iter().flatten() {
            let declares: Vec<String> = p["declares"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|v| format!("v{v}"))
                .collect();
            let _ = writeln!(
                out,
                "  {:<14} {} {}{}",
                p["role"].as_str().unwrap_or("?"),
                p["service"].as_str().unwrap_or("?"),
                p["version"].as_str().unwrap_or("(not deployed)"),
                if declares.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", declares.join(", "))
                }
            );
            for seen in p["seen"].as_array().into_iter().flatten() {
                let _ = writeln!(
                    out,
                    "      seen: {} v{} ×{}, last {}{}",
                    seen["role"].as_str().unwrap_or("?"),
                    seen["version"].as_str().unwrap_or("?"),
                    seen["count"],
                    seamline_registry::migrate::rfc3339_ms(
                        seen["last_seen_ms"].as_i64().unwrap_or(0)
                    ),
                    seen["trace_id"]
                        .as_str()
                        .map(|t| format!(" (trace {t})"))
                        .unwrap_or_default()
                );
            }
            let _ = writeln!(out, "      → {}", p["duty"].as_str().unwrap_or("?"));
        }
    }
    out
}
