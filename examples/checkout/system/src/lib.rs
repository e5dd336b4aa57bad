//! The checkout example as one system: gateway, order-service, payment-service, inventory-service and
//! notification-service started together against one RabbitMQ, each with its own connection, its own queues and
//! its own trace file, plus a driver that sends checkouts through the gateway and logs every answer.
//!
//! An [`Incident`] switches on the fault switches that reproduce one real failure. Its name is the one
//! `seam trace generate --fault` uses for the same failure in synthetic traces.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use checkout_inventory_service::Fault as InventoryFault;
use checkout_notification_service::Fault as NotificationFault;
use checkout_payment_service::Fault as PaymentFault;
use seamline_runtime::Telemetry;
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A real failure to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incident {
    /// inventory-service reserves the stock and never says so: order-service times out waiting (the seed's).
    MissingPublish,
    /// inventory-service publishes under a misspelt routing key: no queue receives it.
    WrongRoutingKey,
    /// inventory-service publishes only `inventory.stock_reserved` v2; order-service accepts only v1.
    VersionMismatch,
    /// payment-service answers 503 to every charge.
    PaymentUnavailable,
    /// payment-service answers after 2.5 s; order-service gives up after 2 s.
    PaymentSlow,
    /// notification-service cannot send confirmations; checkouts still succeed.
    NotificationFails,
}

impl Incident {
    pub const ALL: [Incident; 6] = [
        Incident::MissingPublish,
        Incident::WrongRoutingKey,
        Incident::VersionMismatch,
        Incident::PaymentUnavailable,
        Incident::PaymentSlow,
        Incident::NotificationFails,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Incident::MissingPublish => "missing-publish",
            Incident::WrongRoutingKey => "wrong-routing-key",
            Incident::VersionMismatch => "version-mismatch",
            Incident::PaymentUnavailable => "payment-unavailable",
            Incident::PaymentSlow => "payment-slow",
            Incident::NotificationFails => "notification-fails",
        }
    }

    pub fn parse(name: &str) -> Option<Incident> {
        Incident::ALL.into_iter().find(|i| i.name() == name)
    }
}

/// The five services, in the order they start.
pub const SERVICES: [&str; 5] = [
    "payment-service",
    "inventory-service",
    "notification-service",
    "order-service",
    "gateway",
];

/// How to run the system.
#[derive(Debug, Clone)]
pub struct Options {
    pub amqp_url: String,
    pub incident: Option<Incident>,
    /// Each service appends its spans to `<traces>/<service>.otlp.jsonl`; `None` records nothing.
    pub traces: Option<PathBuf>,
    /// Where the gateway listens; the other services take free loopback ports.
    pub listen: String,
    /// Put before every exchange and queue name (`<prefix>.orders`), so several systems share one broker;
    /// `None` keeps the names of the contracts.
    pub prefix: Option<String>,
    /// How long order-service waits for inventory-service's answer.
    pub reserve_timeout: Duration,
}

impl Options {
    pub fn new(amqp_url: &str) -> Options {
        Options {
            amqp_url: amqp_url.into(),
            incident: None,
            traces: None,
            listen: "127.0.0.1:8000".into(),
            prefix: None,
            reserve_timeout: Duration::from_secs(3),
        }
    }
}

/// The trace file of `service` under `dir`.
pub fn trace_file(dir: &Path, service: &str) -> PathBuf {
    dir.join(format!("{service}.otlp.jsonl"))
}

/// The running system.
pub struct System {
    /// The gateway's base URL.
    pub gateway: String,
    stop: CancellationToken,
    tasks: Vec<(&'static str, JoinHandle<Result<(), String>>)>,
    telemetry: Vec<Telemetry>,
    amqp_url: String,
    queues: Vec<String>,
    exchanges: Vec<String>,
}

async fn listen(address: &str) -> Result<(tokio::net::TcpListener, String), String> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| format!("cannot listen on {address}: {e}"))?;
    let url = listener
        .local_addr()
        .map(|a| format!("http://{a}"))
        .map_err(|e| e.to_string())?;
    Ok((listener, url))
}

