//! `seam trace` as a user runs it: generated incidents diagnosed from files, standard input and live sources.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn seam(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seam"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("seam runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn manifests() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../seamline-trace/tests/manifests")
}

fn generated(dir: &Path, fault: &str, extra: &[&str]) {
    let mut args = vec![
        "trace",
        "generate",
        "--fault",
        fault,
        "-o",
        "traces.jsonl",
        "--logs-out",
        "logs.jsonl",
    ];
    args.extend(extra);
    let out = seam(dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("37 faulty checkout(s)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn diagnose_names_the_service_that_never_published() {
    let dir = tempfile::tempdir().unwrap();
    generated(
        dir.path(),
        "missing-publish",
        &["--style", "link", "--quirks"],
    );
    let manifests = manifests();
    let out = seam(
        dir.path(),
        &[
            "trace",
            "diagnose",
            "traces.jsonl",
            "--logs",
            "logs.jsonl",
            "--manifests",
            manifests.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("in 37 of 37 failing gateway POST /checkout: inventory-service consumed order.created and published nothing"), "{text}");
    assert!(
        text.contains(
            "inventory-service's seam.toml: publishes inventory.stock_reserved after order.created"
        ),
        "{text}"
    );
    assert!(text.contains("logs:"), "{text}");

    let out = seam(
        dir.path(),
        &["trace", "diagnose", "traces.jsonl", "--format", "json"],
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["version"], 1);
    let first = &json["traces"][0];
    assert_eq!(first["request_failed"], true);
    assert_eq!(first["root_cause"]["kind"], "missing_publish");
    assert_eq!(first["root_cause"]["service"], "inventory-service");
    assert_eq!(first["root_cause"]["span_name"], "process order.created");
    assert_eq!(json["traces"].as_array().unwrap().len(), 37);
}

#[test]
fn markdown_for_an_assistant_within_a_budget() {
    let dir = tempfile::tempdir().unwrap();
    generated(dir.path(), "payment-unavailable", &[]);
    let out = seam(
        dir.path(),
        &[
            "trace",
            "diagnose",
            "traces.jsonl",
            "--format",
            "markdown",
            "--max-tokens",
            "300",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("**Root cause** (`retries_exhausted`): payment-service"),
        "{text}"
    );
    assert!(text.split_whitespace().count() < 300, "{text}");
}

#[test]
fn standard_input_and_healthy_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let out = seam(dir.path(), &["trace", "generate", "-o", "healthy.jsonl"]);
    assert_eq!(out.status.code(), Some(0));
    let mut child = Command::new(env!("CARGO_BIN_EXE_seam"))
        .args(["trace", "diagnose", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(dir.path().join("healthy.jsonl")).unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).starts_with("0 of 40 request(s) failed"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn versions_show_who_consumes_which_version() {
    let dir = tempfile::tempdir().unwrap();
    generated(dir.path(), "version-mismatch", &[]);
    let out = seam(
        dir.path(),
        &["trace", "versions", "traces.jsonl", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows: Vec<(String, String, String, u64, u64)> = json["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["message"].as_str().unwrap().to_string(),
                r["version"].as_str().unwrap().to_string(),
                r["consumer"].as_str().unwrap().to_string(),
                r["count"].as_u64().unwrap(),
                r["failed"].as_u64().unwrap(),
            )
        })
        .collect();
    let reserved = |v: &str| {
        rows.iter()
            .find(|r| r.0 == "inventory.stock_reserved" && r.1 == v)
            .cloned()
    };
    assert_eq!(
        reserved("1"),
        Some((
            "inventory.stock_reserved".into(),
            "1".into(),
            "order-service".into(),
            3,
            0
        ))
    );
    assert_eq!(
        reserved("2"),
        Some((
            "inventory.stock_reserved".into(),
            "2".into(),
            "order-service".into(),
            37,
            37
        ))
    );
    let text = stdout(&seam(dir.path(), &["trace", "versions", "traces.jsonl"]));
    assert!(text.starts_with("message"), "{text}");
    assert!(text.contains("2026-11-26T09:"), "{text}");
}

/// Serves recorded API answers on loopback: the path → file map, 404 for anything else.
fn serve(
    routes: Vec<(String, PathBuf)>,
    requests: usize,
) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for stream in listener.incoming().take(requests) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap() == 0 || header == "\r\n" {
                    break;
                }
            }
            let path = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or("")
                .to_string();
            seen.push(path.clone());
            let (status, body) = match routes.iter().find(|(p, _)| *p == path) {
                Some((_, file)) => ("200 OK", std::fs::read(file).unwrap()),
                None => (
                    "404 Not Found",
                    b"{\"errors\":[{\"code\":404,\"msg\":\"trace not found\"}]}".to_vec(),
                ),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(&body).unwrap();
        }
        seen
    });
    (base, handle)
}

const TRACE: &str = "c097314d939736f83b92d3f0106bc147";

fn recorded(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/recorded")
        .join(name)
}

#[test]
fn jaeger_live_source_falls_back_to_the_query_api() {
    let routes = vec![(
        format!("/api/traces/{TRACE}"),
        recorded("jaeger-query-trace.json"),
    )];
    let (base, server) = serve(routes, 2);
    let dir = tempfile::tempdir().unwrap();
    let out = seam(
        dir.path(),
        &[
            "trace",
            "diagnose",
            "--jaeger",
            &base,
            "--trace-id",
            &TRACE.to_uppercase(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out)
            .contains("root cause (masked_timeout): payment-service · SELECT accounts FOR UPDATE"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        server.join().unwrap(),
        [
            format!("/api/v3/traces/{TRACE}"),
            format!("/api/traces/{TRACE}")
        ]
    );
}

#[test]
fn tempo_live_source_and_a_trace_it_does_not_have() {
    let routes = vec![(
        format!("/api/v2/traces/{TRACE}"),
        recorded("tempo-v2-trace.json"),
    )];
    let (base, server) = serve(routes, 1);
    let dir = tempfile::tempdir().unwrap();
    let out = seam(
        dir.path(),
        &[
            "trace",
            "diagnose",
            "--tempo",
            &base,
            "--trace-id",
            TRACE,
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["traces"][0]["root_cause"]["service"],
        "payment-service"
    );
    server.join().unwrap();

    let (base, server) = serve(Vec::new(), 2);
    let out = seam(
        dir.path(),
        &[
            "trace",
            "diagnose",
            "--tempo",
            &base,
            "--trace-id",
            "abc123",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("Tempo has no such trace"),
        "{}",
        stderr(&out)
    );
    server.join().unwrap();
    let out = seam(
        dir.path(),
        &[
            "trace",
            "diagnose",
            "--tempo",
            "http://127.0.0.1:9",
            "--trace-id",
            "../etc",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not a trace id"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bad_input_is_exit_code_2_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.json"), "").unwrap();
    std::fs::write(dir.path().join("broken.json"), "{\"resourceSpans\": [").unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["trace", "diagnose", "missing.jsonl"],
            "cannot open missing.jsonl",
        ),
        (&["trace", "diagnose", "empty.json"], "the input is empty"),
        (
            &["trace", "diagnose", "broken.json"],
            "broken.json: cut off: the input ends inside this document",
        ),
        (&["trace", "diagnose"], "no input"),
        (
            &["trace", "diagnose", "empty.json", "--max-tokens", "10"],
            "--max-tokens applies to --format markdown",
        ),
        (
            &["trace", "diagnose", "empty.json", "--manifests", "."],
            "no seam.toml",
        ),
        (
            &["trace", "diagnose", "empty.json", "--window", "soon"],
            "not a duration",
        ),
        (
            &["trace", "generate", "--fault", "gremlins", "-o", "x"],
            "unknown fault `gremlins`",
        ),
    ];
    for (args, message) in cases {
        let out = seam(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
}

/// `--manifests` takes one folder per flag (or a comma-separated list): the trace files after it are read as
/// traces, not swallowed as folders; a folder given where a trace file goes says how to pass it.
#[test]
fn manifests_do_not_swallow_the_trace_files_after_them() {
    let dir = tempfile::tempdir().unwrap();
    generated(dir.path(), "missing-publish", &[]);
    let manifests = manifests();
    let manifests = manifests.to_str().unwrap();
    let out = seam(
        dir.path(),
        &[
            "trace",
            "diagnose",
            "--manifests",
            manifests,
            "traces.jsonl",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("inventory-service's seam.toml"),
        "the manifests were read: {}",
        stdout(&out)
    );
    let listed = format!("{manifests},{manifests}");
    let out = seam(
        dir.path(),
        &["trace", "diagnose", "--manifests", &listed, "traces.jsonl"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let out = seam(
        dir.path(),
        &[
            "trace",
            "diagnose",
            "traces.jsonl",
            "--manifests",
            manifests,
            manifests,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("repeat --manifests"),
        "{}",
        stderr(&out)
    );
}

/// `seam trace generate --profile` writes a case of the labelled corpus as another instrumentation writes it,
/// with what was injected into each request; a diagnosis can be scored against those labels.
#[test]
fn a_corpus_case_comes_with_its_labels() {
    let dir = tempfile::tempdir().unwrap();
    let out = seam(
        dir.path(),
        &[
            "trace",
            "generate",
            "--profile",
            "java-agent",
            "--system",
            "rides",
            "--fault",
            "timeout",
            "--checkouts",
            "8",
            "--faulty-per-40",
            "20",
            "-o",
            "traces.jsonl",
            "--labels-out",
            "labels.jsonl",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let labels: Vec<serde_json::Value> = std::fs::read_to_string(dir.path().join("labels.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(labels.len(), 8);
    let faulty: Vec<&serde_json::Value> =
        labels.iter().filter(|l| l["fault"] == "timeout").collect();
    assert_eq!(faulty.len(), 4);
    let out = seam(
        dir.path(),
        &["trace", "diagnose", "traces.jsonl", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for label in faulty {
        let diagnosed = report["traces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["trace_id"] == label["trace_id"])
            .unwrap_or_else(|| panic!("{label} not diagnosed"));
        assert_eq!(
            diagnosed["root_cause"]["service"], label["service"],
            "{diagnosed}"
        );
    }
    let unknown = seam(
        dir.path(),
        &[
            "trace",
            "generate",
            "--profile",
            "cobol-agent",
            "-o",
            "x.jsonl",
        ],
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("unknown profile `cobol-agent`; one of: seamline-runtime"));
}
