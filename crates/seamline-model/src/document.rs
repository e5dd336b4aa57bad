use std::path::PathBuf;

use seamline_syntax::{Node, SourceFile, Span, SyntaxProblem};

/// Index of a document in its [`crate::Workspace`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocId(pub usize);

/// One file as read: its tree when it could be read, and what was wrong with it.
#[derive(Debug)]
pub struct Document {
    /// The canonical path, used to recognise the same file reached by different references.
    pub path: PathBuf,
    pub source: SourceFile,
    pub root: Option<Node>,
    pub problems: Vec<SyntaxProblem>,
    /// Why the file could not be read at all (missing, unreadable), when that is the case.
    pub io_error: Option<String>,
}

impl Document {
    /// The node at `pointer` and the span to show for it: the key for members (so a caret lands on `get:`
    /// rather than under a whole block), the value otherwise.
    pub fn span_of(&self, pointer: &str, prefer_key: bool) -> Option<Span> {
        let (node, key) = self.root.as_ref()?.locate(pointer)?;
        Some(match key {
            Some(key) if prefer_key => key,
            _ => node.span,
        })
    }

    pub fn node(&self, pointer: &str) -> Option<&Node> {
        self.root.as_ref()?.pointer(pointer)
    }

    pub fn name(&self) -> &str {
        self.source.name()
    }
}
