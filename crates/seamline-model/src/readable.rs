//! Whether a contract can be judged at all. Every judge (`seam diff`, `seam check`, the registry's publish,
//! can-i-deploy, the matrix and the version diff, the MCP change check) asks [`Workspace::judgeable`] first, so
//! a contract that cannot be read is never taken for one that did not change.

use std::collections::{HashMap, HashSet};
use std::fmt;

use seamline_syntax::{Node, ProblemKind, Span, Value, escape_token};

use crate::contract::{ContractKind, detect_kind};
use crate::document::DocId;
use crate::refs::{RefError, Target};
use crate::workspace::Workspace;

/// One reason a contract cannot be judged, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// The document the reason is about (the contract itself, or a file its references reach).
    pub doc: DocId,
    /// The document's name as shown.
    pub file: String,
    /// Where in it, when a place can be named (not for a file that could not be read at all).
    pub span: Option<Span>,
    /// The 1-based line of `span`.
    pub line: Option<u32>,
    pub reason: String,
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.reason),
            None => write!(f, "{}: {}", self.file, self.reason),
        }
    }
}

impl Workspace {
    /// The kind of contract `doc` is, when it can be judged: it was read without a syntax problem (a syntax
    /// error, invalid UTF-8, a file over the size limit, nesting past the depth limit, a refused alias
    /// expansion, a YAML feature the tree cannot hold), it is not empty, it is a contract this version reads,
    /// and every `$ref` reachable from it resolves to a value in a file that has no such problem either.
    /// Otherwise every reason found, in document order. Duplicate keys do not stop a judgement: the reader
    /// keeps the last, as YAML 1.2 and most JSON readers do.
    pub fn judgeable(&self, doc: DocId) -> Result<ContractKind, Vec<Unreadable>> {
        let problems = self.read_problems(doc);
        if !problems.is_empty() {
            return Err(problems);
        }
        let root = match &self.doc(doc).root {
            Some(root) if !is_empty(root) => root,
            _ => {
                return Err(vec![self.unreadable(
                    doc,
                    Some(Span::new(0, 0)),
                    "the file is empty",
                )]);
            }
        };
        let kind = detect_kind(root);
        if let Some(reason) = unread_kind(root, kind) {
            let span = ["openapi", "asyncapi", "swagger"]
                .iter()
                .find_map(|k| root.get(k))
                .map_or(Span::new(0, 0), |n| n.span);
            return Err(vec![self.unreadable(doc, Some(span), reason)]);
        }
        let problems = reachable_ref_problems(self, doc);
        if problems.is_empty() {
            Ok(kind)
        } else {
            Err(problems)
        }
    }

    /// The problems that leave a document's tree incomplete or untrustworthy, whatever the document is: a file
    /// that could not be read, and everything the reader reports but duplicate keys.
    pub fn read_problems(&self, doc: DocId) -> Vec<Unreadable> {
        let d = self.doc(doc);
        if let Some(err) = &d.io_error {
            return vec![self.unreadable(doc, None, format!("cannot read the file: {err}"))];
        }
        d.problems
            .iter()
            .filter(|p| p.kind != ProblemKind::DuplicateKey)
            .map(|p| self.unreadable(doc, Some(p.span), p.message.clone()))
            .collect()
    }

    fn unreadable(&self, doc: DocId, span: Option<Span>, reason: impl Into<String>) -> Unreadable {
        let d = self.doc(doc);
        Unreadable {
            doc,
            file: d.name().to_owned(),
            span,
            line: span.map(|s| d.source.line_col(s.start).line),
            reason: reason.into(),
        }
    }
}

