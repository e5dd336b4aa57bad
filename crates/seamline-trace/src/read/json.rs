//! One JSON document (a file, or one line of a JSON Lines file): its top-level keys say which format it is.

use serde::Deserialize;

use super::lenient::{self, LStr, LU64, Scalar};
use super::{Reader, Sink, jaeger, otlp, zipkin};
use crate::model::{LogRecord, Value};

/// Every top-level shape at once; serde skips the keys a document does not have, so this costs one pass.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Envelope<'a> {
    // OTLP/JSON, and Tempo's older `batches` name for the same list.
    #[serde(
        rename = "resourceSpans",
        alias = "resource_spans",
        alias = "batches",
        borrow
    )]
    resource_spans: Vec<otlp::ResourceSpans<'a>>,
    #[serde(rename = "resourceLogs", alias = "resource_logs", borrow)]
    resource_logs: Vec<otlp::ResourceLogs<'a>>,
    // Jaeger query API, and the wrappers of Jaeger's v3 API and Tempo's v2 API.
    #[serde(borrow)]
    data: Option<Vec<jaeger::Trace<'a>>>,
    #[serde(borrow)]
    result: Option<Box<Envelope<'a>>>,
    #[serde(borrow)]
    trace: Option<Box<Envelope<'a>>>,
    // A bare Jaeger trace (its `traceID` is repeated on every span), read once the document is known not to be a
    // log line: tracing-subscriber's JSON lines carry a `spans` list of their own, of in-process spans.
    #[serde(borrow)]
    spans: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow)]
    processes: Option<jaeger::Processes<'a>>,
    // A JSON Lines log record.
    #[serde(alias = "traceId", alias = "trace.id", borrow)]
    trace_id: Option<LStr<'a>>,
    #[serde(alias = "spanId", alias = "span.id", borrow)]
    span_id: Option<LStr<'a>>,
    #[serde(alias = "msg", alias = "body", borrow)]
    message: Option<LStr<'a>>,
    #[serde(alias = "severity", alias = "severityText", alias = "lvl", borrow)]
    level: Option<LStr<'a>>,
    #[serde(alias = "timestamp", alias = "ts", alias = "@timestamp")]
    time: Option<Scalar>,
    #[serde(alias = "service.name", alias = "service_name", borrow)]
    service: Option<LStr<'a>>,
    // tracing-subscriber's JSON lines without `flatten_event` keep the message and fields here.
    #[serde(borrow)]
    fields: Option<LogFields<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LogFields<'a> {
    #[serde(borrow)]
    message: Option<LStr<'a>>,
    #[serde(alias = "traceId", borrow)]
    trace_id: Option<LStr<'a>>,
    #[serde(alias = "spanId", borrow)]
    span_id: Option<LStr<'a>>,
}

pub(super) fn read_document(
    reader: &mut Reader,
    location: &str,
    bytes: &[u8],
    sink: &mut dyn Sink,
) {
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() {
        return;
    }
    if trimmed[0] == b'[' {
        // Zipkin v2 and Jaeger's UI both export arrays of spans; each element says which it is by its id keys.
        match serde_json::from_slice::<Vec<&serde_json::value::RawValue>>(trimmed) {
            Ok(elements) => {
                for (index, element) in elements.into_iter().enumerate() {
                    let text = element.get();
                    let converted = if text.contains("\"spanID\"") {
                        serde_json::from_str::<jaeger::JaegerSpan>(text)
                            .map_err(|e| format!("not a Jaeger span: {e}"))
                            .and_then(|span| span.convert(reader, &jaeger::Processes::default()))
                    } else {
                        serde_json::from_str::<zipkin::ZipkinSpan>(text)
                            .map_err(|e| format!("not a Zipkin span: {e}"))
                            .and_then(|span| span.convert(reader))
                    };
                    match converted {
                        Ok(span) => reader.emit_span(span, sink),
                        Err(reason) => reader.skip(&format!("{location}: [{index}]"), &reason),
                    }
                }
            }
            Err(err) => reader.skip(location, &format!("not a JSON array of spans: {err}")),
        }
        return;
    }
    match serde_json::from_slice::<Envelope>(trimmed) {
        Ok(envelope) => envelope.emit(reader, location, sink),
        // A document that ends early is a file cut while it was written (or a line cut in two): said as such, with
        // its place, since every span in it is missing from the diagnosis.
        Err(err) if err.is_eof() => reader.skip(
            location,
            "cut off: the input ends inside this document, and its spans are missing",
        ),
        Err(err) => reader.skip(location, &format!("not a trace or log document: {err}")),
    }
}

