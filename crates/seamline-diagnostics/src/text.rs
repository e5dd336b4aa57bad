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
        Some(label) => group = with_snippet(group, label, AnnotationKind::Primary),
        None => {
            if let Some(path) = &d.path {
                group = group.element(annotate_snippets::Origin::path(path.as_str()));
            }
        }
    }
    for label in &d.secondary {
        group = with_snippet(group, label, AnnotationKind::Context);
    }
    group = group.element(Level::NOTE.message(format!("rule: {}", d.rule)));
    if let Some(help) = &d.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    vec![group]
}

/// A snippet of the few lines around `label`, so rendering costs the same in a 13 MB file as in a small one.
/// A line longer than [`MAX_LINE`] (a minified document) is cut to the part around the label.
fn with_snippet<'a>(group: Group<'a>, label: &'a Label, kind: AnnotationKind) -> Group<'a> {
    let (snippet, cut) = snippet(label, kind);
    if !cut {
        return group.element(snippet);
    }
    // The renderer counts columns from the start of the text it is given; on a cut line, say where it really is.
    let at = label.start();
    group
        .element(
            annotate_snippets::Origin::path(label.source.name())
                .line(at.line as usize)
                .char_column(at.column as usize),
        )
        .element(snippet)
}

fn snippet<'a>(
    label: &'a Label,
    kind: AnnotationKind,
) -> (Snippet<'a, annotate_snippets::Annotation<'a>>, bool) {
    let source = &label.source;
    let text = source.text();
    let first = source.line_index(label.span.start);
    let last = source
        .line_index(label.span.end.max(label.span.start))
        .min(first + MAX_LINES - 1);
    let mut start = source.line_range(first).start;
    let mut end = source.line_range(last).end;
    let cut = end - start > MAX_LINE;
    if cut {
        let at = label.span.start as usize;
        start = floor_char_boundary(text, at.saturating_sub(CONTEXT).max(start));
        let until = (label.span.end as usize).min(at + MAX_LINE - CONTEXT);
        end = floor_char_boundary(text, (until + CONTEXT).min(end)).max(start);
    }
    let window = &text[start..end];
    let rel_start = (label.span.start as usize).clamp(start, end) - start;
    let rel_end = (label.span.end as usize).clamp(start + rel_start, end) - start;
    let mut annotation = kind.span(rel_start..rel_end);
    if let Some(message) = &label.message {
        annotation = annotation.label(message.as_str());
    }
    let snippet = Snippet::source(window)
        .line_start(first + 1)
        .fold(false)
        .annotation(annotation);
    if cut {
        (snippet, true)
    } else {
        (snippet.path(source.name()), false)
    }
}

/// Longest line shown whole, in bytes.
const MAX_LINE: usize = 240;
/// Bytes shown before and after the label on a line that is cut.
const CONTEXT: usize = 60;

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}
