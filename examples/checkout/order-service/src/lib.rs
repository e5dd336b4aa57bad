//! order-service: `createOrder` and `getOrder` of `contracts/order-api.yaml`. A checkout charges the customer
//! through payment-service (the timeout and retry policy of `seam.toml`, with the order's Idempotency-Key),
//! publishes `order.placed`, and waits for inventory-service's answer: `inventory.stock_reserved` confirms the
//! order, `inventory.stock_reservation_failed` cancels it, and no answer in time is the seed's incident, a 503.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Extension, Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use seamline_runtime::http::{CallError, Policy, Problem, call, problem_details, traced};
use seamline_runtime::{
    ConsumerConfig, Delivered, Outcome, Publisher, Telemetry, TraceContext, Upcasters,
    run_supervised,
};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

/// Where and how the service runs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub amqp_url: String,
    pub orders_exchange: String,
    pub inventory_exchange: String,
    /// This service's queue of inventory events; its dead-letter queue is `<queue>.dlq`.
    pub queue: String,
    pub payment_url: String,
    /// How long a checkout waits for inventory-service's answer.
    pub reserve_timeout: Duration,
    /// Accept `inventory.stock_reserved` v2 as well as v1 (the migration's consumer phase). Off reproduces a
    /// consumer still on v1 when the producer has moved to v2.
    pub accept_v2: bool,
    pub telemetry: Option<Telemetry>,
}

impl Settings {
    /// The names `seam.toml` and the contracts use.
    pub fn new(amqp_url: &str, payment_url: &str) -> Settings {
        Settings {
            amqp_url: amqp_url.into(),
            orders_exchange: "orders".into(),
            inventory_exchange: "inventory".into(),
            queue: "order-service.inventory".into(),
            payment_url: payment_url.trim_end_matches('/').into(),
            reserve_timeout: Duration::from_secs(3),
            accept_v2: true,
            telemetry: None,
        }
    }
}

/// inventory-service's answer about one order.
#[derive(Debug, Clone, PartialEq)]
enum Reservation {
    Reserved,
    Failed(String),
}

#[derive(Debug, Clone, Serialize)]
struct Order {
    order_id: String,
    status: &'static str,
    total: Value,
}

#[derive(Clone)]
struct Service {
    settings: Settings,
    publisher: Publisher,
    payments: reqwest_middleware::ClientWithMiddleware,
    policy: Policy,
    waiting: Arc<Mutex<HashMap<String, oneshot::Sender<Reservation>>>>,
    orders: Arc<Mutex<HashMap<String, Order>>>,
    /// Idempotency-Key → the answer it got.
    answered: Arc<Mutex<HashMap<String, (StatusCode, Value)>>>,
}