/// A document with nothing in it: no value, `null`, or an empty mapping.
fn is_empty(root: &Node) -> bool {
    match &root.value {
        seamline_syntax::Value::Null => true,
        seamline_syntax::Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Why a document of `kind` is not one this version reads, or `None` when it is.
fn unread_kind(root: &Node, kind: ContractKind) -> Option<String> {
    let version = |key: &str| {
        root.get(key).map(|v| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.as_f64().map(|f| f.to_string()))
                .unwrap_or_else(|| format!("a {}", v.type_name()))
        })
    };
    match kind {
        ContractKind::OpenApi30
        | ContractKind::OpenApi31
        | ContractKind::AsyncApi2
        | ContractKind::AsyncApi3
        | ContractKind::JsonSchema => None,
        ContractKind::Swagger2 => Some(
            "Swagger 2.0 is not read; convert it to OpenAPI 3 (for example with swagger2openapi)"
                .into(),
        ),
        ContractKind::Unknown => Some(match (version("openapi"), version("asyncapi")) {
            (Some(v), _) => format!("`openapi: {v}` is not a version seam reads (3.0 or 3.1)"),
            (_, Some(v)) => format!("`asyncapi: {v}` is not a version seam reads (2.x or 3.0)"),
            _ => "not a contract: no `openapi` or `asyncapi` version, and not a JSON Schema".into(),
        }),
    }
}

/// Every `$ref` reachable from the whole of `doc` (and, through references, from the parts of other files
/// they reach) that does not end at a value. A reference in a file that the contract never reaches is not
/// its problem. Each node is visited once, however many references reach it or what contains it.
fn reachable_ref_problems(ws: &Workspace, doc: DocId) -> Vec<Unreadable> {
    let mut out = Vec::new();
    // The nodes walked so far, by document: walking a node walks everything under it.
    let mut walked: HashMap<DocId, HashSet<String>> = HashMap::new();
    let mut files_seen: HashSet<DocId> = HashSet::from([doc]);
    let mut targets = vec![(doc, String::new())];
    while let Some((doc, base)) = targets.pop() {
        let roots = walked.entry(doc).or_default();
        let covered = std::iter::once(0)
            .chain(base.match_indices('/').map(|(i, _)| i).skip(1))
            .chain(std::iter::once(base.len()))
            .any(|end| roots.contains(&base[..end]));
        if covered {
            continue;
        }
        roots.insert(base.clone());
        // A file reached through a reference must be as readable as the contract itself.
        if files_seen.insert(doc) {
            out.extend(ws.read_problems(doc));
        }
        let Some(node) = ws.doc(doc).node(&base) else {
            continue;
        };
        let roots = &walked[&doc];
        // Only other walks' roots stop this one; with none, nothing needs looking up.
        let prune = |pointer: &str| roots.len() > 1 && pointer != base && roots.contains(pointer);
        visit_pruned(node, &mut base.clone(), &prune, &mut |pointer, n| {
            let Some(value) = n.get("$ref") else { return };
            let error = match value.as_str() {
                // A property named `$ref` inside `properties` is data, not a reference.
                None if pointer.contains("/properties/") => return,
                None => Some(RefError::NotAString),
                Some(reference) => match ws.resolve(doc, reference) {
                    Err(RefError::RemoteSkipped) => None,
                    Err(RefError::FileNotFound) => match ws.loaded_target(doc, reference) {
                        // The file is there but could not be read: its own problems say where.
                        Some(file) if !ws.read_problems(file).is_empty() => {
                            if files_seen.insert(file) {
                                out.extend(ws.read_problems(file));
                            }
                            None
                        }
                        _ => Some(RefError::FileNotFound),
                    },
                    Err(err) => Some(err),
                    Ok(target) => {
                        let circular = ws.deref(target.doc, &target.pointer).is_none()
                            && chain_is_circular(ws, &target);
                        // A chain that ends at a broken link is reported at that link, when its node is walked.
                        targets.push((target.doc, target.pointer));
                        circular.then_some(RefError::Cycle)
                    }
                },
            };
            if let Some(error) = error {
                let shown = value
                    .as_str()
                    .map_or_else(String::new, |r| format!("`{r}`: "));
                out.push(ws.unreadable(doc, Some(value.span), format!("{shown}{error}")));
            }
        });
    }
    out.sort_by_key(|u| (u.doc, u.span));
    out.dedup();
    out
}

