//! Whether a span records a failure, and why: the one place that decides it, whatever instrumentation wrote the
//! span. OTel status first (an explicit OK is final), then what older or other instrumentation leaves when the
//! status is unset: HTTP and gRPC codes by OTel's rules, Envoy's response flags, exception events, the OpenTracing
//! `error` tag and `error.type`.

use crate::model::{Span, SpanKind, StatusCode, Value};

/// Why a span counts as failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureReason<'a> {
    /// The status is ERROR (OTLP's status, Jaeger's `otel.status_code` or `error=true`, Zipkin's `error` tag).
    Status,
    /// An HTTP status code that is an error for the span's kind: 5xx, and 4xx on client spans.
    Http(i64),
    /// A gRPC status code that is an error for the span's kind: any but OK on clients, and on servers the codes
    /// that mean the server failed (UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS).
    Grpc(GrpcCode),
    /// Envoy's (and Istio's) `response_flags`, e.g. `UT` or `UF,URX`.
    ProxyFlags(&'a str),
    /// An `exception` event (or an OpenTracing `error` log) that was not marked handled.
    Exception,
    /// The OpenTracing `error` tag, true as a bool or as text.
    ErrorTag,
    /// `error.type`, which the current conventions set only on failed operations.
    ErrorType(&'a str),
}

/// A failed span and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure<'a> {
    pub reason: FailureReason<'a>,
}

/// A gRPC status code (`rpc.grpc.status_code` as a number, or a name such as `UNAVAILABLE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GrpcCode(pub i64);

const GRPC_NAMES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

impl GrpcCode {
    pub const DEADLINE_EXCEEDED: GrpcCode = GrpcCode(4);

    fn from_value(value: &Value) -> Option<GrpcCode> {
        if let Some(n) = value.as_i64() {
            return Some(GrpcCode(n));
        }
        let name = value.as_str()?.trim();
        let name = name.strip_prefix("STATUS_CODE_").unwrap_or(name);
        GRPC_NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .map(|i| GrpcCode(i as i64))
    }

    pub fn name(self) -> &'static str {
        usize::try_from(self.0)
            .ok()
            .and_then(|i| GRPC_NAMES.get(i))
            .copied()
            .unwrap_or("unknown code")
    }

    /// OTel's gRPC rules: a server span fails only on codes that say the server failed; a client on any but OK.
    fn is_error(self, kind: SpanKind) -> bool {
        match kind {
            SpanKind::Server => matches!(self.0, 2 | 4 | 12 | 13 | 14 | 15),
            _ => self.0 != 0,
        }
    }
}

/// What Envoy's response flags mean, for the report; flags not listed here still count as failures.
const PROXY_FLAGS: &[(&str, &str)] = &[
    ("UT", "upstream request timeout"),
    ("UF", "upstream connection failure"),
    ("UH", "no healthy upstream host"),
    ("UO", "upstream overflow (circuit breaker)"),
    ("URX", "upstream retry limit exceeded"),
    ("UR", "upstream remote reset"),
    ("UC", "upstream connection termination"),
    ("NR", "no route configured"),
    ("NC", "no upstream cluster"),
    ("DC", "downstream connection termination"),
    ("LR", "connection local reset"),
    ("LH", "local health check failed"),
    ("RL", "rate limited"),
    ("UAEX", "denied by the external authorization service"),
    ("FI", "fault injected (abort)"),
    ("SI", "stream idle timeout"),
    ("DT", "request or connection exceeded its max duration"),
    ("UMSDR", "upstream max stream duration reached"),
    ("DPE", "downstream protocol error"),
    ("UPE", "upstream protocol error"),
    ("OM", "overload manager"),
    ("DF", "DNS resolution failed"),
];

/// Flags that mean the proxy gave up waiting.
const PROXY_TIMEOUT_FLAGS: [&str; 4] = ["UT", "SI", "DT", "UMSDR"];

/// Flags that do not fail a request on their own.
const PROXY_BENIGN_FLAGS: [&str; 2] = ["-", "DI"];

fn proxy_flags(flags: &str) -> impl Iterator<Item = &str> {
    flags.split(',').map(str::trim).filter(|f| !f.is_empty())
}

/// Envoy's text for its flags, e.g. "upstream request timeout (UT)".
pub fn describe_proxy_flags(flags: &str) -> String {
    let parts: Vec<String> = proxy_flags(flags)
        .filter(|f| !PROXY_BENIGN_FLAGS.contains(f))
        .map(|f| match PROXY_FLAGS.iter().find(|(flag, _)| *flag == f) {
            Some((_, text)) => format!("{text} ({f})"),
            None => format!("response flag {f}"),
        })
        .collect();
    format!("proxy: {}", parts.join(", "))
}

