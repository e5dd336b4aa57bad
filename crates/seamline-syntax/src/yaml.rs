//! A YAML 1.2 reader over saphyr-parser's events: plain scalars are resolved with the core schema, anchors
//! and aliases are expanded within a budget, and every node keeps its span.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};

use crate::node::finish_object;
use crate::{Limits, Member, Node, ProblemKind, SourceFile, Span, SyntaxProblem, Value};

pub(crate) fn parse(
    source: &SourceFile,
    limits: &Limits,
    problems: &mut Vec<SyntaxProblem>,
) -> Option<Node> {
    let mut builder = Builder {
        source,
        limits,
        problems,
        stack: Vec::new(),
        anchors: HashMap::new(),
        expanded: 0,
        root: None,
        documents: 0,
    };
    let mut parser = Parser::new_from_str(source.text());
    while let Some(next) = parser.next_event() {
        match next {
            Ok((event, span)) => {
                let span = builder.span(&span);
                match builder.event(event, span) {
                    Flow::Go => {}
                    Flow::Done => break,
                    Flow::Abort => return None,
                }
            }
            Err(err) => {
                let m = err.marker();
                let at = source.offset_of(m.line(), m.col());
                // saphyr guards its own recursion; that is our depth limit seen from the other side.
                let (kind, message) = if err.info().contains("recursion limit") {
                    (
                        ProblemKind::TooDeep,
                        "nesting too deep for the YAML reader".to_owned(),
                    )
                } else {
                    (ProblemKind::Syntax, err.info().to_owned())
                };
                builder
                    .problems
                    .push(SyntaxProblem::new(kind, point(source, at), message));
                return None;
            }
        }
    }
    if builder.root.is_none() && builder.problems.is_empty() {
        // An empty YAML stream is a null document; say so rather than hand back nothing silently.
        return Some(Node::new(Value::Null, Span::new(0, 0)));
    }
    builder.root
}

/// A one-character span at `at`, or an empty one at the end of the text.
fn point(source: &SourceFile, at: u32) -> Span {
    let text = source.text();
    let end = text[at as usize..]
        .chars()
        .next()
        .map_or(at, |c| at + c.len_utf8() as u32);
    Span::new(at, end)
}

enum Flow {
    Go,
    Done,
    Abort,
}

enum Frame {
    Seq {
        start: u32,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: u32,
        anchor: usize,
        members: Vec<Member>,
        key: Option<(Box<str>, Span)>,
        /// Set after a key that the tree cannot hold; its value is read and dropped.
        skip_value: bool,
    },
}

struct Builder<'a, 'p> {
    source: &'a SourceFile,
    limits: &'a Limits,
    problems: &'p mut Vec<SyntaxProblem>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    expanded: usize,
    root: Option<Node>,
    documents: usize,
}

