//! `seam serve` as a process: it listens, answers, and stops cleanly on SIGTERM.

mod common;

use std::process::Command;

#[test]
fn serve_answers_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("registry.db").display());
    let (mut child, base) = common::serve(&database, &[]);
    let mut stderr = child.stderr.take().unwrap();

    let ready = ureq::get(format!("{base}/readyz"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert_eq!(ready, "ready");
    let token = common::token(&database, "admin");
    let body = serde_json::json!({ "manifest": "[service]\nname = \"svc\"\n", "contracts": [] });
    let status = ureq::put(format!("{base}/api/v1/services/svc/versions/1"))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
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

/// A client that stalls in the middle of its request keeps SIGTERM from finishing only up to the shutdown
/// deadline (10 s); then the server closes it and exits.
#[test]
fn sigterm_finishes_despite_a_stalled_client() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("registry.db").display());
    let (mut child, base) = common::serve(&database, &[]);
    let token = common::token(&database, "admin");
    let address = base.trim_start_matches("http://");
    // Headers sent, a byte of the body, then nothing: a request in flight that never ends.
    let mut stalled = std::net::TcpStream::connect(address).unwrap();
    write!(
        stalled,
        "PUT /api/v1/services/svc/versions/1 HTTP/1.1\r\nhost: {address}\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n{{"
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("seam serve did not exit within 40 s of SIGTERM with a stalled client");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(status.code(), Some(0));
    drop(stalled);
}
