//! `seam.toml`: the service, the contracts it provides, and what it consumes and publishes.
//!
//! Decoded by hand from the spanned tree so every problem points at its key, unknown keys are errors with a
//! suggestion, and nothing is silently ignored.

use std::path::{Path, PathBuf};

use seamline_syntax::{Format, Limits, Node, SourceFile, Span, join_pointer, parse};

use crate::message::split_version;

/// A value and the JSON Pointer of where it was written in the manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub pointer: String,
}

#[derive(Debug, Clone)]
pub struct Manifest {
    pub path: PathBuf,
    pub source: SourceFile,
    pub root: Node,
    pub name: Spanned<String>,
    pub owner: Option<Spanned<String>>,
    pub provides_http: Vec<ProvidedContract>,
    pub provides_events: Vec<ProvidedContract>,
    pub consumes_http: Vec<ConsumedHttp>,
    pub consumes_events: Vec<ConsumedEvents>,
    pub publishes: Vec<Published>,
    pub lint: LintConfig,
    pub diff: DiffConfig,
    /// `[registry] url`: where `seam publish`, `seam pull` and the deploy gate go by default.
    pub registry_url: Option<Spanned<String>>,
    /// `[context]`: which assistant files `seam context` writes, and how.
    pub context: ContextConfig,
}

/// A contract this service consumes, HTTP or events: whose, which, and where its vendored copy is when the
/// manifest says.
#[derive(Debug, Clone, Copy)]
pub struct ConsumedContract<'a> {
    pub service: &'a Spanned<String>,
    pub contract: &'a Spanned<String>,
    pub spec: Option<&'a Spanned<String>>,
}

impl Manifest {
    /// Whether the service takes part in a migration of `producer`'s `message` (defined in `contract`): it is the
    /// producer, or it consumes the message.
    pub fn takes_part_in(&self, producer: &str, contract: &str, message: &str) -> bool {
        self.name.value == producer || self.accepts_versions(producer, contract, message).is_some()
    }

    /// The versions of `message` its `[[publishes]]` name (`None`: named without a version).
    pub fn publishes_versions(&self, message: &str) -> Vec<Option<u32>> {
        versions_of(self.publishes.iter().map(|p| &p.message.value), message)
    }

    /// The versions of `message` it accepts from `provider`'s `contract` (`None`: any version); `None` when it does
    /// not consume the message. A `[[consumes.events]]` that lists no message takes every one.
    pub fn accepts_versions(
        &self,
        provider: &str,
        contract: &str,
        message: &str,
    ) -> Option<Vec<Option<u32>>> {
        let mut listed = Vec::new();
        let mut consumes = false;
        for c in self
            .consumes_events
            .iter()
            .filter(|c| c.service.value == provider && c.contract.value == contract)
        {
            if c.messages.is_empty() {
                consumes = true;
                listed.push(None);
            }
            let found = versions_of(c.messages.iter().map(|m| &m.value), message);
            consumes |= !found.is_empty();
            listed.extend(found);
        }
        consumes.then_some(listed)
    }

    /// Every provided contract, the HTTP ones first, in manifest order.
    pub fn provided_contracts(&self) -> impl Iterator<Item = &ProvidedContract> {
        self.provides_http.iter().chain(&self.provides_events)
    }

    /// The provided contract named `name`.
    pub fn provided(&self, name: &str) -> Option<&ProvidedContract> {
        self.provided_contracts().find(|p| p.name.value == name)
    }

    /// Every consumed contract, the HTTP ones first, in manifest order.
    pub fn consumed_contracts(&self) -> impl Iterator<Item = ConsumedContract<'_>> {
        let http = self.consumes_http.iter().map(|c| ConsumedContract {
            service: &c.service,
            contract: &c.contract,
            spec: c.spec.as_ref(),
        });
        let events = self.consumes_events.iter().map(|c| ConsumedContract {
            service: &c.service,
            contract: &c.contract,
            spec: c.spec.as_ref(),
        });
        http.chain(events)
    }
}

