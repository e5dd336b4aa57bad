//! The assistant files, rendered from [`Facts`]: the always-loaded block (AGENTS.md and its copies for
//! Claude, Cursor and Copilot) and the linked files assistants open on demand.

use std::fmt::Write as _;

use seamline_model::Manifest;

use crate::facts::{Facts, Partner};

/// An assistant file `seam context` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Agents,
    Claude,
    Cursor,
    Copilot,
}

impl Target {
    pub const ALL: [Target; 4] = [
        Target::Agents,
        Target::Claude,
        Target::Cursor,
        Target::Copilot,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Target::Agents => "agents",
            Target::Claude => "claude",
            Target::Cursor => "cursor",
            Target::Copilot => "copilot",
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Target::Agents => "AGENTS.md",
            Target::Claude => "CLAUDE.md",
            Target::Cursor => ".cursor/rules/seam-integration.mdc",
            Target::Copilot => ".github/copilot-instructions.md",
        }
    }
}

/// `[context]` with the defaults filled in.
#[derive(Debug, Clone)]
pub struct Settings {
    pub targets: Vec<Target>,
    /// CLAUDE.md imports AGENTS.md (`@AGENTS.md`) instead of carrying its own copy of the block.
    pub claude_import: bool,
    pub budget_tokens: usize,
    /// Folder of the linked files, relative to the service root, with forward slashes.
    pub dir: String,
}

impl Settings {
    pub fn from_manifest(manifest: &Manifest) -> Settings {
        let c = &manifest.context;
        let targets = match &c.targets {
            Some(list) => Target::ALL
                .into_iter()
                .filter(|t| list.iter().any(|n| n.value == t.name()))
                .collect(),
            None => Target::ALL.to_vec(),
        };
        Settings {
            targets,
            claude_import: c.claude.as_ref().is_none_or(|v| v.value == "import"),
            budget_tokens: c.budget_tokens.as_ref().map_or(DEFAULT_BUDGET, |b| {
                usize::try_from(b.value).unwrap_or(usize::MAX)
            }),
            dir: c.dir.as_ref().map_or("docs/integration".into(), |d| {
                d.value.trim_end_matches('/').to_owned()
            }),
        }
    }
}

pub const DEFAULT_BUDGET: usize = 1500;

/// One file to write: the text of its managed block, and what a new file starts with before the block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// Relative to the service root, with forward slashes.
    pub path: String,
    pub fresh_prefix: String,
    pub body: String,
    /// Loaded into every request of an assistant that reads the file (counted against the budget).
    pub always_loaded: bool,
}

/// The always-loaded part is over the budget even in its compact form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the always-loaded context is {tokens} tokens, over the budget of {budget} even in its compact form"
)]
pub struct OverBudget {
    pub tokens: usize,
    pub budget: usize,
}

/// Every file for `settings`, or why the always-loaded part does not fit.
pub fn generate(facts: &Facts, settings: &Settings) -> Result<Vec<Generated>, OverBudget> {
    let full = agents_body(facts, settings, false);
    let tokens = seamline_trace::render::count_tokens(&full);
    let body = if tokens <= settings.budget_tokens {
        full
    } else {
        let compact = agents_body(facts, settings, true);
        let tokens = seamline_trace::render::count_tokens(&compact);
        if tokens > settings.budget_tokens {
            return Err(OverBudget {
                tokens,
                budget: settings.budget_tokens,
            });
        }
        compact
    };
    let mut out = Vec::new();
    for target in &settings.targets {
        let (fresh_prefix, body, always_loaded) = match target {
            Target::Agents => (format!("# {}\n\n", facts.service), body.clone(), true),
            Target::Claude if settings.claude_import => (
                format!("# {}\n\n", facts.service),
                "The integration context of this service is in AGENTS.md:\n\n@AGENTS.md\n"
                    .to_owned(),
                true,
            ),
            Target::Claude | Target::Copilot => (String::new(), body.clone(), true),
            Target::Cursor => (
                format!(
                    "---\ndescription: \"{}'s integration context: partners, contracts, conventions, migrations\"\n\
                     globs: \"seam.toml,contracts/**\"\nalwaysApply: true\n---\n",
                    facts.service.replace('\\', "\\\\").replace('"', "\\\"")
                ),
                body.clone(),
                true,
            ),
        };
        out.push(Generated {
            path: target.path().to_owned(),
            fresh_prefix,
            body,
            always_loaded,
        });
    }
    for partner in &facts.partners {
        out.push(Generated {
            path: format!("{}/{}.md", settings.dir, partner.service),
            fresh_prefix: String::new(),
            body: partner_file(facts, partner),
            always_loaded: false,
        });
    }
    out.push(Generated {
        path: format!("{}/review.md", settings.dir),
        fresh_prefix: String::new(),
        body: review_file(facts),
        always_loaded: false,
    });
    Ok(out)
}

