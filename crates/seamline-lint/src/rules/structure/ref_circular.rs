use seamline_diagnostics::Severity;
use seamline_model::RefError;

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

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    super::report_refs(
        ctx,
        report,
        &[RefError::Cycle],
        "make one member of the loop a schema rather than another reference",
    );
}
