//! `seam mcp` end to end, with the MCP SDK's own client: over stdio (the client starts `seam mcp`) and over
//! streamable HTTP. Discovery, every tool, the resources, and bad arguments; then with a registry.

mod common;

use std::path::PathBuf;
use std::process::Stdio;

use rmcp::model::{CallToolRequestParams, ErrorCode, ReadResourceRequestParams, ResourceContents};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ServiceError, ServiceExt};
use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt;

/// A copy of `examples/checkout/order-service`, with a generated trace of the missing-publish incident.
fn order_service() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let from =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/checkout/order-service");
    common::copy_dir(&from, dir.path());
    let generated = std::process::Command::new(env!("CARGO_BIN_EXE_seam"))
        .args([
            "trace",
            "generate",
            "--fault",
            "missing-publish",
            "--checkouts",
            "50",
            "-o",
            "traces.jsonl",
        ])
        .current_dir(dir.path())
        .output()
        .expect("seam trace generate");
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    own_spans(dir.path());
    dir
}

/// `own-traces.jsonl`: only order-service's spans of 20 version-mismatch checkouts, as the repository's own
/// export would hold them. Each trace falls apart into two fragments (the server span and the consumer span, whose
/// parents are other services' spans), and is still one request.
fn own_spans(dir: &std::path::Path) {
    let generated = std::process::Command::new(env!("CARGO_BIN_EXE_seam"))
        .args([
            "trace",
            "generate",
            "--fault",
            "version-mismatch",
            "--checkouts",
            "20",
            "--faulty-per-40",
            "40",
            "-o",
            "all-traces.jsonl",
        ])
        .current_dir(dir)
        .output()
        .expect("seam trace generate");
    assert!(generated.status.success());
    let all = std::fs::read_to_string(dir.join("all-traces.jsonl")).unwrap();
    let mut own = String::new();
    for line in all.lines().filter(|l| !l.is_empty()) {
        let mut document: Value = serde_json::from_str(line).unwrap();
        document["resourceSpans"]
            .as_array_mut()
            .unwrap()
            .retain(|r| {
                r["resource"]["attributes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| {
                        a["key"] == "service.name" && a["value"]["stringValue"] == "order-service"
                    })
            });
        own.push_str(&document.to_string());
        own.push('\n');
    }
    std::fs::write(dir.join("own-traces.jsonl"), own).unwrap();
}

type Client = RunningService<RoleClient, ()>;

async fn call(
    client: &Client,
    tool: &'static str,
    arguments: Value,
) -> Result<String, ServiceError> {
    let params = CallToolRequestParams::new(tool)
        .with_arguments(arguments.as_object().cloned().unwrap_or_default());
    let result = client.call_tool(params).await?;
    let text = result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(result.is_error, Some(true), "{tool} failed: {text}");
    Ok(text)
}

