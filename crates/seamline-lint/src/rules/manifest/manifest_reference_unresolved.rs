use seamline_diagnostics::Severity;
use seamline_model::{ContractKind, MessageRef, messages, operations};

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-D006",
    name: "manifest-reference-unresolved",
    summary: "`seam.toml` names a file, operation or message that does not exist",
    severity: Severity::Error,
    docs: r##"
## What it does
Checks what `seam.toml` names against what exists:
- every `spec` of `[[provides.*]]` is a file of the right kind (OpenAPI for `http`, AsyncAPI or JSON Schema for
  `events`);
- every operation in `[[consumes.http]] operations` is an `operationId` of the vendored contract;
- every message in `[[consumes.events]] messages` is a message of the vendored contract, with that version;
- every `[[publishes]] message` is a message of this service's event contracts, and every `after` is a message
  this service consumes.

## Why is this bad?
The manifest is what CI, the registry and trace diagnosis rely on to know who uses what. A name that matches
nothing makes every later check wrong in silence: a breaking change to an operation "nobody uses", a trace
diagnosis that waits for an event that cannot exist.

## Example
```toml
[[consumes.http]]
service = "payment-service"
contract = "payment-api"
operations = ["createPayment"]   # must be an operationId in payment-api
```
"##,
    check,
};

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    let Some(manifest) = ctx.manifest else { return };
    let Some(root) = ctx.service_root.as_deref() else {
        return;
    };
    for (provided, http) in manifest
        .provides_http
        .iter()
        .map(|p| (p, true))
        .chain(manifest.provides_events.iter().map(|p| (p, false)))
    {
        let path = root.join(&provided.spec.value);
        if !path.is_file() {
            report
                .manifest(
                    &provided.spec.pointer,
                    false,
                    format!("`{}` does not exist", provided.spec.value),
                )
                .set_help("give the path of the contract, relative to seam.toml");
            continue;
        }
        let canonical = std::fs::canonicalize(&path).unwrap_or(path);
        let kind = ctx
            .contracts
            .iter()
            .find(|c| ctx.ws.doc(c.doc).path == canonical)
            .map(|c| c.kind);
        // A file that does not parse, or whose kind is not known, is syntax-error's or
        // contract-version-unsupported's finding: its kind cannot be judged here.
        let fits = match kind {
            None | Some(ContractKind::Unknown) => true,
            Some(k) if http => k.is_openapi(),
            Some(k) => k.is_events(),
        };
        if !fits {
            let expected = if http {
                "an OpenAPI 3.0/3.1 document"
            } else {
                "an AsyncAPI or JSON Schema document"
            };
            report.manifest(
                &provided.spec.pointer,
                false,
                format!(
                    "`{}` is {} but should be {expected}",
                    provided.spec.value,
                    kind.unwrap_or(ContractKind::Unknown).label()
                ),
            );
        }
    }
    for dep in &manifest.consumes_http {
        let Some(contract) = ctx.consumed(&dep.service.value, &dep.contract.value) else {
            continue;
        };
        let ops = operations(ctx.ws, contract.doc);
        let ids: Vec<&str> = ops.iter().filter_map(|o| o.operation_id()).collect();
        for op in &dep.operations {
            if !ids.contains(&op.value.as_str()) {
                let d = report.manifest(
                    &op.pointer,
                    false,
                    format!(
                        "`{}` is not an operation of {}",
                        op.value, dep.contract.value
                    ),
                );
                if let Some(s) = seamline_model::suggest(&op.value, &ids) {
                    d.help = Some(format!("did you mean `{s}`?"));
                }
            }
        }
    }
    let mut consumed_messages: Vec<MessageRef> = Vec::new();
    for dep in &manifest.consumes_events {
        consumed_messages.extend(dep.messages.iter().map(|m| m.value.clone()));
        let Some(contract) = ctx.consumed(&dep.service.value, &dep.contract.value) else {
            continue;
        };
        let known: Vec<MessageRef> = messages(ctx.ws, contract.doc)
            .iter()
            .map(|m| MessageRef {
                name: m.name.clone(),
                version: m.version,
            })
            .collect();
        for wanted in &dep.messages {
            if !known.iter().any(|k| matches(&wanted.value, k)) {
                let names: Vec<String> = known.iter().map(ToString::to_string).collect();
                let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
                let d = report.manifest(
                    &wanted.pointer,
                    false,
                    format!(
                        "`{}` is not a message of {}",
                        wanted.value, dep.contract.value
                    ),
                );
                d.help = Some(
                    match seamline_model::suggest(&wanted.value.to_string(), &name_refs) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None if names.is_empty() => {
                            "the vendored contract declares no messages".to_owned()
                        }
                        None => format!("its messages are: {}", names.join(", ")),
                    },
                );
            }
        }
    }
    let own: Vec<MessageRef> = ctx
        .provided_events()
        .flat_map(|doc| {
            messages(ctx.ws, doc).into_iter().map(|m| MessageRef {
                name: m.name,
                version: m.version,
            })
        })
        .collect();
    let has_event_contracts = ctx.provided_events().next().is_some();
    for published in &manifest.publishes {
        if has_event_contracts && !own.iter().any(|k| matches(&published.message.value, k)) {
            report
                .manifest(
                    &published.message.pointer,
                    false,
                    format!(
                        "`{}` is not a message of this service's event contracts",
                        published.message.value
                    ),
                )
                .set_help("declare the message in the contract under `[[provides.events]]`");
        }
        if let Some(after) = &published.after {
            // Either side without a version stands for every version: consuming `inventory.stock_reserved`
            // consumes `inventory.stock_reserved@2` too.
            if !consumed_messages.iter().any(|k| {
                k.name == after.value.name
                    && (after.value.version.is_none()
                        || k.version.is_none()
                        || k.version == after.value.version)
            }) {
                report
                    .manifest(
                        &after.pointer,
                        false,
                        format!("`{}` is not a message this service consumes", after.value),
                    )
                    .set_help("name a message listed under `[[consumes.events]] messages`");
            }
        }
    }
}

/// A wanted message matches a declared one by name, and by version when the wanted one has a version.
fn matches(wanted: &MessageRef, declared: &MessageRef) -> bool {
    wanted.name == declared.name && (wanted.version.is_none() || wanted.version == declared.version)
}