#[derive(Debug, Clone)]
pub struct ProvidedContract {
    pub pointer: String,
    pub name: Spanned<String>,
    pub spec: Spanned<String>,
    pub broker: Option<Spanned<String>>,
}

#[derive(Debug, Clone)]
pub struct ConsumedHttp {
    pub pointer: String,
    pub service: Spanned<String>,
    pub contract: Spanned<String>,
    /// Where the vendored copy lives, when not at the default place.
    pub spec: Option<Spanned<String>>,
    pub operations: Vec<Spanned<String>>,
    pub timeout_ms: Option<Spanned<u64>>,
    pub retry: Option<Retry>,
}

#[derive(Debug, Clone)]
pub struct Retry {
    pub pointer: String,
    pub attempts: Option<Spanned<u64>>,
    pub backoff: Option<Spanned<String>>,
}

#[derive(Debug, Clone)]
pub struct ConsumedEvents {
    pub pointer: String,
    pub service: Spanned<String>,
    pub contract: Spanned<String>,
    pub spec: Option<Spanned<String>>,
    pub messages: Vec<Spanned<MessageRef>>,
    pub dead_letter: Option<Spanned<String>>,
    /// Deliveries before the dead-letter queue, and the backoff between them.
    pub retry: Option<Retry>,
}

/// `inventory.stock_reserved@2`: a message name and, optionally, its major version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageRef {
    pub name: String,
    pub version: Option<u32>,
}

impl MessageRef {
    pub fn parse(text: &str) -> MessageRef {
        let (name, version) = match text.rsplit_once('@') {
            Some((name, v)) => match v.parse() {
                Ok(v) => (name, Some(v)),
                Err(_) => (text, None),
            },
            None => split_version(text),
        };
        MessageRef {
            name: name.to_owned(),
            version,
        }
    }
}

