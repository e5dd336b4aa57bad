//! `inventory-service [--amqp URL] [--fault none|never-publishes|only-v2|wrong-routing-key] [--traces FILE]`

use seamline_runtime::Telemetry;

fn usage(problem: &str) -> ! {
    eprintln!(
        "inventory-service: {problem}\nusage: inventory-service [--amqp URL] [--fault none|never-publishes|only-v2|wrong-routing-key] [--traces FILE]"
    );
    std::process::exit(2);
}

#[tokio::main]
async fn main() {
    let mut settings = checkout_inventory_service::Settings::new(
        &std::env::var("AMQP_URL")
            .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into()),
    );
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--amqp" => settings.amqp_url = value(),
            "--fault" => {
                let name = value();
                settings.fault = checkout_inventory_service::Fault::parse(&name)
                    .unwrap_or_else(|| usage(&format!("unknown fault `{name}`")));
            }
            "--traces" => {
                let path = value();
                settings.telemetry = Some(
                    Telemetry::to_file("inventory-service", std::path::Path::new(&path))
                        .unwrap_or_else(|e| usage(&format!("cannot write {path}: {e}"))),
                );
            }
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    eprintln!(
        "inventory-service consuming `{}` (fault: {:?})",
        settings.queue, settings.fault
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(e) = checkout_inventory_service::run(settings, Default::default(), shutdown).await {
        eprintln!("inventory-service: {e}");
        std::process::exit(1);
    }
}
