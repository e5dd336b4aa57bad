//! The order-service process.

use std::time::Duration;

use checkout_order_service::Settings;
use clap::Parser;
use seamline_runtime::Telemetry;

/// order-service: takes checkouts (contracts/order-api.yaml), charges through payment-service and waits for
/// inventory-service's reservation.
#[derive(Parser)]
struct Args {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// RabbitMQ.
    #[arg(
        long,
        env = "AMQP_URL",
        default_value = "amqp://guest:guest@127.0.0.1:5672/%2f"
    )]
    amqp: String,
    /// payment-service's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8081")]
    payment: String,
    /// How long a checkout waits for inventory-service's answer.
    #[arg(long, value_name = "MS", default_value_t = 3000)]
    reserve_timeout_ms: u64,
    /// Accept only `inventory.stock_reserved` v1 (a consumer that has not followed the migration).
    #[arg(long)]
    accept_only_v1: bool,
    /// Append spans to this file as OTLP/JSON lines.
    #[arg(long, value_name = "FILE")]
    traces: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let mut settings = Settings::new(&args.amqp, &args.payment);
    settings.reserve_timeout = Duration::from_millis(args.reserve_timeout_ms);
    settings.accept_v2 = !args.accept_only_v1;
    if let Some(path) = &args.traces {
        settings.telemetry = Some(
            Telemetry::to_file("order-service", path).unwrap_or_else(|e| {
                eprintln!("order-service: cannot write {}: {e}", path.display());
                std::process::exit(2)
            }),
        );
    }
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .unwrap_or_else(|e| {
            eprintln!("order-service: cannot listen on {}: {e}", args.listen);
            std::process::exit(2)
        });
    let bound = listener
        .local_addr()
        .map_or(args.listen.clone(), |a| a.to_string());
    eprintln!("order-service listening on http://{bound}");
    let shutdown = tokio_util::sync::CancellationToken::new();
    let signal = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        signal.cancel();
    });
    let telemetry = settings.telemetry.clone();
    let served = checkout_order_service::serve(settings, listener, shutdown).await;
    // Spans leave in batches: write out the last ones before the process ends.
    if let Some(t) = telemetry {
        let _ = tokio::task::spawn_blocking(move || t.shutdown()).await;
    }
    if let Err(e) = served {
        eprintln!("order-service: {e}");
        std::process::exit(1);
    }
}
