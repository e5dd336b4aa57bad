//! Rules about how errors are described: documented, RFC 9457 problem details, one error schema per service.

pub(crate) mod error_response_not_problem_json;
pub(crate) mod error_responses_undocumented;
pub(crate) mod error_schema_inconsistent;

use seamline_model::{DocId, Operation, Response, Workspace, is_error_status, operations};
use seamline_syntax::{Node, join_pointer};

/// An error response's `application/problem+json` content, resolved.
pub(crate) struct ProblemContent<'a> {
    /// Pointer of the media type object as written in the operation's document.
    pub media_pointer: String,
    pub doc: DocId,
    /// The schema, resolved, with the place it was resolved to.
    pub schema: Option<(DocId, String, &'a Node)>,
}

/// Every error response of every operation in `doc`, with its operation.
pub(crate) fn error_responses<'a>(
    ws: &'a Workspace,
    doc: DocId,
) -> Vec<(Operation<'a>, Response<'a>)> {
    let mut out = Vec::new();
    for op in operations(ws, doc) {
        for response in op.responses(ws) {
            if is_error_status(response.status) {
                out.push((op.clone(), response));
            }
        }
    }
    out
}

/// The `application/problem+json` content of a response, when it has one.
pub(crate) fn problem_content<'a>(
    ws: &'a Workspace,
    response: &Response<'a>,
) -> Option<ProblemContent<'a>> {
    let content = response.node.get("content")?;
    let media = content.entries().find(|m| {
        m.key
            .split(';')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/problem+json"))
    })?;
    let media_pointer = join_pointer(&join_pointer(&response.pointer, "content"), &media.key);
    let schema = ws.deref(response.doc, &join_pointer(&media_pointer, "schema"));
    Some(ProblemContent {
        media_pointer,
        doc: response.doc,
        schema,
    })
}
