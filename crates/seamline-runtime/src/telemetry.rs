//! OpenTelemetry spans for events and HTTP calls, following the semantic conventions `seam trace` reads, and
//! their export: as OTLP/JSON lines to a file (one `ExportTraceServiceRequest` per line), or as OTLP/HTTP to a
//! collector.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use opentelemetry::trace::{
    Span as _, SpanContext, SpanId, SpanKind, Status, TraceContextExt, Tracer as _,
    TracerProvider as _,
};
use opentelemetry::{Context, Key, KeyValue, Value};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, SdkTracer, SdkTracerProvider, SpanData, SpanExporter,
};
use serde_json::{Value as Json, json};

use crate::trace_context::TraceContext;

/// The attribute holding a message's schema version (there is no standard one yet); `seam trace` reads it.
pub const SCHEMA_VERSION: &str = "messaging.message.schema_version";

/// One service's tracer and where its spans go. Ended spans are queued and exported in batches from a thread of
/// the exporter's own (never on the task that ended them), every second, on [`Telemetry::flush`], and on
/// [`Telemetry::shutdown`] or when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct Telemetry {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
    service: std::sync::Arc<str>,
}

impl Telemetry {
    /// Spans of `service`, appended to `path` as OTLP/JSON lines, one line per batch.
    pub fn to_file(service: &str, path: &Path) -> std::io::Result<Telemetry> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let exporter = FileExporter {
            service: service.to_owned(),
            out: Mutex::new(BufWriter::new(file)),
        };
        let provider = SdkTracerProvider::builder()
            .with_resource(
                Resource::builder()
                    .with_service_name(service.to_owned())
                    .build(),
            )
            .with_span_processor(batches(exporter))
            .build();
        let tracer = provider.tracer("seamline-runtime");
        Ok(Telemetry {
            provider,
            tracer,
            service: service.into(),
        })
    }

    /// Spans of `service`, sent in batches as OTLP/HTTP (JSON) to `endpoint`, the collector's full traces URL
    /// (`http://collector:4318/v1/traces`).
    pub fn to_endpoint(service: &str, endpoint: &str) -> Result<Telemetry, String> {
        Self::exporting(service, endpoint, HashMap::new())
    }

    /// Spans of `service` sent to a Seamline registry (`registry`, its base URL), whose OTLP receiver counts the
    /// message versions they show as published and consumed in `environment`: the evidence a migration's last
    /// phases rest on. `token` needs the scope `deploy:<environment>`.
    pub fn to_registry(
        service: &str,
        registry: &str,
        environment: &str,
        token: &str,
    ) -> Result<Telemetry, String> {
        let endpoint = format!("{}/v1/traces", registry.trim_end_matches('/'));
        let headers = HashMap::from([
            ("Authorization".to_owned(), format!("Bearer {token}")),
            ("Seam-Environment".to_owned(), environment.to_owned()),
        ]);
        Self::exporting(service, &endpoint, headers)
    }

    fn exporting(
        service: &str,
        endpoint: &str,
        headers: HashMap<String, String>,
    ) -> Result<Telemetry, String> {
        use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpJson)
            .with_endpoint(endpoint)
            .with_headers(headers)
            .build()
            .map_err(|e| format!("the OTLP exporter for {endpoint}: {e}"))?;
        let provider = SdkTracerProvider::builder()
            .with_resource(
                Resource::builder()
                    .with_service_name(service.to_owned())
                    .build(),
            )
            .with_span_processor(batches(exporter))
            .build();
        let tracer = provider.tracer("seamline-runtime");
        Ok(Telemetry {
            provider,
            tracer,
            service: service.into(),
        })
    }

    /// A span for the time a service waits for `message` on `queue` (operation type `receive`), a child of
    /// `parent`: the request that waits. End it with [`Awaiting::received`] or [`Awaiting::timed_out`]; a wait
    /// that times out is the symptom `seam trace diagnose` starts from to find who did not publish.
    pub fn awaiting(&self, message: &str, queue: &str, parent: Option<&TraceContext>) -> Awaiting {
        let span = self
            .tracer
            .span_builder(format!("await {message}"))
            .with_kind(SpanKind::Internal)
            .with_attributes([
                KeyValue::new("messaging.system", "rabbitmq"),
                KeyValue::new("messaging.operation.type", "receive"),
                KeyValue::new("messaging.destination.name", queue.to_owned()),
                KeyValue::new("cloudevents.event_type", message.to_owned()),
            ])
            .start_with_context(&self.tracer, &parent_context(parent));
        Awaiting {
            span,
            message: message.to_owned(),
        }
    }

    /// The service the spans belong to (`service.name`).
    pub fn service(&self) -> &str {
        &self.service
    }

    pub fn tracer(&self) -> &SdkTracer {
        &self.tracer
    }

    /// Writes or sends what is buffered. Blocks until it is done (with an endpoint, up to 5 s): call it from a
    /// blocking thread, not from async code.
    pub fn flush(&self) {
        let _ = self.provider.force_flush();
    }

    /// Exports what is buffered and stops exporting, for every clone; spans ended later are dropped. Dropping the
    /// last clone does the same. Blocks like [`Telemetry::flush`].
    pub fn shutdown(&self) {
        let _ = self.provider.shutdown();
    }
}

