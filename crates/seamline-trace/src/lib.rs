//! Traces in, root causes out: readers for the formats tracing systems export, a trace model that joins producers
//! and consumers across traces, and a diagnosis that works backward from each failing request.
//!
//! ```text
//! files ──► read (Sink) ──► Engine: window of live traces ──► Graph per request ──► diagnose ──► Report
//!                                  └─► Versions (consumer spans)
//! ```

pub mod corpus;
mod diagnose;
mod engine;
pub mod expect;
mod failing_together;
pub mod failure;
pub mod generate;
mod graph;
pub mod messaging;
pub mod model;
pub mod read;
pub mod render;
pub mod report;
pub mod versions;

pub use engine::{Config, Engine};
pub use expect::Expectations;
pub use read::{InputFormat, ReadReport, Reader};
pub use report::{CauseKind, Report, TraceDiagnosis};

/// Reads in-memory inputs and diagnoses them: the whole pipeline for tests and small inputs.
pub fn diagnose_bytes(inputs: &[(&str, &[u8])], config: Config) -> Report {
    let mut reader = Reader::default();
    let mut engine = Engine::new(config);
    for (name, bytes) in inputs {
        reader.read_bytes(name, bytes, InputFormat::Auto, &mut engine);
    }
    engine.finish(&reader.report)
}
