//! The registry at scale, and under load on loopback. Seeds SERVICES services × VERSIONS versions × ENVS
//! environments (each service provides one HTTP API and consumes up to three others, with vendored copies),
//! then measures:
//! - publish throughput while seeding (8 concurrent publishers through the store);
//! - can-i-deploy latency through the store (p50, p99, max over 1,000 questions);
//! - every page and API route over HTTP on loopback, one request at a time (p50, p99, max per route);
//! - a bounded HTTP load on loopback: CLIENTS clients for SECONDS seconds, 80% can-i-deploy and 20% publish,
//!   with throughput, p50/p99 per kind and the count of errors.
//!
//! The newest `PUBLISHED` versions of each service are published through the store. Older ones, past that
//! many, are added in bulk by SQL as copies of the oldest published one (its row in `versions` and its rows
//! in `consumptions`, what the pages' queries read), without their contract files, so a size of 2,000
//! versions seeds in minutes and within the disk.
//!
//! Usage: registry_bench DATABASE_URL [SERVICES] [VERSIONS] [ENVS] [SECONDS] [CLIENTS]
//! (`bench/registry.sh` runs it on SQLite and PostgreSQL.)

use std::sync::Arc;
use std::time::{Duration, Instant};

use seamline_registry::{Publication, Scope, Settings, Store};

