use seamline_diagnostics::{Diagnostic, Label, RuleInfo, Severity};
use seamline_model::DocId;
use seamline_syntax::{SourceFile, Span};

use crate::Context;

/// A rule: its identity, its documentation and its check, as one piece of data.
pub struct Rule {
    /// Stable code, `SEAM-<area><number>`.
    pub code: &'static str,
    /// Kebab-case name that reads as "allow <name>": `operation-id-missing`.
    pub name: &'static str,
    pub summary: &'static str,
    pub severity: Severity,
    /// Markdown with `## What it does`, `## Why is this bad?` and `## Example`; becomes `docs/rules/<name>.md`.
    pub docs: &'static str,
    pub check: fn(&Context<'_>, &mut Report<'_>),
}

impl Rule {
    pub fn info(&self) -> RuleInfo {
        RuleInfo {
            code: self.code,
            name: self.name,
            summary: self.summary,
            default_severity: self.severity,
        }
    }
}

/// Where a rule's findings go; it stamps each with the rule's code, name and severity.
pub struct Report<'a> {
    pub(crate) rule: &'static Rule,
    pub(crate) ctx: &'a Context<'a>,
    pub(crate) out: Vec<Diagnostic>,
}

impl Report<'_> {
    fn new_diagnostic(&self, message: String) -> Diagnostic {
        Diagnostic::new(self.rule.code, self.rule.name, self.rule.severity, message)
    }

    /// A finding about the node at `pointer` in document `doc`. With `prefer_key` the caret goes under the
    /// member's key (for "this operation lacks X"); otherwise under the value. A pointer that does not exist
    /// points at the nearest thing that does.
    pub fn at(
        &mut self,
        doc: DocId,
        pointer: &str,
        prefer_key: bool,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let d = self.ctx.ws.doc(doc);
        let span = d.span_of(pointer, prefer_key).or_else(|| {
            let root = d.root.as_ref()?;
            let (_, reached) = root.nearest(pointer);
            d.span_of(&pointer[..reached], true)
        });
        let mut diagnostic = self.new_diagnostic(message.into()).with_pointer(pointer);
        diagnostic = match span {
            Some(span) => diagnostic.with_primary(Label::new(&d.source, span)),
            None => diagnostic.with_path(d.name()),
        };
        self.out.push(diagnostic);
        self.out.last_mut().expect("just pushed")
    }

    /// A finding at a span of a file.
    pub fn at_span(
        &mut self,
        source: &SourceFile,
        span: Span,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let diagnostic = self
            .new_diagnostic(message.into())
            .with_primary(Label::new(source, span));
        self.out.push(diagnostic);
        self.out.last_mut().expect("just pushed")
    }

    /// A finding about a whole file that has no tree to point into.
    pub fn file(&mut self, name: &str, message: impl Into<String>) -> &mut Diagnostic {
        let diagnostic = self.new_diagnostic(message.into()).with_path(name);
        self.out.push(diagnostic);
        self.out.last_mut().expect("just pushed")
    }

    /// A finding about the manifest entry at `pointer`.
    pub fn manifest(
        &mut self,
        pointer: &str,
        prefer_key: bool,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let label = self.ctx.manifest_label(pointer, prefer_key);
        let mut diagnostic = self.new_diagnostic(message.into()).with_pointer(pointer);
        diagnostic = match label {
            Some(label) => diagnostic.with_primary(label),
            None => diagnostic.with_path("seam.toml"),
        };
        self.out.push(diagnostic);
        self.out.last_mut().expect("just pushed")
    }
}
