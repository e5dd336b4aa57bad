//! `seam mcp`: a Model Context Protocol server over one service's repository, and over the registry when one
//! is configured. Few tools, each answering with little and pointing to the next step (list → describe →
//! outline → one operation or message), and every contract as a resource.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, Implementation, ListResourceTemplatesResult, ListResourcesResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    Resource, ResourceContents, ResourceTemplate, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, schemars, tool, tool_handler, tool_router};
use seamline_model::{
    DocId, Manifest, Workspace, WorkspaceOptions, detect_kind, messages, operations, parse_manifest,
};
use seamline_syntax::Limits;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::facts::{Facts, gather, migration_duty};

/// The registry, as the server reads it: `GET` of an API path, answered with JSON. The command line supplies
/// it (with its HTTP client and token); the server works without one.
pub trait Catalog: Send + Sync + 'static {
    fn get(&self, path: &str) -> Result<Value, String>;
    /// Where it is, for messages.
    fn location(&self) -> String;
}

/// The `seam.toml` of every service the registry knows, as `(service, version, text)`: the versions deployed in
/// `environment`, or each service's latest version when none is named. What one repository's diagnosis needs to
/// know what its partners should do.
pub fn partner_manifests(
    catalog: &dyn Catalog,
    environment: Option<&str>,
) -> Result<Vec<(String, String, String)>, String> {
    let versions: Vec<(String, String)> = match environment {
        Some(env) => {
            let list = catalog.get(&format!("/api/v1/environments/{env}/deployments"))?;
            let pairs = |d: &Value| {
                Some((
                    d["service"].as_str()?.to_owned(),
                    d["version"].as_str()?.to_owned(),
                ))
            };
            let found: Vec<_> = list
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(pairs)
                .collect();
            if found.is_empty() {
                return Err(format!(
                    "nothing is deployed in `{env}` according to the registry at {}",
                    catalog.location()
                ));
            }
            found
        }
        None => {
            let list = catalog.get("/api/v1/services")?;
            let latest = |s: &Value| {
                Some((
                    s["name"].as_str()?.to_owned(),
                    s["latest"].as_str()?.to_owned(),
                ))
            };
            list.as_array()
                .into_iter()
                .flatten()
                .filter_map(latest)
                .collect()
        }
    };
    versions
        .into_iter()
        .map(|(service, version)| {
            let detail = catalog.get(&format!("/api/v1/services/{service}/versions/{version}"))?;
            let manifest = detail["manifest"].as_str().unwrap_or_default().to_owned();
            Ok((service, version, manifest))
        })
        .collect()
}

/// A contract's text and where it came from.
struct Found {
    service: String,
    contract: String,
    /// Where it was read: a file of this repository, or `registry <service> <version>: <path>`.
    origin: String,
    /// The main file and every file beside it (for `$ref`s), as (path relative to the service, text).
    files: Vec<(String, String)>,
    main: String,
}

/// A service's latest version in the registry.
struct Published {
    version: String,
    manifest: String,
    /// (path, text) of every contract file.
    files: Vec<(String, String)>,
}

struct State {
    root: PathBuf,
    catalog: Option<Arc<dyn Catalog>>,
}

