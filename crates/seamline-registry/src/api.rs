//! The registry's HTTP API (v1), as an axum `Router` over a `Store`. Errors are RFC 9457 problem details. Wire
//! types are their own structs: the storage rows may change, these may not without a new version.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::store::{Publication, PublishOutcome, Store, StoreError};
use crate::tokens::Grant;

/// Requests larger than this are refused (413): a service's contracts are text, a few MB at most.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// How the server treats reads, and its limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// Reads need a token too (any valid one). Writes always need one.
    pub private_reads: bool,
    /// How long and how much a client may take.
    pub limits: crate::Limits,
}

#[derive(Clone)]
pub(crate) struct App {
    pub(crate) store: Store,
    pub(crate) settings: Settings,
    /// The dependency graph as last drawn.
    pub(crate) graph: std::sync::Arc<std::sync::Mutex<Option<Drawn>>>,
}

/// An SVG drawing with the stamp (`Store::services_stamp`) of the services it was drawn from.
pub(crate) type Drawn = ((i64, i64), String);

/// The API's own description, served at `/openapi.json`.
pub const OPENAPI: &str = include_str!("openapi.json");

pub fn router(store: Store, settings: Settings) -> Router {
    let routes = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route(
            "/openapi.json",
            get(|| async { ([(header::CONTENT_TYPE, "application/json")], OPENAPI) }),
        )
        .route("/api/v1/services", get(services))
        .route("/api/v1/services/{service}/versions", get(versions))
        .route("/api/v1/services/{service}/consumers", get(consumers))
        .route(
            "/api/v1/services/{service}/versions/{version}",
            get(version).put(publish),
        )
        .route(
            "/api/v1/environments/{environment}/deployments",
            get(deployments),
        )
        .route(
            "/api/v1/environments/{environment}/deployments/{service}",
            axum::routing::put(deploy),
        )
        .route(
            "/api/v1/environments/{environment}/usage",
            get(usage).post(report_usage),
        )
        .route("/v1/traces", axum::routing::post(receive_traces))
        .route("/api/v1/environments", get(environments))
        .route("/api/v1/can-i-deploy", get(can_i_deploy))
        .route("/api/v1/migrations", get(migrations))
        .route(
            "/api/v1/migrations/{service}",
            axum::routing::post(start_migration),
        )
        .route(
            "/api/v1/migrations/{service}/{message}",
            get(migration_status),
        )
        .route(
            "/api/v1/migrations/{service}/{message}/{step}",
            axum::routing::post(migration_step),
        )
        .route("/api/v1/matrix", get(matrix))
        .merge(crate::ui::routes())
        .method_not_allowed_fallback(|| async {
            ApiError {
                status: StatusCode::METHOD_NOT_ALLOWED,
                title: "Method not allowed",
                detail: "this resource does not take that method; see /openapi.json".into(),
            }
        })
        .fallback(|| async {
            ApiError {
                status: StatusCode::NOT_FOUND,
                title: "Not found",
                detail: "no such resource; the API is described at /openapi.json".into(),
            }
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(App {
            store,
            settings,
            graph: Default::default(),
        });
    crate::guard::apply(routes, settings.limits)
}

/// One log event per request: method, path (never the query, which may name things; never headers, which carry
/// tokens), status and duration.
pub(crate) async fn log_request(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1000.0;
    if status >= 500 {
        tracing::warn!(%method, %path, status, ms, "request");
    } else {
        tracing::info!(%method, %path, status, ms, "request");
    }
    response
}

/// An RFC 9457 problem; server faults are logged, not shown.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    title: &'static str,
    detail: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, title: &'static str, detail: String) -> ApiError {
        ApiError {
            status,
            title,
            detail,
        }
    }

    /// The status and the detail, for the web UI's error page.
    pub(crate) fn parts(self) -> (StatusCode, String) {
        (self.status, self.detail)
    }

    /// 503: the registry cannot answer now (its database, its connections, its time); it says when to retry.
    pub(crate) fn unavailable(title: &'static str, detail: String) -> ApiError {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            title,
            detail,
        }
    }

    /// A fault of the server: the cause goes to the log, not to the client.
    pub(crate) fn internal() -> ApiError {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            title: "Internal error",
            detail: "the registry could not complete the request; see its log".into(),
        }
    }

    /// The problem as JSON text.
    pub(crate) fn body(&self) -> String {
        serde_json::json!({
            "type": "about:blank",
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        })
        .to_string()
    }

    fn bad_request(detail: String) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            title: "Bad request",
            detail,
        }
    }

    fn unauthorized(detail: &str) -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            title: "Unauthorized",
            detail: detail.into(),
        }
    }

    fn forbidden(detail: String) -> ApiError {
        ApiError {
            status: StatusCode::FORBIDDEN,
            title: "Forbidden",
            detail,
        }
    }
}

