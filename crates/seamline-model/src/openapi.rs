//! OpenAPI operations, with path-level parameters merged in and `$ref`s followed.

use seamline_syntax::{Node, join_pointer};

use crate::document::DocId;
use crate::workspace::Workspace;

pub const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation: a method under a path.
#[derive(Debug, Clone)]
pub struct Operation<'a> {
    /// The document the operation is written in (a path item may live in another file).
    pub doc: DocId,
    /// Pointer of the operation object, e.g. `/paths/~1pets/get`.
    pub pointer: String,
    pub path: &'a str,
    pub method: &'a str,
    pub node: &'a Node,
    /// Path-level and operation-level parameters, resolved; operation-level ones win.
    pub parameters: Vec<Parameter<'a>>,
}

/// A response of an operation, with its `$ref` followed.
#[derive(Debug, Clone)]
pub struct Response<'a> {
    /// `200`, `4XX`, `default`.
    pub status: &'a str,
    /// Pointer of the response as written in the operation.
    pub written: String,
    /// Where the response object is, after `$ref`s.
    pub doc: DocId,
    pub pointer: String,
    pub node: &'a Node,
}

#[derive(Debug, Clone)]
pub struct Parameter<'a> {
    pub name: &'a str,
    pub location: &'a str,
    pub node: &'a Node,
    /// Where the parameter object is, after `$ref`s.
    pub doc: DocId,
    pub pointer: String,
}

impl<'a> Operation<'a> {
    pub fn operation_id(&self) -> Option<&'a str> {
        self.node.get("operationId").and_then(Node::as_str)
    }

    /// `GET /pets/{id}`, or the operationId when there is one.
    pub fn display(&self) -> String {
        match self.operation_id() {
            Some(id) => format!("`{id}` ({} {})", self.method.to_uppercase(), self.path),
            None => format!("{} {}", self.method.to_uppercase(), self.path),
        }
    }

    pub fn header_parameter(&self, name: &str) -> Option<&Parameter<'a>> {
        self.parameters
            .iter()
            .find(|p| p.location == "header" && p.name.eq_ignore_ascii_case(name))
    }

    /// Each response, in document order.
    pub fn responses(&self, ws: &'a Workspace) -> Vec<Response<'a>> {
        let mut out = Vec::new();
        let Some(responses) = self.node.get("responses") else {
            return out;
        };
        let base = join_pointer(&self.pointer, "responses");
        for m in responses.entries() {
            let pointer = join_pointer(&base, &m.key);
            if let Some((doc, resolved, node)) = ws.deref(self.doc, &pointer) {
                out.push(Response {
                    status: &m.key,
                    written: pointer,
                    doc,
                    pointer: resolved,
                    node,
                });
            }
        }
        out
    }
}

/// Every operation of an OpenAPI document, in document order.
pub fn operations(ws: &Workspace, doc: DocId) -> Vec<Operation<'_>> {
    let mut out = Vec::new();
    let document = ws.doc(doc);
    let Some(paths) = document.node("/paths") else {
        return out;
    };
    for item in paths.entries() {
        let item_pointer = join_pointer("/paths", &item.key);
        let Some((item_doc, item_ptr, item_node)) = ws.deref(doc, &item_pointer) else {
            continue;
        };
        let shared = parameters(ws, item_doc, &join_pointer(&item_ptr, "parameters"));
        for method in item_node
            .entries()
            .filter(|m| HTTP_METHODS.contains(&&*m.key))
        {
            if method.value.as_object().is_none() {
                continue;
            }
            let pointer = join_pointer(&item_ptr, &method.key);
            let mut params = parameters(ws, item_doc, &join_pointer(&pointer, "parameters"));
            for p in &shared {
                if !params
                    .iter()
                    .any(|q| q.name == p.name && q.location == p.location)
                {
                    params.push(p.clone());
                }
            }
            out.push(Operation {
                doc: item_doc,
                pointer,
                path: &item.key,
                method: &method.key,
                node: &method.value,
                parameters: params,
            });
        }
    }
    out
}

fn parameters<'a>(ws: &'a Workspace, doc: DocId, pointer: &str) -> Vec<Parameter<'a>> {
    let Some(list) = ws.doc(doc).node(pointer) else {
        return Vec::new();
    };
    (0..list.as_array().map_or(0, <[Node]>::len))
        .filter_map(|i| {
            let (doc, pointer, node) = ws.deref(doc, &format!("{pointer}/{i}"))?;
            Some(Parameter {
                name: node.get("name")?.as_str()?,
                location: node.get("in")?.as_str()?,
                node,
                doc,
                pointer,
            })
        })
        .collect()
}

/// Whether a response key is for errors: `4xx`, `5xx`, their `4XX`/`5XX` ranges, or `default`.
pub fn is_error_status(status: &str) -> bool {
    status == "default" || status.starts_with('4') || status.starts_with('5')
}
