use seamline_diagnostics::Severity;
use seamline_model::messages;
use seamline_syntax::Node;

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-M002",
    name: "message-payload-missing",
    summary: "an event message has no payload schema",
    severity: Severity::Error,
    docs: r##"
## What it does
Checks that every message of the event contracts this service provides has a payload schema that says
something: a `type`, `properties`, `$ref`, or a combinator (`allOf`, `oneOf`, `anyOf`).

## Why is this bad?
A message without a schema is a promise of nothing. Consumers guess the shape from samples, and the producer
cannot know which change breaks them.

## Example
```yaml
StockReserved:
  payload:
    $ref: "#/components/schemas/StockReserved"
```
"##,
    check,
};

fn says_something(schema: &Node) -> bool {
    [
        "type",
        "properties",
        "$ref",
        "allOf",
        "oneOf",
        "anyOf",
        "enum",
        "const",
    ]
    .iter()
    .any(|k| schema.get(k).is_some())
}

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    for doc in ctx.provided_events() {
        for m in messages(ctx.ws, doc) {
            match &m.payload {
                Some((_, _, payload)) if says_something(payload) => {}
                Some((pdoc, pptr, _)) => {
                    let pointer = super::anchor(ctx.ws, *pdoc, pptr, &super::NAME_KEYS);
                    report
                        .at(
                            *pdoc,
                            &pointer,
                            true,
                            format!("the payload schema of `{}` describes nothing", m.id()),
                        )
                        .set_help(
                            "give the payload a `type` and `properties`, or a `$ref` to its schema",
                        );
                }
                None => {
                    report
                        .at(
                            m.doc,
                            &m.pointer,
                            true,
                            format!("message `{}` has no payload schema", m.id()),
                        )
                        .set_help("add `payload:` with the message's schema");
                }
            }
        }
    }
}
