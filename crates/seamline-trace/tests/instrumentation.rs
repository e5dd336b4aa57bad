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

/// What the diagnosis of one failing request must say, from the fault put into it.
struct Expect {
    /// The trace the fault was put into (the end of its id).
    trace: &'static str,
    kind: CauseKind,
    service: &'static str,
    span: &'static str,
    request_failed: bool,
    /// Words the cause's detail must hold (the reason read from the span, the dependency named).
    detail: &'static [&'static str],
}

/// Diagnoses `file`, which holds `requests` requests, and checks that exactly the expected traces are diagnosed,
/// each as expected.
fn check(file: &str, requests: u64, expected: &[Expect]) {
    let report = diagnose(file);
    assert_eq!(report.totals.requests, requests, "{file}");
    for expect in expected {
        let label = format!("{file} {}", expect.trace);
        let Some(trace) = report
            .traces
            .iter()
            .find(|t| t.trace_id.ends_with(expect.trace))
        else {
            panic!("{label}: not diagnosed: {:#?}", report.traces)
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
    }
    assert_eq!(
        report.traces.len(),
        expected.len(),
        "{file}: only the injected faults are diagnosed: {:#?}",
        report.traces
    );
}

#[test]
fn a_java_agent_grpc_failure_is_read_from_status_codes_alone() {
    // Current conventions, span status left unset: the frontend's client call got INTERNAL (13) from
    // checkout-service, whose own call to payment-service got UNAVAILABLE (14). payment-service's server span says
    // UNAVAILABLE too, which OTel's gRPC rules count as a server failure; it has no failing child, so it is the cause.
    // Its sibling call to cart-service answered OK (0).
    check(
        "java-agent-grpc.otlp.json",
        1,
        &[Expect {
            trace: "4bf92f3577b34da6a3ce929d0e0e4736",
            kind: CauseKind::ErrorOrigin,
            service: "payment-service",
            span: "payments.PaymentService/Charge",
            request_failed: true,
            detail: &["gRPC UNAVAILABLE"],
        }],
    );
}

#[test]
fn older_node_conventions_with_exception_events() {
    // Pre-1.21 HTTP and pre-1.24 messaging names (`messaging.destination`, `messaging.rabbitmq.routing_key`,
    // `messaging.message_id`, spans named `{destination} {operation}`) and failures recorded only as exception
    // events with the status unset. The first request is healthy: inventory-service consumes order.placed and
    // publishes order.confirmed. In the second, inventory-service's consumer throws on order.placed (the injected
    // fault) and publishes nothing, so order-service's receive of order.confirmed times out.
    check(
        "node-old-messaging.otlp.json",
        2,
        &[Expect {
            trace: "6c9bb6b3e3d983f9432d048419e7ae03",
            kind: CauseKind::MessageRejected,
            service: "inventory-service",
            span: "orders process",
            request_failed: true,
            detail: &["rejected order.placed", "ValidationError: unknown sku 42"],
        }],
    );
}

#[test]
fn celery_task_names_and_opentracing_error_logs_in_jaeger() {
    // An OpenTracing Celery integration exported as Jaeger JSON: no span.kind on the task spans, so the roles come
    // from Celery's names (`apply_async/<task>` sends, `run/<task>` runs); the failure is `error=true` as a string
    // tag with an OpenTracing `error` log. The worker's task failed (the injected fault); the web request had
    // already answered 202, so the failure did not fail it.
    check(
        "celery-opentracing.jaeger.json",
        1,
        &[Expect {
            trace: "7dacc7c4f4ea94fa",
            kind: CauseKind::NonFatal,
            service: "worker",
            span: "run/shop.tasks.reserve_stock",
            request_failed: false,
            detail: &[
                "rejected shop.tasks.reserve_stock",
                "OutOfStock: sku 42 is out of stock",
            ],
        }],
    );
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

#[test]
fn the_earliest_failing_sibling_is_the_cause_unless_the_parent_names_a_later_one() {
    // A Java agent's spans, current conventions, HTTP clients named by their method alone. The first request is
    // healthy. In the second, cart-service fails (the injected fault) and the checkout carries on with an empty
    // cart, so shipping-service's quote fails after it ("no items to ship"): fallout, which ended last. The
    // checkout's own error names neither. In the third, recommendation-service answers 503 first (tolerated:
    // recommendations are optional) and then shipping-service's query fails on its uninstrumented PostgreSQL
    // (the injected fault); the checkout's error names shipping-service, so the later failure is the cause.
    // shipping-service fails in both failing requests and cart-service in one, yet the cart failure is not passed
    // over as one that only comes beside another: the two shipping failures start in different places (its own
    // input check, its database), so they are two failures, each in one request.
    check(
        "java-agent-causal-order.otlp.json",
        3,
        &[
            Expect {
                trace: "1bf7651916cd43dd8448eb211c80319c",
                kind: CauseKind::ErrorOrigin,
                service: "cart-service",
                span: "GET /api/cart/{userId}",
                request_failed: true,
                detail: &["cart store unavailable"],
            },
            Expect {
                trace: "2cf7651916cd43dd8448eb211c80319c",
                kind: CauseKind::ErrorOrigin,
                service: "shipping-service",
                span: "SELECT shop.rates",
                request_failed: true,
                detail: &["relation \"rates\" does not exist", "postgresql"],
            },
        ],
    );
}

#[test]
fn an_optional_call_failing_first_in_some_failing_requests_is_not_their_cause() {
    // A Java agent's spans; every request of the file failed, so no request that succeeded shows which calls the
    // checkout does without. In all four, payment-service fails on its own (the injected fault). In the first and
    // third, recommendation-service answered 503 before it (optional; the checkout's error names neither): the
    // earliest failing sibling, but one that failed only beside the payment failure, which failed in all four.
    let payment = |trace| Expect {
        trace,
        kind: CauseKind::ErrorOrigin,
        service: "payment-service",
        span: "POST /api/charge",
        request_failed: true,
        detail: &["card processor unavailable"],
    };
    let file = "java-agent-optional-call-failing-only.otlp.json";
    check(
        file,
        4,
        &[
            payment("1d11c8e0a7f4b2e9d63c5a1f0e7d2b4a"),
            payment("2d21c8e0a7f4b2e9d63c5a1f0e7d2b4a"),
            payment("3d31c8e0a7f4b2e9d63c5a1f0e7d2b4a"),
            payment("4d41c8e0a7f4b2e9d63c5a1f0e7d2b4a"),
        ],
    );
    // The evidence says why the earlier failure was passed over, where there was one.
    let report = diagnose(file);
    let passed_over: Vec<&str> = report
        .traces
        .iter()
        .filter(|t| {
            t.evidence.iter().any(|e| {
                e.text.starts_with(
                    "checkout-service GET failed first, but in 2 of the 4 failing request(s)",
                ) && e.text.contains("which failed in 4")
            })
        })
        .map(|t| &t.trace_id[..4])
        .collect();
    assert_eq!(passed_over, ["1d11", "3d31"], "{:#?}", report.traces);
}

#[test]
fn a_proxy_route_timeout_is_placed_at_the_span_that_used_up_the_budget() {
    // An Envoy-style front proxy (OpenTelemetry tracer: tags as attributes, the status left unset, `error` and
    // `http.status_code` as text) in front of services with gRPC spans. In the second request payment-service's
    // fraud check hangs for 7.9 s (the injected fault); the proxy's 3 s route timeout fires (504, `UT`) while
    // everything below it is still running with status unset. The frontend records the reset connection as an
    // error after the proxy gave up: fallout, not why the proxy gave up.
    check(
        "envoy-route-timeout.otlp.json",
        2,
        &[Expect {
            trace: "4e0e0e4736f4f4ea94fa4bf92f3577b3",
            kind: CauseKind::MaskedTimeout,
            service: "payment",
            span: "fraud check",
            request_failed: true,
            detail: &[
                "frontend-proxy gave up after 3.00 s while payment fraud check was still running",
            ],
        }],
    );
}

#[test]
fn a_failing_call_to_an_uninstrumented_dependency_is_the_callers() {
    // An older-conventions Python service (`net.peer.name`, `http.status_code`, `db.name`, requests' `HTTP GET`
    // spans, exceptions as events). The first request is healthy and shows inventory-service answering. Then:
    // Elasticsearch (uninstrumented, host es-7.internal) does not answer; PostgreSQL (uninstrumented) reports a
    // deadlock; inventory-service hangs and exports nothing for the call. A host that is not a service of the
    // system is never blamed: the caller's span is the cause, with the dependency named. inventory-service is a
    // service (it has spans in the input), so it is named as the one that did not answer.
    check(
        "python-uninstrumented-deps.otlp.json",
        4,
        &[
            Expect {
                trace: "6a1b2c3d4e5f60718293a4b5c6d7e8f9",
                kind: CauseKind::MaskedTimeout,
                service: "search-api",
                span: "HTTP GET",
                request_failed: true,
                detail: &["es-7.internal"],
            },
            Expect {
                trace: "7a1b2c3d4e5f60718293a4b5c6d7e8f9",
                kind: CauseKind::ErrorOrigin,
                service: "search-api",
                span: "INSERT search",
                request_failed: true,
                detail: &["deadlock detected", "postgresql", "pg-2.internal"],
            },
            Expect {
                trace: "8a1b2c3d4e5f60718293a4b5c6d7e8f9",
                kind: CauseKind::MaskedTimeout,
                service: "inventory-service",
                span: "HTTP GET",
                request_failed: true,
                detail: &["inventory-service"],
            },
        ],
    );
}

#[test]
fn a_wait_without_messaging_attributes_is_matched_to_its_message_by_name() {
    // The seed's checkout as a Java agent writes it (current conventions, RabbitMQ: exchanges as destinations,
    // the routing key as the only message name, consumers as children of their publishers). order-service waits
    // in an INTERNAL span `await inventory.stock_reserved` with a timeout attribute and no messaging attributes;
    // no manifests are given. Three healthy checkouts, then one per injected fault, each of which makes the wait
    // time out: the blame goes to where the fault was put, not to the service that waited.
    check(
        "java-agent-checkout-waits.otlp.json",
        8,
        &[
            // inventory-service consumed order.placed and published nothing.
            Expect {
                trace: "b14bf92f3577b34da6a3ce929d0e0e47",
                kind: CauseKind::MissingPublish,
                service: "inventory-service",
                span: "process order-events",
                request_failed: true,
                detail: &["did not publish inventory.stock_reserved"],
            },
            // inventory-service published with the routing key inventory.stock_reserve: nobody is bound to it.
            Expect {
                trace: "b24bf92f3577b34da6a3ce929d0e0e47",
                kind: CauseKind::UnconsumedPublish,
                service: "inventory-service",
                span: "publish inventory-events",
                request_failed: true,
                detail: &["inventory.stock_reserve", "no consumer received it"],
            },
            // order-service's consumer rejected the v2 it was sent.
            Expect {
                trace: "b34bf92f3577b34da6a3ce929d0e0e47",
                kind: CauseKind::MessageRejected,
                service: "order-service",
                span: "process inventory-events",
                request_failed: true,
                detail: &["v2 is not accepted"],
            },
            // inventory-service's consumer crashed on every delivery of order.placed.
            Expect {
                trace: "b44bf92f3577b34da6a3ce929d0e0e47",
                kind: CauseKind::MessageRejected,
                service: "inventory-service",
                span: "process order-events",
                request_failed: true,
                detail: &["NullPointerException"],
            },
            // inventory-service's stock update deadlocked; it published after order-service had given up.
            Expect {
                trace: "b54bf92f3577b34da6a3ce929d0e0e47",
                kind: CauseKind::MaskedTimeout,
                service: "inventory-service",
                span: "UPDATE shop.stock",
                request_failed: true,
                detail: &["order-service gave up after 5.00 s"],
            },
        ],
    );
}

#[test]
fn a_wait_is_matched_by_its_name_alone_without_healthy_requests() {
    // Two of the faults above, in a file with no healthy request to learn from and no manifests: the wait's name
    // (`await inventory.stock_reserved`) against the message names the input's messaging spans carry is all
    // there is, and enough.
    check(
        "java-agent-checkout-waits-no-healthy.otlp.json",
        2,
        &[
            Expect {
                trace: "b34bf92f3577b34da6a3ce929d0e0e47",
                kind: CauseKind::MessageRejected,
                service: "order-service",
                span: "process inventory-events",
                request_failed: true,
                detail: &["v2 is not accepted"],
            },
            Expect {
                trace: "b54bf92f3577b34da6a3ce929d0e0e47",
                kind: CauseKind::MaskedTimeout,
                service: "inventory-service",
                span: "UPDATE shop.stock",
                request_failed: true,
                detail: &["order-service gave up after 5.00 s"],
            },
        ],
    );
}

#[test]
fn healthy_requests_tell_what_a_wait_named_for_nothing_waited_for_and_who_should_publish_it() {
    // Older Node conventions (`messaging.destination`, `messaging.rabbitmq.routing_key`, spans named
    // `{destination} {operation}`, failures as exception events with the status unset, HTTP 500 without status).
    // order-service waits in `OrderSaga.awaitReservation`, a name that says nothing of stock.reserved; no manifests.
    // In the two healthy requests order-service consumes stock.reserved while that step runs, and inventory-service
    // publishes it after consuming order.placed. Then inventory-service publishes nothing (the injected fault), and
    // in the last request order-service's consumer rejects v2 (the injected fault).
    check(
        "node-old-checkout-saga.otlp.json",
        4,
        &[
            Expect {
                trace: "e19bb6b3e3d983f9432d048419e7ae03",
                kind: CauseKind::MissingPublish,
                service: "inventory-service",
                span: "orders process",
                request_failed: true,
                detail: &["did not publish stock.reserved"],
            },
            Expect {
                trace: "e39bb6b3e3d983f9432d048419e7ae03",
                kind: CauseKind::MessageRejected,
                service: "order-service",
                span: "stock process",
                request_failed: true,
                detail: &["stock.reserved v2 is not accepted"],
            },
        ],
    );
}
