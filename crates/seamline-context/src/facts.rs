//! What a service's repository says about its integrations, gathered from `seam.toml`, the contracts it
//! provides, the vendored contracts it consumes and `seam.lock`. Local files only: nothing here reads the
//! network.

use std::path::{Path, PathBuf};

use seamline_model::{
    ConsumedContract, DocId, Lock, Manifest, Operation, Retry, Workspace, WorkspaceOptions,
    messages, operations, read_manifest,
};
use seamline_syntax::{Limits, Node, join_pointer};
use serde::Serialize;

/// Everything the assistant files and the MCP server say about one service.
#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    pub service: String,
    pub owner: Option<String>,
    pub description: Option<String>,
    pub provides: Vec<Provided>,
    pub partners: Vec<Partner>,
    /// `[[publishes]]`: messages this service sends, and what each follows.
    pub publishes: Vec<Publish>,
    /// Who consumes this service's contracts, as `seam pull` last recorded them from the registry; `None`
    /// when never recorded.
    pub consumers: Option<Vec<Consumer>>,
    /// Message migrations this service is part of, and what it must do now.
    pub migrations: Vec<String>,
    /// Whether the HTTP contracts this service provides answer errors as RFC 9457 problem details.
    pub problem_json: bool,
    /// What could not be read or found (a missing vendored file, an operation the contract lacks).
    pub gaps: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Provided {
    pub name: String,
    /// `HTTP`, or the broker of an event contract (`events` when none is named).
    pub protocol: String,
    pub file: String,
    /// Operation ids (HTTP) or message ids (`name@version`).
    pub items: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Partner {
    pub service: String,
    pub contract: String,
    pub http: bool,
    /// `HTTP`, or the broker the events come over.
    pub protocol: String,
    /// The vendored copy in this repository.
    pub file: String,
    /// The provider's version the copy was taken from, from `seam.lock`.
    pub version: Option<String>,
    pub uses: Vec<Use>,
    pub timeout_ms: Option<u64>,
    /// E.g. `3 attempts, exponential backoff`; `None` when `seam.toml` sets none.
    pub retry: Option<String>,
    pub dead_letter: Option<String>,
}

/// One operation called or one message consumed, as the vendored contract describes it.
#[derive(Debug, Clone, Serialize)]
pub struct Use {
    /// The operation id or message id, as `seam.toml` names it.
    pub id: String,
    /// `POST /payments`, or the message's title; empty when the contract lacks it.
    pub detail: String,
    pub found: bool,
    /// Safe to retry: an idempotent method, or an `Idempotency-Key` header to repeat.
    pub retry_safe: bool,
    pub required_headers: Vec<String>,
    /// Required top-level fields of the request body (HTTP) or payload (events).
    pub required_fields: Vec<String>,
    /// Documented error statuses, e.g. `402`, `429`, `503`.
    pub errors: Vec<String>,
    /// Whether the documented errors are RFC 9457 problem details.
    pub problem_json: bool,
    /// The contract's latency budget (`x-timeout-ms`), when it states one.
    pub timeout_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Publish {
    pub message: String,
    pub after: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Consumer {
    pub service: String,
    pub contract: String,
    pub uses: Vec<String>,
}

/// Why a service's facts could not be gathered at all.
#[derive(Debug, thiserror::Error)]
pub enum FactsError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("{path}:{line}: {message}")]
    Manifest {
        path: String,
        line: usize,
        message: String,
        help: Option<String>,
    },
    #[error("{path}: {message}")]
    Lock { path: String, message: String },
}

/// The service in `root` (the folder holding `seam.toml`), with the manifest as read.
pub fn gather(root: &Path) -> Result<(Facts, Manifest), FactsError> {
    let manifest_path = root.join("seam.toml");
    let read = read_manifest(&manifest_path, "seam.toml").map_err(|e| FactsError::Read {
        path: manifest_path.display().to_string(),
        message: e.to_string(),
    })?;
    if let Some(problem) = read.problems.first() {
        return Err(FactsError::Manifest {
            path: "seam.toml".into(),
            line: read.source.line_col(problem.span.start).line as usize,
            message: problem.message.clone(),
            help: problem.help.clone(),
        });
    }
    let manifest = read.manifest.ok_or_else(|| FactsError::Manifest {
        path: "seam.toml".into(),
        line: 1,
        message: "not a service manifest".into(),
        help: None,
    })?;
    let lock_path = root.join("seam.lock");
    let lock = if lock_path.is_file() {
        Some(
            Lock::read(&lock_path, "seam.lock").map_err(|message| FactsError::Lock {
                path: "seam.lock".into(),
                message,
            })?,
        )
    } else {
        None
    };
    let mut ws = Workspace::new(WorkspaceOptions {
        root: root.to_owned(),
        display_base: root.to_owned(),
        allow_remote_refs: false,
        limits: Limits::default(),
    });
    let facts = Facts::new(root, &manifest, lock.as_ref(), &mut ws);
    Ok((facts, manifest))
}

fn shown(path: &str) -> String {
    path.replace('\\', "/")
}

impl Facts {
    fn new(root: &Path, manifest: &Manifest, lock: Option<&Lock>, ws: &mut Workspace) -> Facts {
        let mut gaps = Vec::new();
        let mut provides = Vec::new();
        let mut problem_json = false;
        let mut provided_messages: Vec<String> = Vec::new();
        for p in manifest.provided_contracts() {
            let path = root.join(&p.spec.value);
            let doc = ws.load_with_refs(&path);
            let http = manifest
                .provides_http
                .iter()
                .any(|h| h.name.value == p.name.value);
            let items: Vec<String> = if http {
                let ops = operations(ws, doc);
                problem_json |= ops.iter().any(|o| errors_of(ws, o).1);
                ops.iter()
                    .map(|o| {
                        o.operation_id()
                            .map_or_else(|| op_display(o), str::to_owned)
                    })
                    .collect()
            } else {
                let ids: Vec<String> = messages(ws, doc).iter().map(|m| m.id()).collect();
                provided_messages.extend(ids.iter().cloned());
                ids
            };
            if ws.doc(doc).root.is_none() {
                gaps.push(format!("{} could not be read", shown(&p.spec.value)));
            }
            provides.push(Provided {
                name: p.name.value.clone(),
                protocol: if http {
                    "HTTP".into()
                } else {
                    p.broker
                        .as_ref()
                        .map_or("events".into(), |b| b.value.clone())
                },
                file: shown(&p.spec.value),
                items,
            });
        }
        let mut partners = Vec::new();
        for c in &manifest.consumes_http {
            let consumed = ConsumedContract {
                service: &c.service,
                contract: &c.contract,
                spec: c.spec.as_ref(),
            };
            let (file, doc) = vendored(root, consumed, ws, &mut gaps);
            let ops = doc.map(|d| operations(ws, d)).unwrap_or_default();
            let root_timeout = doc.and_then(|d| timeout_of(ws.doc(d).root.as_ref()));
            let uses = c
                .operations
                .iter()
                .map(
                    |wanted| match ops.iter().find(|o| o.operation_id() == Some(&wanted.value)) {
                        Some(o) => http_use(ws, o, &wanted.value, root_timeout),
                        None => {
                            if doc.is_some() {
                                gaps.push(format!(
                                    "{file} has no operation `{}` (seam.toml uses it)",
                                    wanted.value
                                ));
                            }
                            missing(&wanted.value)
                        }
                    },
                )
                .collect();
            partners.push(Partner {
                service: c.service.value.clone(),
                contract: c.contract.value.clone(),
                http: true,
                protocol: "HTTP".into(),
                version: locked(lock, consumed),
                file,
                uses,
                timeout_ms: c.timeout_ms.as_ref().map(|t| t.value),
                retry: c.retry.as_ref().and_then(retry_text),
                dead_letter: None,
            });
        }
        // What seam.toml alone shows (several versions in flight), and what the registry said at the last pull.
        let mut local = Vec::new();
        for c in &manifest.consumes_events {
            let consumed = ConsumedContract {
                service: &c.service,
                contract: &c.contract,
                spec: c.spec.as_ref(),
            };
            let (file, doc) = vendored(root, consumed, ws, &mut gaps);
            let declared = doc.map(|d| messages(ws, d)).unwrap_or_default();
            let uses = c
                .messages
                .iter()
                .map(|wanted| {
                    let id = wanted.value.to_string();
                    let found = declared.iter().find(|m| {
                        m.name == wanted.value.name
                            && (wanted.value.version.is_none() || m.version == wanted.value.version)
                    });
                    match found {
                        Some(m) => Use {
                            id,
                            detail: m
                                .node
                                .get("title")
                                .and_then(Node::as_str)
                                .unwrap_or_default()
                                .to_owned(),
                            found: true,
                            retry_safe: true,
                            required_headers: m
                                .headers
                                .as_ref()
                                .map(|(_, _, h)| required_of(h))
                                .unwrap_or_default(),
                            required_fields: m
                                .payload
                                .as_ref()
                                .map(|(_, _, p)| required_of(p))
                                .unwrap_or_default(),
                            errors: Vec::new(),
                            problem_json: false,
                            timeout_ms: None,
                        },
                        None => {
                            if doc.is_some() {
                                gaps.push(format!(
                                    "{file} declares no message `{id}` (seam.toml consumes it)"
                                ));
                            }
                            missing(&id)
                        }
                    }
                })
                .collect();
            local.extend(consumer_migrations(&c.service.value, &c.messages));
            partners.push(Partner {
                service: c.service.value.clone(),
                contract: c.contract.value.clone(),
                http: false,
                protocol: doc
                    .and_then(|d| server_protocol(ws.doc(d).root.as_ref()))
                    .unwrap_or_else(|| "events".into()),
                version: locked(lock, consumed),
                file,
                uses,
                timeout_ms: None,
                retry: c.retry.as_ref().and_then(retry_text),
                dead_letter: c.dead_letter.as_ref().map(|d| d.value.clone()),
            });
        }
        local.extend(provider_migrations(&provided_messages));
        let recorded = lock
            .and_then(|l| l.migrations.as_deref())
            .unwrap_or_default();
        let mut migrations: Vec<String> = recorded
            .iter()
            .map(|m| recorded_migration(manifest, m))
            .collect();
        // A message the registry migrates is told once, from the registry.
        migrations.extend(
            local
                .into_iter()
                .filter(|(name, _)| !recorded.iter().any(|m| &m.message == name))
                .map(|(_, line)| line),
        );
        Facts {
            service: manifest.name.value.clone(),
            owner: manifest.owner.as_ref().map(|o| o.value.clone()),
            description: manifest
                .root
                .pointer("/service/description")
                .and_then(Node::as_str)
                .map(str::to_owned),
            provides,
            partners,
            publishes: manifest
                .publishes
                .iter()
                .map(|p| Publish {
                    message: p.message.value.to_string(),
                    after: p.after.as_ref().map(|a| a.value.to_string()),
                })
                .collect(),
            consumers: lock.and_then(|l| l.consumers.as_ref()).map(|cs| {
                cs.iter()
                    .map(|c| Consumer {
                        service: c.service.clone(),
                        contract: c.contract.clone(),
                        uses: c.uses.clone(),
                    })
                    .collect()
            }),
            migrations,
            problem_json,
            gaps,
        }
    }
}

/// The protocol of the first server an event contract names (`amqp`, `nats`, `kafka`).
fn server_protocol(root: Option<&Node>) -> Option<String> {
    root?
        .get("servers")?
        .entries()
        .find_map(|s| s.value.get("protocol")?.as_str().map(str::to_owned))
}

fn missing(id: &str) -> Use {
    Use {
        id: id.to_owned(),
        detail: String::new(),
        found: false,
        retry_safe: false,
        required_headers: Vec::new(),
        required_fields: Vec::new(),
        errors: Vec::new(),
        problem_json: false,
        timeout_ms: None,
    }
}

fn locked(lock: Option<&Lock>, consumed: ConsumedContract<'_>) -> Option<String> {
    lock?
        .find(&consumed.service.value, &consumed.contract.value)
        .map(|l| l.version.clone())
}

/// The vendored copy's path (relative, as shown) and its document when it exists.
fn vendored(
    root: &Path,
    consumed: ConsumedContract<'_>,
    ws: &mut Workspace,
    gaps: &mut Vec<String>,
) -> (String, Option<DocId>) {
    let candidates = consumed.vendored_candidates();
    let found: Option<&String> = candidates.iter().find(|c| root.join(c).is_file());
    match found {
        Some(c) => {
            let doc = ws.load_with_refs(&root.join(c));
            (shown(c), ws.doc(doc).root.is_some().then_some(doc))
        }
        None => {
            let first = shown(&candidates[0]);
            gaps.push(format!(
                "{first} is missing: run `seam pull` to vendor {}'s `{}`",
                consumed.service.value, consumed.contract.value
            ));
            (first, None)
        }
    }
}

fn op_display(o: &Operation<'_>) -> String {
    format!("{} {}", o.method.to_uppercase(), o.path)
}

fn timeout_of(node: Option<&Node>) -> Option<u64> {
    node?
        .get("x-timeout-ms")?
        .as_i64()
        .and_then(|t| u64::try_from(t).ok())
}

/// The documented error statuses of an operation, and whether they are problem details.
fn errors_of(ws: &Workspace, o: &Operation<'_>) -> (Vec<String>, bool) {
    let mut statuses = Vec::new();
    let mut problem = false;
    for r in o.responses(ws) {
        if seamline_model::is_error_status(r.status) {
            statuses.push(r.status.to_owned());
            problem |= r
                .node
                .get("content")
                .is_some_and(|c| c.get("application/problem+json").is_some());
        }
    }
    (statuses, problem)
}

fn http_use(ws: &Workspace, o: &Operation<'_>, id: &str, root_timeout: Option<u64>) -> Use {
    let required_headers: Vec<String> = o
        .parameters
        .iter()
        .filter(|p| {
            p.location == "header" && p.node.get("required").and_then(Node::as_bool) == Some(true)
        })
        .map(|p| p.name.to_owned())
        .collect();
    let idempotent = matches!(o.method, "get" | "head" | "put" | "delete" | "options");
    let keyed = o.header_parameter("Idempotency-Key").is_some();
    let body = join_pointer(&o.pointer, "requestBody");
    let required_fields = ws
        .deref(o.doc, &body)
        .and_then(|(doc, pointer, node)| {
            let media = node.get("content")?.entries().next()?;
            let schema = join_pointer(
                &join_pointer(&join_pointer(&pointer, "content"), &media.key),
                "schema",
            );
            ws.deref(doc, &schema).map(|(_, _, s)| required_of(s))
        })
        .unwrap_or_default();
    let (errors, problem_json) = errors_of(ws, o);
    Use {
        id: id.to_owned(),
        detail: op_display(o),
        found: true,
        retry_safe: idempotent || keyed,
        required_headers,
        required_fields,
        errors,
        problem_json,
        timeout_ms: timeout_of(Some(o.node)).or(root_timeout),
    }
}

/// The names a schema lists under `required`.
fn required_of(schema: &Node) -> Vec<String> {
    schema
        .get("required")
        .and_then(Node::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Node::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// A migration the registry runs, as `seam pull` recorded it, with this service's duty judged from its own
/// `seam.toml` (the working copy: an edit shows at once).
fn recorded_migration(manifest: &Manifest, m: &seamline_model::LockedMigration) -> String {
    let (role, duty) = migration_duty(manifest, &m.service, &m.contract, m.state());
    format!(
        "`{}` v{} → v{} ({role}): `seam migrate` phase {} of 5, {}, at the last `seam pull`. This service: {duty}. \
         `seam migrate status {} --service {}` shows the evidence.",
        m.message,
        m.from,
        m.to,
        m.phase,
        seamline_model::phase_name(m.phase),
        m.message,
        m.service
    )
}

/// The service's part in `producer`'s migration (`this service publishes it`, `X publishes it`) and its duty now,
/// from what its `seam.toml` publishes or accepts.
pub fn migration_duty(
    manifest: &Manifest,
    producer: &str,
    contract: &str,
    state: seamline_model::MigrationState<'_>,
) -> (String, String) {
    if producer == manifest.name.value {
        (
            "this service publishes it".to_owned(),
            state.producer_duty(&manifest.publishes_versions(state.message)),
        )
    } else {
        let listed = manifest
            .accepts_versions(producer, contract, state.message)
            .unwrap_or_default();
        (
            format!("{producer} publishes it"),
            state.consumer_duty(&listed, None),
        )
    }
}

/// A consumer accepting several versions of one message is in the middle of that message's migration.
fn consumer_migrations(
    provider: &str,
    wanted: &[seamline_model::Spanned<seamline_model::MessageRef>],
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut names: Vec<&str> = wanted.iter().map(|m| m.value.name.as_str()).collect();
    names.dedup();
    for name in names {
        let mut versions: Vec<u32> = wanted
            .iter()
            .filter(|m| m.value.name == name)
            .filter_map(|m| m.value.version)
            .collect();
        versions.sort_unstable();
        versions.dedup();
        match versions[..] {
            [old, new] => out.push((name.to_owned(), format!(
                "`{name}` v{old} → v{new} ({provider} publishes it): this service accepts both. Keep handling \
                 v{old} until {provider} stops publishing it; then drop v{old} from `seam.toml` and the handler."
            ))),
            [.., new] if versions.len() > 2 => out.push((name.to_owned(), format!(
                "`{name}` {} → v{new} ({provider} publishes it): this service accepts all {}. Keep handling each \
                 older version until {provider} stops publishing it; then drop it from `seam.toml` and the handler.",
                listed(&versions[..versions.len() - 1]),
                versions.len()
            ))),
            _ => {}
        }
    }
    out
}

/// A provider declaring several versions of one message is dual-publishing it.
fn provider_migrations(ids: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let parsed: Vec<seamline_model::MessageRef> = ids
        .iter()
        .map(|id| seamline_model::MessageRef::parse(id))
        .collect();
    let mut names: Vec<&str> = parsed.iter().map(|m| m.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let mut versions: Vec<u32> = parsed
            .iter()
            .filter(|m| m.name == name)
            .filter_map(|m| m.version)
            .collect();
        versions.sort_unstable();
        versions.dedup();
        match versions[..] {
            [old, new] => out.push((name.to_owned(), format!(
                "`{name}` v{old} → v{new}: this service publishes both. Keep publishing v{old} until no \
                 consumer uses it (`seam trace versions` on production traces shows who still does); only \
                 then stop, and remove v{old} from the contract last."
            ))),
            [.., new] if versions.len() > 2 => out.push((name.to_owned(), format!(
                "`{name}` {} → v{new}: this service publishes all {}. Keep publishing each older version until \
                 no consumer uses it (`seam trace versions` on production traces shows who still does); only \
                 then stop it, and remove it from the contract last.",
                listed(&versions[..versions.len() - 1]),
                versions.len()
            ))),
            _ => {}
        }
    }
    out
}

/// `v1, v2` of versions.
fn listed(versions: &[u32]) -> String {
    versions
        .iter()
        .map(|v| format!("v{v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The folder `seam.toml` is in, found from `start` upward.
pub fn service_root(start: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(start).ok()?;
    start
        .ancestors()
        .find(|d| d.join("seam.toml").is_file())
        .map(Path::to_path_buf)
}

/// `3 attempts, exponential backoff`; `None` for an empty `retry` table.
fn retry_text(r: &Retry) -> Option<String> {
    let attempts = r.attempts.as_ref().map(|a| match a.value {
        1 => "one attempt, no retry".to_owned(),
        n => format!("{n} attempts"),
    });
    let backoff = r.backoff.as_ref().map(|b| format!("{} backoff", b.value));
    let text = [attempts, backoff]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two versions read as one step of a migration; three name every older version, not only the first.
    #[test]
    fn migrations_name_every_version_in_flight() {
        let ids = |vs: &[u32]| -> Vec<String> {
            vs.iter()
                .map(|v| format!("inventory.stock_reserved@{v}"))
                .collect()
        };
        let two = provider_migrations(&ids(&[1, 2]));
        assert!(
            two[0]
                .1
                .starts_with("`inventory.stock_reserved` v1 → v2: this service publishes both."),
            "{two:?}"
        );
        let three = provider_migrations(&ids(&[1, 2, 3]));
        assert!(
            three[0].1.starts_with(
                "`inventory.stock_reserved` v1, v2 → v3: this service publishes all 3."
            ),
            "{three:?}"
        );
        let wanted: Vec<seamline_model::Spanned<seamline_model::MessageRef>> = ids(&[1, 2, 3])
            .iter()
            .map(|id| seamline_model::Spanned {
                value: seamline_model::MessageRef::parse(id),
                pointer: String::new(),
            })
            .collect();
        let accepted = consumer_migrations("inventory-service", &wanted);
        assert!(
            accepted[0].1.starts_with(
                "`inventory.stock_reserved` v1, v2 → v3 (inventory-service publishes it): this service accepts all 3."
            ),
            "{accepted:?}"
        );
        assert!(provider_migrations(&ids(&[2])).is_empty());
    }
    /// A migration the registry runs is told with its phase and the duty this service's own seam.toml gives it.
    #[test]
    fn a_recorded_migration_names_its_phase_and_this_services_duty() {
        let manifest = |text: &str| {
            seamline_model::parse_manifest(Path::new("seam.toml"), "seam.toml", text.as_bytes())
                .manifest
                .unwrap()
        };
        let consumer = manifest(
            "[service]\nname = \"order-service\"\n\n[[consumes.events]]\nservice = \"inventory-service\"\n\
             contract = \"inventory-events\"\nmessages = [\"inventory.stock_reserved@1\"]\n",
        );
        let m = seamline_model::LockedMigration {
            service: "inventory-service".into(),
            contract: "inventory-events".into(),
            message: "inventory.stock_reserved".into(),
            from: 1,
            to: 2,
            phase: 2,
        };
        assert_eq!(
            recorded_migration(&consumer, &m),
            "`inventory.stock_reserved` v1 → v2 (inventory-service publishes it): `seam migrate` phase 2 of 5, \
             dual-publish, at the last `seam pull`. This service: accept v2: seam.toml lists only v1; add \
             inventory.stock_reserved@2 and deploy. `seam migrate status inventory.stock_reserved --service \
             inventory-service` shows the evidence."
        );
        let producer = manifest(
            "[service]\nname = \"inventory-service\"\n\n[[publishes]]\nmessage = \"inventory.stock_reserved@1\"\n\n\
             [[publishes]]\nmessage = \"inventory.stock_reserved@2\"\n",
        );
        assert!(
            recorded_migration(&producer, &m).contains("(this service publishes it)")
                && recorded_migration(&producer, &m)
                    .contains("This service: publish both v1 and v2 until phase 5.")
        );
    }
}
