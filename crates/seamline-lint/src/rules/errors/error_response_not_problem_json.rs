use std::collections::HashSet;

use seamline_diagnostics::Severity;
use seamline_model::Workspace;
use seamline_syntax::{Node, join_pointer};

use super::{error_responses, problem_content};
use crate::{Context, Report, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-E001",
    name: "error-response-not-problem-json",
    summary: "error responses should use application/problem+json (RFC 9457)",
    severity: Severity::Warning,
    docs: r##"
## What it does
Checks every 4xx, 5xx and `default` response of the contracts this service provides: it must offer
`application/problem+json`, and its schema must declare the RFC 9457 members `type`, `title`, `status` and
`detail` (directly or through `allOf`).

## Why is this bad?
When every service answers errors in its own shape, every client writes its own error parsing, and the error
that reaches the user is whichever shape the last parser understood. RFC 9457 problem details are the one
shape every HTTP client library can decode.

## Example
```yaml
"404":
  description: Not found
  content:
    application/problem+json:
      schema: {$ref: "#/components/schemas/Problem"}
```
with `Problem` declaring `type`, `title`, `status`, `detail` and, optionally, `instance`.
"##,
    check,
};

const MEMBERS: [&str; 4] = ["type", "title", "status", "detail"];

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    // A problem schema shared by many responses is reported once, not once per response that uses it.
    let mut schemas_seen = HashSet::new();
    for doc in ctx.provided_openapi() {
        for (op, response) in error_responses(ctx.ws, doc) {
            let Some(problem) = problem_content(ctx.ws, &response) else {
                let has_content = response
                    .node
                    .get("content")
                    .is_some_and(|c| c.as_object().is_some_and(|o| !o.is_empty()));
                let message = if has_content {
                    format!(
                        "error response `{}` of {} is not `application/problem+json`",
                        response.status,
                        op.display()
                    )
                } else {
                    format!(
                        "error response `{}` of {} has no body",
                        response.status,
                        op.display()
                    )
                };
                report
                    .at(response.doc, &response.pointer, true, message)
                    .set_help("describe the body as `application/problem+json` with an RFC 9457 problem schema");
                continue;
            };
            let Some((sdoc, sptr, schema)) = problem.schema else {
                report
                    .at(
                        problem.doc,
                        &problem.media_pointer,
                        true,
                        format!(
                            "the problem body of error response `{}` of {} has no schema",
                            response.status,
                            op.display()
                        ),
                    )
                    .set_help("add `schema: {$ref: \"#/components/schemas/Problem\"}`");
                continue;
            };
            let declared = declared_properties(ctx.ws, sdoc, &sptr, schema, 0);
            let missing: Vec<&str> = MEMBERS
                .iter()
                .copied()
                .filter(|m| !declared.iter().any(|d| d == m))
                .collect();
            if !missing.is_empty() && schemas_seen.insert((sdoc, sptr.clone())) {
                report
                    .at(sdoc, &sptr, true, format!(
                        "the problem schema lacks the RFC 9457 member{} {}",
                        if missing.len() == 1 { "" } else { "s" },
                        missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
                    ))
                    .set_help("declare `type`, `title`, `status` and `detail` (and optionally `instance`) as properties");
            }
        }
    }
}

/// Property names a schema declares, through `allOf` and `$ref`.
pub(crate) fn declared_properties(
    ws: &Workspace,
    doc: seamline_model::DocId,
    pointer: &str,
    schema: &Node,
    depth: usize,
) -> Vec<String> {
    let mut names: Vec<String> = schema
        .get("properties")
        .into_iter()
        .flat_map(Node::entries)
        .map(|m| m.key.to_string())
        .collect();
    if depth < 8 {
        for (i, _) in schema
            .get("allOf")
            .into_iter()
            .flat_map(Node::items)
            .enumerate()
        {
            let part = format!("{}/{i}", join_pointer(pointer, "allOf"));
            if let Some((pdoc, pptr, node)) = ws.deref(doc, &part) {
                names.extend(declared_properties(ws, pdoc, &pptr, node, depth + 1));
            }
        }
    }
    names
}