/// The grant of the request's bearer token; `None` without an `Authorization` header. A header that is not a
/// valid, unrevoked token is refused, even where no token is needed, so a broken CI secret shows at once.
async fn grant(app: &App, headers: &HeaderMap) -> Result<Option<Grant>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let secret = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(|| {
            ApiError::unauthorized("the Authorization header must be `Bearer <token>`")
        })?;
    match app.store.grant(secret).await? {
        Some(grant) => Ok(Some(grant)),
        None => Err(ApiError::unauthorized(
            "the token is unknown or revoked; create one with `seam token create`",
        )),
    }
}

/// Reads are open unless the server was started with private reads.
pub(crate) async fn may_read(app: &App, headers: &HeaderMap) -> Result<(), ApiError> {
    let grant = grant(app, headers).await?;
    // Any valid token may read.
    if app.settings.private_reads && grant.is_none() {
        return Err(ApiError::unauthorized(
            "this registry's reads are private: send `Authorization: Bearer <token>`",
        ));
    }
    Ok(())
}

/// A write needs a token, and the check decides whether its scopes cover it: the grant, when they do.
async fn may_write(
    app: &App,
    headers: &HeaderMap,
    allowed: impl FnOnce(&Grant) -> bool,
    needed: String,
) -> Result<Grant, ApiError> {
    let Some(grant) = grant(app, headers).await? else {
        return Err(ApiError::unauthorized(
            "writing needs a token: send `Authorization: Bearer <token>`",
        ));
    };
    if allowed(&grant) {
        Ok(grant)
    } else {
        Err(ApiError::forbidden(format!(
            "token {} lacks the scope {needed} (or admin)",
            grant.token_id
        )))
    }
}

/// Permission to publish the service version named in the path. As an extractor before the body's, it refuses
/// (400, 401, 403) before a byte of the body is read.
struct MayPublish {
    service: String,
    version: String,
}

impl FromRequestParts<App> for MayPublish {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<MayPublish, ApiError> {
        let Path((service, version)) = Path::<(String, String)>::from_request_parts(parts, app)
            .await
            .map_err(|e| rejected(e.status(), e.body_text()))?;
        check_name("service name", &service)?;
        check_name("version", &version)?;
        may_write(
            app,
            &parts.headers,
            |g| g.may_publish(&service),
            format!("publish:{service}"),
        )
        .await?;
        Ok(MayPublish { service, version })
    }
}

/// Permission to record a deployment of the service named in the path to its environment; refused before the
/// body is read, as `MayPublish`.
struct MayDeploy {
    environment: String,
    service: String,
}

impl FromRequestParts<App> for MayDeploy {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<MayDeploy, ApiError> {
        let Path((environment, service)) = Path::<(String, String)>::from_request_parts(parts, app)
            .await
            .map_err(|e| rejected(e.status(), e.body_text()))?;
        check_name("environment", &environment)?;
        check_name("service name", &service)?;
        may_act_in(app, &parts.headers, &environment).await?;
        Ok(MayDeploy {
            environment,
            service,
        })
    }
}

/// Permission to report version usage in the environment named in the path (the `deploy:<environment>` scope:
/// who may say what runs there may say what it does), checked before the body is read.
struct MayReport {
    environment: String,
}

impl FromRequestParts<App> for MayReport {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<MayReport, ApiError> {
        let Path(environment) = Path::<String>::from_request_parts(parts, app)
            .await
            .map_err(|e| rejected(e.status(), e.body_text()))?;
        may_act_in(app, &parts.headers, &environment).await?;
        Ok(MayReport { environment })
    }
}

/// Whether the request's token may record what happens in `environment` (the `deploy:<environment>` scope):
/// deployments there, and the message versions its services use. Refused before any body is read.
async fn may_act_in(app: &App, headers: &HeaderMap, environment: &str) -> Result<(), ApiError> {
    check_name("environment", environment)?;
    may_write(
        app,
        headers,
        |g| g.may_deploy(environment),
        format!("deploy:{environment}"),
    )
    .await
    .map(drop)
}

