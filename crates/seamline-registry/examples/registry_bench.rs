//! The registry at scale, and under load on loopback. Seeds SERVICES services × VERSIONS versions × ENVS
//! environments (each service provides one HTTP API and consumes up to three others, with vendored copies),
//! then measures:
//! - publish throughput while seeding (8 concurrent publishers through the store);
//! - can-i-deploy latency through the store (p50, p99, max over 1,000 questions);
//! - a bounded HTTP load on loopback: CLIENTS clients for SECONDS seconds, 80% can-i-deploy and 20% publish,
//!   with throughput, p50/p99 per kind and the count of errors.
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

    // Seed: every version of every service, eight publishers at a time.
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (store, next) = (store.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= services * versions {
                    break;
                }
                let (v, s) = (i / services, i % services);
                store
                    .publish(&publication(s, v, &format!("1.{v}.0")))
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
        services * versions,
        seeded.as_secs_f64(),
        (services * versions) as f64 / seeded.as_secs_f64()
    );
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

    // can-i-deploy through the store: the latest version of a spread of services, against production. Cold:
    // every version read from the database and every pair compared from scratch; warm: the versions read and
    // the verdicts reached by earlier questions are reused.
    for cold in [true, false] {
        let mut ms = Vec::new();
        let mut blocked = 0;
        for i in 0..1000 {
            let s = (i * 7919) % services;
            if cold {
                store.forget_cached();
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
    store.forget_cached();

    // HTTP load on loopback.
    let token = store
        .create_token("bench", &[Scope::Admin])
        .await
        .expect("token")
        .secret;
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
                let (mut ask, mut publish, mut errors) = (Vec::new(), Vec::new(), 0usize);
                let mut i = 0usize;
                while Instant::now() < deadline {
                    i += 1;
                    let s = (c * 104_729 + i * 7919) % services;
                    let t = Instant::now();
                    let ok = if i.is_multiple_of(5) {
                        let p = publication(s, versions, &format!("load-{c}-{i}"));
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
                        status.is_ok_and(|s| s == 201)
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
                        status.is_ok_and(|s| s == 200)
                    };
                    errors += usize::from(!ok);
                }
                (ask, publish, errors)
            })
        })
        .collect();
    let (mut ask, mut publish, mut errors) = (Vec::new(), Vec::new(), 0);
    for w in workers {
        let (a, p, e) = w.join().expect("client");
        ask.extend(a);
        publish.extend(p);
        errors += e;
    }
    let elapsed = load_started.elapsed().as_secs_f64();
    println!(
        "load: {clients} clients for {seconds} s: {} requests = {:.0} requests/s, {errors} errors",
        ask.len() + publish.len(),
        (ask.len() + publish.len()) as f64 / elapsed
    );
    summary("  can-i-deploy (HTTP)", ask);
    summary("  publish (HTTP)", publish);
    store.close().await;
}