/// A table cell: no line breaks, pipes escaped.
fn cell(text: &str) -> String {
    text.replace('\n', " ").replace('|', "\\|")
}

fn code_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn direction(p: &Partner) -> &'static str {
    if p.http {
        "calls"
    } else {
        "consumes events from"
    }
}

fn agents_body(facts: &Facts, settings: &Settings, compact: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## Integration context\n");
    let mut intro = format!("**{}**", facts.service);
    if let Some(owner) = &facts.owner {
        let _ = write!(intro, ", owned by {owner}");
    }
    if let Some(d) = &facts.description {
        let _ = write!(intro, ": {d}");
    }
    let _ = writeln!(s, "{intro}.");
    if !facts.provides.is_empty() {
        let provided: Vec<String> = facts
            .provides
            .iter()
            .map(|p| format!("`{}` ({}, `{}`)", p.name, p.protocol, p.file))
            .collect();
        let _ = writeln!(s, "It provides {}.", provided.join(" and "));
    }
    let _ = writeln!(
        s,
        "Contracts are the source of truth: read the contract file before writing code that calls, serves, \
         publishes or consumes it.\n"
    );

    let _ = writeln!(s, "### Partners\n");
    if facts.partners.is_empty() {
        let _ = writeln!(s, "This service consumes no other service's contract.\n");
    } else if compact {
        let _ = writeln!(
            s,
            "| service | direction | protocol | contract in this repo | details |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|");
        for p in &facts.partners {
            let _ = writeln!(
                s,
                "| {} | {} | {} | `{}` | `{}/{}.md` |",
                cell(&p.service),
                direction(p),
                cell(&p.protocol),
                cell(&p.file),
                settings.dir,
                p.service
            );
        }
        s.push('\n');
    } else {
        let _ = writeln!(
            s,
            "| service | direction | protocol | contract in this repo | uses | version |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|");
        for p in &facts.partners {
            let uses: Vec<String> = p
                .uses
                .iter()
                .map(|u| match (u.found, u.detail.is_empty() || !p.http) {
                    (true, false) => format!("`{}` ({})", u.id, u.detail),
                    (true, true) => format!("`{}`", u.id),
                    (false, _) => format!("`{}` (not in the contract)", u.id),
                })
                .collect();
            let _ = writeln!(
                s,
                "| {} | {} | {} | `{}` | {} | {} |",
                cell(&p.service),
                direction(p),
                cell(&p.protocol),
                cell(&p.file),
                cell(&uses.join(", ")),
                cell(p.version.as_deref().unwrap_or("unlocked")),
            );
        }
        s.push('\n');
        let files: Vec<String> = facts
            .partners
            .iter()
            .map(|p| format!("`{}/{}.md`", settings.dir, p.service))
            .collect();
        let _ = writeln!(
            s,
            "Per partner (required headers and fields, error codes, budgets): {}.\n",
            files.join(", ")
        );
    }

    let _ = writeln!(s, "### Conventions\n");
    if compact && facts.partners.iter().any(|p| p.http) {
        let _ = writeln!(
            s,
            "- Calls: each partner's timeout, retry policy and retry-safe operations are in its file above. \
             Retry only on 408, 429 (after `Retry-After`), 502, 503, 504 and connection errors, with \
             exponential backoff and jitter."
        );
    } else {
        for p in facts.partners.iter().filter(|p| p.http) {
            let _ = writeln!(s, "- {}", http_rule(p));
        }
    }
    let event_partners: Vec<&Partner> = facts.partners.iter().filter(|p| !p.http).collect();
    if !event_partners.is_empty() {
        let queues: Vec<String> = event_partners
            .iter()
            .map(|p| match &p.dead_letter {
                Some(q) => match p.retry.as_deref() {
                    Some(r) => format!("{} → `{q}` ({r})", p.service),
                    None => format!("{} → `{q}`", p.service),
                },
                None => format!(
                    "{} → none declared (add `dead_letter` in `seam.toml`)",
                    p.service
                ),
            })
            .collect();
        let _ = writeln!(
            s,
            "- Consuming events: ack only after handling; handle each message once by its id (redelivery \
             happens); retry with exponential backoff through delay queues, never by sleeping in the \
             handler; after the last attempt, or at once for a payload that fails validation, the message \
             goes to the dead-letter queue with the reason: {}.",
            queues.join("; ")
        );
    }
    let keyed: Vec<String> = facts
        .partners
        .iter()
        .flat_map(|p| p.uses.iter())
        .filter(|u| {
            u.required_headers
                .iter()
                .any(|h| h.eq_ignore_ascii_case("idempotency-key"))
        })
        .map(|u| format!("`{}`", u.id))
        .collect();
    let mut headers =
        "- Headers: send `traceparent` (W3C Trace Context) on every request and message, \
                       continuing the incoming trace"
            .to_owned();
    if !keyed.is_empty() {
        let _ = write!(
            headers,
            "; `Idempotency-Key` on {}, the same key on every retry of one attempt",
            keyed.join(", ")
        );
    }
    let _ = writeln!(s, "{headers}.");
    let partner_problems = facts
        .partners
        .iter()
        .flat_map(|p| p.uses.iter())
        .any(|u| u.problem_json);
    if partner_problems || facts.problem_json {
        let mut line =
            "- Errors are RFC 9457 problem details (`application/problem+json`)".to_owned();
        if partner_problems {
            line.push_str(": decode partners' errors by `type` and status, never by message text");
        }
        if facts.problem_json {
            line.push_str("; this service answers its own errors the same way");
        }
        let _ = writeln!(s, "{line}.");
    }
    if !facts.publishes.is_empty() {
        let sent: Vec<String> = facts
            .publishes
            .iter()
            .map(|p| match &p.after {
                Some(after) => format!("`{}` after `{after}`", p.message),
                None => format!("`{}`", p.message),
            })
            .collect();
        let _ = writeln!(s, "- This service publishes {}.", sent.join("; "));
    }
    s.push('\n');

    let _ = writeln!(s, "### Who consumes this service\n");
    match &facts.consumers {
        Some(consumers) if consumers.is_empty() => {
            let _ = writeln!(
                s,
                "No service consumes its contracts (registry, at the last `seam pull`).\n"
            );
        }
        Some(consumers) => {
            let _ = writeln!(
                s,
                "From the registry at the last `seam pull`; a change to what they use breaks them.\n"
            );
            let _ = writeln!(s, "| consumer | contract | uses |");
            let _ = writeln!(s, "|---|---|---|");
            for c in consumers {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} |",
                    cell(&c.service),
                    cell(&c.contract),
                    cell(&code_list(&c.uses))
                );
            }
            s.push('\n');
        }
        None => {
            let _ = writeln!(
                s,
                "Not recorded here (`seam pull` records it from a registry). Treat every operation and message \
                 of the provided contracts as used by someone.\n"
            );
        }
    }
    let _ = writeln!(
        s,
        "Before changing a provided contract, `seam diff --against main` shows what changes for consumers; \
         a breaking change needs a new version and a migration.\n"
    );

    let _ = writeln!(s, "### Migrations in flight\n");
    if facts.migrations.is_empty() {
        let _ = writeln!(s, "None.\n");
    } else {
        for m in &facts.migrations {
            let _ = writeln!(s, "- {m}");
        }
        s.push('\n');
    }

    if !facts.gaps.is_empty() {
        let _ = writeln!(s, "### Gaps\n");
        for g in &facts.gaps {
            let _ = writeln!(s, "- {g}");
        }
        s.push('\n');
    }

    let _ = writeln!(s, "### Verify\n");
    let _ = writeln!(
        s,
        "Run `seam check` before finishing: contract lint, breaking changes, `seam.lock` and these files. \
         To review integration code, follow `{}/review.md`. `seam context` rewrites this block: write notes \
         outside the markers.",
        settings.dir
    );
    s
}

