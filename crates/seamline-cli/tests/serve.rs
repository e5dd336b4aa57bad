//! `seam serve` as a process: it listens, answers, and stops cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn serve_answers_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("registry.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_seam"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &database])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();

    let ready = ureq::get(format!("{base}/readyz"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert_eq!(ready, "ready");
    let token = Command::new(env!("CARGO_BIN_EXE_seam"))
        .args([
            "token",
            "create",
            "--database",
            &database,
            "--name",
            "t",
            "--scope",
            "admin",
        ])
        .output()
        .unwrap();
    assert!(token.status.success(), "{token:?}");
    let token = String::from_utf8(token.stdout).unwrap();
    let body = serde_json::json!({ "manifest": "[service]\nname = \"svc\"\n", "contracts": [] });
    let status = ureq::put(format!("{base}/api/v1/services/svc/versions/1"))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {}", token.trim()))
        .send(body.to_string())
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 201);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(rest.contains("seam serve: stopped"), "{rest}");
    // What was acknowledged is on disk for the next start.
    assert!(dir.path().join("registry.db").exists());
}
