use seamline_diagnostics::Severity;
use seamline_model::sha256_hex;

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-D005",
    name: "vendored-contract-lock-mismatch",
    summary: "a vendored contract and `seam.lock` disagree",
    severity: Severity::Error,
    docs: r##"
## What it does
When the service has a `seam.lock`, checks that:
- the lock can be read;
- every vendored contract of a `[[consumes.*]]` entry has an entry in the lock;
- the SHA-256 of each vendored file is the one locked;
- every lock entry still belongs to a consumed contract.

## Why is this bad?
The lock records which version of the other side's contract this service was built and tested against. A
vendored file edited by hand, or a lock left behind, means the repository claims one contract and holds another.

## Example
```toml
# seam.lock
version = 1

[[contract]]
service = "payment-service"
contract = "payment-api"
version = "1.4.0"
path = "contracts/vendor/payment-service/payment-api.yaml"
sha256 = "9f2c…"
```
Run `seam pull` to vendor and lock again, instead of editing vendored files.
"##,
    check,
};

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    let (Some(manifest), Some(lock)) = (ctx.manifest, &ctx.lock) else {
        return;
    };
    let lock = match lock {
        Ok(lock) => lock,
        Err(message) => {
            // Shown like every other file, relative to where seam runs, not as a bare `seam.lock`.
            let shown = ctx.service_root.as_deref().map_or_else(
                || "seam.lock".to_owned(),
                |root| ctx.ws.display_name(&root.join("seam.lock")),
            );
            report
                .file(&shown, format!("cannot read seam.lock: {message}"))
                .set_help("run `seam pull` to write it again");
            return;
        }
    };

    let mut used = vec![false; lock.contracts.len()];
    for c in manifest.consumed_contracts() {
        let (service, contract) = (c.service, c.contract);
        let Some(path) = ctx.vendored_path(c) else {
            continue;
        };
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let Some(index) = lock
            .contracts
            .iter()
            .position(|c| c.service == service.value && c.contract == contract.value)
        else {
            report
                .manifest(
                    &contract.pointer,
                    false,
                    format!(
                        "`{}` of {} is vendored but not in seam.lock",
                        contract.value, service.value
                    ),
                )
                .set_help("run `seam pull` to lock it");
            continue;
        };
        used[index] = true;
        let locked = &lock.contracts[index];
        let actual = sha256_hex(&bytes);
        if actual != locked.sha256 {
            let span = lock
                .root
                .pointer(&format!("{}/sha256", locked.pointer))
                .map(|n| n.span)
                .unwrap_or_default();
            let shown = ctx.ws.display_name(&path);
            report
                .at_span(&lock.source, span, format!(
                    "`{shown}` does not match the locked version {} (its SHA-256 is {})",
                    locked.version,
                    &actual[..12]
                ))
                .set_help("undo the local edit and run `seam pull`; change the provider's contract at the provider");
        }
    }
    for (index, locked) in lock.contracts.iter().enumerate() {
        if !used[index] {
            let (node, key) = lock
                .root
                .locate(&locked.pointer)
                .map_or((None, None), |(n, k)| (Some(n), k));
            let span = key.or(node.map(|n| n.span)).unwrap_or_default();
            report
                .at_span(
                    &lock.source,
                    span,
                    format!(
                        "seam.lock pins `{}` of {}, which seam.toml does not consume",
                        locked.contract, locked.service
                    ),
                )
                .set_help("run `seam pull` to drop stale entries");
        }
    }
}