fn http_rule(p: &Partner) -> String {
    let mut rule = format!("Calls to {}:", p.service);
    match p.timeout_ms {
        Some(t) => {
            let _ = write!(rule, " {t} ms timeout");
        }
        None => rule.push_str(" no timeout in `seam.toml` (add `timeout_ms`)"),
    }
    match &p.retry {
        Some(r) if r.contains("no retry") => {
            let _ = write!(rule, "; {r}");
        }
        Some(r) if !r.is_empty() => {
            let _ = write!(rule, "; retry: {r}, with jitter");
        }
        _ => rule.push_str("; no retry policy in `seam.toml` (add `retry`)"),
    }
    let safe: Vec<String> = p
        .uses
        .iter()
        .filter(|u| u.found && u.retry_safe)
        .map(|u| format!("`{}`", u.id))
        .collect();
    let unsafe_: Vec<String> = p
        .uses
        .iter()
        .filter(|u| u.found && !u.retry_safe)
        .map(|u| format!("`{}`", u.id))
        .collect();
    rule.push_str(
        ". Retry only on 408, 429 (after `Retry-After`), 502, 503, 504 and connection errors",
    );
    if !safe.is_empty() {
        let _ = write!(rule, "; safe to retry: {}", safe.join(", "));
    }
    if !unsafe_.is_empty() {
        let _ = write!(
            rule,
            "; never retry {} (not idempotent, no `Idempotency-Key`)",
            unsafe_.join(", ")
        );
    }
    rule.push('.');
    rule
}

