//! notification-service: consumes `order.confirmed` (order-service's `order-events`) and sends the customer a
//! confirmation. Sending goes through a mail relay; the `fails` fault makes the relay refuse every message, so
//! each confirmation is retried with backoff and then dead-lettered, while checkouts go on succeeding.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use seamline_runtime::{
    ConsumeError, ConsumerConfig, Delivered, Outcome, Schemas, Telemetry, Upcasters, run_supervised,
};
use serde_json::Value;

/// An incident to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// The mail relay refuses every message.
    Fails,
}

impl Fault {
    pub fn parse(name: &str) -> Option<Fault> {
        match name {
            "none" => Some(Fault::None),
            "fails" => Some(Fault::Fails),
            _ => None,
        }
    }
}

/// Where and how the service runs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub amqp_url: String,
    /// The exchange order-service publishes on (`orders`).
    pub orders_exchange: String,
    /// This service's queue; its dead-letter queue is `<queue>.dlq`.
    pub queue: String,
    pub base_delay: Duration,
    pub fault: Fault,
    pub telemetry: Option<Telemetry>,
}

impl Settings {
    /// The names `seam.toml` and the contract use.
    pub fn new(amqp_url: &str) -> Settings {
        Settings {
            amqp_url: amqp_url.into(),
            orders_exchange: "orders".into(),
            queue: "notification-service.orders".into(),
            base_delay: Duration::from_millis(200),
            fault: Fault::None,
            telemetry: None,
        }
    }
}

/// The confirmations sent, by order id, in order.
#[derive(Debug, Clone, Default)]
pub struct Outbox(Arc<Mutex<Vec<String>>>);

impl Outbox {
    pub fn sent(&self) -> Vec<String> {
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

fn contract() -> Result<Arc<Schemas>, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("contracts/vendor/order-service/order-events.asyncapi.yaml");
    Schemas::from_contract(&path).map(Arc::new)
}

/// Runs until `shutdown` completes.
pub async fn run(
    settings: Settings,
    outbox: Outbox,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), String> {
    let manifest = seamline_runtime::read_manifest(Path::new(env!("CARGO_MANIFEST_DIR")))?;
    let mut config = ConsumerConfig::for_partner(
        &manifest,
        "order-service",
        &settings.orders_exchange,
        &settings.queue,
    )?;
    config.base_delay = settings.base_delay;
    config.schemas = Some(contract()?);
    config.telemetry = settings.telemetry.clone();
    let upcasters = Upcasters::new().accept("order.confirmed@1", Ok::<Value, String>);
    upcasters.check(&manifest, "order-service")?;
    let fault = settings.fault;
    let handler = |confirmed: Delivered<Value>| {
        let outbox = outbox.clone();
        async move { send(fault, &outbox, &confirmed) }
    };
    run_supervised(
        &settings.amqp_url,
        "notification-service",
        config,
        &upcasters,
        handler,
        shutdown,
    )
    .await
    .map_err(|e: ConsumeError| e.to_string())
}

fn send(fault: Fault, outbox: &Outbox, confirmed: &Delivered<Value>) -> Outcome {
    let order_id = confirmed.data["order_id"].as_str().unwrap_or_default();
    if fault == Fault::Fails {
        return Outcome::Retry(format!(
            "the mail relay refused the confirmation of order {order_id}: 421 service not available"
        ));
    }
    match outbox.0.lock() {
        Ok(mut sent) => {
            sent.push(order_id.to_owned());
            Outcome::Done
        }
        Err(_) => Outcome::Retry("the outbox is unavailable".into()),
    }
}