impl System {
    /// Starts the five services and returns once every queue is declared and the gateway answers.
    pub async fn start(options: &Options) -> Result<System, String> {
        let incident = options.incident;
        let named = |name: &str| match &options.prefix {
            Some(p) => format!("{p}.{name}"),
            None => name.to_owned(),
        };
        let mut telemetry = Vec::new();
        let mut traced = |service: &str| -> Result<Option<Telemetry>, String> {
            let Some(dir) = &options.traces else {
                return Ok(None);
            };
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            let path = trace_file(dir, service);
            let t = Telemetry::to_file(service, &path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            telemetry.push(t.clone());
            Ok(Some(t))
        };
        let stop = CancellationToken::new();
        let mut tasks: Vec<(&'static str, JoinHandle<Result<(), String>>)> = Vec::new();

        let payment_fault = match incident {
            Some(Incident::PaymentUnavailable) => PaymentFault::Unavailable,
            Some(Incident::PaymentSlow) => PaymentFault::Slow(Duration::from_millis(2_500)),
            _ => PaymentFault::None,
        };
        let (payment, _) = checkout_payment_service::app(payment_fault, traced("payment-service")?);
        let (listener, payment_url) = listen("127.0.0.1:0").await?;
        let until = stop.clone();
        tasks.push((
            "payment-service",
            tokio::spawn(async move {
                axum::serve(listener, payment)
                    .with_graceful_shutdown(until.cancelled_owned())
                    .await
                    .map_err(|e| e.to_string())
            }),
        ));

        let mut inventory = checkout_inventory_service::Settings::new(&options.amqp_url);
        inventory.orders_exchange = named(&inventory.orders_exchange);
        inventory.inventory_exchange = named(&inventory.inventory_exchange);
        inventory.queue = named(&inventory.queue);
        inventory.fault = match incident {
            Some(Incident::MissingPublish) => InventoryFault::NeverPublishes,
            Some(Incident::WrongRoutingKey) => InventoryFault::WrongRoutingKey,
            Some(Incident::VersionMismatch) => InventoryFault::OnlyV2,
            _ => InventoryFault::None,
        };
        inventory.telemetry = traced("inventory-service")?;
        tasks.push((
            "inventory-service",
            tokio::spawn(checkout_inventory_service::run(
                inventory.clone(),
                Default::default(),
                stop.clone().cancelled_owned(),
            )),
        ));

        let mut notification = checkout_notification_service::Settings::new(&options.amqp_url);
        notification.orders_exchange = inventory.orders_exchange.clone();
        notification.queue = named(&notification.queue);
        if incident == Some(Incident::NotificationFails) {
            notification.fault = NotificationFault::Fails;
        }
        notification.telemetry = traced("notification-service")?;
        tasks.push((
            "notification-service",
            tokio::spawn(checkout_notification_service::run(
                notification.clone(),
                Default::default(),
                stop.clone().cancelled_owned(),
            )),
        ));

        let mut order = checkout_order_service::Settings::new(&options.amqp_url, &payment_url);
        order.orders_exchange = inventory.orders_exchange.clone();
        order.inventory_exchange = inventory.inventory_exchange.clone();
        order.queue = named(&order.queue);
        order.reserve_timeout = options.reserve_timeout;
        order.accept_v2 = incident != Some(Incident::VersionMismatch);
        order.telemetry = traced("order-service")?;
        let (listener, order_url) = listen("127.0.0.1:0").await?;
        tasks.push((
            "order-service",
            tokio::spawn(checkout_order_service::serve(
                order.clone(),
                listener,
                stop.clone(),
            )),
        ));

        let gateway = checkout_gateway::app(&order_url, traced("gateway")?)?;
        let (listener, gateway_url) = listen(&options.listen).await?;
        let until = stop.clone();
        tasks.push((
            "gateway",
            tokio::spawn(async move {
                axum::serve(listener, gateway)
                    .with_graceful_shutdown(until.cancelled_owned())
                    .await
                    .map_err(|e| e.to_string())
            }),
        ));

        let system = System {
            gateway: gateway_url,
            stop,
            tasks,
            telemetry,
            amqp_url: options.amqp_url.clone(),
            queues: vec![inventory.queue, notification.queue, order.queue],
            exchanges: vec![inventory.orders_exchange, inventory.inventory_exchange],
        };
        if let Err(e) = system.ready().await {
            let _ = system.stop().await;
            return Err(e);
        }
        Ok(system)
    }

    /// Waits until every queue is declared, bound and consumed (before that, an event may find no queue and be
    /// lost), for up to 15 s. A service that stopped early is reported with its error.
    async fn ready(&self) -> Result<(), String> {
        let connection = seamline_runtime::connect(&self.amqp_url, "checkout readiness")
            .await
            .map_err(|e| format!("cannot reach RabbitMQ at {}: {e}", self.amqp_url))?;
        let started = Instant::now();
        for queue in &self.queues {
            loop {
                if let Some((service, _)) = self.tasks.iter().find(|(_, t)| t.is_finished()) {
                    return Err(format!("{service} stopped while starting"));
                }
                // A passive declare fails, and closes its channel, while the queue does not exist.
                let channel = connection
                    .create_channel()
                    .await
                    .map_err(|e| e.to_string())?;
                let declared = channel
                    .queue_declare(
                        queue.as_str().into(),
                        lapin::options::QueueDeclareOptions {
                            passive: true,
                            ..Default::default()
                        },
                        Default::default(),
                    )
                    .await;
                // Bound and consumed once it has a consumer: the consumer binds the queue before it consumes.
                if declared.is_ok_and(|q| q.consumer_count() > 0) {
                    let _ = channel.close(200, "ready".into()).await;
                    break;
                }
                if started.elapsed() > Duration::from_secs(15) {
                    return Err(format!("the queue {queue} had no consumer within 15 s"));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let _ = connection.close(200, "ready".into()).await;
        Ok(())
    }

    /// Stops every service, waits for each, and writes out every span.
    pub async fn stop(mut self) -> Result<(), String> {
        self.stop.cancel();
        let mut failed = Vec::new();
        for (service, task) in self.tasks.drain(..) {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => failed.push(format!("{service}: {e}")),
                Err(e) => failed.push(format!("{service}: {e}")),
            }
        }
        let telemetry = std::mem::take(&mut self.telemetry);
        let _ =
            tokio::task::spawn_blocking(move || telemetry.iter().for_each(Telemetry::flush)).await;
        if failed.is_empty() {
            Ok(())
        } else {
            Err(failed.join("; "))
        }
    }

    /// The queues (with their delay and dead-letter queues) and exchanges this system declared, for deleting
    /// after a run that used a [`Options::prefix`].
    pub fn names(&self) -> (Vec<String>, Vec<String>) {
        let queues = self
            .queues
            .iter()
            .flat_map(|q| {
                let mut all = vec![q.clone(), seamline_runtime::dead_letter_queue(q)];
                all.extend((1..5).map(|i| seamline_runtime::retry_queue(q, i)));
                all
            })
            .collect();
        (queues, self.exchanges.clone())
    }
}

/// What a drive saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drive {
    /// Answers by HTTP status, in status order.
    pub statuses: std::collections::BTreeMap<u16, usize>,
    /// Checkouts that got no HTTP answer at all.
    pub unanswered: usize,
}

/// Sends `checkouts` checkouts through the gateway at `gateway`, `concurrency` at a time, each with a key of
/// its own (`<run>-<n>`). With `log`, appends one JSON line per answer, carrying the trace and span the gateway
/// named in its `traceresponse` header, so `seam trace diagnose --logs` puts each line beside its trace.
pub async fn drive(
    gateway: &str,
    run: &str,
    checkouts: usize,
    concurrency: usize,
    log: Option<&Path>,
) -> Result<Drive, String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let log = match log {
        Some(path) => Some(Arc::new(std::sync::Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        ))),
        None => None,
    };
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (client, log, next) = (client.clone(), log.clone(), next.clone());
        let (gateway, run) = (gateway.trim_end_matches('/').to_owned(), run.to_owned());
        workers.spawn(async move {
            let mut seen = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= checkouts {
                    return seen;
                }
                let line = checkout(&client, &gateway, &format!("{run}-{n}")).await;
                seen.push(
                    line["http_status"]
                        .as_u64()
                        .and_then(|s| u16::try_from(s).ok()),
                );
                if let Some(log) = &log {
                    use std::io::Write;
                    if let Ok(mut out) = log.lock() {
                        let _ = writeln!(out, "{line}");
                    }
                }
            }
        });
    }
    let mut drive = Drive::default();
    while let Some(done) = workers.join_next().await {
        for status in done.map_err(|e| e.to_string())? {
            match status {
                Some(s) => *drive.statuses.entry(s).or_default() += 1,
                None => drive.unanswered += 1,
            }
        }
    }
    Ok(drive)
}

