//! `seam context` end to end: files written into a copy of a checkout service, hand-written text kept,
//! edited blocks refused, `--check` for CI, `--force-keep`, CRLF files and the MCP client configurations.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn seam(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seam"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("seam runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A copy of `examples/checkout/order-service` in a temporary folder, without its assistant files.
fn order_service() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let from =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/checkout/order-service");
    common::copy_dir(&from, dir.path());
    for f in FILES {
        std::fs::remove_file(dir.path().join(f)).expect("the example carries its assistant files");
    }
    dir
}

const FILES: [&str; 7] = [
    "AGENTS.md",
    "CLAUDE.md",
    ".cursor/rules/seam-integration.mdc",
    ".github/copilot-instructions.md",
    "docs/integration/payment-service.md",
    "docs/integration/inventory-service.md",
    "docs/integration/review.md",
];

#[test]
fn writes_every_file_then_is_idempotent_and_checks_clean() {
    let dir = order_service();
    let first = seam(dir.path(), &["context"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert_eq!(text(&first.stdout).matches("created").count(), FILES.len());
    for f in FILES {
        assert!(dir.path().join(f).is_file(), "{f} written");
        assert!(text(&first.stdout).contains(f), "{f} reported");
    }
    assert!(text(&first.stdout).contains("tokens, always loaded"));
    let again = seam(dir.path(), &["context"]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        text(&again.stdout).matches("unchanged").count(),
        FILES.len()
    );
    let check = seam(dir.path(), &["context", "--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stdout));
    let listed: serde_json::Value =
        serde_json::from_slice(&seam(dir.path(), &["context", "--format", "json"]).stdout).unwrap();
    let files = listed["files"].as_array().unwrap();
    assert_eq!(files.len(), FILES.len());
    assert_eq!(files[0]["path"], "AGENTS.md");
    assert_eq!(files[0]["state"], "unchanged");
    assert_eq!(files[0]["always_loaded"], true);
    assert!(files[0]["tokens"].as_u64().unwrap() > 100);
}

#[test]
fn hand_written_text_survives_and_check_shows_a_diff_when_stale() {
    let dir = order_service();
    let agents = dir.path().join("AGENTS.md");
    std::fs::write(&agents, "# Order service\n\nRun `make dev` to start it.\n").unwrap();
    assert_eq!(seam(dir.path(), &["context"]).status.code(), Some(0));
    let written = std::fs::read_to_string(&agents).unwrap();
    assert!(
        written.starts_with("# Order service\n\nRun `make dev` to start it.\n\n<!-- seam:begin")
    );
    std::fs::write(&agents, format!("{written}\n## Our notes\nKeep these.\n")).unwrap();

    // The manifest changes: the block is stale, and --check says so with a diff, writing nothing.
    let manifest = dir.path().join("seam.toml");
    let toml = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        toml.replace("timeout_ms = 2000", "timeout_ms = 2500"),
    )
    .unwrap();
    let before = std::fs::read_to_string(&agents).unwrap();
    let check = seam(dir.path(), &["context", "--check"]);
    assert_eq!(check.status.code(), Some(1));
    let out = text(&check.stdout);
    assert!(out.contains("--- a/AGENTS.md"), "{out}");
    assert!(
        out.contains("-- Calls to payment-service: 2000 ms timeout") || out.contains("-- Calls"),
        "{out}"
    );
    assert!(
        out.contains("+- Calls to payment-service: 2500 ms timeout"),
        "{out}"
    );
    assert!(text(&check.stderr).contains("out of date"));
    assert_eq!(
        std::fs::read_to_string(&agents).unwrap(),
        before,
        "--check writes nothing"
    );

    assert_eq!(seam(dir.path(), &["context"]).status.code(), Some(0));
    let after = std::fs::read_to_string(&agents).unwrap();
    assert!(after.starts_with("# Order service\n\nRun `make dev` to start it.\n"));
    assert!(
        after.ends_with("<!-- seam:end -->\n\n## Our notes\nKeep these.\n"),
        "{after}"
    );
    assert!(after.contains("2500 ms timeout"));
}

#[test]
fn an_edited_block_is_refused_or_kept_beside() {
    let dir = order_service();
    assert_eq!(seam(dir.path(), &["context"]).status.code(), Some(0));
    let agents = dir.path().join("AGENTS.md");
    let edited = std::fs::read_to_string(&agents)
        .unwrap()
        .replace("owned by team-checkout", "owned by team-orders");
    std::fs::write(&agents, &edited).unwrap();

    let refused = seam(dir.path(), &["context"]);
    assert_eq!(refused.status.code(), Some(2));
    let err = text(&refused.stderr);
    assert!(
        err.contains("AGENTS.md:3: the block generated by `seam context` was edited by hand"),
        "{err}"
    );
    assert!(
        err.contains("help: move your text outside the markers"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&agents).unwrap(),
        edited,
        "nothing overwritten"
    );
    assert_eq!(
        seam(dir.path(), &["context", "--check"]).status.code(),
        Some(2)
    );

    let kept = seam(dir.path(), &["context", "--force-keep"]);
    assert_eq!(kept.status.code(), Some(1), "{}", text(&kept.stderr));
    assert_eq!(
        std::fs::read_to_string(&agents).unwrap(),
        edited,
        "the edit stays"
    );
    let beside = std::fs::read_to_string(dir.path().join("AGENTS.md.new")).unwrap();
    assert!(beside.starts_with("# order-service\n\n<!-- seam:begin"));
    assert!(beside.contains("owned by team-checkout"));
    let check: serde_json::Value = serde_json::from_slice(
        &seam(dir.path(), &["context", "--check", "--format", "json"]).stdout,
    )
    .unwrap();
    assert_eq!(check["up_to_date"], false);
}

#[test]
fn duplicate_and_unbalanced_markers_are_input_errors() {
    let dir = order_service();
    assert_eq!(seam(dir.path(), &["context"]).status.code(), Some(0));
    let claude = dir.path().join("CLAUDE.md");
    let once = std::fs::read_to_string(&claude).unwrap();
    std::fs::write(&claude, format!("{once}{once}")).unwrap();
    let out = seam(dir.path(), &["context"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("CLAUDE.md:10: a second `seam:begin` marker"),
        "{}",
        text(&out.stderr)
    );

    let cut = once.replace("<!-- seam:end -->\n", "");
    std::fs::write(&claude, &cut).unwrap();
    let out = seam(dir.path(), &["context"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("CLAUDE.md:3: `seam:begin` without a `seam:end`"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&claude).unwrap(), cut);
}

#[test]
fn crlf_files_keep_their_line_endings() {
    let dir = order_service();
    let copilot = dir.path().join(".github/copilot-instructions.md");
    std::fs::create_dir_all(copilot.parent().unwrap()).unwrap();
    std::fs::write(&copilot, "# Copilot\r\n\r\nUse tabs.\r\n").unwrap();
    assert_eq!(seam(dir.path(), &["context"]).status.code(), Some(0));
    let written = std::fs::read_to_string(&copilot).unwrap();
    assert!(written.starts_with("# Copilot\r\n\r\nUse tabs.\r\n\r\n<!-- seam:begin"));
    assert!(
        !written.replace("\r\n", "").contains('\n'),
        "only CRLF line breaks"
    );
    assert_eq!(
        seam(dir.path(), &["context", "--check"]).status.code(),
        Some(0)
    );
}

#[test]
fn mcp_configurations_are_merged_not_replaced() {
    let dir = order_service();
    std::fs::write(
        dir.path().join(".mcp.json"),
        r#"{"mcpServers": {"db": {"command": "pg-mcp"}}, "other": 1}"#,
    )
    .unwrap();
    let out = seam(dir.path(), &["context", "--mcp-config"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let claude: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(".mcp.json")).unwrap())
            .unwrap();
    assert_eq!(claude["mcpServers"]["db"]["command"], "pg-mcp");
    assert_eq!(claude["other"], 1);
    assert_eq!(claude["mcpServers"]["seam"]["args"][0], "mcp");
    let cursor: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join(".cursor/mcp.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(cursor["mcpServers"]["seam"]["command"], "seam");
    let vscode: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join(".vscode/mcp.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(vscode["servers"]["seam"]["type"], "stdio");

    std::fs::write(dir.path().join(".cursor/mcp.json"), "{ not json").unwrap();
    let broken = seam(dir.path(), &["context", "--mcp-config"]);
    assert_eq!(broken.status.code(), Some(2));
    assert!(text(&broken.stderr).contains(".cursor/mcp.json is not valid JSON"));
}

#[test]
fn a_bad_context_table_is_reported_with_its_line() {
    let dir = order_service();
    let manifest = dir.path().join("seam.toml");
    let toml = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        format!("{toml}\n[context]\ntargets = [\"agents\", \"cursr\"]\n"),
    )
    .unwrap();
    let out = seam(dir.path(), &["context"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("seam.toml:") && err.contains("unknown context target `cursr`"),
        "{err}"
    );
    assert!(err.contains("did you mean `cursor`?"), "{err}");
    assert!(!dir.path().join("AGENTS.md").exists());
}

#[test]
fn seam_check_reports_stale_assistant_files_once_adopted() {
    let dir = order_service();
    // Not adopted yet: no finding about assistant files.
    let before = seam(dir.path(), &["check", "--against", "none"]);
    assert!(
        !text(&before.stdout).contains("SEAM-A001"),
        "{}",
        text(&before.stdout)
    );
    assert_eq!(seam(dir.path(), &["context"]).status.code(), Some(0));
    assert_eq!(
        seam(dir.path(), &["check", "--against", "none"])
            .status
            .code(),
        Some(0)
    );
    let manifest = dir.path().join("seam.toml");
    let toml = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, toml.replace("attempts = 3", "attempts = 4")).unwrap();
    let stale = seam(dir.path(), &["check", "--against", "none"]);
    assert_eq!(stale.status.code(), Some(1));
    let out = text(&stale.stdout);
    assert!(
        out.contains("SEAM-A001") && out.contains("AGENTS.md"),
        "{out}"
    );
    assert!(out.contains("docs/integration/payment-service.md"), "{out}");
}

#[test]
fn the_checkout_examples_carry_current_assistant_files() {
    for service in [
        "gateway",
        "order-service",
        "payment-service",
        "inventory-service",
        "notification-service",
    ] {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/checkout")
            .join(service);
        let out = seam(&dir, &["context", "--check"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{service}: {}",
            text(&out.stdout)
        );
    }
}

/// `CLAUDE.md → AGENTS.md` is how many repositories share one file between assistants: the link stays a link,
/// AGENTS.md gets its block once, and `--check` is clean afterwards. Either direction of the link.
#[cfg(unix)]
#[test]
fn a_link_between_two_assistant_files_stays_a_link_and_is_written_once() {
    for (link, target) in [("CLAUDE.md", "AGENTS.md"), ("AGENTS.md", "CLAUDE.md")] {
        let dir = order_service();
        std::fs::write(dir.path().join(target), "# notes kept by hand\n").unwrap();
        std::os::unix::fs::symlink(target, dir.path().join(link)).unwrap();
        let out = seam(dir.path(), &["context"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        // Whichever way the link points, the file holds AGENTS.md's text, so CLAUDE.md is the one not written.
        assert!(
            text(&out.stdout).contains(&format!("{:<44} linked", "CLAUDE.md")),
            "{}",
            text(&out.stdout)
        );
        let meta = std::fs::symlink_metadata(dir.path().join(link)).unwrap();
        assert!(meta.file_type().is_symlink(), "{link} is still a link");
        let real = std::fs::read_to_string(dir.path().join(target)).unwrap();
        assert!(real.starts_with("# notes kept by hand\n"), "{real}");
        assert_eq!(real.matches("<!-- seam:begin").count(), 1, "{real}");
        assert!(
            !real.contains("@AGENTS.md"),
            "the shared file holds AGENTS.md's text, not CLAUDE.md's import of it: {real}"
        );
        let check = seam(dir.path(), &["context", "--check"]);
        assert_eq!(check.status.code(), Some(0), "{}", text(&check.stdout));
    }
}

/// A link to a file outside the generated set is written through: the link survives, its target changes.
#[cfg(unix)]
#[test]
fn a_linked_assistant_file_is_written_through_its_link() {
    let dir = order_service();
    std::fs::create_dir(dir.path().join("shared")).unwrap();
    std::os::unix::fs::symlink(
        "../shared/copilot.md",
        dir.path().join(".github/copilot-instructions.md"),
    )
    .unwrap();
    let out = seam(dir.path(), &["context"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let link = dir.path().join(".github/copilot-instructions.md");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let target = std::fs::read_to_string(dir.path().join("shared/copilot.md")).unwrap();
    assert!(target.contains("<!-- seam:begin"), "{target}");
}

/// Rewriting a file keeps its permissions (an executable bit, a group-writable mode) and leaves no temporary
/// file behind.
#[cfg(unix)]
#[test]
fn rewriting_an_assistant_file_keeps_its_mode_and_leaves_no_temporary_file() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = order_service();
    let agents = dir.path().join("AGENTS.md");
    std::fs::write(&agents, "# hand-written\n").unwrap();
    std::fs::set_permissions(&agents, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = seam(dir.path(), &["context"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mode = std::fs::metadata(&agents).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let created = std::fs::metadata(dir.path().join("CLAUDE.md"))
        .unwrap()
        .permissions()
        .mode();
    let reference = dir.path().join("reference");
    std::fs::write(&reference, "").unwrap();
    let usual = std::fs::metadata(&reference).unwrap().permissions().mode();
    assert_eq!(
        created & 0o777,
        usual & 0o777,
        "a new file gets the umask's mode, not 0600"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".seam-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