fn arg(n: usize, default: usize) -> usize {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn name(s: usize) -> String {
    format!("svc-{s:04}")
}

/// The providers of service `s`: up to three earlier services, so the graph has no cycle.
fn providers(s: usize) -> Vec<usize> {
    let mut out: Vec<usize> = [s.wrapping_sub(1), s / 2, s / 3]
        .into_iter()
        .filter(|&p| p < s)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Service `s`'s API at version `v`: three operations; each version adds an optional response field.
fn api(s: usize, v: usize) -> String {
    let mut fields = String::new();
    for f in 0..v {
        fields.push_str(&format!("        field{f}: {{type: string}}\n"));
    }
    let n = name(s);
    format!(
        "openapi: 3.1.0\ninfo: {{title: {n}, version: '1.{v}.0'}}\npaths:\n  /items/{{id}}:\n    get:\n      operationId: get{s}\n      parameters:\n        - {{name: id, in: path, required: true, schema: {{type: string}}}}\n      responses:\n        '200':\n          description: the item\n          content:\n            application/json:\n              schema: {{$ref: '#/components/schemas/Item'}}\n        '404': {{description: unknown}}\n  /items:\n    get:\n      operationId: list{s}\n      responses:\n        '200': {{description: the items}}\n    post:\n      operationId: create{s}\n      requestBody:\n        content:\n          application/json:\n            schema: {{$ref: '#/components/schemas/Item'}}\n      responses:\n        '201': {{description: created}}\ncomponents:\n  schemas:\n    Item:\n      type: object\n      required: [id]\n      properties:\n        id: {{type: string}}\n{fields}"
    )
}

/// How many of each service's newest versions are published through the store.
const PUBLISHED: usize = 20;

fn publication(s: usize, v: usize, version: &str) -> Publication {
    let n = name(s);
    let mut manifest = format!(
        "[service]\nname = \"{n}\"\nowner = \"team-{}\"\n\n[[provides.http]]\nname = \"{n}-api\"\nspec = \"contracts/api.yaml\"\n",
        s % 40
    );
    let mut contracts = vec![("contracts/api.yaml".to_string(), api(s, v))];
    for p in providers(s) {
        let pn = name(p);
        manifest.push_str(&format!(
            "\n[[consumes.http]]\nservice = \"{pn}\"\ncontract = \"{pn}-api\"\noperations = [\"get{p}\"]\n"
        ));
        // Built against the provider's first version.
        contracts.push((format!("contracts/vendor/{pn}/{pn}-api.yaml"), api(p, 0)));
    }
    Publication {
        service: n,
        owner: Some(format!("team-{}", s % 40)),
        version: version.into(),
        git_commit: None,
        branch: Some("main".into()),
        manifest,
        contracts,
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn summary(label: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    println!(
        "{label}: n={} p50={:.2} ms p99={:.2} ms max={:.2} ms",
        ms.len(),
        percentile(&ms, 0.5),
        percentile(&ms, 0.99),
        ms.last().copied().unwrap_or(f64::NAN)
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!(
            "usage: registry_bench DATABASE_URL [SERVICES] [VERSIONS] [ENVS] [SECONDS] [CLIENTS]"
        );
        std::process::exit(2);
    };
    let (services, versions, envs) = (arg(2, 1000), arg(3, 20), arg(4, 3));
    let (seconds, clients) = (arg(5, 20), arg(6, 8));
    let store = Store::open(&url).await.expect("opening the database");
    println!("database: {}", url.split('@').next_back().unwrap_or(&url));
    println!("size: {services} services × {versions} versions × {envs} environments");

    // Seed: the newest versions of every service, eight publishers at a time; version `1.{first + v}.0` has
    // the content of the v-th.
    let published = versions.min(PUBLISHED);
    let first = versions - published;
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (store, next) = (store.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= services * published {
                    break;
                }
                let (v, s) = (i / services, i % services);
                store
                    .publish(&publication(s, v, &format!("1.{}.0", first + v)))
                    .await
                    .expect("publishing");
            }
        }));
    }
    for t in tasks {
        t.await.expect("publisher");
    }
    let seeded = started.elapsed();
    println!(
        "seed: {} publishes in {:.1} s = {:.0} publishes/s",
        services * published,
        seeded.as_secs_f64(),
        (services * published) as f64 / seeded.as_secs_f64()
    );
    if first > 0 {
        let started = Instant::now();
        add_older_versions(&url, first).await;
        println!(
            "seed: {} older versions added by SQL in {:.1} s",
            services * first,
            started.elapsed().as_secs_f64()
        );
    }
    for e in 0..envs {
        let env = ["production", "staging", "development", "qa", "perf"][e % 5];
        for s in 0..services {
            let v = versions.saturating_sub(1 + e);
            store
                .record_deployment(env, &name(s), &format!("1.{v}.0"))
                .await
                .expect("deploying");
        }
    }

    if url.starts_with("postgres") {
        // What autovacuum does a while after a load this size: the planner learns the tables' sizes, and
        // index-only scans stop visiting the heap.
        use sqlx::Connection as _;
        let mut db = sqlx::AnyConnection::connect(&url)
            .await
            .expect("connecting");
        sqlx::query("VACUUM ANALYZE")
            .execute(&mut db)
            .await
            .expect("vacuum");
        db.close().await.expect("closing");
    }

    // can-i-deploy through the store: the latest version of a spread of services, against production. Cold:
    // every version read from the database and every pair compared from scratch; warm: the versions read and
    // the verdicts reached by earlier questions are reused.
    for cold in [true, false] {
        let mut ms = Vec::new();
        let mut blocked = 0;
        for i in 0..1000 {
            let s = (i * 7919) % services;
            if cold {
                store.forget_cached().await.expect("forgetting");
            }
            let t = Instant::now();
            let d = store
                .can_i_deploy(&name(s), &format!("1.{}.0", versions - 1), "production")
                .await
                .expect("can-i-deploy");
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            blocked += usize::from(!d.deployable);
        }
        summary(
            if cold {
                "can-i-deploy (store, cold)"
            } else {
                "can-i-deploy (store, warm)"
            },
            ms,
        );
        println!("  answers: {blocked} of 1000 not deployable");
    }
    store.forget_cached().await.expect("forgetting");

    // Every page and API route, one request at a time.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(seamline_registry::serve(
        store.clone(),
        Settings::default(),
        listener,
        std::future::pending(),
    ));
    {
        let base = base.clone();
        tokio::task::spawn_blocking(move || pages(&base, services, versions))
            .await
            .expect("pages");
    }
    store.forget_cached().await.expect("forgetting");

    // HTTP load on loopback.
    let token = store
        .create_token("bench", &[Scope::Admin])
        .await
        .expect("token")
        .secret;
    let deadline = Instant::now() + Duration::from_secs(seconds as u64);
    let load_started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|c| {
            let (base, token) = (base.clone(), token.clone());
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                let (mut ask, mut publish, mut errors) = (Vec::new(), Vec::new(), Vec::new());
                let mut i = 0usize;
                while Instant::now() < deadline {
                    i += 1;
                    let s = (c * 104_729 + i * 7919) % services;
                    let t = Instant::now();
                    let ok = if i.is_multiple_of(5) {
                        let p = publication(s, published, &format!("load-{c}-{i}"));
                        let body = serde_json::json!({
                            "manifest": p.manifest,
                            "contracts": p.contracts.iter().map(|(path, content)| serde_json::json!({"path": path, "content": content})).collect::<Vec<_>>(),
                        });
                        let status = agent
                            .put(format!("{base}/api/v1/services/{}/versions/load-{c}-{i}", name(s)))
                            .header("authorization", format!("Bearer {token}"))
                            .header("content-type", "application/json")
                            .send(body.to_string())
                            .map(|r| r.status().as_u16());
                        publish.push(t.elapsed().as_secs_f64() * 1000.0);
                        status.map_err(|e| e.to_string()).and_then(|s| if s == 201 { Ok(()) } else { Err(format!("publish {s}")) })
                    } else {
                        let status = agent
                            .get(format!(
                                "{base}/api/v1/can-i-deploy?service={}&version=1.{}.0&environment=production",
                                name(s),
                                versions - 1
                            ))
                            .call()
                            .map(|mut r| {
                                let _ = r.body_mut().read_to_vec();
                                r.status().as_u16()
                            });
                        ask.push(t.elapsed().as_secs_f64() * 1000.0);
                        status.map_err(|e| e.to_string()).and_then(|s| if s == 200 { Ok(()) } else { Err(format!("can-i-deploy {s}")) })
                    };
                    if let Err(e) = ok {
                        errors.push(e);
                    }
                }
                (ask, publish, errors)
            })
        })
        .collect();
    let (mut ask, mut publish, mut errors) = (Vec::new(), Vec::new(), Vec::new());
    for w in workers {
        let (a, p, e) = w.join().expect("client");
        ask.extend(a);
        publish.extend(p);
        errors.extend(e);
    }
    let elapsed = load_started.elapsed().as_secs_f64();
    let mut kinds = std::collections::BTreeMap::<&str, usize>::new();
    for e in &errors {
        *kinds.entry(e.as_str()).or_default() += 1;
    }
    let kinds: Vec<String> = kinds.iter().map(|(e, n)| format!("{e} ×{n}")).collect();
    println!(
        "load: {clients} clients for {seconds} s: {} requests = {:.0} requests/s, {} errors{}",
        ask.len() + publish.len(),
        (ask.len() + publish.len()) as f64 / elapsed,
        errors.len(),
        if kinds.is_empty() {
            String::new()
        } else {
            format!(" ({})", kinds.join(", "))
        }
    );
    summary("  can-i-deploy (HTTP)", ask);
    summary("  publish (HTTP)", publish);
    store.close().await;
}