impl std::fmt::Display for MessageRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.version {
            Some(v) => write!(f, "{}@{v}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Published {
    pub pointer: String,
    pub message: Spanned<MessageRef>,
    pub after: Option<Spanned<MessageRef>>,
}

/// `[lint]`: which rules run and how severe they are.
#[derive(Debug, Clone, Default)]
pub struct LintConfig {
    pub select: Vec<Spanned<String>>,
    pub ignore: Vec<Spanned<String>>,
    /// Rule (name or code) and its severity (`error`, `warning`, `info` or `off`).
    pub severity: Vec<(Spanned<String>, Spanned<String>)>,
}

/// `[diff]`: how breaking-change detection judges this service's contracts.
#[derive(Debug, Clone, Default)]
pub struct DiffConfig {
    /// Adding an optional property to an open object is breaking (the schema registries' rule).
    pub strict_open_content: bool,
    /// Check id and the level it gets (`breaking`, `warning`, `info` or `off`).
    pub levels: Vec<(Spanned<String>, Spanned<String>)>,
    pub ignore: Vec<DiffIgnore>,
    pub accept: Vec<DiffAccept>,
}

/// A known change not to report: a check, optionally where, why, and until when.
#[derive(Debug, Clone)]
pub struct DiffIgnore {
    pub pointer: String,
    pub check: Spanned<String>,
    /// Only changes whose subject starts with this (`GET /orders`, `inventory.stock_reserved@1`).
    pub subject: Option<Spanned<String>>,
    pub reason: Spanned<String>,
    /// `YYYY-MM-DD`; from the day after, the entry no longer applies.
    pub until: Option<Spanned<String>>,
}

/// Breaking changes accepted while comparing against one base revision: what a "breaking change approved" label
/// on a pull request says, kept in the repository with its reason.
#[derive(Debug, Clone)]
pub struct DiffAccept {
    pub pointer: String,
    /// The base revision (a commit id or a prefix of one) the acceptance is for.
    pub base: Spanned<String>,
    pub reason: Spanned<String>,
}

/// A problem in the manifest, located by span.
/// `[context]` in `seam.toml`. Absent keys keep the defaults: every target, CLAUDE.md as an import of
/// AGENTS.md, a 1,500-token budget for what assistants load on every request, linked files under
/// `docs/integration`.
#[derive(Debug, Clone, Default)]
pub struct ContextConfig {
    /// `targets`: any of `agents`, `claude`, `cursor`, `copilot`; `None` means all of them.
    pub targets: Option<Vec<Spanned<String>>>,
    /// `claude`: `import` (CLAUDE.md imports AGENTS.md) or `block` (CLAUDE.md carries the same block).
    pub claude: Option<Spanned<String>>,
    /// `budget_tokens`: the most tokens the always-loaded part may take.
    pub budget_tokens: Option<Spanned<u64>>,
    /// `dir`: where the linked, load-on-demand files go, relative to the service root.
    pub dir: Option<Spanned<String>>,
}

/// The assistant files `[context] targets` may name.
pub const CONTEXT_TARGETS: &[&str] = &["agents", "claude", "cursor", "copilot"];

#[derive(Debug, Clone)]
pub struct ManifestProblem {
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
}

/// The manifest as read: the decoded manifest when there were no problems, and the problems.
#[derive(Debug)]
pub struct ManifestRead {
    pub source: SourceFile,
    pub manifest: Option<Manifest>,
    pub problems: Vec<ManifestProblem>,
}

/// Reads and checks `seam.toml`. `Err` only when the file cannot be read.
pub fn read_manifest(path: &Path, shown_as: &str) -> std::io::Result<ManifestRead> {
    let bytes = std::fs::read(path)?;
    Ok(parse_manifest(path, shown_as, &bytes))
}

/// Checks `seam.toml` text that is not on disk (a published version in the registry); `path` says where it
/// would be.
pub fn parse_manifest(path: &Path, shown_as: &str, bytes: &[u8]) -> ManifestRead {
    let parsed = parse(shown_as, bytes, Format::Toml, &Limits::default());
    let mut problems: Vec<ManifestProblem> = parsed
        .problems
        .iter()
        .map(|p| ManifestProblem {
            span: p.span,
            message: p.message.clone(),
            help: None,
        })
        .collect();
    let manifest = parsed.root.as_ref().and_then(|root| {
        let mut cx = Cx {
            root,
            problems: &mut problems,
        };
        let decoded = cx.manifest(path, &parsed.source);
        decoded.filter(|_| problems.is_empty())
    });
    ManifestRead {
        source: parsed.source,
        manifest,
        problems,
    }
}

const TOP: &[&str] = &[
    "service",
    "provides",
    "consumes",
    "publishes",
    "lint",
    "diff",
    "registry",
    "context",
];
const REGISTRY: &[&str] = &["url"];
const CONTEXT: &[&str] = &["targets", "claude", "budget_tokens", "dir"];
const DIFF: &[&str] = &["open_content", "levels", "ignore", "accept"];
const DIFF_IGNORE: &[&str] = &["check", "subject", "reason", "until"];
const DIFF_ACCEPT: &[&str] = &["base", "reason"];
const SERVICE: &[&str] = &["name", "owner", "description"];
const PROVIDES: &[&str] = &["http", "events"];
const PROVIDED: &[&str] = &["name", "spec", "broker"];
const CONSUMES: &[&str] = &["http", "events"];
const CONSUMED_HTTP: &[&str] = &[
    "service",
    "contract",
    "spec",
    "operations",
    "timeout_ms",
    "retry",
];
const RETRY: &[&str] = &["attempts", "backoff"];
const CONSUMED_EVENTS: &[&str] = &[
    "service",
    "contract",
    "spec",
    "messages",
    "dead_letter",
    "retry",
];
const PUBLISHES: &[&str] = &["message", "after"];
const LINT: &[&str] = &["select", "ignore", "severity"];

struct Cx<'a, 'p> {
    root: &'a Node,
    problems: &'p mut Vec<ManifestProblem>,
}

impl<'a> Cx<'a, '_> {
    fn report(&mut self, span: Span, message: impl Into<String>, help: Option<String>) {
        self.problems.push(ManifestProblem {
            span,
            message: message.into(),
            help,
        });
    }

