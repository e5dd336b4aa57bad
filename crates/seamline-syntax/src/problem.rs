use crate::Span;

/// What went wrong while reading a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// The text does not follow the grammar of its format.
    Syntax,
    InvalidUtf8,
    TooLarge,
    TooDeep,
    /// YAML aliases would expand past [`crate::Limits::max_alias_nodes`].
    AliasExpansion,
    DuplicateKey,
    /// A YAML feature the tree cannot hold (complex keys, several documents); the rest is still read.
    Unsupported,
}

/// One problem found while reading, with the span it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxProblem {
    pub kind: ProblemKind,
    pub span: Span,
    pub message: String,
    /// Another place that explains the problem, such as the first occurrence of a duplicate key.
    pub related: Option<(Span, String)>,
}

impl SyntaxProblem {
    pub fn new(kind: ProblemKind, span: Span, message: impl Into<String>) -> Self {
        SyntaxProblem {
            kind,
            span,
            message: message.into(),
            related: None,
        }
    }
}
