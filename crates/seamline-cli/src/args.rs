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
#[command(name = "seam", version, after_help = EXAMPLES)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub(crate) struct Global {
    /// When to color the text output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Set from the command's own `--format` (only the commands that print findings or reports have one).
    #[arg(skip)]
    pub format: Option<Format>,
    /// Set from the command's own `--fail-on` (only the commands that print findings have one).
    #[arg(skip)]
    pub fail_on: Option<FailOn>,
}

impl Global {
    /// The same color choice with a command's own output options.
    pub(crate) fn with(
        &self,
        format: Option<impl Into<Format>>,
        fail_on: Option<FailOn>,
    ) -> Global {
        Global {
            color: self.color,
            format: format.map(Into::into),
            fail_on,
        }
    }
}

/// `--format` and `--fail-on` of the commands that print findings (lint, check, diff).
#[derive(Debug, Args)]
pub(crate) struct FindingsOutput {
    /// Output format.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Exit 1 when a finding is at least this severe.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
}

impl FindingsOutput {
    pub(crate) fn global(&self, global: &Global) -> Global {
        global.with(self.format, self.fail_on)
    }
}

/// The output formats of a report (trace diagnosis, versions): no SARIF or annotations, which carry findings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// For a person at a terminal.
    #[default]
    Text,
    /// One JSON document.
    Json,
    /// For a pull-request comment or an assistant's context.
    Markdown,
}

/// The output formats of a listing or an answer (rules, context, can-i-deploy).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum DataFormat {
    /// For a person at a terminal.
    #[default]
    Text,
    /// One JSON document.
    Json,
}

impl From<ReportFormat> for Format {
    fn from(format: ReportFormat) -> Format {
        match format {
            ReportFormat::Text => Format::Text,
            ReportFormat::Json => Format::Json,
            ReportFormat::Markdown => Format::Markdown,
        }
    }
}

