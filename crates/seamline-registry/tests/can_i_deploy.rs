//! can-i-deploy against what runs in an environment, judged on what each consumer uses.

mod common;

use seamline_registry::{Publication, Store};

const ORDER_MANIFEST: &str = r#"[service]
name = "order-service"
owner = "team-checkout"

[[consumes.http]]
service = "payment-service"
contract = "payment-api"
operations = ["createPayment"]
timeout_ms = 2000
"#;

const PAYMENT_MANIFEST: &str = r#"[service]
name = "payment-service"
owner = "team-payments"

[[provides.http]]
name = "payment-api"
spec = "contracts/payment-api.yaml"
"#;

/// The payment API with `createPayment` and `getRefund`; `payment_fields` are the response's required fields.
fn payment_api(with_create: bool, with_refund: bool, extra_field: bool) -> String {
    let mut paths = String::new();
    if with_create {
        paths.push_str(
            "  /payments:\n    post:\n      operationId: createPayment\n      responses:\n        '201':\n          description: created\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/Payment'\n",
        );
    }
    if with_refund {
        paths.push_str(
            "  /refunds/{id}:\n    get:\n      operationId: getRefund\n      parameters:\n        - name: id\n          in: path\n          required: true\n          schema: {type: string}\n      responses:\n        '200':\n          description: the refund\n",
        );
    }
    let extra = if extra_field {
        "        note: {type: string}\n"
    } else {
        ""
    };
    format!(
        "openapi: 3.1.0\ninfo: {{title: payments, version: '1'}}\npaths:\n{paths}components:\n  schemas:\n    Payment:\n      type: object\n      required: [id]\n      properties:\n        id: {{type: string}}\n{extra}"
    )
}

fn payment(version: &str, api: String) -> Publication {
    Publication {
        service: "payment-service".into(),
        owner: None,
        version: version.into(),
        git_commit: None,
        branch: None,
        manifest: PAYMENT_MANIFEST.into(),
        contracts: vec![("contracts/payment-api.yaml".into(), api)],
    }
}

#[tokio::test]
async fn a_compatible_change_may_go_and_a_breaking_one_may_not() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite:{}", dir.path().join("r.db").display()))
        .await
        .unwrap();
    let v1 = payment_api(true, true, false);
    store.publish(&payment("1", v1.clone())).await.unwrap();
    store
        .publish(&Publication {
            service: "order-service".into(),
            owner: None,
            version: "4f2a1c".into(),
            git_commit: None,
            branch: None,
            manifest: ORDER_MANIFEST.into(),
            contracts: vec![(
                "contracts/vendor/payment-service/payment-api.yaml".into(),
                v1,
            )],
        })
        .await
        .unwrap();
    store
        .record_deployment("production", "payment-service", "1")
        .await
        .unwrap();
    store
        .record_deployment("production", "order-service", "4f2a1c")
        .await
        .unwrap();

    // The consumer as it runs: compatible with the provider it was built against.
    let decision = store
        .can_i_deploy("order-service", "4f2a1c", "production")
        .await
        .unwrap();
    assert!(decision.deployable, "{decision:#?}");
    assert_eq!(decision.pairs.len(), 1);

    // An added optional response field: fine.
    store
        .publish(&payment("2", payment_api(true, true, true)))
        .await
        .unwrap();
    let decision = store
        .can_i_deploy("payment-service", "2", "production")
        .await
        .unwrap();
    assert!(decision.deployable, "{decision:#?}");
    assert_eq!(decision.pairs[0].consumer, "order-service");

    // Removing an operation order-service does not use: fine, for this consumer.
    store
        .publish(&payment("3", payment_api(true, false, false)))
        .await
        .unwrap();
    let decision = store
        .can_i_deploy("payment-service", "3", "production")
        .await
        .unwrap();
    assert!(decision.deployable, "{decision:#?}");

    // Removing the operation it uses: no, with the reason.
    store
        .publish(&payment("4", payment_api(false, true, false)))
        .await
        .unwrap();
    let decision = store
        .can_i_deploy("payment-service", "4", "production")
        .await
        .unwrap();
    assert!(!decision.deployable, "{decision:#?}");
    // Asked again: answered from the verdicts already reached, the same.
    let again = store
        .can_i_deploy("payment-service", "4", "production")
        .await
        .unwrap();
    assert_eq!(again, decision);
    let pair = &decision.pairs[0];
    assert_eq!(
        (
            pair.consumer.as_str(),
            pair.provider.as_str(),
            pair.compatible
        ),
        ("order-service", "payment-service", false)
    );
    assert!(
        pair.reason
            .starts_with("breaking for what order-service uses"),
        "{}",
        pair.reason
    );

    // In an environment where nothing runs, there is nothing to break.
    let decision = store
        .can_i_deploy("payment-service", "4", "staging")
        .await
        .unwrap();
    assert!(
        decision.deployable && decision.pairs.is_empty(),
        "{decision:#?}"
    );
    assert!(
        store
            .can_i_deploy("payment-service", "9", "production")
            .await
            .is_err()
    );
}

