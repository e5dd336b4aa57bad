//! Inline suppressions, each with a reason:
//!
//! - in any contract, an `x-seam-ignore` member maps rule names to reasons and silences those rules for the
//!   object that holds it and everything below: `x-seam-ignore: {operation-timeout-missing: "batch job"}`;
//! - in YAML and TOML, a comment `# seam-ignore <rule>: <reason>` silences the rule on its own line, or, on a
//!   line by itself, on the next line that holds something.

use seamline_diagnostics::Diagnostic;
use seamline_syntax::{Node, SourceFile, Span};

use crate::Context;
use crate::engine::matches_rule;
use crate::rules::ALL;

/// One suppression as written, valid or not.
pub(crate) struct Suppression {
    pub file: String,
    pub rule: String,
    pub reason: String,
    pub scope: Scope,
    /// Where it is written, for reporting a malformed one.
    pub span: Span,
    pub source: SourceFile,
}

pub(crate) enum Scope {
    /// Diagnostics whose pointer is this one or below it.
    Pointer(String),
    /// Diagnostics that start on this 1-based line.
    Line(u32),
}

impl Suppression {
    pub(crate) fn problem(&self) -> Option<String> {
        if self.rule.trim().is_empty() {
            return Some("the suppression names no rule".to_owned());
        }
        if !ALL.iter().any(|r| matches_rule(r, &self.rule)) {
            return Some(format!("`{}` is not a rule", self.rule));
        }
        if self.reason.trim().is_empty() {
            return Some(format!(
                "the suppression of `{}` gives no reason",
                self.rule
            ));
        }
        None
    }

    fn covers(&self, d: &Diagnostic) -> bool {
        if d.file() != Some(self.file.as_str())
            || !ALL
                .iter()
                .any(|r| r.name == d.rule && matches_rule(r, &self.rule))
        {
            return false;
        }
        match &self.scope {
            Scope::Pointer(prefix) => d.pointer.as_deref().is_some_and(|p| {
                p == prefix
                    || (p.starts_with(prefix.as_str())
                        && p.as_bytes().get(prefix.len()) == Some(&b'/'))
            }),
            Scope::Line(line) => d.primary.as_ref().is_some_and(|l| l.start().line == *line),
        }
    }
}

/// Every suppression written in the documents and the manifest.
pub(crate) fn collect(ctx: &Context<'_>) -> Vec<Suppression> {
    let mut out = Vec::new();
    for (_, doc) in ctx.ws.docs() {
        if let Some(root) = &doc.root {
            extension_suppressions(root, &doc.source, &mut out);
        }
        comment_suppressions(&doc.source, &mut out);
    }
    if let Some(manifest) = ctx.manifest {
        comment_suppressions(&manifest.source, &mut out);
    }
    out
}

/// Drops the diagnostics that a valid suppression covers.
pub(crate) fn apply(ctx: &Context<'_>, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let valid: Vec<Suppression> = collect(ctx)
        .into_iter()
        .filter(|s| s.problem().is_none())
        .collect();
    if valid.is_empty() {
        return diagnostics;
    }
    diagnostics
        .into_iter()
        .filter(|d| !valid.iter().any(|s| s.covers(d)))
        .collect()
}

fn extension_suppressions(root: &Node, source: &SourceFile, out: &mut Vec<Suppression>) {
    root.visit(&mut |pointer, node| {
        let Some(member) = node.as_object().and_then(|o| o.member("x-seam-ignore")) else {
            return;
        };
        let suppression = |rule: String, reason: String, span| Suppression {
            file: source.name().to_owned(),
            rule,
            reason,
            scope: Scope::Pointer(pointer.to_owned()),
            span,
            source: source.clone(),
        };
        let entries: Vec<_> = member.value.entries().collect();
        if entries.is_empty() {
            out.push(suppression(String::new(), String::new(), member.key_span));
        }
        for entry in entries {
            let reason = entry.value.as_str().unwrap_or_default().to_owned();
            out.push(suppression(entry.key.to_string(), reason, entry.key_span));
        }
    });
}

const MARKER: &str = "seam-ignore";

fn comment_suppressions(source: &SourceFile, out: &mut Vec<Suppression>) {
    let text = source.text();
    if !text.contains(MARKER) {
        return;
    }
    let lines: Vec<&str> = text.lines().collect();
    for (index, line) in lines.iter().enumerate() {
        // The `#` that starts the suppression, which need not be the line's first: `$ref: "#/a"  # seam-ignore ...`.
        // A comment starts the line or follows a blank.
        let Some((hash, rest)) = line.match_indices('#').find_map(|(hash, _)| {
            let starts_comment = line[..hash].is_empty() || line[..hash].ends_with([' ', '\t']);
            let rest = line[hash + 1..].trim_start().strip_prefix(MARKER)?;
            starts_comment.then_some((hash, rest))
        }) else {
            continue;
        };
        let (rule, reason) = match rest.trim_start().split_once(':') {
            Some((rule, reason)) => (rule.trim(), reason.trim()),
            None => (rest.trim(), ""),
        };
        let own_line = line[..hash].trim().is_empty();
        let target = if own_line {
            (index + 1..lines.len())
                .find(|&i| {
                    let t = lines[i].trim();
                    !t.is_empty() && !t.starts_with('#')
                })
                .unwrap_or(index)
        } else {
            index
        };
        let line_start = source.line_range(index).start;
        // Under the rule's name, or under the whole comment when it names none. `rest` ends the line.
        let (start, end) = if rule.is_empty() {
            (line_start + hash, source.line_range(index).end)
        } else {
            let at = line_start + line.len() - rest.trim_start().len();
            (at, at + rule.len())
        };
        out.push(Suppression {
            file: source.name().to_owned(),
            rule: rule.to_owned(),
            reason: reason.to_owned(),
            scope: Scope::Line(target as u32 + 1),
            span: Span::new(start as u32, end as u32),
            source: source.clone(),
        });
    }
}
