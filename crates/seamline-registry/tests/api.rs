//! The HTTP API through its router, without a socket: publish, read back, deploy, ask can-i-deploy, tokens and
//! their scopes, and the problem details of every refusal.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use seamline_registry::api::router;
use seamline_registry::{Scope, Settings, Store};
use tower::ServiceExt;

struct Answer {
    status: StatusCode,
    content_type: String,
    www_authenticate: Option<String>,
    json: serde_json::Value,
}

async fn send(
    store: &Store,
    settings: Settings,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> Answer {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request
        .body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
        .unwrap();
    let response = router(store.clone(), settings)
        .oneshot(request)
        .await
        .unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    let (status, content_type, www_authenticate) = (
        response.status(),
        header("content-type").unwrap_or_default(),
        header("www-authenticate"),
    );
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::String(
        String::from_utf8_lossy(&bytes).into(),
    ));
    Answer {
        status,
        content_type,
        www_authenticate,
        json,
    }
}

/// With public reads and an admin token: `(status, content type, body)`.
async fn call(
    store: &Store,
    method: &str,
    uri: &str,
    body: Option<serde_json::Value>,
) -> (StatusCode, String, serde_json::Value) {
    let admin = store
        .create_token("test admin", &[Scope::Admin])
        .await
        .unwrap()
        .secret;
    let a = send(store, Settings::default(), method, uri, Some(&admin), body).await;
    (a.status, a.content_type, a.json)
}

fn body(api: &str) -> serde_json::Value {
    serde_json::json!({
        "git_commit": "4f2a1c0",
        "manifest": "[service]\nname = \"payment-service\"\n\n[[provides.http]]\nname = \"payment-api\"\nspec = \"contracts/payment-api.yaml\"\n",
        "contracts": [{ "path": "contracts/payment-api.yaml", "content": api }],
    })
}

async fn sqlite() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite:{}", dir.path().join("r.db").display()))
        .await
        .unwrap();
    (dir, store)
}

