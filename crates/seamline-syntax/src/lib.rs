//! YAML 1.2, JSON and TOML read into one value tree that keeps the source span of every key and value.
//!
//! This crate knows nothing about OpenAPI, AsyncAPI or manifests. It turns bytes into a [`Node`] tree plus a
//! list of [`SyntaxProblem`]s, and never fails or panics on any input: problems in the input are data.

mod json;
mod limits;
mod node;
mod pointer;
mod problem;
mod source;
mod to_json;
mod toml;
mod yaml;

pub use limits::Limits;
pub use node::{Member, Node, Object, Value};
pub use pointer::{escape_token, join_pointer, unescape_token};
pub use problem::{ProblemKind, SyntaxProblem};
pub use source::{LineCol, SourceFile, Span};

/// The surface syntax of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
    Toml,
}

impl Format {
    /// Guesses the format from a file name, falling back to sniffing the text: JSON when it starts with `{` or
    /// `[`, YAML otherwise (JSON is valid YAML, so the guess is safe either way).
    pub fn detect(name: &str, text: &[u8]) -> Format {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".json") {
            Format::Json
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Format::Yaml
        } else if lower.ends_with(".toml") {
            Format::Toml
        } else {
            match text.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'{') | Some(b'[') => Format::Json,
                _ => Format::Yaml,
            }
        }
    }
}

/// The result of reading one document: the tree (absent when nothing could be read) and what was wrong.
#[derive(Debug)]
pub struct Parsed {
    pub source: SourceFile,
    pub root: Option<Node>,
    pub problems: Vec<SyntaxProblem>,
}

/// Reads `bytes` as `format`. `name` is how the file is shown in diagnostics.
pub fn parse(name: &str, bytes: &[u8], format: Format, limits: &Limits) -> Parsed {
    let mut problems = Vec::new();
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(err) => {
            let lossy = String::from_utf8_lossy(bytes).into_owned();
            let at = err.valid_up_to() as u32;
            // In the lossy text the bad bytes became U+FFFD, three bytes long.
            problems.push(SyntaxProblem::new(
                ProblemKind::InvalidUtf8,
                Span::new(at, at + '\u{FFFD}'.len_utf8() as u32),
                "the file is not valid UTF-8",
            ));
            return Parsed {
                source: SourceFile::new(name, lossy),
                root: None,
                problems,
            };
        }
    };
    let source = SourceFile::new(name, text);
    if bytes.len() > limits.max_bytes {
        problems.push(SyntaxProblem::new(
            ProblemKind::TooLarge,
            Span::new(0, 0),
            format!(
                "the file is {} bytes, over the limit of {} bytes",
                bytes.len(),
                limits.max_bytes
            ),
        ));
        return Parsed {
            source,
            root: None,
            problems,
        };
    }
    let root = match format {
        Format::Json => json::parse(source.text(), limits, &mut problems),
        Format::Yaml => yaml::parse(&source, limits, &mut problems),
        Format::Toml => toml::parse(source.text(), limits, &mut problems),
    };
    Parsed {
        source,
        root,
        problems,
    }
}
