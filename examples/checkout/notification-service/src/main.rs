//! The notification-service process.

use checkout_notification_service::{Fault, Settings};
use clap::Parser;
use seamline_runtime::Telemetry;

/// notification-service: confirms orders to customers (consumes order.confirmed).
#[derive(Parser)]
struct Args {
    /// RabbitMQ.
    #[arg(
        long,
        env = "AMQP_URL",
        default_value = "amqp://guest:guest@127.0.0.1:5672/%2f"
    )]
    amqp: String,
    /// An incident to reproduce: none or fails.
    #[arg(long, default_value = "none", value_parser = |s: &str| Fault::parse(s).ok_or("none or fails"))]
    fault: Fault,
    /// Append spans to this file as OTLP/JSON lines.
    #[arg(long, value_name = "FILE")]
    traces: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let mut settings = Settings::new(&args.amqp);
    settings.fault = args.fault;
    if let Some(path) = &args.traces {
        settings.telemetry = Some(
            Telemetry::to_file("notification-service", path).unwrap_or_else(|e| {
                eprintln!("notification-service: cannot write {}: {e}", path.display());
                std::process::exit(2)
            }),
        );
    }
    eprintln!(
        "notification-service consuming `{}` (fault: {:?})",
        settings.queue, settings.fault
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let telemetry = settings.telemetry.clone();
    let ran = checkout_notification_service::run(settings, Default::default(), shutdown).await;
    // Spans leave in batches: write out the last ones before the process ends.
    if let Some(t) = telemetry {
        let _ = tokio::task::spawn_blocking(move || t.shutdown()).await;
    }
    if let Err(e) = ran {
        eprintln!("notification-service: {e}");
        std::process::exit(1);
    }
}
