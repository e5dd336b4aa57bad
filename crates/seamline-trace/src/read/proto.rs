//! OTLP/protobuf: `ExportTraceServiceRequest` or `ExportLogsServiceRequest`, one message per file or several, each
//! prefixed with its length as a varint (as `writeDelimitedTo` writes them). The message types are the subset of
//! opentelemetry-proto's `trace/v1`, `logs/v1` and `common/v1` that diagnosis reads, with the upstream field numbers.

use std::sync::Arc;

use prost::Message;

use super::otlp::severity_name;
use super::{Reader, Sink};
use crate::model::{
    Attributes, Event, Link, LogRecord, Span, SpanId, SpanKind, StatusCode, TraceId, Value,
};

#[derive(Clone, PartialEq, Message)]
pub struct ExportTraceServiceRequest {
    #[prost(message, repeated, tag = "1")]
    pub resource_spans: Vec<ResourceSpans>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ExportLogsServiceRequest {
    #[prost(message, repeated, tag = "1")]
    pub resource_logs: Vec<ResourceLogs>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ResourceSpans {
    #[prost(message, optional, tag = "1")]
    pub resource: Option<Resource>,
    #[prost(message, repeated, tag = "2")]
    pub scope_spans: Vec<ScopeSpans>,
    /// The pre-1.0 `instrumentation_library_spans`, same shape.
    #[prost(message, repeated, tag = "1000")]
    pub instrumentation_library_spans: Vec<ScopeSpans>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ResourceLogs {
    #[prost(message, optional, tag = "1")]
    pub resource: Option<Resource>,
    #[prost(message, repeated, tag = "2")]
    pub scope_logs: Vec<ScopeLogs>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Resource {
    #[prost(message, repeated, tag = "1")]
    pub attributes: Vec<KeyValue>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ScopeSpans {
    #[prost(message, repeated, tag = "2")]
    pub spans: Vec<ProtoSpan>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ScopeLogs {
    #[prost(message, repeated, tag = "2")]
    pub log_records: Vec<ProtoLog>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ProtoSpan {
    #[prost(bytes = "vec", tag = "1")]
    pub trace_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub span_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "4")]
    pub parent_span_id: Vec<u8>,
    #[prost(string, tag = "5")]
    pub name: String,
    #[prost(int32, tag = "6")]
    pub kind: i32,
    #[prost(fixed64, tag = "7")]
    pub start_time_unix_nano: u64,
    #[prost(fixed64, tag = "8")]
    pub end_time_unix_nano: u64,
    #[prost(message, repeated, tag = "9")]
    pub attributes: Vec<KeyValue>,
    #[prost(message, repeated, tag = "11")]
    pub events: Vec<ProtoEvent>,
    #[prost(message, repeated, tag = "13")]
    pub links: Vec<ProtoLink>,
    #[prost(message, optional, tag = "15")]
    pub status: Option<ProtoStatus>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ProtoEvent {
    #[prost(fixed64, tag = "1")]
    pub time_unix_nano: u64,
    #[prost(string, tag = "2")]
    pub name: String,
    #[prost(message, repeated, tag = "3")]
    pub attributes: Vec<KeyValue>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ProtoLink {
    #[prost(bytes = "vec", tag = "1")]
    pub trace_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub span_id: Vec<u8>,
    #[prost(message, repeated, tag = "4")]
    pub attributes: Vec<KeyValue>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ProtoStatus {
    #[prost(string, tag = "2")]
    pub message: String,
    #[prost(int32, tag = "3")]
    pub code: i32,
}

#[derive(Clone, PartialEq, Message)]
pub struct ProtoLog {
    #[prost(fixed64, tag = "1")]
    pub time_unix_nano: u64,
    #[prost(fixed64, tag = "11")]
    pub observed_time_unix_nano: u64,
    #[prost(int32, tag = "2")]
    pub severity_number: i32,
    #[prost(string, tag = "3")]
    pub severity_text: String,
    #[prost(message, optional, tag = "5")]
    pub body: Option<AnyValue>,
    #[prost(bytes = "vec", tag = "9")]
    pub trace_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "10")]
    pub span_id: Vec<u8>,
}

#[derive(Clone, PartialEq, Message)]
pub struct KeyValue {
    #[prost(string, tag = "1")]
    pub key: String,
    #[prost(message, optional, tag = "2")]
    pub value: Option<AnyValue>,
}

#[derive(Clone, PartialEq, Message)]
pub struct AnyValue {
    #[prost(oneof = "AnyKind", tags = "1, 2, 3, 4, 5, 6, 7")]
    pub value: Option<AnyKind>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
pub enum AnyKind {
    #[prost(string, tag = "1")]
    String(String),
    #[prost(bool, tag = "2")]
    Bool(bool),
    #[prost(int64, tag = "3")]
    Int(i64),
    #[prost(double, tag = "4")]
    Double(f64),
    #[prost(message, tag = "5")]
    Array(ValueList),
    #[prost(message, tag = "6")]
    KvList(KeyValueList),
    #[prost(bytes = "vec", tag = "7")]
    Bytes(Vec<u8>),
}

#[derive(Clone, PartialEq, Message)]
pub struct ValueList {
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<AnyValue>,
}

#[derive(Clone, PartialEq, Message)]
pub struct KeyValueList {
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<KeyValue>,
}

pub(super) fn read(reader: &mut Reader, name: &str, bytes: &[u8], sink: &mut dyn Sink) {
    if let Some(messages) = whole(bytes).or_else(|| delimited(bytes)) {
        for (index, message) in messages.into_iter().enumerate() {
            let location = format!("{name}: message {}", index + 1);
            match message {
                Decoded::Traces(request) => emit_traces(reader, &location, request, sink),
                Decoded::Logs(request) => emit_logs(reader, request, sink),
            }
        }
        return;
    }
    reader.skip(
        name,
        "neither JSON nor OTLP/protobuf (an ExportTraceServiceRequest or ExportLogsServiceRequest, whole or \
         length-delimited); pass --input-format to say which it is",
    );
}

enum Decoded {
    Traces(ExportTraceServiceRequest),
    Logs(ExportLogsServiceRequest),
}

/// A trace request and a logs request have the same outer shape; the span's and the log record's first field
/// have different wire types, so at most one of them decodes with content.
fn decode_one(bytes: &[u8]) -> Option<Decoded> {
    if let Ok(request) = ExportTraceServiceRequest::decode(bytes) {
        let spans = request
            .resource_spans
            .iter()
            .flat_map(|r| r.scope_spans.iter().chain(&r.instrumentation_library_spans))
            .map(|s| s.spans.len())
            .sum::<usize>();
        if spans > 0 {
            return Some(Decoded::Traces(request));
        }
    }
    match ExportLogsServiceRequest::decode(bytes) {
        Ok(request)
            if request
                .resource_logs
                .iter()
                .any(|r| r.scope_logs.iter().any(|s| !s.log_records.is_empty())) =>
        {
            Some(Decoded::Logs(request))
        }
        _ => None,
    }
}

fn whole(bytes: &[u8]) -> Option<Vec<Decoded>> {
    decode_one(bytes).map(|d| vec![d])
}

fn delimited(mut bytes: &[u8]) -> Option<Vec<Decoded>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let length = prost::encoding::decode_varint(&mut bytes).ok()?;
        let length = usize::try_from(length).ok().filter(|l| *l <= bytes.len())?;
        out.push(decode_one(&bytes[..length])?);
        bytes = &bytes[length..];
    }
    (!out.is_empty()).then_some(out)
}

fn value_of(value: AnyValue) -> Option<Value> {
    Some(match value.value? {
        AnyKind::String(s) => Value::Str(s.into()),
        AnyKind::Bool(b) => Value::Bool(b),
        AnyKind::Int(n) => Value::Int(n),
        AnyKind::Double(x) => Value::Float(x),
        AnyKind::Bytes(b) => Value::Str(
            b.iter()
                .map(|x| format!("{x:02x}"))
                .collect::<String>()
                .into(),
        ),
        AnyKind::Array(list) => {
            let items: Vec<String> = list
                .values
                .into_iter()
                .filter_map(value_of)
                .map(|v| v.to_string())
                .collect();
            Value::Json(serde_json::to_string(&items).unwrap_or_default().into())
        }
        AnyKind::KvList(list) => {
            let map: serde_json::Map<String, serde_json::Value> = list
                .values
                .into_iter()
                .filter_map(|kv| {
                    Some((
                        kv.key,
                        serde_json::Value::String(value_of(kv.value?)?.to_string()),
                    ))
                })
                .collect();
            Value::Json(serde_json::Value::Object(map).to_string().into())
        }
    })
}

fn attributes(reader: &mut Reader, list: Vec<KeyValue>) -> Attributes {
    Attributes(
        list.into_iter()
            .filter_map(|kv| {
                let value = value_of(kv.value?)?;
                Some((reader.intern(&kv.key), value))
            })
            .collect(),
    )
}

fn service_of(reader: &mut Reader, resource: Option<Resource>) -> Arc<str> {
    let attributes = attributes(reader, resource.map(|r| r.attributes).unwrap_or_default());
    let name = attributes
        .str("service.name")
        .unwrap_or("unknown_service")
        .to_string();
    reader.intern(&name)
}

fn trace_id(bytes: &[u8]) -> Option<TraceId> {
    let bytes: [u8; 16] = match bytes.len() {
        16 => bytes.try_into().ok()?,
        8 => {
            let mut wide = [0; 16];
            wide[8..].copy_from_slice(bytes);
            wide
        }
        _ => return None,
    };
    Some(TraceId(u128::from_be_bytes(bytes))).filter(|t| t.0 != 0)
}

fn span_id(bytes: &[u8]) -> Option<SpanId> {
    Some(SpanId(u64::from_be_bytes(bytes.try_into().ok()?))).filter(|s| s.0 != 0)
}

fn emit_traces(
    reader: &mut Reader,
    location: &str,
    request: ExportTraceServiceRequest,
    sink: &mut dyn Sink,
) {
    for resource_spans in request.resource_spans {
        let service = service_of(reader, resource_spans.resource);
        let scopes = resource_spans
            .scope_spans
            .into_iter()
            .chain(resource_spans.instrumentation_library_spans);
        for span in scopes.flat_map(|s| s.spans) {
            let (Some(trace), Some(id)) = (trace_id(&span.trace_id), span_id(&span.span_id)) else {
                reader.skip(
                    location,
                    "a span without a 16-byte trace_id or an 8-byte span_id",
                );
                continue;
            };
            let kind = match span.kind {
                1 => SpanKind::Internal,
                2 => SpanKind::Server,
                3 => SpanKind::Client,
                4 => SpanKind::Producer,
                5 => SpanKind::Consumer,
                _ => SpanKind::Unspecified,
            };
            let status = span.status.unwrap_or_default();
            let events = span
                .events
                .into_iter()
                .map(|e| Event {
                    time_ns: e.time_unix_nano,
                    name: e.name.into(),
                    attributes: attributes(reader, e.attributes),
                })
                .collect();
            let links = span
                .links
                .into_iter()
                .filter_map(|l| {
                    let ids = trace_id(&l.trace_id).zip(span_id(&l.span_id))?;
                    Some(Link {
                        trace_id: ids.0,
                        span_id: ids.1,
                        attributes: attributes(reader, l.attributes),
                    })
                })
                .collect();
            let converted = Span {
                trace_id: trace,
                span_id: id,
                parent_id: span_id(&span.parent_span_id),
                name: span.name.into(),
                service: service.clone(),
                kind,
                start_ns: span.start_time_unix_nano,
                end_ns: span.end_time_unix_nano.max(span.start_time_unix_nano),
                status: match status.code {
                    1 => StatusCode::Ok,
                    2 => StatusCode::Error,
                    _ => StatusCode::Unset,
                },
                status_message: Some(status.message)
                    .filter(|m| !m.is_empty())
                    .map(Into::into),
                attributes: attributes(reader, span.attributes),
                events,
                links,
            };
            reader.emit_span(converted, sink);
        }
    }
}

fn emit_logs(reader: &mut Reader, request: ExportLogsServiceRequest, sink: &mut dyn Sink) {
    for resource_logs in request.resource_logs {
        let service = service_of(reader, resource_logs.resource);
        for record in resource_logs
            .scope_logs
            .into_iter()
            .flat_map(|s| s.log_records)
        {
            let severity = if record.severity_text.is_empty() {
                (record.severity_number > 0)
                    .then(|| severity_name(i64::from(record.severity_number)).into())
            } else {
                Some(record.severity_text.into())
            };
            let log = LogRecord {
                trace_id: trace_id(&record.trace_id),
                span_id: span_id(&record.span_id),
                time_ns: if record.time_unix_nano > 0 {
                    record.time_unix_nano
                } else {
                    record.observed_time_unix_nano
                },
                severity,
                service: Some(service.clone()),
                body: record
                    .body
                    .and_then(value_of)
                    .map(|v| v.to_string())
                    .unwrap_or_default()
                    .into(),
            };
            reader.emit_log(log, sink);
        }
    }
}
