//! The registry under hostile use, on loopback sockets and through the router: slow and half-sent headers, slow,
//! stalled and oversized bodies, writes without a token, more connections than allowed, a shutdown with a stalled
//! client, hostile names in the web UI, and the database stopped and started again. Every client here is bounded
//! in count, and every wait in time (`BOUND`), so a regression fails the test instead of hanging it.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use seamline_registry::api::router;
use seamline_registry::{Limits, Scope, Settings, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceExt;

use common::{postgres, sqlite};

/// The longest any step may take before the test fails: far above every limit configured here, far below the
/// "forever" each defect meant.
const BOUND: Duration = Duration::from_secs(15);

/// Short limits, so the tests run in seconds.
fn limits() -> Limits {
    Limits {
        header_timeout: Duration::from_millis(400),
        body_timeout: Duration::from_millis(600),
        request_timeout: Duration::from_secs(5),
        write_timeout: Duration::from_millis(500),
        max_connections: 64,
        shutdown_grace: Duration::from_millis(500),
    }
}

/// A server on a loopback port; dropping the sender shuts it down.
struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start(store: &Store, limits: Limits) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let settings = Settings {
        limits,
        ..Default::default()
    };
    let task = tokio::spawn(seamline_registry::serve(
        store.clone(),
        settings,
        listener,
        async move {
            let _ = stopped.await;
        },
    ));
    Server {
        addr,
        stop: Some(stop),
        task,
    }
}

impl Server {
    /// Shuts the server down; `Err` when it has not returned within `BOUND`.
    async fn shut_down(mut self) -> Result<Duration, &'static str> {
        let started = Instant::now();
        drop(self.stop.take());
        match tokio::time::timeout(BOUND, &mut self.task).await {
            Ok(returned) => {
                returned.unwrap().unwrap();
                Ok(started.elapsed())
            }
            Err(_) => {
                self.task.abort();
                Err("serve did not return after shutdown")
            }
        }
    }
}

/// One answer read off a socket.
#[derive(Debug)]
struct Raw {
    status: u16,
    head: String,
    body: String,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn problem(&self) -> serde_json::Value {
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{self:?}"
        );
        serde_json::from_str(&self.body).unwrap()
    }
}

/// Reads one answer (head, then a body of its `content-length`), or `None` when the connection closes first or
/// nothing comes within `BOUND`.
async fn read_answer(stream: &mut TcpStream) -> Option<Raw> {
    tokio::time::timeout(BOUND, async {
        let mut bytes = Vec::new();
        let mut chunk = [0u8; 8192];
        let end = loop {
            if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            bytes.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
        let status = head.split(' ').nth(1)?.parse().ok()?;
        let mut raw = Raw {
            status,
            head,
            body: String::new(),
        };
        let length: usize = raw
            .header("content-length")
            .map_or(0, |v| v.parse().unwrap());
        let mut body = bytes[end + 4..].to_vec();
        while body.len() < length {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        raw.body = String::from_utf8_lossy(&body).into_owned();
        Some(raw)
    })
    .await
    .ok()
    .flatten()
}

/// Sends `request` as is and reads the answer.
async fn raw(addr: SocketAddr, request: &[u8]) -> Option<Raw> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    read_answer(&mut stream).await
}

/// Whether the server closes `stream` (end of file or reset) within `BOUND`.
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut sink = [0u8; 1024];
    tokio::time::timeout(BOUND, async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return true,
                Ok(_) => {}
            }
        }
    })
    .await
    .unwrap_or(false)
}

