//! Shared by the broker tests: the broker's URL (or a loud skip), unique names, and cleaning up after a test.
// Each test binary includes this module and uses part of it.
#![allow(dead_code)]

use std::sync::Arc;

use lapin::Connection;
use lapin::options::{BasicGetOptions, ExchangeDeleteOptions, QueueDeleteOptions};
use seamline_runtime::{
    Consumer, ConsumerConfig, Publisher, Schemas, dead_letter_queue, retry_queue,
};

/// AMQP_URL; `None` (saying why) when it is unset, a failure under SEAMLINE_REQUIRE_SERVICES=1.
pub fn amqp_url() -> Option<String> {
    match std::env::var("AMQP_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                std::env::var_os("SEAMLINE_REQUIRE_SERVICES").is_none(),
                "AMQP_URL is not set and SEAMLINE_REQUIRE_SERVICES=1: RabbitMQ is required"
            );
            eprintln!(
                "SKIPPED: set AMQP_URL (e.g. amqp://guest:guest@127.0.0.1:5672/%2f) to run the RabbitMQ tests"
            );
            None
        }
    }
}

/// A connection and an exchange and queue no other test run uses.
pub struct Rig {
    pub connection: Arc<Connection>,
    pub exchange: String,
    pub queue: String,
}

impl Rig {
    pub async fn new() -> Option<Rig> {
        let url = amqp_url()?;
        let connection = seamline_runtime::connect(&url, "seamline-runtime tests")
            .await
            .expect("RabbitMQ answers");
        let n = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        Some(Rig {
            connection: Arc::new(connection),
            exchange: format!("test.exchange.{n}"),
            queue: format!("test.queue.{n}"),
        })
    }

    /// inventory-service's publisher on the rig's exchange, validating against `schemas` when given.
    pub async fn publisher(&self, schemas: Option<Arc<Schemas>>) -> Publisher {
        Publisher::new(
            &self.connection,
            &self.exchange,
            "inventory-service",
            "inventory-events",
            schemas,
        )
        .await
        .expect("the publisher declares its exchange")
    }

    /// A consumer of the rig's queue, bound to every inventory event; `tune` adjusts its configuration.
    pub async fn consumer(&self, tune: impl FnOnce(&mut ConsumerConfig)) -> Consumer {
        let mut config = ConsumerConfig::new(&self.exchange, &self.queue, &["inventory.#"]);
        tune(&mut config);
        Consumer::new(&self.connection, config)
            .await
            .expect("the consumer declares its queues")
    }

    /// Deletes the queue, its delay and dead-letter queues, and the exchange.
    pub async fn cleanup(self) {
        let channel = self.connection.create_channel().await.unwrap();
        let mut names = vec![self.queue.clone(), dead_letter_queue(&self.queue)];
        names.extend((1..=8).map(|n| retry_queue(&self.queue, n)));
        for name in names {
            let _ = channel
                .queue_delete(name.as_str().into(), QueueDeleteOptions::default())
                .await;
        }
        let _ = channel
            .exchange_delete(
                self.exchange.as_str().into(),
                ExchangeDeleteOptions::default(),
            )
            .await;
    }
}

/// The bodies of the messages waiting in `queue`, taken out of it.
pub async fn take_waiting(connection: &Connection, queue: &str) -> Vec<String> {
    let channel = connection.create_channel().await.unwrap();
    let mut bodies = Vec::new();
    while let Some(got) = channel
        .basic_get(queue.into(), BasicGetOptions { no_ack: true })
        .await
        .unwrap()
    {
        bodies.push(String::from_utf8_lossy(&got.delivery.data).into_owned());
    }
    bodies
}

/// What a closed channel held, back in `queue`: the broker requeues it soon after the close, not at once, so
/// this waits (up to 5 s) for the first message, then a little more for any other.
pub async fn requeued(connection: &Connection, queue: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    for _ in 0..50 {
        bodies.extend(take_waiting(connection, queue).await);
        if !bodies.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    bodies.extend(take_waiting(connection, queue).await);
    bodies
}
