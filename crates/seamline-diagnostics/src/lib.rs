//! Diagnostics as data, and the renderers that show them: text like rustc, JSON, Markdown and SARIF 2.1.0.
//!
//! Renderers return strings; only the CLI prints. Every renderer sorts the same way, so output is deterministic.

mod diagnostic;
mod github;
mod json;
mod markdown;
mod sarif;
mod text;

pub use diagnostic::{Diagnostic, Label, RuleInfo, Severity, Summary, sort};
pub use github::render_github;
pub use json::{JSON_SCHEMA_VERSION, render_json};
pub use markdown::render_markdown;
pub use sarif::render_sarif;
pub use text::{TextOptions, render_text};
