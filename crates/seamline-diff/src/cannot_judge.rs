//! The answer when two versions of a contract cannot be compared. It is an error, not an empty list of changes:
//! a contract that cannot be read must never pass for one that did not change.

use std::fmt;

use seamline_diagnostics::{Diagnostic, Label, Severity};
use seamline_model::{ContractKind, DocId, Unreadable, Workspace};
use seamline_syntax::Span;

use crate::checks;

/// Why a comparison has no answer: what is wrong with each side. At least one of the two lists holds a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannotJudge {
    pub old: Vec<Unreadable>,
    pub new: Vec<Unreadable>,
}

impl CannotJudge {
    /// The two sides are contracts of kinds that cannot be compared (an OpenAPI document and an AsyncAPI one).
    pub(crate) fn kinds_differ(
        old_ws: &Workspace,
        old: DocId,
        old_kind: ContractKind,
        new_ws: &Workspace,
        new: DocId,
        new_kind: ContractKind,
    ) -> CannotJudge {
        let doc = new_ws.doc(new);
        let span = doc
            .root
            .as_ref()
            .and_then(|r| ["openapi", "asyncapi"].iter().find_map(|k| r.get(k)))
            .map_or(Span::new(0, 0), |n| n.span);
        CannotJudge {
            old: Vec::new(),
            new: vec![Unreadable {
                doc: new,
                file: doc.name().to_owned(),
                span: Some(span),
                line: Some(doc.source.line_col(span.start).line),
                reason: format!(
                    "this {} document cannot be compared with the {} document {}",
                    new_kind.label(),
                    old_kind.label(),
                    old_ws.doc(old).name()
                ),
            }],
        }
    }

    /// Every reason, the old side's first.
    pub fn reasons(&self) -> impl Iterator<Item = &Unreadable> {
        self.old.iter().chain(&self.new)
    }

    /// Each reason as an error-level finding (`SEAM-C300`, `contract-unreadable`) pointing at its place in the
    /// side it belongs to.
    pub fn to_diagnostics(&self, old_ws: &Workspace, new_ws: &Workspace) -> Vec<Diagnostic> {
        let one = |ws: &Workspace, u: &Unreadable, side: &str| {
            let check = &checks::CONTRACT_UNREADABLE;
            let d = Diagnostic::new(
                check.code,
                check.id,
                Severity::Error,
                format!("cannot judge the {side} version: {}", u.reason),
            )
            .with_help(
                "fix the file (`seam lint` shows every problem); a contract that cannot be read is never \
                 taken as unchanged",
            );
            match u.span {
                Some(span) => d.with_primary(Label::new(&ws.doc(u.doc).source, span)),
                None => d.with_path(u.file.clone()),
            }
        };
        self.old
            .iter()
            .map(|u| one(old_ws, u, "old"))
            .chain(self.new.iter().map(|u| one(new_ws, u, "new")))
            .collect()
    }
}

/// The first reason, and how many more there are: `cannot judge: api.yaml:3: did not find expected ','`.
impl fmt::Display for CannotJudge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut reasons = self.reasons();
        match reasons.next() {
            Some(first) => write!(f, "cannot judge: {first}")?,
            None => write!(f, "cannot judge")?,
        }
        match reasons.count() {
            0 => Ok(()),
            more => write!(f, " (and {more} more)"),
        }
    }
}

impl std::error::Error for CannotJudge {}
