//! Schema against schema, one level at a time, in the direction the data travels.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use seamline_model::DocId;
use seamline_syntax::{Node, join_pointer};

use crate::checks::{self, Check};
use crate::{Change, DiffOptions, Level, Side, Usage};

/// Which way the data described by the schema travels, seen from the party that did not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Old clients write it, the new version reads it: request bodies and parameters.
    Request,
    /// The new version writes it, old readers read it: responses and event payloads.
    Response,
}

/// A schema as written somewhere: document and pointer (before `$ref`s are followed).
#[derive(Debug, Clone)]
pub(crate) struct At {
    pub doc: DocId,
    pub pointer: String,
}

/// Deeper than this, schemas are not compared (a safeguard; cycles stop earlier through `visited`).
const MAX_DEPTH: usize = 64;

pub(crate) struct SchemaDiff<'a, 'o> {
    pub old: Side<'a>,
    pub new: Side<'a>,
    pub options: &'o DiffOptions,
    pub subject: String,
    pub flow: Flow,
    pub out: &'o mut Vec<Change>,
    visited: HashSet<(DocId, String, DocId, String)>,
}

/// A schema with its `$ref`s followed and its `allOf` members merged, as far as comparison needs.
struct View<'a> {
    doc: DocId,
    pointer: String,
    node: &'a Node,
    properties: BTreeMap<String, At>,
    required: BTreeSet<String>,
    types: BTreeSet<String>,
    nullable: bool,
    closed: bool,
}

impl<'a, 'o> SchemaDiff<'a, 'o> {
    pub(crate) fn new(
        old: Side<'a>,
        new: Side<'a>,
        options: &'o DiffOptions,
        subject: String,
        flow: Flow,
        out: &'o mut Vec<Change>,
    ) -> Self {
        SchemaDiff {
            old,
            new,
            options,
            subject,
            flow,
            out,
            visited: HashSet::new(),
        }
    }

    fn push(
        &mut self,
        check: &'static Check,
        level: Level,
        path: &str,
        message: String,
        old: Option<(DocId, &str)>,
        new: Option<(DocId, &str)>,
    ) {
        self.out.push(Change {
            usage: Usage::Everyone,
            check,
            level,
            subject: self.subject.clone(),
            path: path.to_owned(),
            message,
            old: old.and_then(|(d, p)| self.old.label(d, p)),
            new: new.and_then(|(d, p)| self.new.label(d, p)),
        });
    }

    /// The level of a change that makes the schema accept more (`widens`) or less, in this flow.
    fn level(&self, widens: bool, widen_response: Level) -> Level {
        match (self.flow, widens) {
            (Flow::Request, true) => Level::Info,
            (Flow::Request, false) => Level::Breaking,
            (Flow::Response, true) => widen_response,
            (Flow::Response, false) => Level::Info,
        }
    }

    /// Compares the schema at `old` with the one at `new`; `path` names the place for the reader.
    pub(crate) fn compare(&mut self, old: &At, new: &At, path: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let (Some(o), Some(n)) = (view(self.old, old), view(self.new, new)) else {
            return;
        };
        if !self
            .visited
            .insert((o.doc, o.pointer.clone(), n.doc, n.pointer.clone()))
        {
            return;
        }
        let (op, np) = ((o.doc, o.pointer.as_str()), (n.doc, n.pointer.as_str()));
        self.types(&o, &n, path);
        self.format(&o, &n, path);
        self.enums(&o, &n, path);
        self.constraints(&o, &n, path);
        if o.closed != n.closed {
            let (level, message) = match (self.flow, n.closed) {
                (Flow::Request, true) => (
                    Level::Breaking,
                    "now refuses properties it does not declare".to_owned(),
                ),
                (Flow::Request, false) => {
                    (Level::Info, "now accepts undeclared properties".to_owned())
                }
                (Flow::Response, false) => (
                    Level::Warning,
                    "may now hold undeclared properties".to_owned(),
                ),
                (Flow::Response, true) => (
                    Level::Info,
                    "no longer holds undeclared properties".to_owned(),
                ),
            };
            self.push(
                &checks::ADDITIONAL_PROPERTIES_CHANGED,
                level,
                path,
                message,
                Some(op),
                Some(np),
            );
        }
        self.properties(&o, &n, path, depth);
        for key in ["items", "additionalProperties", "not"] {
            let (oi, ni) = (o.node.get(key), n.node.get(key));
            if oi.is_some_and(|v| v.as_object().is_some())
                && ni.is_some_and(|v| v.as_object().is_some())
            {
                let suffix = if key == "items" {
                    "[]".to_owned()
                } else {
                    format!("{{{key}}}")
                };
                let child = format!("{path}{suffix}");
                let oa = At {
                    doc: o.doc,
                    pointer: join_pointer(&o.pointer, key),
                };
                let na = At {
                    doc: n.doc,
                    pointer: join_pointer(&n.pointer, key),
                };
                if key != "not" {
                    self.compare(&oa, &na, &child, depth + 1);
                }
            }
        }
        for key in ["oneOf", "anyOf"] {
            self.variants(&o, &n, key, path, depth);
        }
    }

