//! Rules over contracts and the manifest. Each rule is one file under `rules/` holding one [`Rule`] value, and
//! [`rules::ALL`] is the one registry: adding a rule means adding a file and a line there.

mod context;
pub mod docs;
mod engine;
mod rule;
pub mod rules;
mod suppress;

pub use context::{Context, ContractRole, LoadedContract};
pub use engine::{LintOptions, LintOutcome, lint, lint_service_dir};
pub use rule::{Report, Rule};
