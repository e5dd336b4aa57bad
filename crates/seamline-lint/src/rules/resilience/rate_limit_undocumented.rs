use seamline_diagnostics::Severity;
use seamline_model::operations;
use seamline_syntax::{Node, join_pointer};

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-R002",
    name: "rate-limit-undocumented",
    summary: "a 429 response does not say when to retry, or a rate-limited API omits 429",
    severity: Severity::Warning,
    docs: r##"
## What it does
In the contracts this service provides:
- every `429 Too Many Requests` response must document a `Retry-After` header, or the IETF `RateLimit` /
  `RateLimit-Policy` headers (the older `X-RateLimit-Reset` is accepted too);
- when the document declares itself rate limited with a top-level `x-rate-limit` extension, every operation
  must document a `429` response.

## Why is this bad?
A client that is told "too many requests" but not when to come back retries at once, which is exactly the load
the limit exists to shed; every instance of every consumer doing so turns a limit into an outage.

## Example
```yaml
"429":
  description: Too many requests
  headers:
    Retry-After: {schema: {type: integer}, description: seconds to wait}
```
"##,
    check,
};

const HEADERS: [&str; 4] = [
    "retry-after",
    "ratelimit",
    "ratelimit-policy",
    "x-ratelimit-reset",
];

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    for doc in ctx.provided_openapi() {
        let declared = ctx.ws.doc(doc).node("/x-rate-limit").is_some()
            || ctx.ws.doc(doc).node("/x-ratelimit").is_some();
        for op in operations(ctx.ws, doc) {
            let responses = op.responses(ctx.ws);
            let too_many = responses.iter().find(|r| r.status == "429");
            match too_many {
                Some(r) => {
                    let headers: Vec<String> = r
                        .node
                        .get("headers")
                        .into_iter()
                        .flat_map(Node::entries)
                        .map(|m| m.key.to_ascii_lowercase())
                        .collect();
                    if !headers.iter().any(|h| HEADERS.contains(&h.as_str())) {
                        report
                            .at(
                                r.doc,
                                &r.pointer,
                                true,
                                format!(
                                    "the 429 response of {} does not say when to retry",
                                    op.display()
                                ),
                            )
                            .set_help(
                                "document a `Retry-After` header (or the IETF `RateLimit` headers)",
                            );
                    }
                }
                None if declared => {
                    let pointer = join_pointer(&op.pointer, "responses");
                    report
                        .at(
                            op.doc,
                            &pointer,
                            true,
                            format!(
                                "{} is rate limited (`x-rate-limit`) but documents no 429 response",
                                op.display()
                            ),
                        )
                        .set_help("add a `429` response with a `Retry-After` header");
                }
                None => {}
            }
        }
    }
}
