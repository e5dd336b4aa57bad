//! gateway: `checkout` of `contracts/checkout-api.yaml`. It checks the request, hands it to order-service's
//! `createOrder` with the client's Idempotency-Key and trace context (the timeout of `seam.toml`, no retry:
//! order-service retries its own partners), and answers what order-service answered. When order-service does
//! not answer, the gateway says so itself: 504 on a timeout, 502 when the connection fails.

use std::path::Path;

use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use seamline_runtime::http::{CallError, Policy, Problem, call, problem_details, traced};
use seamline_runtime::{Telemetry, TraceContext};
use serde_json::Value;

#[derive(Clone)]
struct Gateway {
    order_url: String,
    orders: reqwest_middleware::ClientWithMiddleware,
    policy: Policy,
}

fn manifest() -> Result<seamline_model::Manifest, String> {
    seamline_runtime::read_manifest(Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// The gateway's router, calling order-service at `order_url`; with `telemetry`, a server span per request and
/// a client span per call.
pub fn app(order_url: &str, telemetry: Option<Telemetry>) -> Result<Router, String> {
    let policy = Policy::for_partner(&manifest()?, "order-service")
        .ok_or("seam.toml does not consume order-service")?;
    let orders = match &telemetry {
        Some(t) => policy.traced_client(t),
        None => policy.client(),
    }
    .map_err(|e| e.to_string())?;
    let gateway = Gateway {
        order_url: order_url.trim_end_matches('/').into(),
        orders,
        policy,
    };
    let router = problem_details(
        Router::new()
            .route("/checkout", post(checkout))
            .with_state(gateway),
    );
    Ok(match telemetry {
        Some(t) => traced(router, t),
        None => router,
    })
}

async fn checkout(
    State(g): State<Gateway>,
    trace: Option<Extension<TraceContext>>,
    headers: HeaderMap,
    body: Json<Value>,
) -> Response {
    let Some(key) = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.trim().is_empty() && k.len() <= 255)
    else {
        return Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the Idempotency-Key header is required (at most 255 characters): a checkout must be safe to retry",
        )
        .into_response();
    };
    let missing: Vec<&str> = ["cart_id", "customer_id"]
        .into_iter()
        .filter(|f| !body[*f].is_string())
        .collect();
    if !missing.is_empty() {
        return Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{} must be given as strings", missing.join(" and ")),
        )
        .into_response();
    }
    let mut request = g
        .orders
        .post(format!("{}/orders", g.order_url))
        .header("Idempotency-Key", key)
        .json(&*body);
    if let Some(Extension(t)) = trace {
        request = request.with_extension(t);
    }
    let answer = match call(request, g.policy.timeout).await {
        Ok(answer) => answer,
        Err(CallError::Problem { problem }) => return problem.into_response(),
        Err(CallError::Timeout(t)) => {
            return Problem::new(
                StatusCode::GATEWAY_TIMEOUT,
                format!("order-service did not answer within {} ms", t.as_millis()),
            )
            .into_response();
        }
        Err(e) => {
            return Problem::new(
                StatusCode::BAD_GATEWAY,
                format!("order-service failed: {e}"),
            )
            .into_response();
        }
    };
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::OK);
    match answer.json::<Value>().await {
        Ok(order) => (status, Json(order)).into_response(),
        Err(e) => Problem::new(
            StatusCode::BAD_GATEWAY,
            format!("order-service answered {status} with a body that is not JSON: {e}"),
        )
        .into_response(),
    }
}
