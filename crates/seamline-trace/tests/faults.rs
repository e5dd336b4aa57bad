//! Every injected fault, in both messaging styles, with and without the services' manifests: the diagnosis names
//! the right service, span and kind.

use std::path::Path;

use seamline_trace::generate::{Fault, Options, Style, generate};
use seamline_trace::{CauseKind, Config, Expectations, Report, diagnose_bytes};

fn expectations() -> Expectations {
    let mut expectations = Expectations::default();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/manifests");
    for service in ["order-service", "inventory-service", "notification-service"] {
        let path = dir.join(service).join("seam.toml");
        let read = seamline_model::read_manifest(&path, "seam.toml").unwrap();
        assert!(read.problems.is_empty(), "{service}: {:?}", read.problems);
        expectations.add_manifest(read.manifest.as_ref().unwrap());
    }
    expectations
}

fn run(options: &Options, expectations: Expectations) -> Report {
    let mut traces = Vec::new();
    let mut logs = Vec::new();
    generate(options, &mut traces, Some(&mut logs)).unwrap();
    let config = Config {
        expectations,
        ..Config::default()
    };
    diagnose_bytes(&[("traces.jsonl", &traces), ("logs.jsonl", &logs)], config)
}

/// (fault, kind, service, span name of the root cause, whether the request failed)
const EXPECTED: &[(Fault, CauseKind, &str, &str, bool)] = &[
    (
        Fault::MissingPublish,
        CauseKind::MissingPublish,
        "inventory-service",
        "process order.created",
        true,
    ),
    (
        Fault::WrongRoutingKey,
        CauseKind::UnconsumedPublish,
        "inventory-service",
        "publish inventory.stock_reserved",
        true,
    ),
    (
        Fault::VersionMismatch,
        CauseKind::MessageRejected,
        "order-service",
        "process inventory.stock_reserved",
        true,
    ),
    (
        Fault::PaymentUnavailable,
        CauseKind::RetriesExhausted,
        "payment-service",
        "acquire connection",
        true,
    ),
    (
        Fault::PaymentSlow,
        CauseKind::MaskedTimeout,
        "payment-service",
        "SELECT accounts FOR UPDATE",
        true,
    ),
    (
        Fault::OrderDatabaseError,
        CauseKind::ErrorOrigin,
        "order-service",
        "INSERT orders",
        true,
    ),
    (
        Fault::InvalidRequest,
        CauseKind::ClientError,
        "order-service",
        "POST /orders",
        true,
    ),
    (
        Fault::NotificationFails,
        CauseKind::NonFatal,
        "notification-service",
        "POST smtp send",
        false,
    ),
];

fn check(report: &Report, fault: Fault, label: &str) {
    let (_, kind, service, span, failed) = EXPECTED.iter().find(|e| e.0 == fault).unwrap();
    assert_eq!(
        report.traces.len(),
        37,
        "{label}: {} diagnosed traces\n{:#?}",
        report.traces.len(),
        report.aggregate
    );
    for trace in &report.traces {
        let cause = &trace.root_cause;
        assert_eq!(
            (
                cause.kind,
                cause.service.as_str(),
                cause.span_name.as_deref(),
                trace.request_failed
            ),
            (*kind, *service, Some(*span), *failed),
            "{label}: trace {}\n{}",
            trace.trace_id,
            serde_json::to_string_pretty(trace).unwrap()
        );
        assert!(cause.span_id.is_some());
        assert_eq!(
            trace.candidates[0], *cause,
            "{label}: the root cause is the first candidate"
        );
        assert!(!trace.evidence.is_empty(), "{label}: evidence");
    }
    let top = &report.aggregate[0];
    assert_eq!(
        (top.traces, top.of, top.kind),
        (37, 37, *kind),
        "{label}: {top:?}"
    );
    assert_eq!(report.totals.requests, 40, "{label}");
    assert_eq!(report.totals.healthy_requests, 3, "{label}");
}

