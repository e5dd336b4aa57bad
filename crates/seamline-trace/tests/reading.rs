//! The reading rules one at a time: whether a span failed and why, and what part it plays in moving which message,
//! for each way instrumentation says so.

use std::sync::Arc;

use seamline_trace::failure::{FailureReason, GrpcCode, failure};
use seamline_trace::messaging::{self, Role};
use seamline_trace::model::{
    Attributes, Event, Span, SpanId, SpanKind, StatusCode, TraceId, Value,
};

fn value(text: &str) -> Value {
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => match text.parse() {
            Ok(n) => Value::Int(n),
            Err(_) => Value::Str(text.into()),
        },
    }
}

fn attributes(list: &[(&str, &str)]) -> Attributes {
    Attributes(
        list.iter()
            .map(|(k, v)| (Arc::from(*k), value(v)))
            .collect(),
    )
}

fn span(name: &str, kind: SpanKind, status: StatusCode, attrs: &[(&str, &str)]) -> Span {
    Span {
        trace_id: TraceId(1),
        span_id: SpanId(1),
        parent_id: None,
        name: name.into(),
        service: Arc::from("svc"),
        kind,
        start_ns: 0,
        end_ns: 1_000_000,
        status,
        status_message: None,
        attributes: attributes(attrs),
        events: Vec::new(),
        links: Vec::new(),
    }
}

fn with_event(mut span: Span, name: &str, attrs: &[(&str, &str)]) -> Span {
    span.events.push(Event {
        time_ns: 0,
        name: name.into(),
        attributes: attributes(attrs),
    });
    span
}

use SpanKind::{Client, Consumer, Internal, Producer, Server, Unspecified};
use StatusCode::{Error, Ok as StatusOk, Unset};

#[test]
fn failures_and_their_reasons() {
    let cases: Vec<(&str, Span, Option<FailureReason>)> = vec![
        (
            "status ERROR",
            span("x", Internal, Error, &[]),
            Some(FailureReason::Status),
        ),
        (
            "an explicit OK is final",
            span(
                "x",
                Server,
                StatusOk,
                &[("http.response.status_code", "503")],
            ),
            None,
        ),
        (
            "server 5xx",
            span("x", Server, Unset, &[("http.response.status_code", "503")]),
            Some(FailureReason::Http(503)),
        ),
        (
            "server 4xx is the caller's",
            span("x", Server, Unset, &[("http.response.status_code", "404")]),
            None,
        ),
        (
            "client 4xx, by the pre-1.21 name",
            span("x", Client, Unset, &[("http.status_code", "409")]),
            Some(FailureReason::Http(409)),
        ),
        (
            "gRPC client: any code but OK",
            span("x", Client, Unset, &[("rpc.grpc.status_code", "5")]),
            Some(FailureReason::Grpc(GrpcCode(5))),
        ),
        (
            "gRPC server NOT_FOUND is not a server failure",
            span("x", Server, Unset, &[("rpc.grpc.status_code", "5")]),
            None,
        ),
        (
            "gRPC server INTERNAL",
            span("x", Server, Unset, &[("rpc.grpc.status_code", "13")]),
            Some(FailureReason::Grpc(GrpcCode(13))),
        ),
        (
            "gRPC code by name",
            span(
                "x",
                Client,
                Unset,
                &[("rpc.response.status_code", "DEADLINE_EXCEEDED")],
            ),
            Some(FailureReason::Grpc(GrpcCode(4))),
        ),
        (
            "gRPC OK",
            span("x", Client, Unset, &[("rpc.grpc.status_code", "0")]),
            None,
        ),
        (
            "Envoy flags",
            span("x", Server, Unset, &[("response_flags", "UF,URX")]),
            Some(FailureReason::ProxyFlags("UF,URX")),
        ),
        (
            "Envoy's no-flag dash",
            span("x", Server, Unset, &[("response_flags", "-")]),
            None,
        ),
        (
            "an injected delay alone is no failure",
            span("x", Server, Unset, &[("response_flags", "DI")]),
            None,
        ),
        (
            "exception event",
            with_event(
                span("x", Internal, Unset, &[]),
                "exception",
                &[("exception.type", "E")],
            ),
            Some(FailureReason::Exception),
        ),
        (
            "a handled exception",
            with_event(
                span("x", Internal, Unset, &[]),
                "exception",
                &[("exception.type", "E"), ("exception.escaped", "false")],
            ),
            None,
        ),
        (
            "OpenTracing error log",
            with_event(
                span("x", Unspecified, Unset, &[]),
                "error",
                &[("error.kind", "E")],
            ),
            Some(FailureReason::Exception),
        ),
        (
            "error=true",
            span("x", Unspecified, Unset, &[("error", "true")]),
            Some(FailureReason::ErrorTag),
        ),
        (
            "error=\"true\" as text",
            span("x", Unspecified, Unset, &[("error", "True")]),
            Some(FailureReason::ErrorTag),
        ),
        (
            "error=false",
            span("x", Unspecified, Unset, &[("error", "false")]),
            None,
        ),
        (
            "error.type",
            span(
                "x",
                Client,
                Unset,
                &[("error.type", "java.net.ConnectException")],
            ),
            Some(FailureReason::ErrorType("java.net.ConnectException")),
        ),
        (
            "nothing",
            span("x", Server, Unset, &[("http.response.status_code", "200")]),
            None,
        ),
    ];
    for (label, span, expected) in cases {
        assert_eq!(failure(&span).map(|f| f.reason), expected, "{label}");
        assert_eq!(span.is_error(), expected.is_some(), "{label}");
    }
}