    fn at(&self, pointer: &str) -> Option<&'a Node> {
        self.root.pointer(pointer)
    }

    /// The table at `pointer`, with unknown keys reported.
    fn table(&mut self, pointer: &str, allowed: &[&str]) -> Option<&'a Node> {
        let node = self.at(pointer)?;
        if node.as_object().is_none() {
            self.report(
                node.span,
                format!("`{}` must be a table", last(pointer)),
                None,
            );
            return None;
        }
        for m in node.entries() {
            if !allowed.contains(&&*m.key) {
                let help = suggest(&m.key, allowed)
                    .map(|s| format!("did you mean `{s}`?"))
                    .or_else(|| Some(format!("known keys here: {}", allowed.join(", "))));
                self.report(m.key_span, format!("unknown key `{}`", m.key), help);
            }
        }
        Some(node)
    }

    fn string(&mut self, table: &str, key: &str, required: bool) -> Option<Spanned<String>> {
        let pointer = join_pointer(table, key);
        match self.at(&pointer) {
            Some(node) => match node.as_str() {
                Some(s) if !s.trim().is_empty() => Some(Spanned {
                    value: s.to_owned(),
                    pointer,
                }),
                _ => {
                    self.report(
                        node.span,
                        format!("`{key}` must be a non-empty string"),
                        None,
                    );
                    None
                }
            },
            None => {
                if required {
                    let span = self.at(table).map_or(Span::default(), |t| t.span);
                    self.report(
                        self.key_span(table).unwrap_or(span),
                        format!("missing `{key}` in `{}`", describe(table)),
                        Some(format!("add `{key} = \"...\"`")),
                    );
                }
                None
            }
        }
    }

    fn key_span(&self, pointer: &str) -> Option<Span> {
        self.root.locate(pointer).and_then(|(_, k)| k)
    }

    fn number(&mut self, table: &str, key: &str) -> Option<Spanned<u64>> {
        let pointer = join_pointer(table, key);
        let node = self.at(&pointer)?;
        match node.as_i64().and_then(|i| u64::try_from(i).ok()) {
            Some(value) => Some(Spanned { value, pointer }),
            None => {
                self.report(
                    node.span,
                    format!("`{key}` must be a whole number of zero or more"),
                    None,
                );
                None
            }
        }
    }

    fn strings(&mut self, table: &str, key: &str) -> Vec<Spanned<String>> {
        let pointer = join_pointer(table, key);
        let Some(node) = self.at(&pointer) else {
            return Vec::new();
        };
        let Some(items) = node.as_array() else {
            self.report(
                node.span,
                format!("`{key}` must be an array of strings"),
                None,
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.as_str() {
                Some(s) => out.push(Spanned {
                    value: s.to_owned(),
                    pointer: format!("{pointer}/{i}"),
                }),
                None => self.report(item.span, format!("`{key}` must hold strings only"), None),
            }
        }
        out
    }

    /// Pointers of the tables of an array of tables (`[[consumes.http]]`).
    fn tables(&mut self, pointer: &str) -> Vec<String> {
        let Some(node) = self.at(pointer) else {
            return Vec::new();
        };
        match node.as_array() {
            Some(items) => (0..items.len()).map(|i| format!("{pointer}/{i}")).collect(),
            None => {
                self.report(
                    node.span,
                    format!("`{}` must be an array of tables", describe(pointer)),
                    Some(format!("write each entry as `[[{}]]`", describe(pointer))),
                );
                Vec::new()
            }
        }
    }

    fn manifest(&mut self, path: &Path, source: &SourceFile) -> Option<Manifest> {
        self.table("", TOP);
        if self.at("/service").is_none() {
            self.report(
                Span::new(0, 0),
                "missing the `[service]` table",
                Some("add `[service]` with `name = \"...\"`".to_owned()),
            );
            return None;
        }
        self.table("/service", SERVICE);
        let name = self.string("/service", "name", true);
        let owner = self.string("/service", "owner", false);
        if self.at("/provides").is_some() {
            self.table("/provides", PROVIDES);
        }
        if self.at("/consumes").is_some() {
            self.table("/consumes", CONSUMES);
        }
        let provides_http = self.provided("/provides/http");
        let provides_events = self.provided("/provides/events");
        let consumes_http = self
            .tables("/consumes/http")
            .into_iter()
            .filter_map(|p| self.consumed_http(&p))
            .collect();
        let consumes_events = self
            .tables("/consumes/events")
            .into_iter()
            .filter_map(|p| self.consumed_events(&p))
            .collect();
        let publishes = self
            .tables("/publishes")
            .into_iter()
            .filter_map(|p| self.published(&p))
            .collect();
        let lint = self.lint();
        let diff = self.diff();
        let registry_url = self
            .table("/registry", REGISTRY)
            .and_then(|_| self.string("/registry", "url", true));
        let context = self.context();
        Some(Manifest {
            path: path.to_owned(),
            source: source.clone(),
            root: self.root.clone(),
            name: name?,
            owner,
            provides_http,
            provides_events,
            consumes_http,
            consumes_events,
            publishes,
            lint,
            diff,
            registry_url,
            context,
        })
    }

    fn context(&mut self) -> ContextConfig {
        if self.table("/context", CONTEXT).is_none() {
            return ContextConfig::default();
        }
        let targets = self
            .at("/context/targets")
            .is_some()
            .then(|| self.strings("/context", "targets"));
        for target in targets.iter().flatten() {
            if !CONTEXT_TARGETS.contains(&target.value.as_str()) {
                let span = self.at(&target.pointer).map_or(Span::default(), |n| n.span);
                let help = suggest(&target.value, CONTEXT_TARGETS)
                    .map(|s| format!("did you mean `{s}`?"))
                    .or_else(|| Some(format!("known targets: {}", CONTEXT_TARGETS.join(", "))));
                self.report(
                    span,
                    format!("unknown context target `{}`", target.value),
                    help,
                );
            }
        }
        let claude = self.string("/context", "claude", false);
        if let Some(c) = &claude
            && !matches!(c.value.as_str(), "import" | "block")
        {
            let span = self.at(&c.pointer).map_or(Span::default(), |n| n.span);
            self.report(
                span,
                format!("`claude` must be `import` or `block`, not `{}`", c.value),
                Some(
                    "`import` writes `@AGENTS.md` into CLAUDE.md; `block` copies the block".into(),
                ),
            );
        }
        let budget_tokens = self.number("/context", "budget_tokens");
        let dir = self.string("/context", "dir", false);
        if let Some(d) = &dir
            && (d.value.starts_with('/') || d.value.split(['/', '\\']).any(|part| part == ".."))
        {
            let span = self.at(&d.pointer).map_or(Span::default(), |n| n.span);
            self.report(
                span,
                "`dir` must be a folder inside the service, without `..`",
                None,
            );
        }
        ContextConfig {
            targets,
            claude,
            budget_tokens,
            dir,
        }
    }

    fn provided(&mut self, pointer: &str) -> Vec<ProvidedContract> {
        let mut out = Vec::new();
        for p in self.tables(pointer) {
            if self.table(&p, PROVIDED).is_none() {
                continue;
            }
            let (name, spec) = (self.string(&p, "name", true), self.string(&p, "spec", true));
            let broker = self.string(&p, "broker", false);
            if let (Some(name), Some(spec)) = (name, spec) {
                out.push(ProvidedContract {
                    pointer: p,
                    name,
                    spec,
                    broker,
                });
            }
        }
        out
    }

    fn consumed_http(&mut self, p: &str) -> Option<ConsumedHttp> {
        self.table(p, CONSUMED_HTTP)?;
        let service = self.string(p, "service", true);
        let contract = self.string(p, "contract", true);
        let spec = self.string(p, "spec", false);
        let operations = self.strings(p, "operations");
        let timeout_ms = self.number(p, "timeout_ms");
        let retry = self.retry(p);
        Some(ConsumedHttp {
            pointer: p.to_owned(),
            service: service?,
            contract: contract?,
            spec,
            operations,
            timeout_ms,
            retry,
        })
    }

    /// `retry = { attempts, backoff }` in a consumed contract's table.
    fn retry(&mut self, p: &str) -> Option<Retry> {
        let pointer = join_pointer(p, "retry");
        self.table(&pointer, RETRY)?;
        let attempts = self.number(&pointer, "attempts");
        let backoff = self.string(&pointer, "backoff", false);
        if let Some(b) = &backoff {
            const BACKOFFS: &[&str] = &["exponential", "constant", "none"];
            if !BACKOFFS.contains(&b.value.as_str()) {
                let span = self.at(&b.pointer).map_or(Span::default(), |n| n.span);
                self.report(
                    span,
                    format!("unknown backoff `{}`", b.value),
                    Some(format!("use one of: {}", BACKOFFS.join(", "))),
                );
            }
        }
        Some(Retry {
            pointer,
            attempts,
            backoff,
        })
    }

    fn consumed_events(&mut self, p: &str) -> Option<ConsumedEvents> {
        self.table(p, CONSUMED_EVENTS)?;
        let service = self.string(p, "service", true);
        let contract = self.string(p, "contract", true);
        let spec = self.string(p, "spec", false);
        let messages = self
            .strings(p, "messages")
            .into_iter()
            .map(|s| Spanned {
                value: MessageRef::parse(&s.value),
                pointer: s.pointer,
            })
            .collect();
        let dead_letter = self.string(p, "dead_letter", false);
        let retry = self.retry(p);
        Some(ConsumedEvents {
            pointer: p.to_owned(),
            service: service?,
            contract: contract?,
            spec,
            messages,
            dead_letter,
            retry,
        })
    }

    fn published(&mut self, p: &str) -> Option<Published> {
        self.table(p, PUBLISHES)?;
        let to_ref = |s: Spanned<String>| Spanned {
            value: MessageRef::parse(&s.value),
            pointer: s.pointer,
        };
        let message = self.string(p, "message", true).map(to_ref);
        let after = self.string(p, "after", false).map(to_ref);
        Some(Published {
            pointer: p.to_owned(),
            message: message?,
            after,
        })
    }

    fn lint(&mut self) -> LintConfig {
        if self.table("/lint", LINT).is_none() {
            return LintConfig::default();
        }
        let select = self.strings("/lint", "select");
        let ignore = self.strings("/lint", "ignore");
        let severity = self.levels("/lint/severity", &["error", "warning", "info", "off"]);
        LintConfig {
            select,
            ignore,
            severity,
        }
    }
}

