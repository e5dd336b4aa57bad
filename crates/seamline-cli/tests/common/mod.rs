//! Shared by the CLI's test binaries: running `seam serve` as a process, tokens, copying example folders.
// Each test binary includes this module and uses part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Starts `seam serve` on a free loopback port with `database`; returns the process and its base URL, read from
/// the line that says `listening on` (whatever the log format, and whatever comes before it).
pub fn serve(database: &str, extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_seam"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", database])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let base = loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "seam serve ended: {seen}"
        );
        if let Some(word) = line
            .split(|c: char| c.is_whitespace() || c == '"')
            .find(|w| w.starts_with("http://"))
        {
            break word.to_string();
        }
        seen.push_str(&line);
    };
    child.stderr = Some(reader.into_inner());
    (child, base)
}

/// A token with `scope`, created straight on the database; its secret.
pub fn token(database: &str, scope: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_seam"))
        .args(["token", "create", "--database", database])
        .args(["--name", scope, "--scope", scope])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Copies the folder `from` into `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
