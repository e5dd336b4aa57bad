//! Whether a contract can be read at all: syntax, references, and shape against the official meta-schemas.

pub(crate) mod contract_version_unsupported;
pub(crate) mod duplicate_key;
pub(crate) mod ref_circular;
pub(crate) mod ref_outside_repository;
pub(crate) mod ref_remote;
pub(crate) mod ref_unresolved;
pub(crate) mod spec_structure_invalid;
pub(crate) mod suppression_invalid;
pub(crate) mod syntax_error;

use seamline_model::RefError;

use crate::{Context, Report};

/// Reports the reference problems of the given kinds; shared by the four `ref-*` rules.
fn report_refs(ctx: &Context<'_>, report: &mut Report<'_>, kinds: &[RefError], help: &str) {
    for problem in ctx.ref_problems.iter().filter(|p| kinds.contains(&p.error)) {
        let source = &ctx.ws.doc(problem.doc).source;
        let message = if problem.reference.is_empty() {
            problem.error.to_string()
        } else {
            format!("`{}`: {}", problem.reference, problem.error)
        };
        report
            .at_span(source, problem.span, message)
            .set_help(help)
            .pointer = Some(problem.pointer.clone());
    }
}
