use seamline_diagnostics::Severity;

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-D004",
    name: "vendored-contract-missing",
    summary: "a consumed contract is not vendored under `contracts/vendor/`",
    severity: Severity::Error,
    docs: r##"
## What it does
Checks that the contract of every `[[consumes.*]]` entry is in the repository: at `spec` when the entry gives
one, else at `contracts/vendor/<service>/<contract>.yaml` (or `.yml`, `.json`).

## Why is this bad?
The contract of the other side is the integration context: without a local copy, neither the developer nor an
AI assistant in this repository can read it, and nothing can check this service's use of it.

## Example
```text
contracts/vendor/payment-service/payment-api.yaml
```
`seam pull` fetches and locks vendored contracts from the registry.
"##,
    check,
};

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    let Some(manifest) = ctx.manifest else { return };

    for c in manifest.consumed_contracts() {
        let (service, contract, spec) = (c.service, c.contract, c.spec);
        let Some(path) = ctx.vendored_path(c) else {
            continue;
        };
        if !path.is_file() {
            let shown = ctx.ws.display_name(&path);
            // A `spec` that names no file is the value to fix; otherwise the contract is.
            let pointer = spec.as_ref().map_or(&contract.pointer, |s| &s.pointer);
            report
                .manifest(pointer, false, format!("the contract `{}` of {} is not vendored at `{shown}`", contract.value, service.value))
                .set_help("copy the provider's contract there (or run `seam pull`), or set `spec` to where it is");
        }
    }
}