/// How spans leave: in batches from the processor's own thread, at least every second. The queue holds far more
/// spans than a second of a busy service ends, since a full queue drops spans.
fn batches<E: SpanExporter + 'static>(exporter: E) -> BatchSpanProcessor {
    BatchSpanProcessor::builder(exporter)
        .with_batch_config(
            BatchConfigBuilder::default()
                .with_scheduled_delay(Duration::from_secs(1))
                .with_max_queue_size(65_536)
                .build(),
        )
        .build()
}

/// A wait for a message, as a span; see [`Telemetry::awaiting`].
#[derive(Debug)]
pub struct Awaiting {
    span: opentelemetry_sdk::trace::Span,
    message: String,
}

impl Awaiting {
    /// The message came.
    pub fn received(mut self) {
        self.span.end();
    }

    /// The message did not come within `after`.
    pub fn timed_out(mut self, after: Duration) {
        self.span
            .set_attribute(KeyValue::new("error.type", "timeout"));
        self.span.set_status(Status::error(format!(
            "timed out after {} ms waiting for {}",
            after.as_millis(),
            self.message
        )));
        self.span.end();
    }
}

/// The OpenTelemetry context of a W3C trace context, as a remote parent (with its `tracestate`, which the
/// child spans carry on).
pub(crate) fn parent_context(trace: Option<&TraceContext>) -> Context {
    match trace.map(TraceContext::span_context) {
        Some(span) if span.is_valid() => Context::new().with_remote_span_context(span),
        _ => Context::new(),
    }
}

/// The W3C trace context of a span.
pub(crate) fn trace_context(span: &SpanContext) -> TraceContext {
    TraceContext::of(span)
}

/// Writes each batch of spans as one OTLP/JSON line.
#[derive(Debug)]
struct FileExporter {
    service: String,
    out: Mutex<BufWriter<File>>,
}

impl SpanExporter for FileExporter {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        std::future::ready(self.write(batch))
    }

    fn force_flush(&self) -> OTelSdkResult {
        let mut out = self
            .out
            .lock()
            .map_err(|e| OTelSdkError::InternalFailure(e.to_string()))?;
        out.flush()
            .map_err(|e| OTelSdkError::InternalFailure(e.to_string()))
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        self.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        if let Some(name) = resource.get(&Key::from_static_str("service.name")) {
            self.service = name.to_string();
        }
    }
}

impl FileExporter {
    fn write(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let spans: Vec<Json> = batch.iter().map(otlp_span).collect();
        let line = json!({
            "resourceSpans": [{
                "resource": { "attributes": [attribute("service.name", &Value::from(self.service.clone()))] },
                "scopeSpans": [{ "scope": { "name": "seamline-runtime" }, "spans": spans }],
            }]
        });
        let mut out = self
            .out
            .lock()
            .map_err(|e| OTelSdkError::InternalFailure(e.to_string()))?;
        serde_json::to_writer(&mut *out, &line)
            .map_err(|e| OTelSdkError::InternalFailure(e.to_string()))?;
        out.write_all(b"\n")
            .and_then(|()| out.flush())
            .map_err(|e| OTelSdkError::InternalFailure(e.to_string()))
    }
}

