//! payment-service as order-service calls it: through the runtime's HTTP policy read from order-service's
//! `seam.toml` (2 s timeout, 3 attempts), on loopback. Idempotent charges, problem details, the two faults.

use std::path::Path;
use std::time::{Duration, Instant};

use checkout_payment_service::{Fault, Payment, app};
use seamline_runtime::http::{CallError, Policy, call};
use seamline_runtime::{Telemetry, TraceContext};
use serde_json::json;

async fn start(
    fault: Fault,
    telemetry: Option<Telemetry>,
) -> (String, checkout_payment_service::Counter) {
    let (router, counter) = app(fault, telemetry);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (base, counter)
}

/// order-service's policy for payment-service, from its manifest.
fn order_policy() -> Policy {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../order-service/seam.toml");
    let manifest = seamline_model::read_manifest(&path, "seam.toml")
        .unwrap()
        .manifest
        .unwrap();
    let mut policy = Policy::for_partner(&manifest, "payment-service").unwrap();
    policy.base_delay = Duration::from_millis(20);
    policy
}

fn charge() -> serde_json::Value {
    json!({"order_id": "o-1", "amount_minor": 4200, "currency": "EUR"})
}

#[tokio::test(flavor = "multi_thread")]
async fn a_charge_is_taken_once_per_idempotency_key() {
    let (base, counter) = start(Fault::None, None).await;
    let policy = order_policy();
    let client = policy.client().unwrap();
    let pay = |key: &'static str| {
        let request = client
            .post(format!("{base}/payments"))
            .header("Idempotency-Key", key)
            .json(&charge());
        call(request, policy.timeout)
    };
    let first: Payment = pay("order-o-1").await.unwrap().json().await.unwrap();
    let again: Payment = pay("order-o-1").await.unwrap().json().await.unwrap();
    let other: Payment = pay("order-o-2").await.unwrap().json().await.unwrap();
    assert_eq!(first, again, "the same key answers the same payment");
    assert_ne!(first.payment_id, other.payment_id);
    assert_eq!(first.status, "captured");
    assert_eq!(counter.get(), 3);
    let read: Payment = call(
        client.get(format!("{base}/payments/{}", first.payment_id)),
        policy.timeout,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(read, first);
    match call(
        client.get(format!("{base}/payments/pay_999999")),
        policy.timeout,
    )
    .await
    {
        Err(CallError::Problem { problem }) => assert_eq!(problem.status, Some(404)),
        other => panic!("expected a 404 problem, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_charge_without_a_key_or_with_a_bad_body_is_refused_as_a_problem() {
    let (base, counter) = start(Fault::None, None).await;
    let policy = order_policy();
    let client = policy.client().unwrap();
    match call(
        client.post(format!("{base}/payments")).json(&charge()),
        policy.timeout,
    )
    .await
    {
        Err(CallError::Problem { problem }) => {
            assert_eq!(problem.status, Some(400));
            assert!(problem.detail.unwrap().contains("Idempotency-Key"));
        }
        other => panic!("expected a 400 problem, got {other:?}"),
    }
    assert_eq!(counter.get(), 1, "a POST without a key is never retried");
    let bad = json!({"order_id": "o-1", "amount_minor": "lots"});
    match call(
        client
            .post(format!("{base}/payments"))
            .header("Idempotency-Key", "k")
            .json(&bad),
        policy.timeout,
    )
    .await
    {
        Err(CallError::Problem { problem }) => {
            assert_eq!(problem.detail.as_deref(), Some("missing currency"))
        }
        other => panic!("expected a 400 problem, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_unavailable_fault_answers_503_and_the_caller_retries_then_gives_up() {
    let (base, counter) = start(Fault::Unavailable, None).await;
    let policy = order_policy();
    let client = policy.client().unwrap();
    let request = client
        .post(format!("{base}/payments"))
        .header("Idempotency-Key", "k")
        .json(&charge());
    match call(request, policy.timeout).await {
        Err(CallError::Problem { problem }) => assert_eq!(problem.status, Some(503)),
        other => panic!("expected a 503 problem, got {other:?}"),
    }
    assert_eq!(counter.get(), 3, "order-service's policy: 3 attempts");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_slow_fault_outlasts_the_callers_timeout() {
    let (base, counter) = start(Fault::Slow(Duration::from_millis(400)), None).await;
    let policy = Policy {
        timeout: Duration::from_millis(100),
        attempts: 2,
        ..order_policy()
    };
    let client = policy.client().unwrap();
    let started = Instant::now();
    let request = client
        .post(format!("{base}/payments"))
        .header("Idempotency-Key", "k")
        .json(&charge());
    match call(request, policy.timeout).await {
        Err(CallError::Timeout(t)) => assert_eq!(t, Duration::from_millis(100)),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(counter.get(), 2);
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_are_traced_as_server_spans_of_the_callers_trace() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("payment.jsonl");
    let telemetry = Telemetry::to_file("payment-service", &file).unwrap();
    let (base, _) = start(Fault::None, Some(telemetry.clone())).await;
    let policy = order_policy();
    let client = policy.client().unwrap();
    let root = TraceContext::new_root();
    let request = client
        .post(format!("{base}/payments"))
        .header("Idempotency-Key", "k")
        .header("traceparent", root.header())
        .json(&charge());
    call(request, policy.timeout).await.unwrap();
    telemetry.flush();
    let mut reader = seamline_trace::read::Reader::default();
    let mut spans = seamline_trace::read::Collect::default();
    reader.read_bytes(
        "payment.jsonl",
        &std::fs::read(&file).unwrap(),
        Default::default(),
        &mut spans,
    );
    assert_eq!(spans.spans.len(), 1);
    let line: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&file)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let span = &line["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
    assert_eq!(span["name"], "POST /payments");
    assert_eq!(span["traceId"], root.trace_id.as_str());
    assert_eq!(span["parentSpanId"], root.span_id.as_str());
}
