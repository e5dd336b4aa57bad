//! The registry while hostile clients are connected: can-i-deploy latency and the server's memory, first with
//! no one else connected, then while SLOW clients send their headers a line a second and ANON anonymous clients
//! send 16 MiB publish bodies without a token, reconnecting whenever the server closes them.
//!
//! The server runs in a process of its own (this program with `serve`), so its resident memory is its alone:
//! read from `/proc/PID/status` (`VmRSS` every 200 ms, and `VmHWM`, the peak). Every client is on loopback, and
//! every phase ends at its deadline.
//!
//! Usage: hostile_load DATABASE_URL [SERVICES] [SLOW] [ANON] [SECONDS]
//! (`bench/registry.sh` runs it on SQLite.)

use std::io::BufRead as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use seamline_registry::{Publication, Settings, Store};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

fn arg(n: usize, default: usize) -> usize {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn name(s: usize) -> String {
    format!("svc-{s:04}")
}

/// Service `s`'s API: one operation, and a field per version.
fn api(s: usize, v: usize) -> String {
    let fields: String = (0..=v)
        .map(|f| format!("        field{f}: {{type: string}}\n"))
        .collect();
    format!(
        "openapi: 3.1.0\ninfo: {{title: {n}, version: '1.{v}.0'}}\npaths:\n  /items/{{id}}:\n    get:\n      operationId: get{s}\n      parameters:\n        - {{name: id, in: path, required: true, schema: {{type: string}}}}\n      responses:\n        '200':\n          description: the item\n          content:\n            application/json:\n              schema:\n                type: object\n                properties:\n{fields}",
        n = name(s)
    )
}

/// Service `s` at version `v`: it provides its API and consumes the two services before it.
fn publication(s: usize, v: usize) -> Publication {
    let n = name(s);
    let mut manifest = format!(
        "[service]\nname = \"{n}\"\n\n[[provides.http]]\nname = \"{n}-api\"\nspec = \"contracts/api.yaml\"\n"
    );
    let mut contracts = vec![("contracts/api.yaml".to_string(), api(s, v))];
    for p in [s.wrapping_sub(1), s.wrapping_sub(2)]
        .into_iter()
        .filter(|&p| p < s)
    {
        let pn = name(p);
        manifest.push_str(&format!(
            "\n[[consumes.http]]\nservice = \"{pn}\"\ncontract = \"{pn}-api\"\noperations = [\"get{p}\"]\n"
        ));
        contracts.push((format!("contracts/vendor/{pn}/{pn}-api.yaml"), api(p, 0)));
    }
    Publication {
        service: n,
        owner: None,
        version: format!("1.{v}.0"),
        git_commit: None,
        branch: Some("main".into()),
        manifest,
        contracts,
    }
}

/// `(VmRSS, VmHWM)` of `pid` in MB.
fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// CLIENTS clients asking can-i-deploy until `deadline`: latencies in ms, and the answers that were not 200.
fn ask(base: &str, services: usize, clients: usize, deadline: Instant) -> (Vec<f64>, usize) {
    let workers: Vec<_> = (0..clients)
        .map(|c| {
            let base = base.to_string();
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(30)))
                    .build()
                    .into();
                let (mut ms, mut errors, mut i) = (Vec::new(), 0, 0usize);
                while Instant::now() < deadline {
                    i += 1;
                    let s = (c * 7919 + i * 104_729) % services;
                    let started = Instant::now();
                    let status = agent
                        .get(format!(
                            "{base}/api/v1/can-i-deploy?service={}&version=1.2.0&environment=production",
                            name(s)
                        ))
                        .call()
                        .map(|mut r| {
                            let _ = r.body_mut().read_to_vec();
                            r.status().as_u16()
                        });
                    ms.push(started.elapsed().as_secs_f64() * 1000.0);
                    errors += usize::from(!status.is_ok_and(|s| s == 200));
                }
                (ms, errors)
            })
        })
        .collect();
    let (mut all, mut errors) = (Vec::new(), 0);
    for w in workers {
        let (ms, e) = w.join().expect("client");
        all.extend(ms);
        errors += e;
    }
    all.sort_by(f64::total_cmp);
    (all, errors)
}

/// What the hostile clients did.
#[derive(Default)]
struct Hostile {
    connected: AtomicUsize,
    /// Connections the server closed or refused.
    cut: AtomicUsize,
    /// Answers the anonymous clients got (401 expected).
    answered: AtomicUsize,
}

/// A client that sends a header line a second, reconnecting when cut, until `deadline`.
async fn slow_client(
    addr: std::net::SocketAddr,
    deadline: tokio::time::Instant,
    tally: Arc<Hostile>,
) {
    while tokio::time::Instant::now() < deadline {
        let Ok(mut stream) = TcpStream::connect(addr).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        tally.connected.fetch_add(1, Ordering::Relaxed);
        let mut line = b"GET /healthz HTTP/1.1\r\nhost: registry\r\n".to_vec();
        let mut sink = [0u8; 1024];
        loop {
            if stream.write_all(&line).await.is_err() {
                break;
            }
            line = b"x-slow: 1\r\n".to_vec();
            tokio::select! {
                read = stream.read(&mut sink) => if matches!(read, Ok(0) | Err(_)) { break },
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                () = tokio::time::sleep_until(deadline) => return,
            }
        }
        tally.cut.fetch_add(1, Ordering::Relaxed);
    }
}