/// Adds versions `1.0.0` to `1.{count - 1}.0` of every service, published before `1.{count}.0` (the oldest
/// published through the store), as copies of its rows in `versions` and `consumptions`.
async fn add_older_versions(url: &str, count: usize) {
    use sqlx::Connection as _;
    sqlx::any::install_default_drivers();
    let mut db = sqlx::AnyConnection::connect(url)
        .await
        .expect("connecting for the bulk seed");
    let numbers = format!(
        "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < {count}) "
    );
    let copy = "'1.' || k.i || '.0'";
    for sql in [
        format!(
            "{numbers}INSERT INTO versions (service, version, content_hash, git_commit, branch, manifest, \
             created_ms) SELECT v.service, {copy}, v.content_hash, v.git_commit, v.branch, v.manifest, \
             v.created_ms - {count} + k.i FROM versions v CROSS JOIN k WHERE v.version = '1.{count}.0'"
        ),
        format!(
            "{numbers}INSERT INTO consumptions (service, version, provider, contract) \
             SELECT c.service, {copy}, c.provider, c.contract FROM consumptions c CROSS JOIN k \
             WHERE c.version = '1.{count}.0'"
        ),
        "UPDATE services SET version_count = \
         (SELECT COUNT(*) FROM versions v WHERE v.service = services.name)"
            .to_string(),
    ] {
        sqlx::query(&sql).execute(&mut db).await.expect("bulk seed");
    }
    db.close().await.expect("closing");
}

