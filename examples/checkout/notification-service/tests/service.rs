//! notification-service on a real RabbitMQ (AMQP_URL): a confirmed order is sent once, even when delivered
//! twice; with the mail relay down the confirmation is retried and then dead-lettered with the reason, never
//! lost. Names are unique per test, so runs do not meet.

use std::time::{Duration, Instant};

use checkout_notification_service::{Fault, Outbox, Settings, run};
use lapin::options::{BasicGetOptions, ExchangeDeleteOptions, QueueDeleteOptions};
use lapin::types::AMQPValue;
use seamline_runtime::{CloudEvent, Publisher};
use serde_json::json;

fn amqp_url() -> Option<String> {
    let Ok(url) = std::env::var("AMQP_URL") else {
        assert!(
            std::env::var_os("SEAMLINE_REQUIRE_SERVICES").is_none(),
            "AMQP_URL is not set and SEAMLINE_REQUIRE_SERVICES=1: RabbitMQ is required"
        );
        eprintln!("SKIPPED: set AMQP_URL to run notification-service's tests against RabbitMQ");
        return None;
    };
    Some(url)
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn confirmed(order_id: &str) -> CloudEvent {
    CloudEvent::new(
        "order-service",
        "order-events",
        "order.confirmed",
        1,
        json!({"event_id": "9b2f4c1e-5d3a-4e6f-8a7b-1c2d3e4f5a6b", "order_id": order_id}),
    )
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(10), "{what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_confirmation_is_sent_once_and_a_failing_relay_dead_letters_it() {
    let Some(url) = amqp_url() else { return };
    for fault in [Fault::None, Fault::Fails] {
        let n = unique();
        let mut settings = Settings::new(&url);
        settings.orders_exchange = format!("test.orders.{n}");
        settings.queue = format!("test.notification-service.{n}");
        settings.base_delay = Duration::from_millis(50);
        settings.fault = fault;
        let outbox = Outbox::default();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let service = tokio::spawn(run(settings.clone(), outbox.clone(), async {
            let _ = stopped.await;
        }));

        let connection = seamline_runtime::connect(&url, "notification test")
            .await
            .unwrap();
        let orders = Publisher::new(
            &connection,
            &settings.orders_exchange,
            "order-service",
            "order-events",
            None,
        )
        .await
        .unwrap();
        // The queue exists once the consumer has declared it; until then a publish is unroutable.
        let event = confirmed("3d1f6a2e-6c1b-4f7e-9a51-0c2d3e4f5a6b");
        let started = Instant::now();
        while orders.send(&event).await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no queue bound"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // The same event again, as a redelivery would bring it.
        orders.send(&event).await.unwrap();

        let channel = connection.create_channel().await.unwrap();
        let dlq = format!("{}.dlq", settings.queue);
        match fault {
            Fault::None => {
                until("the confirmation is sent", || outbox.sent().len() == 1).await;
                tokio::time::sleep(Duration::from_millis(300)).await;
                assert_eq!(
                    outbox.sent(),
                    ["3d1f6a2e-6c1b-4f7e-9a51-0c2d3e4f5a6b"],
                    "sent once"
                );
            }
            Fault::Fails => {
                let started = Instant::now();
                let dead = loop {
                    let got = channel
                        .basic_get(dlq.as_str().into(), BasicGetOptions { no_ack: true })
                        .await
                        .unwrap();
                    if let Some(message) = got {
                        break message;
                    }
                    assert!(
                        started.elapsed() < Duration::from_secs(10),
                        "nothing reached {dlq}"
                    );
                    tokio::time::sleep(Duration::from_millis(50)).await;
                };
                let headers = dead
                    .delivery
                    .properties
                    .headers()
                    .clone()
                    .unwrap_or_default();
                assert_eq!(
                    headers.inner().get("x-seam-attempt"),
                    Some(&AMQPValue::LongLongInt(3)),
                    "three attempts before the dead-letter queue"
                );
                let reason = headers
                    .inner()
                    .get("x-seam-reason")
                    .and_then(AMQPValue::as_long_string)
                    .map(|r| r.to_string())
                    .unwrap_or_default();
                assert!(reason.contains("mail relay refused"), "{reason}");
                assert!(outbox.sent().is_empty());
            }
        }

        let _ = stop.send(());
        service.await.unwrap().unwrap();
        for q in [
            settings.queue.clone(),
            dlq,
            format!("{}.retry.1", settings.queue),
            format!("{}.retry.2", settings.queue),
        ] {
            let _ = channel
                .queue_delete(q.as_str().into(), QueueDeleteOptions::default())
                .await;
        }
        let _ = channel
            .exchange_delete(
                settings.orders_exchange.as_str().into(),
                ExchangeDeleteOptions::default(),
            )
            .await;
    }
}
