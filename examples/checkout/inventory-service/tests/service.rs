//! inventory-service on a real RabbitMQ (AMQP_URL), as order-service sees it: an `order.placed` goes in, the
//! events on the `inventory` exchange come out, for each fault switch. Exchange and queue names are unique per
//! test, so runs do not meet.

use std::time::{Duration, Instant};

use checkout_inventory_service::{Fault, Settings, Stock, run};
use futures_lite::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, ExchangeDeleteOptions, QueueBindOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;
use seamline_runtime::{CloudEvent, PublishError, Publisher};
use serde_json::json;

/// What came out on the inventory exchange: (routing key, event).
async fn scenario(fault: Fault, stock: Stock) -> Option<Vec<(String, CloudEvent)>> {
    let Ok(url) = std::env::var("AMQP_URL") else {
        assert!(
            std::env::var_os("SEAMLINE_REQUIRE_SERVICES").is_none(),
            "AMQP_URL is not set and SEAMLINE_REQUIRE_SERVICES=1: RabbitMQ is required"
        );
        eprintln!("SKIPPED: set AMQP_URL to run inventory-service's tests against RabbitMQ");
        return None;
    };
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let mut settings = Settings::new(&url);
    settings.orders_exchange = format!("test.orders.{n}");
    settings.inventory_exchange = format!("test.inventory.{n}");
    settings.queue = format!("test.inventory-service.{n}");
    settings.fault = fault;
    let watch = format!("test.watch.{n}");

    // Everything published on the inventory exchange, whatever its routing key.
    let connection = seamline_runtime::connect(&url, "inventory test")
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    let orders = Publisher::new(
        &connection,
        &settings.orders_exchange,
        "order-service",
        "order-events",
        None,
    )
    .await
    .unwrap();
    let _inventory = Publisher::new(
        &connection,
        &settings.inventory_exchange,
        "test",
        "test",
        None,
    )
    .await
    .unwrap();
    channel
        .queue_declare(
            watch.as_str().into(),
            QueueDeclareOptions {
                exclusive: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    channel
        .queue_bind(
            watch.as_str().into(),
            settings.inventory_exchange.as_str().into(),
            "#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let mut watching = channel
        .basic_consume(
            watch.as_str().into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let service = tokio::spawn(run(settings.clone(), stock, async {
        let _ = stopped.await;
    }));
    // The service declares its queue when it starts; until then an order would be unroutable.
    let placed =
        json!({"event_id": "p-1", "order_id": "o-42", "items": [{"sku": "book", "quantity": 2}]});
    let started = Instant::now();
    loop {
        match orders
            .publish("order.placed", 1, placed.clone(), None)
            .await
        {
            Ok(_) => break,
            Err(PublishError::Unroutable { .. }) if started.elapsed() < Duration::from_secs(10) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("publishing order.placed: {e}"),
        }
    }
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_millis(1_500);
    while let Ok(Some(Ok(d))) = tokio::time::timeout_at(deadline.into(), watching.next()).await {
        d.ack(BasicAckOptions::default()).await.unwrap();
        out.push((
            d.routing_key.to_string(),
            CloudEvent::from_bytes(&d.data).unwrap(),
        ));
    }
    let _ = stop.send(());
    service.await.unwrap().expect("the service stops cleanly");
    for q in [settings.queue.clone(), format!("{}.dlq", settings.queue)]
        .into_iter()
        .chain((1..5).map(|i| format!("{}.retry.{i}", settings.queue)))
    {
        let _ = channel
            .queue_delete(q.as_str().into(), QueueDeleteOptions::default())
            .await;
    }
    for e in [&settings.orders_exchange, &settings.inventory_exchange] {
        let _ = channel
            .exchange_delete(e.as_str().into(), ExchangeDeleteOptions::default())
            .await;
    }
    Some(out)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_placed_order_is_reserved_and_announced_in_both_versions() {
    let Some(out) = scenario(Fault::None, Stock::default()).await else {
        return;
    };
    let versions: Vec<(String, String)> = out
        .iter()
        .map(|(key, e)| (key.clone(), e.message()))
        .collect();
    assert_eq!(
        versions,
        [
            (
                "inventory.stock_reserved".to_owned(),
                "inventory.stock_reserved@1".to_owned()
            ),
            (
                "inventory.stock_reserved".to_owned(),
                "inventory.stock_reserved@2".to_owned()
            ),
        ]
    );
    assert!(out.iter().all(|(_, e)| e.data["order_id"] == "o-42"));
    assert_eq!(out[1].1.data["warehouse_id"], "berlin-1");
}

#[tokio::test(flavor = "multi_thread")]
async fn short_stock_is_announced_as_a_failed_reservation() {
    let stock = Stock::default();
    stock.set("book", 1);
    let Some(out) = scenario(Fault::None, stock).await else {
        return;
    };
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].1.message(), "inventory.stock_reservation_failed@1");
    assert_eq!(out[0].1.data["reason"], "not enough book");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_only_v2_fault_publishes_version_2_alone() {
    let Some(out) = scenario(Fault::OnlyV2, Stock::default()).await else {
        return;
    };
    let messages: Vec<String> = out.iter().map(|(_, e)| e.message()).collect();
    assert_eq!(messages, ["inventory.stock_reserved@2"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_never_publishes_fault_says_nothing() {
    let Some(out) = scenario(Fault::NeverPublishes, Stock::default()).await else {
        return;
    };
    assert!(out.is_empty(), "{out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_wrong_routing_key_fault_publishes_where_nobody_listens() {
    let Some(out) = scenario(Fault::WrongRoutingKey, Stock::default()).await else {
        return;
    };
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(
        out[0].0, "inventory.stock-reserved",
        "not the `inventory.stock_reserved` order-service binds"
    );
    assert_eq!(out[0].1.kind, "inventory.stock_reserved");
}