impl Builder<'_, '_> {
    fn span(&self, span: &saphyr_parser::Span) -> Span {
        let start = self.source.offset_of(span.start.line(), span.start.col());
        let end = self.source.offset_of(span.end.line(), span.end.col());
        Span::new(start, end.max(start))
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Flow {
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    self.problems.push(SyntaxProblem::new(
                        ProblemKind::Unsupported,
                        span,
                        "the file holds more than one YAML document; only the first is read",
                    ));
                    return Flow::Done;
                }
                Flow::Go
            }
            Event::Scalar(text, style, anchor, tag) => {
                let value = resolve_scalar(&text, style, tag.as_deref());
                let node = Node::new(value, tight(self.source.text(), span, style));
                self.complete(node, anchor, Some(text.as_ref().into()))
            }
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id) else {
                    self.problems.push(SyntaxProblem::new(
                        ProblemKind::Syntax,
                        span,
                        "this alias names no anchor defined before it",
                    ));
                    return Flow::Abort;
                };
                self.expanded += node.count();
                if self.expanded > self.limits.max_alias_nodes {
                    self.problems.push(SyntaxProblem::new(
                        ProblemKind::AliasExpansion,
                        span,
                        format!(
                            "aliases expand to more than {} nodes; the file is refused to guard against \
                             alias bombs",
                            self.limits.max_alias_nodes
                        ),
                    ));
                    return Flow::Abort;
                }
                let mut node = node.clone();
                node.span = span;
                let key = node.as_str().map(Into::into);
                self.complete(node, 0, key)
            }
            Event::SequenceStart(anchor, _) => {
                if !self.enter(span) {
                    return Flow::Abort;
                }
                self.stack.push(Frame::Seq {
                    start: span.start,
                    anchor,
                    items: Vec::new(),
                });
                Flow::Go
            }
            Event::MappingStart(anchor, _) => {
                if !self.enter(span) {
                    return Flow::Abort;
                }
                self.stack.push(Frame::Map {
                    start: span.start,
                    anchor,
                    members: Vec::new(),
                    key: None,
                    skip_value: false,
                });
                Flow::Go
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Flow::Abort;
                };
                let (node, anchor) = match frame {
                    Frame::Seq {
                        start,
                        anchor,
                        items,
                    } => {
                        let end = items.last().map_or(span.end, |n| n.span.end.max(start));
                        (
                            Node::new(Value::Array(items), Span::new(start, end)),
                            anchor,
                        )
                    }
                    Frame::Map {
                        start,
                        anchor,
                        members,
                        ..
                    } => {
                        let end = members
                            .last()
                            .map_or(span.end, |m| m.value.span.end.max(start));
                        let object = finish_object(members, self.problems);
                        (
                            Node::new(Value::Object(object), Span::new(start, end.max(start))),
                            anchor,
                        )
                    }
                };
                self.complete(node, anchor, None)
            }
            Event::DocumentEnd | Event::StreamStart | Event::Nothing => Flow::Go,
            Event::StreamEnd => Flow::Done,
        }
    }

    fn enter(&mut self, span: Span) -> bool {
        if self.stack.len() >= self.limits.max_depth {
            self.problems.push(SyntaxProblem::new(
                ProblemKind::TooDeep,
                span,
                format!("nesting deeper than {} levels", self.limits.max_depth),
            ));
            return false;
        }
        true
    }

    /// Places a finished node into its parent. `scalar` is the raw text of a scalar, which is what a mapping
    /// key becomes (so `200:` and `"200":` are the same key, as OpenAPI writers expect).
    fn complete(&mut self, node: Node, anchor: usize, scalar: Option<Box<str>>) -> Flow {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                members,
                key,
                skip_value,
                ..
            }) => match key.take() {
                None if *skip_value => *skip_value = false,
                None => match scalar {
                    Some(text) if !matches!(node.value, Value::Null) || !text.is_empty() => {
                        *key = Some((text, node.span));
                    }
                    _ => {
                        self.problems.push(SyntaxProblem::new(
                            ProblemKind::Unsupported,
                            node.span,
                            "only scalar mapping keys are supported; this entry is skipped",
                        ));
                        *skip_value = true;
                    }
                },
                Some((text, key_span)) => members.push(Member {
                    key: text,
                    key_span,
                    value: node,
                }),
            },
        }
        Flow::Go
    }
}

/// The scalar's span without what the scanner may have taken after it (spaces, a trailing comment): a quoted
/// scalar ends at its closing quote, a plain one at its last non-blank character.
fn tight(text: &str, span: Span, style: ScalarStyle) -> Span {
    let (start, end) = (span.start as usize, (span.end as usize).min(text.len()));
    let Some(raw) = text.get(start..end) else {
        return span;
    };
    let bytes = raw.as_bytes();
    let len = match style {
        ScalarStyle::DoubleQuoted if bytes.first() == Some(&b'"') => {
            let mut i = 1;
            loop {
                match bytes.get(i) {
                    None => break bytes.len(),
                    Some(b'\\') => i += 2,
                    Some(b'"') => break i + 1,
                    Some(_) => i += 1,
                }
            }
        }
        ScalarStyle::SingleQuoted if bytes.first() == Some(&b'\'') => {
            let mut i = 1;
            loop {
                match (bytes.get(i), bytes.get(i + 1)) {
                    (None, _) => break bytes.len(),
                    (Some(b'\''), Some(b'\'')) => i += 2,
                    (Some(b'\''), _) => break i + 1,
                    _ => i += 1,
                }
            }
        }
        ScalarStyle::Plain => {
            let without_comment = raw.find(" #").map_or(raw, |at| &raw[..at]);
            without_comment.trim_end().len()
        }
        _ => return span,
    };
    Span::new(span.start, span.start + len.min(bytes.len()) as u32)
}

/// Resolves a scalar with the YAML 1.2 core schema; quoted scalars and `!!str` are always strings.
fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    let string = || Value::String(text.into());
    if let Some(tag) = tag.filter(|t| t.is_yaml_core_schema() || t.handle == "!!") {
        return match tag.suffix.as_str() {
            "str" => string(),
            "null" => Value::Null,
            _ => plain(text).unwrap_or_else(string),
        };
    }
    if style != ScalarStyle::Plain {
        return string();
    }
    plain(text).unwrap_or_else(string)
}

fn plain(text: &str) -> Option<Value> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Some(Value::Float(f64::INFINITY));
        }
        "-.inf" | "-.Inf" | "-.INF" => return Some(Value::Float(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Some(Value::Float(f64::NAN)),
        _ => {}
    }
    let bytes = text.as_bytes();
    let first = *bytes.first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return None;
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok().map(Value::Int);
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok().map(Value::Int);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(
            text.parse::<i64>()
                .map(Value::Int)
                .unwrap_or_else(|_| Value::Float(text.parse().unwrap_or(f64::NAN))),
        );
    }
    if is_core_float(digits) {
        return text.parse::<f64>().ok().map(Value::Float);
    }
    None
}

/// `( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?` from the core schema.
fn is_core_float(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
                && !(int.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}