/// A body or query that axum could not take: its status (400, 413, 415, 422) with the reason.
fn rejected(status: StatusCode, detail: String) -> ApiError {
    let title = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "Request too large",
        StatusCode::UNPROCESSABLE_ENTITY => "Invalid request body",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Unsupported media type",
        _ => "Bad request",
    };
    ApiError {
        status,
        title,
        detail,
    }
}

/// A body that could not be taken; one that did not arrive before its deadline is 408.
fn body_rejected(err: JsonRejection, app: &App) -> ApiError {
    if crate::guard::timed_out(&err) {
        return ApiError {
            status: StatusCode::REQUEST_TIMEOUT,
            title: "Request timeout",
            detail: format!(
                "the request body did not arrive within {} s",
                app.settings.limits.body_timeout.as_secs_f64()
            ),
        };
    }
    rejected(err.status(), err.body_text())
}

/// Whether a database error means the database cannot be reached or cannot answer now (it is down, restarting,
/// refusing connections, or a statement ran past its time limit), rather than a fault of the registry.
fn unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            // PostgreSQL (SQLSTATEs, always five characters): connection exceptions (08…), operator
            // intervention (57…: shut down, cancelled by statement_timeout), insufficient resources (53…).
            // SQLite (primary or extended result codes, never five digits): busy (5), locked (6), cannot open (14).
            if code.len() == 5 {
                ["08", "57", "53"]
                    .iter()
                    .any(|class| code.starts_with(class))
            } else {
                matches!(code.parse::<i32>().map(|c| c & 0xff), Ok(5 | 6 | 14))
            }
        }
        _ => false,
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> ApiError {
        match err {
            StoreError::Conflict { .. } => ApiError {
                status: StatusCode::CONFLICT,
                title: "Version already published",
                detail: err.to_string(),
            },
            StoreError::InvalidManifest(_) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                title: "Invalid manifest",
                detail: err.to_string(),
            },
            StoreError::UnreadableContract(_) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                title: "Unreadable contract",
                detail: err.to_string(),
            },
            StoreError::MigrationRefused(detail) => ApiError {
                status: StatusCode::CONFLICT,
                title: "Migration step refused",
                detail,
            },
            StoreError::NoMigration(detail) => ApiError {
                status: StatusCode::NOT_FOUND,
                title: "No such migration",
                detail,
            },
            StoreError::UnknownVersion { .. } => ApiError {
                status: StatusCode::NOT_FOUND,
                title: "Unknown version",
                detail: err.to_string(),
            },
            StoreError::Database(ref db) if unavailable(db) => {
                tracing::warn!(error = %err, "database unavailable");
                ApiError::unavailable(
                    "Database unavailable",
                    "the registry's database does not answer now; try again shortly".into(),
                )
            }
            other => {
                tracing::error!(error = %other, "request failed");
                ApiError::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            self.body(),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        response
    }
}

/// Service, version and environment names go into URLs and storage keys: a safe alphabet, no traversal.
fn check_name(what: &str, name: &str) -> Result<(), ApiError> {
    crate::check_name(what, name).map_err(ApiError::bad_request)
}

/// Contract paths are relative to the service root, with forward slashes, and stay inside it.
fn check_path(path: &str) -> Result<(), ApiError> {
    let ok = !path.is_empty()
        && path.chars().count() <= 512
        && !path.starts_with('/')
        && !path.contains(['\\', '\0'])
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..");
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "`{path}` is not a relative path inside the service"
        )))
    }
}

/// Ready when the database answers a trivial query.
async fn ready(State(app): State<App>) -> Result<&'static str, ApiError> {
    app.store.ping().await.map(|()| "ready").map_err(|err| {
        tracing::warn!(error = %err, "not ready");
        ApiError::unavailable("Not ready", "the database does not answer".into())
    })
}

#[derive(Serialize)]
struct ServiceOut {
    name: String,
    owner: Option<String>,
    versions: i64,
    latest: Option<String>,
}

async fn services(
    State(app): State<App>,
    headers: HeaderMap,
) -> Result<Json<Vec<ServiceOut>>, ApiError> {
    may_read(&app, &headers).await?;
    let list = app.store.services().await?;
    Ok(Json(
        list.into_iter()
            .map(|s| ServiceOut {
                name: s.name,
                owner: s.owner,
                versions: s.versions,
                latest: s.latest,
            })
            .collect(),
    ))
}

