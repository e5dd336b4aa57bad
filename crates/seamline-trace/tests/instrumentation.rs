//! Traces written the way other instrumentation writes them (hand-written in `tests/instrumentation/`): the
//! diagnosis reads their errors and messaging and names the service, span and kind of the fault put into each.

use std::path::Path;

use seamline_trace::{CauseKind, Config, Report, diagnose_bytes};

fn diagnose(file: &str) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/instrumentation")
        .join(file);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let report = diagnose_bytes(&[(file, &bytes)], Config::default());
    assert_eq!(report.totals.skipped, 0, "{file}: {:?}", report.input_notes);
    report
}

/// What the diagnosis of the one failing request in a file must say.
struct Expect {
    file: &'static str,
    /// The trace the fault was put into.
    trace: &'static str,
    kind: CauseKind,
    service: &'static str,
    span: &'static str,
    request_failed: bool,
    /// Words the cause's detail must hold (the reason read from the span).
    detail: &'static [&'static str],
    requests: u64,
}

fn check(expect: &Expect) {
    let report = diagnose(expect.file);
    let label = expect.file;
    assert_eq!(report.totals.requests, expect.requests, "{label}");
    let Some(trace) = report
        .traces
        .iter()
        .find(|t| t.trace_id.ends_with(expect.trace))
    else {
        panic!(
            "{label}: trace {} is not diagnosed: {:#?}",
            expect.trace, report.traces
        )
    };
    let cause = &trace.root_cause;
    assert_eq!(
        (
            cause.kind,
            cause.service.as_str(),
            cause.span_name.as_deref(),
            trace.request_failed
        ),
        (
            expect.kind,
            expect.service,
            Some(expect.span),
            expect.request_failed
        ),
        "{label}\n{}",
        serde_json::to_string_pretty(trace).unwrap()
    );
    for words in expect.detail {
        assert!(
            cause.detail.contains(words),
            "{label}: {words:?} not in {:?}",
            cause.detail
        );
    }
    assert_eq!(
        report.traces.len(),
        1,
        "{label}: only the injected fault is diagnosed"
    );
}

#[test]
fn a_java_agent_grpc_failure_is_read_from_status_codes_alone() {
    // Current conventions, span status left unset: the frontend's client call got INTERNAL (13) from
    // checkout-service, whose own call to payment-service got UNAVAILABLE (14). payment-service's server span says
    // UNAVAILABLE too, which OTel's gRPC rules count as a server failure; it has no failing child, so it is the cause.
    // Its sibling call to cart-service answered OK (0).
    check(&Expect {
        file: "java-agent-grpc.otlp.json",
        trace: "4bf92f3577b34da6a3ce929d0e0e4736",
        kind: CauseKind::ErrorOrigin,
        service: "payment-service",
        span: "payments.PaymentService/Charge",
        request_failed: true,
        detail: &["gRPC UNAVAILABLE"],
        requests: 1,
    });
}

#[test]
fn older_node_conventions_with_exception_events() {
    // Pre-1.21 HTTP and pre-1.24 messaging names (`messaging.destination`, `messaging.rabbitmq.routing_key`,
    // `messaging.message_id`, spans named `{destination} {operation}`) and failures recorded only as exception
    // events with the status unset. The first request is healthy: inventory-service consumes order.placed and
    // publishes order.confirmed. In the second, inventory-service's consumer throws on order.placed (the injected
    // fault) and publishes nothing, so order-service's receive of order.confirmed times out.
    check(&Expect {
        file: "node-old-messaging.otlp.json",
        trace: "6c9bb6b3e3d983f9432d048419e7ae03",
        kind: CauseKind::MessageRejected,
        service: "inventory-service",
        span: "orders process",
        request_failed: true,
        detail: &["rejected order.placed", "ValidationError: unknown sku 42"],
        requests: 2,
    });
}

#[test]
fn celery_task_names_and_opentracing_error_logs_in_jaeger() {
    // An OpenTracing Celery integration exported as Jaeger JSON: no span.kind on the task spans, so the roles come
    // from Celery's names (`apply_async/<task>` sends, `run/<task>` runs); the failure is `error=true` as a string
    // tag with an OpenTracing `error` log. The worker's task failed (the injected fault); the web request had
    // already answered 202, so the failure did not fail it.
    check(&Expect {
        file: "celery-opentracing.jaeger.json",
        trace: "7dacc7c4f4ea94fa",
        kind: CauseKind::NonFatal,
        service: "worker",
        span: "run/shop.tasks.reserve_stock",
        request_failed: false,
        detail: &[
            "rejected shop.tasks.reserve_stock",
            "OutOfStock: sku 42 is out of stock",
        ],
        requests: 1,
    });
}

#[test]
fn envoy_response_flags_in_zipkin() {
    // Envoy's Zipkin tracer sets `error` only on 5xx. The first request reached no route (`NR`, answered 404): the
    // proxy failed it, the caller did nothing wrong. The second, with its route timeout (`UT`, 504) as its only
    // failure, is the other request of the file and is checked below.
    let report = diagnose("envoy-response-flags.zipkin.json");
    assert_eq!(report.totals.requests, 2);
    let no_route = report
        .traces
        .iter()
        .find(|t| t.trace_id.ends_with("8ebdd8d5a5fb05ab"))
        .expect("the NR request is diagnosed");
    let cause = &no_route.root_cause;
    assert_eq!(
        (
            cause.kind,
            cause.service.as_str(),
            cause.span_name.as_deref()
        ),
        (CauseKind::ErrorOrigin, "front-proxy", Some("ingress")),
        "{cause:#?}"
    );
    assert!(
        cause.detail.contains("no route configured (NR)"),
        "{cause:#?}"
    );
    assert!(no_route.request_failed);

    // The route timeout fired while checkout-service was still waiting on its database: that wait is what took
    // the time (the injected fault), not the proxy.
    let timeout = report
        .traces
        .iter()
        .find(|t| t.trace_id.ends_with("9fcee9e6b60c16bc"))
        .expect("the UT request is diagnosed");
    let cause = &timeout.root_cause;
    assert_eq!(
        (
            cause.kind,
            cause.service.as_str(),
            cause.span_name.as_deref()
        ),
        (
            CauseKind::MaskedTimeout,
            "checkout-service",
            Some("SELECT inventory FOR UPDATE")
        ),
        "{cause:#?}"
    );
}