    fn types(&mut self, o: &View<'_>, n: &View<'_>, path: &str) {
        let (op, np) = ((o.doc, o.pointer.as_str()), (n.doc, n.pointer.as_str()));
        if !o.types.is_empty() && !n.types.is_empty() && o.types != n.types {
            // integer is a subset of number: integer -> number widens, number -> integer narrows.
            let covers = |wide: &BTreeSet<String>, narrow: &BTreeSet<String>| {
                narrow
                    .iter()
                    .all(|t| wide.contains(t) || (t == "integer" && wide.contains("number")))
            };
            let widens = covers(&n.types, &o.types);
            let narrows = covers(&o.types, &n.types);
            let level = if widens {
                self.level(true, Level::Breaking)
            } else if narrows {
                self.level(false, Level::Breaking)
            } else {
                Level::Breaking
            };
            let show = |t: &BTreeSet<String>| t.iter().cloned().collect::<Vec<_>>().join(" | ");
            self.push(
                &checks::TYPE_CHANGED,
                level,
                path,
                format!("type changed from {} to {}", show(&o.types), show(&n.types)),
                Some(op),
                Some(np),
            );
        }
        if o.nullable != n.nullable {
            let (level, message) = match (self.flow, n.nullable) {
                (Flow::Request, false) => (Level::Breaking, "no longer accepts null"),
                (Flow::Request, true) => (Level::Info, "now accepts null"),
                (Flow::Response, true) => (Level::Breaking, "may now be null"),
                (Flow::Response, false) => (Level::Info, "is no longer null"),
            };
            self.push(
                &checks::NULLABLE_CHANGED,
                level,
                path,
                message.to_owned(),
                Some(op),
                Some(np),
            );
        }
    }

    fn format(&mut self, o: &View<'_>, n: &View<'_>, path: &str) {
        let (of, nf) = (
            o.node.get("format").and_then(Node::as_str),
            n.node.get("format").and_then(Node::as_str),
        );
        if of != nf {
            let message = match (of, nf) {
                (Some(a), Some(b)) => format!("format changed from `{a}` to `{b}`"),
                (None, Some(b)) => format!("format `{b}` added"),
                (Some(a), None) => format!("format `{a}` removed"),
                (None, None) => return,
            };
            self.push(
                &checks::FORMAT_CHANGED,
                Level::Warning,
                path,
                message,
                Some((o.doc, &o.pointer)),
                Some((n.doc, &n.pointer)),
            );
        }
    }

