//! The payment-service process.

use checkout_payment_service::Fault;
use clap::Parser;
use seamline_runtime::Telemetry;

/// payment-service: charges customers over HTTP (contracts/payment-api.yaml).
#[derive(Parser)]
struct Args {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: String,
    /// An incident to reproduce: none, unavailable (503) or slow (2.5 s).
    #[arg(long, default_value = "none", value_parser = |s: &str| Fault::parse(s).ok_or("none, unavailable or slow"))]
    fault: Fault,
    /// Append spans to this file as OTLP/JSON lines.
    #[arg(long, value_name = "FILE")]
    traces: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let telemetry = args.traces.as_deref().map(|path| {
        Telemetry::to_file("payment-service", path).unwrap_or_else(|e| {
            eprintln!("payment-service: cannot write {}: {e}", path.display());
            std::process::exit(2)
        })
    });
    let (router, _) = checkout_payment_service::app(args.fault, telemetry.clone());
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .unwrap_or_else(|e| {
            eprintln!("payment-service: cannot listen on {}: {e}", args.listen);
            std::process::exit(2)
        });
    let bound = listener
        .local_addr()
        .map_or(args.listen.clone(), |a| a.to_string());
    eprintln!(
        "payment-service listening on http://{bound} (fault: {:?})",
        args.fault
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await;
    // Spans leave in batches: write out the last ones before the process ends.
    if let Some(t) = telemetry {
        let _ = tokio::task::spawn_blocking(move || t.shutdown()).await;
    }
    if let Err(e) = served {
        eprintln!("payment-service: {e}");
        std::process::exit(1);
    }
}
