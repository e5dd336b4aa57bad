use seamline_diagnostics::Severity;
use seamline_syntax::ProblemKind;

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-S001",
    name: "syntax-error",
    summary: "the file is not valid YAML or JSON, or cannot be read",
    severity: Severity::Error,
    docs: r##"
## What it does
Reports files that cannot be read: missing or unreadable files, invalid UTF-8, YAML or JSON syntax errors,
nesting deeper than 256 levels, files over the size limit, and YAML aliases that would expand past 100,000
nodes (the "billion laughs" attack).

## Why is this bad?
Every tool that reads the contract (code generators, gateways, other services' CI) fails on it, or worse,
each reads something different.

## Example
```yaml
paths:
  /orders:
    get:
      summary: "List orders
```
The string is never closed. Close it: `summary: "List orders"`.
"##,
    check,
};

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    for (_, doc) in ctx.ws.docs() {
        if let Some(err) = &doc.io_error {
            report.file(doc.name(), format!("cannot read the file: {err}"));
        }
        for problem in doc
            .problems
            .iter()
            .filter(|p| !matches!(p.kind, ProblemKind::DuplicateKey))
        {
            report.at_span(&doc.source, problem.span, &problem.message);
        }
    }
}
