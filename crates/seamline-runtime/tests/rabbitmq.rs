//! The runtime against a real RabbitMQ (AMQP_URL, e.g. amqp://guest:guest@127.0.0.1:5672/%2f): publisher
//! confirms, validation, retries with backoff through delay queues, the dead-letter queue and its headers,
//! poison messages, duplicate deliveries, upcasting, dual-publish, and a consumer restarted mid-stream.
//!
//! Without AMQP_URL the tests skip, saying so; under SEAMLINE_REQUIRE_SERVICES=1 they fail instead.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_lite::StreamExt;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicPublishOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Connection};
use seamline_runtime::{
    CloudEvent, Consumer, ConsumerConfig, Outcome, PublishError, Schemas, TraceContext, Upcasters,
    attempt_header, dead_letter_queue, reason_header,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;

mod common;
use common::Rig;

fn inventory_schemas() -> Arc<Schemas> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/checkout/inventory-service/contracts/inventory-events.asyncapi.yaml");
    Arc::new(Schemas::from_contract(&path).expect("the example contract reads"))
}

fn reserved_v1() -> Value {
    json!({"event_id": "e-1", "order_id": "o-1"})
}

/// Runs a consumer in the background; what its handler sees goes to the returned receiver.
fn spawn_consumer<T>(
    consumer: Consumer,
    upcasters: Upcasters<T>,
    outcome: impl Fn(&seamline_runtime::Delivered<T>) -> Outcome + Send + Sync + 'static,
) -> (
    mpsc::UnboundedReceiver<(seamline_runtime::Delivered<T>, Instant)>,
    tokio::sync::oneshot::Sender<()>,
)
where
    T: Clone + Send + Sync + 'static,
{
    let (tx, rx) = mpsc::unbounded_channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let handler = |d: seamline_runtime::Delivered<T>| {
            let decided = outcome(&d);
            let _ = tx.send((d, Instant::now()));
            async move { decided }
        };
        consumer
            .run(&upcasters, handler, async {
                let _ = stopped.await;
            })
            .await
            .expect("the consumer runs");
    });
    (rx, stop)
}

async fn next<T>(rx: &mut mpsc::UnboundedReceiver<T>, what: &str) -> T {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
        .expect("the consumer is running")
}