/// The server. Cheap to clone: the streamable HTTP transport makes one per session.
#[derive(Clone)]
pub struct SeamMcp {
    state: Arc<State>,
    tool_router: ToolRouter<Self>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ServiceArg {
    /// A service name, as `list_services` gives it.
    pub service: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ContractArgs {
    /// The service that provides the contract.
    pub service: String,
    /// The contract's name (from `describe_service`); may be left out when the service provides one.
    pub contract: Option<String>,
    /// An operationId: answer with that operation only.
    pub operation: Option<String>,
    /// A message, `name` or `name@version`: answer with that message only.
    pub message: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ChangeArgs {
    /// The name of a contract this service provides (from its `seam.toml`).
    pub contract: String,
    /// The whole proposed text of that contract file.
    pub proposed: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct MigrationArgs {
    /// A message, without a version: answer with its migration's gates, evidence and every party's duty.
    /// Without it: every active migration this service takes part in.
    pub message: Option<String>,
    /// The producing service, when more than one migrates a message of that name.
    pub service: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct TraceArgs {
    /// A trace file (OTLP/JSON, OTLP/protobuf or Jaeger JSON), relative to the service folder.
    pub file: String,
    /// With a registry: read the partners' seam.toml at the versions deployed in this environment (default:
    /// each service's latest version), so the diagnosis knows what they should publish and consume.
    pub environment: Option<String>,
    /// The most tokens the answer may take (default 2000).
    pub max_tokens: Option<usize>,
}

fn invalid(message: impl Into<String>) -> ErrorData {
    ErrorData::invalid_params(message.into(), None)
}

fn text(value: String) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(value)])
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// `seam://contracts/<service>/<contract>`.
pub fn contract_uri(service: &str, contract: &str) -> String {
    format!("seam://contracts/{service}/{contract}")
}

impl SeamMcp {
    /// A server over the service in `root` (the folder with `seam.toml`).
    pub fn new(root: PathBuf, catalog: Option<Arc<dyn Catalog>>) -> SeamMcp {
        SeamMcp {
            state: Arc::new(State { root, catalog }),
            tool_router: Self::tool_router(),
        }
    }

    fn facts(&self) -> Result<(Facts, Manifest), ErrorData> {
        gather(&self.state.root).map_err(|e| {
            ErrorData::internal_error(format!("this service cannot be read: {e}"), None)
        })
    }

    fn registry_services(&self) -> Result<Option<Vec<Value>>, ErrorData> {
        let Some(catalog) = &self.state.catalog else {
            return Ok(None);
        };
        match catalog.get("/api/v1/services") {
            Ok(Value::Array(list)) => Ok(Some(list)),
            Ok(_) => Err(ErrorData::internal_error(
                "the registry's service list is not a list",
                None,
            )),
            Err(e) => Err(ErrorData::internal_error(
                format!("the registry at {} did not answer: {e}", catalog.location()),
                None,
            )),
        }
    }

    /// The latest published version of `service` in the registry: its manifest and files.
    fn published(&self, service: &str) -> Result<Option<Published>, ErrorData> {
        let Some(catalog) = &self.state.catalog else {
            return Ok(None);
        };
        let Some(list) = self.registry_services()? else {
            return Ok(None);
        };
        let Some(latest) = list
            .iter()
            .find(|s| s["name"] == service)
            .and_then(|s| s["latest"].as_str())
        else {
            return Ok(None);
        };
        let detail = catalog
            .get(&format!("/api/v1/services/{service}/versions/{latest}"))
            .map_err(|e| {
                ErrorData::internal_error(format!("reading {service} {latest}: {e}"), None)
            })?;
        let files = detail["contracts"]
            .as_array()
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| {
                        Some((
                            c["path"].as_str()?.to_owned(),
                            c["content"].as_str()?.to_owned(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let manifest = detail["manifest"].as_str().unwrap_or_default().to_owned();
        Ok(Some(Published {
            version: latest.to_owned(),
            manifest,
            files,
        }))
    }

    /// Every service name this server can tell about, for error messages.
    fn known(&self) -> Vec<String> {
        let mut names = Vec::new();
        if let Ok((facts, _)) = self.facts() {
            names.push(facts.service.clone());
            names.extend(facts.partners.iter().map(|p| p.service.clone()));
        }
        if let Ok(Some(list)) = self.registry_services() {
            names.extend(
                list.iter()
                    .filter_map(|s| s["name"].as_str().map(str::to_owned)),
            );
        }
        names.sort();
        names.dedup();
        names
    }

    fn unknown_service(&self, service: &str) -> ErrorData {
        let registry = if self.state.catalog.is_some() {
            ""
        } else {
            " (no registry is configured, so only this service and its partners are known)"
        };
        invalid(format!(
            "unknown service `{service}`{registry}; known: {}",
            self.known().join(", ")
        ))
    }

    /// The contract `contract` of `service`: this service's own file, a vendored copy, or the registry's.
    /// Local files come with the files their `$ref`s reach.
    fn find(&self, service: &str, contract: Option<&str>) -> Result<Found, ErrorData> {
        let (facts, manifest) = self.facts()?;
        let root = &self.state.root;
        // The file and every file of the service its `$ref`s reach, so a comparison sees what a reader sees.
        let read = |rel: &str| {
            std::fs::read_to_string(root.join(rel))
                .map_err(|e| ErrorData::internal_error(format!("cannot read {rel}: {e}"), None))?;
            Ok::<_, ErrorData>(with_references(root, rel))
        };
        if service == facts.service {
            let p = choose(&manifest, contract, service)?;
            return Ok(Found {
                service: service.into(),
                contract: p.name.value.clone(),
                origin: p.spec.value.clone(),
                files: read(&p.spec.value)?,
                main: p.spec.value.clone(),
            });
        }
        let partner = facts
            .partners
            .iter()
            .filter(|p| p.service == service)
            .find(|p| contract.is_none_or(|c| c == p.contract));
        if let Some(p) = partner
            && root.join(&p.file).is_file()
        {
            return Ok(Found {
                service: service.into(),
                contract: p.contract.clone(),
                origin: format!("{} (vendored)", p.file),
                files: read(&p.file)?,
                main: p.file.clone(),
            });
        }
        let Some(Published {
            version,
            manifest: manifest_text,
            files,
        }) = self.published(service)?
        else {
            return Err(self.unknown_service(service));
        };
        let parsed = parse_manifest(
            Path::new("seam.toml"),
            "seam.toml",
            manifest_text.as_bytes(),
        );
        let Some(theirs) = parsed.manifest else {
            return Err(ErrorData::internal_error(
                format!("{service} {version} has an unreadable seam.toml"),
                None,
            ));
        };
        let p = choose(&theirs, contract, &format!("{service} {version}"))?;
        Ok(Found {
            service: service.into(),
            contract: p.name.value.clone(),
            origin: format!("registry: {service} {version}, {}", p.spec.value),
            main: p.spec.value.clone(),
            files,
        })
    }

    /// The found contract, parsed with its neighbouring files, in a workspace of its own.
    fn open(&self, found: &Found) -> (Workspace, DocId) {
        // Files from the registry are placed under a folder that does not exist, so nothing on disk is read.
        let base = self.state.root.join(".seam-mcp").join(&found.service);
        let mut ws = Workspace::new(WorkspaceOptions {
            root: base.clone(),
            display_base: base.clone(),
            allow_remote_refs: false,
            limits: Limits::default(),
        });
        for (path, content) in &found.files {
            ws.add_virtual_as(&base.join(path), path, content.as_bytes());
        }
        let main = ws.add_virtual_as(&base.join(&found.main), &found.main, b"");
        (ws, main)
    }
}

#[tool_router]
impl SeamMcp {
    /// This service, its partners and (with a registry) every published service. Start here.
    #[tool(annotations(read_only_hint = true))]
    async fn list_services(&self) -> Result<CallToolResult, ErrorData> {
        let this = self.clone();
        blocking(move || {
            let (facts, _) = this.facts()?;
            let partners: Vec<Value> = facts
                .partners
                .iter()
                .map(|p| {
                    json!({
                        "service": p.service,
                        "contract": p.contract,
                        "relation": if p.http { "this service calls it" } else { "this service consumes its events" },
                    })
                })
                .collect();
            let consumers: Option<Vec<Value>> = facts.consumers.as_ref().map(|cs| {
                cs.iter()
                    .map(|c| json!({ "service": c.service, "contract": c.contract, "relation": "consumes this service" }))
                    .collect()
            });
            let mut answer = json!({
                "this_service": { "name": facts.service, "owner": facts.owner,
                                  "provides": facts.provides.iter().map(|p| &p.name).collect::<Vec<_>>() },
                "partners": partners,
                "consumers": consumers,
                "next": "describe_service {service} for one of these; get_contract {service} for a contract outline",
            });
            match this.registry_services() {
                Ok(Some(list)) => {
                    answer["registry"] = Value::Array(
                        list.iter()
                            .map(|s| json!({ "service": s["name"], "owner": s["owner"], "latest": s["latest"] }))
                            .collect(),
                    );
                }
                Ok(None) => {}
                // Local answers stay useful when the registry is down; say why the rest is missing.
                Err(e) => answer["registry_error"] = json!(e.message),
            }
            Ok(text(pretty(&answer)))
        })
        .await
    }

    /// One service: what it provides and consumes, its conventions, who consumes it, migrations in flight.
    #[tool(annotations(read_only_hint = true))]
    async fn describe_service(
        &self,
        Parameters(ServiceArg { service }): Parameters<ServiceArg>,
    ) -> Result<CallToolResult, ErrorData> {
        let this = self.clone();
        blocking(move || {
            let (facts, _) = this.facts()?;
            if service == facts.service {
                return Ok(text(pretty(&serde_json::to_value(&facts).unwrap_or_default())));
            }
            let partner: Vec<&crate::facts::Partner> =
                facts.partners.iter().filter(|p| p.service == service).collect();
            let published = if partner.is_empty() {
                this.published(&service)?
            } else {
                this.published(&service).ok().flatten()
            };
            if partner.is_empty() && published.is_none() {
                return Err(this.unknown_service(&service));
            }
            let mut answer = json!({ "service": service });
            if !partner.is_empty() {
                answer["as_seen_from_this_service"] = serde_json::to_value(&partner).unwrap_or_default();
            }
            if let Some(Published {
                version,
                manifest: manifest_text,
                ..
            }) = published
            {
                let parsed = parse_manifest(Path::new("seam.toml"), "seam.toml", manifest_text.as_bytes());
                if let Some(m) = parsed.manifest {
                    answer["registry"] = json!({
                        "version": version,
                        "owner": m.owner.as_ref().map(|o| &o.value),
                        "provides": m.provided_contracts().map(|p| json!({"name": p.name.value, "spec": p.spec.value})).collect::<Vec<_>>(),
                        "consumes": m.consumed_contracts().map(|c| json!({"service": c.service.value, "contract": c.contract.value})).collect::<Vec<_>>(),
                    });
                }
            }
            answer["next"] = json!("get_contract {service, contract} for an outline, then {operation} or {message}");
            Ok(text(pretty(&answer)))
        })
        .await
    }

    /// A contract: its outline (operations or messages), or one operation (`operation`) or message (`message`).
    /// The whole text is the resource named in the answer.
    #[tool(annotations(read_only_hint = true))]
    async fn get_contract(
        &self,
        Parameters(args): Parameters<ContractArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let this = self.clone();
        blocking(move || {
            let found = this.find(&args.service, args.contract.as_deref())?;
            let (ws, doc) = this.open(&found);
            let Some(root) = ws.doc(doc).root.as_ref() else {
                return Err(ErrorData::internal_error(format!("{} does not parse", found.origin), None));
            };
            let ops = operations(&ws, doc);
            let msgs = messages(&ws, doc);
            if let Some(wanted) = &args.operation {
                let Some(op) = ops.iter().find(|o| o.operation_id() == Some(wanted.as_str())) else {
                    let ids: Vec<&str> = ops.iter().filter_map(|o| o.operation_id()).collect();
                    return Err(invalid(format!(
                        "{} has no operation `{wanted}`; its operations: {}",
                        found.contract,
                        ids.join(", ")
                    )));
                };
                return Ok(text(pretty(&json!({
                    "operation": wanted,
                    "method": op.method.to_uppercase(),
                    "path": op.path,
                    "definition": op.node.to_json(),
                    "from": found.origin,
                }))));
            }
            if let Some(wanted) = &args.message {
                let wanted_ref = seamline_model::MessageRef::parse(wanted);
                // The versions this service accepts, when it consumes the contract (from its seam.toml).
                let accepted: Vec<Option<u32>> = this
                    .facts()
                    .ok()
                    .map(|(_, manifest)| {
                        manifest
                            .consumes_events
                            .iter()
                            .filter(|e| e.service.value == found.service && e.contract.value == found.contract)
                            .flat_map(|e| e.messages.iter())
                            .filter(|m| m.value.name == wanted_ref.name)
                            .map(|m| m.value.version)
                            .collect()
                    })
                    .unwrap_or_default();
                let mut versions: Vec<&seamline_model::Message<'_>> =
                    msgs.iter().filter(|m| m.name == wanted_ref.name).collect();
                versions.sort_by_key(|m| m.version);
                // A version asked for; else the newest this service accepts; else the newest there is.
                let chosen = match wanted_ref.version {
                    Some(v) => versions.iter().find(|m| m.version == Some(v)),
                    None => versions
                        .iter()
                        .rev()
                        .find(|m| accepted.iter().any(|a| a.is_none() || *a == m.version))
                        .or(versions.last()),
                };
                let Some(m) = chosen.copied() else {
                    let ids: Vec<String> = msgs.iter().map(|m| m.id()).collect();
                    return Err(invalid(format!(
                        "{} has no message `{wanted}`; its messages: {}",
                        found.contract,
                        ids.join(", ")
                    )));
                };
                let ids = |vs: &mut dyn Iterator<Item = Option<u32>>| -> Vec<String> {
                    vs.map(|v| seamline_model::MessageRef { name: wanted_ref.name.clone(), version: v }.to_string())
                        .collect()
                };
                return Ok(text(pretty(&json!({
                    "message": m.id(),
                    "versions_in_contract": ids(&mut versions.iter().map(|m| m.version)),
                    "this_service_accepts": (!accepted.is_empty()).then(|| ids(&mut accepted.iter().copied())),
                    "definition": m.node.to_json(),
                    "payload": m.payload.as_ref().map(|(_, _, p)| p.to_json()),
                    "from": found.origin,
                }))));
            }
            let kind = detect_kind(root);
            Ok(text(pretty(&json!({
                "service": found.service,
                "contract": found.contract,
                "kind": kind.label(),
                "title": root.pointer("/info/title").and_then(|t| t.as_str()),
                "version": root.pointer("/info/version").and_then(|t| t.as_str()),
                "operations": ops.iter().map(|o| json!({
                    "operationId": o.operation_id(), "method": o.method.to_uppercase(), "path": o.path,
                })).collect::<Vec<_>>(),
                "messages": msgs.iter().map(|m| m.id()).collect::<Vec<_>>(),
                "from": found.origin,
                "full_text": contract_uri(&found.service, &found.contract),
            }))))
        })
        .await
    }

    /// Checks a proposed new text of a contract this service provides: every change, and which recorded
    /// consumers it would break.
    #[tool(annotations(read_only_hint = true))]
    async fn check_contract_change(
        &self,
        Parameters(args): Parameters<ChangeArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let this = self.clone();
        blocking(move || {
            let (facts, _) = this.facts()?;
            let current = this.find(&facts.service, Some(&args.contract))?;
            let (old_ws, old) = this.open(&current);
            // The proposed text replaces the main file; the files beside it stay, for its `$ref`s.
            let mut files: Vec<(String, String)> =
                current.files.iter().filter(|(path, _)| *path != current.main).cloned().collect();
            files.push((current.main.clone(), args.proposed.clone()));
            let proposed = Found {
                files,
                origin: "proposed".into(),
                service: current.service.clone(),
                contract: current.contract.clone(),
                main: current.main.clone(),
            };
            let (new_ws, new) = this.open(&proposed);
            // A side that cannot be judged is an answer of its own, never an empty list of changes.
            let changes = match seamline_diff::diff_documents(&old_ws, old, &new_ws, new, &Default::default()) {
                Ok(changes) => changes,
                Err(cannot) => {
                    let reasons = |side: &[seamline_model::Unreadable]| {
                        side.iter().map(|u| json!({"file": u.file, "line": u.line, "reason": u.reason})).collect::<Vec<_>>()
                    };
                    return Ok(text(pretty(&json!({
                        "contract": args.contract,
                        "verdict": "cannot judge",
                        "compatible": false,
                        "summary": cannot.to_string(),
                        "proposed": reasons(&cannot.new),
                        "current": reasons(&cannot.old),
                        "note": "fix the text (every problem is listed) and check again; nothing about the change is known until both sides can be read",
                    }))));
                }
            };
            let breaking: Vec<&seamline_diff::Change> =
                changes.iter().filter(|c| c.level == seamline_diff::Level::Breaking).collect();
            let consumers = facts.consumers.as_ref().map(|cs| {
                cs.iter()
                    .filter(|c| c.contract == args.contract)
                    .map(|c| {
                        let hits: Vec<String> = breaking
                            .iter()
                            .filter(|b| b.usage.used_by(&c.uses))
                            .map(|b| format!("{} {}: {}", b.subject, b.path, b.message))
                            .collect();
                        json!({ "consumer": c.service, "breaks": !hits.is_empty(), "because": hits })
                    })
                    .collect::<Vec<_>>()
            });
            let answer = json!({
                "contract": args.contract,
                "changes": changes.iter().map(|c| json!({
                    "level": c.level.as_str(), "check": c.check.id, "subject": c.subject, "path": c.path, "message": c.message,
                })).collect::<Vec<_>>(),
                "verdict": if breaking.is_empty() { "no breaking change" } else { "breaking" },
                "breaking": breaking.len(),
                "consumers": consumers,
                "note": if facts.consumers.is_none() {
                    "consumers are not recorded in seam.lock (`seam pull` with a registry records them): treat every breaking change as breaking someone"
                } else {
                    "consumers as recorded in seam.lock at the last `seam pull`"
                },
            });
            Ok(text(pretty(&answer)))
        })
        .await
    }

    /// Schema migrations (`seam migrate`) this service takes part in: the phase each is at, what keeps the next
    /// gate shut, the evidence, and this service's duty now. From the registry when one is configured, else as
    /// `seam pull` last recorded them in seam.lock.
    #[tool(annotations(read_only_hint = true))]
    async fn migration_status(
        &self,
        Parameters(args): Parameters<MigrationArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let this = self.clone();
        blocking(move || {
            let (facts, manifest) = this.facts()?;
            let mut answer = json!({});
            if let Some(catalog) = &this.state.catalog {
                match registry_migrations(catalog.as_ref(), &manifest, &args) {
                    Ok(Ok(mut found)) => {
                        found["source"] = json!(format!("the registry at {}", catalog.location()));
                        return Ok(text(pretty(&found)));
                    }
                    Ok(Err(not_found)) => return Err(invalid(not_found)),
                    // Say why, and answer from seam.lock.
                    Err(e) => answer["registry_error"] = json!(e),
                }
            }
            let wanted = |line: &&String| {
                args.message
                    .as_ref()
                    .is_none_or(|m| line.starts_with(&format!("`{m}`")))
            };
            let recorded = facts.migrations.iter().filter(wanted).collect::<Vec<_>>();
            answer["source"] = json!(
                "seam.lock at the last `seam pull` (migrations the registry runs) and seam.toml (versions in flight)"
            );
            answer["migrations"] = json!(recorded);
            Ok(text(pretty(&answer)))
        })
        .await
    }

    /// Works backward from failing requests in a trace file to the service and span that caused them, using
    /// this service's expectations (what it publishes after what).
    #[tool(annotations(read_only_hint = true))]
    async fn diagnose_trace(
        &self,
        Parameters(args): Parameters<TraceArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let this = self.clone();
        blocking(move || {
            let path = this.state.root.join(&args.file);
            let bytes = std::fs::read(&path)
                .map_err(|e| invalid(format!("cannot read `{}`: {e}", args.file)))?;
            let (_, manifest) = this.facts()?;
            let mut expectations = seamline_trace::Expectations::default();
            expectations.add_manifest(&manifest);
            // The partners' manifests from the registry, when there is one; this service's own file wins.
            let mut context = String::new();
            if let Some(catalog) = &this.state.catalog {
                match partner_manifests(catalog.as_ref(), args.environment.as_deref()) {
                    Ok(partners) => {
                        let mut read = 0;
                        for (service, version, text) in partners {
                            if service == manifest.name.value {
                                continue;
                            }
                            let shown = format!("registry {service} {version}: seam.toml");
                            let parsed = seamline_model::parse_manifest(Path::new("seam.toml"), &shown, text.as_bytes());
                            if let Some(partner) = parsed.manifest.filter(|_| parsed.problems.is_empty()) {
                                expectations.add_manifest(&partner);
                                read += 1;
                            }
                        }
                        context = format!(
                            "\n\n_Partners' expectations: {read} seam.toml from the registry at {} ({})._",
                            catalog.location(),
                            args.environment.as_deref().map_or("latest versions".into(), |e| format!("deployed in {e}"))
                        );
                    }
                    Err(e) => {
                        context = format!(
                            "\n\n_The registry could not be read ({e}); only this service's seam.toml was used, so \
                             what its partners should do is unknown._"
                        );
                    }
                }
            }
            let mut engine = seamline_trace::Engine::new(seamline_trace::Config {
                expectations,
                ..Default::default()
            });
            let mut reader = seamline_trace::read::Reader::default();
            reader.read_bytes(&args.file, &bytes, Default::default(), &mut engine);
            if reader.report.spans == 0 {
                return Err(invalid(format!(
                    "`{}` holds no spans seam can read (OTLP/JSON, OTLP/protobuf or Jaeger JSON)",
                    args.file
                )));
            }
            let report = engine.finish(&reader.report);
            let rendered = seamline_trace::render::render_markdown(
                &report,
                seamline_trace::render::RenderOptions { all: false },
                Some(args.max_tokens.unwrap_or(2000)),
            );
            Ok(text(rendered + &context))
        })
        .await
    }
}

/// The registry's answer to `migration_status`: `Ok(Err(_))` when no migration matches the arguments (a mistake
/// of the caller's), `Err(_)` when the registry cannot be read.
fn registry_migrations(
    catalog: &dyn Catalog,
    manifest: &Manifest,
    args: &MigrationArgs,
) -> Result<Result<Value, String>, String> {
    let all = catalog.get("/api/v1/migrations")?;
    let field = |m: &Value, key: &str| m[key].as_str().unwrap_or_default().to_owned();
    let ours: Vec<&Value> = all
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| {
            manifest.takes_part_in(
                &field(m, "service"),
                &field(m, "contract"),
                &field(m, "message"),
            )
        })
        .filter(|m| {
            args.service
                .as_ref()
                .is_none_or(|s| m["service"] == s.as_str())
        })
        .collect();
    let duty = |m: &Value| {
        let (from, to) = (
            m["from"].as_u64().unwrap_or(0),
            m["to"].as_u64().unwrap_or(0),
        );
        let (message, state) = (field(m, "message"), field(m, "state"));
        let (role, duty) = migration_duty(
            manifest,
            &field(m, "service"),
            &field(m, "contract"),
            seamline_model::MigrationState {
                message: &message,
                from: u32::try_from(from).unwrap_or(0),
                to: u32::try_from(to).unwrap_or(0),
                phase: u8::try_from(m["phase"].as_u64().unwrap_or(1)).unwrap_or(1),
                state: &state,
            },
        );
        json!({ "role": role, "duty": duty })
    };
    let Some(message) = &args.message else {
        let list: Vec<Value> = ours
            .iter()
            .filter(|m| m["state"] == "active")
            .map(|m| {
                json!({
                    "service": m["service"], "contract": m["contract"], "message": m["message"],
                    "from": m["from"], "to": m["to"], "phase": m["phase"],
                    "phase_name": seamline_model::phase_name(u8::try_from(m["phase"].as_u64().unwrap_or(1)).unwrap_or(1)),
                    "this_service": duty(m),
                })
            })
            .collect();
        return Ok(Ok(json!({
            "migrations": list,
            "next": "migration_status {message} for one migration's gates, evidence and every party's duty",
        })));
    };
    // The message's migration: the active one first (the registry lists those first), else the latest.
    let Some(found) = ours.iter().find(|m| m["message"] == message.as_str()) else {
        let named: Vec<String> = ours.iter().map(|m| field(m, "message")).collect();
        return Ok(Err(format!(
            "no migration of `{message}` involves this service; those that do: {}",
            if named.is_empty() {
                "none".into()
            } else {
                named.join(", ")
            }
        )));
    };
    let status = catalog.get(&format!(
        "/api/v1/migrations/{}/{}",
        seamline_model::path_segment(&field(found, "service")),
        seamline_model::path_segment(message)
    ))?;
    Ok(Ok(json!({ "this_service": duty(found), "status": status })))
}

/// The contract `contract` among those `manifest` provides, or its only one when none is named; `who` names
/// the service in the error.
fn choose<'m>(
    manifest: &'m Manifest,
    contract: Option<&str>,
    who: &str,
) -> Result<&'m seamline_model::ProvidedContract, ErrorData> {
    let provided: Vec<_> = manifest.provided_contracts().collect();
    let chosen = match contract {
        Some(name) => provided.iter().find(|p| p.name.value == name),
        None if provided.len() == 1 => provided.first(),
        None => None,
    };
    chosen.copied().ok_or_else(|| {
        let names: Vec<&str> = provided.iter().map(|p| p.name.value.as_str()).collect();
        invalid(format!(
            "{who} provides {}; name one as `contract`",
            if names.is_empty() {
                "no contract".into()
            } else {
                names.join(", ")
            }
        ))
    })
}

/// Runs blocking work (files, the registry's HTTP client) off the async workers.
async fn blocking<F>(work: F) -> Result<CallToolResult, ErrorData>
where
    F: FnOnce() -> Result<CallToolResult, ErrorData> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ErrorData::internal_error(format!("the tool failed: {e}"), None))?
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for SeamMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().enable_resources().build())
            .with_server_info(Implementation::new("seam", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Seamline: the integration context of this service. Start with list_services, then \
                 describe_service and get_contract (an outline first, then one operation or message). Before \
                 changing a contract this service provides, call check_contract_change. For a failing request, \
                 diagnose_trace on a trace file. For a message moving to a new version, migration_status. \
                 Contracts are also resources: seam://contracts/{service}/{contract}.",
            )
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let (facts, _) = self.facts()?;
        let mut list = Vec::new();
        for p in &facts.provides {
            list.push(
                Resource::new(
                    contract_uri(&facts.service, &p.name),
                    format!("{} {}", facts.service, p.name),
                )
                .with_description(format!(
                    "{} ({}), provided by this service",
                    p.file, p.protocol
                ))
                .with_mime_type(mime(&p.file)),
            );
        }
        for p in &facts.partners {
            list.push(
                Resource::new(
                    contract_uri(&p.service, &p.contract),
                    format!("{} {}", p.service, p.contract),
                )
                .with_description(format!("{} (vendored copy)", p.file))
                .with_mime_type(mime(&p.file)),
            );
        }
        Ok(ListResourcesResult::with_all_items(list))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new("seam://contracts/{service}/{contract}", "contract")
                .with_description(
                    "A contract's whole text: this service's, a vendored copy, or the registry's latest",
                ),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri;
        let parts: Vec<&str> = uri
            .strip_prefix("seam://contracts/")
            .map(|rest| rest.split('/').collect())
            .unwrap_or_default();
        let [service, contract] = parts[..] else {
            return Err(ErrorData::resource_not_found(
                format!(
                    "`{uri}` is not a contract; the form is seam://contracts/{{service}}/{{contract}}"
                ),
                None,
            ));
        };
        let this = self.clone();
        let (service, contract) = (service.to_owned(), contract.to_owned());
        let found = tokio::task::spawn_blocking(move || this.find(&service, Some(&contract)))
            .await
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))??;
        let body = found
            .files
            .iter()
            .find(|(p, _)| *p == found.main)
            .map(|(_, t)| t.clone())
            .unwrap_or_default();
        let mut contents = ResourceContents::text(body, uri.clone());
        if let ResourceContents::TextResourceContents { mime_type, .. } = &mut contents {
            *mime_type = Some(mime(&found.main).into());
        }
        Ok(ReadResourceResult::new(vec![contents]).into())
    }
}

