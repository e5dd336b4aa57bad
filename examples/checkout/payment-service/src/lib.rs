//! payment-service: `createPayment`, `getPayment` and `createRefund` of `contracts/payment-api.yaml`, with the
//! conventions of the runtime library (problem details for every error, spans continuing the caller's trace),
//! and the fault switches the checkout example uses to reproduce incidents.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use seamline_runtime::Telemetry;
use seamline_runtime::http::{Problem, problem_details, traced};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An incident to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// Every charge answers 503.
    Unavailable,
    /// Every charge takes this long before it answers.
    Slow(Duration),
}

impl Fault {
    /// `none`, `unavailable`, or `slow` (2.5 s: beyond order-service's 2 s timeout).
    pub fn parse(name: &str) -> Option<Fault> {
        match name {
            "none" => Some(Fault::None),
            "unavailable" => Some(Fault::Unavailable),
            "slow" => Some(Fault::Slow(Duration::from_millis(2_500))),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    pub payment_id: String,
    pub status: String,
}

#[derive(Clone)]
struct Service {
    fault: Fault,
    payments: Arc<Mutex<HashMap<String, Payment>>>,
    /// Idempotency-Key → payment id, so a retried charge is not charged twice.
    by_key: Arc<Mutex<HashMap<String, String>>>,
    next: Arc<AtomicU64>,
    /// Charge requests received, for tests.
    charges: Arc<AtomicU64>,
}

/// The service's router: the contract's operations, problem details for every error, and (with `telemetry`)
/// a server span per request.
pub fn app(fault: Fault, telemetry: Option<Telemetry>) -> (Router, Counter) {
    let service = Service {
        fault,
        payments: Arc::default(),
        by_key: Arc::default(),
        next: Arc::new(AtomicU64::new(1)),
        charges: Arc::default(),
    };
    let counter = Counter(service.charges.clone());
    let router = Router::new()
        .route("/payments", post(create_payment))
        .route("/payments/{payment_id}", get(get_payment))
        .route("/refunds", post(create_refund))
        .with_state(service);
    let router = problem_details(router);
    let router = match telemetry {
        Some(t) => traced(router, t),
        None => router,
    };
    (router, counter)
}

/// How many charge requests the service received.
#[derive(Clone, Debug)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

fn bad_request(detail: impl Into<String>) -> Response {
    Problem::new(StatusCode::BAD_REQUEST, detail).into_response()
}

fn idempotency_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.trim().is_empty())
        .map(str::to_owned)
}

/// `createPayment`: charge once per Idempotency-Key; the same key answers the same payment.
async fn create_payment(
    State(s): State<Service>,
    headers: HeaderMap,
    body: Json<Value>,
) -> Response {
    s.charges.fetch_add(1, Ordering::SeqCst);
    let Some(key) = idempotency_key(&headers) else {
        return bad_request(
            "the Idempotency-Key header is required: a charge must be safe to retry",
        );
    };
    let missing: Vec<&str> = ["order_id", "amount_minor", "currency"]
        .into_iter()
        .filter(|f| body.get(*f).is_none())
        .collect();
    if !missing.is_empty() {
        return bad_request(format!("missing {}", missing.join(", ")));
    }
    if !body["amount_minor"].is_i64()
        || !body["order_id"].is_string()
        || !body["currency"].is_string()
    {
        return bad_request("order_id and currency are strings, amount_minor an integer");
    }
    match s.fault {
        Fault::Unavailable => {
            return Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the card processor is unavailable",
            )
            .into_response();
        }
        Fault::Slow(delay) => tokio::time::sleep(delay).await,
        Fault::None => {}
    }
    let existing = s.by_key.lock().ok().and_then(|k| k.get(&key).cloned());
    let payment = match existing.and_then(|id| s.payments.lock().ok()?.get(&id).cloned()) {
        Some(p) => p,
        None => {
            let payment = Payment {
                payment_id: format!("pay_{:06}", s.next.fetch_add(1, Ordering::SeqCst)),
                status: "captured".into(),
            };
            if let (Ok(mut payments), Ok(mut keys)) = (s.payments.lock(), s.by_key.lock()) {
                payments.insert(payment.payment_id.clone(), payment.clone());
                keys.insert(key, payment.payment_id.clone());
            }
            payment
        }
    };
    (StatusCode::CREATED, Json(payment)).into_response()
}

/// `getPayment`.
async fn get_payment(State(s): State<Service>, Path(payment_id): Path<String>) -> Response {
    match s
        .payments
        .lock()
        .ok()
        .and_then(|p| p.get(&payment_id).cloned())
    {
        Some(p) => Json(p).into_response(),
        None => {
            Problem::new(StatusCode::NOT_FOUND, format!("no payment {payment_id}")).into_response()
        }
    }
}

/// `createRefund`: accepted for later; needs an Idempotency-Key like a charge.
async fn create_refund(headers: HeaderMap) -> Response {
    match idempotency_key(&headers) {
        Some(_) => StatusCode::ACCEPTED.into_response(),
        None => bad_request("the Idempotency-Key header is required"),
    }
}
