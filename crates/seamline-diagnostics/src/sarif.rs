use serde_json::{Value, json};

use crate::json::range;
use crate::{Diagnostic, Label, RuleInfo, Severity, sort};

/// Renders findings as a SARIF 2.1.0 log with one run, the form GitHub code scanning accepts. `rules` are all
/// rules that ran, so the log describes them even when they found nothing.
pub fn render_sarif(diagnostics: &[Diagnostic], rules: &[RuleInfo], tool_version: &str) -> String {
    let mut sorted = diagnostics.to_vec();
    sort(&mut sorted);
    let mut rules: Vec<&RuleInfo> = rules.iter().collect();
    rules.sort_by_key(|r| r.code);
    let rule_index = |code: &str| rules.iter().position(|r| r.code == code);
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "seam",
                "version": tool_version,
                "rules": rules.iter().map(|r| json!({
                    "id": r.code,
                    "name": r.name,
                    "shortDescription": {"text": r.summary},
                    "help": {"text": help(r)},
                    "defaultConfiguration": {"level": level(r.default_severity)},
                })).collect::<Vec<_>>(),
            }},
            "columnKind": "unicodeCodePoints",
            "results": sorted.iter().map(|d| {
                let mut result = json!({
                    "ruleId": d.code,
                    "level": level(d.severity),
                    "message": {"text": message(d)},
                    "locations": location(d).into_iter().collect::<Vec<_>>(),
                });
                if let Some(index) = rule_index(&d.code) {
                    result["ruleIndex"] = json!(index);
                }
                if !d.secondary.is_empty() {
                    result["relatedLocations"] = d.secondary.iter().enumerate()
                        .map(|(i, l)| physical(l, i + 1))
                        .collect();
                }
                result
            }).collect::<Vec<_>>(),
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn message(d: &Diagnostic) -> String {
    match &d.help {
        Some(help) => format!("{}\nhelp: {help}", d.message),
        None => d.message.clone(),
    }
}

fn location(d: &Diagnostic) -> Option<Value> {
    match &d.primary {
        Some(label) => Some(physical(label, 0)),
        None => d
            .file()
            .map(|file| json!({"physicalLocation": {"artifactLocation": {"uri": uri(file)}}})),
    }
}

fn physical(label: &Label, id: usize) -> Value {
    let r = range(label);
    let mut region = json!({
        "startLine": r["start"]["line"],
        "startColumn": r["start"]["column"],
        "endLine": r["end"]["line"],
        "endColumn": r["end"]["column"],
    });
    if region["endLine"] == region["startLine"] && region["endColumn"] == region["startColumn"] {
        region["endColumn"] = json!(r["end"]["column"].as_u64().unwrap_or(1) + 1);
    }
    let mut location = json!({
        "physicalLocation": {
            "artifactLocation": {"uri": uri(label.source.name())},
            "region": region,
        }
    });
    if id > 0 {
        location["id"] = json!(id);
        if let Some(message) = &label.message {
            location["message"] = json!({"text": message});
        }
    }
    location
}

/// SARIF wants URI references: forward slashes, no leading `./`.
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    path.strip_prefix("./").unwrap_or(&path).to_owned()
}

/// Where a rule is documented: lint rules have a page each, diff checks (`SEAM-C…`) a row of docs/diff.md.
fn help(rule: &RuleInfo) -> String {
    if rule.code.starts_with("SEAM-C") {
        format!("See docs/diff.md (Checks: {})", rule.name)
    } else {
        format!("See docs/rules/{}.md", rule.name)
    }
}