fn manifest() -> Result<seamline_model::Manifest, String> {
    seamline_runtime::read_manifest(Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// This service's own events, so each is checked against the contract before it leaves.
fn contract() -> Result<Arc<seamline_runtime::Schemas>, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts/order-events.asyncapi.yaml");
    seamline_runtime::Schemas::from_contract(&path).map(Arc::new)
}

/// Serves on `listener` until `shutdown` is cancelled, consuming inventory events meanwhile.
pub async fn serve(
    settings: Settings,
    listener: tokio::net::TcpListener,
    shutdown: CancellationToken,
) -> Result<(), String> {
    let mut manifest = manifest()?;
    let policy = Policy::for_partner(&manifest, "payment-service")
        .ok_or("seam.toml does not consume payment-service")?;
    let payments = match &settings.telemetry {
        Some(t) => policy.traced_client(t),
        None => policy.client(),
    }
    .map_err(|e| e.to_string())?;
    let mut publisher = Publisher::connect(
        &settings.amqp_url,
        "order-service",
        &settings.orders_exchange,
        "order-service",
        "order-events",
        Some(contract()?),
    )
    .await
    .map_err(|e| format!("cannot reach RabbitMQ at {}: {e}", settings.amqp_url))?
    .allow_unroutable();
    if let Some(t) = &settings.telemetry {
        publisher = publisher.with_telemetry(t);
    }
    let service = Service {
        settings: settings.clone(),
        publisher,
        payments,
        policy,
        waiting: Arc::default(),
        orders: Arc::default(),
        answered: Arc::default(),
    };

    // The inventory consumer: each answer wakes the checkout waiting for it. Bound to exactly the messages
    // seam.toml consumes, so an event under another routing key never arrives, and accepting exactly the versions
    // it lists. Without v2 this is the order-service of before the migration, whose seam.toml listed only v1.
    if !settings.accept_v2 {
        for entry in &mut manifest.consumes_events {
            entry
                .messages
                .retain(|m| m.value.to_string() != "inventory.stock_reserved@2");
        }
    }
    let mut config = ConsumerConfig::for_partner(
        &manifest,
        "inventory-service",
        &settings.inventory_exchange,
        &settings.queue,
    )?;
    config.base_delay = Duration::from_millis(200);
    config.telemetry = settings.telemetry.clone();
    let mut upcasters = Upcasters::new()
        .accept("inventory.stock_reserved@1", |d: Value| {
            Ok(answer(&d, Reservation::Reserved))
        })
        .accept("inventory.stock_reservation_failed@1", |d: Value| {
            let reason = d["reason"].as_str().unwrap_or("unknown").to_owned();
            Ok(answer(&d, Reservation::Failed(reason)))
        });
    if settings.accept_v2 {
        upcasters = upcasters.accept("inventory.stock_reserved@2", |d: Value| {
            Ok(answer(&d, Reservation::Reserved))
        });
    }
    upcasters.check(&manifest, "inventory-service")?;
    let waiting = service.waiting.clone();
    let (url, stop) = (settings.amqp_url.clone(), shutdown.clone());
    let consuming = tokio::spawn(async move {
        let handler = |d: Delivered<(String, Reservation)>| {
            let waiter = waiting.lock().ok().and_then(|mut w| w.remove(&d.data.0));
            if let Some(waiter) = waiter {
                let _ = waiter.send(d.data.1);
            }
            async { Outcome::Done }
        };
        run_supervised(
            &url,
            "order-service",
            config,
            &upcasters,
            handler,
            stop.cancelled_owned(),
        )
        .await
    });

    let router = Router::new()
        .route("/orders", post(create_order))
        .route("/orders/{order_id}", get(get_order))
        .with_state(service);
    let router = problem_details(router);
    let router = match &settings.telemetry {
        Some(t) => traced(router, t.clone()),
        None => router,
    };
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .await
        .map_err(|e| e.to_string());
    shutdown.cancel();
    let consumed = consuming
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string());
    served.and(consumed)
}

fn answer(d: &Value, r: Reservation) -> (String, Reservation) {
    (d["order_id"].as_str().unwrap_or_default().to_owned(), r)
}

/// A cart's content; carts belong to a cart service outside this example, so every cart holds one book.
fn cart(_cart_id: &str) -> (Vec<Value>, Value) {
    (
        vec![json!({"sku": "book", "quantity": 1})],
        json!({"amount_minor": 4200, "currency": "EUR"}),
    )
}

fn problem(status: StatusCode, detail: impl Into<String>) -> (StatusCode, Value) {
    let problem = Problem::new(status, detail);
    (status, serde_json::to_value(problem).unwrap_or_default())
}

/// `createOrder`: charge, announce, wait for the reservation.
async fn create_order(
    State(s): State<Service>,
    trace: Option<Extension<TraceContext>>,
    headers: HeaderMap,
    body: Json<Value>,
) -> Response {
    let Some(key) = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the Idempotency-Key header is required",
        )
        .into_response();
    };
    if let Some((status, body)) = s.answered.lock().ok().and_then(|a| a.get(&key).cloned()) {
        return reply(status, body);
    }
    let (Some(cart_id), Some(_customer)) = (body["cart_id"].as_str(), body["customer_id"].as_str())
    else {
        return Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "cart_id and customer_id are required",
        )
        .into_response();
    };
    let trace = trace.map(|Extension(t)| t);
    let (status, answer) = checkout(&s, cart_id, &key, trace.as_ref()).await;
    if let Ok(mut answered) = s.answered.lock() {
        answered.insert(key, (status, answer.clone()));
    }
    reply(status, answer)
}

