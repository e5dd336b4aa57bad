//! Payload schemas from a contract (AsyncAPI 2/3 or JSON Schema event files), one validator per message version.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use jsonschema::Draft;
use seamline_model::{DocId, Workspace, WorkspaceOptions, messages};
use seamline_syntax::Limits;
use serde_json::Value;
use url::Url;

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

impl Schemas {
    /// Reads the contract at `path` (and the files its `$ref`s reach). Each payload schema is compiled as
    /// JSON Schema 2020-12 by the `jsonschema` crate, which resolves its `$ref`s itself against the files read
    /// (a keyword beside a `$ref` applies too, and references nest as deep as they go); a `$ref` to anything
    /// else, such as a remote schema, is an error.
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
        let files = Files::of(&ws);
        let mut validators = HashMap::new();
        for m in messages(&ws, doc) {
            let Some(payload) = &m.payload else {
                continue;
            };
            let (pdoc, pointer) = unresolved_payload(&m, payload);
            let mut at = files.uri(&ws, pdoc)?;
            at.set_fragment(Some(&pointer));
            let validator = jsonschema::options()
                .with_draft(Draft::Draft202012)
                .with_retriever(files.clone())
                .should_validate_formats(true)
                .build(&serde_json::json!({ "$ref": at.as_str() }))
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

/// Where a message's payload schema is written, before its own `$ref` is followed, so `jsonschema` applies the
/// keywords beside that `$ref` too: the message's `payload`, or the `schema` of an AsyncAPI 3 multi-format
/// `{schemaFormat, schema}` object. A payload that is a bare `$ref` (nothing beside it to lose, and possibly a
/// multi-format object elsewhere) keeps the place `messages` resolved.
fn unresolved_payload(
    m: &seamline_model::Message<'_>,
    resolved: &(DocId, String, &seamline_syntax::Node),
) -> (DocId, String) {
    let fallback = (resolved.0, resolved.1.clone());
    let written = match m.node.get("payload") {
        Some(w) if m.source == seamline_model::MessageSource::AsyncApi => w,
        _ => return fallback,
    };
    let at = format!("{}/payload", m.pointer);
    if written.get("schemaFormat").is_some() {
        return match written.get("schema") {
            Some(_) => (m.doc, format!("{at}/schema")),
            None => fallback,
        };
    }
    let bare_ref = written.get("$ref").is_some()
        && written.as_object().is_some_and(|o| o.members().len() == 1);
    if bare_ref {
        return fallback;
    }
    (m.doc, at)
}

/// The files of a contract as JSON, by `file:` URI/// The files of a contract as JSON, by `file:` URI: all a payload schema's `$ref`s may reach.
#[derive(Debug, Clone)]
struct Files {
    by_uri: Arc<HashMap<String, Value>>,
}

impl Files {
    fn of(ws: &Workspace) -> Files {
        let by_uri = ws
            .docs()
            .filter_map(|(_, d)| {
                let uri = Url::from_file_path(&d.path).ok()?;
                Some((uri.to_string(), d.root.as_ref()?.to_json()))
            })
            .collect();
        Files {
            by_uri: Arc::new(by_uri),
        }
    }

    fn uri(&self, ws: &Workspace, doc: DocId) -> Result<Url, String> {
        let path = &ws.doc(doc).path;
        Url::from_file_path(path).map_err(|()| format!("{} is not a file path", path.display()))
    }
}

impl jsonschema::Retrieve for Files {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let mut wanted = Url::parse(uri.as_str())?;
        wanted.set_fragment(None);
        self.by_uri.get(wanted.as_str()).cloned().ok_or_else(|| {
            format!("`{uri}` is not a file of the contract (remote and missing files are not read)")
                .into()
        })
    }
}