fn partner_file(facts: &Facts, p: &Partner) -> String {
    let mut s = String::new();
    let version = p
        .version
        .as_deref()
        .map(|v| format!(" {v}"))
        .unwrap_or_default();
    let _ = writeln!(s, "# {} ({}{version})\n", p.service, p.contract);
    let _ = writeln!(
        s,
        "{} {} `{}` over {}. The contract is vendored at `{}`; `seam pull` refreshes it and `seam.lock` pins it.\n",
        facts.service,
        if p.http {
            "calls"
        } else {
            "consumes events of"
        },
        p.contract,
        p.protocol,
        p.file
    );
    if p.http {
        let _ = writeln!(
            s,
            "Timeout: {}. Retry: {}.\n",
            p.timeout_ms
                .map_or("not set in `seam.toml`".into(), |t| format!("{t} ms")),
            p.retry.as_deref().unwrap_or("not set in `seam.toml`")
        );
    } else {
        let _ = writeln!(
            s,
            "Dead-letter queue: {}.{}\n",
            p.dead_letter
                .as_deref()
                .map_or("none declared".into(), |q| format!("`{q}`")),
            p.retry
                .as_deref()
                .map_or(String::new(), |r| format!(" Retry: {r}."))
        );
    }
    for u in &p.uses {
        let title = if u.detail.is_empty() {
            format!("`{}`", u.id)
        } else {
            format!("`{}`: {}", u.id, u.detail)
        };
        let _ = writeln!(s, "## {title}\n");
        if !u.found {
            let _ = writeln!(
                s,
                "Not in the vendored contract: `seam pull`, or fix `seam.toml`.\n"
            );
            continue;
        }
        let mut lines = Vec::new();
        if !u.required_headers.is_empty() {
            lines.push(format!(
                "Required headers: {}",
                code_list(&u.required_headers)
            ));
        }
        if !u.required_fields.is_empty() {
            lines.push(format!(
                "Required {} fields: {}",
                if p.http { "request body" } else { "payload" },
                code_list(&u.required_fields)
            ));
        }
        if !u.errors.is_empty() {
            lines.push(format!(
                "Documented errors: {}{}",
                u.errors.join(", "),
                if u.problem_json {
                    " (problem+json)"
                } else {
                    ""
                }
            ));
        }
        if p.http {
            lines.push(format!(
                "Retry-safe: {}",
                if u.retry_safe { "yes" } else { "no" }
            ));
        }
        if let Some(t) = u.timeout_ms {
            lines.push(format!("Provider's latency budget: {t} ms"));
        }
        for l in lines {
            let _ = writeln!(s, "- {l}");
        }
        s.push('\n');
    }
    s
}

