//! `$ref` parsing, and the check that reports every reference that does not resolve.

use std::collections::{BTreeSet, HashSet};
use std::fmt;

use seamline_syntax::{Node, Span, join_pointer};

use crate::document::DocId;
use crate::workspace::Workspace;

/// Where a reference points: a document and a JSON Pointer in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    pub doc: DocId,
    pub pointer: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefError {
    /// An `http(s)://` reference, refused unless `--allow-remote-refs` is given.
    Remote,
    /// A remote reference accepted with `--allow-remote-refs`; it is not fetched.
    RemoteSkipped,
    EscapesRoot,
    FileNotFound,
    PointerNotFound,
    /// A fragment that is not a JSON Pointer (such as a plain-name anchor).
    UnsupportedFragment,
    /// The reference chain comes back to itself without reaching a value.
    Cycle,
    /// `$ref` whose value is not a string.
    NotAString,
}

impl fmt::Display for RefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RefError::Remote => "remote references are refused",
            RefError::RemoteSkipped => "remote reference not followed",
            RefError::EscapesRoot => "the reference leaves the repository",
            RefError::FileNotFound => "the referenced file does not exist or cannot be read",
            RefError::PointerNotFound => "nothing exists at this JSON Pointer",
            RefError::UnsupportedFragment => "only JSON Pointer fragments (`#/...`) are supported",
            RefError::Cycle => "the reference chain is circular and never reaches a value",
            RefError::NotAString => "`$ref` must be a string",
        })
    }
}

/// A reference that does not resolve, found by [`Workspace::ref_problems`].
#[derive(Debug, Clone)]
pub struct RefProblem {
    pub doc: DocId,
    /// Pointer of the `$ref` member's value.
    pub pointer: String,
    pub span: Span,
    pub reference: String,
    pub error: RefError,
}

/// Calls `f(pointer_of_ref_value, value)` for every `$ref` member under `node`, whatever its value.
pub(crate) fn for_each_ref(node: &Node, f: &mut dyn FnMut(&str, &Node)) {
    node.visit(&mut |pointer, n| {
        if let Some(r) = n.get("$ref") {
            f(&join_pointer(pointer, "$ref"), r);
        }
    });
}

pub(crate) fn split(reference: &str) -> (&str, &str) {
    match reference.split_once('#') {
        Some((file, fragment)) => (file, fragment),
        None => (reference, ""),
    }
}

pub(crate) fn is_remote(file: &str) -> bool {
    let lower = file.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("//")
}

/// Decodes `%XX` escapes, as a URI fragment or path may carry them. Invalid escapes are kept as written.
pub(crate) fn percent_decode(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('%') {
        return text.into();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned().into()
}

/// The JSON Pointer a fragment names: `""` or `"/a/b"`.
pub(crate) fn fragment_pointer(fragment: &str) -> Result<String, RefError> {
    let decoded = percent_decode(fragment);
    if decoded.is_empty() || decoded.starts_with('/') {
        Ok(decoded.into_owned())
    } else {
        Err(RefError::UnsupportedFragment)
    }
}

impl Workspace {
    /// Every reference in every loaded document that does not resolve, each reported once; a circular chain is
    /// reported once, at its first member in document order.
    pub fn ref_problems(&self) -> Vec<RefProblem> {
        let mut problems = Vec::new();
        let mut cycles_seen: HashSet<BTreeSet<Target>> = HashSet::new();
        for (id, doc) in self.docs() {
            let Some(root) = &doc.root else { continue };
            for_each_ref(root, &mut |pointer, value| {
                let (reference, span) = (value.as_str().unwrap_or_default(), value.span);
                let resolved = match value.as_str() {
                    Some(reference) => self.resolve(id, reference),
                    // A property named `$ref` inside `properties` is data, not a reference.
                    None if pointer.contains("/properties/") => return,
                    None => Err(RefError::NotAString),
                };
                let error = match resolved {
                    Err(RefError::RemoteSkipped) => return,
                    Err(error) => Some(error),
                    Ok(target) => self
                        .chain_cycle(target)
                        .and_then(|cycle| cycles_seen.insert(cycle).then_some(RefError::Cycle)),
                };
                if let Some(error) = error {
                    problems.push(RefProblem {
                        doc: id,
                        pointer: pointer.to_owned(),
                        span,
                        reference: reference.to_owned(),
                        error,
                    });
                }
            });
        }
        problems
    }

    /// The set of targets in a circular chain starting at `target`, when the chain is circular.
    fn chain_cycle(&self, target: Target) -> Option<BTreeSet<Target>> {
        let mut path = vec![target];
        loop {
            let current = path.last()?;
            let node = self.doc(current.doc).node(&current.pointer)?;
            let reference = node.get("$ref")?.as_str()?;
            let next = self.resolve(current.doc, reference).ok()?;
            if let Some(at) = path.iter().position(|t| *t == next) {
                return Some(path[at..].iter().cloned().collect());
            }
            if path.len() > 64 {
                return None;
            }
            path.push(next);
        }
    }
}
