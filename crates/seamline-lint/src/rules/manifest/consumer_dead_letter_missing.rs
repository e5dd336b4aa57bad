use seamline_diagnostics::Severity;

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-D003",
    name: "consumer-dead-letter-missing",
    summary: "a consumed event has no dead-letter queue",
    severity: Severity::Error,
    docs: r##"
## What it does
Checks that every `[[consumes.events]]` entry names a `dead_letter` queue.

## Why is this bad?
A message the consumer cannot handle (a schema it does not know, a bug) is either lost or redelivered forever,
blocking the queue behind it. A dead-letter queue keeps it, with the reason, for a person to look at.

## Example
```toml
[[consumes.events]]
service = "inventory-service"
contract = "inventory-events"
messages = ["inventory.stock_reserved@1"]
dead_letter = "order-service.inventory.dlq"
```
"##,
    check,
};

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    let Some(manifest) = ctx.manifest else { return };
    for dep in &manifest.consumes_events {
        if dep.dead_letter.is_none() {
            report
                .manifest(
                    &dep.pointer,
                    false,
                    format!(
                        "events from {} have no dead-letter queue",
                        dep.service.value
                    ),
                )
                .set_help(format!(
                    "add `dead_letter = \"{}.{}.dlq\"`",
                    manifest.name.value,
                    dep.service.value.trim_end_matches("-service")
                ));
        }
    }
}