fn review_file(facts: &Facts) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Contract review: {}\n", facts.service);
    let _ = writeln!(
        s,
        "A ready prompt for reviewing a change to this service's integration code. Give it to the assistant \
         with the diff.\n"
    );
    let mut errors = Vec::new();
    let mut headers = vec!["`traceparent` on every request and message".to_owned()];
    let mut budgets = Vec::new();
    for p in &facts.partners {
        for u in p.uses.iter().filter(|u| u.found) {
            if !u.errors.is_empty() {
                errors.push(format!("{} `{}`: {}", p.service, u.id, u.errors.join(", ")));
            }
            for h in &u.required_headers {
                headers.push(format!("`{h}` on {} `{}`", p.service, u.id));
            }
        }
        if p.http {
            budgets.push(format!(
                "{}: {}, retry {}",
                p.service,
                p.timeout_ms
                    .map_or("no timeout set".into(), |t| format!("{t} ms timeout")),
                p.retry.as_deref().unwrap_or("not set")
            ));
        }
    }
    let none = || "none documented".to_owned();
    let _ = writeln!(s, "```text");
    let _ = writeln!(
        s,
        "Review this change to {} against the contracts in this repository (seam.toml lists them;",
        facts.service
    );
    let _ = writeln!(
        s,
        "the vendored copies are under contracts/vendor/). For each call or message it touches:"
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "1. Every documented error is handled, decoded as problem details: {}.",
        if errors.is_empty() {
            none()
        } else {
            errors.join("; ")
        }
    );
    let _ = writeln!(s, "2. Required headers are sent: {}.", headers.join("; "));
    let _ = writeln!(
        s,
        "3. Timeouts and retries match seam.toml and are only used where safe; 429 waits for Retry-After: {}.",
        if budgets.is_empty() {
            none()
        } else {
            budgets.join("; ")
        }
    );
    let _ = writeln!(
        s,
        "4. Response and payload fields the contract marks required are read where they matter, and nothing"
    );
    let _ = writeln!(s, "   relies on a field the contract does not define.");
    let _ = writeln!(
        s,
        "5. Event handlers ack after handling, are idempotent by message id, send failures to the"
    );
    let _ = writeln!(
        s,
        "   dead-letter queue, and accept every message version seam.toml lists."
    );
    let _ = writeln!(
        s,
        "6. A change to a provided contract is checked with `seam diff --against main`; breaking changes"
    );
    let _ = writeln!(s, "   need a new version and a migration.");
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Answer each item with ok, a problem (file:line and why), or not applicable."
    );
    let _ = writeln!(s, "```");
    s
}