impl Envelope<'_> {
    fn emit(mut self, reader: &mut Reader, location: &str, sink: &mut dyn Sink) {
        if let Some(fields) = self.fields.take() {
            self.message = self.message.or(fields.message);
            self.trace_id = self.trace_id.or(fields.trace_id);
            self.span_id = self.span_id.or(fields.span_id);
        }
        let mut recognised = false;
        if !self.resource_spans.is_empty() {
            recognised = true;
            otlp::emit_spans(reader, location, self.resource_spans, sink);
        }
        if !self.resource_logs.is_empty() {
            recognised = true;
            otlp::emit_logs(reader, self.resource_logs, sink);
        }
        if let Some(traces) = self.data {
            recognised = true;
            for trace in traces {
                trace.emit(reader, location, sink);
            }
        }
        for inner in [self.result, self.trace].into_iter().flatten() {
            recognised = true;
            inner.emit(reader, location, sink);
        }
        // A trace's spans carry `spanID`; a log line's own list of in-process spans does not.
        if let Some(spans) = self
            .spans
            .filter(|s| self.message.is_none() && s.get().contains("\"spanID\""))
        {
            recognised = true;
            match serde_json::from_str::<Vec<jaeger::JaegerSpan>>(spans.get()) {
                Ok(spans) => jaeger::Trace {
                    spans,
                    processes: self.processes.unwrap_or_default(),
                }
                .emit(reader, location, sink),
                Err(err) => reader.skip(location, &format!("not a Jaeger trace: {err}")),
            }
        }
        if let Some(message) = self.message {
            recognised = true;
            // Unreadable ids on a log line only cost the correlation, not the line.
            let log = LogRecord {
                trace_id: self
                    .trace_id
                    .and_then(|t| t.0)
                    .and_then(|t| lenient::trace_id(&t).ok()),
                span_id: self
                    .span_id
                    .and_then(|s| s.0)
                    .and_then(|s| lenient::span_id(&s).ok()),
                time_ns: self.time.and_then(|t| t.0).map_or(0, |t| time_to_ns(&t)),
                severity: self.level.and_then(|l| l.0).map(|l| l.into()),
                service: self.service.and_then(|s| s.0).map(|s| reader.intern(&s)),
                body: message.0.as_deref().unwrap_or("").into(),
            };
            reader.emit_log(log, sink);
        }
        if !recognised {
            reader.skip(
                location,
                "no spans or logs found (expected resourceSpans, resourceLogs, Jaeger's data or spans, or a log \
                 line with a message)",
            );
        }
    }
}

/// Log lines write time as epoch seconds, milliseconds, microseconds or nanoseconds, or as RFC 3339 text.
fn time_to_ns(value: &Value) -> u64 {
    match value {
        Value::Int(n) if *n > 0 => (*n as u64).saturating_mul(epoch_factor(*n as f64)),
        Value::Float(f) if *f > 0.0 => (f * epoch_factor(*f) as f64) as u64,
        Value::Str(s) => match s.trim().parse::<i64>() {
            Ok(n) => time_to_ns(&Value::Int(n)),
            Err(_) => s
                .parse::<f64>()
                .map(|f| time_to_ns(&Value::Float(f)))
                .unwrap_or_else(|_| rfc3339_ns(s).unwrap_or(0)),
        },
        _ => 0,
    }
}

/// Nanoseconds per unit of an epoch timestamp, told by its magnitude (seconds are below 1e11 until the year 5138).
fn epoch_factor(value: f64) -> u64 {
    match value {
        v if v < 1e11 => 1_000_000_000,
        v if v < 1e14 => 1_000_000,
        v if v < 1e17 => 1_000,
        _ => 1,
    }
}

/// `2026-11-26T09:12:07.123Z` or with an offset; enough of RFC 3339 for log timestamps.
fn rfc3339_ns(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    if bytes.len() < 19 {
        return None;
    }
    let num = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &text[19..];
    let mut nanos = 0i64;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits: String = fraction.chars().take_while(char::is_ascii_digit).collect();
        rest = &fraction[digits.len()..];
        let padded = format!("{digits:0<9}");
        nanos = padded.get(..9)?.parse().ok()?;
    }
    let offset_seconds = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            let hours: i64 = rest.get(1..3)?.parse().ok()?;
            let minutes: i64 = rest.get(4..6)?.parse().ok()?;
            sign * (hours * 3600 + minutes * 60)
        }
    };
    let days = seamline_model::civil::days_from_date(
        year,
        u32::try_from(month).ok()?,
        u32::try_from(day).ok()?,
    );
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    u64::try_from(seconds)
        .ok()
        .map(|s| s * 1_000_000_000 + nanos as u64)
}

/// Microseconds (Jaeger, Zipkin) to nanoseconds, saturating.
pub(super) fn micros(value: LU64) -> Option<u64> {
    value.0.map(|v| v.saturating_mul(1000))
}

/// Start and end in nanoseconds from a start and a duration in microseconds. A missing start stays 0 (placed
/// when the trace is analysed); a duration that is there but not a number makes the span unreadable.
pub(super) fn start_and_end(start: LU64, duration: Option<LU64>) -> Result<(u64, u64), String> {
    let start_ns = micros(start).unwrap_or(0);
    let duration = match duration {
        Some(LU64(None)) => return Err("duration is not a number".into()),
        Some(d) => micros(d).unwrap_or(0),
        None => 0,
    };
    Ok((start_ns, start_ns.saturating_add(duration)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_times_in_any_unit() {
        assert_eq!(
            time_to_ns(&Value::Int(1_700_000_000)),
            1_700_000_000_000_000_000
        );
        assert_eq!(
            time_to_ns(&Value::Int(1_700_000_000_123)),
            1_700_000_000_123_000_000
        );
        assert_eq!(
            time_to_ns(&Value::Str("1970-01-01T00:00:01.5Z".into())),
            1_500_000_000
        );
        assert_eq!(
            time_to_ns(&Value::Str("1970-01-01T01:00:01+01:00".into())),
            1_000_000_000
        );
        assert_eq!(
            time_to_ns(&Value::Str("2026-11-26T09:12:07Z".into())),
            1_795_684_327_000_000_000
        );
    }
}