#[test]
fn every_fault_in_both_styles_with_manifests() {
    for style in [Style::Child, Style::Link] {
        for (fault, ..) in EXPECTED {
            let options = Options {
                fault: Some(*fault),
                style,
                ..Options::default()
            };
            let report = run(&options, expectations());
            check(
                &report,
                *fault,
                &format!("{} / {style:?} / manifests", fault.name()),
            );
        }
    }
}

#[test]
fn every_fault_from_healthy_traces_alone() {
    // Without manifests, what healthy checkouts do is the expectation.
    for style in [Style::Child, Style::Link] {
        for (fault, ..) in EXPECTED {
            let options = Options {
                fault: Some(*fault),
                style,
                seed: 7,
                ..Options::default()
            };
            let report = run(&options, Expectations::default());
            check(
                &report,
                *fault,
                &format!("{} / {style:?} / no manifests", fault.name()),
            );
        }
    }
}

#[test]
fn quirks_noise_and_skew_do_not_change_the_answer() {
    for (fault, ..) in EXPECTED {
        let options = Options {
            fault: Some(*fault),
            quirks: true,
            skew_ms: -40,
            noise: 4,
            seed: 99,
            ..Options::default()
        };
        let report = run(&options, expectations());
        check(&report, *fault, &format!("{} / quirks", fault.name()));
    }
}

#[test]
fn healthy_checkouts_have_no_findings() {
    let report = run(
        &Options {
            fault: None,
            ..Options::default()
        },
        expectations(),
    );
    assert!(report.traces.is_empty(), "{:#?}", report.aggregate);
    assert_eq!(report.totals.healthy_requests, 40);
}

#[test]
fn missing_publish_evidence_names_the_expectation_and_healthy_difference() {
    let report = run(
        &Options {
            fault: Some(Fault::MissingPublish),
            ..Options::default()
        },
        expectations(),
    );
    let trace = &report.traces[0];
    let texts: Vec<&str> = trace.evidence.iter().map(|e| e.text.as_str()).collect();
    assert!(
        texts.iter().any(|t| t.contains(
            "inventory-service's seam.toml: publishes inventory.stock_reserved after order.created"
        )),
        "{texts:#?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("lacks")
            && t.contains("inventory-service publishes inventory.stock_reserved")),
        "{texts:#?}"
    );
    assert_eq!(
        report.aggregate[0].headline,
        "inventory-service consumed order.created and published nothing"
    );
    // The timed-out wait is listed, as a symptom, below the cause.
    assert!(trace.candidates.iter().any(|c| c.span_name.as_deref()
        == Some("await inventory.stock_reserved")
        && c.score < 0.5));
    // Correlated log lines come along.
    assert!(
        trace.logs.iter().any(|l| l.body.contains("timed out")),
        "{:#?}",
        trace.logs
    );
}