/// A route to time: its label, how many requests, and the path for a service name.
type Route = (&'static str, usize, Box<dyn Fn(&str) -> String>);

/// Times every page and API route: `ROUNDS` requests each (fewer for the matrix overview, which asks
/// can-i-deploy for 25 services in every environment), one at a time, each for a different service.
fn pages(base: &str, services: usize, versions: usize) {
    const ROUNDS: usize = 200;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let last = versions - 1;
    let middle = versions / 2;
    let routes: Vec<Route> = vec![
        ("GET /", ROUNDS, Box::new(|_| "/".into())),
        (
            "GET /?after= (more services)",
            ROUNDS,
            Box::new(|s| format!("/?after={s}")),
        ),
        (
            "GET /services/{s}",
            ROUNDS,
            Box::new(|s| format!("/services/{s}")),
        ),
        (
            "GET /services/{s}?before= (older)",
            ROUNDS,
            Box::new(move |s| format!("/services/{s}?before=1.{middle}.0")),
        ),
        (
            "GET /services/{s}/diff",
            ROUNDS,
            Box::new(|s| format!("/services/{s}/diff")),
        ),
        ("GET /graph", ROUNDS, Box::new(|_| "/graph".into())),
        ("GET /graph.svg", ROUNDS, Box::new(|_| "/graph.svg".into())),
        (
            "GET /environments",
            ROUNDS,
            Box::new(|_| "/environments".into()),
        ),
        (
            "GET /matrix?service&version",
            ROUNDS,
            Box::new(move |s| format!("/matrix?service={s}&version=1.{last}.0")),
        ),
        // The same 50 overview pages twice: first with no verdict stored for their cells (each compared),
        // then as they are seen again (every verdict read from the database).
        (
            "GET /matrix?after= (overview, first view)",
            50,
            Box::new(|s| format!("/matrix?after={s}")),
        ),
        (
            "GET /matrix?after= (overview, seen again)",
            50,
            Box::new(|s| format!("/matrix?after={s}")),
        ),
        (
            "GET /api/v1/services",
            ROUNDS,
            Box::new(|_| "/api/v1/services".into()),
        ),
        (
            "GET /api/v1/services/{s}/versions",
            ROUNDS,
            Box::new(|s| format!("/api/v1/services/{s}/versions")),
        ),
        (
            "GET …/versions?before=&limit=100",
            ROUNDS,
            Box::new(move |s| {
                format!("/api/v1/services/{s}/versions?before=1.{middle}.0&limit=100")
            }),
        ),
        (
            "GET …/versions/{v}",
            ROUNDS,
            Box::new(move |s| format!("/api/v1/services/{s}/versions/1.{last}.0")),
        ),
        (
            "GET …/consumers",
            ROUNDS,
            Box::new(|s| format!("/api/v1/services/{s}/consumers")),
        ),
        (
            "GET /api/v1/environments",
            ROUNDS,
            Box::new(|_| "/api/v1/environments".into()),
        ),
        (
            "GET /api/v1/environments/{e}/deployments",
            ROUNDS,
            Box::new(|_| "/api/v1/environments/production/deployments".into()),
        ),
        (
            "GET /api/v1/can-i-deploy",
            ROUNDS,
            Box::new(move |s| {
                format!(
                    "/api/v1/can-i-deploy?service={s}&version=1.{last}.0&environment=production"
                )
            }),
        ),
        (
            "GET /api/v1/matrix",
            ROUNDS,
            Box::new(move |s| format!("/api/v1/matrix?service={s}&version=1.{last}.0")),
        ),
    ];
    println!("pages and API, one request at a time:");
    for (label, rounds, path) in routes {
        let mut ms = Vec::new();
        let mut bytes = 0;
        for i in 0..rounds {
            let url = format!("{base}{}", path(&name((i * 7919) % services)));
            let t = Instant::now();
            let mut answer = agent.get(&url).call().expect("request");
            let body = answer.body_mut().read_to_vec().expect("body");
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(answer.status().as_u16(), 200, "{url}");
            bytes = body.len();
        }
        summary(&format!("  {label} ({} KB)", bytes / 1024), ms);
    }
}
