//! HTTP between services: a client that applies the manifest's timeout and retry policy only where a retry is
//! safe and reads RFC 9457 problem details into one error type, and a server layer that answers every error
//! as problem details.

use std::time::Duration;

use axum::response::{IntoResponse, Response as AxumResponse};
use http::{HeaderValue, Method, StatusCode, header};
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span as _, SpanKind, Status, Tracer as _};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Middleware, Next};
use seamline_model::Manifest;
use serde::{Deserialize, Serialize};

use crate::telemetry::{Telemetry, parent_context, trace_context};
use crate::trace_context::TraceContext;

/// The content type of RFC 9457 problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// How calls to one partner behave: from its `[[consumes.http]]` entry in `seam.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// For each attempt.
    pub timeout: Duration,
    /// Attempts in all (1 = no retry).
    pub attempts: u32,
    /// Before the first retry; each next one doubles, up to `max_delay`, with equal jitter.
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            timeout: Duration::from_secs(10),
            attempts: 1,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl Policy {
    /// The policy `manifest` declares for calls to `service`; `None` when it does not consume that service over
    /// HTTP. A missing timeout or retry keeps the default (10 s, no retry).
    pub fn for_partner(manifest: &Manifest, service: &str) -> Option<Policy> {
        let entry = manifest
            .consumes_http
            .iter()
            .find(|c| c.service.value == service)?;
        let mut policy = Policy::default();
        if let Some(t) = &entry.timeout_ms {
            policy.timeout = Duration::from_millis(t.value);
        }
        if let Some(attempts) = entry.retry.as_ref().and_then(|r| r.attempts.as_ref()) {
            policy.attempts = u32::try_from(attempts.value).unwrap_or(u32::MAX).max(1);
        }
        if entry
            .retry
            .as_ref()
            .and_then(|r| r.backoff.as_ref())
            .is_some_and(|b| b.value == "constant")
        {
            policy.max_delay = policy.base_delay;
        }
        Some(policy)
    }

    /// A client with this policy.
    pub fn client(&self) -> Result<ClientWithMiddleware, reqwest::Error> {
        let inner = reqwest::Client::builder().timeout(self.timeout).build()?;
        Ok(ClientBuilder::new(inner).with(Retry(self.clone())).build())
    }

    /// A client with this policy that records a `CLIENT` span for every attempt and sends its `traceparent`.
    /// The parent is the [`TraceContext`] in the request's extensions (`.with_extension(trace)`), else a new trace.
    pub fn traced_client(
        &self,
        telemetry: &Telemetry,
    ) -> Result<ClientWithMiddleware, reqwest::Error> {
        let inner = reqwest::Client::builder().timeout(self.timeout).build()?;
        Ok(ClientBuilder::new(inner)
            .with(Retry(self.clone()))
            .with(Traced(telemetry.clone()))
            .build())
    }
}

/// RFC 9457 problem details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    #[serde(rename = "type", default = "about_blank")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Extension members, such as `errors` or `retry_after`.
    #[serde(flatten)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

fn about_blank() -> String {
    "about:blank".into()
}

impl Problem {
    /// A problem of `status` with its standard reason as the title.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem {
            kind: about_blank(),
            title: status.canonical_reason().map(str::to_owned),
            status: Some(status.as_u16()),
            detail: Some(detail.into()),
            instance: None,
            extensions: serde_json::Map::new(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> AxumResponse {
        let status = self
            .status
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
            body,
        )
            .into_response()
    }
}

/// Why a call failed, whatever the partner or transport.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The partner answered with problem details.
    #[error("{} {}{}", problem.status.unwrap_or(0), problem.title.as_deref().unwrap_or(""), problem.detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Problem { problem: Problem },
    /// The partner answered an error without problem details (its contract says it should not).
    #[error("HTTP {status} without problem details")]
    Status { status: u16, body: String },
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("{0}")]
    Transport(String),
}