/// Ways a contract can be unreadable, each with the line a reader should be sent to.
fn damaged_contracts() -> Vec<(&'static str, String, u32)> {
    let mut deep = String::from("{\"openapi\": \"3.1.0\", \"x\": ");
    deep.push_str(&"[".repeat(300));
    deep.push_str(&"]".repeat(300));
    deep.push('}');
    let mut bomb = String::from("openapi: 3.1.0\nx-a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (name, prev) in [("b", "a"), ("c", "b"), ("d", "c"), ("e", "d"), ("f", "e")] {
        bomb.push_str(&format!(
            "x-{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 10].join(", ")
        ));
    }
    bomb.push_str("paths: {}\n");
    vec![
        (
            "an unclosed flow sequence",
            "openapi: [unclosed\n".into(),
            2,
        ),
        ("an empty file", String::new(), 1),
        ("garbage", "this is not a contract\n".into(), 1),
        (
            "tab indentation",
            "openapi: 3.1.0\ninfo:\n\ttitle: payments\n".into(),
            3,
        ),
        (
            "truncated JSON",
            "{\"openapi\": \"3.1.0\", \"paths\": {\"/payments\": ".into(),
            1,
        ),
        ("an alias bomb", bomb, 6),
        ("nesting past the limit", deep, 1),
        (
            "a $ref to nothing",
            payment_api(true, true, false).replace(
                "#/components/schemas/Payment",
                "#/components/schemas/Nothing",
            ),
            13,
        ),
    ]
}

#[tokio::test]
async fn a_version_whose_contracts_cannot_be_read_is_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite:{}", dir.path().join("r.db").display()))
        .await
        .unwrap();
    for (what, text, line) in damaged_contracts() {
        let err = store
            .publish(&payment("x", text.clone()))
            .await
            .unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, seamline_registry::StoreError::UnreadableContract(_))
                && message.contains(&format!("contracts/payment-api.yaml:{line}: ")),
            "{what}: {message}"
        );
        // The consumer's vendored copy is the other side of every verdict: the same rule.
        let err = store
            .publish(&order("x", text))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!(
                "contracts/vendor/payment-service/payment-api.yaml:{line}: "
            )),
            "{what}: {err}"
        );
    }
    assert!(
        store
            .version("payment-service", "x")
            .await
            .unwrap()
            .is_none()
    );
    // A file beside the contracts that does not parse is refused as well; one that parses but is no contract
    // (shared components) is fine.
    let mut publication = payment("y", payment_api(true, true, false));
    publication.contracts.push((
        "contracts/common.yaml".into(),
        "components: {schemas: {}}\n".into(),
    ));
    store.publish(&publication).await.unwrap();
    publication.version = "z".into();
    publication.contracts[1].1 = "components: [\n".into();
    let err = store.publish(&publication).await.unwrap_err().to_string();
    assert!(err.contains("contracts/common.yaml:2: "), "{err}");
}

fn order(version: &str, vendored: String) -> Publication {
    Publication {
        service: "order-service".into(),
        owner: None,
        version: version.into(),
        git_commit: None,
        branch: None,
        manifest: ORDER_MANIFEST.into(),
        contracts: vec![(
            "contracts/vendor/payment-service/payment-api.yaml".into(),
            vendored,
        )],
    }
}

/// Replaces a stored contract's text behind the store's back, as a release that did not check contracts
/// could have stored it.
async fn overwrite(url: &str, service: &str, version: &str, path: &str, text: &str) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut db = sqlx::AnyConnection::connect(url).await.unwrap();
    let updated = sqlx::query(
        "UPDATE contracts SET content = $1 WHERE service = $2 AND version = $3 AND path = $4",
    )
    .bind(text)
    .bind(service)
    .bind(version)
    .bind(path)
    .execute(&mut db)
    .await
    .unwrap()
    .rows_affected();
    assert_eq!(updated, 1);
}

