//! The gateway process.

use clap::Parser;
use seamline_runtime::Telemetry;

/// gateway: the public checkout endpoint (contracts/checkout-api.yaml), in front of order-service.
#[derive(Parser)]
struct Args {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8000")]
    listen: String,
    /// order-service's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    order: String,
    /// Append spans to this file as OTLP/JSON lines.
    #[arg(long, value_name = "FILE")]
    traces: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let telemetry = args.traces.as_ref().map(|path| {
        Telemetry::to_file("gateway", path).unwrap_or_else(|e| {
            eprintln!("gateway: cannot write {}: {e}", path.display());
            std::process::exit(2)
        })
    });
    let app = checkout_gateway::app(&args.order, telemetry.clone()).unwrap_or_else(|e| {
        eprintln!("gateway: {e}");
        std::process::exit(2)
    });
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .unwrap_or_else(|e| {
            eprintln!("gateway: cannot listen on {}: {e}", args.listen);
            std::process::exit(2)
        });
    let bound = listener
        .local_addr()
        .map_or(args.listen.clone(), |a| a.to_string());
    eprintln!("gateway listening on http://{bound}");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    // Spans leave in batches: write out the last ones before the process ends.
    if let Some(t) = telemetry {
        let _ = tokio::task::spawn_blocking(move || t.shutdown()).await;
    }
    if let Err(e) = served {
        eprintln!("gateway: {e}");
        std::process::exit(1);
    }
}
