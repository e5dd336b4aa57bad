//! The HTTP policy against a real server on loopback: retries only where safe, backoff and `Retry-After`,
//! timeouts, problem details decoded, and the server layer that answers every error as problem details.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use seamline_runtime::http::{
    CallError, PROBLEM_JSON, Policy, Problem, call, problem_details, traced,
};
use seamline_runtime::{Telemetry, TraceContext};

#[derive(Clone, Default)]
struct Counts {
    flaky: Arc<AtomicUsize>,
    post: Arc<AtomicUsize>,
    limited: Arc<AtomicUsize>,
    slow: Arc<AtomicUsize>,
}

/// Fails with 503 (as problem details) twice, then answers.
async fn flaky(State(c): State<Counts>) -> axum::response::Response {
    if c.flaky.fetch_add(1, Ordering::SeqCst) < 2 {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "warming up").into_response()
    } else {
        "ok".into_response()
    }
}

async fn charge(State(c): State<Counts>, headers: HeaderMap) -> axum::response::Response {
    let n = c.post.fetch_add(1, Ordering::SeqCst);
    if n < 2 {
        return Problem::new(StatusCode::SERVICE_UNAVAILABLE, "ledger busy").into_response();
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|k| k.to_str().ok())
        .unwrap_or("none");
    format!("charged {key}").into_response()
}

async fn limited(State(c): State<Counts>) -> axum::response::Response {
    if c.limited.fetch_add(1, Ordering::SeqCst) == 0 {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            "slow down",
        )
            .into_response()
    } else {
        "ok".into_response()
    }
}

async fn slow(State(c): State<Counts>) -> &'static str {
    c.slow.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(600)).await;
    "late"
}

async fn bad_order() -> (StatusCode, &'static str) {
    (StatusCode::BAD_REQUEST, "quantity must be at least 1")
}

async fn serve(counts: Counts) -> String {
    serve_with(counts, None).await
}