/// A tool's answer, which must not be an error.
async fn answer(client: &Client, tool: &'static str, arguments: Value) -> String {
    call(client, tool, arguments)
        .await
        .unwrap_or_else(|e| panic!("{tool}: {e:?}"))
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Everything a client does, on either transport.
async fn exercise(client: &Client) {
    let info = client.peer_info().expect("the server introduced itself");
    assert_eq!(
        info.server_info.as_ref().map(|s| s.name.as_str()),
        Some("seam")
    );
    assert!(
        info.instructions
            .as_deref()
            .is_some_and(|i| i.contains("list_services"))
    );

    let tools = client.list_all_tools().await.expect("tools");
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "check_contract_change",
            "describe_service",
            "diagnose_trace",
            "get_contract",
            "list_services",
            "migration_status"
        ]
    );
    assert!(
        tools
            .iter()
            .all(|t| t.description.as_ref().is_some_and(|d| !d.is_empty()))
    );

    let services = json_of(&answer(client, "list_services", json!({})).await);
    assert_eq!(services["this_service"]["name"], "order-service");
    let partners: Vec<&str> = services["partners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["service"].as_str().unwrap())
        .collect();
    assert_eq!(partners, ["payment-service", "inventory-service"]);

    let own = json_of(
        &answer(
            client,
            "describe_service",
            json!({"service": "order-service"}),
        )
        .await,
    );
    assert_eq!(own["owner"], "team-checkout");
    assert!(
        own["migrations"][0]
            .as_str()
            .unwrap()
            .contains("inventory.stock_reserved")
    );
    let partner = answer(
        client,
        "describe_service",
        json!({"service": "payment-service"}),
    )
    .await;
    assert!(
        partner.contains("as_seen_from_this_service") && partner.contains("createPayment"),
        "{partner}"
    );

    let outline = json_of(
        &answer(
            client,
            "get_contract",
            json!({"service": "payment-service"}),
        )
        .await,
    );
    let ops: Vec<&str> = outline["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["operationId"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["createPayment", "getPayment", "createRefund"]);
    assert_eq!(
        outline["full_text"],
        "seam://contracts/payment-service/payment-api"
    );
    let op = answer(
        client,
        "get_contract",
        json!({"service": "payment-service", "operation": "createPayment"}),
    )
    .await;
    assert!(
        op.contains("Idempotency-Key") && op.contains("\"method\": \"POST\""),
        "{op}"
    );
    let message = answer(
        client,
        "get_contract",
        json!({"service": "inventory-service", "message": "inventory.stock_reserved@2"}),
    )
    .await;
    assert!(message.contains("inventory.stock_reserved@2"), "{message}");
    // Without a version: the newest this service accepts, with every version there is and those it accepts.
    let message = json_of(
        &answer(
            client,
            "get_contract",
            json!({"service": "inventory-service", "message": "inventory.stock_reserved"}),
        )
        .await,
    );
    assert_eq!(
        message["message"], "inventory.stock_reserved@2",
        "{message}"
    );
    assert_eq!(
        message["versions_in_contract"],
        json!(["inventory.stock_reserved@1", "inventory.stock_reserved@2"])
    );
    assert_eq!(
        message["this_service_accepts"],
        json!(["inventory.stock_reserved@1", "inventory.stock_reserved@2"])
    );

    let current = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/checkout/order-service/contracts/order-api.yaml"),
    )
    .unwrap();
    let same = json_of(
        &answer(
            client,
            "check_contract_change",
            json!({"contract": "order-api", "proposed": current}),
        )
        .await,
    );
    assert_eq!(same["breaking"], 0, "{same}");
    let removed = current.replacen("operationId: getOrder", "operationId: fetchOrder", 1);
    assert_ne!(removed, current, "the example has a getOrder operation");
    let changed = json_of(
        &answer(
            client,
            "check_contract_change",
            json!({"contract": "order-api", "proposed": removed}),
        )
        .await,
    );
    assert!(changed["breaking"].as_u64().unwrap() > 0, "{changed}");
    assert_eq!(changed["verdict"], "breaking", "{changed}");
    // A proposed text that cannot be read is "cannot judge", never an empty list of changes.
    for (proposed, line) in [
        ("openapi: [unclosed".to_owned(), 1),
        (String::new(), 1),
        (
            current.replacen(
                "operationId: getOrder",
                "operationId: getOrder\n      x: {$ref: '#/nothing'}",
                1,
            ),
            0,
        ),
    ] {
        let unjudged = json_of(
            &answer(
                client,
                "check_contract_change",
                json!({"contract": "order-api", "proposed": proposed}),
            )
            .await,
        );
        assert_eq!(unjudged["verdict"], "cannot judge", "{unjudged}");
        assert_eq!(unjudged["compatible"], false, "{unjudged}");
        assert!(unjudged.get("changes").is_none(), "{unjudged}");
        let first = &unjudged["proposed"][0];
        assert!(
            first["file"].as_str().unwrap().ends_with("order-api.yaml"),
            "{unjudged}"
        );
        if line > 0 {
            assert_eq!(first["line"], line, "{unjudged}");
        }
    }

    // Against the consumers seam.lock records: inventory-service reads order.placed, not order.cancelled.
    let events = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/checkout/order-service/contracts/order-events.asyncapi.yaml"),
    )
    .unwrap();
    let verdict = |proposed: String| async move {
        let answer = answer(
            client,
            "check_contract_change",
            json!({"contract": "order-events", "proposed": proposed}),
        )
        .await;
        let answer = json_of(&answer);
        assert_eq!(
            answer["consumers"][0]["consumer"], "inventory-service",
            "{answer}"
        );
        (
            answer["breaking"].as_u64().unwrap(),
            answer["consumers"][0]["breaks"].as_bool().unwrap(),
        )
    };
    let unused = events.replacen(
        "required: [event_id, order_id, reason]",
        "required: [event_id, order_id]",
        1,
    );
    let used = events.replacen(
        "required: [event_id, order_id, items]",
        "required: [event_id, order_id]",
        1,
    );
    assert_ne!(unused, events);
    assert_ne!(used, events);
    let (breaking, breaks) = verdict(unused).await;
    assert!(
        breaking > 0 && !breaks,
        "a breaking change to a message inventory-service does not read"
    );
    let (breaking, breaks) = verdict(used).await;
    assert!(
        breaking > 0 && breaks,
        "a breaking change to order.placed breaks inventory-service"
    );

    let diagnosis = answer(
        client,
        "diagnose_trace",
        json!({"file": "traces.jsonl", "max_tokens": 800}),
    )
    .await;
    assert!(diagnosis.contains("inventory-service"), "{diagnosis}");
    // 20 traces of one repository's own spans are 20 requests, each diagnosed once.
    let own = answer(
        client,
        "diagnose_trace",
        json!({"file": "own-traces.jsonl", "max_tokens": 4000}),
    )
    .await;
    assert!(
        own.contains("20 of 20 request(s) failed") && own.contains("in 20 trace(s)"),
        "{own}"
    );
    assert_eq!(own.matches("\n## Trace `").count(), 1, "{own}");

    // Bad arguments: an unknown service is an invalid-params error naming what is known.
    match call(
        client,
        "describe_service",
        json!({"service": "billing-service"}),
    )
    .await
    {
        Err(ServiceError::McpError(e)) => {
            assert_eq!(e.code, ErrorCode::INVALID_PARAMS);
            assert!(
                e.message.contains("unknown service `billing-service`"),
                "{}",
                e.message
            );
            assert!(e.message.contains("payment-service"), "{}", e.message);
        }
        other => panic!("expected an invalid-params error, got {other:?}"),
    }
    match call(
        client,
        "get_contract",
        json!({"service": "payment-service", "operation": "chargeCard"}),
    )
    .await
    {
        Err(ServiceError::McpError(e)) => {
            assert!(e.message.contains("its operations: createPayment"))
        }
        other => panic!("expected an invalid-params error, got {other:?}"),
    }
    // A missing required argument comes back as a tool error the assistant can read.
    let missing = client
        .call_tool(CallToolRequestParams::new("describe_service"))
        .await
        .expect("answered");
    assert_eq!(missing.is_error, Some(true));

    let resources = client.list_all_resources().await.expect("resources");
    let uris: Vec<&str> = resources.iter().map(|r| r.uri.as_str()).collect();
    assert!(
        uris.contains(&"seam://contracts/order-service/order-api"),
        "{uris:?}"
    );
    assert!(
        uris.contains(&"seam://contracts/payment-service/payment-api"),
        "{uris:?}"
    );
    let templates = client
        .list_all_resource_templates()
        .await
        .expect("templates");
    assert_eq!(
        templates[0].uri_template,
        "seam://contracts/{service}/{contract}"
    );
    let read = client
        .read_resource(ReadResourceRequestParams::new(
            "seam://contracts/payment-service/payment-api",
        ))
        .await
        .expect("read");
    match &read.contents[0] {
        ResourceContents::TextResourceContents {
            text, mime_type, ..
        } => {
            assert!(text.starts_with("openapi: 3.0.3"));
            assert_eq!(mime_type.as_deref(), Some("application/yaml"));
        }
        other => panic!("expected text, got {other:?}"),
    }
    assert!(
        client
            .read_resource(ReadResourceRequestParams::new("seam://contracts/nobody"))
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn over_stdio() {
    let dir = order_service();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_seam"));
    command.args(["mcp", "--offline"]).current_dir(dir.path());
    let transport = TokioChildProcess::new(command).expect("seam mcp starts");
    let client = ().serve(transport).await.expect("initialized");
    exercise(&client).await;
    client.cancel().await.expect("closed");
}

/// A contract split over files: the change check reads the files its `$ref`s reach, on both sides, so the
/// same text is no change rather than "cannot judge".
#[tokio::test(flavor = "multi_thread")]
async fn a_contract_split_over_files_is_judged_whole() {
    let dir = order_service();
    let api = dir.path().join("contracts/order-api.yaml");
    let text = std::fs::read_to_string(&api).unwrap();
    let split = text.replace(
        "$ref: \"#/components/parameters/Traceparent\"",
        "$ref: \"parameters.yaml#/Traceparent\"",
    );
    assert_ne!(split, text, "order-api.yaml refers to Traceparent");
    std::fs::write(&api, &split).unwrap();
    std::fs::write(
        dir.path().join("contracts/parameters.yaml"),
        "Traceparent:\n  name: traceparent\n  in: header\n  required: false\n  schema: {type: string}\n",
    )
    .unwrap();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_seam"));
    command.args(["mcp", "--offline"]).current_dir(dir.path());
    let client =
        ().serve(TokioChildProcess::new(command).expect("seam mcp starts"))
            .await
            .expect("initialized");
    let same = json_of(
        &answer(
            &client,
            "check_contract_change",
            json!({"contract": "order-api", "proposed": split}),
        )
        .await,
    );
    assert_eq!(same["verdict"], "no breaking change", "{same}");
    assert_eq!(same["breaking"], 0, "{same}");
    client.cancel().await.expect("closed");
}

#[tokio::test(flavor = "multi_thread")]
async fn over_streamable_http() {
    let dir = order_service();
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_seam"))
        .args(["mcp", "--offline", "--http", "127.0.0.1:0"])
        .current_dir(dir.path())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("seam mcp --http starts");
    let mut lines = tokio::io::BufReader::new(server.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next_line()
            .await
            .expect("stderr")
            .expect("an address line");
        if let Some(url) = line.strip_prefix("seam mcp: streamable HTTP on ") {
            break url.to_owned();
        }
    };
    let transport = StreamableHttpClientTransport::from_uri(url);
    let client = ().serve(transport).await.expect("initialized");
    exercise(&client).await;
    client.cancel().await.expect("closed");
    server.kill().await.expect("stopped");
}

/// With a registry, a service that is not a partner is known too: payment-service's server reads
/// inventory-service's contract from what inventory-service published.
#[tokio::test(flavor = "multi_thread")]
async fn richer_with_a_registry() {
    let store = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", store.path().join("registry.db").display());
    let (mut registry, base) = common::serve(&database, &[]);
    let admin = common::token(&database, "admin");
    let work = tempfile::tempdir().unwrap();
    let checkout = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/checkout");
    common::copy_dir(&checkout, work.path());
    for (service, version) in [
        ("payment-service", "2.4.0"),
        ("inventory-service", "2.0.0"),
        ("order-service", "1.1.0"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_seam"))
            .args(["publish", "--version", version, "--registry", &base])
            .current_dir(work.path().join(service))
            .env("SEAM_TOKEN", &admin)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{service}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_seam"));
    command
        .args(["mcp", "--registry", &base])
        .current_dir(work.path().join("payment-service"));
    let client = ().serve(TokioChildProcess::new(command).unwrap()).await.expect("initialized");
    let services = json_of(&answer(&client, "list_services", json!({})).await);
    let published: Vec<&str> = services["registry"]
        .as_array()
        .unwrap_or_else(|| panic!("{services}"))
        .iter()
        .map(|s| s["service"].as_str().unwrap())
        .collect();
    assert_eq!(
        published,
        ["inventory-service", "order-service", "payment-service"]
    );
    let described = json_of(
        &answer(
            &client,
            "describe_service",
            json!({"service": "inventory-service"}),
        )
        .await,
    );
    assert_eq!(described["registry"]["version"], "2.0.0", "{described}");
    assert_eq!(described["registry"]["owner"], "team-inventory");
    let outline = json_of(
        &answer(
            &client,
            "get_contract",
            json!({"service": "inventory-service"}),
        )
        .await,
    );
    assert!(
        outline["from"]
            .as_str()
            .unwrap()
            .starts_with("registry: inventory-service 2.0.0"),
        "{outline}"
    );
    assert!(
        outline["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "inventory.stock_reserved@2")
    );
    let read = client
        .read_resource(ReadResourceRequestParams::new(
            "seam://contracts/inventory-service/inventory-events",
        ))
        .await
        .expect("read from the registry");
    assert!(
        matches!(&read.contents[0], ResourceContents::TextResourceContents { text, .. } if text.contains("asyncapi"))
    );
    client.cancel().await.expect("closed");

    // inventory-service starts migrating inventory.stock_reserved; order-service records it with `seam pull`.
    let seam = |dir: &str, args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_seam"))
            .args(args)
            .args(["--registry", &base])
            .current_dir(work.path().join(dir))
            .env("SEAM_TOKEN", &admin)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{dir} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    seam(
        "inventory-service",
        &[
            "migrate",
            "start",
            "inventory-events",
            "inventory.stock_reserved",
            "--from",
            "1",
            "--to",
            "2",
        ],
    );
    seam("order-service", &["pull"]);

    // order-service's diagnosis reads its partners' seam.toml from the registry, and says which it read.
    let order = work.path().join("order-service");
    own_spans(&order);
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_seam"));
    command
        .args(["mcp", "--registry", &base])
        .current_dir(&order);
    let client = ().serve(TokioChildProcess::new(command).unwrap()).await.expect("initialized");
    let diagnosis = answer(
        &client,
        "diagnose_trace",
        json!({"file": "own-traces.jsonl", "max_tokens": 4000}),
    )
    .await;
    assert!(
        diagnosis.contains(&format!(
            "_Partners' expectations: 2 seam.toml from the registry at {base} (latest versions)._"
        )),
        "{diagnosis}"
    );
    let nowhere = answer(
        &client,
        "diagnose_trace",
        json!({"file": "own-traces.jsonl", "environment": "production"}),
    )
    .await;
    assert!(
        nowhere.contains("The registry could not be read (nothing is deployed in `production`"),
        "{nowhere}"
    );

    // The migrations it takes part in, and its duty judged from its own seam.toml (it lists v1 and v2).
    let listed = json_of(&answer(&client, "migration_status", json!({})).await);
    let first = &listed["migrations"][0];
    assert_eq!(
        (&first["service"], &first["message"], &first["phase"]),
        (
            &json!("inventory-service"),
            &json!("inventory.stock_reserved"),
            &json!(1)
        ),
        "{listed}"
    );
    assert_eq!(
        first["this_service"]["duty"], "accepts both v1 and v2: keep both until phase 5",
        "{listed}"
    );
    let one = json_of(
        &answer(
            &client,
            "migration_status",
            json!({"message": "inventory.stock_reserved"}),
        )
        .await,
    );
    assert_eq!(one["status"]["phase"], 1, "{one}");
    assert_eq!(one["status"]["next"], 2, "{one}");
    assert!(
        one["source"].as_str().is_some_and(|s| s.contains(&base)),
        "{one}"
    );
    let unknown = call(
        &client,
        "migration_status",
        json!({"message": "order.placed"}),
    )
    .await;
    assert!(
        unknown.as_ref().is_err_and(|e| format!("{e:?}")
            .contains("no migration of `order.placed` involves this service; those that do: inventory.stock_reserved")),
        "{unknown:?}"
    );
    client.cancel().await.expect("closed");

    // The registry goes away: local answers still come, with the reason the rest is missing.
    let _ = registry.kill();
    let _ = registry.wait();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_seam"));
    command
        .args(["mcp", "--registry", &base])
        .current_dir(work.path().join("payment-service"));
    let client = ().serve(TokioChildProcess::new(command).unwrap()).await.expect("initialized");
    let services = json_of(&answer(&client, "list_services", json!({})).await);
    assert_eq!(services["this_service"]["name"], "payment-service");
    assert!(
        services["registry_error"]
            .as_str()
            .is_some_and(|e| e.contains(&base)),
        "{services}"
    );
    client.cancel().await.expect("closed");

    // order-service, with the registry gone, answers from what `seam pull` recorded in seam.lock.
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_seam"));
    command
        .args(["mcp", "--registry", &base])
        .current_dir(&order);
    let client = ().serve(TokioChildProcess::new(command).unwrap()).await.expect("initialized");
    let recorded = json_of(&answer(&client, "migration_status", json!({})).await);
    assert!(recorded["registry_error"].is_string(), "{recorded}");
    assert!(
        recorded["migrations"][0].as_str().is_some_and(|m| m.starts_with(
            "`inventory.stock_reserved` v1 → v2 (inventory-service publishes it): `seam migrate` phase 1 of 5, \
             new version defined, at the last `seam pull`. This service: accepts both v1 and v2: keep both until \
             phase 5."
        )),
        "{recorded}"
    );
    client.cancel().await.expect("closed");
}