/// The next message in `queue`, read directly.
async fn read_one(connection: &Connection, queue: &str) -> lapin::message::Delivery {
    let channel = connection.create_channel().await.unwrap();
    let mut consumer = channel
        .basic_consume(
            queue.into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let delivery = tokio::time::timeout(Duration::from_secs(20), consumer.next())
        .await
        .unwrap_or_else(|_| panic!("nothing arrived in {queue}"))
        .unwrap()
        .unwrap();
    delivery.ack(BasicAckOptions::default()).await.unwrap();
    delivery
}

fn header<'a>(d: &'a lapin::message::Delivery, name: &str) -> Option<&'a AMQPValue> {
    d.properties.headers().as_ref()?.inner().get(name)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_confirmed_event_arrives_with_its_trace_and_version() {
    let Some(rig) = Rig::new().await else {
        return;
    };
    let consumer = rig.consumer(|_| {}).await;
    let publisher = rig.publisher(Some(inventory_schemas())).await;
    let (mut seen, _stop) = spawn_consumer(
        consumer,
        Upcasters::new().accept("inventory.stock_reserved@1", Ok),
        |_| Outcome::Done,
    );

    let trace = TraceContext::new_root();
    let sent = publisher
        .publish("inventory.stock_reserved", 1, reserved_v1(), Some(&trace))
        .await
        .expect("confirmed");
    let (got, _) = next(&mut seen, "the event").await;
    assert_eq!(got.event.id, sent.id);
    assert_eq!(got.data, reserved_v1());
    assert_eq!((got.version, got.attempt), (1, 1));
    assert_eq!(
        got.trace.as_ref().map(|t| t.trace_id.as_str()),
        Some(trace.trace_id.as_str())
    );
    assert_eq!(
        got.event.dataschema.as_deref(),
        Some("seam:inventory-events#inventory.stock_reserved@1")
    );
    rig.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_and_unroutable_events_are_refused_before_they_are_lost() {
    let Some(rig) = Rig::new().await else {
        return;
    };
    let publisher = rig.publisher(Some(inventory_schemas())).await;
    let mut bad = reserved_v1();
    bad["order_id"] = json!(42);
    match publisher
        .publish("inventory.stock_reserved", 1, bad, None)
        .await
    {
        Err(PublishError::Invalid { message, errors }) => {
            assert_eq!(message, "inventory.stock_reserved@1");
            assert!(
                errors.iter().any(|e| e.starts_with("/order_id:")),
                "{errors:?}"
            );
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    // Valid, but nobody is bound to it.
    match publisher
        .publish("inventory.stock_reserved", 1, reserved_v1(), None)
        .await
    {
        Err(PublishError::Unroutable { routing_key, .. }) => {
            assert_eq!(routing_key, "inventory.stock_reserved")
        }
        other => panic!("expected unroutable, got {other:?}"),
    }
    rig.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn retries_back_off_through_delay_queues_then_dead_letter_with_headers() {
    let Some(rig) = Rig::new().await else {
        return;
    };
    let consumer = rig
        .consumer(|config| {
            config.max_attempts = 3;
            config.base_delay = Duration::from_millis(400);
        })
        .await;
    let Rig {
        connection, queue, ..
    } = &rig;
    let publisher = rig.publisher(None).await;
    let (mut seen, _stop) = spawn_consumer(
        consumer,
        Upcasters::new().accept("inventory.stock_reserved@1", Ok),
        |_| Outcome::Retry("order store unavailable".into()),
    );
    let sent = publisher
        .publish("inventory.stock_reserved", 1, reserved_v1(), None)
        .await
        .unwrap();
    let mut times = Vec::new();
    for attempt in 1..=3 {
        let (got, at) = next(&mut seen, "an attempt").await;
        assert_eq!(got.attempt, attempt);
        assert_eq!(got.event.id, sent.id, "the same event every time");
        times.push(at);
    }
    // Equal jitter: retry n waits between half of base × 2^(n-1) and all of it (plus the broker's own latency).
    let first = times[1] - times[0];
    let second = times[2] - times[1];
    assert!(
        first >= Duration::from_millis(200) && first < Duration::from_millis(2_000),
        "{first:?}"
    );
    assert!(
        second >= Duration::from_millis(400) && second < Duration::from_millis(3_000),
        "{second:?}"
    );

    let dead = read_one(connection, &dead_letter_queue(queue)).await;
    assert_eq!(
        dead.properties.message_id().as_ref().map(|m| m.as_str()),
        Some(sent.id.as_str())
    );
    assert_eq!(
        header(&dead, attempt_header()),
        Some(&AMQPValue::LongLongInt(3))
    );
    let reason = header(&dead, reason_header())
        .and_then(AMQPValue::as_long_string)
        .map(|r| r.to_string());
    assert_eq!(
        reason.as_deref(),
        Some("gave up after 3 attempts: order store unavailable")
    );
    assert_eq!(
        header(&dead, "x-seam-routing-key")
            .and_then(AMQPValue::as_long_string)
            .map(|r| r.to_string())
            .as_deref(),
        Some("inventory.stock_reserved")
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(1_500), seen.recv())
            .await
            .is_err(),
        "no fourth attempt"
    );
    rig.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn poison_messages_go_to_the_dead_letter_queue_at_once() {
    let Some(rig) = Rig::new().await else {
        return;
    };
    let consumer = rig
        .consumer(|config| {
            config.schemas = Some(inventory_schemas());
        })
        .await;
    let Rig {
        connection,
        exchange,
        queue,
    } = &rig;
    let calls = Arc::new(Mutex::new(0));
    let counted = calls.clone();
    let (_seen, _stop) = spawn_consumer(
        consumer,
        Upcasters::new().accept("inventory.stock_reserved@1", Ok),
        move |_| {
            *counted.lock().unwrap() += 1;
            Outcome::Done
        },
    );
    let raw = connection.create_channel().await.unwrap();
    raw.confirm_select(lapin::options::ConfirmSelectOptions::default())
        .await
        .unwrap();
    let publish = |body: Vec<u8>| {
        let raw = raw.clone();
        let exchange = exchange.clone();
        async move {
            let confirmed = raw
                .basic_publish(
                    exchange.as_str().into(),
                    "inventory.stock_reserved".into(),
                    BasicPublishOptions::default(),
                    &body,
                    BasicProperties::default(),
                )
                .await
                .unwrap()
                .await
                .unwrap();
            assert!(confirmed.is_ack());
        }
    };
    // Not JSON at all.
    publish(b"\x00\x01 not an event".to_vec()).await;
    let dead = read_one(connection, &dead_letter_queue(queue)).await;
    let reason = header(&dead, reason_header())
        .and_then(AMQPValue::as_long_string)
        .map(|r| r.to_string())
        .unwrap();
    assert!(
        reason.starts_with("not a structured-mode CloudEvent"),
        "{reason}"
    );
    assert_eq!(dead.data, b"\x00\x01 not an event", "kept as it was");
    // A CloudEvent whose payload breaks the contract.
    let mut event = CloudEvent::new(
        "inventory-service",
        "inventory-events",
        "inventory.stock_reserved",
        1,
        reserved_v1(),
    );
    event.data["order_id"] = json!(["o-1"]);
    publish(serde_json::to_vec(&event).unwrap()).await;
    let dead = read_one(connection, &dead_letter_queue(queue)).await;
    let reason = header(&dead, reason_header())
        .and_then(AMQPValue::as_long_string)
        .map(|r| r.to_string())
        .unwrap();
    assert!(
        reason.starts_with("inventory.stock_reserved@1 does not match its contract: /order_id:"),
        "{reason}"
    );
    // A version this consumer does not accept.
    let v9 = CloudEvent::new(
        "inventory-service",
        "inventory-events",
        "inventory.stock_reserved",
        9,
        reserved_v1(),
    );
    publish(serde_json::to_vec(&v9).unwrap()).await;
    let dead = read_one(connection, &dead_letter_queue(queue)).await;
    let reason = header(&dead, reason_header())
        .and_then(AMQPValue::as_long_string)
        .map(|r| r.to_string())
        .unwrap();
    assert_eq!(
        reason,
        "inventory.stock_reserved@9 is not a version this consumer accepts (it accepts inventory.stock_reserved@1)"
    );
    assert_eq!(
        *calls.lock().unwrap(),
        0,
        "the handler never saw a poison message"
    );
    rig.cleanup().await;
}

/// What order-service needs from `inventory.stock_reserved`, whichever version carried it.
#[derive(Debug, Clone, PartialEq)]
struct Reserved {
    order_id: String,
    warehouse: Option<String>,
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicates_are_handled_once_and_every_accepted_version_reaches_one_type() {
    let Some(rig) = Rig::new().await else {
        return;
    };
    let consumer = rig.consumer(|_| {}).await;
    let publisher = rig.publisher(Some(inventory_schemas())).await;
    let upcasters = Upcasters::new()
        .accept("inventory.stock_reserved@1", |d: Value| {
            Ok(Reserved {
                order_id: d["order_id"].as_str().ok_or("no order_id")?.into(),
                warehouse: None,
            })
        })
        .accept("inventory.stock_reserved@2", |d: Value| {
            Ok(Reserved {
                order_id: d["order_id"].as_str().ok_or("no order_id")?.into(),
                warehouse: d["warehouse_id"].as_str().map(str::to_owned),
            })
        });
    let (mut seen, _stop) = spawn_consumer(consumer, upcasters, |_| Outcome::Done);

    // The same event twice (a producer retrying after a lost confirm): handled once.
    let once = publisher
        .publish("inventory.stock_reserved", 1, reserved_v1(), None)
        .await
        .unwrap();
    publisher.send(&once).await.unwrap();
    let (first, _) = next(&mut seen, "the first copy").await;
    assert_eq!(
        first.data,
        Reserved {
            order_id: "o-1".into(),
            warehouse: None
        }
    );

    // Dual-publish during the v1 → v2 migration: both versions arrive, as one type.
    let v2 = json!({"event_id": "e-1", "order_id": "o-1", "warehouse_id": "berlin"});
    let sent = publisher
        .publish_versions(
            "inventory.stock_reserved",
            vec![(1, reserved_v1()), (2, v2)],
            None,
        )
        .await
        .expect("both versions confirmed");
    let (a, _) = next(&mut seen, "v1 of the dual publish").await;
    let (b, _) = next(&mut seen, "v2 of the dual publish").await;
    assert_eq!(
        [a.version, b.version],
        [1, 2],
        "the duplicate of the first event was not handled again"
    );
    assert_eq!(
        a.data,
        Reserved {
            order_id: "o-1".into(),
            warehouse: None
        }
    );
    assert_eq!(
        b.data,
        Reserved {
            order_id: "o-1".into(),
            warehouse: Some("berlin".into())
        },
        "one type for both"
    );
    assert_eq!(
        [a.event.id.as_str(), b.event.id.as_str()],
        [sent[0].id.as_str(), sent[1].id.as_str()]
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(800), seen.recv())
            .await
            .is_err(),
        "nothing more"
    );
    rig.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_consumer_restarted_mid_stream_loses_nothing() {
    let Some(rig) = Rig::new().await else {
        return;
    };
    let config = ConsumerConfig::new(&rig.exchange, &rig.queue, &["inventory.#"]);
    let publisher = rig.publisher(None).await;
    // Its own connection, as a process of its own would have. Declared before publishing, so nothing is
    // unroutable; stopped once it has handled 20 events, with more in flight.
    let url = std::env::var("AMQP_URL").unwrap();
    let first_connection = seamline_runtime::connect(&url, "first").await.unwrap();
    let first = Consumer::new(&first_connection, config.clone())
        .await
        .unwrap();
    let mut ids = Vec::new();
    for _ in 0..60 {
        ids.push(
            publisher
                .publish("inventory.stock_reserved", 1, reserved_v1(), None)
                .await
                .unwrap()
                .id,
        );
    }
    // What the first consumer handled (and so acknowledged), recorded as it happens.
    let handled = Arc::new(Mutex::new(Vec::<String>::new()));
    let record = handled.clone();
    let (_seen, stop) = spawn_consumer(
        first,
        Upcasters::new().accept("inventory.stock_reserved@1", Ok),
        move |d| {
            record.lock().unwrap().push(d.event.id.clone());
            Outcome::Done
        },
    );
    while handled.lock().unwrap().len() < 20 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The process ends: its consumer stops and its connection closes with deliveries unacknowledged.
    let _ = stop.send(());
    first_connection.close(200, "restart".into()).await.unwrap();
    // A new consumer process: the same queue, a fresh connection.
    let again = Arc::new(seamline_runtime::connect(&url, "restarted").await.unwrap());
    let second = Consumer::new(&again, config).await.unwrap();
    let (mut seen, _stop) = spawn_consumer(
        second,
        Upcasters::new().accept("inventory.stock_reserved@1", Ok),
        |_| Outcome::Done,
    );
    let mut got: std::collections::BTreeSet<String> =
        handled.lock().unwrap().iter().cloned().collect();
    while got.len() < ids.len() {
        let (d, _) = next(&mut seen, "an event after the restart").await;
        got.insert(d.event.id);
    }
    let expected: std::collections::BTreeSet<String> = ids.into_iter().collect();
    assert_eq!(got, expected, "every event handled at least once");
    rig.cleanup().await;
}
