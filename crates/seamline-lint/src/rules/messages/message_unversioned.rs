use seamline_diagnostics::Severity;
use seamline_model::messages;

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-M001",
    name: "message-unversioned",
    summary: "an event message states no major version",
    severity: Severity::Error,
    docs: r##"
## What it does
Checks that every message of the event contracts this service provides has a major version, so it can be named
`inventory.stock_reserved@2`. A version is read, in this order, from:
- `x-version` on the message (or schema), e.g. `x-version: 2`;
- a suffix of the message name: `@2`, `.v2`, `_v2`, `-v2`, or `V2` after a lowercase letter;
- for JSON Schema files, the file's place: `stock_reserved/v2.json` or `stock_reserved.v2.json`, or `$id`;
- a `version` / `schema_version` property of the payload whose value is a `const`.

## Why is this bad?
Schema migrations add the new version *beside* the old one and run both until every consumer has moved. Without
a version there is no "beside": the only possible change is an in-place edit that breaks consumers.

## Example
```yaml
components:
  messages:
    StockReserved:
      name: inventory.stock_reserved
      x-version: 2
```
"##,
    check,
};

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    for doc in ctx.provided_events() {
        for m in messages(ctx.ws, doc) {
            if m.version.is_none() {
                let pointer = super::anchor(ctx.ws, m.doc, &m.pointer, &super::NAME_KEYS);
                report
                    .at(
                        m.doc,
                        &pointer,
                        true,
                        format!("message `{}` states no version", m.name),
                    )
                    .set_help("add `x-version: 1` to the message (or name it `<name>@1`)");
            }
        }
    }
}