/// One checkout, as the log line that records it.
async fn checkout(client: &reqwest::Client, gateway: &str, key: &str) -> Value {
    let time = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let sent = client
        .post(format!("{gateway}/checkout"))
        .header("Idempotency-Key", key)
        .json(&json!({
            "cart_id": "0b7e5a52-3c1a-4a3e-9d1e-2f4c5b6a7d8e",
            "customer_id": "5f1d2c3b-4a5e-6f70-8192-a3b4c5d6e7f8",
        }))
        .send()
        .await;
    let mut line = json!({"time": time, "service": "checkout-driver", "idempotency_key": key});
    match sent {
        Err(e) => {
            line["level"] = json!("ERROR");
            line["message"] = json!(format!("checkout {key}: no answer: {e}"));
        }
        Ok(answer) => {
            let status = answer.status();
            if let Some(t) = answer
                .headers()
                .get("traceresponse")
                .and_then(|v| v.to_str().ok())
                .and_then(seamline_runtime::TraceContext::parse)
            {
                line["trace_id"] = json!(t.trace_id);
                line["span_id"] = json!(t.span_id);
            }
            let body: Value = answer.json().await.unwrap_or(Value::Null);
            let said = body["detail"]
                .as_str()
                .or(body["status"].as_str())
                .unwrap_or_default();
            line["http_status"] = json!(status.as_u16());
            line["level"] = json!(if status.is_success() { "INFO" } else { "ERROR" });
            line["message"] = json!(format!("checkout {key}: {} {said}", status.as_u16()));
        }
    }
    line
}
