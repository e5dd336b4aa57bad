//! Inline suppressions: a finding that appears without a suppression disappears with a valid one, in both forms
//! (`x-seam-ignore` and `# seam-ignore` comments), and a suppression without a reason suppresses nothing and is
//! itself reported by `suppression-invalid`.

use std::path::PathBuf;

use seamline_lint::{LintOptions, lint};

/// A folder under the system's temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "seamline-suppressions-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Lints one contract, `api.yaml`, with only the given rules; returns (rule, line) of every finding, sorted.
fn findings(name: &str, contract: &str, rules: &[&str]) -> Vec<(String, u32)> {
    let dir = TempDir::new(name);
    std::fs::write(dir.0.join("api.yaml"), contract).unwrap();
    let options = LintOptions {
        display_base: std::fs::canonicalize(&dir.0).unwrap(),
        root: Some(dir.0.clone()),
        select: rules.iter().map(|r| (*r).to_owned()).collect(),
        ..LintOptions::default()
    };
    let outcome = lint(std::slice::from_ref(&dir.0), &options);
    assert!(
        outcome.input_errors.is_empty(),
        "{:?}",
        outcome.input_errors
    );
    let mut out: Vec<(String, u32)> = outcome
        .diagnostics
        .iter()
        .map(|d| {
            assert_eq!(d.file(), Some("api.yaml"));
            (
                d.rule.to_string(),
                d.primary.as_ref().map_or(0, |l| l.start().line),
            )
        })
        .collect();
    out.sort();
    out
}

/// Two operations without a latency budget; `{get}` and `{post}` are replaced by what each test puts there.
fn contract(get: &str, post: &str) -> String {
    format!(
        r#"openapi: 3.1.0
info: {{title: Orders, version: "1"}}
paths:
  /orders:
{get}
      operationId: listOrders
      responses:
        "200": {{description: ok}}
{post}
      operationId: createOrder
      responses:
        "201": {{description: created}}
"#
    )
}

const TIMEOUT: &str = "operation-timeout-missing";
const INVALID: &str = "suppression-invalid";

fn finding(rule: &str, line: u32) -> (String, u32) {
    (rule.to_owned(), line)
}

#[test]
fn without_a_suppression_both_operations_are_reported() {
    let text = contract("    get:", "    post:");
    assert_eq!(
        findings("none", &text, &[TIMEOUT, INVALID]),
        vec![finding(TIMEOUT, 5), finding(TIMEOUT, 9)]
    );
}

#[test]
fn x_seam_ignore_silences_the_object_that_holds_it() {
    let get = "    get:\n      x-seam-ignore: {operation-timeout-missing: \"streams; the client sets its own deadline\"}";
    let text = contract(get, "    post:");
    // GET is silenced; POST, a sibling, is not (it moved one line down).
    assert_eq!(
        findings("extension", &text, &[TIMEOUT, INVALID]),
        vec![finding(TIMEOUT, 10)]
    );
}

#[test]
fn x_seam_ignore_covers_everything_below_it() {
    let text = contract("    get:", "    post:").replace(
        "paths:\n",
        "x-seam-ignore:\n  SEAM-R003: \"latency budgets live in the gateway\"\npaths:\n",
    );
    assert_eq!(
        findings("extension-root", &text, &[TIMEOUT, INVALID]),
        vec![]
    );
}

#[test]
fn a_comment_silences_its_own_line() {
    let get = "    get:  # seam-ignore operation-timeout-missing: streams; the client sets its own deadline";
    let text = contract(get, "    post:");
    assert_eq!(
        findings("comment-trailing", &text, &[TIMEOUT, INVALID]),
        vec![finding(TIMEOUT, 9)]
    );
}

#[test]
fn a_comment_alone_on_its_line_silences_the_next_line() {
    let post =
        "    # seam-ignore operation-timeout-missing: batch job, no caller waits\n\n    post:";
    let text = contract("    get:", post);
    assert_eq!(
        findings("comment-own-line", &text, &[TIMEOUT, INVALID]),
        vec![finding(TIMEOUT, 5)]
    );
}

#[test]
fn a_comment_after_a_hash_in_a_string_still_counts() {
    let text = r##"openapi: 3.1.0
info: {title: Orders, version: "1"}
paths:
  /orders:
    get:
      operationId: listOrders
      x-timeout-ms: 100
      responses:
        "200": {$ref: "#/components/responses/Listed"}  # seam-ignore ref-unresolved: added with the next release
        "404": {$ref: "#/components/responses/Missing"}
"##;
    assert_eq!(
        findings("comment-after-ref", text, &["ref-unresolved", INVALID]),
        vec![finding("ref-unresolved", 10)]
    );
}

#[test]
fn a_suppression_without_a_reason_suppresses_nothing() {
    // One of each form, neither with a reason: both findings stay, and both suppressions are reported.
    let get = "    get:\n      x-seam-ignore: {operation-timeout-missing: \"\"}";
    let post = "    post:  # seam-ignore operation-timeout-missing:";
    let text = contract(get, post);
    assert_eq!(
        findings("no-reason", &text, &[TIMEOUT, INVALID]),
        vec![
            finding(TIMEOUT, 5),
            finding(TIMEOUT, 10),
            finding(INVALID, 6),
            finding(INVALID, 10),
        ]
    );
}

#[test]
fn a_suppression_of_an_unknown_rule_suppresses_nothing() {
    let get = "    get:  # seam-ignore operation-timeout-mising: a typo in the name";
    let text = contract(get, "    post:");
    assert_eq!(
        findings("unknown-rule", &text, &[TIMEOUT, INVALID]),
        vec![
            finding(TIMEOUT, 5),
            finding(TIMEOUT, 9),
            finding(INVALID, 5)
        ]
    );
}