    fn enums(&mut self, o: &View<'_>, n: &View<'_>, path: &str) {
        let values = |v: &View<'_>| -> Option<Vec<String>> {
            Some(
                v.node
                    .get("enum")?
                    .items()
                    .map(|i| i.to_json().to_string())
                    .collect(),
            )
        };
        let (ov, nv) = (values(o), values(n));
        let (op, np) = ((o.doc, o.pointer.as_str()), (n.doc, n.pointer.as_str()));
        match (ov, nv) {
            (Some(ov), Some(nv)) => {
                let removed: Vec<&String> = ov.iter().filter(|v| !nv.contains(v)).collect();
                let added: Vec<&String> = nv.iter().filter(|v| !ov.contains(v)).collect();
                if !removed.is_empty() {
                    let level = self.level(false, Level::Breaking);
                    self.push(
                        &checks::ENUM_VALUE_REMOVED,
                        level,
                        path,
                        format!(
                            "enum value{} {} removed",
                            plural(removed.len()),
                            list(&removed)
                        ),
                        Some(op),
                        Some(np),
                    );
                }
                if !added.is_empty() {
                    let level = self.level(true, Level::Warning);
                    self.push(
                        &checks::ENUM_VALUE_ADDED,
                        level,
                        path,
                        format!("enum value{} {} added", plural(added.len()), list(&added)),
                        Some(op),
                        Some(np),
                    );
                }
            }
            (None, Some(_)) => {
                let level = self.level(false, Level::Breaking);
                self.push(
                    &checks::CONSTRAINT_TIGHTENED,
                    level,
                    path,
                    "now restricted to an enum".to_owned(),
                    Some(op),
                    Some(np),
                );
            }
            (Some(_), None) => {
                let level = self.level(true, Level::Warning);
                self.push(
                    &checks::CONSTRAINT_LOOSENED,
                    level,
                    path,
                    "no longer restricted to an enum".to_owned(),
                    Some(op),
                    Some(np),
                );
            }
            (None, None) => {}
        }
    }

    fn constraints(&mut self, o: &View<'_>, n: &View<'_>, path: &str) {
        // (keyword, whether a larger value accepts more)
        const BOUNDS: [(&str, bool); 10] = [
            ("maximum", true),
            ("exclusiveMaximum", true),
            ("maxLength", true),
            ("maxItems", true),
            ("maxProperties", true),
            ("minimum", false),
            ("exclusiveMinimum", false),
            ("minLength", false),
            ("minItems", false),
            ("minProperties", false),
        ];
        let (op, np) = ((o.doc, o.pointer.as_str()), (n.doc, n.pointer.as_str()));
        for (key, larger_accepts_more) in BOUNDS {
            // OpenAPI 3.0 writes exclusive bounds as booleans beside maximum/minimum; only numbers are bounds.
            let (ov, nv) = (
                o.node.get(key).and_then(Node::as_f64),
                n.node.get(key).and_then(Node::as_f64),
            );
            let widens = match (ov, nv) {
                (Some(a), Some(b)) if a == b => continue,
                (Some(a), Some(b)) => (b > a) == larger_accepts_more,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => continue,
            };
            let shown = |v: Option<f64>| v.map_or("none".to_owned(), |v| v.to_string());
            let message = format!("`{key}` changed from {} to {}", shown(ov), shown(nv));
            self.bound(widens, path, message, op, np);
        }
        let (opat, npat) = (
            o.node.get("pattern").and_then(Node::as_str),
            n.node.get("pattern").and_then(Node::as_str),
        );
        if opat != npat {
            // A changed pattern cannot be compared in general; it is treated as accepting less.
            let widens = npat.is_none();
            let message = match (opat, npat) {
                (Some(a), Some(b)) => format!("pattern changed from `{a}` to `{b}`"),
                (None, Some(b)) => format!("pattern `{b}` added"),
                (Some(a), None) => format!("pattern `{a}` removed"),
                (None, None) => return,
            };
            self.bound(widens, path, message, op, np);
        }
    }

    fn bound(
        &mut self,
        widens: bool,
        path: &str,
        message: String,
        op: (DocId, &str),
        np: (DocId, &str),
    ) {
        let level = self.level(widens, Level::Warning);
        let check = if widens {
            &checks::CONSTRAINT_LOOSENED
        } else {
            &checks::CONSTRAINT_TIGHTENED
        };
        self.push(check, level, path, message, Some(op), Some(np));
    }

    fn properties(&mut self, o: &View<'_>, n: &View<'_>, path: &str, depth: usize) {
        let dot = |name: &str| {
            if path.is_empty() {
                name.to_owned()
            } else {
                format!("{path}.{name}")
            }
        };
        for (name, at) in &o.properties {
            let child = dot(name);
            match n.properties.get(name) {
                None => {
                    let (level, why) = match self.flow {
                        Flow::Request if n.closed => (
                            Level::Breaking,
                            "removed; clients that send it are now refused",
                        ),
                        Flow::Request => (Level::Info, "removed; it is now ignored"),
                        Flow::Response if o.required.contains(name) => {
                            (Level::Breaking, "removed; readers relied on it")
                        }
                        Flow::Response => (Level::Warning, "removed; readers may use it"),
                    };
                    self.push(
                        &checks::PROPERTY_REMOVED,
                        level,
                        &child,
                        why.to_owned(),
                        Some((at.doc, &at.pointer)),
                        Some((n.doc, &n.pointer)),
                    );
                }
                Some(new_at) => {
                    let (was, is) = (o.required.contains(name), n.required.contains(name));
                    if !was && is {
                        let level = self.level(false, Level::Info);
                        self.push(
                            &checks::PROPERTY_BECAME_REQUIRED,
                            level,
                            &child,
                            "became required".to_owned(),
                            Some((at.doc, &at.pointer)),
                            Some((new_at.doc, &new_at.pointer)),
                        );
                    } else if was && !is {
                        let level = self.level(true, Level::Breaking);
                        self.push(
                            &checks::PROPERTY_BECAME_OPTIONAL,
                            level,
                            &child,
                            "became optional".to_owned(),
                            Some((at.doc, &at.pointer)),
                            Some((new_at.doc, &new_at.pointer)),
                        );
                    }
                    self.compare(at, new_at, &child, depth + 1);
                }
            }
        }
        for (name, at) in &n.properties {
            if o.properties.contains_key(name) {
                continue;
            }
            let required = n.required.contains(name);
            let (level, why) = match self.flow {
                Flow::Request if required => (
                    Level::Breaking,
                    "added as required; old clients do not send it",
                ),
                Flow::Request => (Level::Info, "added as optional"),
                Flow::Response if o.closed => (
                    Level::Breaking,
                    "added to a schema that allowed no other properties",
                ),
                Flow::Response if self.options.strict_open_content => (
                    Level::Breaking,
                    "added to an open schema (strict open-content policy)",
                ),
                Flow::Response => (Level::Info, "added"),
            };
            self.push(
                &checks::PROPERTY_ADDED,
                level,
                &dot(name),
                why.to_owned(),
                Some((o.doc, &o.pointer)),
                Some((at.doc, &at.pointer)),
            );
        }
    }

    fn variants(&mut self, o: &View<'_>, n: &View<'_>, key: &str, path: &str, depth: usize) {
        let list = |v: &View<'_>, side: Side<'_>| -> Vec<(String, At)> {
            let base = join_pointer(&v.pointer, key);
            let doc = side.ws.doc(v.doc);
            doc.node(&base)
                .into_iter()
                .flat_map(Node::items)
                .enumerate()
                .map(|(i, item)| {
                    // Alternatives are matched by the name of the schema they reference, else by position.
                    let name = item
                        .get("$ref")
                        .and_then(Node::as_str)
                        .map_or(format!("#{i}"), |r| {
                            r.rsplit('/').next().unwrap_or(r).to_owned()
                        });
                    (
                        name,
                        At {
                            doc: v.doc,
                            pointer: format!("{base}/{i}"),
                        },
                    )
                })
                .collect()
        };
        let (ov, nv) = (list(o, self.old), list(n, self.new));
        if ov.is_empty() && nv.is_empty() {
            return;
        }
        for (name, at) in &ov {
            match nv.iter().find(|(m, _)| m == name) {
                Some((_, new_at)) => {
                    self.compare(at, new_at, &format!("{path}<{key} {name}>"), depth + 1)
                }
                None => {
                    let level = self.level(false, Level::Breaking);
                    self.push(
                        &checks::VARIANT_REMOVED,
                        level,
                        path,
                        format!("{key} alternative `{name}` removed"),
                        Some((at.doc, &at.pointer)),
                        Some((n.doc, &n.pointer)),
                    );
                }
            }
        }
        for (name, at) in &nv {
            if !ov.iter().any(|(m, _)| m == name) {
                let level = self.level(true, Level::Breaking);
                self.push(
                    &checks::VARIANT_ADDED,
                    level,
                    path,
                    format!("{key} alternative `{name}` added"),
                    Some((o.doc, &o.pointer)),
                    Some((at.doc, &at.pointer)),
                );
            }
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn list(values: &[&String]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The schema at `at` with `$ref`s followed and `allOf` merged.
fn view<'a>(side: Side<'a>, at: &At) -> Option<View<'a>> {
    let (doc, pointer, node) = side.ws.deref(at.doc, &at.pointer)?;
    let mut v = View {
        doc,
        pointer: pointer.clone(),
        node,
        properties: BTreeMap::new(),
        required: BTreeSet::new(),
        types: BTreeSet::new(),
        nullable: false,
        closed: false,
    };
    merge(side, doc, &pointer, node, &mut v, 0);
    Some(v)
}

fn merge(side: Side<'_>, doc: DocId, pointer: &str, node: &Node, v: &mut View<'_>, depth: usize) {
    if depth > 16 {
        return;
    }
    for m in node.get("properties").into_iter().flat_map(Node::entries) {
        v.properties.entry(m.key.to_string()).or_insert_with(|| At {
            doc,
            pointer: join_pointer(&join_pointer(pointer, "properties"), &m.key),
        });
    }
    v.required.extend(
        node.get("required")
            .into_iter()
            .flat_map(Node::items)
            .filter_map(Node::as_str)
            .map(str::to_owned),
    );
    if let Some(t) = node.get("type") {
        for name in t
            .as_str()
            .into_iter()
            .chain(t.items().filter_map(Node::as_str))
        {
            if name == "null" {
                v.nullable = true;
            } else {
                v.types.insert(name.to_owned());
            }
        }
    }
    if node.get("nullable").and_then(Node::as_bool) == Some(true) {
        v.nullable = true;
    }
    if node.get("additionalProperties").and_then(Node::as_bool) == Some(false)
        || node.get("unevaluatedProperties").and_then(Node::as_bool) == Some(false)
    {
        v.closed = true;
    }
    for (i, _) in node
        .get("allOf")
        .into_iter()
        .flat_map(Node::items)
        .enumerate()
    {
        let part = format!("{}/{i}", join_pointer(pointer, "allOf"));
        if let Some((pdoc, pptr, pnode)) = side.ws.deref(doc, &part) {
            merge(side, pdoc, &pptr, pnode, v, depth + 1);
        }
    }
}