/// Serves over standard input and output until the client closes them.
pub async fn serve_stdio(server: SeamMcp) -> Result<(), String> {
    use rmcp::ServiceExt as _;
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| e.to_string())?;
    running.waiting().await.map_err(|e| e.to_string())?;
    Ok(())
}

/// Serves streamable HTTP at `/mcp` on `listener` until `shutdown` completes. Requests must name one of
/// `allowed_hosts` in their `Host` header (loopback names when empty), which keeps other web pages from
/// reaching a local server through DNS rebinding.
pub async fn serve_http(
    server: SeamMcp,
    listener: tokio::net::TcpListener,
    allowed_hosts: Vec<String>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use rmcp::transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
    };
    let stop = tokio_util::sync::CancellationToken::new();
    let mut config =
        StreamableHttpServerConfig::default().with_cancellation_token(stop.child_token());
    if !allowed_hosts.is_empty() {
        config = config.with_allowed_hosts(allowed_hosts);
    }
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        LocalSessionManager::default().into(),
        config,
    );
    let app = axum::Router::new().nest_service("/mcp", service);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            stop.cancel();
        })
        .await
}

fn mime(path: &str) -> &'static str {
    if path.ends_with(".json") {
        "application/json"
    } else {
        "application/yaml"
    }
}

/// `rel` (a file below `root`) and every file below `root` its `$ref`s reach, as (path relative to `root`, text).
fn with_references(root: &Path, rel: &str) -> Vec<(String, String)> {
    let base = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let mut ws = Workspace::new(WorkspaceOptions {
        root: base.clone(),
        display_base: base.clone(),
        allow_remote_refs: false,
        limits: Limits::default(),
    });
    let main = ws.load_with_refs(&base.join(rel));
    let mut files = vec![(rel.to_owned(), ws.doc(main).source.text().to_owned())];
    for (id, doc) in ws.docs() {
        if id == main || doc.io_error.is_some() {
            continue;
        }
        if let Ok(path) = doc.path.strip_prefix(&base) {
            let path = path
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            files.push((path, doc.source.text().to_owned()));
        }
    }
    files
}
