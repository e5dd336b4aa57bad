use std::path::PathBuf;

use seamline_lint::{LintOptions, LintOutcome};

use crate::Status;
use crate::args::{FailOn, Format, Global, LintArgs, LintCommon};
use crate::output::{emit, emit_input_errors};

pub(crate) fn run(global: &Global, args: &LintArgs) -> anyhow::Result<Status> {
    let paths = match &args.dir {
        // As for every other command, --dir names a service folder.
        Some(dir) if !dir.join("seam.toml").is_file() => anyhow::bail!(
            "no seam.toml in `{}`; --dir names a service folder (create one with `seam init`), or give contract \
             files and folders as paths: `seam lint {}`",
            dir.display(),
            dir.display()
        ),
        Some(dir) => vec![dir.clone()],
        None if args.paths.is_empty() => vec![PathBuf::from(".")],
        None => args.paths.clone(),
    };
    let outcome = seamline_lint::lint(&paths, &options(&args.common)?);
    finish(global, Format::Text, FailOn::Error, outcome)
}

pub(crate) fn options(common: &LintCommon) -> anyhow::Result<LintOptions> {
    for name in common.select.iter().chain(&common.ignore) {
        let known = seamline_lint::rules::ALL.iter().any(|r| {
            r.name == name
                || r.code == name
                || (name.starts_with("SEAM-") && r.code.starts_with(name.as_str()))
        });
        if !known {
            anyhow::bail!("unknown rule `{name}` (see `seam rules`)");
        }
    }
    Ok(LintOptions {
        allow_remote_refs: common.allow_remote_refs,
        root: common.root.clone(),
        display_base: std::env::current_dir()?,
        select: common.select.clone(),
        ignore: common.ignore.clone(),
    })
}

pub(crate) fn finish(
    global: &Global,
    format: Format,
    fail_on: FailOn,
    outcome: LintOutcome,
) -> anyhow::Result<Status> {
    if !outcome.input_errors.is_empty() {
        emit_input_errors(global, &outcome.input_errors);
        return Ok(Status::InputError);
    }
    emit(global, format, fail_on, &outcome.diagnostics)
}
