use crate::{Diagnostic, Severity, Summary, sort};

/// Renders findings as GitHub Actions workflow commands, which the runner turns into annotations on the lines of
/// the pull request: `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`.
pub fn render_github(diagnostics: &[Diagnostic]) -> String {
    let mut sorted = diagnostics.to_vec();
    sort(&mut sorted);
    let mut out = String::new();
    for d in &sorted {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = Vec::new();
        if let Some(file) = d.file() {
            props.push(format!("file={}", property(file)));
        }
        if let Some(label) = &d.primary {
            let (start, end) = (label.start(), label.end());
            props.push(format!("line={}", start.line));
            props.push(format!("col={}", start.column));
            props.push(format!("endLine={}", end.line));
            if end.line == start.line {
                props.push(format!("endColumn={}", end.column));
            }
        }
        props.push(format!(
            "title={}",
            property(&format!("{} {}", d.code, d.rule))
        ));
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        out.push_str(&format!(
            "::{command} {}::{}\n",
            props.join(","),
            data(&message)
        ));
    }
    out.push_str(&format!("seam: found {}\n", Summary::of(&sorted)));
    out
}

/// Escapes a workflow command's message.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}
