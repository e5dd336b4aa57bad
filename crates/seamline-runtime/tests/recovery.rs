//! What a consumer does when the broker turns against it: a connection closed under it is opened again and
//! nothing is lost; a connection closed while it finishes its deliveries at shutdown still ends in a shutdown; a
//! dead-letter publish the broker refuses fails the consumer only after the deliveries in flight were finished.
//! The broker is driven by `rabbitmqctl` (closing connections, a policy that refuses publishes), so these tests
//! need AMQP_URL and `rabbitmqctl` with the right to run it (on the broker's machine); they skip, saying so,
//! without them, and fail under SEAMLINE_REQUIRE_SERVICES=1. They are a test binary of their own so no other
//! test's connection is affected.

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use seamline_runtime::{
    ConsumeError, ConsumerConfig, Outcome, Publisher, Upcasters, dead_letter_queue, run_supervised,
};
use serde_json::json;
use tokio::sync::{Notify, mpsc};

mod common;
use common::Rig;

/// Whether `rabbitmqctl` runs and talks to the broker; when not, says so (or fails under
/// SEAMLINE_REQUIRE_SERVICES=1).
fn rabbitmqctl_answers() -> bool {
    let answers = Command::new("rabbitmqctl")
        .arg("status")
        .output()
        .is_ok_and(|o| o.status.success());
    if !answers {
        required("rabbitmqctl is missing or may not talk to the broker");
    }
    answers
}

/// Runs `rabbitmqctl` with `args`; it must succeed.
fn rabbitmqctl(args: &[&str]) {
    let out = Command::new("rabbitmqctl").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "rabbitmqctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Waits until a connection named `name` is open.
async fn until_connected(name: &str) {
    let mut waited = 0;
    while connections_named(name).is_empty() {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
        assert!(waited < 100, "{name} never connected");
    }
}

fn required(what: &str) {
    assert!(
        std::env::var_os("SEAMLINE_REQUIRE_SERVICES").is_none(),
        "{what} and SEAMLINE_REQUIRE_SERVICES=1: the recovery test is required"
    );
    eprintln!("SKIPPED: {what}; the broker-recovery test needs rabbitmqctl");
}

/// The broker's pids of the connections named `name`.
fn connections_named(name: &str) -> Vec<String> {
    let out = Command::new("rabbitmqctl")
        .args([
            "list_connections",
            "pid",
            "client_properties",
            "--quiet",
            "--no-table-headers",
        ])
        .output()
        .expect("rabbitmqctl runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(&format!("\"{name}\"")))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_connection_is_recovered_without_losing_events() {
    let Some(url) = common::amqp_url() else {
        return;
    };
    if !rabbitmqctl_answers() {
        return;
    }
    let Some(rig) = Rig::new().await else {
        return;
    };
    let (exchange, queue) = (rig.exchange.clone(), rig.queue.clone());
    let name = format!("recovering-{queue}");
    let config = ConsumerConfig::new(&exchange, &queue, &["inventory.#"]);
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let consumer = {
        let (url, name, config) = (url.clone(), name.clone(), config.clone());
        tokio::spawn(async move {
            let upcasters = Upcasters::new().accept("inventory.stock_reserved@1", Ok);
            let handler = |d: seamline_runtime::Delivered<serde_json::Value>| {
                let _ = tx.send(d.event.id.clone());
                async { Outcome::Done }
            };
            run_supervised(&url, &name, config, &upcasters, handler, async {
                let _ = stopped.await;
            })
            .await
        })
    };
    // The supervised consumer declares its queue; wait until its connection is there.
    until_connected(&name).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // A publisher on a connection of its own, which it opens again when it drops.
    let publisher_name = format!("publishing-{queue}");
    let publisher = Publisher::connect(
        &url,
        &publisher_name,
        &exchange,
        "inventory-service",
        "inventory-events",
        None,
    )
    .await
    .unwrap();
    let mut sent = BTreeSet::new();
    let event = || json!({"event_id": "e", "order_id": "o"});
    for _ in 0..10 {
        sent.insert(
            publisher
                .publish("inventory.stock_reserved", 1, event(), None)
                .await
                .unwrap()
                .id,
        );
    }
    let mut got = BTreeSet::new();
    while got.len() < 10 {
        got.insert(
            tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .expect("before the drop")
                .unwrap(),
        );
    }

    // The broker closes both the consumer's and the publisher's connections. The publisher connects again
    // to send; the events wait in the queue until the consumer is back.
    let dropped: Vec<String> = connections_named(&name)
        .into_iter()
        .chain(connections_named(&publisher_name))
        .collect();
    assert_eq!(dropped.len(), 2, "both connections found");
    for pid in dropped {
        rabbitmqctl(&["close_connection", &pid, "test: connection dropped"]);
    }
    for _ in 0..10 {
        sent.insert(
            publisher
                .publish("inventory.stock_reserved", 1, event(), None)
                .await
                .unwrap()
                .id,
        );
    }
    while got.len() < sent.len() {
        let id = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("after the reconnection")
            .unwrap();
        got.insert(id);
    }
    assert_eq!(got, sent, "every event handled, none lost");
    assert!(
        !connections_named(&name).is_empty(),
        "the consumer connected again"
    );
    assert!(
        !connections_named(&publisher_name).is_empty(),
        "the publisher connected again"
    );

    let _ = stop.send(());
    consumer
        .await
        .unwrap()
        .expect("the supervisor stops cleanly");
    rig.cleanup().await;
}

