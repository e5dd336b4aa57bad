use seamline_diagnostics::{Diagnostic, Label, Severity};
use seamline_model::{DocId, Workspace};

use crate::checks::Check;

/// How much a change matters to the other side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Info,
    Warning,
    Breaking,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Breaking => "breaking",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Level::Info => Severity::Info,
            Level::Warning => Severity::Warning,
            Level::Breaking => Severity::Error,
        }
    }
}

/// One version of a contract: a document in a workspace.
#[derive(Clone, Copy)]
pub struct Side<'a> {
    pub ws: &'a Workspace,
    pub doc: DocId,
}

impl Side<'_> {
    /// A label at `pointer` of `doc` in this side's workspace, on the key when there is one.
    pub(crate) fn label(&self, doc: DocId, pointer: &str) -> Option<Label> {
        let d = self.ws.doc(doc);
        let span = d.span_of(pointer, true).or_else(|| {
            let (_, reached) = d.root.as_ref()?.nearest(pointer);
            d.span_of(&pointer[..reached], true)
        })?;
        Some(Label::new(&d.source, span))
    }
}

/// What a change touches, in the terms a consumer's `seam.toml` uses to say what it uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Usage {
    /// An HTTP operation, by operationId when it has one.
    Operation { id: Option<String> },
    /// An event message, by name and major version.
    Message { name: String, version: Option<u32> },
    /// Something every consumer of the contract depends on (a channel, the document itself).
    #[default]
    Everyone,
}

impl Usage {
    /// Whether a consumer that uses `used` (operationIds, and messages as `name` or `name@version`, as
    /// `seam.lock` records them) is concerned; one that lists nothing uses everything.
    pub fn used_by(&self, used: &[String]) -> bool {
        if used.is_empty() {
            return true;
        }
        match self {
            Usage::Everyone => true,
            Usage::Operation { id } => id.as_ref().is_none_or(|id| used.contains(id)),
            Usage::Message { name, version } => used.iter().any(|u| {
                let r = seamline_model::MessageRef::parse(u);
                &r.name == name
                    && (r.version.is_none() || version.is_none() || r.version == *version)
            }),
        }
    }
}

/// A classified change.
#[derive(Debug, Clone)]
pub struct Change {
    pub usage: Usage,
    pub check: &'static Check,
    pub level: Level,
    /// What changed, as a reader names it: `GET /orders/{id}`, `inventory.stock_reserved@2`.
    pub subject: String,
    /// Where inside the subject: `response 200 application/json: items[].sku`.
    pub path: String,
    pub message: String,
    pub old: Option<Label>,
    pub new: Option<Label>,
}

impl Change {
    pub(crate) fn sort_key(&self) -> (String, String, &'static str, String) {
        (
            self.subject.clone(),
            self.path.clone(),
            self.check.id,
            self.message.clone(),
        )
    }

    /// The change as a diagnostic: breaking is an error; the new side is the primary place, the old one the
    /// secondary (or the primary, for what was removed).
    pub fn to_diagnostic(&self) -> Diagnostic {
        let message = if self.path.is_empty() {
            format!("{}: {}", self.subject, self.message)
        } else {
            format!("{} {}: {}", self.subject, self.path, self.message)
        };
        let mut d = Diagnostic::new(
            self.check.code,
            self.check.id,
            self.level.severity(),
            message,
        );
        match (&self.new, &self.old) {
            (Some(new), old) => {
                d = d.with_primary(new.clone());
                if let Some(old) = old {
                    d = d.with_secondary(old.clone().with_message("before"));
                }
            }
            (None, Some(old)) => d = d.with_primary(old.clone().with_message("before")),
            (None, None) => {}
        }
        d
    }
}
