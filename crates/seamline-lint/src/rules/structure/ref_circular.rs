use seamline_diagnostics::Severity;
use seamline_model::{DocId, RefError, RefProblem, Target, Workspace};
use seamline_syntax::{Span, join_pointer};

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-S004",
    name: "ref-circular",
    summary: "a chain of `$ref`s comes back to itself without reaching a value",
    severity: Severity::Error,
    docs: r##"
## What it does
Reports a chain of references that loops (`A` is `$ref: B`, `B` is `$ref: A`) once per loop, at its first member.
Recursive schemas, where a schema refers to itself *inside* a property (a tree whose children are trees), are
fine and not reported.

## Why is this bad?
The loop names no schema at all; tools that follow it either hang or give up.

## Example
```yaml
components:
  schemas:
    A: {$ref: "#/components/schemas/B"}
    B: {$ref: "#/components/schemas/A"}
```
"##,
    check,
};

const HELP: &str = "make one member of the loop a schema rather than another reference";

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    for problem in ctx
        .ref_problems
        .iter()
        .filter(|p| p.error == RefError::Cycle)
    {
        // The model reports each loop once, at the first reference that reaches it, which may be a reference
        // leading into the loop from outside; the finding belongs on the loop itself.
        let (doc, pointer, span, reference) = first_member(ctx.ws, problem).unwrap_or_else(|| {
            (
                problem.doc,
                problem.pointer.clone(),
                problem.span,
                problem.reference.clone(),
            )
        });
        report
            .at_span(
                &ctx.ws.doc(doc).source,
                span,
                format!("`{reference}`: {}", RefError::Cycle),
            )
            .set_help(HELP)
            .pointer = Some(pointer);
    }
}

/// The `$ref` of the loop that `problem`'s chain runs into which comes first in document order: its document,
/// the pointer of its value, the value's span and the reference.
fn first_member(ws: &Workspace, problem: &RefProblem) -> Option<(DocId, String, Span, String)> {
    let mut path: Vec<Target> = vec![ws.resolve(problem.doc, &problem.reference).ok()?];
    let start = loop {
        let current = path.last()?;
        let reference = ws
            .doc(current.doc)
            .node(&current.pointer)?
            .get("$ref")?
            .as_str()?;
        let next = ws.resolve(current.doc, reference).ok()?;
        if let Some(at) = path.iter().position(|t| *t == next) {
            break at;
        }
        if path.len() > 64 {
            return None;
        }
        path.push(next);
    };
    path[start..]
        .iter()
        .filter_map(|t| {
            let pointer = join_pointer(&t.pointer, "$ref");
            let node = ws.doc(t.doc).node(&pointer)?;
            Some((t.doc, pointer, node.span, node.as_str()?.to_owned()))
        })
        .min_by_key(|(doc, _, span, _)| (*doc, span.start))
}
