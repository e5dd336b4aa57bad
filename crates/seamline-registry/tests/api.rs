//! The HTTP API through its router, without a socket: publish, read back, deploy, ask can-i-deploy, and the
//! problem details of every refusal.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use seamline_registry::Store;
use seamline_registry::api::router;
use tower::ServiceExt;

async fn call(
    store: &Store,
    method: &str,
    uri: &str,
    body: Option<serde_json::Value>,
) -> (StatusCode, String, serde_json::Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    let request = request
        .body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
        .unwrap();
    let response = router(store.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::String(
        String::from_utf8_lossy(&bytes).into(),
    ));
    (status, content_type, json)
}

fn body(api: &str) -> serde_json::Value {
    serde_json::json!({
        "git_commit": "4f2a1c0",
        "manifest": "[service]\nname = \"payment-service\"\n\n[[provides.http]]\nname = \"payment-api\"\nspec = \"contracts/payment-api.yaml\"\n",
        "contracts": [{ "path": "contracts/payment-api.yaml", "content": api }],
    })
}

#[tokio::test]
async fn publish_read_deploy_and_ask() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite:{}", dir.path().join("r.db").display()))
        .await
        .unwrap();
    assert_eq!(
        call(&store, "GET", "/healthz", None).await.0,
        StatusCode::OK
    );
    assert_eq!(call(&store, "GET", "/readyz", None).await.0, StatusCode::OK);

    let uri = "/api/v1/services/payment-service/versions/1.0.0";
    let (status, _, json) = call(&store, "PUT", uri, Some(body("openapi: 3.1.0\n"))).await;
    assert_eq!(
        (status, json["outcome"].as_str()),
        (StatusCode::CREATED, Some("created"))
    );
    let (status, _, json) = call(&store, "PUT", uri, Some(body("openapi: 3.1.0\n"))).await;
    assert_eq!(
        (status, json["outcome"].as_str()),
        (StatusCode::OK, Some("unchanged"))
    );
    let (status, content_type, json) =
        call(&store, "PUT", uri, Some(body("openapi: 3.0.3\n"))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(json["status"], 409);
    assert!(
        json["detail"]
            .as_str()
            .unwrap()
            .contains("already published with other content")
    );

    let (status, _, json) = call(&store, "GET", uri, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["contracts"][0]["content"], "openapi: 3.1.0\n");
    assert_eq!(json["git_commit"], "4f2a1c0");
    let (_, _, json) = call(&store, "GET", "/api/v1/services", None).await;
    assert_eq!(json[0]["name"], "payment-service");

    let deploy = "/api/v1/environments/production/deployments/payment-service";
    let (status, _, _) = call(
        &store,
        "PUT",
        deploy,
        Some(serde_json::json!({ "version": "1.0.0" })),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, json) = call(
        &store,
        "PUT",
        deploy,
        Some(serde_json::json!({ "version": "2.0.0" })),
    )
    .await;
    assert_eq!(
        (status, json["title"].as_str()),
        (StatusCode::NOT_FOUND, Some("Unknown version"))
    );
    let (_, _, json) = call(
        &store,
        "GET",
        "/api/v1/environments/production/deployments",
        None,
    )
    .await;
    assert_eq!(json[0]["version"], "1.0.0");

    let ask = "/api/v1/can-i-deploy?service=payment-service&version=1.0.0&environment=production";
    let (status, _, json) = call(&store, "GET", ask, None).await;
    assert_eq!(
        (status, json["deployable"].as_bool()),
        (StatusCode::OK, Some(true))
    );
}

#[tokio::test]
async fn refusals_are_problem_details() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite:{}", dir.path().join("r.db").display()))
        .await
        .unwrap();
    let cases: Vec<(&str, &str, Option<serde_json::Value>, StatusCode)> = vec![
        (
            "PUT",
            "/api/v1/services/..%2Fetc/versions/1",
            Some(body("x")),
            StatusCode::BAD_REQUEST,
        ),
        (
            "PUT",
            "/api/v1/services/ok/versions/1",
            Some(serde_json::json!({ "manifest": 5 })),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "PUT",
            "/api/v1/services/ok/versions/1",
            Some(serde_json::json!({ "manifest": "", "surprise": 1 })),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "PUT",
            "/api/v1/services/ok/versions/1",
            Some(
                serde_json::json!({ "manifest": "", "contracts": [{ "path": "../../etc/passwd", "content": "" }] }),
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            "GET",
            "/api/v1/services/ok/versions/9",
            None,
            StatusCode::NOT_FOUND,
        ),
        (
            "GET",
            "/api/v1/can-i-deploy?service=ok",
            None,
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (method, uri, payload, expected) in cases {
        let (status, content_type, json) = call(&store, method, uri, payload).await;
        assert_eq!(status, expected, "{method} {uri}: {json}");
        assert_eq!(content_type, "application/problem+json", "{method} {uri}");
        assert!(
            json["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{method} {uri}: {json}"
        );
    }
    // Over the size limit.
    let huge = "x".repeat(seamline_registry::api::MAX_BODY_BYTES + 1);
    let (status, _, _) = call(
        &store,
        "PUT",
        "/api/v1/services/ok/versions/1",
        Some(body(&huge)),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}