#[derive(Serialize)]
struct VersionOut {
    version: String,
    content_hash: String,
    git_commit: Option<String>,
    branch: Option<String>,
    created_ms: i64,
}

impl From<crate::store::VersionSummary> for VersionOut {
    fn from(v: crate::store::VersionSummary) -> VersionOut {
        VersionOut {
            version: v.version,
            content_hash: v.content_hash,
            git_commit: v.git_commit,
            branch: v.branch,
            created_ms: v.created_ms,
        }
    }
}

/// A page of versions: `limit` of them (100 unless said, at most 1,000), published before the version `before`.
#[derive(Deserialize)]
struct VersionsQuery {
    before: Option<String>,
    limit: Option<u32>,
}

async fn versions(
    State(app): State<App>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<VersionsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<VersionOut>>, ApiError> {
    let Path(service) = path.map_err(|e| rejected(e.status(), e.body_text()))?;
    check_name("service name", &service)?;
    let Query(q) = query.map_err(|e| rejected(e.status(), e.body_text()))?;
    if let Some(before) = &q.before {
        check_name("version", before)?;
    }
    let limit = q.limit.unwrap_or(crate::store::VERSION_PAGE);
    if !(1..=crate::store::VERSION_PAGE_MAX).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be 1 to {}, not {limit}",
            crate::store::VERSION_PAGE_MAX
        )));
    }
    may_read(&app, &headers).await?;
    let list = app
        .store
        .versions(&service, q.before.as_deref(), limit)
        .await?;
    Ok(Json(list.into_iter().map(VersionOut::from).collect()))
}

#[derive(Serialize, Deserialize)]
struct ContractIo {
    path: String,
    content: String,
}

#[derive(Serialize)]
struct ConsumerOut {
    service: String,
    version: String,
    contract: String,
    uses: Vec<String>,
    /// The environments where a version of the consumer that consumes this contract is deployed.
    deployed_in: Vec<String>,
}

