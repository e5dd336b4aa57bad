//! `checkout`: the checkout example's five services in one command, and a driver for them.

use std::path::PathBuf;
use std::process::ExitCode;

use checkout_system::{Incident, Options, SERVICES, System, drive, trace_file};
use clap::{Parser, Subcommand};

/// Runs the checkout example (gateway, order, payment, inventory, notification) against RabbitMQ, with an
/// incident switched on if asked, and drives checkouts through it.
#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Starts all five services and runs until Ctrl-C.
    Up {
        /// RabbitMQ.
        #[arg(
            long,
            env = "AMQP_URL",
            default_value = "amqp://guest:guest@127.0.0.1:5672/%2f"
        )]
        amqp: String,
        /// An incident to reproduce: missing-publish, wrong-routing-key, version-mismatch, payment-unavailable,
        /// payment-slow or notification-fails.
        #[arg(long, value_parser = |s: &str| Incident::parse(s).ok_or_else(|| format!("no incident {s:?}; one of: {}", Incident::ALL.map(Incident::name).join(", "))))]
        incident: Option<Incident>,
        /// Where the gateway listens.
        #[arg(long, default_value = "127.0.0.1:8000")]
        listen: String,
        /// Each service appends its spans to DIR/<service>.otlp.jsonl, and their log lines (JSON, with the
        /// trace and span of each failed delivery) go to DIR/services.log.jsonl.
        #[arg(long, value_name = "DIR", default_value = "checkout-traces")]
        traces: PathBuf,
        /// Put before every exchange and queue name, to keep this system apart from others on the broker.
        #[arg(long)]
        prefix: Option<String>,
    },
    /// Sends checkouts through the gateway and logs every answer, with its trace id, as a JSON line.
    Drive {
        /// The gateway's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8000")]
        gateway: String,
        /// How many checkouts.
        #[arg(short = 'n', long, default_value_t = 20)]
        checkouts: usize,
        /// How many at once.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// Append the log lines to this file (JSON Lines, read by `seam trace diagnose --logs`).
        #[arg(long, value_name = "FILE", default_value = "checkouts.jsonl")]
        log: PathBuf,
    },
}

/// Sends the services' log events (the runtime's warnings: failed deliveries, reconnections) to
/// `DIR/services.log.jsonl` as JSON lines, the fields at the top level where `seam trace diagnose --logs` reads them.
fn log_to(dir: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join("services.log.jsonl");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_max_level(tracing_subscriber::filter::LevelFilter::INFO)
        .with_writer(std::sync::Mutex::new(file))
        .try_init()
        .map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Up {
            amqp,
            incident,
            listen,
            traces,
            prefix,
        } => {
            let mut options = Options::new(&amqp);
            options.incident = incident;
            options.listen = listen;
            options.traces = Some(traces.clone());
            options.prefix = prefix;
            let system = match System::start(&options).await {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("checkout: {e}");
                    return ExitCode::from(1);
                }
            };
            // From here on: the readiness probes' expected "no queue" errors stay out of the log.
            if let Err(e) = log_to(&traces) {
                eprintln!("checkout: {e}");
                let _ = system.stop().await;
                return ExitCode::from(2);
            }
            eprintln!(
                "checkout: gateway on {} (incident: {}); spans go to {}",
                system.gateway,
                incident.map_or("none", Incident::name),
                SERVICES
                    .map(|s| trace_file(&traces, s).display().to_string())
                    .join(", ")
            );
            eprintln!("checkout: Ctrl-C stops every service and writes out the last spans");
            let _ = tokio::signal::ctrl_c().await;
            match system.stop().await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("checkout: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Drive {
            gateway,
            checkouts,
            concurrency,
            log,
        } => {
            let run = format!(
                "drive-{}",
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs())
            );
            match drive(&gateway, &run, checkouts, concurrency, Some(&log)).await {
                Ok(d) => {
                    let statuses: Vec<String> = d
                        .statuses
                        .iter()
                        .map(|(s, n)| format!("{n} × {s}"))
                        .collect();
                    println!(
                        "{checkouts} checkout(s): {}{}; logged to {}",
                        statuses.join(", "),
                        if d.unanswered > 0 {
                            format!(", {} unanswered", d.unanswered)
                        } else {
                            String::new()
                        },
                        log.display()
                    );
                    if d.unanswered > 0 || d.statuses.keys().any(|s| *s >= 500) {
                        ExitCode::from(1)
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                Err(e) => {
                    eprintln!("checkout drive: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
