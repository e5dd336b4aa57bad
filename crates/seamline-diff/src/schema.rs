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
        // Undeclared properties allowed with any value (no keyword, `true`, `{}`) against a schema for them: the
        // schema compared with nothing is a bound set or unset.
        let constrained = |v: &View<'_>| {
            v.node
                .get("additionalProperties")
                .is_some_and(|a| a.entries().next().is_some())
        };
        let (oc, nc) = (constrained(&o), constrained(&n));
        if oc != nc && !o.closed && !n.closed {
            let widens = oc;
            let level = self.level(widens, Level::Warning);
            let message = if widens {
                "undeclared properties are no longer constrained by a schema"
            } else {
                "undeclared properties are now constrained by a schema"
            };
            self.push(
                &checks::ADDITIONAL_PROPERTIES_CHANGED,
                level,
                path,
                message.to_owned(),
                Some(op),
                Some(np),
            );
        }
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

    /// Whether two schemas describe the same data: comparing them finds nothing.
    fn same(&self, old: &At, new: &At, depth: usize) -> bool {
        let mut scratch = Vec::new();
        let mut trial = SchemaDiff::new(
            self.old,
            self.new,
            self.options,
            String::new(),
            self.flow,
            &mut scratch,
        );
        trial.compare(old, new, "", depth + 1);
        scratch.is_empty()
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
        const BOUNDS: [(&str, bool); 6] = [
            ("maxLength", true),
            ("maxItems", true),
            ("maxProperties", true),
            ("minLength", false),
            ("minItems", false),
            ("minProperties", false),
        ];
        let (op, np) = ((o.doc, o.pointer.as_str()), (n.doc, n.pointer.as_str()));
        for (key, larger_accepts_more) in BOUNDS {
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
        // Numeric bounds are compared as the effective bound of `maximum`/`exclusiveMaximum` (and of the minimum
        // pair), so that 3.0's boolean `exclusiveMaximum: true` and 3.1's numeric form are the same bound, and
        // `maximum: 100` becoming `exclusiveMaximum: 100` is one narrowing, not a loosening and a tightening.
        for upper in [true, false] {
            let (ob, nb) = (numeric_bound(o.node, upper), numeric_bound(n.node, upper));
            let widens = match (&ob, &nb) {
                (Some(a), Some(b)) if a.value == b.value && a.exclusive == b.exclusive => continue,
                (Some(a), Some(b)) if a.value == b.value => a.exclusive,
                (Some(a), Some(b)) => (b.value > a.value) == upper,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => continue,
            };
            let keyword = |b: &Option<Bound>| b.as_ref().map(|b| b.written.clone());
            let message = match (keyword(&ob), keyword(&nb)) {
                (Some(a), Some(b)) if a != b => format!(
                    "bound changed from `{}` to `{}`",
                    ob.as_ref().map_or(String::new(), Bound::show),
                    nb.as_ref().map_or(String::new(), Bound::show)
                ),
                (a, b) => {
                    let shown = |v: &Option<Bound>| {
                        v.as_ref()
                            .map_or("none".to_owned(), |v| v.value.to_string())
                    };
                    format!(
                        "`{}` changed from {} to {}",
                        a.or(b).unwrap_or_default(),
                        shown(&ob),
                        shown(&nb)
                    )
                }
            };
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
                    let name = variant_name(item).unwrap_or_else(|| format!("#{i}"));
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
        // A schema that becomes (or stops being) a choice is one change, not one per alternative.
        if ov.is_empty() || nv.is_empty() {
            let (widens, message) = if ov.is_empty() {
                (true, format!("became a {key} of {} alternatives", nv.len()))
            } else {
                (
                    false,
                    format!("is no longer a {key} of {} alternatives", ov.len()),
                )
            };
            let check = if widens {
                &checks::VARIANT_ADDED
            } else {
                &checks::VARIANT_REMOVED
            };
            let level = self.level(widens, Level::Breaking);
            self.push(
                check,
                level,
                path,
                message,
                Some((o.doc, &o.pointer)),
                Some((n.doc, &n.pointer)),
            );
            return;
        }
        // Pair alternatives by name; then pair what is left by content, so an alternative that only moved
        // behind a `$ref` (and so changed its name) is not read as removed and added.
        let mut new_used = vec![false; nv.len()];
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        let mut left: Vec<usize> = Vec::new();
        for (oi, (name, _)) in ov.iter().enumerate() {
            match nv
                .iter()
                .enumerate()
                .position(|(ni, (m, _))| m == name && !new_used[ni])
            {
                Some(ni) => {
                    new_used[ni] = true;
                    pairs.push((oi, ni));
                }
                None => left.push(oi),
            }
        }
        left.retain(|&oi| {
            let same =
                (0..nv.len()).find(|&ni| !new_used[ni] && self.same(&ov[oi].1, &nv[ni].1, depth));
            if let Some(ni) = same {
                new_used[ni] = true;
                pairs.push((oi, ni));
            }
            same.is_none()
        });
        for (oi, ni) in pairs {
            let (name, at) = &ov[oi];
            self.compare(at, &nv[ni].1, &format!("{path}<{key} {name}>"), depth + 1);
        }
        for oi in left {
            let (name, at) = &ov[oi];
            let level = self.level(false, Level::Breaking);
            let message = format!("{key} alternative `{name}` removed");
            self.push(
                &checks::VARIANT_REMOVED,
                level,
                path,
                message,
                Some((at.doc, &at.pointer)),
                Some((n.doc, &n.pointer)),
            );
        }
        for (ni, (name, at)) in nv.iter().enumerate() {
            if !new_used[ni] {
                let level = self.level(true, Level::Breaking);
                let message = format!("{key} alternative `{name}` added");
                self.push(
                    &checks::VARIANT_ADDED,
                    level,
                    path,
                    message,
                    Some((o.doc, &o.pointer)),
                    Some((at.doc, &at.pointer)),
                );
            }
        }
    }
}

/// What identifies a `oneOf`/`anyOf` alternative across versions, so inserting or reordering alternatives is not
/// read as changing them: the name of the schema it references, its `title`, or a discriminating property with
/// one allowed value (`type: {enum: [file_path_restriction]}`, `kind: {const: card}`). `None`: match by position.
fn variant_name(item: &Node) -> Option<String> {
    if let Some(reference) = item.get("$ref").and_then(Node::as_str) {
        return Some(reference.rsplit('/').next().unwrap_or(reference).to_owned());
    }
    if let Some(title) = item.get("title").and_then(Node::as_str) {
        return Some(title.to_owned());
    }
    // An `allOf` of named parts is named by its parts: `file-path-restriction+ruleset-info`.
    if let Some(parts) = item.get("allOf").and_then(Node::as_array) {
        let names: Vec<String> = parts.iter().filter_map(variant_name).collect();
        if !names.is_empty() {
            return Some(names.join("+"));
        }
    }
    item.get("properties")?.entries().find_map(|m| {
        let only = m.value.get("const").or_else(|| {
            let values = m.value.get("enum")?.as_array()?;
            (values.len() == 1).then(|| &values[0])
        })?;
        Some(format!("{}={}", m.key, only.to_json()))
    })
}

/// The effective upper (or lower) numeric bound of a schema.
struct Bound {
    value: f64,
    exclusive: bool,
    /// The keywords that state it, as written: `maximum`, `exclusiveMaximum`, or 3.0's `maximum` with
    /// `exclusiveMaximum: true`.
    written: String,
}

impl Bound {
    fn show(&self) -> String {
        match self.written.split_once(' ') {
            Some((key, flag)) => format!("{key}: {}, {flag}: true", self.value),
            None => format!("{}: {}", self.written, self.value),
        }
    }
}

/// `maximum` and `exclusiveMaximum` (or the minimum pair) as one bound: the tighter of the two when both are
/// numbers (3.1), the inclusive one made exclusive by a boolean `exclusiveMaximum: true` (3.0).
fn numeric_bound(node: &Node, upper: bool) -> Option<Bound> {
    let (inclusive_key, exclusive_key) = if upper {
        ("maximum", "exclusiveMaximum")
    } else {
        ("minimum", "exclusiveMinimum")
    };
    let exclusive = node.get(exclusive_key);
    let flag = exclusive.and_then(Node::as_bool) == Some(true);
    let inclusive = node
        .get(inclusive_key)
        .and_then(Node::as_f64)
        .map(|value| Bound {
            value,
            exclusive: flag,
            written: if flag {
                format!("{inclusive_key} {exclusive_key}")
            } else {
                inclusive_key.to_owned()
            },
        });
    let exclusive = exclusive.and_then(Node::as_f64).map(|value| Bound {
        value,
        exclusive: true,
        written: exclusive_key.to_owned(),
    });
    match (inclusive, exclusive) {
        (Some(a), Some(b)) => {
            let b_tighter = if upper {
                b.value <= a.value
            } else {
                b.value >= a.value
            };
            Some(if b_tighter { b } else { a })
        }
        (a, b) => a.or(b),
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