/// One OTLP/JSON span: `kind` 2 is SERVER, 3 CLIENT; `attributes` are string-valued.
fn otlp_span(
    id: u8,
    parent: Option<u8>,
    name: &str,
    kind: u8,
    attributes: &[(&str, &str)],
    status: u16,
    start_ms: u64,
) -> String {
    let mut attributes: Vec<String> = attributes
        .iter()
        .map(|(k, v)| format!(r#"{{"key":"{k}","value":{{"stringValue":"{v}"}}}}"#))
        .collect();
    attributes.push(format!(
        r#"{{"key":"http.response.status_code","value":{{"intValue":"{status}"}}}}"#
    ));
    let start = 1_795_683_600_000_000_000u64 + start_ms * 1_000_000;
    format!(
        r#"{{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00000000000000{id:02x}","parentSpanId":"{parent}","name":"{name}","kind":{kind},"startTimeUnixNano":"{start}","endTimeUnixNano":"{end}","attributes":[{attributes}],"status":{{"code":{code}}}}}"#,
        parent = parent.map_or(String::new(), |p| format!("00000000000000{p:02x}")),
        end = start + 5_000_000,
        attributes = attributes.join(","),
        code = if status >= 500 { 2 } else { 1 },
    )
}

fn otlp_document(services: &[(&str, Vec<String>)]) -> String {
    let resources: Vec<String> = services
        .iter()
        .map(|(service, spans)| {
            format!(
                r#"{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}}]}},"scopeSpans":[{{"spans":[{}]}}]}}"#,
                spans.join(",")
            )
        })
        .collect();
    format!(r#"{{"resourceSpans":[{}]}}"#, resources.join(","))
}

/// An order-service CLIENT span named by its method alone, as the runtime names them.
fn post(id: u8, url: &str, status: u16, start_ms: u64) -> String {
    let attributes = [("http.request.method", "POST"), ("url.full", url)];
    otlp_span(id, Some(1), "POST", 3, &attributes, status, start_ms)
}

#[test]
fn attempts_of_a_call_named_by_its_method_alone_are_told_apart_by_their_path() {
    let order = vec![
        otlp_span(1, None, "POST /orders", 2, &[], 503, 0),
        post(2, "http://stock:8080/reservations", 201, 1),
        post(3, "http://payments:8080/payments/p-1?try=1", 503, 10),
        post(4, "http://payments:8080/payments/p-1?try=2", 503, 20),
        post(5, "http://payments:8080/payments/p-1?try=3", 503, 30),
    ];
    // The first two attempts were answered; the last reached no traced server.
    let route = [("http.route", "/payments/{id}")];
    let payment = vec![
        otlp_span(6, Some(3), "POST /payments/{id}", 2, &route, 503, 11),
        otlp_span(7, Some(4), "POST /payments/{id}", 2, &route, 503, 21),
    ];
    let document = otlp_document(&[("order-service", order), ("payment-service", payment)]);
    let report = diagnose_bytes(&[("traces.json", document.as_bytes())], Config::default());
    let cause = &report.traces[0].root_cause;
    // Three failed attempts of one call, not three of four "POST"s, named by the route a server gave.
    assert_eq!(cause.kind, CauseKind::RetriesExhausted, "{cause:#?}");
    assert!(
        cause
            .headline
            .starts_with("order-service retried POST /payments/{id} and every attempt failed"),
        "{cause:#?}"
    );
}

/// Only `service`'s spans from a generated file, as one repository's own trace export would hold them.
fn only_service(traces: &[u8], service: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for line in traces.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let mut document: serde_json::Value = serde_json::from_slice(line).unwrap();
        document["resourceSpans"]
            .as_array_mut()
            .unwrap()
            .retain(|r| {
                r["resource"]["attributes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a["key"] == "service.name" && a["value"]["stringValue"] == service)
            });
        serde_json::to_writer(&mut out, &document).unwrap();
        out.push(b'\n');
    }
    out
}

#[test]
fn a_trace_that_falls_apart_into_fragments_is_one_request() {
    // Only order-service's spans of 20 version-mismatch checkouts: in each trace its server span (whose parent,
    // the gateway's call, is not in the input) and its consumer span (whose parent, inventory-service's publish,
    // is not either) are two roots of one trace. That is one request, diagnosed once, not two.
    let options = Options {
        fault: Some(Fault::VersionMismatch),
        checkouts: 20,
        faulty_per_40: 40,
        ..Options::default()
    };
    let mut traces = Vec::new();
    generate(&options, &mut traces, None).unwrap();
    let own = only_service(&traces, "order-service");
    let report = diagnose_bytes(&[("order-service.jsonl", &own)], Config::default());
    assert_eq!(report.totals.traces, 20);
    assert_eq!(
        (report.totals.requests, report.totals.failing_requests),
        (20, 20),
        "{:#?}",
        report.totals
    );
    assert_eq!(report.traces.len(), 20);
    let mut ids: Vec<&str> = report.traces.iter().map(|t| t.trace_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 20, "each trace is diagnosed once");
    for trace in &report.traces {
        assert_eq!(trace.route, "order-service POST /orders");
        assert_eq!(
            (trace.root_cause.kind, trace.root_cause.service.as_str()),
            (CauseKind::MessageRejected, "order-service")
        );
    }
    let markdown = seamline_trace::render::render_markdown(
        &report,
        seamline_trace::render::RenderOptions { all: false },
        None,
    );
    assert!(
        markdown.contains("20 of 20 request(s) failed"),
        "{markdown}"
    );
    assert_eq!(markdown.matches("\n## Trace `").count(), 1, "{markdown}");
}
