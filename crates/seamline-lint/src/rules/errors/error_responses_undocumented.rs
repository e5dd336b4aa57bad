use seamline_diagnostics::Severity;
use seamline_model::operations;

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-E002",
    name: "error-responses-undocumented",
    summary: "an operation documents no client (4xx) or no server (5xx) error response",
    severity: Severity::Warning,
    docs: r##"
## What it does
Checks that every operation of the contracts this service provides documents at least one 4xx response and at
least one 5xx response (a `4XX`/`5XX` range counts), or a `default` response that covers both.

## Why is this bad?
Consumers handle what the contract tells them about. An undocumented 503 becomes an unhandled exception in every
client, and nobody knows whether retrying is safe.

## Example
```yaml
responses:
  "201": {description: Created}
  "422": {$ref: "#/components/responses/Problem"}
  "503": {$ref: "#/components/responses/Problem"}
```
"##,
    check,
};

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    for doc in ctx.provided_openapi() {
        for op in operations(ctx.ws, doc) {
            let statuses: Vec<&str> = op
                .node
                .get("responses")
                .into_iter()
                .flat_map(|r| r.entries())
                .map(|m| &*m.key)
                .collect();
            if statuses.contains(&"default") {
                continue;
            }
            let has = |class: char| statuses.iter().any(|s| s.starts_with(class));
            let missing: Vec<&str> = [('4', "4xx"), ('5', "5xx")]
                .into_iter()
                .filter(|(c, _)| !has(*c))
                .map(|(_, name)| name)
                .collect();
            if missing.is_empty() {
                continue;
            }
            let pointer = if op.node.get("responses").is_some() {
                format!("{}/responses", op.pointer)
            } else {
                op.pointer.clone()
            };
            report
                .at(op.doc, &pointer, true, format!("{} documents no {} response", op.display(), missing.join(" and no ")))
                .set_help("document the errors clients must handle (e.g. `422`, `503`), or a `default` problem response");
        }
    }
}