/// Shutdown is asked for while a handler is busy, and then the broker closes the connection: the handler's
/// acknowledgement fails, yet the supervisor ends as asked (no reconnection, no panic from polling the finished
/// shutdown again), and the unacknowledged event is back in the queue, not lost.
#[tokio::test(flavor = "multi_thread")]
async fn a_connection_closed_while_draining_at_shutdown_still_ends_in_a_shutdown() {
    let Some(url) = common::amqp_url() else {
        return;
    };
    if !rabbitmqctl_answers() {
        return;
    }
    let Some(rig) = Rig::new().await else {
        return;
    };
    let name = format!("draining-{}", rig.queue);
    let config = ConsumerConfig::new(&rig.exchange, &rig.queue, &["inventory.#"]);
    let (started, mut busy) = mpsc::unbounded_channel::<()>();
    let release = Arc::new(Notify::new());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let supervisor = {
        let (url, name, release) = (url.clone(), name.clone(), release.clone());
        tokio::spawn(async move {
            let upcasters = Upcasters::new().accept("inventory.stock_reserved@1", Ok);
            let handler = |_: seamline_runtime::Delivered<serde_json::Value>| {
                let _ = started.send(());
                let release = release.clone();
                async move {
                    release.notified().await;
                    Outcome::Done
                }
            };
            run_supervised(&url, &name, config, &upcasters, handler, async {
                let _ = stopped.await;
            })
            .await
        })
    };
    until_connected(&name).await;
    let publisher = rig.publisher(None).await;
    publisher
        .publish(
            "inventory.stock_reserved",
            1,
            json!({"event_id": "e", "order_id": "drained"}),
            None,
        )
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), busy.recv())
        .await
        .expect("the handler started");
    let _ = stop.send(());
    tokio::time::sleep(Duration::from_millis(200)).await;
    for pid in connections_named(&name) {
        rabbitmqctl(&["close_connection", &pid, "test: closed while draining"]);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    release.notify_one();
    tokio::time::timeout(Duration::from_secs(10), supervisor)
        .await
        .expect("the supervisor ends")
        .expect("without a panic")
        .expect("as a shutdown");
    assert!(
        connections_named(&name).is_empty(),
        "it did not connect again"
    );
    let left = common::requeued(&rig.connection, &rig.queue).await;
    assert_eq!(left.len(), 1, "the unacknowledged event is back: {left:?}");
    assert!(left[0].contains("drained"), "{left:?}");
    rig.cleanup().await;
}

/// Two deliveries in flight: one is rejected and its dead-letter publish is refused (a policy caps the dead-letter
/// queue at 0 messages and rejects what overflows), while the other is still being handled. The consumer fails
/// with the refusal, but only after the other handler finished and its event was acknowledged: only the refused
/// event comes back, so nothing is handled twice.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_delivery_lets_the_ones_in_flight_finish_first() {
    if common::amqp_url().is_none() || !rabbitmqctl_answers() {
        return;
    }
    let Some(rig) = Rig::new().await else {
        return;
    };
    let consumer = rig
        .consumer(|config| {
            config.prefetch = 2;
            config.max_attempts = 1;
        })
        .await;
    let policy = format!("refuse-{}", rig.queue);
    let pattern = format!("^{}$", dead_letter_queue(&rig.queue).replace('.', "\\."));
    rabbitmqctl(&[
        "set_policy",
        "--apply-to",
        "queues",
        "--priority",
        "100",
        &policy,
        &pattern,
        r#"{"max-length":0,"overflow":"reject-publish"}"#,
    ]);
    let publisher = rig.publisher(None).await;
    for order in ["slow", "refused"] {
        publisher
            .publish(
                "inventory.stock_reserved",
                1,
                json!({"event_id": order, "order_id": order}),
                None,
            )
            .await
            .unwrap();
    }
    let refused_handled = Arc::new(Notify::new());
    let finished = Arc::new(AtomicBool::new(false));
    let (signal, done) = (refused_handled.clone(), finished.clone());
    let handler = move |d: seamline_runtime::Delivered<serde_json::Value>| {
        let slow = d.data["order_id"] == "slow";
        let (signal, done) = (signal.clone(), done.clone());
        async move {
            if !slow {
                signal.notify_one();
                return Outcome::Reject("test: never valid".into());
            }
            // Still busy when the refusal comes back, and some time after it.
            signal.notified().await;
            tokio::time::sleep(Duration::from_millis(500)).await;
            done.store(true, Ordering::SeqCst);
            Outcome::Done
        }
    };
    let upcasters = Upcasters::new().accept("inventory.stock_reserved@1", Ok);
    let ended = tokio::time::timeout(
        Duration::from_secs(30),
        consumer.run(&upcasters, handler, std::future::pending::<()>()),
    )
    .await;
    rabbitmqctl(&["clear_policy", &policy]);
    let ended = ended.expect("the consumer stops on the refusal");
    let refusal = ended.expect_err("the refused dead-letter publish fails the consumer");
    assert!(
        matches!(refusal, ConsumeError::NotTaken { ref queue } if *queue == dead_letter_queue(&rig.queue)),
        "{refusal}"
    );
    assert!(finished.load(Ordering::SeqCst), "the slow handler finished");
    drop(consumer);
    // The consumer's channel closes with the connection; what it had not acknowledged goes back to the queue.
    // (Dropping the consumer may have begun closing its channel already: the connection's close may say so.)
    let _ = rig.connection.close(200, "test done".into()).await;
    let Some(rig) = Rig::new().await.map(|fresh| Rig {
        exchange: rig.exchange,
        queue: rig.queue,
        ..fresh
    }) else {
        return;
    };
    let left = common::requeued(&rig.connection, &rig.queue).await;
    assert_eq!(left.len(), 1, "only the refused event is back: {left:?}");
    assert!(left[0].contains("refused"), "{left:?}");
    rig.cleanup().await;
}
