//! The registry on a socket: hyper's HTTP/1.1 connections under the limits a server reachable by anyone needs.
//! A client has `header_timeout` to send a request's headers (also the most a kept-alive connection may idle),
//! an answer that the client stops reading for `write_timeout` closes the connection, at most `max_connections` connections are served at once (the next ones are answered 503 and closed), and
//! graceful shutdown waits `shutdown_grace` for the requests in flight, then closes what is still open. The
//! limits on bodies and answers are the router's (`api::router`), so they hold without a socket too.

use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::api::{self, ApiError, Settings};
use crate::store::Store;

/// How long and how much a client may take: the registry's defence against slow, large and many clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// To send a request's headers, from the connection's first byte or the end of the previous answer; a
    /// connection silent for longer is closed.
    pub header_timeout: Duration,
    /// To send a request's body, from the end of its headers, however the bytes trickle in (408 after).
    pub body_timeout: Duration,
    /// To answer a request, its body included (503 after).
    pub request_timeout: Duration,
    /// The longest a write of an answer may wait for the client to read; a client that stops reading is
    /// disconnected rather than holding its connection's place for ever.
    pub write_timeout: Duration,
    /// Connections served at once; past it a new connection is answered 503 and closed.
    pub max_connections: usize,
    /// How long shutdown waits for the requests in flight before it closes the connections still open.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(30),
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// The most a request's head (request line and headers) may take in the connection's read buffer; past it
/// hyper answers 431 with no body. The router refuses smaller heads over its own limits with a problem.
const HEAD_BUFFER_BYTES: usize = 64 * 1024;

/// Headers hyper parses per request; the router refuses more than `api::MAX_HEADERS` with a problem.
const PARSED_HEADERS: usize = 256;

/// Connections being refused at once; past it a connection over the limit is closed without an answer.
const REFUSING: usize = 64;

/// Serves the registry on `listener` until `shutdown` completes, then finishes the requests in flight for up to
/// `settings.limits.shutdown_grace`.
pub async fn serve(
    store: Store,
    settings: Settings,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = settings.limits;
    let service = hyper_util::service::TowerToHyperService::new(api::router(store, settings));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(HEAD_BUFFER_BYTES)
        .max_headers(PARSED_HEADERS);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let refusals = Arc::new(Semaphore::new(REFUSING));
    let (stop, stopping) = watch::channel(());
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    accept_failed(err).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Finished connections leave the set here, so it holds only open ones.
        while connections.try_join_next().is_some() {}
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            if let Ok(turn) = refusals.clone().try_acquire_owned() {
                tokio::spawn(async move {
                    refuse(stream).await;
                    drop(turn);
                });
            }
            continue;
        };
        let mut stream = tokio_io_timeout::TimeoutStream::new(stream);
        stream.set_write_timeout(Some(limits.write_timeout));
        let connection = http.serve_connection(TokioIo::new(Box::pin(stream)), service.clone());
        let mut stopping = stopping.clone();
        connections.spawn(async move {
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stopping.changed() => {
                    // Finish the request in flight, if any, then close.
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            drop(slot);
        });
    }
    drop(listener);
    drop(stop);
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            "shutdown: closing the connections still open after {} s",
            limits.shutdown_grace.as_secs_f64()
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// An error from `accept`: the peer's own (it went away before it was accepted) is nothing; anything else,
/// such as running out of file descriptors, is logged and waited out, as `axum::serve` does.
async fn accept_failed(err: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        err.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %err, "accepting a connection");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Answers a connection over the limit with 503 and closes it, within a second.
async fn refuse(mut stream: TcpStream) {
    let problem = ApiError::unavailable(
        "Too many connections",
        "the registry serves as many connections as it may; try again shortly".into(),
    )
    .body();
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\nretry-after: 1\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{problem}",
        problem.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        // Read what the client sent until it closes, so closing does not reset the connection before the
        // client has read the answer.
        let mut sink = [0u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<(), std::io::Error>(())
    })
    .await;
}