impl FailureReason<'_> {
    /// A few words for the report: "HTTP 503", "gRPC UNAVAILABLE", "an exception".
    pub fn describe(&self) -> String {
        match self {
            FailureReason::Status => "status ERROR".into(),
            FailureReason::Http(code) => format!("HTTP {code}"),
            FailureReason::Grpc(code) => format!("gRPC {}", code.name()),
            FailureReason::ProxyFlags(flags) => describe_proxy_flags(flags),
            FailureReason::Exception => "an exception".into(),
            FailureReason::ErrorTag => "error=true".into(),
            FailureReason::ErrorType(kind) => format!("error.type {kind}"),
        }
    }
}

/// The attributes that decide failure, read in one pass over the span's attributes.
#[derive(Default)]
struct Signals<'a> {
    http: Option<i64>,
    /// The pre-1.21 `http.status_code`, used when the current name is absent.
    old_http: Option<i64>,
    grpc: Option<GrpcCode>,
    proxy_flags: Option<&'a str>,
    error_tag: bool,
    error_type: Option<&'a str>,
}

impl<'a> Signals<'a> {
    fn of(span: &'a Span) -> Signals<'a> {
        let mut s = Signals::default();
        for (key, value) in span.attributes.iter() {
            match key {
                "http.response.status_code" => s.http = value.as_i64(),
                "http.status_code" => s.old_http = value.as_i64(),
                "rpc.grpc.status_code" | "rpc.response.status_code" | "grpc.status_code" => {
                    s.grpc = s.grpc.or_else(|| GrpcCode::from_value(value))
                }
                "response_flags" => s.proxy_flags = value.as_str(),
                "error" => s.error_tag = value.as_bool() == Some(true),
                "error.type" => s.error_type = value.as_str().filter(|t| !t.is_empty()),
                _ => {}
            }
        }
        s
    }

    fn http(&self) -> Option<i64> {
        self.http.or(self.old_http)
    }
}

/// Whether an event records an exception: OTel's `exception` event, or the `error` log OpenTracing writes (Jaeger
/// names a log by its `event` field). `exception.escaped=false` marks one the code handled.
pub(crate) fn is_exception_event(name: &str) -> bool {
    name == "exception" || name == "error"
}

/// Whether `span` failed, and why. An explicit OK status is final, as the OTel specification says.
pub fn failure(span: &Span) -> Option<Failure<'_>> {
    let reason = match span.status {
        StatusCode::Ok => return None,
        StatusCode::Error => FailureReason::Status,
        StatusCode::Unset => unset_status_failure(span)?,
    };
    Some(Failure { reason })
}

fn unset_status_failure(span: &Span) -> Option<FailureReason<'_>> {
    let signals = Signals::of(span);
    if let Some(code) = signals.http() {
        let failed = code >= 500 || (code >= 400 && span.kind == SpanKind::Client);
        if failed {
            return Some(FailureReason::Http(code));
        }
    }
    if let Some(code) = signals.grpc.filter(|c| c.is_error(span.kind)) {
        return Some(FailureReason::Grpc(code));
    }
    if let Some(flags) = signals
        .proxy_flags
        .filter(|f| proxy_flags(f).any(|f| !PROXY_BENIGN_FLAGS.contains(&f)))
    {
        return Some(FailureReason::ProxyFlags(flags));
    }
    let unhandled = span.events.iter().any(|e| {
        is_exception_event(&e.name)
            && e.attributes
                .get("exception.escaped")
                .and_then(Value::as_bool)
                != Some(false)
    });
    if unhandled {
        return Some(FailureReason::Exception);
    }
    if signals.error_tag {
        return Some(FailureReason::ErrorTag);
    }
    // `error.type` with a 4xx on a server span is a refused request, not a failure of the server.
    if let Some(kind) = signals.error_type {
        let refused = span.kind == SpanKind::Server
            && kind.parse::<i64>().is_ok_and(|c| (400..500).contains(&c));
        if !refused {
            return Some(FailureReason::ErrorType(kind));
        }
    }
    None
}

/// Whether a failed span gave up waiting (a timeout is a symptom, not a cause): HTTP 504 or 408, gRPC
/// DEADLINE_EXCEEDED, Envoy's timeout flags, or an error text that says so.
pub fn is_timeout(span: &Span) -> bool {
    if failure(span).is_none() {
        return false;
    }
    let signals = Signals::of(span);
    if matches!(signals.http(), Some(504 | 408))
        || signals.grpc == Some(GrpcCode::DEADLINE_EXCEEDED)
    {
        return true;
    }
    if signals
        .proxy_flags
        .is_some_and(|flags| proxy_flags(flags).any(|f| PROXY_TIMEOUT_FLAGS.contains(&f)))
    {
        return true;
    }
    let looks_like_timeout = |text: &str| {
        let lower = text.to_ascii_lowercase();
        lower.contains("timeout") || lower.contains("timed out") || lower.contains("deadline")
    };
    span.error_text().is_some_and(|t| looks_like_timeout(&t))
        || signals.error_type.is_some_and(looks_like_timeout)
}
