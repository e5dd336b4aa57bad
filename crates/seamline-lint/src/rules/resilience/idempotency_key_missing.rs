use seamline_diagnostics::{Label, Severity};
use seamline_model::operations;
use seamline_syntax::Node;

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-R001",
    name: "idempotency-key-missing",
    summary: "a non-idempotent operation that clients retry does not accept an `Idempotency-Key` header",
    severity: Severity::Error,
    docs: r##"
## What it does
Finds `POST` and `PATCH` operations that are retried and do not accept an `Idempotency-Key` header parameter:
- operations this service consumes, listed in a `[[consumes.http]]` entry whose `retry.attempts` is more than 1
  (reported at the manifest, with the operation in the vendored contract);
- operations this service provides that say `x-retryable: true`.

`GET`, `PUT`, `DELETE` and the other methods are idempotent by definition (RFC 9110) and are not checked.

## Why is this bad?
A retried `POST /payments` after a timeout charges the customer twice: the first request may have succeeded and
only its answer was lost. With an idempotency key the server recognises the repeat and returns the first result.

## Example
```yaml
post:
  operationId: createPayment
  parameters:
    - {name: Idempotency-Key, in: header, required: true, schema: {type: string}}
```
"##,
    check,
};

fn non_idempotent(method: &str) -> bool {
    matches!(method, "post" | "patch")
}

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    if let Some(manifest) = ctx.manifest {
        for dep in &manifest.consumes_http {
            let Some(retry) = &dep.retry else { continue };
            if retry.attempts.as_ref().is_none_or(|a| a.value <= 1) {
                continue;
            }
            let Some(contract) = ctx.consumed(&dep.service.value, &dep.contract.value) else {
                continue;
            };
            for op in operations(ctx.ws, contract.doc) {
                let Some(id) = op.operation_id() else {
                    continue;
                };
                if !dep.operations.iter().any(|o| o.value == id) || !non_idempotent(op.method) {
                    continue;
                }
                if op.header_parameter("Idempotency-Key").is_some() {
                    continue;
                }
                let doc = ctx.ws.doc(op.doc);
                let label = doc.span_of(&op.pointer, true).map(|s| {
                    Label::new(&doc.source, s).with_message("accepts no `Idempotency-Key` header")
                });
                let diagnostic = report
                    .manifest(&retry.pointer, true, format!(
                        "{} of {} is retried but is not idempotent and accepts no `Idempotency-Key`",
                        op.display(),
                        dep.service.value
                    ))
                    .set_help(format!(
                        "ask {} to accept an `Idempotency-Key` header on `{id}`, or do not retry it",
                        dep.service.value
                    ));
                diagnostic.secondary.extend(label);
            }
        }
    }
    for doc in ctx.provided_openapi() {
        for op in operations(ctx.ws, doc) {
            let retryable = op.node.get("x-retryable").and_then(Node::as_bool) == Some(true);
            if retryable
                && non_idempotent(op.method)
                && op.header_parameter("Idempotency-Key").is_none()
            {
                report
                    .at(
                        op.doc,
                        &op.pointer,
                        true,
                        format!(
                            "{} is marked `x-retryable` but accepts no `Idempotency-Key` header",
                            op.display()
                        ),
                    )
                    .set_help(
                        "add an `Idempotency-Key` header parameter and deduplicate requests by it",
                    );
            }
        }
    }
}
