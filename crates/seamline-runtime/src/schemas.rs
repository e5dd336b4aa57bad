//! Payload schemas from a contract (AsyncAPI 2/3 or JSON Schema event files), one validator per message version.

use std::collections::HashMap;
use std::path::Path;

use seamline_model::{DocId, Workspace, WorkspaceOptions, messages};
use seamline_syntax::{Limits, Node};
use serde_json::Value;

/// The validators of every message a contract declares, by `name@version` (or `name` when unversioned).
pub struct Schemas {
    validators: HashMap<String, jsonschema::Validator>,
}

impl std::fmt::Debug for Schemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.validators.keys().collect();
        names.sort();
        f.debug_struct("Schemas").field("messages", &names).finish()
    }
}

/// How deep `$ref`s are followed when a payload schema is made self-contained; deeper (or circular) ones
/// accept anything.
const MAX_REF_DEPTH: usize = 32;

impl Schemas {
    /// Reads the contract at `path` (and the files its `$ref`s reach).
    pub fn from_contract(path: &Path) -> Result<Schemas, String> {
        let root = path.parent().unwrap_or(Path::new(".")).to_owned();
        let mut ws = Workspace::new(WorkspaceOptions {
            root: root.clone(),
            display_base: root,
            allow_remote_refs: false,
            limits: Limits::default(),
        });
        let doc = ws.load_with_refs(path);
        let d = ws.doc(doc);
        if let Some(e) = &d.io_error {
            return Err(format!("cannot read {}: {e}", path.display()));
        }
        if let Some(p) = d.problems.first() {
            return Err(format!("{}: {}", path.display(), p.message));
        }
        let mut validators = HashMap::new();
        for m in messages(&ws, doc) {
            let Some((pdoc, pointer, _)) = &m.payload else {
                continue;
            };
            let schema = inline(&ws, *pdoc, pointer, 0);
            let validator = jsonschema::options()
                .should_validate_formats(true)
                .build(&schema)
                .map_err(|e| format!("the payload schema of {} is not valid: {e}", m.id()))?;
            validators.insert(m.id(), validator);
        }
        if validators.is_empty() {
            return Err(format!(
                "{} declares no message with a payload",
                path.display()
            ));
        }
        Ok(Schemas { validators })
    }

    /// Whether the contract declares `message` (`name@version`).
    pub fn knows(&self, message: &str) -> bool {
        self.validators.contains_key(message)
    }

    /// Checks `data` against the schema of `message`; the errors, each with where in the payload.
    pub fn validate(&self, message: &str, data: &Value) -> Result<(), Vec<String>> {
        let Some(v) = self.validators.get(message) else {
            return Err(vec![format!(
                "the contract declares no message `{message}`"
            )]);
        };
        let errors: Vec<String> = v
            .iter_errors(data)
            .map(|e| {
                let at = e.instance_path().to_string();
                if at.is_empty() {
                    e.to_string()
                } else {
                    format!("{at}: {e}")
                }
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// The schema at `pointer` as JSON, with every `$ref` replaced by what it points at.
fn inline(ws: &Workspace, doc: DocId, pointer: &str, depth: usize) -> Value {
    if depth > MAX_REF_DEPTH {
        return Value::Bool(true);
    }
    let Some((doc, pointer, node)) = ws.deref(doc, pointer) else {
        return Value::Bool(true);
    };
    expand(ws, doc, &pointer, node, depth)
}

fn expand(ws: &Workspace, doc: DocId, pointer: &str, node: &Node, depth: usize) -> Value {
    if node.get("$ref").is_some() {
        return inline(ws, doc, pointer, depth + 1);
    }
    if let Some(items) = node.as_array() {
        return Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| expand(ws, doc, &format!("{pointer}/{i}"), item, depth))
                .collect(),
        );
    }
    if node.as_object().is_some() {
        let mut out = serde_json::Map::new();
        for m in node.entries() {
            let child = seamline_syntax::join_pointer(pointer, &m.key);
            out.insert(m.key.to_string(), expand(ws, doc, &child, &m.value, depth));
        }
        return Value::Object(out);
    }
    node.to_json()
}
