use seamline_lint::lint_service_dir;

use crate::Status;
use crate::args::{CheckArgs, FailOn, Format, Global};
use crate::commands::lint::{finish, options};

/// `seam check`: what CI runs. This version lints the service; later versions add breaking changes against the
/// base branch and the freshness of locks and generated files.
///
/// CI defaults: GitHub Actions annotations when running under GitHub Actions, text elsewhere; no color unless
/// asked for; fail on errors.
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
    finish(global, format, FailOn::Error, outcome)
}
