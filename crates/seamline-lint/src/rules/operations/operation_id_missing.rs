use seamline_diagnostics::Severity;
use seamline_model::operations;

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-H001",
    name: "operation-id-missing",
    summary: "an operation has no `operationId`",
    severity: Severity::Error,
    docs: r##"
## What it does
Reports operations without an `operationId`, in the contracts this service provides.

## Why is this bad?
Client generators name methods after `operationId`; without one each invents a name from the path and method,
and the name changes whenever the path does. Consumers also list the operations they use in `seam.toml` by
`operationId`, which is how breaking changes are judged per consumer.

## Example
```yaml
paths:
  /orders:
    post:
      operationId: createOrder
```
"##,
    check,
};

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    for doc in ctx.provided_openapi() {
        for op in operations(ctx.ws, doc) {
            if op.operation_id().is_none() {
                report
                    .at(
                        op.doc,
                        &op.pointer,
                        true,
                        format!("{} has no `operationId`", op.display()),
                    )
                    .set_help("add a unique, stable `operationId` such as `createOrder`");
            }
        }
    }
}
