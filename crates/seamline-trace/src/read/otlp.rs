//! OTLP/JSON: `resourceSpans` → `scopeSpans` (or the pre-1.0 `instrumentationLibrarySpans`) → `spans`, and the
//! same shape for logs. Field names in lowerCamelCase as the spec says, snake_case as generic protobuf mappers write.

use std::sync::Arc;

use serde::Deserialize;

use super::lenient::{self, LEnum, LStr, LU64, Scalar};
use super::{Reader, Sink};
use crate::model::{Attributes, Event, Link, LogRecord, Span, SpanKind, StatusCode, Value};

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ResourceSpans<'a> {
    #[serde(borrow)]
    resource: Resource<'a>,
    #[serde(
        rename = "scopeSpans",
        alias = "scope_spans",
        alias = "instrumentationLibrarySpans",
        borrow
    )]
    scope_spans: Vec<ScopeSpans<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ResourceLogs<'a> {
    #[serde(borrow)]
    resource: Resource<'a>,
    #[serde(
        rename = "scopeLogs",
        alias = "scope_logs",
        alias = "instrumentationLibraryLogs",
        borrow
    )]
    scope_logs: Vec<ScopeLogs<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Resource<'a> {
    #[serde(borrow)]
    attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ScopeSpans<'a> {
    #[serde(borrow)]
    spans: Vec<OtlpSpan<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ScopeLogs<'a> {
    #[serde(rename = "logRecords", alias = "log_records", borrow)]
    log_records: Vec<OtlpLog<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OtlpSpan<'a> {
    #[serde(rename = "traceId", alias = "trace_id", borrow)]
    trace_id: LStr<'a>,
    #[serde(rename = "spanId", alias = "span_id", borrow)]
    span_id: LStr<'a>,
    #[serde(rename = "parentSpanId", alias = "parent_span_id", borrow)]
    parent_span_id: LStr<'a>,
    #[serde(borrow)]
    name: LStr<'a>,
    #[serde(borrow)]
    kind: LEnum<'a>,
    #[serde(rename = "startTimeUnixNano", alias = "start_time_unix_nano")]
    start: LU64,
    #[serde(rename = "endTimeUnixNano", alias = "end_time_unix_nano")]
    end: Option<LU64>,
    #[serde(borrow)]
    attributes: Vec<KeyValue<'a>>,
    #[serde(borrow)]
    events: Vec<OtlpEvent<'a>>,
    #[serde(borrow)]
    links: Vec<OtlpLink<'a>>,
    #[serde(borrow)]
    status: Status<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Status<'a> {
    #[serde(borrow)]
    code: LEnum<'a>,
    #[serde(borrow)]
    message: LStr<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OtlpEvent<'a> {
    #[serde(rename = "timeUnixNano", alias = "time_unix_nano")]
    time: LU64,
    #[serde(borrow)]
    name: LStr<'a>,
    #[serde(borrow)]
    attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OtlpLink<'a> {
    #[serde(rename = "traceId", alias = "trace_id", borrow)]
    trace_id: LStr<'a>,
    #[serde(rename = "spanId", alias = "span_id", borrow)]
    span_id: LStr<'a>,
    #[serde(borrow)]
    attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OtlpLog<'a> {
    #[serde(rename = "timeUnixNano", alias = "time_unix_nano")]
    time: LU64,
    #[serde(rename = "observedTimeUnixNano", alias = "observed_time_unix_nano")]
    observed: LU64,
    #[serde(rename = "severityText", alias = "severity_text", borrow)]
    severity_text: LStr<'a>,
    #[serde(rename = "severityNumber", alias = "severity_number", borrow)]
    severity_number: LEnum<'a>,
    #[serde(borrow)]
    body: Option<AnyValue<'a>>,
    #[serde(rename = "traceId", alias = "trace_id", borrow)]
    trace_id: LStr<'a>,
    #[serde(rename = "spanId", alias = "span_id", borrow)]
    span_id: LStr<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct KeyValue<'a> {
    #[serde(borrow)]
    key: LStr<'a>,
    #[serde(borrow)]
    value: Option<AnyValue<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct AnyValue<'a> {
    #[serde(rename = "stringValue", alias = "string_value", borrow)]
    string: Option<LStr<'a>>,
    #[serde(rename = "intValue", alias = "int_value")]
    int: Option<Scalar>,
    #[serde(rename = "doubleValue", alias = "double_value")]
    double: Option<Scalar>,
    #[serde(rename = "boolValue", alias = "bool_value")]
    boolean: Option<Scalar>,
    #[serde(rename = "bytesValue", alias = "bytes_value", borrow)]
    bytes: Option<LStr<'a>>,
    #[serde(rename = "arrayValue", alias = "array_value")]
    array: Option<serde_json::Value>,
    #[serde(rename = "kvlistValue", alias = "kvlist_value")]
    kvlist: Option<serde_json::Value>,
}