/// A client without a token that publishes a 16 MiB body as fast as it can, again and again, until `deadline`.
async fn anonymous_client(
    addr: std::net::SocketAddr,
    deadline: tokio::time::Instant,
    tally: Arc<Hostile>,
) {
    let size = seamline_registry::api::MAX_BODY_BYTES;
    let chunk = vec![b' '; 256 * 1024];
    while tokio::time::Instant::now() < deadline {
        let Ok(mut stream) = TcpStream::connect(addr).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        tally.connected.fetch_add(1, Ordering::Relaxed);
        let head = format!(
            "PUT /api/v1/services/svc-0001/versions/9.9.9 HTTP/1.1\r\nhost: registry\r\n\
             content-type: application/json\r\ncontent-length: {size}\r\n\r\n"
        );
        let (mut reader, mut writer) = stream.split();
        let send = async {
            writer.write_all(head.as_bytes()).await?;
            for _ in 0..size / chunk.len() {
                writer.write_all(&chunk).await?;
            }
            // The whole body went: wait for the answer.
            std::future::pending::<()>().await;
            Ok::<(), std::io::Error>(())
        };
        let mut answer = [0u8; 512];
        tokio::select! {
            _ = send => {}
            read = reader.read(&mut answer) => if matches!(read, Ok(n) if n > 0) {
                tally.answered.fetch_add(1, Ordering::Relaxed);
            },
            () = tokio::time::sleep_until(deadline) => return,
        }
        tally.cut.fetch_add(1, Ordering::Relaxed);
        drop(stream);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn report(label: &str, ms: &[f64], errors: usize, rss: f64) {
    println!(
        "{label}: can-i-deploy n={} p50={:.2} ms p99={:.2} ms max={:.2} ms, {errors} errors; server RSS {rss:.0} MB",
        ms.len(),
        percentile(ms, 0.5),
        percentile(ms, 0.99),
        ms.last().copied().unwrap_or(f64::NAN)
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        // The server: the registry with its default limits, its address on stdout, until killed.
        let store = Store::open(&args[2]).await.expect("opening the database");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        println!("{}", listener.local_addr().expect("address"));
        seamline_registry::serve(store, Settings::default(), listener, std::future::pending())
            .await
            .expect("serving");
        return;
    }
    let Some(url) = args.get(1).cloned() else {
        eprintln!("usage: hostile_load DATABASE_URL [SERVICES] [SLOW] [ANON] [SECONDS]");
        std::process::exit(2);
    };
    let (services, slow, anonymous, seconds) = (arg(2, 200), arg(3, 900), arg(4, 96), arg(5, 20));
    println!(
        "size: {services} services × 3 versions; hostile: {slow} slow-header clients, {anonymous} anonymous 16 MiB publishers, {seconds} s"
    );

    // Seed: three versions of each service; the first deployed to production.
    let store = Store::open(&url).await.expect("opening the database");
    for s in 0..services {
        for v in 0..3 {
            store.publish(&publication(s, v)).await.expect("publish");
        }
        store
            .record_deployment("production", &name(s), "1.0.0")
            .await
            .expect("deploy");
    }
    store.close().await;

    let mut server = std::process::Command::new(std::env::current_exe().expect("this program"))
        .args(["serve", &url])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("starting the server");
    let pid = server.id();
    let mut first = String::new();
    std::io::BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("the server's address");
    let addr: std::net::SocketAddr = first.trim().parse().expect("an address");
    let base = format!("http://{addr}");
    let clients = 4;

    // Alone: a warm-up pass, then the measured one.
    let base_q = base.clone();
    tokio::task::spawn_blocking(move || {
        ask(
            &base_q,
            services,
            clients,
            Instant::now() + Duration::from_secs(2),
        )
    })
    .await
    .expect("warm-up");
    let base_q = base.clone();
    let (alone, alone_errors) = tokio::task::spawn_blocking(move || {
        ask(
            &base_q,
            services,
            clients,
            Instant::now() + Duration::from_secs(seconds as u64 / 2),
        )
    })
    .await
    .expect("alone");
    report("alone", &alone, alone_errors, memory(pid).0);

    // Hostile: the clients connect, then can-i-deploy is asked while they stay.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds as u64 + 5);
    let tally = Arc::new(Hostile::default());
    let mut hostile = tokio::task::JoinSet::new();
    for _ in 0..slow {
        hostile.spawn(slow_client(addr, deadline, tally.clone()));
    }
    for _ in 0..anonymous {
        hostile.spawn(anonymous_client(addr, deadline, tally.clone()));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let sampling = sampling.clone();
        tokio::spawn(async move {
            let mut peak = 0f64;
            while sampling.load(Ordering::Relaxed) {
                peak = peak.max(memory(pid).0);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            peak
        })
    };
    let base_q = base.clone();
    let (under, under_errors) = tokio::task::spawn_blocking(move || {
        ask(
            &base_q,
            services,
            clients,
            Instant::now() + Duration::from_secs(seconds as u64),
        )
    })
    .await
    .expect("under load");
    sampling.store(false, Ordering::Relaxed);
    let peak = sampler.await.expect("sampler");
    report("with hostile clients", &under, under_errors, peak);
    while hostile.join_next().await.is_some() {}
    let (_, hwm) = memory(pid);
    println!(
        "hostile clients: {} connections made, {} closed or refused by the server, {} anonymous publishes answered; server peak RSS (VmHWM) {hwm:.0} MB",
        tally.connected.load(Ordering::Relaxed),
        tally.cut.load(Ordering::Relaxed),
        tally.answered.load(Ordering::Relaxed),
    );
    let _ = server.kill();
    let _ = server.wait();
}
