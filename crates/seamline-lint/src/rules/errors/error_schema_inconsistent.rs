use std::collections::{HashMap, HashSet};

use seamline_diagnostics::{Label, Severity};
use seamline_syntax::join_pointer;

use super::{error_responses, problem_content};
use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-E003",
    name: "error-schema-inconsistent",
    summary: "error responses of one service use more than one problem schema",
    severity: Severity::Warning,
    docs: r##"
## What it does
Collects the schema of every `application/problem+json` error response across all contracts this service
provides and reports the responses whose schema is not the one most of them use. Two responses share a schema
when they `$ref` the same definition, or when their inline schemas are identical.

## Why is this bad?
"One error model" is only useful if it is one: clients decode errors once per service, and a second shape for
some endpoints is the one nobody tested.

## Example
```yaml
"404": {content: {application/problem+json: {schema: {$ref: "#/components/schemas/Problem"}}}}
"409": {content: {application/problem+json: {schema: {$ref: "#/components/schemas/ConflictError"}}}}
```
Make `ConflictError` extend `Problem` with `allOf`, or use `Problem` directly.
"##,
    check,
};

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    // (identity, doc, pointer of the schema as written)
    let mut uses = Vec::new();
    for doc in ctx.provided_openapi() {
        for (_, response) in error_responses(ctx.ws, doc) {
            let Some(problem) = problem_content(ctx.ws, &response) else {
                continue;
            };
            let Some((sdoc, sptr, schema)) = problem.schema else {
                continue;
            };
            let written = join_pointer(&problem.media_pointer, "schema");
            let is_ref = ctx
                .ws
                .doc(problem.doc)
                .node(&written)
                .is_some_and(|n| n.get("$ref").is_some());
            let identity = if is_ref {
                format!("{}#{}", ctx.ws.doc(sdoc).path.display(), sptr)
            } else {
                schema.to_json().to_string()
            };
            uses.push((identity, problem.doc, written));
        }
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (identity, ..) in &uses {
        *counts.entry(identity).or_default() += 1;
    }
    if counts.len() < 2 {
        return;
    }
    // The most used schema is the service's error model; on a tie, the first one written.
    let canonical = uses
        .iter()
        .rev() // among the uses of the canonical schema, show the first
        .max_by_key(|(identity, ..)| {
            (
                counts[identity.as_str()],
                usize::MAX - uses.iter().position(|u| &u.0 == identity).unwrap_or(0),
            )
        })
        .map(|u| (u.0.clone(), u.1, u.2.clone()));
    let Some((canonical, cdoc, cptr)) = canonical else {
        return;
    };
    // A response shared by several operations (`$ref: "#/components/responses/..."`) is one place to fix.
    let mut reported = HashSet::new();
    for (identity, doc, pointer) in &uses {
        if *identity == canonical || !reported.insert((*doc, pointer.as_str())) {
            continue;
        }
        let d = ctx.ws.doc(cdoc);
        let label = d
            .span_of(&cptr, false)
            .map(|s| Label::new(&d.source, s).with_message("the schema most error responses use"));
        let diagnostic = report
            .at(*doc, pointer, false, "this error response uses a different problem schema than the rest of the service")
            .set_help("use the service's one problem schema, extending it with `allOf` where a response needs more");
        diagnostic.secondary.extend(label);
    }
}