fn nanos(t: SystemTime) -> String {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
        .to_string()
}

fn attribute(key: &str, value: &Value) -> Json {
    let value = match value {
        Value::I64(i) => json!({ "intValue": i.to_string() }),
        Value::Bool(b) => json!({ "boolValue": b }),
        Value::F64(f) => json!({ "doubleValue": f }),
        other => json!({ "stringValue": other.as_str() }),
    };
    json!({ "key": key, "value": value })
}

fn otlp_span(s: &SpanData) -> Json {
    let kind = match s.span_kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    };
    let status = match &s.status {
        Status::Error { description } => json!({ "code": 2, "message": description }),
        Status::Ok => json!({ "code": 1 }),
        Status::Unset => json!({}),
    };
    let mut span = json!({
        "traceId": s.span_context.trace_id().to_string(),
        "spanId": s.span_context.span_id().to_string(),
        "name": s.name,
        "kind": kind,
        "startTimeUnixNano": nanos(s.start_time),
        "endTimeUnixNano": nanos(s.end_time),
        "attributes": s.attributes.iter().map(|kv| attribute(kv.key.as_str(), &kv.value)).collect::<Vec<_>>(),
        "status": status,
    });
    if s.parent_span_id != SpanId::INVALID {
        span["parentSpanId"] = json!(s.parent_span_id.to_string());
    }
    let state = s.span_context.trace_state().header();
    if !state.is_empty() {
        span["traceState"] = json!(state);
    }
    if !s.links.is_empty() {
        span["links"] = s
            .links
            .iter()
            .map(|l| json!({ "traceId": l.span_context.trace_id().to_string(), "spanId": l.span_context.span_id().to_string() }))
            .collect();
    }
    span
}

/// The messaging attributes `seam trace` reads, for an event.
pub(crate) fn messaging_attributes(
    operation: &'static str,
    destination: &str,
    routing_key: &str,
    event: &crate::CloudEvent,
) -> Vec<KeyValue> {
    let mut attributes = vec![
        KeyValue::new("messaging.system", "rabbitmq"),
        KeyValue::new("messaging.operation.type", operation),
        KeyValue::new("messaging.destination.name", destination.to_owned()),
        KeyValue::new(
            "messaging.rabbitmq.destination.routing_key",
            routing_key.to_owned(),
        ),
        KeyValue::new("messaging.message.id", event.id.clone()),
        KeyValue::new("cloudevents.event_id", event.id.clone()),
        KeyValue::new("cloudevents.event_type", event.kind.clone()),
        KeyValue::new("cloudevents.event_source", event.source.clone()),
    ];
    if let Some(v) = event.version() {
        attributes.push(KeyValue::new(SCHEMA_VERSION, v.to_string()));
    }
    attributes
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::{Span as _, Tracer as _};

    use super::Telemetry;

    /// Spans leave in batches and the last clone's drop exports what is left: three spans ended one after another
    /// are one OTLP line (the simple exporter wrote, and flushed, a line per span on the thread that ended it).
    #[test]
    fn spans_are_exported_in_batches_and_dropping_the_last_clone_flushes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spans.jsonl");
        let telemetry = Telemetry::to_file("svc", &path).unwrap();
        let clone = telemetry.clone();
        for name in ["a", "b", "c"] {
            telemetry.tracer().start(name).end();
        }
        drop(telemetry);
        drop(clone);
        let written = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = written
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 1, "{written}");
        let spans = &lines[0]["resourceSpans"][0]["scopeSpans"][0]["spans"];
        let names: Vec<&str> = spans
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "b", "c"]);
    }

    #[test]
    fn shutdown_exports_what_is_buffered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spans.jsonl");
        let telemetry = Telemetry::to_file("svc", &path).unwrap();
        let kept = telemetry.clone();
        telemetry.tracer().start("before").end();
        telemetry.shutdown();
        let written = std::fs::read_to_string(&path).unwrap();
        assert!(written.contains("\"before\""), "{written}");
        // A span ended after shutdown is not exported, and nothing panics.
        kept.tracer().start("after").end();
        kept.flush();
        drop(kept);
        assert!(
            !std::fs::read_to_string(&path)
                .unwrap()
                .contains("\"after\"")
        );
    }
}
