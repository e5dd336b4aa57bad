//! A registry killed with SIGKILL in the middle of publishing: after a restart on the same database, every
//! publish it acknowledged is there in full, and no version is there in part. Also the JSON log format.

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use seamline_registry::content_hash;

const CONTRACTS: usize = 12;

/// The publication `n` of `service`: a manifest and CONTRACTS files of about 40 KB, all derived from `n`.
fn body(service: &str, n: usize) -> (String, Vec<(String, String)>) {
    let manifest = format!("[service]\nname = \"{service}\"\n# {n}\n");
    let contracts = (0..CONTRACTS)
        .map(|i| {
            let line = format!("# {service} {n} {i} padding to make the write take a while\n");
            (format!("contracts/part-{i}.yaml"), line.repeat(700))
        })
        .collect();
    (manifest, contracts)
}

fn backends() -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(url) = std::env::var("DATABASE_URL") {
        // A database of its own, so runs do not see each other.
        let name = format!("seam_crash_{}", std::process::id());
        let psql = |sql: &str| {
            Command::new("psql")
                .args([url.as_str(), "-q", "-c", sql])
                .status()
                .is_ok_and(|s| s.success())
        };
        psql(&format!("DROP DATABASE IF EXISTS {name}"));
        if psql(&format!("CREATE DATABASE {name}")) {
            let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
            out.push(format!("{base}/{name}"));
        } else {
            assert!(
                std::env::var_os("SEAMLINE_REQUIRE_SERVICES").is_none_or(|v| v != "1"),
                "cannot create a PostgreSQL database through psql at DATABASE_URL"
            );
            eprintln!("\n*** SKIPPED on PostgreSQL: psql could not create a database ***\n");
        }
    } else if std::env::var_os("SEAMLINE_REQUIRE_SERVICES").is_some_and(|v| v == "1") {
        panic!("DATABASE_URL is not set and SEAMLINE_REQUIRE_SERVICES=1");
    } else {
        eprintln!("\n*** SKIPPED on PostgreSQL: DATABASE_URL is not set ***\n");
    }
    out
}

#[test]
fn a_killed_server_loses_no_acknowledged_publish_and_leaves_no_half_version() {
    let dir = tempfile::tempdir().unwrap();
    let mut databases = vec![format!(
        "sqlite:{}",
        dir.path().join("registry.db").display()
    )];
    databases.extend(backends());
    for database in databases {
        kill_mid_publish(&database);
    }
}

fn kill_mid_publish(database: &str) {
    let token = common::token(database, "admin");
    let (mut server, base) = common::serve(database, &[]);

    // Four writers publish until the server goes away; each remembers what was acknowledged.
    let acknowledged: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (acknowledged, stop, base, token) =
                (acknowledged.clone(), stop.clone(), base.clone(), token.clone());
            std::thread::spawn(move || {
                let service = format!("svc-{w}");
                for n in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let (manifest, contracts) = body(&service, n);
                    let payload = serde_json::json!({
                        "manifest": manifest,
                        "contracts": contracts.iter().map(|(p, c)| serde_json::json!({"path": p, "content": c})).collect::<Vec<_>>(),
                    });
                    let answer = ureq::put(format!("{base}/api/v1/services/{service}/versions/{n}"))
                        .header("authorization", format!("Bearer {token}"))
                        .header("content-type", "application/json")
                        .send(payload.to_string());
                    let Ok(mut answer) = answer else { break };
                    if answer.status().as_u16() != 201 {
                        break;
                    }
                    let json: serde_json::Value =
                        serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap();
                    let hash = json["content_hash"].as_str().unwrap().to_string();
                    acknowledged
                        .lock()
                        .unwrap()
                        .push((service.clone(), n.to_string(), hash));
                }
            })
        })
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while acknowledged.lock().unwrap().len() < 20 {
        assert!(
            std::time::Instant::now() < deadline && writers.iter().any(|w| !w.is_finished()),
            "the writers stopped before 20 publishes were acknowledged on {database}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // SIGKILL: no shutdown, no flush, whatever was in flight is cut.
    server.kill().unwrap();
    server.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    let (mut server, base) = common::serve(database, &[]);
    let get = |path: &str| -> serde_json::Value {
        let text = ureq::get(format!("{base}{path}"))
            .call()
            .unwrap()
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .unwrap();
        serde_json::from_str(&text).unwrap()
    };
    for (service, version, hash) in &acknowledged {
        let stored = get(&format!("/api/v1/services/{service}/versions/{version}"));
        assert_eq!(
            stored["content_hash"],
            hash.as_str(),
            "{service} {version} on {database}"
        );
    }
    // Every version that is there, acknowledged or not, is whole: its files are the ones sent, all of them.
    let mut seen = 0;
    for w in 0..4 {
        let service = format!("svc-{w}");
        for v in get(&format!("/api/v1/services/{service}/versions"))
            .as_array()
            .unwrap()
        {
            let version = v["version"].as_str().unwrap();
            let stored = get(&format!("/api/v1/services/{service}/versions/{version}"));
            let (manifest, contracts) = body(&service, version.parse().unwrap());
            let got: Vec<(String, String)> = stored["contracts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    (
                        c["path"].as_str().unwrap().into(),
                        c["content"].as_str().unwrap().into(),
                    )
                })
                .collect();
            assert_eq!(
                got.len(),
                CONTRACTS,
                "{service} {version} is partial on {database}"
            );
            assert_eq!(stored["manifest"], manifest.as_str());
            assert_eq!(
                content_hash(&manifest, &got),
                content_hash(&manifest, &contracts)
            );
            assert_eq!(
                stored["content_hash"],
                content_hash(&manifest, &contracts).as_str()
            );
            seen += 1;
        }
    }
    assert!(
        seen >= acknowledged.len(),
        "{seen} stored, {} acknowledged",
        acknowledged.len()
    );
    eprintln!(
        "{database}: killed after {} acknowledged publishes; {seen} versions stored, all whole",
        acknowledged.len()
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("registry.db").display());
    let (mut server, base) = common::serve(&database, &["--log-format", "json"]);
    assert_eq!(
        ureq::get(format!("{base}/api/v1/services"))
            .call()
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    let status = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    server.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(server.stderr.as_mut().unwrap(), &mut rest).unwrap();
    let events: Vec<serde_json::Value> = rest
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    let request = events
        .iter()
        .find(|e| e["message"] == "request")
        .unwrap_or_else(|| panic!("no request event in {rest}"));
    assert_eq!(request["method"], "GET");
    assert_eq!(request["path"], "/api/v1/services");
    assert_eq!(request["status"], 200);
    assert!(request["ms"].as_f64().is_some());
    assert!(request["timestamp"].is_string() && request["level"] == "INFO");
    assert_eq!(events.last().unwrap()["message"], "seam serve: stopped");
}