impl CallError {
    /// The HTTP status, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            CallError::Problem { problem } => problem.status,
            CallError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Sends `request` with `client` (one built by [`Policy::client`]): a 2xx answer as it is, anything else as a
/// [`CallError`].
pub async fn call(
    request: reqwest_middleware::RequestBuilder,
    timeout: Duration,
) -> Result<reqwest::Response, CallError> {
    let response = request.send().await.map_err(|e| match &e {
        reqwest_middleware::Error::Reqwest(r) if r.is_timeout() => CallError::Timeout(timeout),
        other => CallError::Transport(other.to_string()),
    })?;
    if response.status().is_success() {
        return Ok(response);
    }
    let status = response.status().as_u16();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    let body = response.text().await.unwrap_or_default();
    match serde_json::from_str::<Problem>(&body) {
        Ok(mut problem) if is_problem => {
            problem.status.get_or_insert(status);
            Err(CallError::Problem { problem })
        }
        _ => Err(CallError::Status { status, body }),
    }
}

/// Whether a request may be sent again: an idempotent method, or an `Idempotency-Key` that makes it one.
pub fn retry_safe(request: &reqwest::Request) -> bool {
    matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    ) || request.headers().contains_key("idempotency-key")
}

/// Statuses worth another attempt: the partner may answer differently in a moment.
fn transient(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 502 | 503 | 504)
}

/// The retry middleware: exponential backoff with equal jitter, `Retry-After` honoured (up to `max_delay`),
/// only for retry-safe requests.
struct Retry(Policy);

#[async_trait::async_trait]
impl Middleware for Retry {
    async fn handle(
        &self,
        req: reqwest::Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let policy = &self.0;
        let safe = retry_safe(&req);
        let mut attempt = 1;
        loop {
            // The last attempt, an unsafe request or a body that cannot be sent twice: send it as it is.
            let copy = (safe && attempt < policy.attempts)
                .then(|| req.try_clone())
                .flatten();
            let Some(copy) = copy else {
                return next.run(req, extensions).await;
            };
            let result = next.clone().run(copy, extensions).await;
            let wait = match &result {
                Ok(r) if transient(r.status()) => {
                    retry_after(r).unwrap_or_else(|| delay(policy, attempt))
                }
                Err(reqwest_middleware::Error::Reqwest(e)) if e.is_timeout() || e.is_connect() => {
                    delay(policy, attempt)
                }
                _ => return result,
            };
            tracing::debug!(attempt, ?wait, url = %req.url(), "retrying");
            tokio::time::sleep(wait.min(policy.max_delay.max(policy.base_delay))).await;
            attempt += 1;
        }
    }
}

fn delay(policy: &Policy, attempt: u32) -> Duration {
    crate::backoff::jittered(policy.base_delay, policy.max_delay, attempt)
}

/// `Retry-After` in seconds (the HTTP-date form is not honoured: the backoff applies instead).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let seconds: u64 = response
        .headers()
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// A layer for an axum router: every error answer that is not already problem details becomes one (status
/// kept, its reason as the title, the original text as the detail), so partners decode one error format.
pub fn problem_details(router: axum::Router) -> axum::Router {
    router.layer(axum::middleware::map_response(as_problem))
}

async fn as_problem(response: AxumResponse) -> AxumResponse {
    let status = response.status();
    let already = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    if !(status.is_client_error() || status.is_server_error()) || already {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let detail = if text.trim().is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text
    };
    let mut problem = Problem::new(status, detail).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            problem.headers_mut().insert(name.clone(), value.clone());
        }
    }
    problem
}

/// Records each attempt as a `CLIENT` span (HTTP conventions) and sends its `traceparent` and `tracestate`.
struct Traced(Telemetry);

