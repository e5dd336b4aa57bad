use seamline_diagnostics::Severity;
use seamline_model::ContractKind;

use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-S008",
    name: "contract-version-unsupported",
    summary: "the document is not OpenAPI 3.0/3.1, AsyncAPI 2.x/3.0 or JSON Schema",
    severity: Severity::Error,
    docs: r##"
## What it does
Reports documents Seamline cannot read as a contract: Swagger 2.0, OpenAPI or AsyncAPI versions it does not
know, or files with none of the version fields. Such files get no other checks.

## Why is this bad?
A contract no check can read protects nobody: breaking changes, missing error models and the rest go unseen.

## Example
```yaml
swagger: "2.0"
```
Convert to OpenAPI 3 (for example with swagger2openapi) and commit the result.
"##,
    check,
};

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    for c in &ctx.contracts {
        let doc = ctx.ws.doc(c.doc);
        if doc.root.is_none() {
            continue;
        }
        if !matches!(c.kind, ContractKind::Swagger2 | ContractKind::Unknown) {
            continue;
        }
        let pointer = ["/swagger", "/openapi", "/asyncapi"]
            .into_iter()
            .find(|p| doc.node(p).is_some())
            .unwrap_or("");
        // The version as written, to name it: `openapi: 4.0.0` is a contract, just not one of a known version.
        let written = doc.node(pointer).and_then(|v| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.as_f64().map(|f| f.to_string()))
        });
        let message = match (c.kind, pointer, written) {
            (ContractKind::Swagger2, ..) => {
                "Swagger 2.0 is not supported; only OpenAPI 3.0 and 3.1 are".to_owned()
            }
            (_, "/openapi", Some(v)) => {
                format!("OpenAPI `{v}` is not supported; only OpenAPI 3.0 and 3.1 are")
            }
            (_, "/asyncapi", Some(v)) => {
                format!("AsyncAPI `{v}` is not supported; only AsyncAPI 2.x and 3.0 are")
            }
            _ => {
                "not a contract Seamline can read (OpenAPI 3.0/3.1, AsyncAPI 2.x/3.0, JSON Schema)"
                    .to_owned()
            }
        };
        report
            .at(c.doc, pointer, false, message)
            .set_help("convert the document to OpenAPI 3.1 or AsyncAPI 3.0");
    }
}
