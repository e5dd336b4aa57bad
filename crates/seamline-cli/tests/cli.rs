//! The `seam` binary as a user runs it: what it prints and the exit code it returns.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn seam(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seam"))
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("seam runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_example_service_is_clean() {
    let out = seam(&repo(), &["lint", "examples/checkout/order-service"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(stdout(&out), "no findings\n");
    // With no path, `seam lint` lints the service in the current folder.
    let out = seam(&repo().join("examples/checkout/order-service"), &["lint"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = seam(&repo().join("examples/checkout/order-service"), &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

/// Every checkout service, laid out as its own repository, is clean under `seam lint` and `seam check` (contracts,
/// manifest, lock against the vendored copies, assistant files).
#[test]
fn every_checkout_service_is_clean() {
    for service in [
        "gateway",
        "order-service",
        "payment-service",
        "inventory-service",
        "notification-service",
    ] {
        let dir = repo().join("examples/checkout").join(service);
        for args in [&["lint"][..], &["check"][..]] {
            let out = seam(&dir, args);
            assert_eq!(
                (out.status.code(), stdout(&out).as_str()),
                (Some(0), "no findings\n"),
                "{service}: seam {args:?}\n{}",
                stderr(&out)
            );
        }
    }
}

#[test]
fn the_broken_service_shows_located_findings() {
    let out = seam(
        &repo(),
        &["lint", "examples/broken-service", "--color", "never"],
    );
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("broken_service_text", stdout(&out));
}

#[test]
fn fail_on_decides_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    // Only warnings: no latency budget.
    std::fs::write(
        dir.path().join("api.yaml"),
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      operationId: getA\n      responses:\n        default:\n          description: problem\n          content:\n            application/problem+json:\n              schema:\n                type: object\n                properties: {type: {type: string}, title: {type: string}, status: {type: integer}, detail: {type: string}}\n",
    )
    .unwrap();
    let warn_only = seam(dir.path(), &["lint", "api.yaml"]);
    assert_eq!(warn_only.status.code(), Some(0), "{}", stdout(&warn_only));
    assert!(stdout(&warn_only).contains("operation-timeout-missing"));
    let strict = seam(dir.path(), &["lint", "api.yaml", "--fail-on", "warning"]);
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn every_format_renders_the_same_findings() {
    let root = repo();
    let args = |format| ["lint", "examples/broken-service", "--format", format];
    let json: serde_json::Value =
        serde_json::from_slice(&seam(&root, &args("json")).stdout).unwrap();
    assert_eq!(json["version"], 1);
    let diagnostics = json["diagnostics"].as_array().unwrap();
    let count = diagnostics.len();
    assert!(count > 10);
    assert_eq!(
        json["summary"]["errors"].as_u64().unwrap() + json["summary"]["warnings"].as_u64().unwrap(),
        count as u64
    );
    let first = &diagnostics[0];
    for key in [
        "code", "rule", "severity", "message", "file", "pointer", "range", "help", "related",
    ] {
        assert!(first.get(key).is_some(), "json diagnostic lacks {key}");
    }
    assert!(first["range"]["start"]["line"].as_u64().unwrap() >= 1);

    let sarif: serde_json::Value =
        serde_json::from_slice(&seam(&root, &args("sarif")).stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["results"].as_array().unwrap().len(), count);
    assert_eq!(run["tool"]["driver"]["name"], "seam");
    let result = &run["results"][0];
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert!(region["startLine"].as_u64().unwrap() >= 1);
    let rule_index = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(
        run["tool"]["driver"]["rules"][rule_index]["id"],
        result["ruleId"]
    );

    let markdown = stdout(&seam(&root, &args("markdown")));
    assert!(markdown.contains("| | Rule | Location | Finding |"));
    assert_eq!(
        markdown
            .lines()
            .filter(|l| l.starts_with("| 🔴") || l.starts_with("| 🟡"))
            .count(),
        count
    );

    let github = stdout(&seam(&root, &args("github")));
    assert_eq!(
        github
            .lines()
            .filter(|l| l.starts_with("::error ") || l.starts_with("::warning "))
            .count(),
        count
    );
    assert!(github.contains("file=examples/broken-service/seam.toml,line="));
}

#[test]
fn output_is_deterministic() {
    let root = repo();
    let a = seam(
        &root,
        &["lint", "examples/broken-service", "--format", "json"],
    )
    .stdout;
    let b = seam(
        &root,
        &["lint", "examples/broken-service", "--format", "json"],
    )
    .stdout;
    assert_eq!(a, b);
}

#[test]
fn input_errors_exit_2_with_a_located_message() {
    let dir = tempfile::tempdir().unwrap();
    let missing = seam(dir.path(), &["lint", "nope.yaml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("no such file or folder"),
        "{}",
        stderr(&missing)
    );

    std::fs::write(
        dir.path().join("seam.toml"),
        "[service]\nname = \"x\"\nowenr = \"team\"\n",
    )
    .unwrap();
    let typo = seam(dir.path(), &["lint", "--color", "never"]);
    assert_eq!(typo.status.code(), Some(2));
    let err = stderr(&typo);
    assert!(err.contains("unknown key `owenr`"), "{err}");
    assert!(err.contains("seam.toml:3:1"), "{err}");
    assert!(err.contains("did you mean `owner`?"), "{err}");

    let usage = seam(dir.path(), &["lint", "--format", "yaml"]);
    assert_eq!(usage.status.code(), Some(2));
    let rule = seam(dir.path(), &["lint", "--select", "no-such-rule"]);
    assert_eq!(rule.status.code(), Some(2));
    let check = seam(tempfile::tempdir().unwrap().path(), &["check"]);
    assert_eq!(check.status.code(), Some(2));
    assert!(stderr(&check).contains("seam init"));
}

#[test]
fn init_writes_a_manifest_and_never_overwrites_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let service = dir.path().join("order-service");
    let example = repo().join("examples/checkout/order-service");
    copy_dir(&example.join("contracts"), &service.join("contracts"));
    let out = seam(&service, &["init"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let written = std::fs::read_to_string(service.join("seam.toml")).unwrap();
    insta::assert_snapshot!("init_manifest", written);

    std::fs::write(service.join("seam.toml"), "# mine\n").unwrap();
    let again = seam(&service, &["init"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("--force"));
    assert_eq!(
        std::fs::read_to_string(service.join("seam.toml")).unwrap(),
        "# mine\n"
    );
    let forced = seam(&service, &["init", "--force"]);
    assert_eq!(forced.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(service.join("seam.toml")).unwrap(),
        written
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn completions_rules_help_and_version() {
    let root = repo();
    for shell in ["bash", "zsh", "fish"] {
        let out = seam(&root, &["completions", shell]);
        assert_eq!(out.status.code(), Some(0));
        assert!(stdout(&out).contains("seam"), "{shell}");
    }
    let help = stdout(&seam(&root, &["--help"]));
    assert!(help.contains("Examples:") && help.contains("Exit codes"));
    let version = stdout(&seam(&root, &["--version"]));
    assert!(version.starts_with("seam "));
    let rules = stdout(&seam(&root, &["rules"]));
    assert!(rules.contains("SEAM-E001") && rules.contains("error-response-not-problem-json"));
    let explained = seam(&root, &["rules", "SEAM-E001"]);
    assert!(stdout(&explained).contains("## Why is this bad?"));
    let unknown = seam(&root, &["rules", "operation-id-mising"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("did you mean `operation-id-missing`?"));
}

/// A command offers only the output flags that mean something for it: `--format sarif` where findings are
/// printed, text/json where an answer is, none for servers and writers. Each refusal is a usage error (exit 2)
/// that names the flag or value.
#[test]
fn commands_offer_only_the_output_flags_that_mean_something_for_them() {
    let dir = tempfile::tempdir().unwrap();
    let refused: &[&[&str]] = &[
        &["serve", "--format", "json"],
        &["serve", "--fail-on", "warning"],
        &["token", "list", "--format", "sarif"],
        &["init", "--fail-on", "error"],
        &["mcp", "--format", "text"],
        &["pull", "--fail-on", "error"],
        &["record-deployment", "--env", "prod", "--format", "json"],
        &["trace", "generate", "-o", "t.jsonl", "--format", "json"],
        &["trace", "diagnose", "t.jsonl", "--format", "sarif"],
        &["trace", "versions", "t.jsonl", "--format", "github"],
        &["trace", "diagnose", "t.jsonl", "--fail-on", "warning"],
        &["rules", "--format", "sarif"],
        &["context", "--format", "markdown"],
        &["can-i-deploy", "--env", "prod", "--format", "sarif"],
        // Only after the subcommand: the flags belong to the command, not to `seam`.
        &["--format", "json", "lint"],
    ];
    for args in refused {
        let out = seam(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("--format") || err.contains("--fail-on") || err.contains("invalid value"),
            "{args:?}: {err}"
        );
        assert!(!dir.path().join("t.jsonl").exists(), "{args:?} did nothing");
    }
    // The help of each command lists only its own values.
    let help = stdout(&seam(dir.path(), &["trace", "diagnose", "--help"]));
    assert!(
        help.contains("markdown") && !help.contains("sarif"),
        "{help}"
    );
    assert!(!help.contains("--fail-on"), "{help}");
    let help = stdout(&seam(dir.path(), &["serve", "--help"]));
    assert!(
        !help.contains("--format") && !help.contains("--fail-on"),
        "{help}"
    );
    assert!(help.contains("--color"), "--color stays global: {help}");
    let help = stdout(&seam(dir.path(), &["lint", "--help"]));
    assert!(
        help.contains("sarif") && help.contains("--fail-on"),
        "{help}"
    );
    // And the accepted ones still work.
    let rules = seam(dir.path(), &["rules", "--format", "json"]);
    assert_eq!(rules.status.code(), Some(0), "{}", stderr(&rules));
    serde_json::from_slice::<serde_json::Value>(&rules.stdout).expect("rules as JSON");
}

/// `seam lint --dir DIR` lints the service in DIR, as `--dir` does for every other command, and says what to do
/// when DIR is not a service.
#[test]
fn lint_dir_names_a_service_folder_like_the_other_commands() {
    let out = seam(&repo(), &["lint", "--dir", "examples/broken-service"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("SEAM-R001"), "{}", stdout(&out));
    let same = seam(&repo(), &["lint", "examples/broken-service"]);
    assert_eq!(stdout(&out), stdout(&same));
    let dir = tempfile::tempdir().unwrap();
    let out = seam(dir.path(), &["lint", "--dir", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("seam init"), "{}", stderr(&out));
    let both = seam(
        &repo(),
        &["lint", "--dir", "examples/broken-service", "x.yaml"],
    );
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
}
