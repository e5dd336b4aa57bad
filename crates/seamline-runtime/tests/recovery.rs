//! A consumer whose broker connection is closed under it connects again and loses nothing. The connection is
//! closed by the broker itself (`rabbitmqctl close_connection`), so this test needs AMQP_URL and `rabbitmqctl`
//! with the right to run it (on the broker's machine); it skips, saying so, without them, and fails under
//! SEAMLINE_REQUIRE_SERVICES=1. It is a test binary of its own so no other test's connection is affected.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use seamline_runtime::{ConsumerConfig, Outcome, Publisher, Upcasters, run_supervised};
use serde_json::json;
use tokio::sync::mpsc;

mod common;
use common::Rig;

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
    if !Command::new("rabbitmqctl")
        .arg("status")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return required("rabbitmqctl is missing or may not talk to the broker");
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
    let mut waited = 0;
    while connections_named(&name).is_empty() {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
        assert!(waited < 100, "the consumer never connected");
    }
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
        let closed = Command::new("rabbitmqctl")
            .args(["close_connection", &pid, "test: connection dropped"])
            .output()
            .unwrap();
        assert!(
            closed.status.success(),
            "{}",
            String::from_utf8_lossy(&closed.stderr)
        );
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