#[test]
fn timeouts_from_codes_flags_and_text() {
    let cases = [
        (
            "HTTP 504",
            span("x", Client, Unset, &[("http.response.status_code", "504")]),
            true,
        ),
        (
            "gRPC DEADLINE_EXCEEDED",
            span("x", Client, Unset, &[("rpc.grpc.status_code", "4")]),
            true,
        ),
        (
            "Envoy UT without a status code",
            span("x", Server, Unset, &[("response_flags", "UT")]),
            true,
        ),
        (
            "Envoy UF",
            span("x", Server, Unset, &[("response_flags", "UF")]),
            false,
        ),
        (
            "an exception that says so",
            with_event(
                span("x", Internal, Unset, &[]),
                "exception",
                &[
                    ("exception.type", "TimeoutError"),
                    ("exception.message", "timed out"),
                ],
            ),
            true,
        ),
        (
            "a slow success is no timeout",
            span("x", Client, StatusOk, &[("rpc.grpc.status_code", "4")]),
            false,
        ),
    ];
    for (label, span, expected) in cases {
        assert_eq!(span.is_timeout(), expected, "{label}");
    }
}

#[test]
fn error_texts_say_why() {
    let envoy = span("ingress", Server, Unset, &[("response_flags", "UT")]);
    assert_eq!(
        envoy.error_text().as_deref(),
        Some("proxy: upstream request timeout (UT)")
    );
    let opentracing = with_event(
        span("x", Unspecified, Unset, &[("error", "true")]),
        "error",
        &[
            ("event", "error"),
            ("error.kind", "OutOfStock"),
            ("message", "sku 42"),
        ],
    );
    assert_eq!(
        opentracing.error_text().as_deref(),
        Some("OutOfStock: sku 42")
    );
}

/// A label, a span, and its role, message name and destination.
type RoleCase = (
    &'static str,
    Span,
    Option<Role>,
    Option<&'static str>,
    Option<&'static str>,
);

