use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::{Diagnostic, Label, Severity, Summary, sort};

/// How the text renderer draws.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// ANSI colors.
    pub color: bool,
}

/// Most lines of source shown for one label; a longer span is shown by its first lines.
const MAX_LINES: usize = 4;

/// Renders findings like rustc and ruff: `error[CODE]: message`, the file, line and column, the source lines
/// with a caret under the exact token, and a help line. Ends with a summary line.
pub fn render_text(diagnostics: &[Diagnostic], options: TextOptions) -> String {
    let mut sorted = diagnostics.to_vec();
    sort(&mut sorted);
    let renderer = if options.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    }
    .decor_style(DecorStyle::Ascii);
    let mut out = String::new();
    for d in &sorted {
        out.push_str(&renderer.render(&report(d)));
        out.push_str("\n\n");
    }
    let summary = Summary::of(&sorted);
    if summary.total() == 0 {
        out.push_str("no findings\n");
    } else {
        out.push_str(&format!("found {summary}\n"));
    }
    out
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    }
}

fn report(d: &Diagnostic) -> Vec<Group<'_>> {
    let title = level(d.severity)
        .primary_title(d.message.as_str())
        .id(d.code.as_str());
    let mut group = Group::with_title(title);
    match &d.primary {
        Some(label) => group = group.element(snippet(label, AnnotationKind::Primary)),
        None => {
            if let Some(path) = &d.path {
                group = group.element(annotate_snippets::Origin::path(path.as_str()));
            }
        }
    }
    for label in &d.secondary {
        group = group.element(snippet(label, AnnotationKind::Context));
    }
    group = group.element(Level::NOTE.message(format!("rule: {}", d.rule)));
    if let Some(help) = &d.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    vec![group]
}

/// A snippet of the few lines around `label`, so rendering costs the same in a 13 MB file as in a small one.
fn snippet<'a>(
    label: &'a Label,
    kind: AnnotationKind,
) -> Snippet<'a, annotate_snippets::Annotation<'a>> {
    let source = &label.source;
    let text = source.text();
    let first = source.line_index(label.span.start);
    let last = source
        .line_index(label.span.end.max(label.span.start))
        .min(first + MAX_LINES - 1);
    let start = source.line_range(first).start;
    let end = source.line_range(last).end;
    let window = &text[start..end];
    let rel_start = (label.span.start as usize).clamp(start, end) - start;
    let rel_end = (label.span.end as usize).clamp(start + rel_start, end) - start;
    let mut annotation = kind.span(rel_start..rel_end);
    if let Some(message) = &label.message {
        annotation = annotation.label(message.as_str());
    }
    Snippet::source(window)
        .line_start(first + 1)
        .path(source.name())
        .fold(false)
        .annotation(annotation)
}
