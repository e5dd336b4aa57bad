//! The trace model every reader produces: spans with parents, links, events and attributes, and log records.

use std::fmt;
use std::sync::Arc;

/// A 128-bit trace id; 64-bit ids (Zipkin, old Jaeger) are widened with leading zeros, as OTel does.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TraceId(pub u128);

/// A 64-bit span id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SpanId(pub u64);

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SpanKind {
    #[default]
    Unspecified,
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

impl SpanKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Unspecified => "unspecified",
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StatusCode {
    #[default]
    Unset,
    Ok,
    Error,
}

/// An attribute value. Arrays and maps keep their JSON text: diagnosis never looks inside them.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(Box<str>),
    Int(i64),
    Float(f64),
    Bool(bool),
    Json(Box<str>),
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Integers, and strings holding one (exporters disagree on which to send).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            Value::Float(f) if f.fract() == 0.0 => Some(*f as i64),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) | Value::Json(s) => f.write_str(s),
            Value::Int(n) => write!(f, "{n}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// Attributes in input order. Keys are shared: a file repeats the same few dozen keys millions of times.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attributes(pub Vec<(Arc<str>, Value)>);

impl Attributes {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| &**k == key).map(|(_, v)| v)
    }

    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (&**k, v))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub time_ns: u64,
    pub name: Box<str>,
    pub attributes: Attributes,
}

/// A span link, or a reference to a span in another trace (Jaeger `FOLLOWS_FROM`/`CHILD_OF` across traces).
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub attributes: Attributes,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub parent_id: Option<SpanId>,
    pub name: Box<str>,
    pub service: Arc<str>,
    pub kind: SpanKind,
    pub start_ns: u64,
    pub end_ns: u64,
    pub status: StatusCode,
    pub status_message: Option<Box<str>>,
    pub attributes: Attributes,
    pub events: Vec<Event>,
    pub links: Vec<Link>,
}

impl Span {
    pub fn duration_ns(&self) -> u64 {
        self.end_ns.saturating_sub(self.start_ns)
    }

    pub fn attr(&self, key: &str) -> Option<&Value> {
        self.attributes.get(key)
    }

    pub fn attr_str(&self, key: &str) -> Option<&str> {
        self.attributes.str(key)
    }

    /// `http.response.status_code`, or the pre-1.21 `http.status_code`.
    pub fn http_status(&self) -> Option<i64> {
        self.attr("http.response.status_code")
            .or_else(|| self.attr("http.status_code"))
            .and_then(Value::as_i64)
    }

    /// Whether the span records a failure: an error status, a 5xx on a server span, or a 4xx/5xx on a client
    /// span (OTel's rules), or the `error=true` tag older Jaeger and Zipkin instrumentation sets.
    pub fn is_error(&self) -> bool {
        if self.status == StatusCode::Error {
            return true;
        }
        if self.status == StatusCode::Ok {
            return false;
        }
        match self.http_status() {
            Some(code) if code >= 500 => return true,
            Some(code) if code >= 400 && self.kind == SpanKind::Client => return true,
            _ => {}
        }
        self.attr("error").and_then(Value::as_bool).unwrap_or(false)
    }

    /// Text that says why the span failed: the status message, `error.type`, or the first exception event.
    pub fn error_text(&self) -> Option<String> {
        self.error_text_raw()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    }

    fn error_text_raw(&self) -> Option<String> {
        if let Some(message) = self.status_message.as_deref().filter(|m| !m.is_empty()) {
            return Some(message.to_string());
        }
        for event in &self.events {
            if &*event.name == "exception" {
                let kind = event.attributes.str("exception.type");
                let message = event.attributes.str("exception.message");
                match (kind, message) {
                    (Some(k), Some(m)) => return Some(format!("{k}: {m}")),
                    (Some(t), None) | (None, Some(t)) => return Some(t.to_string()),
                    (None, None) => {}
                }
            }
        }
        self.attr_str("error.type")
            .or_else(|| self.attr_str("error.message"))
            .or_else(|| {
                self.attr_str("error")
                    .filter(|e| !e.eq_ignore_ascii_case("true"))
            })
            .map(str::to_string)
    }

    /// Whether the failure was a timeout: the span gave up waiting, so it is a symptom, not a cause.
    pub fn is_timeout(&self) -> bool {
        if !self.is_error() {
            return false;
        }
        if matches!(self.http_status(), Some(504 | 408)) {
            return true;
        }
        let looks_like_timeout = |text: &str| {
            let lower = text.to_ascii_lowercase();
            lower.contains("timeout") || lower.contains("timed out") || lower.contains("deadline")
        };
        self.error_text().is_some_and(|t| looks_like_timeout(&t))
            || self.attr_str("error.type").is_some_and(looks_like_timeout)
    }
}

/// One log record, tied to a span when it carries trace and span ids.
#[derive(Clone, Debug, PartialEq)]
pub struct LogRecord {
    pub trace_id: Option<TraceId>,
    pub span_id: Option<SpanId>,
    pub time_ns: u64,
    pub severity: Option<Box<str>>,
    pub service: Option<Arc<str>>,
    pub body: Box<str>,
}