/// Calls `f(pointer, node)` for `node` (at `pointer`) and everything under it, except below the nodes `prune`
/// names. One pointer buffer serves the whole walk.
fn visit_pruned(
    node: &Node,
    pointer: &mut String,
    prune: &dyn Fn(&str) -> bool,
    f: &mut dyn FnMut(&str, &Node),
) {
    if prune(pointer) {
        return;
    }
    f(pointer, node);
    let len = pointer.len();
    match &node.value {
        Value::Object(o) => {
            for m in o.members() {
                pointer.push('/');
                pointer.push_str(&escape_token(&m.key));
                visit_pruned(&m.value, pointer, prune, f);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                pointer.push('/');
                pointer.push_str(&i.to_string());
                visit_pruned(item, pointer, prune, f);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// Whether the `$ref` chain from `target` comes back to itself (or runs past the 64 links
/// [`Workspace::deref`] follows) instead of ending at a value or at a broken link.
fn chain_is_circular(ws: &Workspace, target: &Target) -> bool {
    let mut seen = vec![target.clone()];
    let mut current = target.clone();
    for _ in 0..64 {
        let Some(reference) = ws
            .doc(current.doc)
            .node(&current.pointer)
            .and_then(|n| n.get("$ref"))
            .and_then(Node::as_str)
        else {
            return false;
        };
        let Ok(next) = ws.resolve(current.doc, reference) else {
            return false;
        };
        if seen.contains(&next) {
            return true;
        }
        seen.push(next.clone());
        current = next;
    }
    true
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::WorkspaceOptions;

    fn workspace(files: &[(&str, &str)]) -> (Workspace, DocId) {
        let mut ws = Workspace::new(WorkspaceOptions {
            root: "/repo".into(),
            display_base: "/repo".into(),
            allow_remote_refs: false,
            limits: Default::default(),
        });
        let ids: Vec<DocId> = files
            .iter()
            .map(|(name, text)| ws.add_virtual(&Path::new("/repo").join(name), text.as_bytes()))
            .collect();
        (ws, ids[0])
    }

    /// What the contract reaches is checked, through other files and whichever order references are
    /// followed in; what it does not reach is not.
    #[test]
    fn only_references_reachable_from_the_contract_count() {
        let common = "A:\n  B: {type: string}\n  C: {$ref: '#/nothing'}\nD: {$ref: '#/missing'}\n";
        // Either order: the part walked second contains, or lies inside, the part walked first.
        for schemas in [
            "    B: {$ref: 'common.yaml#/A/B'}\n    A: {$ref: 'common.yaml#/A'}\n",
            "    A: {$ref: 'common.yaml#/A'}\n    B: {$ref: 'common.yaml#/A/B'}\n",
        ] {
            let api = format!("openapi: 3.1.0\npaths: {{}}\ncomponents:\n  schemas:\n{schemas}");
            let (ws, doc) = workspace(&[("api.yaml", &api), ("common.yaml", common)]);
            let problems = ws.judgeable(doc).unwrap_err();
            let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
            assert_eq!(
                shown,
                ["common.yaml:3: `#/nothing`: nothing exists at this JSON Pointer"],
                "{schemas}"
            );
        }
        let (ws, doc) = workspace(&[
            (
                "api.yaml",
                "openapi: 3.1.0\npaths: {}\ncomponents:\n  schemas:\n    B: {$ref: 'common.yaml#/A/B'}\n",
            ),
            (
                "common.yaml",
                "A:\n  B: {type: string}\n  C: {$ref: '#/nothing'}\n",
            ),
        ]);
        assert_eq!(ws.judgeable(doc), Ok(ContractKind::OpenApi31));
    }
}
