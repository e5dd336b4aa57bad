//! The queues a consumer owns, by name, and the headers this library writes.
//!
//! For a consumer queue `Q` bound to a topic exchange:
//! - `Q`: durable, where events arrive;
//! - `Q.retry.<n>` for each retry `n`: durable, with a message TTL of the n-th backoff delay and dead-lettering
//!   back to `Q` through the default exchange. A failed event is published there with a per-message expiration
//!   (the delay with jitter, never above the queue's TTL) and comes back when it expires;
//! - `Q.dlq`: durable, where an event goes after its last attempt, or at once when it cannot be handled at all
//!   (not a CloudEvent, a payload that fails validation, a version the consumer does not accept).

use std::time::Duration;

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, ExchangeKind};

/// The delay queue of retry `n` (1-based).
pub fn retry_queue(queue: &str, n: u32) -> String {
    format!("{queue}.retry.{n}")
}

pub fn dead_letter_queue(queue: &str) -> String {
    format!("{queue}.dlq")
}

/// The header counting attempts: 1 on the first delivery, absent before.
pub fn attempt_header() -> &'static str {
    "x-seam-attempt"
}

/// The header saying why an event is in the dead-letter queue.
pub fn reason_header() -> &'static str {
    "x-seam-reason"
}

/// The routing key an event was first published with, kept across retries.
pub(crate) const ROUTING_KEY_HEADER: &str = "x-seam-routing-key";

pub(crate) async fn declare_exchange(
    channel: &Channel,
    exchange: &str,
) -> Result<(), lapin::Error> {
    channel
        .exchange_declare(
            exchange.into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
}

/// Declares the consumer's queue, its bindings, its delay queues and its dead-letter queue.
pub(crate) async fn declare_consumer(
    channel: &Channel,
    exchange: &str,
    queue: &str,
    bindings: &[String],
    delays: &[Duration],
) -> Result<(), lapin::Error> {
    declare_exchange(channel, exchange).await?;
    let durable = QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    channel
        .queue_declare(queue.into(), durable, FieldTable::default())
        .await?;
    for (i, delay) in delays.iter().enumerate() {
        let mut args = FieldTable::default();
        args.insert(
            "x-message-ttl".into(),
            AMQPValue::LongLongInt(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX)),
        );
        args.insert(
            "x-dead-letter-exchange".into(),
            AMQPValue::LongString("".into()),
        );
        args.insert(
            "x-dead-letter-routing-key".into(),
            AMQPValue::LongString(queue.into()),
        );
        let name = retry_queue(queue, u32::try_from(i + 1).unwrap_or(u32::MAX));
        channel
            .queue_declare(name.as_str().into(), durable, args)
            .await?;
    }
    channel
        .queue_declare(
            dead_letter_queue(queue).as_str().into(),
            durable,
            FieldTable::default(),
        )
        .await?;
    // Bound last: once an event can reach the queue, its delay queues and dead-letter queue exist.
    for key in bindings {
        channel
            .queue_bind(
                queue.into(),
                exchange.into(),
                key.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    Ok(())
}
