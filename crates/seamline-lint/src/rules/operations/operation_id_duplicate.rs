use std::collections::HashMap;

use seamline_diagnostics::{Label, Severity};
use seamline_model::operations;
use seamline_syntax::join_pointer;

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-H002",
    name: "operation-id-duplicate",
    summary: "two operations share an `operationId`",
    severity: Severity::Error,
    docs: r##"
## What it does
Reports an `operationId` used by more than one operation of the same contract, with the first use.

## Why is this bad?
The OpenAPI specification requires `operationId`s to be unique. Generated clients get two methods with one name
(a compile error) or one silently replaces the other, and a consumer's `seam.toml` cannot say which it uses.

## Example
```yaml
/orders:
  get: {operationId: listOrders}
/orders/{id}:
  get: {operationId: listOrders}   # should be getOrder
```
"##,
    check,
};

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    for doc in ctx.provided_openapi() {
        let mut first: HashMap<&str, (seamline_model::DocId, String)> = HashMap::new();
        for op in operations(ctx.ws, doc) {
            let Some(id) = op.operation_id() else {
                continue;
            };
            let pointer = join_pointer(&op.pointer, "operationId");
            match first.get(id) {
                None => {
                    first.insert(id, (op.doc, pointer));
                }
                Some((first_doc, first_ptr)) => {
                    let d = ctx.ws.doc(*first_doc);
                    let earlier = d
                        .span_of(first_ptr, false)
                        .map(|s| Label::new(&d.source, s).with_message("first used here"));
                    let diagnostic = report
                        .at(
                            op.doc,
                            &pointer,
                            false,
                            format!("`operationId` `{id}` is already used by another operation"),
                        )
                        .set_help("give each operation its own `operationId`");
                    if let Some(label) = earlier {
                        diagnostic.secondary.push(label);
                    }
                }
            }
        }
    }
}
