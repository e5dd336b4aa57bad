//! What people and assistants read: the text tree, the Markdown under a token budget, the JSON against its schema.

use seamline_trace::corpus::{self, Partial};
use seamline_trace::generate::{Fault, Options, Style, generate};
use seamline_trace::render::{RenderOptions, count_tokens, render_markdown, render_text};
use seamline_trace::{Config, Report, diagnose_bytes};

fn report(fault: Fault, style: Style) -> Report {
    let mut traces = Vec::new();
    let mut logs = Vec::new();
    let options = Options {
        fault: Some(fault),
        style,
        ..Options::default()
    };
    generate(&options, &mut traces, Some(&mut logs)).unwrap();
    diagnose_bytes(
        &[("logs.jsonl", &logs), ("traces.jsonl", &traces)],
        Config::default(),
    )
}

#[test]
fn the_text_shows_the_aggregate_the_tree_and_the_marks() {
    let text = render_text(
        &report(Fault::MissingPublish, Style::Link),
        RenderOptions::default(),
    );
    assert!(text.starts_with("37 of 40 request(s) failed"), "{text}");
    assert!(text.contains("in 37 of 37 failing gateway POST /checkout: inventory-service consumed order.created and published nothing"), "{text}");
    assert!(
        text.contains("└⇢ inventory-service process order.created"),
        "{text}"
    );
    assert!(text.contains("◀ root cause"));
    assert!(text.contains("✗ missing"));
    assert!(text.contains("(one example trace per cause; --all shows all 37)"));
    let all = render_text(
        &report(Fault::MissingPublish, Style::Link),
        RenderOptions { all: true },
    );
    assert_eq!(all.matches("\ntrace ").count(), 37);
}

#[test]
fn markdown_fits_the_budget_and_keeps_the_root_cause() {
    let report = report(Fault::VersionMismatch, Style::Child);
    let full = render_markdown(&report, RenderOptions { all: true }, None);
    let full_tokens = count_tokens(&full);
    assert!(full_tokens > 2000, "{full_tokens}");
    for budget in [1500, 600, 250] {
        let text = render_markdown(&report, RenderOptions { all: true }, Some(budget));
        assert!(
            count_tokens(&text) <= budget,
            "{budget}: {} tokens\n{text}",
            count_tokens(&text)
        );
        assert!(
            text.contains("**Root cause** (`message_rejected`): order-service"),
            "{budget}\n{text}"
        );
        assert!(text.contains("left out to fit"), "{budget}");
    }
    // Detail goes in order: a larger budget keeps everything a smaller one kept.
    let small = render_markdown(&report, RenderOptions::default(), Some(400));
    let large = render_markdown(&report, RenderOptions::default(), Some(900));
    for line in small
        .lines()
        .filter(|l| l.starts_with("- ") || l.starts_with("**"))
    {
        assert!(large.contains(line), "{line}");
    }
    // A budget below the root cause itself says so rather than dropping it.
    let tiny = render_markdown(&report, RenderOptions::default(), Some(20));
    assert!(
        tiny.contains("Root cause") && tiny.contains("exceeds 20 tokens"),
        "{tiny}"
    );
}

fn schema_validator() -> jsonschema::Validator {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/schemas/trace-diagnosis.schema.json"
    );
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

/// The report as `seam trace diagnose --format json` writes it.
fn json(report: &Report) -> serde_json::Value {
    let mut value = serde_json::to_value(report).unwrap();
    value
        .as_object_mut()
        .unwrap()
        .insert("version".into(), 1.into());
    value
}

fn schema_errors(validator: &jsonschema::Validator, value: &serde_json::Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn json_output_matches_its_schema() {
    let validator = schema_validator();
    for fault in Fault::ALL {
        for style in [Style::Child, Style::Link] {
            let value = json(&report(fault, style));
            let errors = schema_errors(&validator, &value);
            assert!(errors.is_empty(), "{}: {errors:#?}", fault.name());
        }
    }
    // Traces as other instrumentation writes them, whose evidence has every kind (`failing` among them).
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/instrumentation");
    let mut kinds = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        let value = json(&diagnose_bytes(&[(&name, &bytes)], Config::default()));
        let errors = schema_errors(&validator, &value);
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        for trace in value["traces"].as_array().unwrap() {
            for evidence in trace["evidence"].as_array().unwrap() {
                kinds.insert(evidence["kind"].as_str().unwrap().to_string());
            }
        }
    }
    assert!(kinds.contains("failing"), "{kinds:?}");
    // The schema is strict enough to notice a missing field.
    let mut value = json(&report(Fault::PaymentSlow, Style::Child));
    value["traces"][0]["root_cause"]
        .as_object_mut()
        .unwrap()
        .remove("span_id");
    assert!(!validator.is_valid(&value));
}

#[test]
fn incomplete_requests_are_marked_in_the_json_and_match_its_schema() {
    let validator = schema_validator();
    let (mut marked, mut whole) = (0, 0);
    for spec in corpus::specs(7, 3, 3)
        .into_iter()
        .filter(|s| s.partial != Partial::Complete)
    {
        let case = corpus::case(&spec);
        let config = Config {
            expectations: case.expectations.clone(),
            ..Config::default()
        };
        let report = diagnose_bytes(&[(&case.file, &case.traces)], config);
        let value = json(&report);
        let errors = schema_errors(&validator, &value);
        assert!(errors.is_empty(), "{}: {errors:#?}", case.name);
        let traces = value["traces"].as_array().unwrap();
        // Every entry has the field: the reason in words, or null.
        for trace in traces {
            match &trace["incomplete"] {
                serde_json::Value::String(why) => {
                    assert!(!why.is_empty(), "{}", case.name);
                    marked += 1;
                }
                serde_json::Value::Null => whole += 1,
                other => panic!("{}: incomplete is {other}", case.name),
            }
        }
        // The count covers every entry marked incomplete, and the requests without a root that were not diagnosed.
        let listed = traces
            .iter()
            .filter(|t| t["incomplete"].is_string())
            .count() as u64;
        let counted = value["totals"]["incomplete_requests"].as_u64().unwrap();
        assert!(counted >= listed, "{}: {counted} < {listed}", case.name);
        assert_eq!(counted, report.totals.incomplete_requests);
    }
    assert!(marked > 50 && whole > 50, "marked {marked}, whole {whole}");

    // The schema notices an entry without the field, or with something else in it.
    let case = corpus::case(
        &corpus::specs(7, 3, 3)
            .into_iter()
            .find(|s| s.partial == Partial::PartnerAbsent)
            .unwrap(),
    );
    let config = Config {
        expectations: case.expectations.clone(),
        ..Config::default()
    };
    let mut value = json(&diagnose_bytes(&[(&case.file, &case.traces)], config));
    assert!(validator.is_valid(&value));
    value["traces"][0]["incomplete"] = 1.into();
    assert!(!validator.is_valid(&value));
    value["traces"][0]
        .as_object_mut()
        .unwrap()
        .remove("incomplete");
    assert!(!validator.is_valid(&value));
    value["totals"]
        .as_object_mut()
        .unwrap()
        .remove("incomplete_requests");
    assert!(!validator.is_valid(&value));
}
