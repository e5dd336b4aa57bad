//! `prefetch` deliveries in flight at once, on a real RabbitMQ (AMQP_URL): handlers run concurrently up to the
//! prefetch and never beyond it, every delivery is still acknowledged, and duplicates of one event id that
//! arrive together are handled once.
//!
//! Without AMQP_URL the tests skip, saying so; under SEAMLINE_REQUIRE_SERVICES=1 they fail instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use seamline_runtime::{CloudEvent, Consumer, Delivered, Outcome, Upcasters};
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc, oneshot};

mod common;
use common::Rig;

/// How many handlers run now and the most that ever ran at once.
#[derive(Default)]
struct Gauge {
    now: AtomicUsize,
    most: AtomicUsize,
    changed: Notify,
}

impl Gauge {
    fn enter(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        self.changed.notify_waiters();
    }

    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
        self.changed.notify_waiters();
    }

    /// Waits until `n` handlers run at once, or `patience` passes.
    async fn until(&self, n: usize, patience: Duration) {
        let _ = tokio::time::timeout(patience, async {
            loop {
                let changed = self.changed.notified();
                if self.now.load(Ordering::SeqCst) >= n {
                    return;
                }
                changed.await;
            }
        })
        .await;
    }
}

/// Runs `consumer` in the background with `handle`; what was handled goes to the receiver.
fn run<F>(
    consumer: Consumer,
    handle: impl Fn(Delivered<Value>) -> F + Send + Sync + 'static,
) -> (mpsc::UnboundedReceiver<String>, oneshot::Sender<()>)
where
    F: Future<Output = Outcome> + Send,
{
    let (tx, rx) = mpsc::unbounded_channel();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let upcasters = Upcasters::new().accept("inventory.stock_reserved@1", Ok);
        let handler = |d: Delivered<Value>| {
            let id = d.event.id.clone();
            let tx = tx.clone();
            let outcome = handle(d);
            async move {
                let outcome = outcome.await;
                let _ = tx.send(id);
                outcome
            }
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

async fn handled(rx: &mut mpsc::UnboundedReceiver<String>, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    while ids.len() < n {
        match tokio::time::timeout(Duration::from_secs(60), rx.recv()).await {
            Ok(Some(id)) => ids.push(id),
            _ => panic!("{} of {n} deliveries handled", ids.len()),
        }
    }
    ids
}

fn reserved(n: usize) -> Value {
    json!({"event_id": format!("e-{n}"), "order_id": format!("o-{n}")})
}

/// With a prefetch of 4 and 12 events waiting, each handler waits until 4 run at once (or 3 s pass): four do,
/// never more. Handling one at a time, each waited the 3 s alone and the most at once was 1.
#[tokio::test(flavor = "multi_thread")]
async fn prefetch_deliveries_are_handled_at_once_and_never_more() {
    let Some(rig) = Rig::new().await else {
        return;
    };
    const PREFETCH: usize = 4;
    let consumer = rig
        .consumer(|config| config.prefetch = PREFETCH as u16)
        .await;
    let publisher = rig.publisher(None).await;
    for n in 0..3 * PREFETCH {
        publisher
            .publish("inventory.stock_reserved", 1, reserved(n), None)
            .await
            .unwrap();
    }
    let gauge = Arc::new(Gauge::default());
    let g = gauge.clone();
    let (mut rx, stop) = run(consumer, move |_| {
        let g = g.clone();
        async move {
            g.enter();
            g.until(PREFETCH, Duration::from_secs(3)).await;
            // Let a fifth, if the consumer wrongly took one, be counted before anyone leaves.
            tokio::time::sleep(Duration::from_millis(50)).await;
            g.leave();
            Outcome::Done
        }
    });
    let ids = handled(&mut rx, 3 * PREFETCH).await;
    assert_eq!(
        ids.iter().collect::<std::collections::HashSet<_>>().len(),
        3 * PREFETCH,
        "every event once"
    );
    assert_eq!(gauge.most.load(Ordering::SeqCst), PREFETCH);
    let _ = stop.send(());
    rig.cleanup().await;
}

/// Three deliveries of one event id arrive together (a publisher that sent again after a lost confirm): one is
/// handled, the other two wait for it and are acknowledged as duplicates. With a prefetch of 3, an
/// unacknowledged duplicate would hold a slot and the next events would never come.
#[tokio::test(flavor = "multi_thread")]
async fn duplicates_in_flight_together_are_handled_once_and_acknowledged() {
    let Some(rig) = Rig::new().await else {
        return;
    };
    let consumer = rig.consumer(|config| config.prefetch = 3).await;
    let publisher = rig.publisher(None).await;
    let twice = CloudEvent::new(
        "inventory-service",
        "inventory-events",
        "inventory.stock_reserved",
        1,
        reserved(0),
    );
    for _ in 0..3 {
        publisher.send(&twice).await.unwrap();
    }
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let (mut rx, stop) = run(consumer, move |_| {
        counted.fetch_add(1, Ordering::SeqCst);
        async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Outcome::Done
        }
    });
    assert_eq!(handled(&mut rx, 1).await, vec![twice.id.clone()]);
    let mut later = Vec::new();
    for n in 1..=3 {
        later.push(
            publisher
                .publish("inventory.stock_reserved", 1, reserved(n), None)
                .await
                .unwrap()
                .id,
        );
    }
    let mut ids = handled(&mut rx, 3).await;
    ids.sort();
    later.sort();
    assert_eq!(
        ids, later,
        "the duplicates were acknowledged, freeing their slots"
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        4,
        "the duplicated event handled once"
    );
    let _ = stop.send(());
    rig.cleanup().await;
}
