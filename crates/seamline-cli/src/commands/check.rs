use std::process::Command;

use seamline_diagnostics::{Diagnostic, RuleInfo, Severity, render_sarif};
use seamline_lint::lint_service_dir;

use crate::Status;
use crate::args::{CheckArgs, DiffArgs, FailOn, FindingsOutput, Format, Global, Mode};
use crate::commands::lint::options;
use crate::output::{emit, emit_input_errors, status, write_stdout};

/// `seam check`: what CI runs. The lint of the service (which includes the lock against the vendored files),
/// the assistant files once the service has any, breaking changes of its provided contracts against the base revision, and with `--refresh` whether the
/// registry has newer contracts than the ones vendored.
///
/// CI defaults: GitHub Actions annotations under GitHub Actions, text elsewhere; fail on errors (breaking
/// changes are errors).
pub(crate) fn run(global: &Global, args: &CheckArgs) -> anyhow::Result<Status> {
    if !args.dir.join("seam.toml").is_file() {
        anyhow::bail!(
            "no seam.toml in `{}`; `seam check` runs in a service folder (create one with `seam init`)",
            args.dir.display()
        );
    }
    let format = if std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
        Format::Github
    } else {
        Format::Text
    };
    let outcome = lint_service_dir(&args.dir, &options(&args.common)?);
    if !outcome.input_errors.is_empty() {
        emit_input_errors(global, &outcome.input_errors);
        return Ok(Status::InputError);
    }
    let mut diagnostics = outcome.diagnostics;
    // Before the directory changes below: the registry's defaults are read from the service folder.
    let stale = if args.refresh {
        let plan =
            crate::commands::registry::plan_pull(&args.dir, &args.registry, args.env.as_deref())?;
        plan.changes
            .iter()
            .map(|change| {
                let breaks = change.upstream.as_ref().is_some_and(|u| u.breaks);
                let (code, id, help) = if breaks {
                    (
                        "SEAM-P002",
                        "upstream-change-breaks",
                        "adapt this service to the provider's change (or ask the provider for a migration: keep the \
                         old version beside the new one), then `seam pull`",
                    )
                } else {
                    (
                        "SEAM-P001",
                        "vendored-contract-stale",
                        "run `seam pull` and commit the result",
                    )
                };
                Diagnostic::new(
                    code,
                    id,
                    Severity::Error,
                    format!("`seam pull` would {change} (registry {})", plan.registry),
                )
                .with_path(args.dir.join("seam.lock").display().to_string())
                .with_help(help)
            })
            .collect()
    } else {
        Vec::new()
    };
    diagnostics.extend(stale);
    diagnostics.extend(crate::commands::context::stale_diagnostics(&args.dir)?);
    // The comparison reads git relative to the service folder.
    std::env::set_current_dir(&args.dir)?;
    match base(args.against.as_deref()) {
        Some(rev) => {
            let diff = DiffArgs {
                old: None,
                new: None,
                against: Some(rev),
                strict_open_content: false,
                mode: Mode::Forward,
                consumers: Vec::new(),
                contract: None,
                output: FindingsOutput {
                    format: None,
                    fail_on: None,
                },
            };
            let collected = crate::commands::diff::collect(&diff)?;
            diagnostics.extend(collected.diagnostics);
            // A contract that cannot be compared fails the check, beside the lint's own report of it.
            diagnostics.extend(collected.unjudged);
        }
        None => eprintln!(
            "seam check: no base revision found (no pull request base, no origin/main); breaking changes not checked — pass --against REV"
        ),
    }
    if global.format == Some(Format::Sarif) {
        // The log describes every rule that ran: the lint's and the diff's checks.
        let rules: Vec<RuleInfo> = seamline_lint::rules::ALL
            .iter()
            .map(|r| r.info())
            .chain(seamline_diff::checks::ALL.iter().map(|c| c.info()))
            .collect();
        write_stdout(
            global.color,
            &render_sarif(&diagnostics, &rules, env!("CARGO_PKG_VERSION")),
        )?;
        return Ok(status(global, FailOn::Error, &diagnostics));
    }
    emit(global, format, FailOn::Error, &diagnostics)
}

/// The revision to compare with: the one given, else the pull request's base branch, else origin/main.
fn base(given: Option<&str>) -> Option<String> {
    match given {
        Some("none") => return None,
        Some(rev) => return Some(rev.to_owned()),
        None => {}
    }
    let from_ci = ["GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|b| !b.is_empty())
        .map(|b| format!("origin/{b}"));
    let candidate = from_ci.unwrap_or_else(|| "origin/main".to_owned());
    let exists = Command::new("git")
        .args([
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{candidate}^{{commit}}"),
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    exists.then_some(candidate)
}
