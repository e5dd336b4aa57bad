//! The web UI: server-rendered HTML (maud escapes every value), no scripts, one small stylesheet. Pages: the
//! services, one service, a diff between two versions, the dependency graph, the environments, the
//! can-i-deploy matrix, and the migrations (`migrations.rs`). Reads follow the API's rule: public, or a bearer
//! token when reads are private.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{DOCTYPE, Markup, html};
use seamline_model::civil::rfc3339;
use serde::Deserialize;

use crate::api::{ApiError, App, may_read};
use crate::store::{Edge, StoreError};

mod migrations;

pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/", get(services))
        .route("/services/{service}", get(service))
        .route("/services/{service}/diff", get(diff))
        .route("/graph", get(graph))
        .route("/graph.svg", get(graph_svg))
        .route("/environments", get(environments))
        .route("/matrix", get(matrix))
        .route("/migrations", get(migrations::migrations))
        .route(
            "/migrations/{service}/{message}",
            get(migrations::migration),
        )
        .route_layer(axum::middleware::from_fn(checked))
}

/// Every page: names in the path and the query are checked as the API checks them (a NUL in a name never
/// reaches the database), and a request axum could not take (a path that is not UTF-8, a malformed query)
/// answers an HTML page rather than axum's plain text.
async fn checked(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use axum::extract::{FromRequestParts as _, RawPathParams};
    let (mut parts, body) = request.into_parts();
    let names = match RawPathParams::from_request_parts(&mut parts, &()).await {
        Ok(params) => params
            .iter()
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect::<Vec<_>>(),
        Err(rejection) => {
            return PageError(rejection.status(), rejection.body_text()).into_response();
        }
    };
    let query = match Query::<Vec<(String, String)>>::try_from_uri(&parts.uri) {
        Ok(Query(query)) => query,
        Err(rejection) => {
            return PageError(rejection.status(), rejection.body_text()).into_response();
        }
    };
    for (key, value) in names.iter().chain(&query) {
        let what = match key.as_str() {
            "service" | "after" => "service name",
            "version" | "from" | "to" | "before" => "version",
            _ => continue,
        };
        if let Err(detail) = crate::check_name(what, value) {
            return PageError(StatusCode::BAD_REQUEST, detail).into_response();
        }
    }
    // Message names are free text, as the API takes them: a NUL or another control character never reaches the
    // database either.
    for (_, message) in names.iter().filter(|(key, _)| key == "message") {
        if message.is_empty()
            || message.chars().count() > 256
            || message.chars().any(char::is_control)
        {
            let detail = "a message name is 1 to 256 characters, none of them control characters";
            return PageError(StatusCode::BAD_REQUEST, detail.into()).into_response();
        }
    }
    let response = next
        .run(axum::extract::Request::from_parts(parts, body))
        .await;
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    if !(response.status().is_client_error() && plain) {
        return response;
    }
    // An extractor's rejection: its text, on a page.
    let status = response.status();
    let text = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    PageError(status, String::from_utf8_lossy(&text).into_owned()).into_response()
}

/// A page that could not be shown: the status and why, as HTML.
pub(crate) struct PageError(StatusCode, String);

impl From<ApiError> for PageError {
    fn from(err: ApiError) -> PageError {
        let (status, detail) = err.parts();
        PageError(status, detail)
    }
}