/// Every judgement of a stored version that cannot be read says "cannot judge" and counts as not deployable:
/// can-i-deploy in both directions, the matrix, the version diff (and the UI pages built on them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_unreadable_version_cannot_be_judged() {
    common::on_every_backend(|store, url| async move {
        let v1 = payment_api(true, true, false);
        store.publish(&payment("1", v1.clone())).await.unwrap();
        store.publish(&order("4f2a1c", v1.clone())).await.unwrap();
        store
            .record_deployment("production", "payment-service", "1")
            .await
            .unwrap();
        store
            .record_deployment("production", "order-service", "4f2a1c")
            .await
            .unwrap();
        for (i, (what, text, line)) in damaged_contracts().into_iter().enumerate() {
            let (provider, consumer) = (format!("x{i}"), format!("o{i}"));
            store
                .publish(&payment(&provider, v1.clone()))
                .await
                .unwrap();
            store.publish(&order(&consumer, v1.clone())).await.unwrap();
            let api = "contracts/payment-api.yaml";
            let vendored = "contracts/vendor/payment-service/payment-api.yaml";
            overwrite(&url, "payment-service", &provider, api, &text).await;
            overwrite(&url, "order-service", &consumer, vendored, &text).await;

            // As a provider: its contract cannot be read.
            let decision = store
                .can_i_deploy("payment-service", &provider, "production")
                .await
                .unwrap();
            assert!(!decision.deployable, "{what}: {decision:#?}");
            let reason = &decision.pairs[0].reason;
            let expected = format!("cannot judge: payment-service {provider}: {api}:{line}: ");
            assert!(reason.starts_with(&expected), "{what}: {reason}");
            // As a consumer: its vendored copy cannot be read.
            let decision = store
                .can_i_deploy("order-service", &consumer, "production")
                .await
                .unwrap();
            assert!(!decision.deployable, "{what}: {decision:#?}");
            let reason = &decision.pairs[0].reason;
            assert!(
                reason.starts_with(&format!(
                    "cannot judge: order-service {consumer}: {vendored}:{line}: "
                )),
                "{what}: {reason}"
            );
            let matrix = store.matrix("payment-service", &provider).await.unwrap();
            assert!(!matrix.deployable, "{what}: {matrix:#?}");
            // The version diff says why it has no changes to show.
            let diff = store
                .diff_versions("payment-service", "1", &provider)
                .await
                .unwrap();
            assert!(diff[0].changes.is_empty());
            assert!(
                diff[0]
                    .cannot_judge
                    .as_deref()
                    .is_some_and(|c| c.starts_with(&expected)),
                "{what}: {diff:#?}"
            );
        }
    })
    .await;
}

/// `(status, content type, body)` of one request to the router, with an admin token.
async fn call(
    store: &Store,
    method: &str,
    uri: &str,
    body: Option<String>,
) -> (u16, String, String) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let admin = store
        .create_token("test admin", &[seamline_registry::Scope::Admin])
        .await
        .unwrap()
        .secret;
    let request = axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {admin}"))
        .body(body.map_or(axum::body::Body::empty(), axum::body::Body::from))
        .unwrap();
    let response = seamline_registry::api::router(store.clone(), Default::default())
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// Through the HTTP API: 422 problem details naming the file and the line; through the UI: the version diff
/// and the matrix say "cannot judge" for a version stored before contracts were checked.
#[tokio::test]
async fn the_api_refuses_and_the_pages_say_cannot_judge() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("r.db").display());
    let store = Store::open(&url).await.unwrap();
    let body = serde_json::json!({
        "manifest": PAYMENT_MANIFEST,
        "contracts": [{"path": "contracts/payment-api.yaml", "content": "openapi: [unclosed"}],
    });
    let (status, content_type, text) = call(
        &store,
        "PUT",
        "/api/v1/services/payment-service/versions/x",
        Some(body.to_string()),
    )
    .await;
    assert_eq!(
        (status, content_type.as_str()),
        (422, "application/problem+json"),
        "{text}"
    );
    let problem: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(problem["title"], "Unreadable contract");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("contracts/payment-api.yaml:1: "),
        "{problem}"
    );

    let v1 = payment_api(true, true, false);
    store.publish(&payment("1", v1.clone())).await.unwrap();
    store.publish(&payment("x", v1.clone())).await.unwrap();
    store.publish(&order("4f2a1c", v1)).await.unwrap();
    overwrite(
        &url,
        "payment-service",
        "x",
        "contracts/payment-api.yaml",
        "",
    )
    .await;
    store
        .record_deployment("production", "order-service", "4f2a1c")
        .await
        .unwrap();
    let (status, _, page) = call(
        &store,
        "GET",
        "/services/payment-service/diff?from=1&to=x",
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(
            "cannot judge: payment-service x: contracts/payment-api.yaml:1: the file is empty"
        ),
        "{page}"
    );
    assert!(!page.contains("No change."), "{page}");
    let (status, _, page) = call(
        &store,
        "GET",
        "/matrix?service=payment-service&version=x",
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("not deployable") && page.contains("cannot judge: payment-service x"),
        "{page}"
    );
    let (status, _, answer) = call(
        &store,
        "GET",
        "/api/v1/can-i-deploy?service=payment-service&version=x&environment=production",
        None,
    )
    .await;
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(
        (status, &answer["deployable"]),
        (200, &serde_json::json!(false)),
        "{answer}"
    );
}

