//! `order-service [--listen ADDR] [--amqp URL] [--payment URL] [--reserve-timeout-ms N] [--accept-only-v1] [--traces FILE]`

use std::time::Duration;

use seamline_runtime::Telemetry;

fn usage(problem: &str) -> ! {
    eprintln!(
        "order-service: {problem}\nusage: order-service [--listen ADDR] [--amqp URL] [--payment URL] [--reserve-timeout-ms N] [--accept-only-v1] [--traces FILE]"
    );
    std::process::exit(2);
}

#[tokio::main]
async fn main() {
    let mut listen = "127.0.0.1:8080".to_owned();
    let mut settings = checkout_order_service::Settings::new(
        &std::env::var("AMQP_URL")
            .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into()),
        "http://127.0.0.1:8081",
    );
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--listen" => listen = value(),
            "--amqp" => settings.amqp_url = value(),
            "--payment" => settings.payment_url = value().trim_end_matches('/').to_owned(),
            "--reserve-timeout-ms" => {
                let v = value();
                let ms: u64 = v
                    .parse()
                    .unwrap_or_else(|_| usage(&format!("`{v}` is not a number of milliseconds")));
                settings.reserve_timeout = Duration::from_millis(ms);
            }
            "--accept-only-v1" => settings.accept_v2 = false,
            "--traces" => {
                let path = value();
                settings.telemetry = Some(
                    Telemetry::to_file("order-service", std::path::Path::new(&path))
                        .unwrap_or_else(|e| usage(&format!("cannot write {path}: {e}"))),
                );
            }
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .unwrap_or_else(|e| usage(&format!("cannot listen on {listen}: {e}")));
    let bound = listener.local_addr().map_or(listen, |a| a.to_string());
    eprintln!("order-service listening on http://{bound}");
    let shutdown = tokio_util::sync::CancellationToken::new();
    let signal = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        signal.cancel();
    });
    if let Err(e) = checkout_order_service::serve(settings, listener, shutdown).await {
        eprintln!("order-service: {e}");
        std::process::exit(1);
    }
}
