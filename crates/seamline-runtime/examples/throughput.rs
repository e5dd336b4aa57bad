//! Messages per second through publish (confirmed) → RabbitMQ → consume (acknowledged), with and without
//! schema validation on both sides. `bench/runtime.sh` runs it pinned to one core. With HANDLER_MS, each
//! handler waits that long (as a call to a database would), so the figure shows how many deliveries are
//! handled at once (the consumer's prefetch is 256).
//!
//! Usage: throughput AMQP_URL [MESSAGES] [IN_FLIGHT] [ROUNDS] [HANDLER_MS]

use std::sync::Arc;
use std::time::Instant;

use seamline_runtime::{Consumer, ConsumerConfig, Outcome, Publisher, Schemas, Upcasters};
use serde_json::json;

fn arg(n: usize, default: usize) -> usize {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

async fn round(
    url: &str,
    messages: usize,
    in_flight: usize,
    handler_ms: u64,
    schemas: Option<Arc<Schemas>>,
) -> f64 {
    let connection = Arc::new(
        seamline_runtime::connect(url, "throughput")
            .await
            .expect("RabbitMQ"),
    );
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let (exchange, queue) = (format!("bench.exchange.{n}"), format!("bench.queue.{n}"));
    let mut config = ConsumerConfig::new(&exchange, &queue, &["inventory.#"]);
    config.prefetch = 256;
    config.schemas = schemas.clone();
    let consumer = Consumer::new(&connection, config).await.expect("consumer");
    let publisher = Publisher::new(
        &connection,
        &exchange,
        "inventory-service",
        "inventory-events",
        schemas,
    )
    .await
    .expect("publisher");
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let consuming = tokio::spawn(async move {
        let upcasters = Upcasters::new().accept("inventory.stock_reserved@2", Ok);
        let handler = |_d: seamline_runtime::Delivered<serde_json::Value>| {
            let done_tx = done_tx.clone();
            async move {
                if handler_ms > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(handler_ms)).await;
                }
                let _ = done_tx.send(());
                Outcome::Done
            }
        };
        consumer
            .run(&upcasters, handler, async {
                let _ = stop_rx.await;
            })
            .await
            .expect("consumer runs");
    });
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut publishers = Vec::new();
    for _ in 0..in_flight {
        let (publisher, next) = (publisher.clone(), next.clone());
        publishers.push(tokio::spawn(async move {
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < messages {
                let data = json!({"event_id": "5f0c", "order_id": "o-1234567", "warehouse_id": "berlin-2"});
                publisher.publish("inventory.stock_reserved", 2, data, None).await.expect("confirmed");
            }
        }));
    }
    for p in publishers {
        p.await.expect("publisher task");
    }
    for _ in 0..messages {
        done_rx.recv().await.expect("consumed");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let _ = stop_tx.send(());
    consuming.await.expect("consumer task");
    let channel = connection.create_channel().await.expect("channel");
    for q in [queue.clone(), format!("{queue}.dlq")]
        .into_iter()
        .chain((1..5).map(|i| format!("{queue}.retry.{i}")))
    {
        let _ = channel
            .queue_delete(q.as_str().into(), Default::default())
            .await;
    }
    let _ = channel
        .exchange_delete(exchange.as_str().into(), Default::default())
        .await;
    messages as f64 / elapsed
}

fn main() {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: throughput AMQP_URL [MESSAGES] [IN_FLIGHT] [ROUNDS] [HANDLER_MS]");
        std::process::exit(2);
    };
    let (messages, in_flight, rounds) = (arg(2, 20_000), arg(3, 64), arg(4, 3));
    let handler_ms = arg(5, 0) as u64;
    let contract = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/checkout/inventory-service/contracts/inventory-events.asyncapi.yaml");
    let schemas = Arc::new(Schemas::from_contract(&contract).expect("the example contract"));
    // One worker thread: the library's work on one core (lapin's socket thread runs beside it).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "{messages} messages, {in_flight} publishes in flight, {rounds} rounds each, handlers take {handler_ms} ms"
    );
    runtime.block_on(async {
        let mut plain = Vec::new();
        let mut checked = Vec::new();
        // Interleaved, so drift in the broker's state hits both alike.
        for _ in 0..rounds {
            plain.push(round(&url, messages, in_flight, handler_ms, None).await);
            checked.push(round(&url, messages, in_flight, handler_ms, Some(schemas.clone())).await);
        }
        let median = |v: &[f64]| {
            let mut v = v.to_vec();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (p, c) = (median(&plain), median(&checked));
        println!("without validation: median {p:.0} messages/s (rounds: {plain:.0?})");
        println!("with validation:    median {c:.0} messages/s (rounds: {checked:.0?})");
        println!(
            "validation costs {:.1}% of throughput (medians)",
            (1.0 - c / p) * 100.0
        );
    });
    // The validation itself, without the broker: what it costs per message on this core.
    let data = json!({"event_id": "5f0c", "order_id": "o-1234567", "warehouse_id": "berlin-2"});
    let n = 1_000_000u32;
    let started = Instant::now();
    for _ in 0..n {
        schemas
            .validate("inventory.stock_reserved@2", &data)
            .expect("valid");
    }
    let ns = started.elapsed().as_nanos() as f64 / f64::from(n);
    println!(
        "validation alone: {ns:.0} ns per message ({:.0} per second)",
        1e9 / ns
    );
}
