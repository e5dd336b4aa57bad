use seamline_diagnostics::Severity;
use seamline_model::operations;
use seamline_syntax::{Node, join_pointer};

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-R003",
    name: "operation-timeout-missing",
    summary: "an operation states no latency budget (`x-timeout-ms`)",
    severity: Severity::Warning,
    docs: r##"
## What it does
Checks that every operation of the contracts this service provides states its latency budget as
`x-timeout-ms` (a positive whole number of milliseconds), on the operation or once for the whole document at the
top level. Also reports budgets that are not positive whole numbers.

## Why is this bad?
Consumers set their timeouts by guessing. Guess too short and healthy calls fail; too long and one slow
dependency holds every caller's threads until the whole chain times out, which is how one slow service turns
into a checkout outage.

## Example
```yaml
x-timeout-ms: 2000          # default for every operation
paths:
  /reports:
    post:
      x-timeout-ms: 30000   # this one is slower
```
"##,
    check,
};

fn valid(node: &Node) -> bool {
    node.as_i64().is_some_and(|ms| ms > 0)
}

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    for doc in ctx.provided_openapi() {
        let document_default = ctx.ws.doc(doc).node("/x-timeout-ms");
        if document_default.is_some_and(|n| !valid(n)) {
            // With its pointer, so that an `x-seam-ignore` at the top of the document covers it too.
            report.at(
                doc,
                "/x-timeout-ms",
                false,
                "`x-timeout-ms` must be a positive whole number of milliseconds",
            );
        }
        for op in operations(ctx.ws, doc) {
            match op.node.get("x-timeout-ms") {
                Some(node) if !valid(node) => {
                    report.at(
                        op.doc,
                        &join_pointer(&op.pointer, "x-timeout-ms"),
                        false,
                        "`x-timeout-ms` must be a positive whole number of milliseconds",
                    );
                }
                Some(_) => {}
                None if document_default.is_some() => {}
                None => {
                    report
                        .at(op.doc, &op.pointer, true, format!("{} states no latency budget", op.display()))
                        .set_help("add `x-timeout-ms: <milliseconds>` to the operation, or once at the top of the document");
                }
            }
        }
    }
}
