use seamline_diagnostics::Severity;
use seamline_model::RefError;

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-S003",
    name: "ref-unresolved",
    summary: "a `$ref` points at a file or location that does not exist",
    severity: Severity::Error,
    docs: r##"
## What it does
Follows every `$ref` (within the file and across files, relative to the file that holds it, JSON Pointers with
`~0`/`~1` and percent escapes) and reports those whose file or target does not exist, whose value is not a
string, or whose fragment is not a JSON Pointer.

## Why is this bad?
The contract is incomplete: generators and validators stop at the broken reference or silently drop the schema.

## Example
```yaml
schema:
  $ref: "#/components/schemas/Oder"
```
Fix the target: `#/components/schemas/Order`.
"##,
    check,
};

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    super::report_refs(
        ctx,
        report,
        &[
            RefError::FileNotFound,
            RefError::PointerNotFound,
            RefError::UnsupportedFragment,
            RefError::NotAString,
        ],
        "point the reference at an existing file and JSON Pointer, such as `common.yaml#/components/schemas/Error`",
    );
}