/// Runs `sql` on the database at `url`; the rows it changed.
async fn execute(url: &str, sql: &str) -> u64 {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut db = sqlx::AnyConnection::connect(url).await.unwrap();
    sqlx::query(sql)
        .execute(&mut db)
        .await
        .unwrap()
        .rows_affected()
}

/// The overview's grid (every candidate in every environment, asked at once) answers what each cell asked
/// alone answers; the verdicts it reaches are stored, read back by a store opened again (a restarted server),
/// and not read when another Seamline version reached them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grid_answers_as_its_cells_and_its_verdicts_outlive_the_server() {
    common::on_every_backend(|store, url| async move {
        let v1 = payment_api(true, true, false);
        store.publish(&payment("1", v1.clone())).await.unwrap();
        store
            .publish(&payment("2", payment_api(false, true, false)))
            .await
            .unwrap();
        store.publish(&order("1", v1)).await.unwrap();
        for (env, service, version) in [
            ("production", "payment-service", "1"),
            ("production", "order-service", "1"),
            ("staging", "payment-service", "2"),
        ] {
            store
                .record_deployment(env, service, version)
                .await
                .unwrap();
        }
        let candidates = [
            ("payment-service".to_string(), "2".to_string()),
            ("order-service".to_string(), "1".to_string()),
            ("payment-service".to_string(), "1".to_string()),
        ];
        let environments = ["production".to_string(), "staging".to_string()];
        let grid = store.decisions(&candidates, &environments).await.unwrap();
        store.forget_cached().await.unwrap();
        for (row, (service, version)) in grid.iter().zip(&candidates) {
            for (cell, env) in row.iter().zip(&environments) {
                let alone = store.can_i_deploy(service, version, env).await.unwrap();
                assert_eq!(cell, &alone, "{service} {version} in {env}");
            }
        }
        // payment 2 drops createPayment, which order-service uses: not to production (where order-service
        // runs); order-service 1 cannot go to staging (payment 2 runs there); payment 1 may go anywhere.
        let deployable: Vec<Vec<bool>> = grid
            .iter()
            .map(|row| row.iter().map(|d| d.deployable).collect())
            .collect();
        assert_eq!(deployable, [[false, true], [true, false], [true, true]]);

        // Stored: a store opened again reads the verdict instead of comparing (a stored reason, changed here,
        // is what it answers).
        let changed = execute(
            &url,
            "UPDATE verdicts SET reason = 'as stored' WHERE consumer = 'order-service' \
             AND provider_version = '2'",
        )
        .await;
        assert_eq!(
            changed, 1,
            "one verdict for order-service 1 against payment 2"
        );
        let reopened = Store::open(&url).await.unwrap();
        let cell = reopened
            .can_i_deploy("payment-service", "2", "production")
            .await
            .unwrap();
        assert_eq!(cell.pairs[0].reason, "as stored");
        // Reached by another Seamline version: not read, judged again.
        execute(
            &url,
            "UPDATE verdicts SET engine = 'another' WHERE reason = 'as stored'",
        )
        .await;
        let cell = reopened
            .can_i_deploy("payment-service", "2", "production")
            .await
            .unwrap();
        assert!(
            cell.pairs[0]
                .reason
                .starts_with("breaking for what order-service uses"),
            "{cell:#?}"
        );
        reopened.close().await;
    })
    .await;
}

