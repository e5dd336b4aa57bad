use seamline_diagnostics::{Label, Severity};
use seamline_syntax::ProblemKind;

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-S002",
    name: "duplicate-key",
    summary: "a key appears twice in the same object",
    severity: Severity::Error,
    docs: r##"
## What it does
Reports a key written twice in one object (YAML mapping or JSON object), with both places.

## Why is this bad?
JSON and YAML leave duplicates undefined: one parser keeps the first, another the last, a third refuses the file.
Seamline keeps the last, as `JSON.parse` does, but the contract means different things to different readers.

## Example
```yaml
responses:
  "200": {description: ok}
  "200": {description: created}
```
Keep one `"200"`.
"##,
    check,
};

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    for (_, doc) in ctx.ws.docs() {
        for problem in doc
            .problems
            .iter()
            .filter(|p| p.kind == ProblemKind::DuplicateKey)
        {
            let d = report.at_span(&doc.source, problem.span, &problem.message);
            if let Some((span, note)) = &problem.related {
                d.secondary
                    .push(Label::new(&doc.source, *span).with_message(note));
            }
        }
    }
}