impl AnyValue<'_> {
    pub(super) fn into_value(self) -> Option<Value> {
        if let Some(s) = self.string {
            return s.0.map(|s| Value::Str(s.into()));
        }
        if let Some(Scalar(Some(v))) = self.int {
            return Some(match v {
                Value::Str(s) => s.trim().parse().map(Value::Int).unwrap_or(Value::Str(s)),
                other => other,
            });
        }
        if let Some(Scalar(Some(v))) = self.double {
            return Some(match v {
                Value::Str(s) => s.trim().parse().map(Value::Float).unwrap_or(Value::Str(s)),
                Value::Int(n) => Value::Float(n as f64),
                other => other,
            });
        }
        if let Some(Scalar(Some(v))) = self.boolean {
            return Some(v.as_bool().map_or(v, Value::Bool));
        }
        if let Some(s) = self.bytes {
            return s.0.map(|s| Value::Str(s.into()));
        }
        self.array
            .or(self.kvlist)
            .map(|json| Value::Json(json.to_string().into()))
    }
}

pub(super) fn attributes(reader: &mut Reader, list: Vec<KeyValue>) -> Attributes {
    let mut out = Vec::with_capacity(list.len());
    for kv in list {
        let (Some(key), Some(value)) = (kv.key.0, kv.value.and_then(AnyValue::into_value)) else {
            continue;
        };
        out.push((reader.intern(&key), value));
    }
    Attributes(out)
}

/// The service of a resource: `service.name`, as every OTel SDK sets it.
fn service_of(reader: &mut Reader, resource: &Attributes) -> Arc<str> {
    match resource.str("service.name") {
        Some(name) => reader.intern(name),
        None => reader.intern("unknown_service"),
    }
}

pub(super) fn span_kind(kind: &LEnum) -> SpanKind {
    match kind {
        LEnum::Int(1) => SpanKind::Internal,
        LEnum::Int(2) => SpanKind::Server,
        LEnum::Int(3) => SpanKind::Client,
        LEnum::Int(4) => SpanKind::Producer,
        LEnum::Int(5) => SpanKind::Consumer,
        LEnum::Name(name) => span_kind_name(name),
        _ => SpanKind::Unspecified,
    }
}

/// `SPAN_KIND_SERVER`, `SERVER`, `server`: the name forms exporters use.
pub(super) fn span_kind_name(name: &str) -> SpanKind {
    let name = name.trim();
    let name = name.strip_prefix("SPAN_KIND_").unwrap_or(name);
    match name.to_ascii_lowercase().as_str() {
        "internal" => SpanKind::Internal,
        "server" => SpanKind::Server,
        "client" => SpanKind::Client,
        "producer" => SpanKind::Producer,
        "consumer" => SpanKind::Consumer,
        _ => SpanKind::Unspecified,
    }
}

pub(super) fn status_code(code: &LEnum) -> StatusCode {
    match code {
        LEnum::Int(1) => StatusCode::Ok,
        LEnum::Int(2) => StatusCode::Error,
        LEnum::Name(name) => status_name(name),
        _ => StatusCode::Unset,
    }
}

pub(super) fn status_name(name: &str) -> StatusCode {
    let name = name.trim();
    let name = name.strip_prefix("STATUS_CODE_").unwrap_or(name);
    match name.to_ascii_lowercase().as_str() {
        "ok" => StatusCode::Ok,
        "error" => StatusCode::Error,
        _ => StatusCode::Unset,
    }
}