/// An AsyncAPI contract of inventory-service publishing `inventory.stock_reserved` in `versions`.
fn inventory_events(versions: &[u32]) -> String {
    let mut messages = String::new();
    for v in versions {
        messages.push_str(&format!(
            "    Reserved{v}:\n      name: inventory.stock_reserved\n      x-version: {v}\n      payload:\n        type: object\n        required: [order_id]\n        properties:\n          order_id: {{type: string}}\n"
        ));
    }
    format!(
        "asyncapi: 3.0.0\ninfo: {{title: inventory, version: '1'}}\nchannels:\n  inventory:\n    address: inventory\ncomponents:\n  messages:\n{messages}"
    )
}

fn inventory(version: &str, versions: &[u32]) -> Publication {
    Publication {
        service: "inventory-service".into(),
        owner: None,
        version: version.into(),
        git_commit: None,
        branch: None,
        manifest: "[service]\nname = \"inventory-service\"\n\n[[provides.events]]\nname = \"inventory-events\"\nspec = \"contracts/inventory-events.asyncapi.yaml\"\n".into(),
        contracts: vec![("contracts/inventory-events.asyncapi.yaml".into(), inventory_events(versions))],
    }
}

/// order-service `version`, accepting `accepts` of `inventory.stock_reserved`, built against a vendored copy
/// that defines `vendored`.
fn reader(version: &str, accepts: &[u32], vendored: &[u32]) -> Publication {
    let messages: Vec<String> = accepts
        .iter()
        .map(|v| format!("\"inventory.stock_reserved@{v}\""))
        .collect();
    Publication {
        service: "order-service".into(),
        owner: None,
        version: version.into(),
        git_commit: None,
        branch: None,
        manifest: format!(
            "[service]\nname = \"order-service\"\n\n[[consumes.events]]\nservice = \"inventory-service\"\ncontract = \"inventory-events\"\nmessages = [{}]\n",
            messages.join(", ")
        ),
        contracts: vec![(
            "contracts/vendor/inventory-service/inventory-events.asyncapi.yaml".into(),
            inventory_events(vendored),
        )],
    }
}

/// The seed's migration, both ways round. A consumer that already accepts a version nobody publishes yet (v3,
/// consumer first) may go where v1 and v2 are published; a producer that drops v1 may go once its consumer
/// accepts v2 too, and not while the consumer reads only v1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_still_accepted_beside_another_is_not_a_removal() {
    common::on_every_backend(|store, _| async move {
        store.publish(&inventory("1", &[1, 2])).await.unwrap();
        store
            .record_deployment("production", "inventory-service", "1")
            .await
            .unwrap();

        // Consumer first: accepts 1, 2 and 3, built against a copy that already defines 3.
        store
            .publish(&reader("ahead", &[1, 2, 3], &[1, 2, 3]))
            .await
            .unwrap();
        let d = store
            .can_i_deploy("order-service", "ahead", "production")
            .await
            .unwrap();
        assert!(d.deployable, "{d:#?}");
        // Only 3, which nobody publishes: broken.
        store
            .publish(&reader("only-3", &[3], &[1, 2, 3]))
            .await
            .unwrap();
        let d = store
            .can_i_deploy("order-service", "only-3", "production")
            .await
            .unwrap();
        assert!(!d.deployable, "{d:#?}");
        assert!(
            d.pairs[0].reason.contains("inventory.stock_reserved@3"),
            "{d:#?}"
        );

        // Producer drops 1: fine while order-service reads 1 and 2, not while it reads 1 alone.
        store.publish(&inventory("2", &[2])).await.unwrap();
        store
            .publish(&reader("both", &[1, 2], &[1, 2]))
            .await
            .unwrap();
        store
            .record_deployment("production", "order-service", "both")
            .await
            .unwrap();
        let d = store
            .can_i_deploy("inventory-service", "2", "production")
            .await
            .unwrap();
        assert!(d.deployable, "{d:#?}");
        store.publish(&reader("old", &[1], &[1, 2])).await.unwrap();
        store
            .record_deployment("production", "order-service", "old")
            .await
            .unwrap();
        let d = store
            .can_i_deploy("inventory-service", "2", "production")
            .await
            .unwrap();
        assert!(!d.deployable, "{d:#?}");
        assert!(
            d.pairs[0].reason.contains("inventory.stock_reserved@1"),
            "{d:#?}"
        );
    })
    .await;
}
