//! JSON Pointers (RFC 6901) over the tree: the index from a pointer to the span a diagnostic shows.

use crate::{Node, Span, Value};

/// Decodes `~1` to `/` and `~0` to `~`, in that order as RFC 6901 requires.
pub fn unescape_token(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains('~') {
        token.replace("~1", "/").replace("~0", "~").into()
    } else {
        token.into()
    }
}

/// Encodes `~` as `~0` and `/` as `~1`.
pub fn escape_token(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains(['~', '/']) {
        token.replace('~', "~0").replace('/', "~1").into()
    } else {
        token.into()
    }
}

/// `base` with `token` appended as one escaped reference token.
pub fn join_pointer(base: &str, token: &str) -> String {
    let mut out = String::with_capacity(base.len() + token.len() + 1);
    out.push_str(base);
    out.push('/');
    out.push_str(&escape_token(token));
    out
}

impl Node {
    /// The node at `pointer` (`""` is the root), or `None` when any step is missing. Malformed array indices
    /// (leading zeros, signs) do not match, as RFC 6901 says.
    pub fn pointer(&self, pointer: &str) -> Option<&Node> {
        self.locate(pointer).map(|(node, _)| node)
    }

    /// Like [`Node::pointer`], also giving the span of the key that holds the node (for members).
    pub fn locate(&self, pointer: &str) -> Option<(&Node, Option<Span>)> {
        if pointer.is_empty() {
            return Some((self, None));
        }
        let rest = pointer.strip_prefix('/')?;
        let mut node = self;
        let mut key_span = None;
        for raw in rest.split('/') {
            let token = unescape_token(raw);
            match &node.value {
                Value::Object(o) => {
                    let member = o.member(&token)?;
                    key_span = Some(member.key_span);
                    node = &member.value;
                }
                Value::Array(items) => {
                    if token.is_empty()
                        || (token.len() > 1 && token.starts_with('0'))
                        || !token.bytes().all(|b| b.is_ascii_digit())
                    {
                        return None;
                    }
                    node = items.get(token.parse::<usize>().ok()?)?;
                    key_span = None;
                }
                _ => return None,
            }
        }
        Some((node, key_span))
    }

    /// The deepest node on the way to `pointer` and the part of the pointer it reached; for diagnostics about
    /// places that do not exist, so they can point at the nearest thing that does.
    pub fn nearest(&self, pointer: &str) -> (&Node, usize) {
        let mut node = self;
        let mut reached = 0;
        let Some(rest) = pointer.strip_prefix('/') else {
            return (node, 0);
        };
        let mut offset = 1;
        for raw in rest.split('/') {
            let next = match &node.value {
                Value::Object(o) => o.get(&unescape_token(raw)),
                Value::Array(items) => raw.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            match next {
                Some(n) => {
                    node = n;
                    reached = offset + raw.len();
                    offset = reached + 1;
                }
                None => break,
            }
        }
        (node, reached)
    }
}

impl Node {
    /// Calls `f(pointer, node)` for this node and every node below it, in document order.
    pub fn visit(&self, f: &mut dyn FnMut(&str, &Node)) {
        visit(self, &mut String::new(), f);
    }
}

fn visit(node: &Node, pointer: &mut String, f: &mut dyn FnMut(&str, &Node)) {
    f(pointer, node);
    match &node.value {
        Value::Object(o) => {
            for m in o.members() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape_token(&m.key));
                visit(&m.value, pointer, f);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                visit(item, pointer, f);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Format, Limits, parse};

    fn doc(text: &str) -> Node {
        parse("t.json", text.as_bytes(), Format::Json, &Limits::default())
            .root
            .unwrap()
    }

    #[test]
    fn escapes_follow_rfc_6901() {
        let root = doc(r#"{"a/b": {"m~n": [10, 20]}, "": 1}"#);
        assert_eq!(
            root.pointer("/a~1b/m~0n/1").and_then(Node::as_i64),
            Some(20)
        );
        assert_eq!(root.pointer("/").and_then(Node::as_i64), Some(1));
        assert!(root.pointer("/a~1b/m~0n/01").is_none());
        assert!(root.pointer("/a~1b/m~0n/-").is_none());
        assert!(root.pointer("a").is_none());
        assert_eq!(unescape_token("~01"), "~1");
        assert_eq!(
            join_pointer("/paths", "/users/{id}"),
            "/paths/~1users~1{id}"
        );
    }

    #[test]
    fn nearest_stops_at_the_last_existing_step() {
        let root = doc(r#"{"a": {"b": 1}}"#);
        let (node, reached) = root.nearest("/a/c/d");
        assert_eq!(reached, 2);
        assert!(node.get("b").is_some());
    }
}
