//! The gateway in front of a stand-in order-service: what order-service answers comes back unchanged, with the
//! client's Idempotency-Key passed on; what the gateway must answer itself is a problem naming order-service.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use seamline_runtime::http::Problem;
use serde_json::{Value, json};

const CART: &str = "0b7e5a52-3c1a-4a3e-9d1e-2f4c5b6a7d8e";
const CUSTOMER: &str = "5f1d2c3b-4a5e-6f70-8192-a3b4c5d6e7f8";

async fn listen(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

/// A stand-in order-service: confirms carts, except the cart `unavailable`; records the keys it got.
async fn order_service(keys: Arc<Mutex<Vec<String>>>) -> String {
    let router = Router::new().route(
        "/orders",
        post(move |headers: HeaderMap, body: Json<Value>| {
            let keys = keys.clone();
            async move {
                let key = headers["idempotency-key"].to_str().unwrap().to_owned();
                keys.lock().unwrap().push(key);
                if body["cart_id"] == "unavailable" {
                    return Problem::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "inventory-service did not confirm the reservation within 3000 ms",
                    )
                    .into_response();
                }
                (
                    StatusCode::CREATED,
                    Json(json!({"order_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "status": "confirmed", "total": {"amount_minor": 4200, "currency": "EUR"}})),
                )
                    .into_response()
            }
        }),
    );
    listen(router).await
}

async fn post_checkout(gateway: &str, key: Option<&str>, cart: &str) -> (u16, String, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{gateway}/checkout"))
        .json(&json!({"cart_id": cart, "customer_id": CUSTOMER}));
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    let kind = answer.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (status, kind, answer.json().await.unwrap())
}

#[tokio::test]
async fn answers_pass_through_and_the_key_is_passed_on() {
    let keys = Arc::default();
    let order = order_service(Arc::clone(&keys)).await;
    let gateway = listen(checkout_gateway::app(&order, None).unwrap()).await;

    let (status, kind, order) = post_checkout(&gateway, Some("k-1"), CART).await;
    assert_eq!(
        (status, kind.as_str()),
        (201, "application/json"),
        "{order}"
    );
    assert_eq!(order["status"], "confirmed");

    let (status, kind, problem) = post_checkout(&gateway, Some("k-2"), "unavailable").await;
    assert_eq!(
        (status, kind.as_str()),
        (503, "application/problem+json"),
        "{problem}"
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("inventory-service did not confirm"),
        "{problem}"
    );
    assert_eq!(
        *keys.lock().unwrap(),
        ["k-1", "k-2"],
        "one call per checkout (no retry), with the client's key"
    );
}

#[tokio::test]
async fn what_the_gateway_refuses_or_cannot_reach_is_a_problem() {
    let keys: Arc<Mutex<Vec<String>>> = Arc::default();
    let order = order_service(Arc::clone(&keys)).await;
    let gateway = listen(checkout_gateway::app(&order, None).unwrap()).await;
    let (status, kind, problem) = post_checkout(&gateway, None, CART).await;
    assert_eq!(
        (status, kind.as_str()),
        (422, "application/problem+json"),
        "{problem}"
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key")
    );
    assert!(
        keys.lock().unwrap().is_empty(),
        "nothing reached order-service"
    );

    // Nothing listens on the port of a listener just closed.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let gateway = listen(checkout_gateway::app(&nowhere, None).unwrap()).await;
    let (status, _, problem) = post_checkout(&gateway, Some("k-3"), CART).await;
    assert_eq!(status, 502, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("order-service failed"),
        "{problem}"
    );
}
