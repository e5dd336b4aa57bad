use seamline_diagnostics::Severity;
use seamline_model::RefError;

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-S005",
    name: "ref-remote",
    summary: "a `$ref` points at a URL; remote references are refused unless allowed",
    severity: Severity::Error,
    docs: r##"
## What it does
Reports `$ref`s to `http://` or `https://` URLs. Seamline does no network I/O while linting; with
`--allow-remote-refs` such references are accepted and left unfollowed.

## Why is this bad?
A contract whose meaning depends on a server elsewhere changes without a commit, cannot be checked offline, and
can be made to say anything by whoever controls that server.

## Example
```yaml
schema:
  $ref: "https://example.com/schemas/order.yaml"
```
Vendor the schema into the repository and reference the local copy.
"##,
    check,
};

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    super::report_refs(
        ctx,
        report,
        &[RefError::Remote],
        "copy the schema into the repository and reference it by relative path, or pass --allow-remote-refs",
    );
}
