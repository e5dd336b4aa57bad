//! One folder per case in `tests/cases/<name>/` holding `old.yaml` and `new.yaml`; the first line of
//! `new.yaml` is `# why: <the sentence that justifies the verdict>`. The classified changes are snapshotted.
//! Every case is also diffed against itself, which must yield nothing.

use std::path::{Path, PathBuf};

use seamline_diff::{DiffOptions, diff_documents};
use seamline_model::{Workspace, WorkspaceOptions};
use seamline_syntax::Limits;

fn workspace(dir: &Path) -> Workspace {
    Workspace::new(WorkspaceOptions {
        root: dir.to_path_buf(),
        display_base: dir.to_path_buf(),
        allow_remote_refs: false,
        limits: Limits::default(),
    })
}

fn run(old: &Path, new: &Path, options: &DiffOptions) -> String {
    let dir = old.parent().unwrap();
    let (mut old_ws, mut new_ws) = (workspace(dir), workspace(dir));
    let (o, n) = (old_ws.load_with_refs(old), new_ws.load_with_refs(new));
    let changes = match diff_documents(&old_ws, o, &new_ws, n, options) {
        Ok(changes) => changes,
        Err(cannot) => {
            return cannot
                .reasons()
                .map(|u| format!("cannot judge: {u}\n"))
                .collect();
        }
    };
    changes
        .iter()
        .map(|c| {
            let line = |l: &Option<seamline_diagnostics::Label>| {
                l.as_ref()
                    .map_or("-".to_owned(), |l| l.start().line.to_string())
            };
            format!(
                "{:<8} {:<30} {} | {} | {} (old line {}, new line {})\n",
                c.level.as_str(),
                c.check.id,
                c.subject,
                c.path,
                c.message,
                line(&c.old),
                line(&c.new)
            )
        })
        .collect()
}

fn cases() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_case_matches_its_snapshot() {
    let options = DiffOptions {
        today: Some("2026-11-26".to_owned()),
        ..DiffOptions::default()
    };
    let mut missing_why = Vec::new();
    let mut results = Vec::new();
    for dir in cases() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let new = dir.join("new.yaml");
        let text = std::fs::read_to_string(&new).unwrap();
        let why = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# why: "))
            .map(str::to_owned);
        match why {
            Some(why) => results.push((
                name,
                format!(
                    "why: {why}\n\n{}",
                    run(&dir.join("old.yaml"), &new, &options)
                ),
            )),
            None => missing_why.push(name),
        }
    }
    assert!(
        missing_why.is_empty(),
        "cases without a `# why:` first line: {missing_why:?}"
    );
    assert!(results.len() >= 20, "only {} cases", results.len());
    for (name, text) in results {
        insta::with_settings!({snapshot_path => "snapshots/cases", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(name, text);
        });
    }
}

/// A document diffed with itself has no changes, unless the case damages it on purpose
/// (`unreadable-old-*`, `unreadable-new-*`): then there is no answer, never "no change".
#[test]
fn a_document_diffed_with_itself_has_no_changes() {
    let options = DiffOptions::default();
    for dir in cases() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        for file in ["old.yaml", "new.yaml"] {
            let path = dir.join(file);
            let side = file.trim_end_matches(".yaml");
            let result = run(&path, &path, &options);
            if name.starts_with(&format!("unreadable-{side}-")) {
                assert!(
                    result.starts_with("cannot judge: "),
                    "{}: {result}",
                    path.display()
                );
            } else {
                assert_eq!(result, "", "{}", path.display());
            }
        }
    }
}

#[test]
fn the_open_content_policy_decides_optional_additions() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/response-property-added-open");
    let (old, new) = (dir.join("old.yaml"), dir.join("new.yaml"));
    let lenient = run(&old, &new, &DiffOptions::default());
    assert!(lenient.starts_with("info     property-added"), "{lenient}");
    let strict = run(
        &old,
        &new,
        &DiffOptions {
            strict_open_content: true,
            ..DiffOptions::default()
        },
    );
    assert!(strict.starts_with("breaking property-added"), "{strict}");
    assert!(strict.contains("strict open-content policy"));
}

#[test]
fn the_example_service_diffed_with_itself_has_no_changes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/checkout/order-service/contracts");
    for file in [
        "order-api.yaml",
        "order-events.asyncapi.yaml",
        "vendor/payment-service/payment-api.yaml",
    ] {
        let path = dir.join(file);
        assert_eq!(run(&path, &path, &DiffOptions::default()), "", "{file}");
    }
}

#[test]
fn every_check_is_documented() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/diff.md"))
            .unwrap();
    for check in seamline_diff::checks::ALL {
        assert!(
            doc.contains(&format!("| {} | `{}` |", check.code, check.id)),
            "docs/diff.md lacks {}",
            check.id
        );
    }
}

#[test]
fn compatibility_modes_judge_event_payloads_from_either_side() {
    use seamline_diff::Compatibility;
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/message-payload-property-removed");
    let (old, new) = (dir.join("old.yaml"), dir.join("new.yaml"));
    let judge = |mode| {
        run(
            &old,
            &new,
            &DiffOptions {
                mode,
                ..DiffOptions::default()
            },
        )
    };
    // Removing a required field: old consumers (forward) miss it; new consumers reading old events (backward)
    // simply ignore it.
    assert!(judge(Compatibility::Forward).starts_with("breaking property-removed"));
    assert!(judge(Compatibility::Backward).starts_with("info     property-removed"));
    assert!(judge(Compatibility::Full).starts_with("breaking property-removed"));
    assert_eq!(
        judge(Compatibility::Full).lines().count(),
        1,
        "full keeps one verdict per change"
    );
    // The reverse edit, adding a required field: new consumers cannot read old events that lack it.
    let forward = run(&new, &old, &DiffOptions::default());
    let backward = run(
        &new,
        &old,
        &DiffOptions {
            mode: Compatibility::Backward,
            ..DiffOptions::default()
        },
    );
    assert!(forward.starts_with("info     property-added"), "{forward}");
    assert!(
        backward.starts_with("breaking property-added"),
        "{backward}"
    );
}
