//! The registry's HTTP API (v1), as an axum `Router` over a `Store`. Errors are RFC 9457 problem details. Wire
//! types are their own structs: the storage rows may change, these may not without a new version.

use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::store::{Publication, PublishOutcome, Store, StoreError};

/// Requests larger than this are refused (413): a service's contracts are text, a few MB at most.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

pub fn router(store: Store) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/api/v1/services", get(services))
        .route("/api/v1/services/{service}/versions", get(versions))
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
        .route("/api/v1/can-i-deploy", get(can_i_deploy))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(store)
}

/// An RFC 9457 problem; server faults are logged, not shown.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    title: &'static str,
    detail: String,
}

impl ApiError {
    fn bad_request(detail: String) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            title: "Bad request",
            detail,
        }
    }
}

/// A body or query that axum could not take: its status (400, 413, 415, 422) with the reason.
fn rejected(status: StatusCode, detail: String) -> ApiError {
    let title = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "Request too large",
        StatusCode::UNPROCESSABLE_ENTITY => "Invalid request body",
        _ => "Bad request",
    };
    ApiError {
        status,
        title,
        detail,
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
            StoreError::UnknownVersion { .. } => ApiError {
                status: StatusCode::NOT_FOUND,
                title: "Unknown version",
                detail: err.to_string(),
            },
            other => {
                eprintln!("registry: {other}");
                ApiError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    title: "Internal error",
                    detail: "the registry could not complete the request; see its log".into(),
                }
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "type": "about:blank",
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response()
    }
}

/// Service, version and environment names go into URLs and storage keys: a safe alphabet, no traversal.
fn check_name(what: &str, name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "`{name}` is not a valid {what}: use 1 to 128 letters, digits, `.`, `_`, `-` or `+`, not starting with `.`"
        )))
    }
}

/// Contract paths are relative to the service root, with forward slashes, and stay inside it.
fn check_path(path: &str) -> Result<(), ApiError> {
    let ok = !path.is_empty()
        && path.len() <= 512
        && !path.starts_with('/')
        && !path.contains('\\')
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

async fn ready(State(store): State<Store>) -> Result<&'static str, ApiError> {
    store
        .services()
        .await
        .map(|_| "ready")
        .map_err(|_| ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            title: "Not ready",
            detail: "the database does not answer".into(),
        })
}

#[derive(Serialize)]
struct ServiceOut {
    name: String,
    owner: Option<String>,
    versions: i64,
    latest: Option<String>,
}

async fn services(State(store): State<Store>) -> Result<Json<Vec<ServiceOut>>, ApiError> {
    let list = store.services().await?;
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

async fn versions(
    State(store): State<Store>,
    Path(service): Path<String>,
) -> Result<Json<Vec<VersionOut>>, ApiError> {
    check_name("service name", &service)?;
    let list = store.versions(&service).await?;
    Ok(Json(list.into_iter().map(VersionOut::from).collect()))
}

#[derive(Serialize, Deserialize)]
struct ContractIo {
    path: String,
    content: String,
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
    State(store): State<Store>,
    Path((service, version)): Path<(String, String)>,
) -> Result<Json<VersionDetail>, ApiError> {
    check_name("service name", &service)?;
    check_name("version", &version)?;
    let stored = store
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
    State(store): State<Store>,
    Path((service, version)): Path<(String, String)>,
    body: Result<Json<PublishIn>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<PublishOut>), ApiError> {
    check_name("service name", &service)?;
    check_name("version", &version)?;
    let Json(body) = body.map_err(|e| rejected(e.status(), e.body_text()))?;
    for contract in &body.contracts {
        check_path(&contract.path)?;
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
    let (status, outcome) = match store.publish(&publication).await? {
        PublishOutcome::Created => (StatusCode::CREATED, "created"),
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
    State(store): State<Store>,
    Path(environment): Path<String>,
) -> Result<Json<Vec<DeploymentOut>>, ApiError> {
    check_name("environment", &environment)?;
    let list = store.deployed(&environment).await?;
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
    State(store): State<Store>,
    Path((environment, service)): Path<(String, String)>,
    body: Result<Json<DeployIn>, axum::extract::rejection::JsonRejection>,
) -> Result<StatusCode, ApiError> {
    check_name("environment", &environment)?;
    check_name("service name", &service)?;
    let Json(body) = body.map_err(|e| rejected(e.status(), e.body_text()))?;
    check_name("version", &body.version)?;
    store
        .record_deployment(&environment, &service, &body.version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct CanIDeployQuery {
    service: String,
    version: String,
    environment: String,
}

async fn can_i_deploy(
    State(store): State<Store>,
    query: Result<Query<CanIDeployQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<crate::compat::Decision>, ApiError> {
    let Query(q) = query.map_err(|e| rejected(e.status(), e.body_text()))?;
    check_name("service name", &q.service)?;
    check_name("version", &q.version)?;
    check_name("environment", &q.environment)?;
    Ok(Json(
        store
            .can_i_deploy(&q.service, &q.version, &q.environment)
            .await?,
    ))
}
