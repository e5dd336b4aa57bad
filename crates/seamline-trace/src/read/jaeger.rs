//! Jaeger JSON: traces as the query API returns them (`traceID`, `spans`, `processes`), and spans as the UI exports
//! them (each with its own `process`). Times are microseconds; the kind and status live in tags.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;

use super::json::{micros, start_and_end};
use super::lenient::{self, LStr, LU64, Scalar};
use super::otlp::{span_kind_name, status_name};
use super::{Reader, Sink};
use crate::model::{Attributes, Event, Link, Span, StatusCode, Value};

pub(super) type Processes<'a> = HashMap<String, Process<'a>>;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Trace<'a> {
    #[serde(borrow)]
    pub(super) spans: Vec<JaegerSpan<'a>>,
    #[serde(borrow)]
    pub(super) processes: Processes<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct JaegerSpan<'a> {
    #[serde(rename = "traceID", borrow)]
    pub(super) trace_id: LStr<'a>,
    #[serde(rename = "spanID", borrow)]
    pub(super) span_id: LStr<'a>,
    #[serde(rename = "parentSpanID", borrow)]
    pub(super) parent_span_id: LStr<'a>,
    #[serde(rename = "operationName", borrow)]
    pub(super) operation_name: LStr<'a>,
    #[serde(borrow)]
    pub(super) references: Vec<Reference<'a>>,
    #[serde(rename = "startTime")]
    pub(super) start_time: LU64,
    pub(super) duration: Option<LU64>,
    #[serde(borrow)]
    pub(super) tags: Vec<Tag<'a>>,
    #[serde(borrow)]
    pub(super) logs: Vec<Log<'a>>,
    #[serde(rename = "processID", borrow)]
    pub(super) process_id: LStr<'a>,
    #[serde(borrow)]
    pub(super) process: Option<Process<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Process<'a> {
    #[serde(rename = "serviceName", borrow)]
    service_name: LStr<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Reference<'a> {
    #[serde(rename = "refType", borrow)]
    ref_type: LStr<'a>,
    #[serde(rename = "traceID", borrow)]
    trace_id: LStr<'a>,
    #[serde(rename = "spanID", borrow)]
    span_id: LStr<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Tag<'a> {
    #[serde(borrow)]
    key: LStr<'a>,
    #[serde(rename = "type", borrow)]
    kind: LStr<'a>,
    value: Scalar,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Log<'a> {
    timestamp: LU64,
    #[serde(borrow)]
    fields: Vec<Tag<'a>>,
}

impl Trace<'_> {
    pub(super) fn emit(self, reader: &mut Reader, location: &str, sink: &mut dyn Sink) {
        let processes = self.processes;
        for (index, span) in self.spans.into_iter().enumerate() {
            let where_ = format!("{location}: spans[{index}]");
            match span.convert(reader, &processes) {
                Ok(span) => reader.emit_span(span, sink),
                Err(reason) => reader.skip(&where_, &reason),
            }
        }
    }
}

fn tag_value(tag: Tag) -> Option<(String, Value)> {
    let key = tag.key.0?.into_owned();
    let value = tag.value.0?;
    // The declared type wins over the JSON type: anonymised and hand-written exports put "true" in a bool tag.
    let value = match (tag.kind.as_deref(), value) {
        (Some("bool"), Value::Str(s)) => Value::Str(s.clone())
            .as_bool()
            .map_or(Value::Str(s), Value::Bool),
        (Some("int64"), Value::Str(s)) => s.trim().parse().map(Value::Int).unwrap_or(Value::Str(s)),
        (Some("float64"), Value::Str(s)) => {
            s.trim().parse().map(Value::Float).unwrap_or(Value::Str(s))
        }
        (_, value) => value,
    };
    Some((key, value))
}

fn tag_attributes(reader: &mut Reader, tags: Vec<Tag>) -> Attributes {
    let mut out = Vec::with_capacity(tags.len());
    for tag in tags {
        if let Some((key, value)) = tag_value(tag) {
            out.push((reader.intern(&key), value));
        }
    }
    Attributes(out)
}

impl JaegerSpan<'_> {
    pub(super) fn convert(
        self,
        reader: &mut Reader,
        processes: &Processes,
    ) -> Result<Span, String> {
        let trace_id = self.trace_id.required_trace_id("traceID")?;
        let span_id = self.span_id.required_span_id("spanID")?;
        // A missing start is placed when the trace is analysed (Zipkin allows spans without a timestamp).
        let (start_ns, end_ns) = start_and_end(self.start_time, self.duration)?;
        let service = self
            .process
            .as_ref()
            .and_then(|p| p.service_name.as_deref())
            .or_else(|| {
                processes
                    .get(self.process_id.as_deref()?)?
                    .service_name
                    .as_deref()
            })
            .unwrap_or("unknown_service")
            .to_string();
        let service: Arc<str> = reader.intern(&service);

        // The parent is the first CHILD_OF reference in the same trace, else the first FOLLOWS_FROM (Jaeger's UI
        // nests those too); references into other traces are links.
        let mut parent_id = self
            .parent_span_id
            .as_deref()
            .and_then(|p| lenient::span_id(p).ok());
        let mut links = Vec::new();
        let mut follows_from = None;
        for reference in self.references {
            let Some(ref_span) = reference
                .span_id
                .as_deref()
                .and_then(|s| lenient::span_id(s).ok())
            else {
                continue;
            };
            let ref_trace = reference
                .trace_id
                .as_deref()
                .and_then(|t| lenient::trace_id(t).ok())
                .unwrap_or(trace_id);
            if ref_trace != trace_id {
                links.push(Link {
                    trace_id: ref_trace,
                    span_id: ref_span,
                    attributes: Attributes::default(),
                });
            } else if reference.ref_type.as_deref() == Some("FOLLOWS_FROM") {
                follows_from.get_or_insert(ref_span);
            } else if parent_id.is_none() {
                parent_id = Some(ref_span);
            }
        }
        let parent_id = parent_id
            .or(follows_from)
            .filter(|p| p.0 != 0 && *p != span_id);

        let mut attributes = tag_attributes(reader, self.tags);
        let kind = attributes
            .str("span.kind")
            .map(span_kind_name)
            .unwrap_or_default();
        let mut status = attributes
            .str("otel.status_code")
            .map(status_name)
            .unwrap_or_default();
        if status == StatusCode::Unset
            && attributes.get("error").and_then(Value::as_bool) == Some(true)
        {
            status = StatusCode::Error;
        }
        let status_message = attributes.str("otel.status_description").map(Into::into);
        attributes.0.retain(|(k, _)| {
            !matches!(
                &**k,
                "span.kind" | "otel.status_code" | "otel.status_description"
            )
        });

        let mut events = Vec::with_capacity(self.logs.len());
        for log in self.logs {
            let fields = tag_attributes(reader, log.fields);
            let name = fields
                .str("event")
                .or_else(|| fields.str("message"))
                .unwrap_or("log")
                .into();
            events.push(Event {
                time_ns: micros(log.timestamp).unwrap_or(start_ns),
                name,
                attributes: fields,
            });
        }
        Ok(Span {
            trace_id,
            span_id,
            parent_id,
            name: self.operation_name.as_deref().unwrap_or("").into(),
            service,
            kind,
            start_ns,
            end_ns,
            status,
            status_message,
            attributes,
            events,
            links,
        })
    }
}