/// Who consumes `service`, each with what it uses, as the consumers' latest versions say, and where a version
/// of it that consumes the contract runs.
async fn consumers(
    State(app): State<App>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Vec<ConsumerOut>>, ApiError> {
    let Path(service) = path.map_err(|e| rejected(e.status(), e.body_text()))?;
    check_name("service name", &service)?;
    may_read(&app, &headers).await?;
    let mut out = Vec::new();
    for (consumer, version, contract) in app.store.consumers_of(&service).await? {
        let manifest = app
            .store
            .version(&consumer, &version)
            .await?
            .and_then(|stored| {
                seamline_model::parse_manifest(
                    std::path::Path::new("seam.toml"),
                    "seam.toml",
                    stored.manifest.as_bytes(),
                )
                .manifest
            });
        let uses = manifest
            .map(|m| {
                let matches = |s: &str, c: &str| s == service && c == contract;
                let operations = m
                    .consumes_http
                    .iter()
                    .filter(|c| matches(&c.service.value, &c.contract.value))
                    .flat_map(|c| c.operations.iter().map(|o| o.value.clone()));
                let messages = m
                    .consumes_events
                    .iter()
                    .filter(|c| matches(&c.service.value, &c.contract.value))
                    .flat_map(|c| c.messages.iter().map(|m| m.value.to_string()));
                operations.chain(messages).collect()
            })
            .unwrap_or_default();
        let mut deployed_in = Vec::new();
        for d in app.store.deployments_of(&consumer).await? {
            let running = [(d.service.clone(), d.version.clone())];
            let consumes = app.store.consumptions_of(&running).await?;
            if consumes
                .values()
                .flatten()
                .any(|(p, c)| *p == service && *c == contract)
            {
                deployed_in.push(d.environment);
            }
        }
        out.push(ConsumerOut {
            service: consumer,
            version,
            contract,
            uses,
            deployed_in,
        });
    }
    Ok(Json(out))
}

#[derive(Serialize)]
struct VersionDetail {
    service: String,
    #[serde(flatten)]
    version: VersionOut,
    manifest: String,
    contracts: Vec<ContractIo>,
}

async fn version(
    State(app): State<App>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<VersionDetail>, ApiError> {
    let Path((service, version)) = path.map_err(|e| rejected(e.status(), e.body_text()))?;
    check_name("service name", &service)?;
    check_name("version", &version)?;
    may_read(&app, &headers).await?;
    let stored =
        app.store
            .version(&service, &version)
            .await?
            .ok_or(StoreError::UnknownVersion {
                service: service.clone(),
                version: version.clone(),
            })?;
    let s = stored.summary;
    Ok(Json(VersionDetail {
        service: s.service.clone(),
        version: VersionOut::from(s),
        manifest: stored.manifest,
        contracts: stored
            .contracts
            .into_iter()
            .map(|(path, content, _)| ContractIo { path, content })
            .collect(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishIn {
    owner: Option<String>,
    git_commit: Option<String>,
    branch: Option<String>,
    manifest: String,
    #[serde(default)]
    contracts: Vec<ContractIo>,
}

#[derive(Serialize)]
struct PublishOut {
    outcome: &'static str,
    content_hash: String,
}

async fn publish(
    State(app): State<App>,
    MayPublish { service, version }: MayPublish,
    body: Result<Json<PublishIn>, JsonRejection>,
) -> Result<(StatusCode, Json<PublishOut>), ApiError> {
    let Json(body) = body.map_err(|e| body_rejected(e, &app))?;
    let mut paths = std::collections::HashSet::new();
    for contract in &body.contracts {
        check_path(&contract.path)?;
        if !paths.insert(contract.path.as_str()) {
            return Err(ApiError::bad_request(format!(
                "`{}` is listed twice; send each contract once",
                contract.path
            )));
        }
    }
    // Versions are immutable, so what the pages show of them is checked once, here.
    let metadata = [
        body.git_commit
            .as_deref()
            .map(crate::store::check_git_commit),
        body.branch.as_deref().map(crate::store::check_branch),
    ];
    if let Some(Err(detail)) = metadata.into_iter().flatten().find(Result::is_err) {
        return Err(rejected(StatusCode::UNPROCESSABLE_ENTITY, detail));
    }
    // Contracts are text, and PostgreSQL text cannot hold NUL.
    let texts = std::iter::once(&body.manifest).chain(body.contracts.iter().map(|c| &c.content));
    if texts
        .chain(body.owner.iter())
        .chain(body.git_commit.iter())
        .chain(body.branch.iter())
        .any(|t| t.contains('\0'))
    {
        return Err(ApiError::bad_request(
            "the body contains a NUL character; contracts and their metadata are text".into(),
        ));
    }
    let publication = Publication {
        service,
        owner: body.owner,
        version,
        git_commit: body.git_commit,
        branch: body.branch,
        manifest: body.manifest,
        contracts: body
            .contracts
            .into_iter()
            .map(|c| (c.path, c.content))
            .collect(),
    };
    let content_hash = crate::store::content_hash(&publication.manifest, &publication.contracts);
    let (status, outcome) = match app.store.publish(&publication).await? {
        PublishOutcome::Created => {
            app.store
                .judge_ahead_of_publish(&publication.service, &publication.version);
            (StatusCode::CREATED, "created")
        }
        PublishOutcome::Unchanged => (StatusCode::OK, "unchanged"),
    };
    Ok((
        status,
        Json(PublishOut {
            outcome,
            content_hash,
        }),
    ))
}

#[derive(Serialize)]
struct DeploymentOut {
    service: String,
    version: String,
    deployed_ms: i64,
}

async fn deployments(
    State(app): State<App>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Vec<DeploymentOut>>, ApiError> {
    let Path(environment) = path.map_err(|e| rejected(e.status(), e.body_text()))?;
    check_name("environment", &environment)?;
    may_read(&app, &headers).await?;
    let list = app.store.deployed(&environment).await?;
    Ok(Json(
        list.into_iter()
            .map(|d| DeploymentOut {
                service: d.service,
                version: d.version,
                deployed_ms: d.deployed_ms,
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeployIn {
    version: String,
}

async fn deploy(
    State(app): State<App>,
    MayDeploy {
        environment,
        service,
    }: MayDeploy,
    body: Result<Json<DeployIn>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(body) = body.map_err(|e| body_rejected(e, &app))?;
    check_name("version", &body.version)?;
    app.store
        .record_deployment(&environment, &service, &body.version)
        .await?;
    app.store
        .judge_ahead_of_deploy(&environment, &service, &body.version);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct CanIDeployQuery {
    service: String,
    version: String,
    environment: String,
}

async fn can_i_deploy(
    State(app): State<App>,
    headers: HeaderMap,
    query: Result<Query<CanIDeployQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<crate::compat::Decision>, ApiError> {
    let Query(q) = query.map_err(|e| rejected(e.status(), e.body_text()))?;
    check_name("service name", &q.service)?;
    check_name("version", &q.version)?;
    check_name("environment", &q.environment)?;
    may_read(&app, &headers).await?;
    Ok(Json(
        app.store
            .can_i_deploy(&q.service, &q.version, &q.environment)
            .await?,
    ))
}

#[derive(Serialize)]
struct EnvironmentOut {
    name: String,
    services: i64,
}

async fn environments(
    State(app): State<App>,
    headers: HeaderMap,
) -> Result<Json<Vec<EnvironmentOut>>, ApiError> {
    may_read(&app, &headers).await?;
    let list = app.store.environments().await?;
    Ok(Json(
        list.into_iter()
            .map(|e| EnvironmentOut {
                name: e.name,
                services: e.services,
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
struct MatrixQuery {
    service: String,
    version: String,
}

async fn matrix(
    State(app): State<App>,
    headers: HeaderMap,
    query: Result<Query<MatrixQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<crate::compat::Matrix>, ApiError> {
    let Query(q) = query.map_err(|e| rejected(e.status(), e.body_text()))?;
    check_name("service name", &q.service)?;
    check_name("version", &q.version)?;
    may_read(&app, &headers).await?;
    Ok(Json(app.store.matrix(&q.service, &q.version).await?))
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::unavailable;

    /// A database error with only a code, as PostgreSQL (SQLSTATE) or SQLite (result code) reports it.
    #[derive(Debug)]
    struct Coded(&'static str);

    impl std::fmt::Display for Coded {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "error {}", self.0)
        }
    }

    impl std::error::Error for Coded {}

    impl sqlx::error::DatabaseError for Coded {
        fn message(&self) -> &str {
            self.0
        }
        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }

    /// Only a database that cannot answer now is 503: a PostgreSQL SQLSTATE whose low byte happens to equal
    /// SQLite's busy or locked code (42501 insufficient privilege: 42501 & 0xff = 5) is the registry's fault.
    #[test]
    fn only_errors_of_an_unavailable_database_are_503() {
        let is = |code| unavailable(&sqlx::Error::Database(Box::new(Coded(code))));
        for code in [
            "08006", "57014", "57P01", "53300", "5", "6", "14", "517", "261",
        ] {
            assert!(is(code), "{code} means the database cannot answer now");
        }
        for code in ["42501", "22021", "22022", "22030", "23505", "19", "1"] {
            assert!(!is(code), "{code} is not about availability");
        }
    }
}

/// The most counters one report may carry.
const USAGE_PER_REPORT: usize = 10_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UsageIn {
    usage: Vec<crate::store::VersionUse>,
}

/// The latest `last_seen_ms` taken: 2100-01-01.
const LATEST_MS: i64 = 4_102_444_800_000;
/// The largest count one report may add.
const MOST_USES: i64 = 1_000_000_000_000;

/// Why a reported counter cannot be stored, if it cannot.
fn check_use(u: &crate::store::VersionUse) -> Result<(), ApiError> {
    check_name("service name", &u.service)?;
    let bad = |detail: String| Err(ApiError::bad_request(detail));
    if u.role != "publishes" && u.role != "consumes" {
        return bad(format!(
            "role must be `publishes` or `consumes`, not `{}`",
            u.role
        ));
    }
    check_message(&u.message)?;
    if u.version != "unknown"
        && (u.version.is_empty()
            || u.version.len() > 9
            || !u.version.bytes().all(|b| b.is_ascii_digit()))
    {
        return bad(format!(
            "version must be a major version number or `unknown`, not `{}`",
            u.version
        ));
    }
    if !(0..=MOST_USES).contains(&u.count) || !(0..=MOST_USES).contains(&u.failed) {
        return bad(format!("count and failed are 0 to {MOST_USES}"));
    }
    if let Some(id) = &u.trace_id
        && (id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return bad(format!(
            "trace_id must be 32 hexadecimal digits, not `{id}`"
        ));
    }
    if !(0..=LATEST_MS).contains(&u.last_seen_ms) {
        return bad(format!(
            "last_seen_ms must be Unix milliseconds before 2100, not {}",
            u.last_seen_ms
        ));
    }
    Ok(())
}

/// A message name: 1 to 256 characters, none of them control characters.
fn check_message(message: &str) -> Result<(), ApiError> {
    if message.is_empty() || message.chars().count() > 256 || message.chars().any(char::is_control)
    {
        return Err(ApiError::bad_request(
            "a message name is 1 to 256 characters, none of them control characters".into(),
        ));
    }
    Ok(())
}

/// Adds version usage seen in traces (`seam migrate evidence`) to the environment's counters.
async fn report_usage(
    State(app): State<App>,
    MayReport { environment }: MayReport,
    body: Result<Json<UsageIn>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(body) = body.map_err(|e| body_rejected(e, &app))?;
    if body.usage.len() > USAGE_PER_REPORT {
        return Err(ApiError::bad_request(format!(
            "at most {USAGE_PER_REPORT} counters a report, not {}",
            body.usage.len()
        )));
    }
    let mut usage = body.usage;
    for u in &mut usage {
        check_use(u)?;
        // More failures than uses cannot be: count them as at most the uses.
        u.failed = u.failed.min(u.count);
    }
    app.store.record_usage(&environment, &usage).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct UsageQuery {
    message: Option<String>,
    since_ms: Option<i64>,
}

/// Who published and consumed which message version in the environment, since `since_ms`.
async fn usage(
    State(app): State<App>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<UsageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<crate::store::VersionUse>>, ApiError> {
    let Path(environment) = path.map_err(|e| rejected(e.status(), e.body_text()))?;
    check_name("environment", &environment)?;
    let Query(q) = query.map_err(|e| rejected(e.status(), e.body_text()))?;
    if let Some(message) = &q.message {
        check_message(message)?;
    }
    may_read(&app, &headers).await?;
    let since = q.since_ms.unwrap_or(0);
    Ok(Json(
        app.store
            .usage(&environment, q.message.as_deref(), since)
            .await?,
    ))
}

/// The header an OTLP exporter sets to name the environment its spans come from.
pub const ENVIRONMENT_HEADER: &str = "seam-environment";

/// Permission to report the spans of the environment the `Seam-Environment` header names, checked before the
/// body is read.
struct MayReportSpans {
    environment: String,
}

impl FromRequestParts<App> for MayReportSpans {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<MayReportSpans, ApiError> {
        let Some(environment) = parts
            .headers
            .get(ENVIRONMENT_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
        else {
            return Err(ApiError::bad_request(format!(
                "name the environment the spans come from in the `{ENVIRONMENT_HEADER}` header (an OTLP \
                 exporter's `headers` setting)"
            )));
        };
        may_act_in(app, &parts.headers, &environment).await?;
        Ok(MayReportSpans { environment })
    }
}

/// OTLP/HTTP traces (`application/x-protobuf` or `application/json`), as an OpenTelemetry exporter or Collector
/// sends them: the message versions they show published and consumed are added to the environment's counters.
/// The spans themselves are not kept.
async fn receive_traces(
    State(app): State<App>,
    MayReportSpans { environment }: MayReportSpans,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let (format, protobuf) = match media.as_str() {
        "application/x-protobuf" => (seamline_trace::InputFormat::OtlpProtobuf, true),
        "application/json" => (seamline_trace::InputFormat::OtlpJson, false),
        _ => {
            return Err(ApiError {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                title: "Unsupported media type",
                detail: "OTLP/HTTP traces are application/x-protobuf or application/json".into(),
            });
        }
    };
    let bytes = body.map_err(|e| rejected(e.status(), e.body_text()))?;
    // An export with no spans in it (an empty batch) is taken; a body that is not one is refused.
    let batch = !protobuf
        && serde_json::from_slice::<serde_json::Value>(&bytes).is_ok_and(|v| {
            v.get("resourceSpans")
                .and_then(serde_json::Value::as_array)
                .is_some_and(|all| all.iter().all(serde_json::Value::is_object))
        });
    let read = tokio::task::spawn_blocking(move || {
        let mut versions =
            seamline_trace::versions::Versions::new(crate::usage::VERSION_ATTRIBUTE.into());
        let mut reader = seamline_trace::Reader::default();
        // One request's spans: read on this blocking thread alone.
        reader.threads = 1;
        reader.read_bytes(
            "request",
            &bytes,
            format,
            &mut crate::usage::Observe(&mut versions),
        );
        let skipped: Vec<String> = reader
            .report
            .skipped
            .iter()
            .map(|(why, n)| format!("{why} ({n})"))
            .collect();
        (
            crate::usage::usage_of(&versions).0,
            reader.report.spans,
            skipped,
        )
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    let (usage, spans, skipped) = read;
    if spans == 0 && !skipped.is_empty() && !batch {
        return Err(ApiError::bad_request(format!(
            "no span could be read: {}",
            skipped.join("; ")
        )));
    }
    app.store.record_usage(&environment, &usage).await?;
    // An ExportTraceServiceResponse with nothing rejected: empty in protobuf, `{}` in JSON.
    Ok(if protobuf {
        (
            [(header::CONTENT_TYPE, "application/x-protobuf")],
            Vec::<u8>::new(),
        )
            .into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json")], "{}").into_response()
    })
}

/// Every migration, the active ones first.
async fn migrations(
    State(app): State<App>,
    headers: HeaderMap,
) -> Result<Json<Vec<crate::migrate::Migration>>, ApiError> {
    may_read(&app, &headers).await?;
    Ok(Json(app.store.migrations().await?))
}

/// Permission to run the migrations of the service named in the path (its `publish:<service>` scope: who may say
/// what it publishes may move its messages), checked before the body is read; `by` is the token's id, for the
/// migration's history.
struct MayMigrate {
    service: String,
    message: Option<String>,
    step: Option<String>,
    by: String,
}

impl FromRequestParts<App> for MayMigrate {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<MayMigrate, ApiError> {
        let Path(segments) = Path::<Vec<String>>::from_request_parts(parts, app)
            .await
            .map_err(|e| rejected(e.status(), e.body_text()))?;
        let service = segments.first().cloned().unwrap_or_default();
        check_name("service name", &service)?;
        let message = segments.get(1).cloned();
        if let Some(message) = &message {
            check_message(message)?;
        }
        let step = segments.get(2).cloned();
        if let Some(other) = step
            .as_deref()
            .filter(|s| !matches!(*s, "advance" | "abort"))
        {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "Not found",
                format!("a migration takes the steps `advance` and `abort`, not `{other}`"),
            ));
        }
        let grant = may_write(
            app,
            &parts.headers,
            |g| g.may_publish(&service),
            format!("publish:{service}"),
        )
        .await?;
        Ok(MayMigrate {
            service,
            message,
            step,
            by: grant.token_id,
        })
    }
}

/// Starts a migration of one of the service's messages, at phase 1 (its gate must hold).
async fn start_migration(
    State(app): State<App>,
    may: MayMigrate,
    body: Result<Json<crate::migrate::Start>, JsonRejection>,
) -> Result<(StatusCode, Json<crate::migrate::Status>), ApiError> {
    let Json(start) = body.map_err(|e| body_rejected(e, &app))?;
    check_name("contract name", &start.contract)?;
    check_message(&start.message)?;
    let status = app
        .store
        .start_migration(&may.service, &start, &may.by)
        .await?;
    Ok((StatusCode::CREATED, Json(status)))
}

/// A migration with its five gates judged now.
async fn migration_status(
    State(app): State<App>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<crate::migrate::Status>, ApiError> {
    let Path((service, message)) = path.map_err(|e| rejected(e.status(), e.body_text()))?;
    check_name("service name", &service)?;
    check_message(&message)?;
    may_read(&app, &headers).await?;
    let Some(migration) = app.store.migration(&service, &message).await? else {
        return Err(StoreError::NoMigration(format!(
            "{service} has no migration of {message}; start one with `seam migrate start`"
        ))
        .into());
    };
    Ok(Json(app.store.migration_status(&migration).await?))
}

/// `advance` (to the next phase, when its gate holds) or `abort`.
async fn migration_step(
    State(app): State<App>,
    may: MayMigrate,
) -> Result<Json<crate::migrate::Status>, ApiError> {
    let message = may.message.unwrap_or_default();
    let status = if may.step.as_deref() == Some("abort") {
        app.store
            .abort_migration(&may.service, &message, &may.by)
            .await?
    } else {
        app.store
            .advance_migration(&may.service, &message, &may.by)
            .await?
    };
    Ok(Json(status))
}
