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

/// An OTLP `AnyValue`, read straight into the model's value: `stringValue`, then `intValue`, `doubleValue`,
/// `boolValue`, `bytesValue`, then `arrayValue` or `kvlistValue` (kept as JSON text) decide, in that order. A
/// string of the wrong type makes the value unreadable; a number or bool of the wrong type gives way to the next.
/// Read into one small value rather than a struct of every alternative, since a file holds millions of them.
#[derive(Default)]
pub(super) struct AnyValue<'a> {
    value: Option<Value>,
    _borrowed: std::marker::PhantomData<&'a str>,
}

impl<'de: 'a, 'a> Deserialize<'de> for AnyValue<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a str>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = AnyValue<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an OTLP AnyValue object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                // The alternative that decides (the lowest rank present), and its value.
                let mut best: Option<(u8, Option<Value>)> = None;
                while let Some(key) = map.next_key::<LStr<'de>>()? {
                    let key = key.as_deref().unwrap_or("");
                    let (rank, claim) = match key {
                        "stringValue" | "string_value" | "bytesValue" | "bytes_value" => {
                            let rank = if key.starts_with('s') { 0 } else { 4 };
                            match map.next_value::<Option<LStr<'de>>>()? {
                                Some(s) => (rank, Some(s.0.map(|s| Value::Str(s.into())))),
                                None => (rank, None),
                            }
                        }
                        "intValue" | "int_value" => {
                            let v = map.next_value::<Option<Scalar>>()?.and_then(|s| s.0);
                            (
                                1,
                                v.map(|v| {
                                    Some(match v {
                                        Value::Str(s) => s
                                            .trim()
                                            .parse()
                                            .map(Value::Int)
                                            .unwrap_or(Value::Str(s)),
                                        other => other,
                                    })
                                }),
                            )
                        }
                        "doubleValue" | "double_value" => {
                            let v = map.next_value::<Option<Scalar>>()?.and_then(|s| s.0);
                            (
                                2,
                                v.map(|v| {
                                    Some(match v {
                                        Value::Str(s) => s
                                            .trim()
                                            .parse()
                                            .map(Value::Float)
                                            .unwrap_or(Value::Str(s)),
                                        Value::Int(n) => Value::Float(n as f64),
                                        other => other,
                                    })
                                }),
                            )
                        }
                        "boolValue" | "bool_value" => {
                            let v = map.next_value::<Option<Scalar>>()?.and_then(|s| s.0);
                            (3, v.map(|v| Some(v.as_bool().map_or(v, Value::Bool))))
                        }
                        "arrayValue" | "array_value" | "kvlistValue" | "kvlist_value" => {
                            let rank = if key.starts_with('a') { 5 } else { 6 };
                            let v = map.next_value::<Option<serde_json::Value>>()?;
                            (
                                rank,
                                v.map(|json| Some(Value::Json(json.to_string().into()))),
                            )
                        }
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                            continue;
                        }
                    };
                    if let Some(value) = claim
                        && best.as_ref().is_none_or(|(top, _)| rank < *top)
                    {
                        best = Some((rank, value));
                    }
                }
                Ok(AnyValue {
                    value: best.and_then(|(_, v)| v),
                    _borrowed: std::marker::PhantomData,
                })
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

impl AnyValue<'_> {
    pub(super) fn into_value(self) -> Option<Value> {
        self.value
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

#[cfg(test)]
mod tests {
    use super::AnyValue;
    use crate::model::Value;

    fn read(json: &str) -> Option<Value> {
        serde_json::from_str::<AnyValue>(json).unwrap().into_value()
    }

    #[test]
    fn an_any_value_is_read_by_the_first_alternative_that_holds_one() {
        assert_eq!(read(r#"{"stringValue":"a"}"#), Some(Value::Str("a".into())));
        assert_eq!(read(r#"{"intValue":"42"}"#), Some(Value::Int(42)));
        assert_eq!(read(r#"{"int_value":7}"#), Some(Value::Int(7)));
        assert_eq!(read(r#"{"doubleValue":2}"#), Some(Value::Float(2.0)));
        assert_eq!(read(r#"{"boolValue":"true"}"#), Some(Value::Bool(true)));
        assert_eq!(
            read(r#"{"arrayValue":{"values":[{"stringValue":"x"}]}}"#),
            Some(Value::Json(r#"{"values":[{"stringValue":"x"}]}"#.into()))
        );
        // The string decides whatever the order of the keys; a null is no alternative.
        assert_eq!(
            read(r#"{"intValue":1,"stringValue":"s"}"#),
            Some(Value::Str("s".into()))
        );
        assert_eq!(
            read(r#"{"stringValue":null,"intValue":1}"#),
            Some(Value::Int(1))
        );
        // A string of the wrong type leaves the value unreadable; a number of the wrong type gives way.
        assert_eq!(read(r#"{"stringValue":5,"intValue":1}"#), None);
        assert_eq!(
            read(r#"{"intValue":[1],"boolValue":false}"#),
            Some(Value::Bool(false))
        );
        assert_eq!(read(r#"{"unknown":{"a":1}}"#), None);
        assert_eq!(read("{}"), None);
        assert!(serde_json::from_str::<AnyValue>(r#""text""#).is_err());
    }
}
