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

    /// Whether the span records a failure, read from any instrumentation's way of saying so
    /// ([`crate::failure::failure`] decides, and says why).
    pub fn is_error(&self) -> bool {
        crate::failure::failure(self).is_some()
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
            if crate::failure::is_exception_event(&event.name) {
                // OTel's exception event, or OpenTracing's error log (`error.kind`, `error.object`, `message`).
                let fields = &event.attributes;
                let kind = fields
                    .str("exception.type")
                    .or_else(|| fields.str("error.kind"));
                let message = fields
                    .str("exception.message")
                    .or_else(|| fields.str("error.object"))
                    .or_else(|| fields.str("message").filter(|m| *m != &*event.name));
                match (kind, message) {
                    (Some(k), Some(m)) => return Some(format!("{k}: {m}")),
                    (Some(t), None) | (None, Some(t)) => return Some(t.to_string()),
                    (None, None) => {}
                }
            }
        }
        if let Some(flags) = self.attr_str("response_flags").filter(|f| f.trim() != "-")
            && !flags.trim().is_empty()
        {
            return Some(crate::failure::describe_proxy_flags(flags));
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
        crate::failure::is_timeout(self)
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