async fn serve_with(counts: Counts, telemetry: Option<Telemetry>) -> String {
    let app = Router::new()
        .route("/flaky", get(flaky))
        .route("/charge", axum::routing::post(charge))
        .route("/limited", get(limited))
        .route("/slow", get(slow))
        .route("/orders", axum::routing::post(bad_order))
        .with_state(counts);
    let app = problem_details(app);
    let app = match telemetry {
        Some(t) => traced(app, t),
        None => app,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

fn policy(attempts: u32) -> Policy {
    Policy {
        timeout: Duration::from_secs(2),
        attempts,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_secs(3),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn idempotent_calls_are_retried_with_backoff_until_they_succeed() {
    let counts = Counts::default();
    let base = serve(counts.clone()).await;
    let p = policy(3);
    let client = p.client().unwrap();
    let started = Instant::now();
    let answer = call(client.get(format!("{base}/flaky")), p.timeout)
        .await
        .expect("the third attempt answers");
    assert_eq!(answer.text().await.unwrap(), "ok");
    assert_eq!(counts.flaky.load(Ordering::SeqCst), 3);
    // Two waits: at least half of 50 ms, then half of 100 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(75),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_post_is_retried_only_with_an_idempotency_key() {
    let counts = Counts::default();
    let base = serve(counts.clone()).await;
    let p = policy(3);
    let client = p.client().unwrap();
    match call(client.post(format!("{base}/charge")), p.timeout).await {
        Err(CallError::Problem { problem }) => {
            assert_eq!(problem.status, Some(503));
            assert_eq!(problem.detail.as_deref(), Some("ledger busy"));
        }
        other => panic!("expected the problem, got {other:?}"),
    }
    assert_eq!(
        counts.post.load(Ordering::SeqCst),
        1,
        "not retried: a POST without a key is not safe to repeat"
    );
    let answer = call(
        client
            .post(format!("{base}/charge"))
            .header("Idempotency-Key", "order-7"),
        p.timeout,
    )
    .await
    .expect("retried with its key");
    assert_eq!(answer.text().await.unwrap(), "charged order-7");
    assert_eq!(counts.post.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_after_is_honoured() {
    let counts = Counts::default();
    let base = serve(counts.clone()).await;
    let p = policy(2);
    let client = p.client().unwrap();
    let started = Instant::now();
    call(client.get(format!("{base}/limited")), p.timeout)
        .await
        .expect("answered after waiting");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(counts.limited.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn each_attempt_has_the_timeout() {
    let counts = Counts::default();
    let base = serve(counts.clone()).await;
    let p = Policy {
        timeout: Duration::from_millis(150),
        ..policy(2)
    };
    let client = p.client().unwrap();
    let started = Instant::now();
    match call(client.get(format!("{base}/slow")), p.timeout).await {
        Err(CallError::Timeout(t)) => assert_eq!(t, Duration::from_millis(150)),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(
        counts.slow.load(Ordering::SeqCst),
        2,
        "a timeout on a GET is retried"
    );
    assert!(
        started.elapsed() < Duration::from_millis(1_000),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_layer_answers_every_error_as_problem_details() {
    let base = serve(Counts::default()).await;
    let p = policy(1);
    let client = p.client().unwrap();
    // A handler's plain-text error.
    match call(client.post(format!("{base}/orders")), p.timeout).await {
        Err(CallError::Problem { problem }) => {
            assert_eq!(problem.status, Some(400));
            assert_eq!(problem.title.as_deref(), Some("Bad Request"));
            assert_eq!(
                problem.detail.as_deref(),
                Some("quantity must be at least 1")
            );
            assert_eq!(problem.kind, "about:blank");
        }
        other => panic!("expected problem details, got {other:?}"),
    }
    // The router's own 404 and 405.
    let raw = reqwest::get(format!("{base}/nowhere")).await.unwrap();
    assert_eq!(raw.status(), 404);
    assert_eq!(raw.headers()["content-type"], PROBLEM_JSON);
    let wrong = reqwest::Client::new()
        .delete(format!("{base}/flaky"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 405);
    assert_eq!(wrong.headers()["content-type"], PROBLEM_JSON);
    assert!(
        wrong.headers().contains_key("allow"),
        "headers of the original answer are kept"
    );
}

/// Every attempt is a CLIENT span whose `traceparent` the server continues in a SERVER span; both sides' files
/// read back with `seam trace`'s reader.
#[tokio::test(flavor = "multi_thread")]
async fn calls_and_requests_are_traced() {
    let dir = tempfile::tempdir().unwrap();
    let (client_file, server_file) = (
        dir.path().join("order.jsonl"),
        dir.path().join("payment.jsonl"),
    );
    let (client_t, server_t) = (
        Telemetry::to_file("order-service", &client_file).unwrap(),
        Telemetry::to_file("payment-service", &server_file).unwrap(),
    );
    let base = serve_with(Counts::default(), Some(server_t.clone())).await;
    let p = policy(3);
    let client = p.traced_client(&client_t).unwrap();
    let root = TraceContext {
        state: "rojo=00f067aa0ba902b7".into(),
        ..TraceContext::new_root()
    };
    let answer = call(
        client
            .get(format!("{base}/flaky"))
            .with_extension(root.clone()),
        p.timeout,
    )
    .await
    .expect("answered on the third attempt");
    let traceresponse = answer.headers()["traceresponse"]
        .to_str()
        .unwrap()
        .to_owned();
    client_t.flush();
    server_t.flush();

    let mut reader = seamline_trace::read::Reader::default();
    let mut got = seamline_trace::read::Collect::default();
    for f in [&client_file, &server_file] {
        reader.read_bytes(
            &f.display().to_string(),
            &std::fs::read(f).unwrap(),
            Default::default(),
            &mut got,
        );
    }
    assert_eq!(reader.report.skipped_total(), 0);
    // Every span of every batch (a line is a batch).
    let lines = |f: &Path| -> Vec<serde_json::Value> {
        std::fs::read_to_string(f)
            .unwrap()
            .lines()
            .flat_map(|l| {
                let batch = serde_json::from_str::<serde_json::Value>(l).unwrap();
                batch["resourceSpans"][0]["scopeSpans"][0]["spans"]
                    .as_array()
                    .unwrap()
                    .clone()
            })
            .collect()
    };
    let (clients, servers) = (lines(&client_file), lines(&server_file));
    assert_eq!(
        (clients.len(), servers.len()),
        (3, 3),
        "one span per attempt on each side"
    );
    for c in &clients {
        assert_eq!(c["kind"], 3);
        assert_eq!(c["traceId"], root.trace_id.as_str());
        assert_eq!(c["parentSpanId"], root.span_id.as_str());
        assert_eq!(
            c["traceState"], "rojo=00f067aa0ba902b7",
            "the caller's tracestate"
        );
    }
    let errored = clients.iter().filter(|c| c["status"]["code"] == 2).count();
    assert_eq!(errored, 2, "the two 503 attempts are errors");
    for s in &servers {
        assert_eq!(s["kind"], 2);
        assert_eq!(s["name"], "GET /flaky");
        assert!(
            clients.iter().any(|c| c["spanId"] == s["parentSpanId"]),
            "each server span continues a client span"
        );
        assert_eq!(
            s["traceState"], "rojo=00f067aa0ba902b7",
            "the tracestate sent with the traceparent"
        );
    }
    let answered = servers.last().unwrap();
    assert_eq!(
        traceresponse,
        format!(
            "00-{}-{}-01",
            root.trace_id,
            answered["spanId"].as_str().unwrap()
        ),
        "the answer names the server span that gave it"
    );
}

/// Spans sent to a collector: a loopback server standing in for one receives OTLP/HTTP JSON with the span.
#[tokio::test(flavor = "multi_thread")]
async fn spans_reach_an_otlp_collector() {
    let received = Arc::new(std::sync::Mutex::new(Vec::<(String, String)>::new()));
    let store = received.clone();
    let collector = Router::new().route(
        "/v1/traces",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let store = store.clone();
            async move {
                let kind = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                store.lock().unwrap().push((kind, body));
                "{}"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}/v1/traces", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, collector).await.unwrap() });

    let telemetry = Telemetry::to_endpoint("order-service", &endpoint).unwrap();
    let base = serve_with(Counts::default(), None).await;
    let p = policy(1);
    let client = p.traced_client(&telemetry).unwrap();
    let answer = call(
        client
            .get(format!("{base}/limited"))
            .with_extension(TraceContext::new_root()),
        p.timeout,
    )
    .await;
    assert_eq!(
        answer.unwrap_err().status(),
        Some(429),
        "the first call is limited"
    );
    tokio::task::spawn_blocking(move || telemetry.flush())
        .await
        .unwrap();

    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "one batch");
    assert!(got[0].0.starts_with("application/json"), "{}", got[0].0);
    let body: serde_json::Value = serde_json::from_str(&got[0].1).unwrap();
    let resource = &body["resourceSpans"][0];
    assert!(
        resource["resource"]["attributes"]
            .to_string()
            .contains("order-service"),
        "{body}"
    );
    let span = &resource["scopeSpans"][0]["spans"][0];
    assert_eq!(span["name"], "GET");
    assert!(
        span["attributes"]
            .to_string()
            .contains("http.response.status_code"),
        "{span}"
    );
}

/// Spans sent to a Seamline registry carry what its OTLP receiver needs: the traces path, the token and the
/// environment (a loopback server stands in for the registry and records them).
#[tokio::test(flavor = "multi_thread")]
async fn spans_sent_to_a_registry_name_their_environment_and_token() {
    let received = Arc::new(std::sync::Mutex::new(Vec::<(String, String)>::new()));
    let store = received.clone();
    let registry = Router::new().route(
        "/v1/traces",
        axum::routing::post(move |headers: HeaderMap| {
            let store = store.clone();
            async move {
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned()
                };
                store
                    .lock()
                    .unwrap()
                    .push((header("authorization"), header("seam-environment")));
                "{}"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, registry).await.unwrap() });

    let telemetry = Telemetry::to_registry("order-service", &base, "production", "s3cret").unwrap();
    telemetry
        .awaiting("inventory.stock_reserved", "order-service.inventory", None)
        .received();
    tokio::task::spawn_blocking(move || telemetry.flush())
        .await
        .unwrap();
    let got = received.lock().unwrap().clone();
    assert_eq!(got, [("Bearer s3cret".to_owned(), "production".to_owned())]);
}
