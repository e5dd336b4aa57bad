use seamline_diagnostics::Severity;

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-D002",
    name: "dependency-retry-missing",
    summary: "an HTTP dependency declares no retry policy, or retries without exponential backoff",
    severity: Severity::Error,
    docs: r##"
## What it does
Checks that every `[[consumes.http]]` entry declares `retry = { attempts = N, backoff = "exponential" }`.
`attempts = 1` (no retry) is a valid, explicit choice; more attempts need `backoff = "exponential"`.

## Why is this bad?
Without a stated policy each client retries its own way, usually immediately and forever. Retries at a fixed
pace from every instance of every consumer are what turn a provider's hiccup into an outage; exponential
backoff with jitter spreads them out.

## Example
```toml
[[consumes.http]]
service = "payment-service"
contract = "payment-api"
retry = { attempts = 3, backoff = "exponential" }
```
"##,
    check,
};

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    let Some(manifest) = ctx.manifest else { return };
    for dep in &manifest.consumes_http {
        let Some(retry) = &dep.retry else {
            report
                .manifest(&dep.pointer, false, format!("the dependency on {} declares no retry policy", dep.service.value))
                .set_help("add `retry = { attempts = 3, backoff = \"exponential\" }`, or `attempts = 1` to never retry");
            continue;
        };
        let Some(attempts) = &retry.attempts else {
            report
                .manifest(
                    &retry.pointer,
                    true,
                    "the retry policy does not say how many attempts",
                )
                .set_help("add `attempts = 3` (or 1 to never retry)");
            continue;
        };
        if attempts.value == 0 {
            report.manifest(
                &attempts.pointer,
                false,
                "`attempts` counts the first try too; it must be at least 1",
            );
            continue;
        }
        let exponential = retry
            .backoff
            .as_ref()
            .is_some_and(|b| b.value == "exponential");
        if attempts.value > 1 && !exponential {
            let pointer = retry
                .backoff
                .as_ref()
                .map_or(retry.pointer.as_str(), |b| b.pointer.as_str());
            report
                .manifest(
                    pointer,
                    retry.backoff.is_none(),
                    format!("{} attempts without exponential backoff", attempts.value),
                )
                .set_help("set `backoff = \"exponential\"`");
        }
    }
}