#[async_trait::async_trait]
impl Middleware for Traced {
    async fn handle(
        &self,
        mut req: reqwest::Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let tracer = self.0.tracer();
        let parent = extensions.get::<TraceContext>().cloned();
        let url = req.url().clone();
        let mut attributes = vec![
            KeyValue::new("http.request.method", req.method().to_string()),
            KeyValue::new("url.full", url.to_string()),
        ];
        if let Some(host) = url.host_str() {
            attributes.push(KeyValue::new("server.address", host.to_owned()));
        }
        if let Some(port) = url.port_or_known_default() {
            attributes.push(KeyValue::new("server.port", i64::from(port)));
        }
        let mut span = tracer
            .span_builder(req.method().to_string())
            .with_kind(SpanKind::Client)
            .with_attributes(attributes)
            .start_with_context(tracer, &parent_context(parent.as_ref()));
        for (name, value) in trace_context(span.span_context()).inject() {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                req.headers_mut().insert(name, value);
            }
        }
        let result = next.run(req, extensions).await;
        match &result {
            Ok(r) => {
                span.set_attribute(KeyValue::new(
                    "http.response.status_code",
                    i64::from(r.status().as_u16()),
                ));
                if r.status().is_server_error() {
                    span.set_attribute(KeyValue::new(
                        "error.type",
                        r.status().as_u16().to_string(),
                    ));
                    span.set_status(Status::error(format!("HTTP {}", r.status().as_u16())));
                }
            }
            Err(e) => {
                let kind = match e {
                    reqwest_middleware::Error::Reqwest(r) if r.is_timeout() => "timeout",
                    reqwest_middleware::Error::Reqwest(r) if r.is_connect() => "connect",
                    _ => "transport",
                };
                span.set_attribute(KeyValue::new("error.type", kind));
                span.set_status(Status::error(e.to_string()));
            }
        }
        span.end();
        result
    }
}

/// A layer for an axum router that records each request as a `SERVER` span, a child of the caller's
/// `traceparent` (keeping its `tracestate`), gives handlers its [`TraceContext`] as a request extension (`Extension<TraceContext>`), and
/// names the span in a `traceresponse` header of the answer.
pub fn traced(router: axum::Router, telemetry: Telemetry) -> axum::Router {
    router.layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let telemetry = telemetry.clone();
            async move { serve_traced(&telemetry, req, next).await }
        },
    ))
}

async fn serve_traced(
    telemetry: &Telemetry,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> AxumResponse {
    let tracer = telemetry.tracer();
    let parent = TraceContext::extract(&Headers(req.headers()));
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let method = req.method().to_string();
    let mut attributes = vec![
        KeyValue::new("http.request.method", method.clone()),
        KeyValue::new("url.path", req.uri().path().to_owned()),
    ];
    if let Some(route) = &route {
        attributes.push(KeyValue::new("http.route", route.clone()));
    }
    let name = match &route {
        Some(r) => format!("{method} {r}"),
        None => method,
    };
    let mut span = tracer
        .span_builder(name)
        .with_kind(SpanKind::Server)
        .with_attributes(attributes)
        .start_with_context(tracer, &parent_context(parent.as_ref()));
    let context = trace_context(span.span_context());
    let traceresponse = HeaderValue::from_str(&context.header());
    req.extensions_mut().insert(context);
    let mut response = next.run(req).await;
    // W3C Trace Context Level 2: the caller learns which trace its request started, e.g. to put it in a log line.
    if let Ok(value) = traceresponse {
        response.headers_mut().insert("traceresponse", value);
    }
    let status = response.status();
    span.set_attribute(KeyValue::new(
        "http.response.status_code",
        i64::from(status.as_u16()),
    ));
    if status.is_server_error() {
        span.set_attribute(KeyValue::new("error.type", status.as_u16().to_string()));
        span.set_status(Status::error(format!("HTTP {}", status.as_u16())));
    }
    span.end();
    response
}

/// HTTP headers as a carrier for the trace context propagator.
struct Headers<'a>(&'a http::HeaderMap);

impl opentelemetry::propagation::Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key)?.to_str().ok()
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}
