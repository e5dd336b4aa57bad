//! One fixture per rule, in `tests/fixtures/<rule-name>/`: a service folder (with `seam.toml`) or a folder of
//! contracts. Lines that must be reported end with `# expect: <rule-name>`; the fixture must also hold
//! non-violations, marked `# ok: <why>`. The test runs the rule alone and compares the reported lines with the
//! marked ones exactly, then snapshots the rendered text.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use seamline_diagnostics::{TextOptions, render_text};
use seamline_lint::rules::ALL;
use seamline_lint::{LintOptions, lint};

fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// (file relative to the fixture, 1-based line) of every `# expect: <rule>` marker, and the count of `# ok:`.
fn markers(dir: &Path, rule: &str) -> (BTreeSet<(String, u32)>, usize) {
    let mut expected = BTreeSet::new();
    let mut ok = 0;
    for path in files(dir) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let name = path
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        for (i, line) in text.lines().enumerate() {
            if let Some((_, rest)) = line.split_once("# expect:") {
                let names: Vec<&str> = rest.split(',').map(str::trim).collect();
                if names.contains(&rule) {
                    expected.insert((name.clone(), i as u32 + 1));
                }
            }
            if line.contains("# ok:") {
                ok += 1;
            }
        }
    }
    (expected, ok)
}

#[test]
fn every_rule_matches_its_fixture() {
    let mut failures = Vec::new();
    let mut rendered = Vec::new();
    for rule in ALL {
        let dir = fixture_dir(rule.name);
        if !dir.is_dir() {
            failures.push(format!(
                "{}: no fixture folder tests/fixtures/{}/",
                rule.name, rule.name
            ));
            continue;
        }
        let options = LintOptions {
            display_base: std::fs::canonicalize(&dir).unwrap(),
            root: Some(dir.clone()),
            select: vec![rule.name.to_owned()],
            ..LintOptions::default()
        };
        let outcome = lint(std::slice::from_ref(&dir), &options);
        assert!(
            outcome.input_errors.is_empty(),
            "{}: {:?}",
            rule.name,
            outcome.input_errors
        );
        let (expected, ok) = markers(&dir, rule.name);
        let actual: BTreeSet<(String, u32)> = outcome
            .diagnostics
            .iter()
            .filter(|d| d.rule == rule.name)
            .map(|d| {
                (
                    d.file().unwrap_or("").to_owned(),
                    d.primary.as_ref().map_or(0, |l| l.start().line),
                )
            })
            .collect();
        if expected.is_empty() {
            failures.push(format!("{}: the fixture marks no violation", rule.name));
        }
        if ok == 0 {
            failures.push(format!(
                "{}: the fixture marks no non-violation (`# ok: ...`)",
                rule.name
            ));
        }
        if expected != actual {
            let missed: Vec<_> = expected.difference(&actual).collect();
            let extra: Vec<_> = actual.difference(&expected).collect();
            failures.push(format!(
                "{}: not reported {missed:?}; reported but not expected {extra:?}",
                rule.name
            ));
        }
        rendered.push((
            rule.name,
            render_text(&outcome.diagnostics, TextOptions::default()),
        ));
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    for (name, text) in rendered {
        insta::with_settings!({snapshot_path => "snapshots/rules", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(name, text);
        });
    }
}

#[test]
fn codes_and_names_are_unique_and_well_formed() {
    let mut codes = BTreeSet::new();
    let mut names = BTreeSet::new();
    for rule in ALL {
        assert!(codes.insert(rule.code), "duplicate code {}", rule.code);
        assert!(names.insert(rule.name), "duplicate name {}", rule.name);
        assert!(
            rule.code.starts_with("SEAM-") && rule.code.len() == 9,
            "{}",
            rule.code
        );
        assert!(
            rule.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-'),
            "{}",
            rule.name
        );
        for heading in ["## What it does", "## Why is this bad?", "## Example"] {
            assert!(rule.docs.contains(heading), "{} lacks {heading}", rule.name);
        }
    }
}

#[test]
fn every_rule_file_is_registered() {
    let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
    for path in files(&rules_dir) {
        let stem = path
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .replace('_', "-");
        if path.parent() == Some(rules_dir.as_path()) {
            continue; // area modules, not rules
        }
        assert!(
            ALL.iter().any(|r| r.name == stem),
            "{} holds no registered rule named {stem}",
            path.display()
        );
    }
}

/// The committed `docs/rules/` must be what the rules say; regenerate with
/// `cargo run -p seamline-cli -- rules --write-docs docs/rules`.
#[test]
fn committed_rule_docs_are_current() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules");
    for (name, text) in seamline_lint::docs::pages() {
        let committed = std::fs::read_to_string(docs.join(&name)).unwrap_or_default();
        assert!(
            committed == text,
            "docs/rules/{name} is stale: run `cargo run -p seamline-cli -- rules --write-docs docs/rules`"
        );
    }
}
