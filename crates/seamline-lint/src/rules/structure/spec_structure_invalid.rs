use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, ValidationError, Validator};
use seamline_diagnostics::Severity;
use seamline_model::ContractKind;
use seamline_syntax::join_pointer;

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-S007",
    name: "spec-structure-invalid",
    summary: "the contract does not match the official OpenAPI or AsyncAPI meta-schema",
    severity: Severity::Error,
    docs: r##"
## What it does
Validates each OpenAPI 3.0, OpenAPI 3.1, AsyncAPI 2.6 and AsyncAPI 3.0 document against the official JSON
Schema of its specification (vendored, unmodified, in `crates/seamline-lint/schemas/`) and reports each
violation at the exact place. AsyncAPI 2.x documents older than 2.6 are checked against 2.6.

Where the schema offers alternatives (`oneOf`: a reference or a schema), the finding names the alternative that
came closest, rather than only saying that none matched. At most 50 findings are shown per document.

## Why is this bad?
Tools that read the contract (code generators, gateways, documentation) assume its structure. A misplaced or
misspelt key is silently ignored by some and rejected by others.

## Example
```yaml
paths:
  /orders:
    get:
      responses:
        200:
          describtion: OK
```
`describtion` is not a field of a Response Object, and the required `description` is missing.
"##,
    check,
};

const MAX_PER_DOCUMENT: usize = 50;

fn validator(kind: ContractKind) -> Option<&'static Validator> {
    static OAS30: OnceLock<Option<Validator>> = OnceLock::new();
    static OAS31: OnceLock<Option<Validator>> = OnceLock::new();
    static AAS2: OnceLock<Option<Validator>> = OnceLock::new();
    static AAS3: OnceLock<Option<Validator>> = OnceLock::new();
    let (cell, text, draft) = match kind {
        ContractKind::OpenApi30 => (
            &OAS30,
            include_str!("../../../schemas/openapi-3.0.json"),
            Draft::Draft4,
        ),
        ContractKind::OpenApi31 => (
            &OAS31,
            include_str!("../../../schemas/openapi-3.1.json"),
            Draft::Draft202012,
        ),
        ContractKind::AsyncApi2 => (
            &AAS2,
            include_str!("../../../schemas/asyncapi-2.6.0.json"),
            Draft::Draft7,
        ),
        ContractKind::AsyncApi3 => (
            &AAS3,
            include_str!("../../../schemas/asyncapi-3.0.0.json"),
            Draft::Draft7,
        ),
        _ => return None,
    };
    cell.get_or_init(|| {
        let schema: serde_json::Value = serde_json::from_str(text).ok()?;
        jsonschema::options()
            .with_draft(draft)
            .should_validate_formats(false)
            .build(&schema)
            .ok()
    })
    .as_ref()
}

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    for c in &ctx.contracts {
        let Some(validator) = validator(c.kind) else {
            continue;
        };
        let Some(root) = ctx.ws.doc(c.doc).root.as_ref() else {
            continue;
        };
        let instance = root.to_json();
        let mut found = Vec::new();
        for error in validator.iter_errors(&instance) {
            found.push(most_specific(error));
            if found.len() >= MAX_PER_DOCUMENT {
                break;
            }
        }
        found.sort();
        found.dedup();
        for (pointer, message, prefer_key) in found {
            // A finding about the whole document goes under its version field rather than under every line.
            let version = ["/openapi", "/asyncapi"]
                .into_iter()
                .find(|p| pointer.is_empty() && ctx.ws.doc(c.doc).node(p).is_some());
            match version {
                Some(version) => report.at(c.doc, version, true, message),
                None => report.at(c.doc, &pointer, prefer_key, message),
            };
        }
    }
}

/// The pointer and message of an error, and whether the caret belongs under the member's key; for
/// `oneOf`/`anyOf` failures, the error of the alternative that came closest (fewest errors, then deepest), which is
/// what the author most likely meant.
fn most_specific(error: ValidationError<'_>) -> (String, String, bool) {
    let pointer = error.instance_path().as_str().to_owned();
    let fallback =
        |e: &ValidationError<'_>| lowercase_first(&e.masked_with("this value").to_string());
    match error.kind() {
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
            let best = context
                .iter()
                .filter(|branch| !branch.is_empty())
                // A branch that only fails for lack of `$ref` is the Reference Object alternative: rarely meant.
                .filter(|branch| {
                    !branch
                        .iter()
                        .all(|e| e.to_string().contains("\"$ref\" is a required property"))
                })
                .min_by_key(|branch| {
                    let depth = branch
                        .iter()
                        .map(|e| e.instance_path().as_str().len())
                        .max()
                        .unwrap_or(0);
                    (branch.len(), usize::MAX - depth)
                });
            match best.and_then(|branch| {
                branch
                    .iter()
                    .max_by_key(|e| e.instance_path().as_str().len())
            }) {
                Some(inner) => {
                    let message = fallback(inner);
                    let inner_pointer = inner.instance_path().as_str().to_owned();
                    let base = if inner_pointer.is_empty() {
                        pointer
                    } else {
                        inner_pointer
                    };
                    let (pointer, prefer_key) = place(inner, base);
                    (pointer, message, prefer_key)
                }
                None => (pointer, fallback(&error), false),
            }
        }
        _ => {
            let message = fallback(&error);
            let (pointer, prefer_key) = place(&error, pointer);
            (pointer, message, prefer_key)
        }
    }
}

/// Where an error about the value at `pointer` is best shown: an unexpected member at its key (rather than
/// under the whole object that holds it), a missing member at the key of the object that lacks it.
fn place(error: &ValidationError<'_>, pointer: String) -> (String, bool) {
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => match unexpected.first() {
            Some(key) => (join_pointer(&pointer, key), true),
            None => (pointer, false),
        },
        ValidationErrorKind::Required { .. } => (pointer, true),
        _ => (pointer, false),
    }
}

/// The validator's messages start with a capital; ours do not.
fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vendored_meta_schema_compiles() {
        for kind in [
            ContractKind::OpenApi30,
            ContractKind::OpenApi31,
            ContractKind::AsyncApi2,
            ContractKind::AsyncApi3,
        ] {
            assert!(validator(kind).is_some(), "{kind:?}");
        }
    }
}