fn manifest(service: &str) -> String {
    format!("[service]\nname = \"{service}\"\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_headers_are_cut_off_and_others_are_served() {
    let (_dir, store) = sqlite().await;
    let server = start(&store, limits()).await;
    // Fifty clients that never finish their headers, and one idle kept-alive connection.
    let mut slow = Vec::new();
    for _ in 0..50 {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: registry\r\nx-slow: ")
            .await
            .unwrap();
        slow.push(stream);
    }
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nhost: registry\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_answer(&mut idle).await.unwrap().status, 200);
    // Meanwhile a well-behaved client is answered.
    let ok = raw(
        server.addr,
        b"GET /healthz HTTP/1.1\r\nhost: registry\r\nconnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    assert_eq!((ok.status, ok.body.as_str()), (200, "ok"));
    for stream in slow.iter_mut().chain([&mut idle]) {
        assert!(
            closed_by_server(stream).await,
            "a connection without a complete request stayed open"
        );
    }
    server.shut_down().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_body_over_the_limit_is_refused_at_once() {
    let (_dir, store) = sqlite().await;
    let admin = store.create_token("admin", &[Scope::Admin]).await.unwrap();
    let server = start(&store, limits()).await;
    // 1 TB declared, nothing sent: 413 without waiting for a byte, with or without a token.
    for auth in [
        String::new(),
        format!("authorization: Bearer {}\r\n", admin.secret),
    ] {
        let request = format!(
            "PUT /api/v1/services/svc/versions/1.0.0 HTTP/1.1\r\nhost: registry\r\n{auth}\
             content-type: application/json\r\ncontent-length: 1099511627776\r\n\r\n"
        );
        let answer = raw(server.addr, request.as_bytes())
            .await
            .expect("an answer");
        assert_eq!(answer.status, 413, "{answer:?}");
        assert_eq!(answer.problem()["title"], "Request too large");
    }
    server.shut_down().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_authorized_before_their_body_is_read() {
    let (_dir, store) = sqlite().await;
    let deployer = store
        .create_token("deployer", &[Scope::Deploy("staging".into())])
        .await
        .unwrap();
    let server = start(&store, limits()).await;
    // Headers declaring a 1 MB body, and no body: the refusal cannot wait for it.
    let cases = [
        ("PUT /api/v1/services/svc/versions/1.0.0", None, 401),
        (
            "PUT /api/v1/services/svc/versions/1.0.0",
            Some(deployer.secret.as_str()),
            403,
        ),
        (
            "PUT /api/v1/services/svc/versions/1.0.0",
            Some("seam_not-a-token"),
            401,
        ),
        (
            "PUT /api/v1/environments/production/deployments/svc",
            Some(deployer.secret.as_str()),
            403,
        ),
        (
            "PUT /api/v1/environments/production/deployments/svc",
            None,
            401,
        ),
    ];
    for (line, token, status) in cases {
        let auth = token.map_or(String::new(), |t| format!("authorization: Bearer {t}\r\n"));
        let request = format!(
            "{line} HTTP/1.1\r\nhost: registry\r\n{auth}content-type: application/json\r\n\
             content-length: 1000000\r\n\r\n"
        );
        let answer = raw(server.addr, request.as_bytes())
            .await
            .unwrap_or_else(|| panic!("{line} with {token:?}: no answer before its body"));
        assert_eq!(answer.status, status, "{line}: {answer:?}");
        assert_eq!(answer.problem()["status"], status);
    }
    server.shut_down().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_and_trickling_bodies_time_out_with_408() {
    let (_dir, store) = sqlite().await;
    let admin = store.create_token("admin", &[Scope::Admin]).await.unwrap();
    let server = start(&store, limits()).await;
    let body = serde_json::json!({ "manifest": manifest("svc") }).to_string();
    let head = format!(
        "PUT /api/v1/services/svc/versions/1.0.0 HTTP/1.1\r\nhost: registry\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        admin.secret,
        body.len()
    );
    // Stalled: part of the body, then nothing.
    let mut stalled = TcpStream::connect(server.addr).await.unwrap();
    stalled.write_all(head.as_bytes()).await.unwrap();
    stalled.write_all(&body.as_bytes()[..5]).await.unwrap();
    // Trickling: a byte every 100 ms never lets a per-read timeout fire; the body's deadline does.
    let mut trickling = TcpStream::connect(server.addr).await.unwrap();
    trickling.write_all(head.as_bytes()).await.unwrap();
    let trickle = tokio::spawn(async move {
        for byte in body.as_bytes() {
            if trickling.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        trickling
    });
    let answer = read_answer(&mut stalled).await.expect("an answer");
    assert_eq!(answer.status, 408, "{answer:?}");
    assert_eq!(answer.problem()["title"], "Request timeout");
    let mut trickling = trickle.await.unwrap();
    let answer = read_answer(&mut trickling).await.expect("an answer");
    assert_eq!(answer.status, 408, "{answer:?}");
    // Nothing was stored.
    let (status, versions) = get(&store, "/api/v1/services/svc/versions").await;
    assert_eq!((status, versions), (StatusCode::OK, serde_json::json!([])));
    server.shut_down().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_are_answered_503() {
    let (_dir, store) = sqlite().await;
    let server = start(
        &store,
        Limits {
            max_connections: 4,
            header_timeout: Duration::from_secs(30),
            ..limits()
        },
    )
    .await;
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: registry\r\n\r\n")
            .await
            .unwrap();
        assert_eq!(read_answer(&mut stream).await.unwrap().status, 200);
        held.push(stream);
    }
    let refused = raw(
        server.addr,
        b"GET /healthz HTTP/1.1\r\nhost: registry\r\n\r\n",
    )
    .await
    .expect("an answer over the limit");
    assert_eq!(refused.status, 503, "{refused:?}");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.problem()["title"], "Too many connections");
    // A connection closed frees its place.
    drop(held.pop());
    let deadline = Instant::now() + BOUND;
    loop {
        let answer = raw(
            server.addr,
            b"GET /healthz HTTP/1.1\r\nhost: registry\r\nconnection: close\r\n\r\n",
        )
        .await
        .unwrap();
        if answer.status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "no place freed: {answer:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.shut_down().await.unwrap();
}

/// A client that asks for answers and never reads them fills the socket buffers, and the server's write then
/// waits on it: past `write_timeout` the connection is closed and its place is free again. Before, the write
/// waited for ever, so 1,024 such clients held every place of the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_loses_its_place() {
    let (_dir, store) = sqlite().await;
    let server = start(
        &store,
        Limits {
            max_connections: 1,
            header_timeout: Duration::from_secs(30),
            ..limits()
        },
    )
    .await;
    let mut stuck = TcpStream::connect(server.addr).await.unwrap();
    // Far more answer than loopback's buffers hold (the description is tens of KiB), asked for in requests
    // small enough to be all sent.
    let asks = b"GET /openapi.json HTTP/1.1\r\nhost: registry\r\n\r\n".repeat(4000);
    stuck.write_all(&asks).await.unwrap();
    let healthz = b"GET /healthz HTTP/1.1\r\nhost: registry\r\nconnection: close\r\n\r\n";
    let first = raw(server.addr, healthz).await.expect("an answer");
    assert_eq!(
        first.status, 503,
        "the reader-less client holds the only place: {first:?}"
    );
    let deadline = Instant::now() + BOUND;
    loop {
        let answer = raw(server.addr, healthz).await.expect("an answer");
        if answer.status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the client that never reads still holds the place: {answer:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        closed_by_server(&mut stuck).await,
        "its connection was closed"
    );
    server.shut_down().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_within_its_grace_despite_stalled_clients() {
    let (_dir, store) = sqlite().await;
    let admin = store.create_token("admin", &[Scope::Admin]).await.unwrap();
    let server = start(
        &store,
        Limits {
            header_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(60),
            ..limits()
        },
    )
    .await;
    // One client stalls in its headers, another in its body.
    let mut in_headers = TcpStream::connect(server.addr).await.unwrap();
    in_headers
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: reg")
        .await
        .unwrap();
    let mut in_body = TcpStream::connect(server.addr).await.unwrap();
    in_body
        .write_all(
            format!(
                "PUT /api/v1/services/svc/versions/1.0.0 HTTP/1.1\r\nhost: registry\r\n\
                 authorization: Bearer {}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{",
                admin.secret
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let took = server.shut_down().await.unwrap();
    eprintln!("shutdown with two stalled clients took {took:?} (grace 500 ms)");
    assert!(closed_by_server(&mut in_headers).await);
    assert!(closed_by_server(&mut in_body).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_targets_and_many_headers_are_problems() {
    let (_dir, store) = sqlite().await;
    let server = start(&store, limits()).await;
    let long = format!(
        "GET /api/v1/services/{}/versions HTTP/1.1\r\nhost: registry\r\n\r\n",
        "a".repeat(20_000)
    );
    let answer = raw(server.addr, long.as_bytes()).await.unwrap();
    assert_eq!(answer.status, 414, "{answer:?}");
    assert_eq!(answer.problem()["status"], 414);

    let mut many = String::from("GET /healthz HTTP/1.1\r\nhost: registry\r\n");
    for i in 0..150 {
        many.push_str(&format!("x-h{i}: {i}\r\n"));
    }
    many.push_str("\r\n");
    let answer = raw(server.addr, many.as_bytes()).await.unwrap();
    assert_eq!(answer.status, 431, "{answer:?}");
    assert_eq!(answer.problem()["status"], 431);

    let big = format!(
        "GET /healthz HTTP/1.1\r\nhost: registry\r\nx-big: {}\r\n\r\n",
        "b".repeat(40_000)
    );
    let answer = raw(server.addr, big.as_bytes()).await.unwrap();
    assert_eq!(answer.status, 431, "{answer:?}");
    assert_eq!(answer.problem()["status"], 431);
    server.shut_down().await.unwrap();
}

/// `(status, JSON or the text)` of a GET through the router.
async fn get(store: &Store, uri: &str) -> (StatusCode, serde_json::Value) {
    let (status, _, _, text) = send(store, Settings::default(), "GET", uri, None).await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

/// `(status, content type, www-authenticate, body)` of a request through the router.
async fn send(
    store: &Store,
    settings: Settings,
    method: &str,
    uri: &str,
    request: Option<Request<Body>>,
) -> (StatusCode, String, Option<String>, String) {
    let request = request.unwrap_or_else(|| {
        Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .unwrap()
    });
    let response = tokio::time::timeout(BOUND, router(store.clone(), settings).oneshot(request))
        .await
        .unwrap_or_else(|_| panic!("{method} {uri}: no answer within {BOUND:?}"))
        .unwrap();
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &axum::http::HeaderValue| v.to_str().unwrap().to_string())
    };
    let (status, content_type, authenticate) = (
        response.status(),
        header("content-type").unwrap_or_default(),
        header("www-authenticate"),
    );
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        authenticate,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// Names the API would refuse are refused by the web UI too, as HTML pages, on every database.
async fn hostile_names(store: &Store) {
    for uri in [
        "/services/a%00b",
        "/services/%FF%FE",
        "/services/..",
        "/services/svc/diff?from=%00&to=1.0.0",
        "/services/svc/diff?from=1.0.0&to=a%00",
        "/matrix?service=a%00b&version=1.0.0",
        "/matrix?service=svc&version=%00",
        "/matrix?service=svc&service=other&version=1",
        "/matrix?service=%FF",
        "/?after=a%00b",
    ] {
        let (status, content_type, _, text) =
            send(store, Settings::default(), "GET", uri, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {text}");
        assert!(
            content_type.starts_with("text/html"),
            "{uri}: {content_type} {text}"
        );
    }
}

#[tokio::test]
async fn hostile_names_in_the_web_ui_are_400_pages() {
    let (_dir, store) = sqlite().await;
    hostile_names(&store).await;
    let Some(pg) = postgres().await else {
        return;
    };
    hostile_names(&pg.store).await;
    pg.drop_database().await;
}

#[tokio::test]
async fn the_web_ui_asks_for_a_token_as_the_api_does() {
    let (_dir, store) = sqlite().await;
    let private = Settings {
        private_reads: true,
        ..Default::default()
    };
    let (status, content_type, authenticate, _) = send(&store, private, "GET", "/", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(content_type.starts_with("text/html"));
    assert_eq!(authenticate.as_deref(), Some("Bearer"));
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415_unsupported_media_type() {
    let (_dir, store) = sqlite().await;
    let admin = store.create_token("admin", &[Scope::Admin]).await.unwrap();
    let uri = "/api/v1/services/svc/versions/1.0.0";
    let request = Request::builder()
        .method("PUT")
        .uri(uri)
        .header("authorization", format!("Bearer {}", admin.secret))
        .header("content-type", "text/plain")
        .body(Body::from("manifest"))
        .unwrap();
    let (status, content_type, _, text) =
        send(&store, Settings::default(), "PUT", uri, Some(request)).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(content_type, "application/problem+json");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["title"], "Unsupported media type");
}

/// Every answer while the database is gone is a 503 problem with `Retry-After`, never a 500.
async fn assert_unavailable(store: &Store) {
    for uri in [
        "/readyz",
        "/api/v1/services",
        "/api/v1/can-i-deploy?service=svc&version=1.0.0&environment=production",
    ] {
        let started = Instant::now();
        let response = tokio::time::timeout(
            BOUND,
            router(store.clone(), Settings::default())
                .oneshot(Request::get(uri).body(Body::empty()).unwrap()),
        )
        .await
        .unwrap_or_else(|_| panic!("{uri}: no answer within {BOUND:?} with the database down"))
        .unwrap();
        eprintln!("{uri} with the database down: {:?}", started.elapsed());
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{uri}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        assert_eq!(response.headers()["retry-after"], "1");
    }
}

#[tokio::test]
async fn a_closed_database_answers_503() {
    let (_dir, store) = sqlite().await;
    assert_eq!(get(&store, "/readyz").await.0, StatusCode::OK);
    store.close().await;
    assert_unavailable(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_and_started_again() {
    let Some(pg) = postgres().await else {
        return;
    };
    // The registry reaches the database through a loopback relay the test can stop: stopped, every connection
    // is cut and new ones are refused, as when the database server stops; started, it listens on the same port.
    let mut relay = Relay::start(database_address(), None).await;
    let url = pg
        .url
        .replacen(&database_address().to_string(), &relay.addr.to_string(), 1);
    let store = Store::open(&url).await.unwrap();
    let token = store.create_token("admin", &[Scope::Admin]).await.unwrap();
    let publish = |store: Store| {
        let secret = token.secret.clone();
        async move {
            let request = Request::put("/api/v1/services/svc/versions/1.0.0")
                .header("authorization", format!("Bearer {secret}"))
                .header("content-type", "application/json")
                .body(Body::from(
                    serde_json::json!({ "manifest": manifest("svc") }).to_string(),
                ))
                .unwrap();
            send(&store, Settings::default(), "PUT", "", Some(request))
                .await
                .0
        }
    };
    assert_eq!(publish(store.clone()).await, StatusCode::CREATED);

    relay.stop();
    assert_unavailable(&store).await;

    // It comes back: the same server answers again, without a restart.
    let relay = Relay::start(database_address(), Some(relay.addr)).await;
    assert_eq!(get(&store, "/readyz").await.0, StatusCode::OK);
    assert_eq!(publish(store.clone()).await, StatusCode::OK);
    drop(relay);
    store.close().await;
    pg.drop_database().await;
}

/// The PostgreSQL server of `DATABASE_URL`, as `host:port`.
fn database_address() -> SocketAddr {
    use std::net::ToSocketAddrs as _;
    let url = std::env::var("DATABASE_URL").unwrap();
    let rest = url.split_once("://").unwrap().1;
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let host = rest.split(['/', '?']).next().unwrap();
    let host = if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:5432")
    };
    host.to_socket_addrs().unwrap().next().unwrap()
}

/// A TCP relay on loopback to `target`; dropping or stopping it closes its port and every connection.
struct Relay {
    addr: SocketAddr,
    tasks: tokio::task::JoinSet<()>,
}

impl Relay {
    async fn start(target: SocketAddr, at: Option<SocketAddr>) -> Relay {
        let listener = tokio::net::TcpListener::bind(at.unwrap_or(([127, 0, 0, 1], 0).into()))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        tasks.spawn(async move {
            let mut relays = tokio::task::JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                relays.spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Relay { addr, tasks }
    }

    fn stop(&mut self) {
        self.tasks.abort_all();
    }
}

/// An OpenAPI description with `operations` operations, each with a schema of a few fields; `extra` adds one.
fn big_api(operations: usize, extra: bool) -> String {
    let mut text = String::from("openapi: 3.1.0\ninfo: {title: big, version: '1'}\npaths:\n");
    for i in 0..operations {
        text.push_str(&format!(
            "  /items{i}/{{id}}:\n    get:\n      operationId: get{i}\n      parameters:\n        - {{name: id, in: path, required: true, schema: {{type: string}}}}\n      responses:\n        '200':\n          description: the item\n          content:\n            application/json:\n              schema:\n                type: object\n                properties:\n                  a: {{type: string}}\n                  b: {{type: integer}}\n                  c: {{type: array, items: {{type: string}}}}\n{}",
            if extra { "                  d: {type: string}\n" } else { "" }
        ));
    }
    text
}

/// `big` 1 and 2 (2 adds a field to each of 1,500 operations), and `app` 1, which consumes it, deployed to
/// production: asking about `big` 2 compares two large descriptions.
async fn big_pair(store: &Store) {
    let operations = 1500;
    let provider = |version: &str, extra: bool| {
        seamline_registry::Publication {
        service: "big".into(),
        owner: None,
        version: version.into(),
        git_commit: None,
        branch: None,
        manifest: "[service]\nname = \"big\"\n\n[[provides.http]]\nname = \"big-api\"\nspec = \"contracts/api.yaml\"\n".into(),
        contracts: vec![("contracts/api.yaml".into(), big_api(operations, extra))],
    }
    };
    store.publish(&provider("1", false)).await.unwrap();
    store.publish(&provider("2", true)).await.unwrap();
    store
        .publish(&seamline_registry::Publication {
            service: "app".into(),
            owner: None,
            version: "1".into(),
            git_commit: None,
            branch: None,
            manifest: "[service]\nname = \"app\"\n\n[[consumes.http]]\nservice = \"big\"\ncontract = \"big-api\"\noperations = [\"get0\"]\n".into(),
            contracts: vec![(
                "contracts/vendor/big/big-api.yaml".into(),
                big_api(operations, false),
            )],
        })
        .await
        .unwrap();
    store
        .record_deployment("production", "app", "1")
        .await
        .unwrap();
}

/// Comparing contracts is CPU work: it runs on a blocking thread, so on a runtime with a single worker (the test's)
/// other tasks keep running while can-i-deploy compares two large descriptions.
#[tokio::test]
async fn a_long_comparison_does_not_hold_up_the_worker() {
    let (_dir, store) = sqlite().await;
    big_pair(&store).await;

    // A task that notes the longest it waited for the worker.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ticker = tokio::spawn({
        let done = done.clone();
        async move {
            let (mut last, mut longest) = (Instant::now(), Duration::ZERO);
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(1)).await;
                longest = longest.max(last.elapsed());
                last = Instant::now();
            }
            longest
        }
    });
    tokio::task::yield_now().await;
    let started = Instant::now();
    let (status, json) = get(
        &store,
        "/api/v1/can-i-deploy?service=big&version=2&environment=production",
    )
    .await;
    let took = started.elapsed();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let longest = ticker.await.unwrap();
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["pairs"][0]["consumer"], "app");
    eprintln!("can-i-deploy took {took:?}; the other task waited at most {longest:?}");
    // Held for the whole comparison, the other task would have waited about as long as can-i-deploy took.
    assert!(
        longest * 4 < took,
        "another task waited {longest:?} during a can-i-deploy of {took:?}"
    );
}

/// A question abandoned in the middle of its comparison (its client left, or its time ran out) still ends in a
/// stored verdict, which the next asking reads instead of comparing again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_comparison_still_stores_its_verdict() {
    use sqlx::Connection as _;
    let (dir, store) = sqlite().await;
    big_pair(&store).await;
    let asked = tokio::time::timeout(
        Duration::from_millis(300),
        store.can_i_deploy("big", "2", "production"),
    )
    .await;
    assert!(
        asked.is_err(),
        "the comparison took under 300 ms: {asked:?}"
    );
    let url = format!("sqlite:{}", dir.path().join("registry.db").display());
    let mut db = sqlx::AnyConnection::connect(&url).await.unwrap();
    let deadline = Instant::now() + BOUND;
    loop {
        let (stored,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM verdicts WHERE consumer = 'app' AND provider = 'big' \
             AND provider_version = '2'",
        )
        .fetch_one(&mut db)
        .await
        .unwrap();
        if stored == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no verdict stored after the question was abandoned"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