fn reply(status: StatusCode, body: Value) -> Response {
    if status.is_success() {
        (status, Json(body)).into_response()
    } else {
        let problem: Problem =
            serde_json::from_value(body).unwrap_or_else(|_| Problem::new(status, "error"));
        problem.into_response()
    }
}

async fn checkout(
    s: &Service,
    cart_id: &str,
    key: &str,
    trace: Option<&TraceContext>,
) -> (StatusCode, Value) {
    let order_id = seamline_runtime::uuid();
    let (items, total) = cart(cart_id);
    let mut charge = s
        .payments
        .post(format!("{}/payments", s.settings.payment_url))
        .header("Idempotency-Key", format!("order-{key}"))
        .json(&json!({"order_id": order_id, "amount_minor": total["amount_minor"], "currency": total["currency"]}));
    if let Some(t) = trace {
        charge = charge.with_extension(t.clone());
    }
    if let Err(e) = call(charge, s.policy.timeout).await {
        let why = match &e {
            CallError::Timeout(t) => {
                format!("payment-service did not answer within {} ms", t.as_millis())
            }
            other => format!("payment-service failed: {other}"),
        };
        return problem(StatusCode::SERVICE_UNAVAILABLE, why);
    }
    let (tx, rx) = oneshot::channel();
    if let Ok(mut waiting) = s.waiting.lock() {
        waiting.insert(order_id.clone(), tx);
    }
    // The wait is a span of its own, so a trace shows what the checkout waited for when it gives up.
    let awaiting = s
        .settings
        .telemetry
        .as_ref()
        .map(|t| t.awaiting("inventory.stock_reserved", &s.settings.queue, trace));
    let placed =
        json!({"event_id": seamline_runtime::uuid(), "order_id": order_id, "items": items});
    if let Err(e) = s.publisher.publish("order.placed", 1, placed, trace).await {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("could not announce the order: {e}"),
        );
    }
    let outcome = tokio::time::timeout(s.settings.reserve_timeout, rx).await;
    if let Some(awaiting) = awaiting {
        match &outcome {
            Ok(Ok(_)) => awaiting.received(),
            _ => awaiting.timed_out(s.settings.reserve_timeout),
        }
    }
    let (status, order_status, event) = match outcome {
        Ok(Ok(Reservation::Reserved)) => {
            (StatusCode::CREATED, "confirmed", Some("order.confirmed"))
        }
        Ok(Ok(Reservation::Failed(reason))) => {
            let _ =
                publish_after(s, "order.cancelled", &order_id, Some("out_of_stock"), trace).await;
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("the stock could not be reserved: {reason}"),
            );
        }
        _ => {
            if let Ok(mut waiting) = s.waiting.lock() {
                waiting.remove(&order_id);
            }
            return problem(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "inventory-service did not confirm the reservation within {} ms",
                    s.settings.reserve_timeout.as_millis()
                ),
            );
        }
    };
    if let Some(event) = event {
        let _ = publish_after(s, event, &order_id, None, trace).await;
    }
    let order = Order {
        order_id: order_id.clone(),
        status: order_status,
        total,
    };
    if let Ok(mut orders) = s.orders.lock() {
        orders.insert(order_id, order.clone());
    }
    (status, serde_json::to_value(order).unwrap_or_default())
}

async fn publish_after(
    s: &Service,
    message: &str,
    order_id: &str,
    reason: Option<&str>,
    trace: Option<&TraceContext>,
) -> Result<(), seamline_runtime::PublishError> {
    let mut data = json!({"event_id": seamline_runtime::uuid(), "order_id": order_id});
    if let Some(r) = reason {
        data["reason"] = json!(r);
    }
    s.publisher
        .publish(message, 1, data, trace)
        .await
        .map(|_| ())
}

/// `getOrder`.
async fn get_order(State(s): State<Service>, UrlPath(order_id): UrlPath<String>) -> Response {
    match s.orders.lock().ok().and_then(|o| o.get(&order_id).cloned()) {
        Some(order) => Json(order).into_response(),
        None => Problem::new(StatusCode::NOT_FOUND, format!("no order {order_id}")).into_response(),
    }
}
