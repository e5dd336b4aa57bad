//! Event messages, from AsyncAPI documents and plain JSON Schema files, identified by name and major version.

use std::collections::HashSet;
use std::path::Path;

use seamline_syntax::{Node, join_pointer};

use crate::contract::{ContractKind, detect_kind};
use crate::document::DocId;
use crate::workspace::Workspace;

/// Where a message was declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageSource {
    AsyncApi,
    /// A JSON Schema file that is one message.
    SchemaFile,
    /// One entry of a JSON Schema `$defs` map.
    SchemaDef,
}

#[derive(Debug, Clone)]
pub struct Message<'a> {
    pub doc: DocId,
    /// Pointer of the message object (AsyncAPI) or its schema (JSON Schema), after `$ref`s.
    pub pointer: String,
    pub name: String,
    /// The major version, when the message states one.
    pub version: Option<u32>,
    pub node: &'a Node,
    /// The payload schema, resolved: document, pointer and node.
    pub payload: Option<(DocId, String, &'a Node)>,
    pub headers: Option<(DocId, String, &'a Node)>,
    pub source: MessageSource,
}

impl Message<'_> {
    /// `inventory.stock_reserved@2`, or the bare name when unversioned.
    pub fn id(&self) -> String {
        match self.version {
            Some(v) => format!("{}@{v}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Every message a document declares, each once even when several channels reference it.
pub fn messages(ws: &Workspace, doc: DocId) -> Vec<Message<'_>> {
    let Some(root) = ws.doc(doc).root.as_ref() else {
        return Vec::new();
    };
    match detect_kind(root) {
        ContractKind::AsyncApi2 | ContractKind::AsyncApi3 => asyncapi_messages(ws, doc, root),
        ContractKind::JsonSchema => schema_messages(ws, doc, root),
        _ => Vec::new(),
    }
}

fn asyncapi_messages<'a>(ws: &'a Workspace, doc: DocId, root: &'a Node) -> Vec<Message<'a>> {
    // (pointer as written, key to fall back on for the name)
    let mut candidates: Vec<(String, String)> = Vec::new();
    for m in root
        .get("components")
        .and_then(|c| c.get("messages"))
        .into_iter()
        .flat_map(Node::entries)
    {
        candidates.push((
            join_pointer("/components/messages", &m.key),
            m.key.to_string(),
        ));
    }
    for channel in root.get("channels").into_iter().flat_map(Node::entries) {
        let channel_ptr = join_pointer("/channels", &channel.key);
        // AsyncAPI 3: channels/<name>/messages/<key>
        for m in channel
            .value
            .get("messages")
            .into_iter()
            .flat_map(Node::entries)
        {
            let ptr = join_pointer(&join_pointer(&channel_ptr, "messages"), &m.key);
            candidates.push((ptr, m.key.to_string()));
        }
        // AsyncAPI 2: channels/<name>/(publish|subscribe)/message, possibly a oneOf
        for verb in ["publish", "subscribe"] {
            let msg_ptr = join_pointer(&join_pointer(&channel_ptr, verb), "message");
            let Some((mdoc, mptr, message)) = ws.deref(doc, &msg_ptr) else {
                continue;
            };
            match message.get("oneOf").and_then(Node::as_array) {
                Some(items) => {
                    for i in 0..items.len() {
                        let p = format!("{}/oneOf/{i}", mptr);
                        if mdoc == doc {
                            candidates.push((p, channel.key.to_string()));
                        }
                    }
                }
                None => candidates.push((msg_ptr, channel.key.to_string())),
            }
        }
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (pointer, fallback) in candidates {
        let Some((mdoc, mptr, node)) = ws.deref(doc, &pointer) else {
            continue;
        };
        if node.as_object().is_none() || !seen.insert((mdoc, mptr.clone())) {
            continue;
        }
        let written = node
            .get("name")
            .and_then(Node::as_str)
            .or_else(|| node.get("messageId").and_then(Node::as_str))
            .unwrap_or(&fallback);
        let (name, suffix_version) = split_version(written);
        let mut payload = ws.deref(mdoc, &join_pointer(&mptr, "payload"));
        // AsyncAPI 3 multi-format schema: {schemaFormat, schema}
        if let Some((pdoc, pptr, pnode)) = &payload
            && pnode.get("schemaFormat").is_some()
            && pnode.get("schema").is_some()
        {
            payload = ws.deref(*pdoc, &join_pointer(pptr, "schema"));
        }
        let version = explicit_version(node)
            .or(suffix_version)
            .or_else(|| payload.as_ref().and_then(|(_, _, p)| payload_version(p)));
        out.push(Message {
            doc: mdoc,
            headers: ws.deref(mdoc, &join_pointer(&mptr, "headers")),
            pointer: mptr,
            name: name.to_owned(),
            version,
            node,
            payload,
            source: MessageSource::AsyncApi,
        });
    }
    out
}

fn schema_messages<'a>(ws: &'a Workspace, doc: DocId, root: &'a Node) -> Vec<Message<'a>> {
    let defs = root.get("$defs").or_else(|| root.get("definitions"));
    let is_map =
        root.get("properties").is_none() && defs.is_some_and(|d| d.entries().next().is_some());
    if is_map {
        let base = if root.get("$defs").is_some() {
            "/$defs"
        } else {
            "/definitions"
        };
        return defs
            .into_iter()
            .flat_map(Node::entries)
            .filter_map(|m| {
                let pointer = join_pointer(base, &m.key);
                let (pdoc, pptr, node) = ws.deref(doc, &pointer)?;
                let (name, suffix) = split_version(&m.key);
                Some(Message {
                    doc,
                    name: node
                        .get("x-message")
                        .and_then(Node::as_str)
                        .unwrap_or(name)
                        .to_owned(),
                    version: explicit_version(node)
                        .or(suffix)
                        .or_else(|| payload_version(node)),
                    node,
                    payload: Some((pdoc, pptr, node)),
                    headers: None,
                    pointer,
                    source: MessageSource::SchemaDef,
                })
            })
            .collect();
    }
    let path = ws.doc(doc).path.clone();
    let (file_name, file_version) = name_from_path(&path);
    let titled = root
        .get("x-message")
        .or_else(|| root.get("title"))
        .and_then(Node::as_str)
        .filter(|t| !t.contains(char::is_whitespace));
    let (name, suffix) = split_version(titled.unwrap_or(&file_name));
    let id_version = root
        .get("$id")
        .and_then(Node::as_str)
        .and_then(|id| split_version(id.trim_end_matches(".json")).1);
    vec![Message {
        doc,
        pointer: String::new(),
        name: name.to_owned(),
        version: explicit_version(root)
            .or(suffix)
            .or(file_version)
            .or(id_version)
            .or_else(|| payload_version(root)),
        node: root,
        payload: Some((doc, String::new(), root)),
        headers: None,
        source: MessageSource::SchemaFile,
    }]
}

/// `x-version: 2` (or `"2"`, `"2.1.0"`): the major version stated outright.
fn explicit_version(node: &Node) -> Option<u32> {
    let v = node
        .get("x-version")
        .or_else(|| node.get("x-message-version"))?;
    v.as_i64().and_then(|i| u32::try_from(i).ok()).or_else(|| {
        v.as_str()?
            .trim_start_matches('v')
            .split('.')
            .next()?
            .parse()
            .ok()
    })
}

/// A payload whose `version`/`schema_version` property is a constant states the version too.
fn payload_version(payload: &Node) -> Option<u32> {
    let props = payload.get("properties")?;
    ["version", "schema_version", "schemaVersion"]
        .iter()
        .find_map(|k| {
            let p = props.get(k)?;
            let c = p
                .get("const")
                .or_else(|| p.get("enum").and_then(|e| e.as_array()?.first()))?;
            c.as_i64().and_then(|i| u32::try_from(i).ok()).or_else(|| {
                c.as_str()?
                    .trim_start_matches('v')
                    .split('.')
                    .next()?
                    .parse()
                    .ok()
            })
        })
}

/// Splits a version suffix off a name: `stock_reserved@2`, `stock_reserved.v2`, `stock_reserved_v2`,
/// `stock-reserved-v2`, `StockReservedV2`.
pub(crate) fn split_version(name: &str) -> (&str, Option<u32>) {
    if let Some((base, v)) = name.rsplit_once('@')
        && let Ok(n) = v.trim_start_matches('v').parse()
    {
        return (base, Some(n));
    }
    let digits_start = name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits_start == name.len() || digits_start == 0 {
        return (name, None);
    }
    let Ok(n) = name[digits_start..].parse::<u32>() else {
        return (name, None);
    };
    let head = &name[..digits_start];
    for sep in [".v", "_v", "-v", "/v", ".V", "_V", "-V"] {
        if let Some(base) = head.strip_suffix(sep)
            && !base.is_empty()
        {
            return (base, Some(n));
        }
    }
    if let Some(base) = head.strip_suffix('V')
        && base.chars().last().is_some_and(|c| c.is_ascii_lowercase())
    {
        return (base, Some(n));
    }
    (name, None)
}

/// `…/stock_reserved/v2.json` is `stock_reserved` version 2; `…/stock_reserved.v2.json` too.
fn name_from_path(path: &Path) -> (String, Option<u32>) {
    let stem = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = stem
        .trim_end_matches(".json")
        .trim_end_matches(".yaml")
        .trim_end_matches(".yml")
        .trim_end_matches(".schema");
    let is_bare_version = stem.len() > 1
        && stem.starts_with(['v', 'V'])
        && stem[1..].bytes().all(|b| b.is_ascii_digit());
    if is_bare_version {
        let parent = path
            .parent()
            .and_then(Path::file_name)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        return (parent, stem[1..].parse().ok());
    }
    let (base, v) = split_version(stem);
    (base.to_owned(), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_common_suffixes() {
        assert_eq!(
            split_version("inventory.stock_reserved@2"),
            ("inventory.stock_reserved", Some(2))
        );
        assert_eq!(
            split_version("stock_reserved.v3"),
            ("stock_reserved", Some(3))
        );
        assert_eq!(split_version("StockReservedV1"), ("StockReserved", Some(1)));
        assert_eq!(
            split_version("stock-reserved-v10"),
            ("stock-reserved", Some(10))
        );
        assert_eq!(split_version("http2"), ("http2", None));
        assert_eq!(split_version("orders"), ("orders", None));
        assert_eq!(
            name_from_path(Path::new("a/inventory.stock_reserved/v2.json")),
            ("inventory.stock_reserved".into(), Some(2))
        );
        assert_eq!(
            name_from_path(Path::new("a/order.confirmed.v1.json")),
            ("order.confirmed".into(), Some(1))
        );
    }
}