#[test]
fn messaging_roles_and_names() {
    let cases: Vec<RoleCase> = vec![
        (
            "current conventions",
            span(
                "publish orders",
                Producer,
                Unset,
                &[
                    ("messaging.operation.type", "send"),
                    ("messaging.destination.name", "orders"),
                    ("messaging.rabbitmq.destination.routing_key", "order.placed"),
                ],
            ),
            Some(Role::Producer),
            Some("order.placed"),
            Some("orders"),
        ),
        (
            "older names",
            span(
                "orders process",
                Internal,
                Unset,
                &[
                    ("messaging.operation", "process"),
                    ("messaging.destination", "orders"),
                    ("messaging.rabbitmq.routing_key", "order.placed"),
                ],
            ),
            Some(Role::Consumer),
            Some("order.placed"),
            Some("orders"),
        ),
        (
            "a system-specific settle operation",
            span(
                "ack orders",
                Client,
                Unset,
                &[
                    ("messaging.operation.name", "ack"),
                    ("messaging.destination.name", "orders"),
                ],
            ),
            Some(Role::Settle),
            Some("orders"),
            Some("orders"),
        ),
        (
            "Kafka through OpenTracing",
            span(
                "kafka.consume",
                Consumer,
                Unset,
                &[("kafka.topic", "payments")],
            ),
            Some(Role::Consumer),
            Some("payments"),
            Some("payments"),
        ),
        (
            "SQS through the AWS SDK",
            span(
                "SQS.SendMessage",
                Client,
                Unset,
                &[
                    ("rpc.service", "SQS"),
                    ("rpc.method", "SendMessage"),
                    (
                        "aws.sqs.queue.url",
                        "https://sqs.eu-west-1.amazonaws.com/123456789012/invoices",
                    ),
                ],
            ),
            Some(Role::Producer),
            Some("invoices"),
            Some("invoices"),
        ),
        (
            "SQS receive by the older queue URL attribute",
            span(
                "SQS.ReceiveMessage",
                Client,
                Unset,
                &[
                    ("rpc.service", "SQS"),
                    ("rpc.method", "ReceiveMessage"),
                    (
                        "messaging.url",
                        "https://sqs.us-east-1.amazonaws.com/1/invoices",
                    ),
                ],
            ),
            Some(Role::Receive),
            Some("invoices"),
            Some("invoices"),
        ),
        (
            "NATS: the subject is the destination",
            span(
                "receive orders.eu",
                Client,
                Unset,
                &[("messaging.system", "nats")],
            ),
            Some(Role::Receive),
            Some("orders.eu"),
            Some("orders.eu"),
        ),
        (
            "Celery sending, the task named by an attribute",
            span(
                "apply_async/shop.tasks.reserve",
                Producer,
                Unset,
                &[
                    ("celery.task_name", "shop.tasks.reserve"),
                    ("messaging.destination", "celery"),
                ],
            ),
            Some(Role::Producer),
            Some("shop.tasks.reserve"),
            Some("celery"),
        ),
        (
            "Celery running, named only by the span",
            span("run/shop.tasks.reserve", Unspecified, Unset, &[]),
            Some(Role::Consumer),
            Some("shop.tasks.reserve"),
            Some("shop.tasks.reserve"),
        ),
        (
            "the current name form alone",
            span("send invoices", Internal, Unset, &[]),
            Some(Role::Producer),
            Some("invoices"),
            Some("invoices"),
        ),
        (
            "a server span is never named into a role",
            span("POST send", Server, Unset, &[]),
            None,
            None,
            None,
        ),
        (
            "a wait without messaging attributes is not named one",
            span("await inventory.stock_reserved", Internal, Unset, &[]),
            None,
            None,
            None,
        ),
    ];
    for (label, span, role, message, destination) in cases {
        assert_eq!(messaging::role(&span), role, "{label}: role");
        assert_eq!(messaging::message_name(&span), message, "{label}: message");
        assert_eq!(
            messaging::destination(&span),
            destination,
            "{label}: destination"
        );
    }
}

#[test]
fn message_and_conversation_ids_by_older_names() {
    let old = span(
        "orders process",
        Consumer,
        Unset,
        &[
            ("messaging.message_id", "m-1"),
            ("messaging.conversation_id", "c-1"),
        ],
    );
    assert_eq!(messaging::message_id(&old), Some("m-1"));
    assert_eq!(messaging::conversation_id(&old), Some("c-1"));
}
