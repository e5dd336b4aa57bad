use seamline_diagnostics::Severity;

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-D001",
    name: "dependency-timeout-missing",
    summary: "an HTTP dependency in `seam.toml` declares no timeout",
    severity: Severity::Error,
    docs: r##"
## What it does
Checks that every `[[consumes.http]]` entry declares `timeout_ms`, a positive number of milliseconds.

## Why is this bad?
A call without a timeout waits as long as the socket allows, often minutes. When the provider slows down,
every request of this service waits with it, and the slowness spreads up the chain to the user.

## Example
```toml
[[consumes.http]]
service = "payment-service"
contract = "payment-api"
timeout_ms = 2000
```
"##,
    check,
};

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    let Some(manifest) = ctx.manifest else { return };
    for dep in &manifest.consumes_http {
        match &dep.timeout_ms {
            None => {
                report
                    .manifest(&dep.pointer, false, format!("the dependency on {} declares no timeout", dep.service.value))
                    .set_help("add `timeout_ms = <milliseconds>`, within the provider's `x-timeout-ms` budget");
            }
            Some(t) if t.value == 0 => {
                report.manifest(&t.pointer, false, "`timeout_ms` must be more than 0");
            }
            Some(_) => {}
        }
    }
}
