use std::collections::HashMap;
use std::sync::OnceLock;

use crate::Span;

/// A value and the span of its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(Box<str>),
    Array(Vec<Node>),
    Object(Object),
}

/// An object's members in source order. Keys are unique: the reader reports duplicates and keeps the last.
///
/// Large objects (an OpenAPI document's `paths` or `components.schemas` may hold thousands of members) get a
/// hash index on first lookup, so following `$ref`s and pointers stays linear in the size of the document.
#[derive(Debug, Clone, Default)]
pub struct Object {
    members: Vec<Member>,
    index: OnceLock<HashMap<Box<str>, u32>>,
}

/// Objects up to this size are searched member by member, which is faster than hashing.
const INDEX_FROM: usize = 16;

impl PartialEq for Object {
    fn eq(&self, other: &Self) -> bool {
        self.members == other.members
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub key: Box<str>,
    pub key_span: Span,
    pub value: Node,
}

impl Object {
    /// An object of `members`, whose keys must be unique.
    pub fn new(members: Vec<Member>) -> Self {
        Object {
            members,
            index: OnceLock::new(),
        }
    }

    pub fn members(&self) -> &[Member] {
        &self.members
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.member(key).map(|m| &m.value)
    }

    pub fn member(&self, key: &str) -> Option<&Member> {
        if self.members.len() < INDEX_FROM {
            return self.members.iter().find(|m| &*m.key == key);
        }
        let index = self.index.get_or_init(|| {
            self.members
                .iter()
                .enumerate()
                .map(|(i, m)| (m.key.clone(), i as u32))
                .collect()
        });
        index.get(key).map(|&i| &self.members[i as usize])
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.members.iter().map(|m| (&*m.key, &m.value))
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

impl Node {
    pub fn new(value: Value, span: Span) -> Self {
        Node { value, span }
    }

    pub fn as_object(&self) -> Option<&Object> {
        match &self.value {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self.value {
            Value::Int(i) => Some(i as f64),
            Value::Float(f) => Some(f),
            _ => None,
        }
    }

    /// The member `key` when this is an object.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_object()?.get(key)
    }

    /// The members of an object, or nothing.
    pub fn entries(&self) -> impl Iterator<Item = &Member> {
        self.as_object().into_iter().flat_map(|o| o.members.iter())
    }

    /// The items of an array, or nothing.
    pub fn items(&self) -> impl Iterator<Item = &Node> {
        self.as_array().into_iter().flatten()
    }

    /// A short name of the value's type, as JSON Schema names types.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// How many nodes this subtree holds, itself included.
    pub fn count(&self) -> usize {
        1 + match &self.value {
            Value::Array(items) => items.iter().map(Node::count).sum(),
            Value::Object(o) => o.members.iter().map(|m| m.value.count()).sum(),
            _ => 0,
        }
    }
}

/// Builds an object from members in source order, reporting duplicate keys and keeping the last of each, as
/// JSON.parse and most YAML loaders do, so later tools see what other tools see.
pub(crate) fn finish_object(
    mut members: Vec<Member>,
    problems: &mut Vec<crate::SyntaxProblem>,
) -> Object {
    if members.len() < 2 {
        return Object::new(members);
    }
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.sort_by(|&a, &b| members[a].key.cmp(&members[b].key).then(a.cmp(&b)));
    let mut dropped = Vec::new();
    for pair in order.windows(2) {
        let (first, second) = (&members[pair[0]], &members[pair[1]]);
        if first.key == second.key {
            let mut problem = crate::SyntaxProblem::new(
                crate::ProblemKind::DuplicateKey,
                second.key_span,
                format!("duplicate key `{}`; the last one wins", second.key),
            );
            problem.related = Some((first.key_span, "first defined here".to_owned()));
            problems.push(problem);
            dropped.push(pair[0]);
        }
    }
    if !dropped.is_empty() {
        dropped.sort_unstable();
        let mut index = 0;
        members.retain(|_| {
            let keep = dropped.binary_search(&index).is_err();
            index += 1;
            keep
        });
    }
    Object::new(members)
}
