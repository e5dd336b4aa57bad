//! Zipkin v2 JSON: an array of spans, times in microseconds, the service in `localEndpoint`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Reader;
use super::json::{micros, start_and_end};
use super::lenient::{LStr, LU64, Scalar};
use super::otlp::{span_kind_name, status_name};
use crate::model::{Attributes, Event, Span, SpanId, StatusCode};

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ZipkinSpan<'a> {
    #[serde(rename = "traceId", borrow)]
    trace_id: LStr<'a>,
    #[serde(borrow)]
    id: LStr<'a>,
    #[serde(rename = "parentId", borrow)]
    parent_id: LStr<'a>,
    #[serde(borrow)]
    kind: LStr<'a>,
    #[serde(borrow)]
    name: LStr<'a>,
    timestamp: LU64,
    duration: Option<LU64>,
    #[serde(rename = "localEndpoint", borrow)]
    local_endpoint: Option<Endpoint<'a>>,
    #[serde(rename = "remoteEndpoint", borrow)]
    remote_endpoint: Option<Endpoint<'a>>,
    tags: BTreeMap<String, Scalar>,
    #[serde(borrow)]
    annotations: Vec<Annotation<'a>>,
    shared: Option<Scalar>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Endpoint<'a> {
    #[serde(rename = "serviceName", borrow)]
    service_name: LStr<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Annotation<'a> {
    timestamp: LU64,
    #[serde(borrow)]
    value: LStr<'a>,
}

impl ZipkinSpan<'_> {
    pub(super) fn convert(self, reader: &mut Reader) -> Result<Span, String> {
        let trace_id = self.trace_id.required_trace_id("traceId")?;
        let mut span_id = self.id.required_span_id("id")?;
        let mut parent_id = self.parent_id.optional_span_id("parentId")?;
        let kind = self.kind.as_deref().map(span_kind_name).unwrap_or_default();
        // A shared span is the server half of an RPC that reuses the client's id: give it an id of its own under
        // the client half, so the tree keeps both sides.
        let shared = self
            .shared
            .and_then(|s| s.0)
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if shared {
            parent_id = Some(span_id);
            span_id = SpanId(span_id.0.rotate_left(32) ^ 0x5348_4152_4544_0001);
        }
        // A missing start is placed when the trace is analysed (Zipkin allows spans without a timestamp).
        let (start_ns, end_ns) = start_and_end(self.timestamp, self.duration)?;
        let service = self
            .local_endpoint
            .as_ref()
            .and_then(|e| e.service_name.as_deref())
            .unwrap_or("unknown_service")
            .to_string();
        let service = reader.intern(&service);
        let mut attributes = Vec::with_capacity(self.tags.len() + 1);
        for (key, value) in self.tags {
            if let Some(value) = value.0 {
                attributes.push((reader.intern(&key), value));
            }
        }
        if let Some(peer) = self
            .remote_endpoint
            .as_ref()
            .and_then(|e| e.service_name.as_deref())
        {
            attributes.push((
                reader.intern("peer.service"),
                crate::model::Value::Str(peer.into()),
            ));
        }
        let attributes = Attributes(attributes);
        // Zipkin marks failure with an `error` tag whatever its value.
        let status = match attributes.str("otel.status_code") {
            Some(code) => status_name(code),
            None if attributes.get("error").is_some() => StatusCode::Error,
            None => StatusCode::Unset,
        };
        let status_message = attributes
            .str("error")
            .filter(|e| !e.is_empty())
            .map(Into::into);
        let events = self
            .annotations
            .into_iter()
            .map(|a| Event {
                time_ns: micros(a.timestamp).unwrap_or(start_ns),
                name: a.value.as_deref().unwrap_or("").into(),
                attributes: Attributes::default(),
            })
            .collect();
        Ok(Span {
            trace_id,
            span_id,
            parent_id: parent_id.filter(|p| p.0 != 0),
            name: self.name.as_deref().unwrap_or("").into(),
            service,
            kind,
            start_ns,
            end_ns,
            status,
            status_message,
            attributes,
            events,
            links: Vec::new(),
        })
    }
}
