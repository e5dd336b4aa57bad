//! The conventions of `seam.toml` as a library for Rust services.
//!
//! - [`event`]: CloudEvents 1.0, read in structured mode (the whole event is the AMQP body,
//!   `application/cloudevents+json`) or binary mode (attributes in `cloudEvents:`/`cloudEvents_` headers), with
//!   every optional and extension attribute kept; Seamline's own events name the message and its version in
//!   `dataschema`.
//! - [`trace_context`]: W3C `traceparent` and `tracestate`, through OpenTelemetry's propagator, carried as
//!   CloudEvents extension attributes, AMQP headers and HTTP headers.
//! - [`schemas`]: the payload schemas of a contract, to validate before sending and on receipt.
//! - [`publisher`]: durable exchanges, persistent messages, publisher confirms, validation, dual-publish.
//! - [`consumer`]: manual acks, bounded prefetch, retries with exponential backoff and jitter through delay queues
//!   (TTL and dead-lettering back to the queue, never a sleep in the handler), a dead-letter queue after the last
//!   attempt with the reason and attempt count in headers, idempotent handling by event id, and every accepted
//!   message version handed to the handler as one type.
//! - [`http`]: a client that applies the manifest's timeout and retry policy where retrying is safe and reads
//!   RFC 9457 problem details into one error type, and an axum layer that answers every error as one.

mod backoff;
mod binding;
pub mod consumer;
pub mod event;
pub mod http;
pub mod publisher;
pub mod schemas;
pub mod telemetry;
mod topology;
pub mod trace_context;

pub use consumer::{
    ConsumeError, Consumer, ConsumerConfig, Delivered, Outcome, Stopped, Upcasters, run_supervised,
};
pub use event::CloudEvent;
pub use publisher::{PublishError, Publisher};
pub use schemas::Schemas;
pub use telemetry::Telemetry;
pub use topology::{attempt_header, dead_letter_queue, reason_header, retry_queue};
pub use trace_context::TraceContext;

/// Connects to RabbitMQ (`amqp://user:password@host:port/vhost`). Must run inside a tokio runtime.
pub async fn connect(url: &str, name: &str) -> Result<lapin::Connection, lapin::Error> {
    let properties =
        lapin::ConnectionProperties::default().with_connection_name(name.to_owned().into());
    lapin::Connection::connect(url, properties).await
}

/// Reads the `seam.toml` in `dir`, the service's own manifest, where its policies come from. A manifest with
/// problems is refused with the first of them; `seam lint` shows them all.
pub fn read_manifest(dir: &std::path::Path) -> Result<seamline_model::Manifest, String> {
    let path = dir.join("seam.toml");
    let read = seamline_model::read_manifest(&path, "seam.toml")
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    match (read.manifest, read.problems.first()) {
        (Some(manifest), None) => Ok(manifest),
        (_, Some(problem)) => Err(format!(
            "{}:{}: {}; `seam lint` shows every problem",
            path.display(),
            read.source.line_col(problem.span.start).line,
            problem.message
        )),
        (None, None) => Err(format!("{}: not a manifest", path.display())),
    }
}

/// A random (version 4) UUID, for event ids and the ids contracts declare as `format: uuid`. Panics when the
/// operating system's random source fails: an id that is not random would be taken for a duplicate and its
/// event acknowledged unhandled.
pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn uuids_are_version_4() {
        let a = super::uuid();
        assert_eq!(a.len(), 36);
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'), "{a}");
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"), "{a}");
        assert!(a.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        assert_ne!(a, super::uuid());
    }
}
