//! Every generated file for the checkout services and for manifests that use the `[context]` options:
//! snapshots, and each file checked in its own format.

use std::path::{Path, PathBuf};

use seamline_context::{Generated, Settings, blocks, gather, generate};
use seamline_syntax::{Format, Limits, parse};

fn example(service: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/checkout")
        .join(service)
}

fn files(root: &Path) -> Vec<Generated> {
    let (facts, manifest) = gather(root).expect("the service reads");
    generate(&facts, &Settings::from_manifest(&manifest)).expect("within budget")
}

/// The whole text of each file as `seam context` writes it into an empty folder.
fn rendered(files: &[Generated]) -> String {
    files
        .iter()
        .map(|g| {
            let text = blocks::apply(None, &g.fresh_prefix, &g.body).expect("a fresh file");
            format!("==> {} <==\n{text}", g.path)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Frontmatter of an `.mdc` file parses as YAML and has the keys Cursor reads.
fn check_frontmatter(path: &str, text: &str) {
    let rest = text
        .strip_prefix("---\n")
        .unwrap_or_else(|| panic!("{path}: no frontmatter"));
    let end = rest
        .find("\n---\n")
        .unwrap_or_else(|| panic!("{path}: frontmatter not closed"));
    let parsed = parse(
        path,
        &rest.as_bytes()[..end],
        Format::Yaml,
        &Limits::default(),
    );
    assert!(parsed.problems.is_empty(), "{path}: {:?}", parsed.problems);
    let root = parsed.root.expect("frontmatter");
    assert!(
        root.get("description")
            .and_then(|d| d.as_str())
            .is_some_and(|d| !d.is_empty())
    );
    assert!(root.get("globs").and_then(|g| g.as_str()).is_some());
    assert_eq!(
        root.get("alwaysApply").and_then(|a| a.as_bool()),
        Some(true)
    );
}

/// Every Markdown table has a header, a separator and rows of the same width (escaped pipes not counted).
fn check_tables(path: &str, text: &str) -> usize {
    let width = |line: &str| line.replace("\\|", "").matches('|').count();
    let mut tables = 0;
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].starts_with('|') {
            let header = width(lines[i]);
            let separator = lines.get(i + 1).copied().unwrap_or_default();
            assert!(
                separator.starts_with("|---") && width(separator) == header,
                "{path}:{}: table without a matching separator",
                i + 2
            );
            let mut j = i + 2;
            while j < lines.len() && lines[j].starts_with('|') {
                assert_eq!(width(lines[j]), header, "{path}:{}: row width", j + 1);
                j += 1;
            }
            tables += 1;
            i = j;
        } else {
            i += 1;
        }
    }
    tables
}

fn check_formats(files: &[Generated]) {
    for g in files {
        let text = blocks::apply(None, &g.fresh_prefix, &g.body).expect("a fresh file");
        if g.path.ends_with(".mdc") {
            check_frontmatter(&g.path, &text);
        }
        check_tables(&g.path, &text);
        assert_eq!(
            blocks::body(&text).unwrap().as_deref(),
            Some(g.body.as_str())
        );
    }
}

#[test]
fn checkout_services() {
    for service in [
        "gateway",
        "order-service",
        "payment-service",
        "inventory-service",
        "notification-service",
    ] {
        let files = files(&example(service));
        check_formats(&files);
        let agents = files
            .iter()
            .find(|g| g.path == "AGENTS.md")
            .expect("AGENTS.md");
        if service == "order-service" {
            assert_eq!(
                check_tables("AGENTS.md", &agents.body),
                2,
                "the partner table and the consumer table"
            );
        }
        insta::assert_snapshot!(service, rendered(&files));
    }
}

fn scratch(manifest: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("seam.toml"), manifest).expect("seam.toml");
    dir
}

#[test]
fn context_options_choose_targets_and_claude_mode() {
    let dir = scratch(
        "[service]\nname = \"ledger\"\nowner = \"team-money\"\ndescription = \"books every payment\"\n\n\
         [[consumes.http]]\nservice = \"payment-service\"\ncontract = \"payment-api\"\noperations = [\"getPayment\"]\n\n\
         [context]\ntargets = [\"claude\", \"cursor\"]\nclaude = \"block\"\ndir = \"docs/ai\"\n",
    );
    let files = files(dir.path());
    check_formats(&files);
    let paths: Vec<&str> = files.iter().map(|g| g.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "CLAUDE.md",
            ".cursor/rules/seam-integration.mdc",
            "docs/ai/payment-service.md",
            "docs/ai/review.md"
        ]
    );
    insta::assert_snapshot!("ledger", rendered(&files));
}

#[test]
fn over_budget_goes_compact_then_refuses() {
    let mut manifest = String::from("[service]\nname = \"hub\"\n");
    for i in 0..12 {
        manifest.push_str(&format!(
            "\n[[consumes.http]]\nservice = \"partner-{i:02}\"\ncontract = \"api\"\noperations = [\"readThing\", \"writeThing\", \"listThings\"]\ntimeout_ms = 500\n"
        ));
    }
    let (facts, parsed) = gather(scratch(&manifest).path()).expect("reads");
    let mut settings = Settings::from_manifest(&parsed);
    settings.budget_tokens = 100_000;
    let full = generate(&facts, &settings).expect("fits a large budget");
    assert!(
        full[0].body.contains("readThing"),
        "the full table lists what is used"
    );
    let full_tokens = seamline_trace::render::count_tokens(&full[0].body);
    settings.budget_tokens = full_tokens - 1;
    let compact = generate(&facts, &settings).expect("fits when compact");
    assert!(
        compact[0]
            .body
            .contains("| service | direction | protocol | contract in this repo | details |")
    );
    assert!(
        !compact[0].body.contains("readThing"),
        "uses move to the linked files"
    );
    assert!(
        compact
            .iter()
            .any(|g| g.path == "docs/integration/partner-03.md" && g.body.contains("readThing"))
    );
    settings.budget_tokens = 50;
    let refused = generate(&facts, &settings).expect_err("over budget");
    assert_eq!(refused.budget, 50);
    assert!(refused.tokens > 50);
}
