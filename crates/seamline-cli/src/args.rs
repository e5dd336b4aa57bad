use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  seam lint                               lint the service in this folder (seam.toml and its contracts)
  seam lint api/openapi.yaml              lint one contract
  seam lint --format sarif > seam.sarif   SARIF 2.1.0 for GitHub code scanning
  seam check                              what CI runs: lint with CI defaults
  seam init                               write seam.toml from the contracts found here
  seam rules error-response-not-problem-json
                                          explain a rule
  seam completions bash > /etc/bash_completion.d/seam

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or input error.";

/// Contract-first toolkit for distributed systems: each service repository carries its integration context,
/// and CI checks it.
#[derive(Debug, Parser)]
#[command(name = "seam", version, after_help = EXAMPLES, propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub(crate) struct Global {
    /// Output format.
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,
    /// Exit 1 when a finding is at least this severe.
    #[arg(long, global = true, value_enum)]
    pub fail_on: Option<FailOn>,
    /// When to color the text output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// rustc-style: file:line:column, the source line and a caret.
    Text,
    /// One JSON document (schema in docs/json-output.md).
    Json,
    /// A table for pull-request comments.
    Markdown,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions workflow commands (annotations on the pull request).
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOn {
    /// Errors; for `seam diff`, breaking changes.
    #[value(alias = "breaking")]
    Error,
    Warning,
    Info,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check contracts and the manifest against the rules.
    #[command(after_help = "Examples:
  seam lint                        the service in this folder
  seam lint services/order         another service (a folder with seam.toml)
  seam lint openapi.yaml           one contract, without a manifest
  seam lint --select SEAM-E --ignore error-schema-inconsistent")]
    Lint(LintArgs),
    /// Everything CI needs in one call: lint of this service and breaking changes against the base branch.
    #[command(after_help = "Examples:
  seam check                       in CI, at the root of a service repository
  seam check --against origin/release-2.x
  seam check --format sarif        for code scanning")]
    Check(CheckArgs),
    /// Classified changes between two versions of a contract.
    #[command(after_help = "Examples:
  seam diff old.yaml new.yaml                 two files
  seam diff main:contracts/api.yaml contracts/api.yaml
                                              a git revision against the working tree
  seam diff --against origin/main             every contract of this service against a revision
  seam diff old/ new/                         two folders, files paired by relative path
  seam diff main:api.yaml api.yaml --consumer ../order-service/seam.toml --contract payment-service/payment-api
                                              breaks / safe for that consumer, judged on what it uses

Exit codes: 0 nothing at or above --fail-on (default: breaking), 1 otherwise, 2 usage or input error.")]
    Diff(DiffArgs),
    /// Write seam.toml from the contracts found in this folder.
    #[command(after_help = "Examples:
  seam init                        write ./seam.toml
  seam init --dir services/order --force")]
    Init(InitArgs),
    /// List the rules, or explain one.
    #[command(after_help = "Examples:
  seam rules                       every rule with its code and summary
  seam rules SEAM-E001             the documentation of one rule
  seam rules --write-docs docs/rules")]
    Rules(RulesArgs),
    /// Print a shell completion script.
    #[command(after_help = "Examples:
  seam completions bash > ~/.local/share/bash-completion/completions/seam
  seam completions zsh > ~/.zfunc/_seam
  seam completions fish > ~/.config/fish/completions/seam.fish")]
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub(crate) struct LintArgs {
    /// Services (folders with seam.toml), folders of contracts, or contract files. Default: this folder.
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub common: LintCommon,
}

#[derive(Debug, Args)]
pub(crate) struct LintCommon {
    /// Only these rules (names, codes, or code prefixes such as SEAM-E); repeatable.
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Skip these rules; repeatable.
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Accept `$ref`s to http(s) URLs instead of refusing them (they are not fetched).
    #[arg(long)]
    pub allow_remote_refs: bool,
    /// References may not leave this folder. Default: the nearest folder with `.git`.
    #[arg(long)]
    pub root: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The service folder. Default: this folder.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// Also report breaking changes against this git revision. Default: the pull request's base branch
    /// (GITHUB_BASE_REF, CI_MERGE_REQUEST_TARGET_BRANCH_NAME) on origin, else origin/main when it exists;
    /// `none` skips the comparison.
    #[arg(long, value_name = "REV")]
    pub against: Option<String>,
    #[command(flatten)]
    pub common: LintCommon,
}

#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The old version: a file, a folder, or REV:path (read with git, never checked out).
    pub old: Option<String>,
    /// The new version: a file, a folder, or REV:path.
    pub new: Option<String>,
    /// Compare every contract this service provides (seam.toml) with the same file at this git revision.
    #[arg(long, value_name = "REV", conflicts_with_all = ["old", "new"])]
    pub against: Option<String>,
    /// Treat adding an optional property to an open object as breaking, as schema registries do.
    #[arg(long)]
    pub strict_open_content: bool,
    /// How event payloads are judged: forward (old consumers read new events; the default), backward (new
    /// consumers read old events), full (both); the -transitive forms take OLD as a folder of earlier versions
    /// and check NEW against every one of them.
    #[arg(long, value_enum, default_value_t = Mode::Forward)]
    pub mode: Mode,
    /// A consumer's seam.toml; repeatable. Each gets a verdict (breaks / safe) from the changes to what it uses,
    /// and the exit code follows the verdicts.
    #[arg(long = "consumer", value_name = "SEAM_TOML")]
    pub consumers: Vec<PathBuf>,
    /// Which contract is being compared, as consumers name it: SERVICE/CONTRACT. Default: found in ./seam.toml.
    #[arg(long, value_name = "SERVICE/CONTRACT")]
    pub contract: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Mode {
    Forward,
    Backward,
    Full,
    ForwardTransitive,
    BackwardTransitive,
    FullTransitive,
}

impl Mode {
    pub(crate) fn compatibility(self) -> seamline_diff::Compatibility {
        match self {
            Mode::Forward | Mode::ForwardTransitive => seamline_diff::Compatibility::Forward,
            Mode::Backward | Mode::BackwardTransitive => seamline_diff::Compatibility::Backward,
            Mode::Full | Mode::FullTransitive => seamline_diff::Compatibility::Full,
        }
    }

    pub(crate) fn transitive(self) -> bool {
        matches!(
            self,
            Mode::ForwardTransitive | Mode::BackwardTransitive | Mode::FullTransitive
        )
    }
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// The service folder. Default: this folder.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// Replace an existing seam.toml.
    #[arg(long)]
    pub force: bool,
    /// The service name. Default: the folder's name.
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct RulesArgs {
    /// A rule name or code to explain.
    pub rule: Option<String>,
    /// Write one Markdown page per rule, and an index, into this folder.
    #[arg(long, value_name = "DIR")]
    pub write_docs: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    pub shell: clap_complete::Shell,
}
