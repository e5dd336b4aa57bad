//! The real public trace files in the shared fixtures: every one is read without a panic, what cannot be read is
//! reported, and the structural edge cases come out repaired and described.

use std::path::{Path, PathBuf};

use seamline_trace::{CauseKind, Config, Report, diagnose_bytes};

fn fixtures() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/traces");
    if dir.is_dir() {
        return Some(dir);
    }
    eprintln!(
        "SKIPPED: the shared trace fixtures are not next to this checkout ({})",
        dir.display()
    );
    None
}

fn diagnose(path: &Path) -> Report {
    let bytes = std::fs::read(path).unwrap();
    diagnose_bytes(&[(&path.display().to_string(), &bytes)], Config::default())
}

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            all_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn every_fixture_is_read_or_reported() {
    let Some(dir) = fixtures() else { return };
    let mut files = Vec::new();
    all_files(&dir, &mut files);
    files.sort();
    assert!(files.len() >= 70, "{} files", files.len());
    for path in &files {
        let name = path.strip_prefix(&dir).unwrap().display().to_string();
        let report = diagnose(path);
        let read_something = report.totals.spans + report.totals.logs > 0;
        // The deliberately broken files, and jaeger-ui's statistics fixture whose ids are not hex.
        let broken = name.contains("trace_empty")
            || name.contains("trace_invalid_json")
            || name.contains("trace_scan_error")
            || name.contains("trace_wrong_format")
            || name.ends_with("tableValuesTestTrace/testTrace.json");
        if broken {
            assert!(
                report.totals.skipped > 0 || !read_something,
                "{name}: {:?}",
                report.totals
            );
            assert!(
                !report.input_notes.is_empty(),
                "{name}: the skip is reported"
            );
        } else {
            assert!(read_something, "{name}: {:?}", report.input_notes);
            assert_eq!(report.totals.skipped, 0, "{name}: {:?}", report.input_notes);
        }
    }
}

fn notes(name: &str) -> Vec<String> {
    let Some(dir) = fixtures() else {
        return vec!["skipped".into()];
    };
    diagnose(&dir.join(name)).input_notes
}

fn has(notes: &[String], text: &str) -> bool {
    notes.iter().any(|n| n.contains(text)) || notes == ["skipped"]
}

#[test]
fn structural_edge_cases_are_repaired_and_described() {
    assert!(has(
        &notes("jaeger/jaeger-ui/trace-contract/parent-cycle.legacy.json"),
        "parent cycle"
    ));
    assert!(has(
        &notes("jaeger/jaeger-ui/trace-contract/multiple-orphans.legacy.json"),
        "not in the input"
    ));
    assert!(has(
        &notes("jaeger/jaeger-ui/trace-contract/missing-root-start.legacy.json"),
        "no start time"
    ));
    assert!(has(
        &notes("jaeger/jaeger-ui/trace-contract/zero-start-times.legacy.json"),
        "no start time"
    ));
    assert!(has(&notes("zipkin/skew.json"), "clock skew"));
    assert!(has(
        &notes("zipkin/smartthings-mobile-web-install.json"),
        "merged"
    ));
    assert!(has(
        &notes("jaeger/jaeger/anonymizer-uiconv/trace_scan_error.json"),
        "skipped"
    ));
}

#[test]
fn a_kafka_consumer_failure_is_followed_across_the_broker() {
    let Some(dir) = fixtures() else { return };
    let report = diagnose(&dir.join("zipkin/messaging-kafka.json"));
    assert_eq!(report.traces.len(), 1);
    let trace = &report.traces[0];
    assert!(!trace.request_failed);
    assert_eq!(
        (trace.root_cause.kind, trace.root_cause.service.as_str()),
        (CauseKind::NonFatal, "serviceb")
    );
    assert!(
        trace
            .path
            .iter()
            .any(|p| p.via_message && p.service == "serviceb"),
        "{:#?}",
        trace.path
    );
}

#[test]
fn a_large_real_trace_is_summarised() {
    let Some(dir) = fixtures() else { return };
    let report = diagnose(&dir.join("zipkin/smartthings-mobile-web-install.json"));
    assert_eq!(report.totals.spans, 1041);
    assert_eq!(report.totals.requests, 1);
    // A 404 deep inside a request that succeeded.
    let trace = &report.traces[0];
    assert_eq!(trace.root_cause.kind, CauseKind::NonFatal);
    assert!(
        trace.root_cause.detail.contains("404"),
        "{}",
        trace.root_cause.detail
    );
    assert!(
        trace.path.len() < 40,
        "the path shows the way to the cause, not the 1041 spans"
    );
}
