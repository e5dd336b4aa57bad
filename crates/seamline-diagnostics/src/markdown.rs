use crate::{Diagnostic, Severity, Summary, sort};

/// Renders findings as Markdown for a pull-request comment: a headline with the counts, then a table.
pub fn render_markdown(diagnostics: &[Diagnostic]) -> String {
    let mut sorted = diagnostics.to_vec();
    sort(&mut sorted);
    let summary = Summary::of(&sorted);
    let mut out = String::from("### Seamline\n\n");
    if summary.total() == 0 {
        out.push_str("No findings.\n");
        return out;
    }
    out.push_str(&format!("Found {summary}.\n\n"));
    out.push_str("| | Rule | Location | Finding |\n|---|---|---|---|\n");
    for d in &sorted {
        let icon = match d.severity {
            Severity::Error => "🔴 error",
            Severity::Warning => "🟡 warning",
            Severity::Info => "🔵 info",
        };
        let location = match &d.primary {
            Some(label) => {
                let at = label.start();
                format!("`{}:{}:{}`", label.source.name(), at.line, at.column)
            }
            None => d.file().map(|f| format!("`{f}`")).unwrap_or_default(),
        };
        let mut finding = cell(&d.message);
        if let Some(help) = &d.help {
            finding.push_str("<br>");
            finding.push_str(&cell(&format!("help: {help}")));
        }
        out.push_str(&format!(
            "| {icon} | `{}` {} | {location} | {finding} |\n",
            d.code, d.rule
        ));
    }
    out
}

/// Text made safe for one table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', "<br>")
}
