use seamline_diagnostics::Severity;
use seamline_model::messages;

use crate::rules::errors::error_response_not_problem_json::declared_properties;
use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-M003",
    name: "message-id-missing",
    summary: "an event message carries no message id",
    severity: Severity::Warning,
    docs: r##"
## What it does
Checks that every message of the event contracts this service provides declares a message id in its payload or
headers: a property named `id`, `message_id`, `messageId`, `event_id` or `eventId` (CloudEvents' `id` counts).

## Why is this bad?
Brokers deliver at least once. Without an id a consumer cannot tell a redelivery from a new event, and a
redelivered `payment_captured` ships the order twice. Traces also join producer and consumer by message id.

## Example
```yaml
payload:
  type: object
  required: [event_id, order_id]
  properties:
    event_id: {type: string, format: uuid}
```
"##,
    check,
};

pub(crate) const ID_FIELDS: [&str; 5] = ["id", "message_id", "messageId", "event_id", "eventId"];

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    for doc in ctx.provided_events() {
        for m in messages(ctx.ws, doc) {
            let mut names = Vec::new();
            for (sdoc, sptr, schema) in m.payload.iter().chain(m.headers.iter()) {
                names.extend(declared_properties(ctx.ws, *sdoc, sptr, schema, 0));
            }
            if m.payload.is_none() || names.iter().any(|n| ID_FIELDS.contains(&n.as_str())) {
                continue;
            }
            let (pdoc, pptr) = m
                .payload
                .as_ref()
                .map_or((m.doc, m.pointer.as_str()), |(d, p, _)| (*d, p.as_str()));
            let keys = ["properties"].into_iter().chain(super::NAME_KEYS);
            let pointer = super::anchor(ctx.ws, pdoc, pptr, &keys.collect::<Vec<_>>());
            report
                .at(pdoc, &pointer, true, format!("message `{}` declares no message id", m.id()))
                .set_help("add an `event_id` (or `message_id`) property, required, holding a unique id per message");
        }
    }
}
