use seamline_diagnostics::Severity;
use seamline_model::RefError;

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-S006",
    name: "ref-outside-repository",
    summary: "a `$ref` reaches a file outside the repository",
    severity: Severity::Error,
    docs: r##"
## What it does
Reports `$ref`s whose file lies outside the repository root (the nearest folder holding `.git`, or `--root`).

## Why is this bad?
The contract then depends on files that are not versioned with it: it reads differently on every machine, and a
crafted contract could read files it has no business reading.

## Example
```yaml
schema:
  $ref: "../../other-repo/schemas.yaml#/Order"
```
Vendor the file with `seam pull` and reference `contracts/vendor/...`.
"##,
    check,
};

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    super::report_refs(
        ctx,
        report,
        &[RefError::EscapesRoot],
        "vendor the referenced file into this repository and point the reference at the copy",
    );
}
