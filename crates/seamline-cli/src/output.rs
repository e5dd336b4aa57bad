use std::io::Write;

use seamline_diagnostics::{
    Diagnostic, RuleInfo, Severity, TextOptions, render_github, render_json, render_markdown,
    render_sarif, render_text,
};

use crate::Status;
use crate::args::{ColorChoice, FailOn, Format, Global};

/// Prints findings in the chosen format and says which exit status they call for.
pub(crate) fn emit(
    global: &Global,
    default_format: Format,
    default_fail_on: FailOn,
    diagnostics: &[Diagnostic],
) -> anyhow::Result<Status> {
    let format = global.format.unwrap_or(default_format);
    let text = match format {
        Format::Text => render_text(
            diagnostics,
            TextOptions {
                color: colored(global.color),
            },
        ),
        Format::Json => render_json(diagnostics),
        Format::Markdown => render_markdown(diagnostics),
        Format::Sarif => {
            let rules: Vec<RuleInfo> = seamline_lint::rules::ALL.iter().map(|r| r.info()).collect();
            render_sarif(diagnostics, &rules, env!("CARGO_PKG_VERSION"))
        }
        Format::Github => render_github(diagnostics),
    };
    write_stdout(global.color, &text)?;
    Ok(status(global, default_fail_on, diagnostics))
}

/// Findings at or above `--fail-on` (or `default`) call for exit code 1.
pub(crate) fn status(global: &Global, default: FailOn, diagnostics: &[Diagnostic]) -> Status {
    let threshold = match global.fail_on.unwrap_or(default) {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Info => Severity::Info,
    };
    if diagnostics.iter().any(|d| d.severity >= threshold) {
        Status::Findings
    } else {
        Status::Clean
    }
}

/// Prints input errors (a broken manifest, a missing path) as text on stderr.
pub(crate) fn emit_input_errors(global: &Global, errors: &[Diagnostic]) {
    let text = render_text(
        errors,
        TextOptions {
            color: colored(global.color),
        },
    );
    // The summary line of the text renderer counts findings; for input errors say plainly what happens.
    let body = text
        .rsplit_once("found ")
        .map_or(text.as_str(), |(body, _)| body);
    let mut stderr = anstream::AutoStream::new(std::io::stderr(), stream_choice(global.color));
    let _ = write!(stderr, "{body}");
    let _ = writeln!(
        stderr,
        "error: the input has problems that must be fixed first (exit code 2)"
    );
}

pub(crate) fn write_stdout(color: ColorChoice, text: &str) -> anyhow::Result<()> {
    let mut stdout = anstream::AutoStream::new(std::io::stdout(), stream_choice(color));
    match stdout.write_all(text.as_bytes()) {
        Ok(()) => Ok(()),
        // A closed pipe (`seam lint | head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn colored(color: ColorChoice) -> bool {
    color != ColorChoice::Never
}

fn stream_choice(color: ColorChoice) -> anstream::ColorChoice {
    match color {
        ColorChoice::Auto => anstream::ColorChoice::Auto,
        ColorChoice::Always => anstream::ColorChoice::Always,
        ColorChoice::Never => anstream::ColorChoice::Never,
    }
}
