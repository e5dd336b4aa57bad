use serde_json::{Value, json};

use crate::{Diagnostic, Label, Summary, sort};

/// The version of the JSON output's shape, documented in `docs/json-output.md`; it changes only on purpose.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// Renders findings as one JSON document: `{"version", "summary", "diagnostics": [...]}`.
pub fn render_json(diagnostics: &[Diagnostic]) -> String {
    let mut sorted = diagnostics.to_vec();
    sort(&mut sorted);
    let summary = Summary::of(&sorted);
    let doc = json!({
        "version": JSON_SCHEMA_VERSION,
        "summary": {
            "errors": summary.errors,
            "warnings": summary.warnings,
            "infos": summary.infos,
        },
        "diagnostics": sorted.iter().map(diagnostic).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn diagnostic(d: &Diagnostic) -> Value {
    json!({
        "code": d.code,
        "rule": d.rule,
        "severity": d.severity.as_str(),
        "message": d.message,
        "file": d.file(),
        "pointer": d.pointer,
        "range": d.primary.as_ref().map(range),
        "help": d.help,
        "related": d.secondary.iter().map(|l| json!({
            "file": l.source.name(),
            "range": range(l),
            "message": l.message,
        })).collect::<Vec<_>>(),
    })
}

pub(crate) fn range(label: &Label) -> Value {
    let (start, end) = (label.start(), label.end());
    json!({
        "start": {"line": start.line, "column": start.column, "offset": label.span.start},
        "end": {"line": end.line, "column": end.column, "offset": label.span.end},
    })
}