pub(super) fn emit_spans(
    reader: &mut Reader,
    location: &str,
    list: Vec<ResourceSpans>,
    sink: &mut dyn Sink,
) {
    for (r, resource_spans) in list.into_iter().enumerate() {
        let resource = attributes(reader, resource_spans.resource.attributes);
        let service = service_of(reader, &resource);
        for (s, scope) in resource_spans.scope_spans.into_iter().enumerate() {
            for (i, span) in scope.spans.into_iter().enumerate() {
                match convert_span(reader, service.clone(), span) {
                    Ok(span) => reader.emit_span(span, sink),
                    Err(reason) => reader.skip(
                        &format!("{location}: resourceSpans[{r}].scopeSpans[{s}].spans[{i}]"),
                        &reason,
                    ),
                }
            }
        }
    }
}

fn convert_span(reader: &mut Reader, service: Arc<str>, span: OtlpSpan) -> Result<Span, String> {
    let trace_id = span.trace_id.required_trace_id("traceId")?;
    let span_id = span.span_id.required_span_id("spanId")?;
    let parent_id = span.parent_span_id.optional_span_id("parentSpanId")?;
    let start_ns = span.start.0.unwrap_or(0);
    let end_ns = match span.end {
        Some(LU64(None)) => return Err("endTimeUnixNano is not a number".into()),
        Some(LU64(Some(end))) => end.max(start_ns),
        None => start_ns,
    };
    let mut events = Vec::with_capacity(span.events.len());
    for event in span.events {
        events.push(Event {
            time_ns: event.time.0.unwrap_or(start_ns),
            name: event.name.as_deref().unwrap_or("").into(),
            attributes: attributes(reader, event.attributes),
        });
    }
    let mut links = Vec::with_capacity(span.links.len());
    for link in span.links {
        let ids = link
            .trace_id
            .as_deref()
            .and_then(|t| lenient::trace_id(t).ok())
            .zip(
                link.span_id
                    .as_deref()
                    .and_then(|s| lenient::span_id(s).ok()),
            );
        if let Some((trace_id, span_id)) = ids {
            links.push(Link {
                trace_id,
                span_id,
                attributes: attributes(reader, link.attributes),
            });
        }
    }
    Ok(Span {
        trace_id,
        span_id,
        parent_id: parent_id.filter(|p| p.0 != 0),
        name: span.name.as_deref().unwrap_or("").into(),
        service,
        kind: span_kind(&span.kind),
        start_ns,
        end_ns,
        status: status_code(&span.status.code),
        status_message: span.status.message.0.map(|m| m.into()),
        attributes: attributes(reader, span.attributes),
        events,
        links,
    })
}

pub(super) fn emit_logs(reader: &mut Reader, list: Vec<ResourceLogs>, sink: &mut dyn Sink) {
    for resource_logs in list {
        let resource = attributes(reader, resource_logs.resource.attributes);
        let service = service_of(reader, &resource);
        for scope in resource_logs.scope_logs {
            for record in scope.log_records {
                let severity =
                    record
                        .severity_text
                        .0
                        .map(|s| s.into())
                        .or(match record.severity_number {
                            LEnum::Int(n) => Some(severity_name(n).into()),
                            _ => None,
                        });
                let body = record
                    .body
                    .and_then(AnyValue::into_value)
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                let log = LogRecord {
                    trace_id: record
                        .trace_id
                        .as_deref()
                        .and_then(|t| lenient::trace_id(t).ok()),
                    span_id: record
                        .span_id
                        .as_deref()
                        .and_then(|s| lenient::span_id(s).ok()),
                    time_ns: record
                        .time
                        .0
                        .filter(|t| *t > 0)
                        .or(record.observed.0)
                        .unwrap_or(0),
                    severity,
                    service: Some(service.clone()),
                    body: body.into(),
                };
                reader.emit_log(log, sink);
            }
        }
    }
}

/// The OTel log severity number ranges (1–4 TRACE … 21–24 FATAL).
pub(super) fn severity_name(number: i64) -> &'static str {
    match number {
        1..=4 => "TRACE",
        5..=8 => "DEBUG",
        9..=12 => "INFO",
        13..=16 => "WARN",
        17..=20 => "ERROR",
        21..=24 => "FATAL",
        _ => "UNSPECIFIED",
    }
}
