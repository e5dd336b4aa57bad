//! Partial input, from traces written the way a Java agent writes them (`tests/instrumentation/`): a service whose
//! spans are not in the input is said to be missing, with a lower score, rather than blamed through what its
//! missing spans would have shown; a file cut mid-line is reported with its place, and the fragments it leaves are
//! never healthy requests and are marked incomplete.

use std::path::Path;

use seamline_trace::expect::ServiceExpectations;
use seamline_trace::{CauseKind, Config, Expectations, Report, diagnose_bytes};

fn fixture() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/instrumentation/java-agent-checkout-waits.otlp.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The fixture's resources (one per service) as JSON lines, in the order `services` names them.
fn lines(document: &serde_json::Value, services: &[&str]) -> Vec<String> {
    let resources = document["resourceSpans"].as_array().unwrap();
    services
        .iter()
        .map(|service| {
            let resource = resources
                .iter()
                .find(|r| r["resource"]["attributes"][0]["value"]["stringValue"] == *service)
                .unwrap_or_else(|| panic!("{service} in the fixture"));
            serde_json::json!({ "resourceSpans": [resource] }).to_string()
        })
        .collect()
}

fn manifests() -> Expectations {
    Expectations {
        services: vec![
            ServiceExpectations {
                service: "order-service".into(),
                consumes: vec![("inventory.stock_reserved".into(), vec![1])],
                publishes: vec![("order.placed".into(), None)],
            },
            ServiceExpectations {
                service: "inventory-service".into(),
                consumes: vec![("order.placed".into(), vec![1])],
                publishes: vec![(
                    "inventory.stock_reserved".into(),
                    Some("order.placed".into()),
                )],
            },
        ],
    }
}

fn diagnose(text: &str, expectations: Expectations) -> Report {
    let config = Config {
        expectations,
        ..Config::default()
    };
    diagnose_bytes(&[("traces.jsonl", text.as_bytes())], config)
}

#[test]
fn a_service_whose_spans_are_not_in_the_input_is_named_as_missing_with_a_lower_score() {
    // Only order-service's spans (its own repository's export) and its manifest with inventory-service's: in the
    // missing-publish request inventory-service did consume order.placed, but nothing of it is in the input. Before,
    // the answer was a confident unconsumed_publish at order-service ("no consumer received it").
    let document = fixture();
    let text = lines(&document, &["order-service"]).join("\n");
    let report = diagnose(&text, manifests());
    let trace = report
        .traces
        .iter()
        .find(|t| t.trace_id.ends_with("b14bf92f3577b34da6a3ce929d0e0e47"))
        .expect("the missing-publish request is diagnosed");
    let cause = &trace.root_cause;
    assert_eq!(
        (cause.kind, cause.service.as_str(), trace.request_failed),
        (CauseKind::Unknown, "inventory-service", true),
        "{cause:#?}"
    );
    assert!(
        cause.detail.contains(
            "inventory-service's spans are not in the input; from its manifest it should have published \
             inventory.stock_reserved after consuming order.placed"
        ),
        "{}",
        cause.detail
    );
    assert!(cause.score < 0.9, "a lower score: {}", cause.score);
    assert!(trace.incomplete.is_some());
    // The JSON says so in the entry's `incomplete` and in its evidence.
    let json = serde_json::to_value(trace).unwrap();
    assert!(
        json["incomplete"]
            .as_str()
            .is_some_and(|why| why.starts_with("inventory-service's spans are not in the input")),
        "{json:#}"
    );
    assert!(
        trace.evidence.iter().any(|e| e
            .text
            .starts_with("incomplete: inventory-service's spans are not in the input")),
        "{:#?}",
        trace.evidence
    );
    // Every failing request is incomplete: none is blamed on order-service, whose spans are all there.
    for trace in report.traces.iter().filter(|t| t.request_failed) {
        assert_ne!(
            trace.root_cause.kind,
            CauseKind::UnconsumedPublish,
            "{trace:#?}"
        );
    }
}

#[test]
fn a_file_cut_mid_line_is_reported_with_its_place_and_its_fragments_are_not_healthy_requests() {
    // One line per service; order-service's (every request's root) comes last and is cut in the middle, as a copy
    // taken while the file was written would be. What is left are fragments of all eight requests.
    let document = fixture();
    let mut lines = lines(&document, &["inventory-service", "order-service"]);
    let cut = lines[1].len() / 2;
    lines[1].truncate(cut);
    let report = diagnose(&lines.join("\n"), Expectations::default());
    let notes = report.input_notes.join("\n");
    assert!(
        notes.contains("cut off: the input ends inside this document")
            && notes.contains("traces.jsonl:2"),
        "{notes}"
    );
    assert!(notes.contains("have no root span in the input"), "{notes}");
    assert_eq!(report.totals.healthy_requests, 0, "{notes}");
    // All eight requests lost their root, diagnosed or not.
    assert_eq!(report.totals.incomplete_requests, 8, "{notes}");
    assert!(!report.traces.is_empty());
    for trace in &report.traces {
        assert!(
            trace
                .incomplete
                .as_deref()
                .is_some_and(|why| why.contains("root span is not in the input")),
            "{trace:#?}"
        );
    }
    let text = seamline_trace::render::render_text(
        &report,
        seamline_trace::render::RenderOptions { all: true },
    );
    assert!(text.contains("incomplete input:"), "{text}");
}
