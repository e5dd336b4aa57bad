//! inventory-service: consumes `order.placed` (order-service's `order-events`), reserves the stock, and
//! publishes `inventory.stock_reserved` (v1 and v2 while that migration lasts) or
//! `inventory.stock_reservation_failed` on the `inventory` exchange, as `contracts/inventory-events.asyncapi.yaml`
//! says. Fault switches reproduce the seed's incidents on this side.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use seamline_runtime::{
    ConsumeError, ConsumerConfig, Delivered, Outcome, Publisher, Schemas, Telemetry, Upcasters,
    run_supervised,
};
use serde_json::{Value, json};

/// An incident to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// Stock is reserved, but nothing is published: order-service waits in vain.
    NeverPublishes,
    /// Only `inventory.stock_reserved` v2 is published, while order-service may accept only v1.
    OnlyV2,
    /// Published with a misspelt routing key, so no queue receives it.
    WrongRoutingKey,
}

impl Fault {
    pub fn parse(name: &str) -> Option<Fault> {
        match name {
            "none" => Some(Fault::None),
            "never-publishes" => Some(Fault::NeverPublishes),
            "only-v2" => Some(Fault::OnlyV2),
            "wrong-routing-key" => Some(Fault::WrongRoutingKey),
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
    /// The exchange this service publishes on (`inventory`).
    pub inventory_exchange: String,
    /// This service's queue of order events; its dead-letter queue is `<queue>.dlq`.
    pub queue: String,
    pub warehouse: String,
    pub fault: Fault,
    pub telemetry: Option<Telemetry>,
}

impl Settings {
    /// The names `seam.toml` and the contracts use.
    pub fn new(amqp_url: &str) -> Settings {
        Settings {
            amqp_url: amqp_url.into(),
            orders_exchange: "orders".into(),
            inventory_exchange: "inventory".into(),
            queue: "inventory-service.orders".into(),
            warehouse: "berlin-1".into(),
            fault: Fault::None,
            telemetry: None,
        }
    }
}

/// The stock, by SKU. Every SKU starts with 100 units unless set otherwise.
#[derive(Debug, Clone, Default)]
pub struct Stock(Arc<Mutex<HashMap<String, i64>>>);

impl Stock {
    pub fn set(&self, sku: &str, units: i64) {
        if let Ok(mut s) = self.0.lock() {
            s.insert(sku.into(), units);
        }
    }

    /// Takes every line or none; the first SKU short of stock when it cannot.
    fn reserve(&self, lines: &[(String, i64)]) -> Result<(), String> {
        let mut stock = self
            .0
            .lock()
            .map_err(|_| "the stock is unavailable".to_owned())?;
        for (sku, quantity) in lines {
            if *stock.get(sku).unwrap_or(&100) < *quantity {
                return Err(format!("not enough {sku}"));
            }
        }
        for (sku, quantity) in lines {
            *stock.entry(sku.clone()).or_insert(100) -= quantity;
        }
        Ok(())
    }
}

fn contract() -> Result<Arc<Schemas>, String> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts/inventory-events.asyncapi.yaml");
    Schemas::from_contract(&path).map(Arc::new)
}

/// Runs until `shutdown` completes: consumes placed orders, reserves stock, publishes the outcome.
pub async fn run(
    settings: Settings,
    stock: Stock,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), String> {
    let schemas = contract()?;
    let mut publisher = Publisher::connect(
        &settings.amqp_url,
        "inventory-service",
        &settings.inventory_exchange,
        "inventory-service",
        "inventory-events",
        Some(schemas),
    )
    .await
    .map_err(|e| format!("cannot reach RabbitMQ at {}: {e}", settings.amqp_url))?;
    if let Some(t) = &settings.telemetry {
        publisher = publisher.with_telemetry(t);
    }
    // Events nobody listens for are a normal state for a producer; the wrong-routing-key fault relies on it.
    let publisher = publisher.allow_unroutable();
    let manifest = seamline_runtime::read_manifest(Path::new(env!("CARGO_MANIFEST_DIR")))?;
    let mut config = ConsumerConfig::for_partner(
        &manifest,
        "order-service",
        &settings.orders_exchange,
        &settings.queue,
    )?;
    config.base_delay = Duration::from_millis(200);
    config.telemetry = settings.telemetry.clone();
    let upcasters = Upcasters::new().accept("order.placed@1", Ok::<Value, String>);
    upcasters.check(&manifest, "order-service")?;
    let handler = |placed: Delivered<Value>| {
        let (publisher, stock, settings) = (publisher.clone(), stock.clone(), settings.clone());
        async move { handle(&publisher, &stock, &settings, placed).await }
    };
    run_supervised(
        &settings.amqp_url,
        "inventory-service",
        config,
        &upcasters,
        handler,
        shutdown,
    )
    .await
    .map_err(|e: ConsumeError| e.to_string())
}

async fn handle(
    publisher: &Publisher,
    stock: &Stock,
    settings: &Settings,
    placed: Delivered<Value>,
) -> Outcome {
    let order_id = placed.data["order_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let lines: Vec<(String, i64)> = placed.data["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| Some((i["sku"].as_str()?.to_owned(), i["quantity"].as_i64()?)))
        .collect();
    let trace = placed.trace.as_ref();
    let event_id = |n: u32| format!("{}-{n}", placed.event.id);
    let result = match stock.reserve(&lines) {
        Err(reason) => {
            let failed = json!({"event_id": event_id(0), "order_id": order_id, "reason": reason});
            publisher
                .publish("inventory.stock_reservation_failed", 1, failed, trace)
                .await
                .map(|_| ())
        }
        Ok(()) => {
            let v1 = json!({"event_id": event_id(1), "order_id": order_id});
            let v2 = json!({"event_id": event_id(2), "order_id": order_id, "warehouse_id": settings.warehouse});
            match settings.fault {
                Fault::None => publisher
                    .publish_versions("inventory.stock_reserved", vec![(1, v1), (2, v2)], trace)
                    .await
                    .map(|_| ()),
                Fault::OnlyV2 => publisher
                    .publish("inventory.stock_reserved", 2, v2, trace)
                    .await
                    .map(|_| ()),
                Fault::NeverPublishes => Ok(()),
                Fault::WrongRoutingKey => publisher
                    .publish_as(
                        "inventory.stock-reserved",
                        "inventory.stock_reserved",
                        1,
                        v1,
                        trace,
                    )
                    .await
                    .map(|_| ()),
            }
        }
    };
    match result {
        Ok(()) => Outcome::Done,
        Err(e) => Outcome::Retry(format!("could not publish the outcome for {order_id}: {e}")),
    }
}
