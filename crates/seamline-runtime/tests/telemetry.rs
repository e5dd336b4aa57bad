//! Spans from a real publish and consume, written as OTLP/JSON and read back by `seam trace`'s own reader: the
//! consumer span is the producer span's child in the caller's trace, and the version table `seam trace
//! versions` builds names who consumed which version (and which attempt failed).

use std::time::Duration;

use seamline_runtime::{Consumer, ConsumerConfig, Outcome, Telemetry, TraceContext, Upcasters};
use seamline_trace::read::{Collect, InputFormat, Reader};
use seamline_trace::versions::Versions;
use serde_json::json;

mod common;
use common::Rig;

#[tokio::test(flavor = "multi_thread")]
async fn producer_and_consumer_spans_join_the_callers_trace() {
    let Some(rig) = Rig::new().await else {
        return;
    };
    let Rig {
        connection,
        exchange,
        queue,
    } = &rig;
    let dir = tempfile::tempdir().unwrap();
    let (inventory_file, order_file) = (
        dir.path().join("inventory.jsonl"),
        dir.path().join("order.jsonl"),
    );
    let inventory = Telemetry::to_file("inventory-service", &inventory_file).unwrap();
    let order = Telemetry::to_file("order-service", &order_file).unwrap();

    let mut config = ConsumerConfig::new(exchange, queue, &["inventory.#"]);
    config.telemetry = Some(order.clone());
    config.max_attempts = 2;
    config.base_delay = Duration::from_millis(50);
    let consumer = Consumer::new(connection, config).await.unwrap();
    let publisher = rig.publisher(None).await.with_telemetry(&inventory);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        let upcasters = Upcasters::new().accept("inventory.stock_reserved@2", Ok);
        let handler = |d: seamline_runtime::Delivered<serde_json::Value>| {
            // The first attempt fails, so one consumer span carries an error.
            let outcome = if d.attempt == 1 {
                Outcome::Retry("order store busy".into())
            } else {
                Outcome::Done
            };
            let _ = tx.send((d.attempt, d.trace.clone()));
            async move { outcome }
        };
        consumer
            .run(&upcasters, handler, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });

    let root = TraceContext::new_root();
    let event = publisher
        .publish(
            "inventory.stock_reserved",
            2,
            json!({"event_id": "e", "order_id": "o", "warehouse_id": "w"}),
            Some(&root),
        )
        .await
        .unwrap();
    for expected in [1, 2] {
        let (attempt, trace) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(attempt, expected);
        assert_eq!(
            trace.map(|t| t.trace_id),
            Some(root.trace_id.clone()),
            "the handler continues the caller's trace"
        );
    }
    let _ = stop.send(());
    running.await.unwrap();
    inventory.flush();
    order.flush();

    let mut reader = Reader::default();
    let mut spans = Collect::default();
    for file in [&inventory_file, &order_file] {
        reader.read_bytes(
            &file.display().to_string(),
            &std::fs::read(file).unwrap(),
            InputFormat::Auto,
            &mut spans,
        );
    }
    assert_eq!(
        reader.report.skipped_total(),
        0,
        "{:?}",
        reader.report.examples
    );
    assert_eq!(
        spans.spans.len(),
        3,
        "one producer span, two consumer spans"
    );
    assert!(
        spans
            .spans
            .iter()
            .any(|s| &*s.service == "inventory-service"),
        "the producer span is read"
    );
    let producer_line = std::fs::read_to_string(&inventory_file).unwrap();
    let producer_json: serde_json::Value =
        serde_json::from_str(producer_line.lines().next().unwrap()).unwrap();
    let otlp = &producer_json["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
    assert_eq!(otlp["traceId"], root.trace_id.as_str());
    assert_eq!(otlp["parentSpanId"], root.span_id.as_str());
    assert_eq!(otlp["kind"], 4);
    assert_eq!(
        event.traceparent(),
        Some(
            format!(
                "00-{}-{}-01",
                root.trace_id,
                otlp["spanId"].as_str().unwrap()
            )
            .as_str()
        )
    );
    // Every consumer span, whichever batch (line) it left in.
    let consumer_spans: Vec<serde_json::Value> = std::fs::read_to_string(&order_file)
        .unwrap()
        .lines()
        .flat_map(|line| {
            let batch: serde_json::Value = serde_json::from_str(line).unwrap();
            batch["resourceSpans"][0]["scopeSpans"][0]["spans"]
                .as_array()
                .unwrap()
                .clone()
        })
        .collect();
    assert_eq!(consumer_spans.len(), 2);
    for span in &consumer_spans {
        assert_eq!(span["kind"], 5);
        assert_eq!(span["traceId"], root.trace_id.as_str());
        assert_eq!(
            span["parentSpanId"], otlp["spanId"],
            "a child of the producer span"
        );
    }

    let mut versions = Versions::new(seamline_runtime::telemetry::SCHEMA_VERSION.to_owned());
    for s in &spans.spans {
        versions.observe(s);
    }
    let consumed = versions.consumers();
    assert_eq!(consumed.len(), 1, "{consumed:?}");
    assert_eq!(
        (
            consumed[0].message.as_str(),
            consumed[0].version.as_str(),
            consumed[0].consumer.as_str(),
            consumed[0].count,
            consumed[0].failed
        ),
        ("inventory.stock_reserved", "2", "order-service", 2, 1)
    );
    assert_eq!(versions.producers()[0].consumer, "inventory-service");

    rig.cleanup().await;
}
