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
        let message = match c.kind {
            ContractKind::Swagger2 => "Swagger 2.0 is not supported; only OpenAPI 3.0 and 3.1 are",
            ContractKind::Unknown => {
                "not a contract Seamline can read (OpenAPI 3.0/3.1, AsyncAPI 2.x/3.0, JSON Schema)"
            }
            _ => continue,
        };
        let pointer = ["/swagger", "/openapi", "/asyncapi"]
            .into_iter()
            .find(|p| doc.node(p).is_some())
            .unwrap_or("");
        report
            .at(c.doc, pointer, false, message)
            .set_help("convert the document to OpenAPI 3.1 or AsyncAPI 3.0");
    }
}
