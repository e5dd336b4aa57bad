//! `payment-service [--listen ADDR] [--fault none|unavailable|slow] [--traces FILE]`

use seamline_runtime::Telemetry;

fn usage(problem: &str) -> ! {
    eprintln!(
        "payment-service: {problem}\nusage: payment-service [--listen ADDR] [--fault none|unavailable|slow] [--traces FILE]"
    );
    std::process::exit(2);
}

#[tokio::main]
async fn main() {
    let mut listen = "127.0.0.1:8081".to_owned();
    let mut fault = checkout_payment_service::Fault::None;
    let mut traces = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--listen" => listen = value(),
            "--fault" => {
                let name = value();
                fault = checkout_payment_service::Fault::parse(&name)
                    .unwrap_or_else(|| usage(&format!("unknown fault `{name}`")));
            }
            "--traces" => traces = Some(value()),
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    let telemetry = traces.map(|path| {
        Telemetry::to_file("payment-service", std::path::Path::new(&path))
            .unwrap_or_else(|e| usage(&format!("cannot write {path}: {e}")))
    });
    let (router, _) = checkout_payment_service::app(fault, telemetry);
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .unwrap_or_else(|e| usage(&format!("cannot listen on {listen}: {e}")));
    let bound = listener.local_addr().map_or(listen, |a| a.to_string());
    eprintln!("payment-service listening on http://{bound} (fault: {fault:?})");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(e) = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("payment-service: {e}");
        std::process::exit(1);
    }
}
