//! The router's defences against hostile requests, as layers, so they hold with and without a socket: heads over
//! the limits (414, 431), declared bodies over the limit (413 before a byte of them is read), bodies that trickle
//! (408 at a deadline), answers that take too long (503), and panics (500). Each answers a problem; the
//! authorization of writes is checked before their body is read by the handlers' extractors (`api::MayPublish`).

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use http_body::{Body as _, Frame, SizeHint};

use crate::api::{ApiError, MAX_BODY_BYTES};
use crate::server::Limits;

/// The longest request target (path and query) taken (414 past it).
pub(crate) const MAX_URI_BYTES: usize = 8 * 1024;
/// The most header fields a request may carry (431 past it).
pub(crate) const MAX_HEADERS: usize = 100;
/// The most bytes a request's header fields may take, names and values (431 past it).
pub(crate) const MAX_HEADER_BYTES: usize = 32 * 1024;

/// `routes` behind the defences, outermost first: panics, the request log, head limits, body limits, the time
/// limit.
pub(crate) fn apply(routes: Router, limits: Limits) -> Router {
    routes
        .layer(from_fn_with_state(limits, time_limit))
        .layer(from_fn_with_state(limits, body_limits))
        .layer(from_fn(head_limits))
        .layer(from_fn(crate::api::log_request))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
}

/// A body that did not arrive within `Limits::body_timeout`; found again in the body's error by `timed_out`.
#[derive(Debug)]
pub(crate) struct BodyTimeout;

impl std::fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl std::error::Error for BodyTimeout {}

/// Whether `err`, or an error it was caused by, is a body that timed out.
pub(crate) fn timed_out(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(err) = next {
        if err.is::<BodyTimeout>() {
            return true;
        }
        next = err.source();
    }
    false
}

async fn time_limit(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limits.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::unavailable(
            "Took too long",
            format!(
                "the answer took longer than {} s; try again later",
                limits.request_timeout.as_secs_f64()
            ),
        )
        .into_response(),
    }
}

/// A declared body over the limit is refused before any of it is read; any other body gets a deadline.
async fn body_limits(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if let Some(length) = declared.filter(|&n| n > MAX_BODY_BYTES as u64) {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request too large",
            format!(
                "the body declares {length} bytes; the registry takes at most {MAX_BODY_BYTES}"
            ),
        )
        .into_response();
    }
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let deadline = Box::pin(tokio::time::sleep(limits.body_timeout));
    next.run(request.map(|inner| Body::new(DeadlineBody { inner, deadline })))
        .await
}

async fn head_limits(request: Request, next: Next) -> Response {
    let uri = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if uri > MAX_URI_BYTES {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            "URI too long",
            format!(
                "the request target takes {uri} bytes; the registry takes at most {MAX_URI_BYTES}"
            ),
        )
        .into_response();
    }
    let headers = request.headers();
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        return ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "Request header fields too large",
            format!(
                "the request has {} header fields in {bytes} bytes; the registry takes at most \
                 {MAX_HEADERS} in {MAX_HEADER_BYTES}",
                headers.len()
            ),
        )
        .into_response();
    }
    next.run(request).await
}

/// A panic is a bug: it is logged, and the client gets a 500 problem instead of a dropped connection.
fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("no message");
    tracing::error!(panic = message, "a request panicked");
    ApiError::internal().into_response()
}

/// A request body that fails with `BodyTimeout` once its deadline passes, however slowly its bytes arrive.
struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(axum::Error::new(BodyTimeout))));
        }
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use axum::routing::get;
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;

    use super::*;

    #[tokio::test]
    async fn a_panic_answers_500_problem_details() {
        let routes = Router::new().route(
            "/boom",
            get(|| async {
                let empty: &[u8] = &[];
                // A bug of the kind the layer is for: an index past the end.
                empty[usize::from(empty.is_empty())].to_string()
            }),
        );
        let response = apply(routes, Limits::default())
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["status"], 500);
        assert_eq!(problem["title"], "Internal error");
    }
}