impl From<StoreError> for PageError {
    fn from(err: StoreError) -> PageError {
        ApiError::from(err).into()
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = self.0.canonical_reason().unwrap_or("Error");
        let body = page(title, html! { p class="error" { (self.1) } });
        let mut response = (self.0, body).into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

type Page = Result<Markup, PageError>;

const STYLE: &str = "
body { font-family: system-ui, sans-serif; margin: 0; color: #1d2733; background: #fbfcfd; }
header { background: #1d2733; padding: .6rem 1.2rem; display: flex; gap: 1.4rem; align-items: baseline; }
header a { color: #e8eef6; text-decoration: none; } header a.brand { font-weight: 700; }
main { padding: 1rem 1.2rem 3rem; max-width: 78rem; }
table { border-collapse: collapse; margin: .6rem 0 1.2rem; }
th, td { text-align: left; padding: .3rem .7rem; border-bottom: 1px solid #dde3ea; vertical-align: top; }
th { background: #eef2f6; font-weight: 600; }
a { color: #2857a4; } code, pre { font-family: ui-monospace, monospace; font-size: .9em; }
pre { background: #f1f4f7; padding: .7rem; overflow: auto; max-height: 30rem; }
.muted { color: #66737f; } .error { color: #a3221b; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: .6rem; font-size: .85em; }
.breaking, .no { background: #fbe3e1; color: #8c1d16; } .warning { background: #fdf1d8; color: #7a5206; }
.info, .yes { background: #e2f3e6; color: #1f6b35; }
.graph { background: white; border: 1px solid #dde3ea; }
ol.stepper { list-style: none; display: flex; flex-wrap: wrap; gap: .5rem; padding: 0; margin: .6rem 0 1.2rem; }
ol.stepper li { background: white; border: 1px solid #dde3ea; border-radius: .4rem; padding: .45rem .8rem; min-width: 11rem; }
ol.stepper li.reached { border-color: #1f6b35; } ol.stepper li.next { border: 2px solid #2857a4; }
ol.stepper .number { display: inline-block; min-width: 1.4rem; font-weight: 700; }
.progress { font-size: .85em; color: #66737f; } details.blockers summary { cursor: pointer; }
";

fn page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Seamline registry" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body {
                header {
                    a.brand href="/" { "Seamline registry" }
                    a href="/" { "Services" }
                    a href="/graph" { "Graph" }
                    a href="/environments" { "Environments" }
                    a href="/matrix" { "Matrix" }
                    a href="/migrations" { "Migrations" }
                    a href="/openapi.json" { "API" }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
}

fn when(ms: i64) -> String {
    let text = rfc3339(u64::try_from(ms).unwrap_or(0) * 1_000_000);
    text.replacen('T', " ", 1)
        .trim_end_matches('Z')
        .rsplit_once('.')
        .map_or(text.clone(), |(s, _)| format!("{s} UTC"))
}

/// The first `chars` characters of `text`: a commit id or a hash shortened for a table cell. By characters, not
/// bytes, so text stored before it was checked cannot make a page panic.
fn prefix(text: &str, chars: usize) -> &str {
    text.char_indices()
        .nth(chars)
        .map_or(text, |(end, _)| &text[..end])
}

/// A name as a query value: `+` would read as a space.
fn query_value(value: &str) -> String {
    value.replace('+', "%2B")
}

fn service_link(name: &str) -> Markup {
    html! { a href={"/services/" (name)} { (name) } }
}

fn yes_no(ok: bool) -> Markup {
    html! {
        @if ok { span.badge.yes { "deployable" } } @else { span.badge.no { "not deployable" } }
    }
}

/// How many services the services page lists; `?after=NAME` shows the ones after.
const SERVICES_SHOWN: u32 = 100;

#[derive(Deserialize)]
struct ServicesQuery {
    after: Option<String>,
}

async fn services(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<ServicesQuery>,
) -> Page {
    may_read(&app, &headers).await?;
    // One more than shown, to know whether a next page exists.
    let mut list = app
        .store
        .services_after(q.after.as_deref(), SERVICES_SHOWN + 1)
        .await?;
    let more = list.len() > SERVICES_SHOWN as usize;
    list.truncate(SERVICES_SHOWN as usize);
    let next_page = list
        .last()
        .filter(|_| more)
        .map(|s| format!("/?after={}", query_value(&s.name)));
    // Only the edges of the services shown.
    let edges = match list.last() {
        Some(last) => {
            let after = q.after.as_deref().unwrap_or_default();
            app.store.edges_of_range(after, &last.name).await?
        }
        None => Vec::new(),
    };
    // Each service's rows of the two columns, found once rather than by a pass over every edge per service.
    let mut consumes: HashMap<&str, Vec<&Edge>> = HashMap::new();
    let mut consumed_by: HashMap<&str, Vec<&Edge>> = HashMap::new();
    for e in &edges {
        consumes.entry(&e.consumer).or_default().push(e);
        consumed_by.entry(&e.provider).or_default().push(e);
    }
    Ok(page(
        "Services",
        html! {
            @if list.is_empty() && q.after.is_none() {
                p.muted { "Nothing published yet: run " code { "seam publish" } " in a service repository." }
            } @else {
                @if let Some(after) = &q.after { p.muted { "Services after " code { (after) } ", by name." } }
                table #services {
                    tr { th { "Service" } th { "Owner" } th { "Latest" } th { "Versions" } th { "Consumes" } th { "Consumed by" } }
                    @for s in &list {
                        tr data-service=(s.name) {
                            td { (service_link(&s.name)) }
                            td { (s.owner.as_deref().unwrap_or("—")) }
                            td { code { (s.latest.as_deref().unwrap_or("—")) } }
                            td { (s.versions) }
                            td {
                                @for e in consumes.get(s.name.as_str()).into_iter().flatten() {
                                    (service_link(&e.provider)) " " span.muted { "(" (e.contract) ")" } br;
                                }
                            }
                            td {
                                @for e in consumed_by.get(s.name.as_str()).into_iter().flatten() {
                                    (service_link(&e.consumer)) " " span.muted { "(" (e.contract) ")" } br;
                                }
                            }
                        }
                    }
                }
                @if let Some(next) = &next_page {
                    p { a rel="next" href=(next) { "More services" } }
                }
            }
        },
    ))
}

/// How many versions a service page lists; `?before=VERSION` shows the page after.
const VERSIONS_SHOWN: u32 = 50;

#[derive(Deserialize)]
struct ServiceQuery {
    before: Option<String>,
}

async fn service(
    State(app): State<App>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<ServiceQuery>,
) -> Page {
    may_read(&app, &headers).await?;
    let summary = app.store.service(&name).await?;
    let Some((latest, owner)) = summary.and_then(|s| Some((s.latest?, s.owner))) else {
        return Err(PageError(
            StatusCode::NOT_FOUND,
            format!("{name} has published no version"),
        ));
    };
    // One more than shown: the last one shown links to its changes since the next.
    let mut versions = app
        .store
        .versions(&name, q.before.as_deref(), VERSIONS_SHOWN + 1)
        .await?;
    let older = (versions.len() > VERSIONS_SHOWN as usize)
        .then(|| versions.pop())
        .flatten();
    let next_page = versions
        .last()
        .filter(|_| older.is_some())
        .map(|v| format!("/services/{name}?before={}", query_value(&v.version)));
    let stored =
        app.store
            .version(&name, &latest)
            .await?
            .ok_or_else(|| StoreError::UnknownVersion {
                service: name.clone(),
                version: latest.clone(),
            })?;
    let manifest = seamline_model::parse_manifest(
        std::path::Path::new("seam.toml"),
        "seam.toml",
        stored.manifest.as_bytes(),
    )
    .manifest;
    let consumers = app.store.consumers_of(&name).await?;
    let deployments = app.store.deployments_of(&name).await?;
    // A registry runs few migrations: the producer's are picked from all of them.
    let mut migrating = app.store.migrations().await?;
    migrating.retain(|m| m.service == name);
    let provided: Vec<(String, String, &str)> = manifest
        .as_ref()
        .map(|m| {
            let http = m.provides_http.iter().map(|p| (p, "HTTP"));
            let events = m.provides_events.iter().map(|p| (p, "events"));
            http.chain(events)
                .map(|(p, kind)| (p.name.value.clone(), p.spec.value.clone(), kind))
                .collect()
        })
        .unwrap_or_default();
    let consumed: Vec<(String, String, String)> = manifest
        .as_ref()
        .map(|m| {
            let http = m.consumes_http.iter().map(|c| {
                let ops: Vec<&str> = c.operations.iter().map(|o| o.value.as_str()).collect();
                (
                    c.service.value.clone(),
                    c.contract.value.clone(),
                    ops.join(", "),
                )
            });
            let events = m.consumes_events.iter().map(|c| {
                let msgs: Vec<String> = c.messages.iter().map(|m| m.value.to_string()).collect();
                (
                    c.service.value.clone(),
                    c.contract.value.clone(),
                    msgs.join(", "),
                )
            });
            http.chain(events).collect()
        })
        .unwrap_or_default();
    Ok(page(
        &name,
        html! {
            p { "Owner: " strong { (owner.as_deref().unwrap_or("—")) } " · latest version " code { (latest) }
                " · " a href={"/matrix?service=" (query_value(&name)) "&version=" (query_value(&latest))} { "can it deploy?" } }
            h2 { "Provides" }
            @if provided.is_empty() { p.muted { "No contracts." } }
            table #provides {
                tr { th { "Contract" } th { "Kind" } th { "File" } th { "Consumed by" } }
                @for (contract, spec, kind) in &provided {
                    tr {
                        td { (contract) } td { (kind) } td { code { (spec) } }
                        td {
                            @for (consumer, _, _) in consumers.iter().filter(|(_, _, c)| c == contract) {
                                (service_link(consumer)) br;
                            }
                        }
                    }
                }
            }
            (migrations::of_service(&migrating))
            h2 { "Consumes" }
            @if consumed.is_empty() { p.muted { "Nothing." } }
            table #consumes {
                tr { th { "Provider" } th { "Contract" } th { "Uses" } }
                @for (provider, contract, uses) in &consumed {
                    tr { td { (service_link(provider)) } td { (contract) } td { (uses) } }
                }
            }
            h2 { "Deployed" }
            @if deployments.is_empty() { p.muted { "Not deployed anywhere." } }
            table #deployed {
                tr { th { "Environment" } th { "Version" } th { "Since" } }
                @for d in &deployments {
                    tr { td { (d.environment) } td { code { (d.version) } } td { (when(d.deployed_ms)) } }
                }
            }
            h2 { "Versions" }
            table #versions {
                tr { th { "Version" } th { "Published" } th { "Commit" } th { "Branch" } th { "Content" } th {} }
                @for (i, v) in versions.iter().enumerate() {
                    tr {
                        td { code { (v.version) } }
                        td { (when(v.created_ms)) }
                        td { code { (v.git_commit.as_deref().map_or("—", |c| prefix(c, 12))) } }
                        td { (v.branch.as_deref().unwrap_or("—")) }
                        td { code.muted { (prefix(&v.content_hash, 12)) } }
                        td {
                            @if let Some(older) = versions.get(i + 1).or(older.as_ref()) {
                                a href={"/services/" (name) "/diff?from=" (query_value(&older.version)) "&to=" (query_value(&v.version))} { "changes since " (older.version) }
                            }
                        }
                    }
                }
            }
            @if let Some(next) = &next_page {
                p { a rel="next" href=(next) { "Older versions" } }
            }
            h2 { "Contracts of " code { (latest) } }
            @for (path, content, _) in &stored.contracts {
                details { summary { code { (path) } } pre { (content) } }
            }
        },
    ))
}

#[derive(Deserialize)]
struct DiffQuery {
    from: Option<String>,
    to: Option<String>,
}

async fn diff(
    State(app): State<App>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Page {
    may_read(&app, &headers).await?;
    let versions = app.store.versions(&name, None, 2).await?;
    let pick = |given: Option<String>, index: usize| {
        given.or_else(|| versions.get(index).map(|v| v.version.clone()))
    };
    let (Some(from), Some(to)) = (pick(q.from, 1), pick(q.to, 0)) else {
        return Err(PageError(
            StatusCode::NOT_FOUND,
            format!("{name} needs two published versions to compare"),
        ));
    };
    let contracts = app.store.diff_versions(&name, &from, &to).await?;
    Ok(page(
        &format!("{name}: {from} → {to}"),
        html! {
            p { (service_link(&name)) ", every provided contract compared; levels are for consumers in general (the deploy gate judges each consumer on what it uses)." }
            @for c in &contracts {
                h2 { (c.contract) " " span.muted { code { (c.path) } } }
                @if let Some(why) = &c.cannot_judge {
                    p.cannot-judge { span.badge.no { "cannot judge" } " " (why) }
                } @else if let Some(note) = &c.note {
                    p.muted { (note) }
                } @else if c.changes.is_empty() {
                    p.muted { "No change." }
                } @else {
                    table.changes data-contract=(c.contract) {
                        tr { th { "Level" } th { "Check" } th { "Where" } th { "Change" } }
                        @for change in &c.changes {
                            tr {
                                td { span class={"badge " (change.level.as_str())} { (change.level.as_str()) } }
                                td { code { (change.check.id) } }
                                td { (change.subject) @if !change.path.is_empty() { br; span.muted { (change.path) } } }
                                td { (change.message) }
                            }
                        }
                    }
                }
            }
        },
    ))
}

/// The dependency graph as SVG, drawn again only when a version was published since it was last drawn.
async fn graph_parts(app: &App) -> Result<Markup, PageError> {
    let stamp = app.store.services_stamp().await?;
    if let Ok(drawn) = app.graph.lock()
        && let Some((at, svg)) = drawn.as_ref()
        && *at == stamp
    {
        return Ok(maud::PreEscaped(svg.clone()));
    }
    let services: Vec<String> = app
        .store
        .services()
        .await?
        .into_iter()
        .map(|s| s.name)
        .collect();
    let edges = app.store.edges().await?;
    let svg = crate::graph::render(&services, &edges).into_string();
    if let Ok(mut drawn) = app.graph.lock() {
        *drawn = Some((stamp, svg.clone()));
    }
    Ok(maud::PreEscaped(svg))
}

async fn graph(State(app): State<App>, headers: HeaderMap) -> Page {
    may_read(&app, &headers).await?;
    let svg = graph_parts(&app).await?;
    Ok(page(
        "Dependency graph",
        html! {
            p.muted { "Each arrow goes from a consumer to its provider, as the latest published versions say. Dashed: consumed but never published. Also as " a href="/graph.svg" { "an SVG file" } "." }
            (svg)
        },
    ))
}

async fn graph_svg(State(app): State<App>, headers: HeaderMap) -> Result<Response, PageError> {
    may_read(&app, &headers).await?;
    let svg = graph_parts(&app).await?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg.into_string()).into_response())
}

async fn environments(State(app): State<App>, headers: HeaderMap) -> Page {
    may_read(&app, &headers).await?;
    let envs = app.store.environments().await?;
    let mut sections = Vec::new();
    for env in envs {
        let deployed = app.store.deployed(&env.name).await?;
        sections.push((env.name, deployed));
    }
    Ok(page(
        "Environments",
        html! {
            @if sections.is_empty() {
                p.muted { "No deployment recorded yet: run " code { "seam record-deployment --env ENV" } "." }
            }
            @for (env, deployed) in &sections {
                h2 { (env) }
                table data-environment=(env) {
                    tr { th { "Service" } th { "Version" } th { "Since" } }
                    @for d in deployed {
                        tr { td { (service_link(&d.service)) } td { code { (d.version) } } td { (when(d.deployed_ms)) } }
                    }
                }
            }
        },
    ))
}

#[derive(Deserialize)]
struct MatrixQuery {
    service: Option<String>,
    version: Option<String>,
    after: Option<String>,
}

/// Services per page of the overview grid (`?after=NAME` for the next): each cell is a can-i-deploy answer, so
/// a page is bounded by the cells it asks; one service's answer has no limit.
const GRID_LIMIT: u32 = 25;

async fn matrix(State(app): State<App>, headers: HeaderMap, Query(q): Query<MatrixQuery>) -> Page {
    may_read(&app, &headers).await?;
    if let (Some(service), Some(version)) = (q.service, q.version) {
        let m = app.store.matrix(&service, &version).await?;
        return Ok(page(
            &format!("Can {service} {version} deploy?"),
            html! {
                p { (service_link(&service)) " " code { (version) } ": " (yes_no(m.deployable)) " to every environment" }
                @for d in &m.environments {
                    h2 { (d.environment) " " (yes_no(d.deployable)) }
                    @if d.pairs.is_empty() { p.muted { "No partner of " (service) " runs in " (d.environment) "." } }
                    table.pairs data-environment=(d.environment) {
                        tr { th {} th { "Consumer" } th { "Provider" } th { "Contract" } th { "Reason" } }
                        @for p in &d.pairs {
                            tr {
                                td { @if p.compatible { span.badge.yes { "✓" } } @else { span.badge.no { "✗" } } }
                                td { (service_link(&p.consumer)) " " code { (p.consumer_version) } }
                                td { (service_link(&p.provider)) " " code { (p.provider_version.as_deref().unwrap_or("not deployed")) } }
                                td { (p.contract) }
                                td { (p.reason) }
                            }
                        }
                    }
                }
            },
        ));
    }
    let mut services = app
        .store
        .services_after(q.after.as_deref(), GRID_LIMIT + 1)
        .await?;
    let more = services.len() > GRID_LIMIT as usize;
    services.truncate(GRID_LIMIT as usize);
    let next_page = services
        .last()
        .filter(|_| more)
        .map(|s| format!("/matrix?after={}", query_value(&s.name)));
    let envs = app.store.environments().await?;
    let rows: Vec<(String, String)> = services
        .iter()
        .filter_map(|s| Some((s.name.clone(), s.latest.clone()?)))
        .collect();
    let names: Vec<String> = envs.iter().map(|e| e.name.clone()).collect();
    let decisions = app.store.decisions(&rows, &names).await?;
    let rows: Vec<(String, String, Vec<bool>)> = rows
        .into_iter()
        .zip(decisions)
        .map(|((name, version), row)| (name, version, row.iter().map(|d| d.deployable).collect()))
        .collect();
    Ok(page(
        "Can-i-deploy matrix",
        html! {
            p.muted { "Each service's latest version against what runs in each environment. Open a cell for the pairs and reasons." }
            @if let Some(after) = &q.after { p.muted { "Services after " code { (after) } ", by name." } }
            table #matrix {
                tr { th { "Service" } th { "Latest" } @for env in &envs { th { (env.name) } } }
                @for (name, version, cells) in &rows {
                    tr data-service=(name) {
                        td { (service_link(name)) } td { code { (version) } }
                        @for (env, ok) in envs.iter().zip(cells) {
                            td data-environment=(env.name) {
                                a href={"/matrix?service=" (query_value(name)) "&version=" (query_value(version))} { (yes_no(*ok)) }
                            }
                        }
                    }
                }
            }
            @if let Some(next) = &next_page {
                p { a rel="next" href=(next) { "More services" } }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::prefix;

    proptest! {
        /// Any text, multibyte or not: never a panic, at most `n` characters, and a prefix of the text.
        #[test]
        fn a_prefix_is_cut_between_characters(text in "\\PC{0,40}", n in 0usize..30) {
            let cut = prefix(&text, n);
            prop_assert!(text.starts_with(cut));
            prop_assert_eq!(cut.chars().count(), text.chars().count().min(n));
        }
    }

    #[test]
    fn a_multibyte_commit_is_cut_by_characters() {
        assert_eq!(prefix("aéééééééééééééé", 12), "aééééééééééé");
        assert_eq!(prefix("4f2a1c0e9b7d5511", 12), "4f2a1c0e9b7d");
        assert_eq!(prefix("4f2a", 12), "4f2a");
    }
}