impl Cx<'_, '_> {
    /// A table of rule or check names to levels (`[lint] severity`, `[diff] levels`), each level one of
    /// `allowed`; other values are reported.
    fn levels(
        &mut self,
        pointer: &str,
        allowed: &[&str],
    ) -> Vec<(Spanned<String>, Spanned<String>)> {
        let mut out = Vec::new();
        let Some(table) = self.at(pointer) else {
            return out;
        };
        for m in table.entries() {
            let at = join_pointer(pointer, &m.key);
            match m.value.as_str().filter(|v| allowed.contains(v)) {
                Some(level) => out.push((
                    Spanned {
                        value: m.key.to_string(),
                        pointer: at.clone(),
                    },
                    Spanned {
                        value: level.to_owned(),
                        pointer: at,
                    },
                )),
                None => self.report(
                    m.value.span,
                    format!("unknown level for `{}`", m.key),
                    Some(format!("use one of: {}", allowed.join(", "))),
                ),
            }
        }
        out
    }

    fn diff(&mut self) -> DiffConfig {
        if self.table("/diff", DIFF).is_none() {
            return DiffConfig::default();
        }
        let mut config = DiffConfig::default();
        if let Some(policy) = self.string("/diff", "open_content", false) {
            match policy.value.as_str() {
                "strict" => config.strict_open_content = true,
                "lenient" => {}
                other => {
                    let span = self.at(&policy.pointer).map_or(Span::default(), |n| n.span);
                    self.report(
                        span,
                        format!("unknown open_content policy `{other}`"),
                        Some("use `lenient` or `strict`".to_owned()),
                    );
                }
            }
        }
        config.levels = self.levels("/diff/levels", &["breaking", "warning", "info", "off"]);
        for p in self.tables("/diff/ignore") {
            if self.table(&p, DIFF_IGNORE).is_none() {
                continue;
            }
            let check = self.string(&p, "check", true);
            let subject = self.string(&p, "subject", false);
            let reason = self.string(&p, "reason", true);
            let until = self.string(&p, "until", false);
            if let Some(u) = &until
                && !is_date(&u.value)
            {
                let span = self.at(&u.pointer).map_or(Span::default(), |n| n.span);
                self.report(span, "`until` must be a date, YYYY-MM-DD", None);
            }
            if let (Some(check), Some(reason)) = (check, reason) {
                config.ignore.push(DiffIgnore {
                    pointer: p,
                    check,
                    subject,
                    reason,
                    until,
                });
            }
        }
        for p in self.tables("/diff/accept") {
            if self.table(&p, DIFF_ACCEPT).is_none() {
                continue;
            }
            let base = self.string(&p, "base", true);
            let reason = self.string(&p, "reason", true);
            if let (Some(base), Some(reason)) = (base, reason) {
                config.accept.push(DiffAccept {
                    pointer: p,
                    base,
                    reason,
                });
            }
        }
        config
    }
}

fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

fn last(pointer: &str) -> &str {
    pointer.rsplit('/').next().unwrap_or(pointer)
}

/// `/consumes/http/0` shown as `consumes.http`.
fn describe(pointer: &str) -> String {
    let parts: Vec<&str> = pointer
        .split('/')
        .filter(|p| !p.is_empty() && !p.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    if parts.is_empty() {
        "seam.toml".to_owned()
    } else {
        parts.join(".")
    }
}

/// The closest known word, when it is close enough to be a likely typo.
pub fn suggest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(word, k), *k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

impl ConsumedContract<'_> {
    /// Where the vendored copy may be, relative to the service root, in the order to look: the `spec` when given,
    /// else `contracts/vendor/<service>/<contract>[.asyncapi|.openapi|.schema].(yaml|yml|json)`. The first
    /// candidate is also where a new copy goes.
    pub fn vendored_candidates(&self) -> Vec<String> {
        if let Some(spec) = self.spec {
            return vec![spec.value.clone()];
        }
        let (service, contract) = (&self.service.value, &self.contract.value);
        ["", ".asyncapi", ".openapi", ".schema"]
            .iter()
            .flat_map(|kind| {
                ["yaml", "yml", "json"]
                    .map(|ext| format!("contracts/vendor/{service}/{contract}{kind}.{ext}"))
            })
            .collect()
    }
}

/// The versions of the references to `message`; `None` for one named without a version.
fn versions_of<'a>(refs: impl Iterator<Item = &'a MessageRef>, message: &str) -> Vec<Option<u32>> {
    refs.filter(|r| r.name == message)
        .map(|r| r.version)
        .collect()
}