impl From<DataFormat> for Format {
    fn from(format: DataFormat) -> Format {
        match format {
            DataFormat::Text => Format::Text,
            DataFormat::Json => Format::Json,
        }
    }
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
    /// Work backward from failing requests in traces to the service and span that caused them.
    #[command(subcommand)]
    Trace(TraceCommand),
    /// Event-schema migrations across services: five phases, each gated on evidence the registry holds.
    #[command(subcommand)]
    Migrate(MigrateCommand),
    /// Write the assistant files (AGENTS.md, CLAUDE.md, Cursor and Copilot rules) from seam.toml and the contracts.
    #[command(after_help = "Examples:
  seam context                     write or refresh the files [context] targets names (all by default)
  seam context --check             exit 1 with a diff when a file is not what seam context would write
  seam context --mcp-config        also register `seam mcp` in .mcp.json, .cursor/mcp.json, .vscode/mcp.json

Only the block between the seam:begin and seam:end markers is written; text outside it is kept. A block edited
by hand is refused (see --force-keep). The guide is docs/context.md.")]
    Context(ContextArgs),
    /// Serve this service's integration context to AI assistants over MCP (stdio, or streamable HTTP).
    #[command(after_help = "Examples:
  seam mcp                                 over stdio, for an assistant that starts it (see seam context --mcp-config)
  seam mcp --http 127.0.0.1:3900           streamable HTTP at http://127.0.0.1:3900/mcp
  seam mcp --registry http://registry:8080 also every service published there

Tools: list_services, describe_service, get_contract, check_contract_change, diagnose_trace. Contracts are
resources at seam://contracts/{service}/{contract}. The guide is docs/context.md.")]
    Mcp(McpArgs),
    /// Run the contract registry: its HTTP API on SQLite (default) or PostgreSQL.
    #[command(after_help = "Examples:
  seam serve                                      SQLite file seam-registry.db here, on 127.0.0.1:8080
  seam serve --listen 0.0.0.0:8080 --database postgres://registry@db/registry

The API is described in docs/registry.md, its timeouts and limits too. Stop with Ctrl-C or SIGTERM: requests in
flight get up to 10 s to finish, then the connections still open are closed.")]
    Serve(ServeArgs),
    /// Send this service version (manifest, contracts, git commit, branch) to the registry.
    #[command(after_help = "Examples:
  seam publish                                    the git commit of this folder, to [registry] url
  seam publish --version 1.4.0 --registry http://registry:8080

The token comes from SEAM_TOKEN and needs the scope publish:<service> (or admin). Publishing the same content
again is a no-op; other content under a published version is refused.")]
    Publish(PublishArgs),
    /// Vendor every contract this service consumes into contracts/vendor/ and pin them in seam.lock.
    #[command(after_help = "Examples:
  seam pull                        each provider's latest version
  seam pull --env production       what runs in production
  seam pull --check                exit 1 when the vendored copies are not what the registry has")]
    Pull(PullArgs),
    /// Record that a service version now runs in an environment.
    #[command(after_help = "Examples:
  seam record-deployment --env production                 this folder's service at its git commit
  seam record-deployment --env staging --service order-service --version 4f2a1c0e9b7d")]
    RecordDeployment(RecordDeploymentArgs),
    /// The deploy gate: can this version go to an environment, given what runs there?
    #[command(after_help = "Examples:
  seam can-i-deploy --env production
  seam can-i-deploy --service order-service --version 4f2a1c0e9b7d --to-all-envs

Exit codes: 0 deployable, 1 not deployable (each failing pair is listed with its reason), 2 usage or input error.")]
    CanIDeploy(CanIDeployArgs),
    /// Create, list and revoke the registry's access tokens (run where the registry's database is reachable).
    #[command(subcommand)]
    Token(TokenCommand),
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
    /// The service folder, as for the other commands (the same as giving it as a path).
    #[arg(long, conflicts_with = "paths")]
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub common: LintCommon,
    #[command(flatten)]
    pub output: FindingsOutput,
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
    /// Also ask the registry whether `seam pull` would change the vendored contracts or seam.lock.
    #[arg(long)]
    pub refresh: bool,
    /// With --refresh: compare with the provider versions deployed in this environment.
    #[arg(long, value_name = "ENV", requires = "refresh")]
    pub env: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
    #[command(flatten)]
    pub common: LintCommon,
    #[command(flatten)]
    pub output: FindingsOutput,
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
    #[command(flatten)]
    pub output: FindingsOutput,
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
    /// Output format.
    #[arg(long, value_enum)]
    pub format: Option<DataFormat>,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TraceCommand {
    /// Diagnose every failing request in the traces: root cause, evidence, the failing path.
    #[command(after_help = "Examples:
  seam trace diagnose traces.jsonl                          OTLP/JSON lines from the collector's file exporter
  seam trace diagnose traces.jsonl --logs app.log.jsonl --manifests ../order-service,../inventory-service
  seam trace diagnose trace.json --format markdown --max-tokens 1500
                                                            for an assistant's context
  seam trace diagnose --jaeger http://jaeger:16686 --trace-id 4bf92f3577b34da6a3ce929d0e0e4736
  seam trace diagnose --tempo http://tempo:3200 --trace-id 4bf92f3577b34da6a3ce929d0e0e4736

Formats are detected from the content: OTLP/JSON (one document, or one per line), OTLP/protobuf, Jaeger JSON,
Zipkin v2 JSON; logs as OTLP/JSON or JSON Lines with trace_id and span_id.

Exit codes: 0 no failing request, 1 failing requests diagnosed, 2 usage or input error.")]
    Diagnose(DiagnoseArgs),
    /// Which consumer services consumed which version of each message, how often, and when last.
    #[command(after_help = "Examples:
  seam trace versions traces.jsonl
  seam trace versions traces.jsonl --version-attribute app.schema_version --format json")]
    Versions(VersionsArgs),
    /// Write synthetic OTLP traces of a checkout system with an injected fault (for demos, tests, benchmarks).
    #[command(after_help = "Examples:
  seam trace generate --fault missing-publish -o traces.jsonl --logs-out logs.jsonl
  seam trace generate --fault version-mismatch --style link --checkouts 400 -o traces.jsonl

Faults: missing-publish, wrong-routing-key, version-mismatch, payment-unavailable, payment-slow,
order-database-error, invalid-request, notification-fails.")]
    Generate(GenerateArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum MigrateCommand {
    /// Report to the registry which message versions each service published and consumed in the traces.
    #[command(after_help = "Examples:
  seam migrate evidence --env production traces.jsonl     counted per service, message, version and hour

The counters are what tells that nobody reads an old version any more. The token (SEAM_TOKEN) needs the scope
deploy:<environment> or admin.")]
    Evidence(EvidenceArgs),
    /// Start migrating one of this service's messages to a new major version (phase 1: both versions defined).
    #[command(after_help = "Examples:
  seam migrate start inventory-events inventory.stock_reserved --from 1 --to 2
  seam migrate start inventory-events inventory.stock_reserved --from 1 --to 2 --window 14d

The phases: 1 new version defined, 2 dual-publish, 3 consumers accept both, 4 nobody reads the old version (for
the whole window, from traces), 5 old version removed. can-i-deploy refuses a producer version without the old
version before phase 4. The token (SEAM_TOKEN) needs the scope publish:<service> or admin. The guide is
docs/migrations.md.

Exit codes: 0 started, 1 refused (the gate of phase 1 is shut, or a migration of the message is running), 2
usage or input error.")]
    Start(MigrateStartArgs),
    /// Where migrations stand: every phase's gate, and per environment each producer and consumer with its evidence.
    #[command(after_help = "Examples:
  seam migrate status                                  every migration, one line each
  seam migrate status inventory.stock_reserved         one migration in full (whichever service publishes it)
  seam migrate status inventory.stock_reserved --format json

Exit codes: 0 shown, 2 usage or input error (no such migration).")]
    Status(MigrateStatusArgs),
    /// Move a migration to its next phase, when that phase's gate holds on the registry's evidence now.
    #[command(after_help = "Examples:
  seam migrate advance inventory.stock_reserved

Exit codes: 0 advanced, 1 refused (the gate is shut: what keeps it shut is printed), 2 usage or input error.")]
    Advance(MigrateStepArgs),
    /// Abandon a migration: its gates stop applying.
    #[command(after_help = "Examples:
  seam migrate abort inventory.stock_reserved")]
    Abort(MigrateStepArgs),
}

#[derive(Debug, Args)]
pub(crate) struct MigrateStartArgs {
    /// The contract (a `[[provides.events]]` name) that defines the message.
    pub contract: String,
    /// The message, without a version.
    pub message: String,
    /// The major version consumers read now.
    #[arg(long)]
    pub from: u32,
    /// The major version to move them to.
    #[arg(long)]
    pub to: u32,
    /// How long nobody may have read the old version before it may go (e.g. 7d, 36h, 90s).
    #[arg(long, default_value = "7d")]
    pub window: String,
    #[command(flatten)]
    pub on: MigrationOf,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: Option<DataFormat>,
}

#[derive(Debug, Args)]
pub(crate) struct MigrateStatusArgs {
    /// The message; without it, every migration is listed.
    pub message: Option<String>,
    #[command(flatten)]
    pub on: MigrationOf,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: Option<DataFormat>,
}

#[derive(Debug, Args)]
pub(crate) struct MigrateStepArgs {
    /// The message being migrated.
    pub message: String,
    #[command(flatten)]
    pub on: MigrationOf,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: Option<DataFormat>,
}

/// Whose migration: the producer, and the registry.
#[derive(Debug, Args)]
pub(crate) struct MigrationOf {
    /// The producing service. Default: `[service] name` of seam.toml in --dir (for status: whichever service
    /// migrates the message).
    #[arg(long)]
    pub service: Option<String>,
    /// The service folder the defaults come from.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub(crate) struct EvidenceArgs {
    #[command(flatten)]
    pub input: TraceInput,
    /// The environment the traces come from.
    #[arg(long, value_name = "ENV")]
    pub env: String,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub(crate) struct TraceInput {
    /// Trace (and log) files; `-` reads standard input.
    pub files: Vec<PathBuf>,
    /// The format of the files, when detection guesses wrong.
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,
    /// Log files (OTLP/JSON logs or JSON Lines with trace_id/span_id), read before the traces.
    #[arg(long, value_name = "FILE")]
    pub logs: Vec<PathBuf>,
    /// The span attribute that holds a message's schema version.
    #[arg(long, default_value = "messaging.message.schema_version")]
    pub version_attribute: String,
    /// Fetch the trace from this Jaeger (query service base URL).
    #[arg(
        long,
        value_name = "URL",
        requires = "trace_id",
        conflicts_with = "tempo"
    )]
    pub jaeger: Option<String>,
    /// Fetch the trace from this Grafana Tempo (base URL).
    #[arg(long, value_name = "URL", requires = "trace_id")]
    pub tempo: Option<String>,
    /// The trace to fetch with --jaeger or --tempo.
    #[arg(long, value_name = "ID")]
    pub trace_id: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub(crate) struct DiagnoseArgs {
    #[command(flatten)]
    pub input: TraceInput,
    /// Services' folders (with seam.toml) or folders holding several; what they consume and publish, and after
    /// what, tells diagnosis which spans should exist. Repeat the flag or separate folders with commas (one
    /// value per flag, so trace files after it stay trace files).
    #[arg(long, value_name = "DIR", value_delimiter = ',')]
    pub manifests: Vec<PathBuf>,
    /// Also read the partners' seam.toml from the registry (their versions deployed in --env, else each
    /// service's latest), so one repository's diagnosis knows what the others should do. A folder given with
    /// --manifests wins over the registry's copy of the same service.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// The environment whose deployed versions' seam.toml are read from the registry (SEAM_REGISTRY or the
    /// first --manifests folder's `[registry] url` when --registry is not given).
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// Markdown only: fit the output into this many tokens (cl100k), dropping the least relevant detail first.
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<usize>,
    /// Show every diagnosed trace, not one example per cause.
    #[arg(long)]
    pub all: bool,
    /// How long after a trace's last span to wait for the traces its messages started (e.g. 500ms, 30s, 2m).
    #[arg(long, default_value = "30s", value_parser = parse_duration_ns)]
    pub window: u64,
}

#[derive(Debug, Args)]
pub(crate) struct VersionsArgs {
    #[command(flatten)]
    pub input: TraceInput,
}

#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// The fault to inject; none for healthy checkouts only.
    #[arg(long)]
    pub fault: Option<String>,
    /// How many checkouts.
    #[arg(long, default_value_t = 40)]
    pub checkouts: usize,
    /// Inject the fault into this many of every 40 checkouts.
    #[arg(long, default_value_t = 37)]
    pub faulty_per_40: usize,
    /// child: consumer spans under their producer; link: consumers in traces of their own, linked.
    #[arg(long, value_enum, default_value_t = TraceStyle::Child)]
    pub style: TraceStyle,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Vary the encoding as real exporters do (upper-case ids, enum names, numbers as strings, old field names).
    #[arg(long)]
    pub quirks: bool,
    /// Shift inventory-service's clock by this many milliseconds.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub skew_ms: i64,
    /// Extra healthy spans per service call.
    #[arg(long, default_value_t = 1)]
    pub noise: usize,
    /// Where to write the traces (OTLP/JSON lines).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Where to write the log lines (JSON Lines).
    #[arg(long, value_name = "FILE")]
    pub logs_out: Option<PathBuf>,
    /// Write a case of the labelled corpus instead, as this instrumentation writes it: seamline-runtime,
    /// java-agent, node-python-old or envoy-front (docs/trace.md). --fault then names a corpus fault.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// With --profile: the system, checkout (RabbitMQ) or rides (Kafka).
    #[arg(long, value_name = "SYSTEM", requires = "profile")]
    pub system: Option<String>,
    /// With --profile: how the input is partial: complete, partner-absent, partner-absent-when-failing or
    /// cut-mid-line.
    #[arg(long, value_name = "HOW", requires = "profile")]
    pub partial: Option<String>,
    /// With --profile: where to write what was injected into each request (JSON Lines: trace_id, fault,
    /// service, span), to score a diagnosis against.
    #[arg(long, value_name = "FILE", requires = "profile")]
    pub labels_out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum InputFormat {
    Auto,
    OtlpJson,
    OtlpProtobuf,
    Jaeger,
    Zipkin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TraceStyle {
    Child,
    Link,
}

/// `500ms`, `30s`, `2m`, or plain seconds.
fn parse_duration_ns(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 500ms, 30s or 2m"))?;
    let factor = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}`: use ms, s, m or h"
            ));
        }
    };
    Ok((value * factor) as u64)
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// `sqlite:PATH` (created when missing) or `postgres://…`.
    #[arg(long, default_value = "sqlite:seam-registry.db")]
    pub database: String,
    /// Reads need a token too (any valid one). Default: reads are public; writes always need a token.
    #[arg(long)]
    pub private_reads: bool,
    /// The log on stderr: one line per event as text, or one JSON object per line for a log collector.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

/// Where the registry is: a flag, the environment, or `[registry] url` in seam.toml, in that order.
#[derive(Debug, Args)]
pub(crate) struct RegistryArgs {
    /// The registry's base URL. Default: SEAM_REGISTRY, else `[registry] url` in seam.toml. The token is read
    /// from SEAM_TOKEN, never from a flag (flags show in process lists).
    #[arg(long, value_name = "URL")]
    pub registry: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct PublishArgs {
    /// The service folder. Default: this folder.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// The version to publish. Default: the git commit (12 hex digits), refused when the service folder has
    /// uncommitted changes.
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// The branch to record. Default: the current git branch.
    #[arg(long)]
    pub branch: Option<String>,
    /// Publish even when the lint finds errors.
    #[arg(long)]
    pub allow_lint_errors: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// The format of the lint findings that refuse a publish.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

#[derive(Debug, Args)]
pub(crate) struct PullArgs {
    /// The service folder. Default: this folder.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// Vendor the provider versions deployed in this environment. Default: each provider's latest version.
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// Write nothing; exit 1 when pulling would change a vendored file or seam.lock.
    #[arg(long)]
    pub check: bool,
    /// Overwrite vendored files that were edited by hand (their hash differs from seam.lock).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ContextArgs {
    /// The service folder. Default: this folder.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// Write nothing; exit 1 and show the difference when a file is out of date.
    #[arg(long)]
    pub check: bool,
    /// Where a block was edited by hand, leave the file as it is and write the new version beside it as
    /// FILE.new.
    #[arg(long, conflicts_with = "check")]
    pub force_keep: bool,
    /// Also register `seam mcp` as an MCP server in the configuration file of each targeted assistant.
    #[arg(long)]
    pub mcp_config: bool,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: Option<DataFormat>,
}

#[derive(Debug, Args)]
pub(crate) struct McpArgs {
    /// The service folder. Default: this folder.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// Serve streamable HTTP on this address (path /mcp) instead of stdio.
    #[arg(long, value_name = "ADDR")]
    pub http: Option<String>,
    /// With --http: a host name requests may use besides the loopback ones; repeatable.
    #[arg(long = "allow-host", value_name = "HOST", requires = "http")]
    pub allow_hosts: Vec<String>,
    /// Answer from local files only, even when a registry is configured.
    #[arg(long, conflicts_with = "registry")]
    pub offline: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub(crate) struct RecordDeploymentArgs {
    /// The environment deployed to.
    #[arg(long, value_name = "ENV")]
    pub env: String,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub(crate) struct CanIDeployArgs {
    /// The environment to check against.
    #[arg(long, value_name = "ENV", required_unless_present = "to_all_envs")]
    pub env: Option<String>,
    /// Check against every environment the registry knows.
    #[arg(long, conflicts_with = "env")]
    pub to_all_envs: bool,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: Option<DataFormat>,
}

/// Which service version: flags, else the seam.toml and git commit of the service folder.
#[derive(Debug, Args)]
pub(crate) struct TargetArgs {
    /// The service. Default: `[service] name` of seam.toml in --dir.
    #[arg(long)]
    pub service: Option<String>,
    /// The version. Default: the git commit of --dir (12 hex digits).
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// The service folder the defaults come from.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Create a token and print its secret (shown once, stored only as a hash).
    Create(TokenCreateArgs),
    /// List tokens: id, name, scopes, created, revoked. Never the secrets.
    List(TokenDatabase),
    /// Revoke a token by id.
    Revoke(TokenRevokeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct TokenDatabase {
    /// The registry's database, as for `seam serve`.
    #[arg(long, default_value = "sqlite:seam-registry.db")]
    pub database: String,
}

#[derive(Debug, Args)]
pub(crate) struct TokenCreateArgs {
    /// What the token is for, shown in listings (e.g. `order-service CI`).
    #[arg(long)]
    pub name: String,
    /// A scope: read, publish:<service>, deploy:<environment> or admin. Repeat for several.
    #[arg(long = "scope", required = true, value_name = "SCOPE")]
    pub scopes: Vec<String>,
    #[command(flatten)]
    pub database: TokenDatabase,
}

#[derive(Debug, Args)]
pub(crate) struct TokenRevokeArgs {
    /// The token's id, as listed.
    pub id: String,
    #[command(flatten)]
    pub database: TokenDatabase,
}

#[cfg(test)]
mod tests {
    /// clap checks the definitions (unique names, valid relations) only when a command is built; this builds all.
    #[test]
    fn the_command_line_is_well_formed() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
