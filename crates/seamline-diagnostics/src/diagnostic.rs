use std::fmt;

use seamline_syntax::{LineCol, SourceFile, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A place in a file, with an optional note shown beside the caret.
#[derive(Debug, Clone)]
pub struct Label {
    pub source: SourceFile,
    pub span: Span,
    pub message: Option<String>,
}

impl Label {
    pub fn new(source: &SourceFile, span: Span) -> Self {
        Label {
            source: source.clone(),
            span,
            message: None,
        }
    }

    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    pub fn start(&self) -> LineCol {
        self.source.line_col(self.span.start)
    }

    pub fn end(&self) -> LineCol {
        self.source.line_col(self.span.end)
    }
}

/// One finding. `code` and `rule` name what found it (`SEAM-E001`, `error-response-not-problem-json`).
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub code: String,
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    /// Where it is; absent for findings about a file that could not be read at all.
    pub primary: Option<Label>,
    /// The file, when there is no label to carry it.
    pub path: Option<String>,
    /// The JSON Pointer of the node the finding is about, when it is in a document.
    pub pointer: Option<String>,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(code: &str, rule: &str, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            code: code.to_owned(),
            rule: rule.to_owned(),
            severity,
            message: message.into(),
            primary: None,
            path: None,
            pointer: None,
            secondary: Vec::new(),
            help: None,
        }
    }

    pub fn with_primary(mut self, label: Label) -> Self {
        self.primary = Some(label);
        self
    }

    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    pub fn with_pointer(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    pub fn with_secondary(mut self, label: Label) -> Self {
        self.secondary.push(label);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the help line, for diagnostics built in place.
    pub fn set_help(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(help.into());
        self
    }

    /// The file the finding is in, as shown to the user.
    pub fn file(&self) -> Option<&str> {
        self.primary
            .as_ref()
            .map(|l| l.source.name())
            .or(self.path.as_deref())
    }

    fn sort_key(&self) -> (Option<&str>, u32, &str, &str) {
        (
            self.file(),
            self.primary.as_ref().map_or(0, |l| l.span.start),
            &self.code,
            &self.message,
        )
    }
}

/// Sorts by file, position, code and message: the one order every renderer shows.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// What a renderer needs to know about a rule beyond its findings (SARIF lists every rule it ran).
#[derive(Debug, Clone)]
pub struct RuleInfo {
    pub code: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    pub default_severity: Severity,
}

/// Counts by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Summary {
    pub fn of(diagnostics: &[Diagnostic]) -> Summary {
        let mut s = Summary::default();
        for d in diagnostics {
            match d.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Info => s.infos += 1,
            }
        }
        s
    }

    pub fn total(self) -> usize {
        self.errors + self.warnings + self.infos
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: usize, word: &str| {
            if n == 1 {
                format!("1 {word}")
            } else {
                format!("{n} {word}s")
            }
        };
        write!(
            f,
            "{}, {}, {}",
            plural(self.errors, "error"),
            plural(self.warnings, "warning"),
            plural(self.infos, "info")
        )
    }
}