#[tokio::test]
async fn publish_read_deploy_and_ask() {
    let (_dir, store) = sqlite().await;
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

    let (status, _, json) = call(&store, "GET", "/api/v1/environments", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        json,
        serde_json::json!([{ "name": "production", "services": 1 }])
    );
    let matrix = "/api/v1/matrix?service=payment-service&version=1.0.0";
    let (status, _, json) = call(&store, "GET", matrix, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["deployable"], true);
    assert_eq!(json["environments"][0]["environment"], "production");
    let (status, _, _) = call(
        &store,
        "GET",
        "/api/v1/matrix?service=payment-service&version=7",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tokens_are_scoped() {
    let (_dir, store) = sqlite().await;
    let payment = store
        .create_token("payment CI", &[Scope::Publish("payment-service".into())])
        .await
        .unwrap();
    let staging = store
        .create_token("staging deployer", &[Scope::Deploy("staging".into())])
        .await
        .unwrap();
    let public = Settings::default();
    let uri = "/api/v1/services/payment-service/versions/1.0.0";

    // No token, a malformed header, an unknown token: 401 with a challenge.
    for token in [None, Some("nonsense"), Some("seam_0000")] {
        let a = send(
            &store,
            public,
            "PUT",
            uri,
            token,
            Some(body("openapi: 3.1.0\n")),
        )
        .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(a.www_authenticate.as_deref(), Some("Bearer"));
        assert_eq!(a.content_type, "application/problem+json");
    }
    // The service's own token publishes it, and nothing else.
    let a = send(
        &store,
        public,
        "PUT",
        uri,
        Some(&payment.secret),
        Some(body("openapi: 3.1.0\n")),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json);
    let mut other = body("openapi: 3.1.0\n");
    other["manifest"] = "[service]\nname = \"order-service\"\n".into();
    let a = send(
        &store,
        public,
        "PUT",
        "/api/v1/services/order-service/versions/1",
        Some(&payment.secret),
        Some(other),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(
        a.json["detail"]
            .as_str()
            .unwrap()
            .contains("publish:order-service")
    );
    // A deploy token covers its environment only, and cannot publish.
    let deploy = |env: &str| format!("/api/v1/environments/{env}/deployments/payment-service");
    let version = serde_json::json!({ "version": "1.0.0" });
    let a = send(
        &store,
        public,
        "PUT",
        &deploy("staging"),
        Some(&staging.secret),
        Some(version.clone()),
    )
    .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let a = send(
        &store,
        public,
        "PUT",
        &deploy("production"),
        Some(&staging.secret),
        Some(version.clone()),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = send(
        &store,
        public,
        "PUT",
        uri,
        Some(&staging.secret),
        Some(body("x")),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    // Public reads need nothing; private reads need a valid token of any scope.
    let private = Settings {
        private_reads: true,
        ..Default::default()
    };
    assert_eq!(
        send(&store, public, "GET", "/api/v1/services", None, None)
            .await
            .status,
        StatusCode::OK
    );
    let a = send(&store, private, "GET", "/api/v1/services", None, None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let reader = store
        .create_token("dashboard", &[Scope::Read])
        .await
        .unwrap();
    // The web UI follows the same rule, with an HTML page instead of a problem.
    let a = send(&store, private, "GET", "/graph", None, None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(
        a.content_type.starts_with("text/html"),
        "{}",
        a.content_type
    );
    let a = send(&store, private, "GET", "/graph", Some(&reader.secret), None).await;
    assert_eq!(a.status, StatusCode::OK);
    let a = send(
        &store,
        private,
        "GET",
        "/api/v1/services",
        Some(&reader.secret),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json[0]["name"], "payment-service");

    // A revoked token is refused at once; the secret is stored only as a hash.
    assert!(store.revoke_token(&payment.id).await.unwrap());
    assert!(!store.revoke_token(&payment.id).await.unwrap());
    let a = send(
        &store,
        public,
        "PUT",
        uri,
        Some(&payment.secret),
        Some(body("openapi: 3.1.0\n")),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let listed = store.tokens().await.unwrap();
    assert_eq!(listed.len(), 3);
    assert!(
        listed
            .iter()
            .all(|t| !format!("{t:?}").contains(&payment.secret[5..]))
    );
    // Tokens made in the same millisecond list in id order, so find this one by its id.
    let revoked = listed.iter().find(|t| t.id == payment.id).unwrap();
    assert_eq!(revoked.scopes, vec!["publish:payment-service".to_string()]);
    assert!(revoked.revoked_ms.is_some());
    assert!(listed.iter().filter(|t| t.revoked_ms.is_some()).count() == 1);
}

#[test]
fn scopes_parse_and_print_alike() {
    for text in [
        "read",
        "admin",
        "publish:order-service",
        "deploy:production",
    ] {
        assert_eq!(text.parse::<Scope>().unwrap().to_string(), text);
    }
    for bad in ["write", "publish:", "deploy:../x", "publish:a/b", ""] {
        let err = bad.parse::<Scope>().unwrap_err();
        assert!(err.contains("publish:<service>"), "{bad}: {err}");
    }
}

#[tokio::test]
async fn the_api_describes_itself() {
    let (_dir, store) = sqlite().await;
    let (status, content_type, json) = call(&store, "GET", "/openapi.json", None).await;
    assert_eq!(
        (status, content_type.as_str()),
        (StatusCode::OK, "application/json")
    );
    assert_eq!(json["openapi"], "3.1.0");
    // Every route the router serves is described, and nothing else.
    let described: Vec<&str> = json["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for route in [
        "/healthz",
        "/readyz",
        "/openapi.json",
        "/api/v1/services",
        "/api/v1/services/{service}/versions",
        "/api/v1/services/{service}/consumers",
        "/api/v1/services/{service}/versions/{version}",
        "/api/v1/environments",
        "/api/v1/environments/{environment}/deployments",
        "/api/v1/environments/{environment}/deployments/{service}",
        "/api/v1/environments/{environment}/usage",
        "/api/v1/can-i-deploy",
        "/api/v1/matrix",
        "/api/v1/migrations",
        "/api/v1/migrations/{service}",
        "/api/v1/migrations/{service}/{message}",
        "/api/v1/migrations/{service}/{message}/{step}",
        "/v1/traces",
    ] {
        assert!(described.contains(&route), "{route} is not in openapi.json");
    }
    assert_eq!(described.len(), 18);
}

#[tokio::test]
async fn refusals_are_problem_details() {
    let (_dir, store) = sqlite().await;
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
        (
            "PUT",
            "/api/v1/services/ok/versions/1",
            Some(
                serde_json::json!({ "manifest": "[service]\nname = \"ok\"\n", "contracts": [
                { "path": "a.yaml", "content": "" }, { "path": "a.yaml", "content": "" }] }),
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            "PUT",
            "/api/v1/services/ok/versions/1",
            Some(serde_json::json!({ "manifest": "[service]\nname = \"ok\"\n\u{0}" })),
            StatusCode::BAD_REQUEST,
        ),
        (
            "PUT",
            "/api/v1/services/ok/versions/1",
            Some(serde_json::json!({ "manifest": "[service]\nname = \"other\"\n" })),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "PUT",
            "/api/v1/services/ok/versions/1",
            Some(serde_json::json!({ "manifest": "[service\n" })),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("GET", "/api/v2/services", None, StatusCode::NOT_FOUND),
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

/// A version is immutable, so metadata the pages show is checked when it is published: a commit id is hex, a
/// branch is a name git would accept. Refused with 422 and a reason; nothing is stored.
#[tokio::test]
async fn commit_and_branch_are_checked_on_publish() {
    let (_dir, store) = sqlite().await;
    let with = |commit: serde_json::Value, branch: serde_json::Value| {
        let mut b = body("openapi: 3.1.0\n");
        b["git_commit"] = commit;
        b["branch"] = branch;
        b
    };
    let refused = [
        with("aéééééé".into(), "main".into()),
        with("4f2a1c0 ".into(), "main".into()),
        with("abc".into(), "main".into()),
        with("g".repeat(40).into(), "main".into()),
        with("a".repeat(65).into(), "main".into()),
        with("4f2a1c0".into(), "feature x".into()),
        with("4f2a1c0".into(), "".into()),
        with("4f2a1c0".into(), "a..b".into()),
        with("4f2a1c0".into(), "-rf".into()),
        with("4f2a1c0".into(), "x\u{7}".into()),
        with("4f2a1c0".into(), "é".repeat(256).into()),
    ];
    for b in refused {
        let (status, content_type, json) = call(
            &store,
            "PUT",
            "/api/v1/services/payment-service/versions/1.0.0",
            Some(b.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}: {json}");
        assert_eq!(content_type, "application/problem+json");
        let detail = json["detail"].as_str().unwrap();
        assert!(
            detail.starts_with("git_commit is not") || detail.starts_with("branch is not"),
            "{detail}"
        );
    }
    let (status, _, json) = call(
        &store,
        "GET",
        "/api/v1/services/payment-service/versions",
        None,
    )
    .await;
    assert_eq!((status, json), (StatusCode::OK, serde_json::json!([])));
    let accepted = [
        with("4f2a1c0".into(), "main".into()),
        with("4F2A1C0E9B7D".into(), "feature/café-42".into()),
        with("a".repeat(64).into(), serde_json::Value::Null),
        with(serde_json::Value::Null, "release-1.x".into()),
    ];
    for (i, b) in accepted.into_iter().enumerate() {
        let mut b = b;
        b["contracts"][0]["content"] = format!("openapi: 3.1.0\n# {i}\n").into();
        let (status, _, json) = call(
            &store,
            "PUT",
            &format!("/api/v1/services/payment-service/versions/1.{i}.0"),
            Some(b),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{json}");
    }
}

/// The versions of a service come a page at a time: `limit` of them (100 unless said), newest first, and
/// `before` continues after the last of a page.
#[tokio::test]
async fn versions_come_a_page_at_a_time() {
    let (_dir, store) = sqlite().await;
    for i in 0..5 {
        let mut b = body(&format!("openapi: 3.1.0\n# {i}\n"));
        b["git_commit"] = format!("{i:07x}").into();
        let uri = format!("/api/v1/services/payment-service/versions/1.{i}.0");
        assert_eq!(
            call(&store, "PUT", &uri, Some(b)).await.0,
            StatusCode::CREATED
        );
    }
    let page = |query: &str| {
        let store = store.clone();
        let uri = format!("/api/v1/services/payment-service/versions{query}");
        async move {
            let (status, _, json) = call(&store, "GET", &uri, None).await;
            let names: Vec<String> = json
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| v["version"].as_str().unwrap().to_owned())
                        .collect()
                })
                .unwrap_or_default();
            (status, names)
        }
    };
    let (status, all) = page("").await;
    assert_eq!((status, all.len()), (StatusCode::OK, 5));
    assert_eq!(page("?limit=2").await.1, all[..2]);
    let after = format!("?limit=2&before={}", all[1]);
    assert_eq!(page(&after).await.1, all[2..4]);
    let last = format!("?limit=2&before={}", all[3]);
    assert_eq!(page(&last).await.1, all[4..]);
    for bad in ["?limit=0", "?limit=1001", "?limit=x", "?before=..%2Fx"] {
        assert_eq!(page(bad).await.0, StatusCode::BAD_REQUEST, "{bad}");
    }
    assert_eq!(page("?before=9.9.9").await.0, StatusCode::NOT_FOUND);
}

/// Publishes and deploys through the API are followed by their verdicts, reached in the background before
/// anyone asks: the new version against every environment, and a deployed service's partners against the
/// environment it went to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verdicts_are_reached_ahead_of_the_questions() {
    use sqlx::Connection as _;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("r.db").display());
    let store = Store::open(&url).await.unwrap();
    let api = "openapi: 3.1.0\ninfo: {title: payments, version: '1'}\npaths:\n  /payments:\n    post:\n      operationId: createPayment\n      responses:\n        '201': {description: created}\n";
    let order = serde_json::json!({
        "manifest": "[service]\nname = \"order-service\"\n\n[[consumes.http]]\nservice = \"payment-service\"\ncontract = \"payment-api\"\noperations = [\"createPayment\"]\n",
        "contracts": [{ "path": "contracts/vendor/payment-service/payment-api.yaml", "content": api }],
    });
    let steps = [
        ("/api/v1/services/payment-service/versions/1", body(api)),
        ("/api/v1/services/order-service/versions/1", order),
        (
            "/api/v1/environments/production/deployments/payment-service",
            serde_json::json!({ "version": "1" }),
        ),
        (
            "/api/v1/environments/production/deployments/order-service",
            serde_json::json!({ "version": "1" }),
        ),
        (
            "/api/v1/services/payment-service/versions/2",
            body(&api.replace("createPayment", "makePayment")),
        ),
    ];
    for (uri, json) in steps {
        let (status, _, answer) = call(&store, "PUT", uri, Some(json)).await;
        assert!(status.is_success(), "{uri}: {status} {answer}");
    }
    let mut db = sqlx::AnyConnection::connect(&url).await.unwrap();
    let wanted = [
        // order-service's deploy: its provider's latest (1) against production.
        ("1", 1_i64),
        // payment-service 2's publish: against production, where order-service 1 runs; it drops createPayment.
        ("2", 0),
    ];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT provider_version, compatible FROM verdicts WHERE consumer = 'order-service' \
             AND consumer_version = '1' AND provider = 'payment-service' ORDER BY provider_version",
        )
        .fetch_all(&mut db)
        .await
        .unwrap();
        if rows == wanted.map(|(v, c)| (v.to_string(), c)) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "verdicts stored: {rows:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The graph is kept as drawn until a version is published: one router (one server) asked before and after a
/// publish draws the new dependency.
#[tokio::test]
async fn the_graph_is_drawn_again_after_a_publish() {
    let (_dir, store) = sqlite().await;
    let app = router(store.clone(), Settings::default());
    let svg = |app: axum::Router| async move {
        let request = Request::builder()
            .uri("/graph.svg")
            .body(Body::empty())
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    };
    let publication = |service: &str, manifest: &str| seamline_registry::Publication {
        service: service.into(),
        owner: None,
        version: "1".into(),
        git_commit: None,
        branch: None,
        manifest: manifest.into(),
        contracts: Vec::new(),
    };
    store
        .publish(&publication(
            "payment-service",
            "[service]\nname = \"payment-service\"\n",
        ))
        .await
        .unwrap();
    let edge = "data-consumer=\"order-service\"";
    let before = svg(app.clone()).await;
    assert!(
        before.contains("payment-service") && !before.contains(edge),
        "{before}"
    );
    assert_eq!(svg(app.clone()).await, before, "drawn again alike");
    store
        .publish(&publication(
            "order-service",
            "[service]\nname = \"order-service\"\n\n[[consumes.http]]\nservice = \"payment-service\"\ncontract = \"payment-api\"\n",
        ))
        .await
        .unwrap();
    let after = svg(app.clone()).await;
    assert!(after.contains(edge), "{after}");
}

/// Version usage seen in traces: reported with a `deploy:<environment>` token, counted per hour, summed when
/// read, and refused when it is not usage.
#[tokio::test]
async fn version_usage_is_counted_and_read_back() {
    let (_dir, store) = sqlite().await;
    let deployer = store
        .create_token("production reporter", &[Scope::Deploy("production".into())])
        .await
        .unwrap()
        .secret;
    let uri = "/api/v1/environments/production/usage";
    let hour = 1_795_683_600_000_i64;
    let report = |count: i64, failed: i64, role: &str, at: i64| {
        serde_json::json!({"usage": [{
            "service": "order-service", "role": role, "message": "inventory.stock_reserved",
            "version": "1", "count": count, "failed": failed, "last_seen_ms": at,
        }]})
    };
    let post = |token: Option<&str>, body| {
        let store = store.clone();
        let token = token.map(str::to_owned);
        async move {
            send(
                &store,
                Settings::default(),
                "POST",
                uri,
                token.as_deref(),
                Some(body),
            )
            .await
        }
    };
    assert_eq!(
        post(None, report(1, 0, "consumes", hour)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let staging = store
        .create_token("staging reporter", &[Scope::Deploy("staging".into())])
        .await
        .unwrap()
        .secret;
    assert_eq!(
        post(Some(&staging), report(1, 0, "consumes", hour))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Two reports in one hour and one in the next: one counter each hour, summed when read.
    for (count, failed, at) in [
        (5, 1, hour + 60_000),
        (3, 0, hour + 120_000),
        (2, 0, hour + 3_700_000),
    ] {
        let answer = post(Some(&deployer), report(count, failed, "consumes", at)).await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.json);
    }
    let read = send(&store, Settings::default(), "GET", uri, None, None).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(
        read.json,
        serde_json::json!([{
            "service": "order-service", "role": "consumes", "message": "inventory.stock_reserved",
            "version": "1", "count": 10, "failed": 1, "last_seen_ms": hour + 3_700_000,
        }])
    );
    let later = send(
        &store,
        Settings::default(),
        "GET",
        &format!("{uri}?since_ms={}", hour + 3_600_000),
        None,
        None,
    )
    .await;
    assert_eq!(later.json[0]["count"], 2, "{}", later.json);
    let other = send(
        &store,
        Settings::default(),
        "GET",
        &format!("{uri}?message=order.placed"),
        None,
        None,
    )
    .await;
    assert_eq!(other.json, serde_json::json!([]));
    // Not usage: a role that is neither, a negative count, a time past 2100.
    for bad in [
        report(1, 0, "reads", hour),
        report(-1, 0, "consumes", hour),
        report(1, 0, "consumes", 99_999_999_999_999),
    ] {
        let answer = post(Some(&deployer), bad).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.json);
        assert_eq!(answer.content_type, "application/problem+json");
    }
}

/// A raw request to the router: `(status, content type, body)`.
async fn raw_post(
    store: &Store,
    uri: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (StatusCode, String, Vec<u8>) {
    let mut request = Request::builder().method("POST").uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = router(store.clone(), Settings::default())
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, content_type, bytes.to_vec())
}

/// One consumer span of `service` reading `message` in schema version `version`, as OTLP/protobuf.
fn consumed_as_protobuf(service: &str, message: &str, version: i64) -> Vec<u8> {
    use prost::Message as _;
    use seamline_trace::read::proto::*;
    let text = |key: &str, value: &str| KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(AnyKind::String(value.into())),
        }),
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![text("service.name", service)],
            }),
            scope_spans: vec![ScopeSpans {
                spans: vec![ProtoSpan {
                    trace_id: vec![7; 16],
                    span_id: vec![8; 8],
                    parent_span_id: vec![],
                    name: format!("process {message}"),
                    kind: 5,
                    start_time_unix_nano: 1_795_683_600_000_000_000,
                    end_time_unix_nano: 1_795_683_600_010_000_000,
                    attributes: vec![
                        text("messaging.system", "rabbitmq"),
                        text("messaging.operation.type", "process"),
                        text("messaging.destination.name", "orders"),
                        text("cloudevents.event_type", message),
                        KeyValue {
                            key: "messaging.message.schema_version".into(),
                            value: Some(AnyValue {
                                value: Some(AnyKind::Int(version)),
                            }),
                        },
                    ],
                    events: vec![],
                    links: vec![],
                    status: None,
                }],
            }],
            instrumentation_library_spans: vec![],
        }],
    }
    .encode_to_vec()
}

/// The OTLP/HTTP receiver: spans an exporter sends (protobuf or JSON, the environment in a header) become
/// version-usage counters; without the header, a token for that environment, or a body of spans it refuses.
#[tokio::test]
async fn otlp_traces_become_version_usage() {
    let (_dir, store) = sqlite().await;
    let token = store
        .create_token("collector", &[Scope::Deploy("production".into())])
        .await
        .unwrap()
        .secret;
    let bearer = format!("Bearer {token}");
    let protobuf = consumed_as_protobuf("order-service", "inventory.stock_reserved", 2);
    let headers = [
        ("authorization", bearer.as_str()),
        ("content-type", "application/x-protobuf"),
        ("seam-environment", "production"),
    ];
    let (status, content_type, body) =
        raw_post(&store, "/v1/traces", &headers, protobuf.clone()).await;
    assert_eq!(
        (status, content_type.as_str()),
        (StatusCode::OK, "application/x-protobuf")
    );
    assert!(body.is_empty());

    // The same request as OTLP/JSON.
    let json = serde_json::json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "order-service"}}]},
        "scopeSpans": [{"spans": [{
            "traceId": "0707070707070707070707070707070a", "spanId": "0808080808080809",
            "name": "process inventory.stock_reserved", "kind": 5,
            "startTimeUnixNano": "1795683600000000000", "endTimeUnixNano": "1795683600010000000",
            "attributes": [
                {"key": "messaging.system", "value": {"stringValue": "rabbitmq"}},
                {"key": "messaging.operation.type", "value": {"stringValue": "process"}},
                {"key": "messaging.destination.name", "value": {"stringValue": "orders"}},
                {"key": "cloudevents.event_type", "value": {"stringValue": "inventory.stock_reserved"}},
                {"key": "messaging.message.schema_version", "value": {"intValue": "2"}}
            ]
        }]}]
    }]});
    let json_headers = [
        ("authorization", bearer.as_str()),
        ("content-type", "application/json"),
        ("seam-environment", "production"),
    ];
    let (status, _, body) = raw_post(
        &store,
        "/v1/traces",
        &json_headers,
        json.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"{}");
    let read = send(
        &store,
        Settings::default(),
        "GET",
        "/api/v1/environments/production/usage",
        None,
        None,
    )
    .await;
    assert_eq!(read.json[0]["service"], "order-service", "{}", read.json);
    assert_eq!(
        (
            &read.json[0]["role"],
            &read.json[0]["version"],
            &read.json[0]["count"]
        ),
        (
            &serde_json::json!("consumes"),
            &serde_json::json!("2"),
            &serde_json::json!(2)
        )
    );

    // Refused: no environment header, a token for another environment, no token, a body of no spans, another
    // media type.
    let staging = store
        .create_token("staging collector", &[Scope::Deploy("staging".into())])
        .await
        .unwrap()
        .secret;
    let staging = format!("Bearer {staging}");
    for (headers, body, expected) in [
        (
            vec![
                ("authorization", bearer.as_str()),
                ("content-type", "application/x-protobuf"),
            ],
            protobuf.clone(),
            StatusCode::BAD_REQUEST,
        ),
        (
            vec![
                ("authorization", staging.as_str()),
                ("content-type", "application/x-protobuf"),
                ("seam-environment", "production"),
            ],
            protobuf.clone(),
            StatusCode::FORBIDDEN,
        ),
        (
            vec![
                ("content-type", "application/x-protobuf"),
                ("seam-environment", "production"),
            ],
            protobuf.clone(),
            StatusCode::UNAUTHORIZED,
        ),
        (
            vec![
                ("authorization", bearer.as_str()),
                ("content-type", "application/json"),
                ("seam-environment", "production"),
            ],
            b"{\"spans\": 1}".to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            vec![
                ("authorization", bearer.as_str()),
                ("content-type", "text/plain"),
                ("seam-environment", "production"),
            ],
            protobuf.clone(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
    ] {
        let (status, content_type, _) = raw_post(&store, "/v1/traces", &headers, body).await;
        assert_eq!(status, expected, "{headers:?}");
        assert_eq!(content_type, "application/problem+json");
    }
}

/// Migrations over HTTP: only the producer's token (or admin) takes steps, a refused step is 409 with the shut
/// gate's reasons, and an aborted migration is listed as such.
#[tokio::test]
async fn migrations_are_steered_by_the_producers_token() {
    let (_dir, store) = sqlite().await;
    let contract = "asyncapi: 3.0.0\ninfo: {title: inventory, version: '1'}\nchannels:\n  inventory:\n    address: inventory\ncomponents:\n  messages:\n    R1:\n      name: inventory.stock_reserved\n      x-version: 1\n      payload: {type: object}\n    R2:\n      name: inventory.stock_reserved\n      x-version: 2\n      payload: {type: object}\n";
    let (status, _, json) = call(
        &store,
        "PUT",
        "/api/v1/services/inventory-service/versions/1",
        Some(serde_json::json!({
            "manifest": "[service]\nname = \"inventory-service\"\n\n[[provides.events]]\nname = \"inventory-events\"\nspec = \"contracts/e.yaml\"\n\n[[publishes]]\nmessage = \"inventory.stock_reserved@1\"\n",
            "contracts": [{ "path": "contracts/e.yaml", "content": contract }],
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    let token = |scope: &str| {
        let store = store.clone();
        let scope: Scope = scope.parse().unwrap();
        async move { store.create_token("t", &[scope]).await.unwrap().secret }
    };
    let producer = token("publish:inventory-service").await;
    let other = token("publish:order-service").await;
    let start = serde_json::json!({
        "contract": "inventory-events", "message": "inventory.stock_reserved", "from": 1, "to": 2
    });
    let post = |uri: &'static str, token: String, body: Option<serde_json::Value>| {
        let store = store.clone();
        async move { send(&store, Settings::default(), "POST", uri, Some(&token), body).await }
    };
    let a = post(
        "/api/v1/migrations/inventory-service",
        other.clone(),
        Some(start.clone()),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.json);
    let a = post(
        "/api/v1/migrations/inventory-service",
        producer.clone(),
        Some(start.clone()),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json);
    assert_eq!(a.json["gates"].as_array().unwrap().len(), 5);
    assert_eq!(a.json["window_ms"], 7 * 24 * 3_600_000);
    let a = post(
        "/api/v1/migrations/inventory-service",
        producer.clone(),
        Some(start),
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.json);

    let uri = "/api/v1/migrations/inventory-service/inventory.stock_reserved";
    let a = send(&store, Settings::default(), "GET", uri, None, None).await;
    assert_eq!(
        (a.status, a.json["phase"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{}",
        a.json
    );
    let a = post(
        "/api/v1/migrations/inventory-service/inventory.stock_reserved/advance",
        other,
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.json);
    let a = post(
        "/api/v1/migrations/inventory-service/inventory.stock_reserved/advance",
        producer.clone(),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.json);
    assert!(
        a.json["detail"]
            .as_str()
            .unwrap()
            .starts_with("gate 2 (dual-publish) of inventory.stock_reserved v1 → v2 is shut"),
        "{}",
        a.json
    );
    let a = post(
        "/api/v1/migrations/inventory-service/inventory.stock_reserved/jump",
        producer.clone(),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.json);
    let a = post(
        "/api/v1/migrations/inventory-service/inventory.stock_reserved/abort",
        producer,
        None,
    )
    .await;
    assert_eq!(
        (a.status, a.json["state"].as_str()),
        (StatusCode::OK, Some("aborted")),
        "{}",
        a.json
    );
    let (status, _, list) = call(&store, "GET", "/api/v1/migrations", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list[0]["state"], "aborted");
    assert_eq!(list[0]["history"].as_array().unwrap().len(), 2);
    let (status, _, _) = call(
        &store,
        "GET",
        "/api/v1/migrations/inventory-service/nothing.here",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
