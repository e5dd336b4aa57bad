//! The registry from the command line, end to end: the checkout example services publish to a `seam serve`
//! started here, pull each other's contracts, record deployments, and ask the deploy gate.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};

struct Registry {
    child: Child,
    base: String,
    database: String,
    _dir: tempfile::TempDir,
}

impl Registry {
    fn start() -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let database = format!("sqlite:{}", dir.path().join("registry.db").display());
        let (child, base) = common::serve(&database, &[]);
        Registry {
            child,
            base,
            database,
            _dir: dir,
        }
    }

    fn token(&self, scope: &str) -> String {
        common::token(&self.database, scope)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `seam ARGS` in `dir` against the registry, with `token` as SEAM_TOKEN.
fn seam(dir: &Path, registry: &Registry, token: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_seam"));
    command
        .args(args)
        .current_dir(dir)
        .env("SEAM_REGISTRY", &registry.base)
        .env_remove("SEAM_TOKEN")
        .env("NO_COLOR", "1");
    if let Some(token) = token {
        command.env("SEAM_TOKEN", token);
    }
    command.output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The command failed with `code` and said `why` on stderr.
fn refused(out: &Output, code: i32, why: &str) {
    assert_eq!(out.status.code(), Some(code), "{}", text(out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(why),
        "{}",
        text(out)
    );
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn checkout_services_publish_pull_deploy_and_gate() {
    let registry = Registry::start();
    let admin = registry.token("admin");
    let work = tempfile::tempdir().unwrap();
    common::copy_dir(&examples().join("checkout"), work.path());
    let service = |name: &str| work.path().join(name);
    let (payment, order, inventory, notification, gateway) = (
        service("payment-service"),
        service("order-service"),
        service("inventory-service"),
        service("notification-service"),
        service("gateway"),
    );

    // Each service publishes the version its partners' locks name.
    for (dir, version) in [
        (&payment, "2.4.0"),
        (&order, "1.1.0"),
        (&inventory, "2.0.0"),
        (&notification, "1.0.0"),
        (&gateway, "1.0.0"),
    ] {
        let out = seam(
            dir,
            &registry,
            Some(&admin),
            &["publish", "--version", version],
        );
        assert!(out.status.success(), "{}", text(&out));
        assert!(stdout(&out).starts_with("published"), "{}", text(&out));
    }
    let again = seam(
        &payment,
        &registry,
        Some(&admin),
        &["publish", "--version", "2.4.0"],
    );
    assert!(again.status.success(), "{}", text(&again));
    assert!(stdout(&again).contains("already published, same content"));

    // What runs in production (and order-service in staging): the locks record where each consumer runs.
    for (dir, version) in [
        (&payment, "2.4.0"),
        (&order, "1.1.0"),
        (&inventory, "2.0.0"),
    ] {
        let out = seam(
            dir,
            &registry,
            Some(&admin),
            &[
                "record-deployment",
                "--env",
                "production",
                "--version",
                version,
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
    }
    let out = seam(
        &order,
        &registry,
        Some(&admin),
        &[
            "record-deployment",
            "--env",
            "staging",
            "--version",
            "1.1.0",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));

    // Pulling into an empty vendor folder gives back exactly the committed vendored files and lock.
    std::fs::remove_dir_all(order.join("contracts/vendor")).unwrap();
    std::fs::remove_file(order.join("seam.lock")).unwrap();
    let out = seam(&order, &registry, None, &["pull"]);
    assert!(out.status.success(), "{}", text(&out));
    let committed = examples().join("checkout/order-service");
    for file in [
        "seam.lock",
        "contracts/vendor/payment-service/payment-api.yaml",
        "contracts/vendor/inventory-service/inventory-events.asyncapi.yaml",
    ] {
        assert_eq!(
            std::fs::read(order.join(file)).unwrap(),
            std::fs::read(committed.join(file)).unwrap(),
            "{file}"
        );
    }
    // The other services' locks, consumers included, are what the registry says too.
    for dir in [&inventory, &payment, &notification, &gateway] {
        let out = seam(dir, &registry, None, &["pull", "--check"]);
        assert!(out.status.success(), "{}", text(&out));
    }

    // A hand edit of a vendored copy is caught, refused, and replaced only on request.
    let vendored = order.join("contracts/vendor/payment-service/payment-api.yaml");
    edit(&vendored, "x-timeout-ms: 1500", "x-timeout-ms: 9999");
    let out = seam(&order, &registry, None, &["pull", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stdout(&out).contains("(edited by hand)"), "{}", text(&out));
    let out = seam(
        &order,
        &registry,
        None,
        &["check", "--refresh", "--against", "none"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stdout(&out).contains("SEAM-P001"), "{}", text(&out));
    assert!(stdout(&out).contains("SEAM-D005"), "{}", text(&out));
    let out = seam(&order, &registry, None, &["pull"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert!(std::fs::read_to_string(&vendored).unwrap().contains("9999"));
    let out = seam(&order, &registry, None, &["pull", "--force"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(std::fs::read_to_string(&vendored).unwrap().contains("1500"));
    let out = seam(
        &order,
        &registry,
        None,
        &["check", "--refresh", "--against", "none"],
    );
    assert!(out.status.success(), "{}", text(&out));

    // Compatible for what order-service uses: an operation nobody calls goes, an optional field arrives.
    let api = payment.join("contracts/payment-api.yaml");
    edit(
        &api,
        "  /refunds:\n    post:\n      operationId: createRefund\n      parameters:\n        - name: Idempotency-Key\n          in: header\n          required: true\n          schema: {type: string}\n      responses:\n        \"202\": {description: Refund accepted.}\n        \"409\": {$ref: \"#/components/responses/Problem\"}\n        \"503\": {$ref: \"#/components/responses/Problem\"}\n",
        "",
    );
    edit(
        &api,
        "        payment_id: {type: string}\n",
        "        payment_id: {type: string}\n        receipt_url: {type: string}\n",
    );
    let out = seam(
        &payment,
        &registry,
        Some(&admin),
        &["publish", "--version", "2.5.0"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = seam(
        &payment,
        &registry,
        None,
        &["can-i-deploy", "--version", "2.5.0", "--env", "production"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let shown = stdout(&out);
    assert!(
        shown.contains("payment-service 2.5.0 → production: yes, deployable"),
        "{shown}"
    );
    assert!(
        shown.contains("✓ order-service 1.1.0 → payment-service 2.5.0 payment-api: 2 change(s) to what it uses, none breaking"),
        "{shown}"
    );

    // Breaking for what order-service uses: createPayment needs a field order-service does not send.
    edit(
        &api,
        "required: [order_id, amount_minor, currency]",
        "required: [order_id, amount_minor, currency, customer_id]",
    );
    edit(
        &api,
        "        currency: {type: string}\n",
        "        currency: {type: string}\n        customer_id: {type: string}\n",
    );
    let out = seam(
        &payment,
        &registry,
        Some(&admin),
        &["publish", "--version", "3.0.0"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = seam(
        &payment,
        &registry,
        None,
        &["can-i-deploy", "--version", "3.0.0", "--env", "production"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let shown = stdout(&out);
    assert!(shown.contains("NO, not deployable"), "{shown}");
    assert!(shown.contains("✗ order-service 1.1.0 → payment-service 3.0.0 payment-api: breaking for what order-service uses: POST /payments"), "{shown}");
    // In every environment, and as JSON.
    let out = seam(
        &payment,
        &registry,
        None,
        &[
            "can-i-deploy",
            "--version",
            "3.0.0",
            "--to-all-envs",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let envs: Vec<&str> = json["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["environment"].as_str().unwrap())
        .collect();
    assert_eq!(envs, ["production", "staging"]);
    assert_eq!(json["deployable"], false);

    // Versions are immutable: other content under a published version is refused with the reason.
    let out = seam(
        &payment,
        &registry,
        Some(&admin),
        &["publish", "--version", "2.4.0"],
    );
    refused(&out, 2, "already published with other content");
    // The gate for a version nobody published.
    let out = seam(
        &payment,
        &registry,
        None,
        &["can-i-deploy", "--version", "9.9.9", "--env", "production"],
    );
    refused(&out, 2, "has not been published");
}

#[test]
fn tokens_lint_and_git_guard_publishing() {
    let registry = Registry::start();
    let work = tempfile::tempdir().unwrap();
    common::copy_dir(
        &examples().join("checkout/payment-service"),
        &work.path().join("payment-service"),
    );
    common::copy_dir(
        &examples().join("broken-service"),
        &work.path().join("broken-service"),
    );
    let payment = work.path().join("payment-service");

    // No token, then a token for another service.
    let out = seam(&payment, &registry, None, &["publish", "--version", "1"]);
    refused(&out, 2, "set SEAM_TOKEN");
    let order_token = registry.token("publish:order-service");
    let out = seam(
        &payment,
        &registry,
        Some(&order_token),
        &["publish", "--version", "1"],
    );
    refused(&out, 2, "lacks the scope publish:payment-service");

    // Lint errors are refused unless allowed.
    let admin = registry.token("admin");
    let broken = work.path().join("broken-service");
    let out = seam(
        &broken,
        &registry,
        Some(&admin),
        &["publish", "--version", "1"],
    );
    refused(&out, 1, "--allow-lint-errors");
    // Lint findings, that is: a contract that cannot be read (a `$ref` to nothing) is refused all the same,
    // with the file and the line, because the deploy gate could never judge it; before anything is sent (the
    // registry's own check, run here; the registry would answer 422).
    let out = seam(
        &broken,
        &registry,
        Some(&admin),
        &["publish", "--version", "1", "--allow-lint-errors"],
    );
    refused(&out, 2, "seam publish: refused: ");
    refused(
        &out,
        2,
        "contracts/shop-api.yaml:32: `#/components/schemas/Ordr`",
    );
    let api = broken.join("contracts/shop-api.yaml");
    let text_of_api = std::fs::read_to_string(&api).unwrap();
    std::fs::write(
        &api,
        text_of_api.replace("schemas/Ordr\"", "schemas/NewOrder\""),
    )
    .unwrap();
    let out = seam(
        &broken,
        &registry,
        Some(&admin),
        &["publish", "--version", "1", "--allow-lint-errors"],
    );
    assert!(out.status.success(), "{}", text(&out));

    // The version defaults to the git commit, and only a clean working tree may claim it.
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(&payment)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "."]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.com",
        "commit",
        "-q",
        "-m",
        "payment",
    ]);
    let commit = git(&["rev-parse", "--short=12", "HEAD"]);
    let payment_token = registry.token("publish:payment-service");
    let out = seam(&payment, &registry, Some(&payment_token), &["publish"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).contains(&format!("payment-service {}", commit.trim())),
        "{}",
        text(&out)
    );
    edit(
        &payment.join("contracts/payment-api.yaml"),
        "x-timeout-ms: 1500",
        "x-timeout-ms: 1000",
    );
    let out = seam(&payment, &registry, Some(&payment_token), &["publish"]);
    refused(&out, 2, "uncommitted changes");
}

#[test]
fn no_registry_is_a_clear_error() {
    let work = tempfile::tempdir().unwrap();
    common::copy_dir(&examples().join("checkout/payment-service"), work.path());
    std::fs::write(
        work.path().join("seam.toml"),
        "[service]\nname = \"payment-service\"\n\n[[provides.http]]\nname = \"payment-api\"\nspec = \"contracts/payment-api.yaml\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_seam"))
        .args(["can-i-deploy", "--version", "1", "--env", "production"])
        .current_dir(work.path())
        .env_remove("SEAM_REGISTRY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("pass --registry URL, set SEAM_REGISTRY")
    );
}

/// The registry's own API description passes the lint it serves to everyone else.
#[test]
fn the_registry_api_description_lints_clean() {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../seamline-registry/src/openapi.json");
    let out = Command::new(env!("CARGO_BIN_EXE_seam"))
        .arg("lint")
        .arg(&spec)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(stdout(&out).contains("no findings"), "{}", text(&out));
}

/// The lines of an OTLP/JSON Lines file that hold `service`'s spans, with only that service's resources: what
/// one team's collector keeps.
fn spans_of(service: &str, otlp: &str) -> String {
    let mut kept = String::new();
    for line in otlp.lines() {
        let mut batch: serde_json::Value = serde_json::from_str(line).unwrap();
        let resources = batch["resourceSpans"].as_array_mut().unwrap();
        resources.retain(|r| {
            r["resource"]["attributes"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|a| a["key"] == "service.name" && a["value"]["stringValue"] == service)
        });
        if !resources.is_empty() {
            kept.push_str(&batch.to_string());
            kept.push('\n');
        }
    }
    kept
}

/// Three repositories, as the checkout incident tells it: in order-service's, with only its own seam.toml and
/// its own spans, `seam trace diagnose --env production` reads the partners' seam.toml from the registry (the
/// versions deployed there) and answers what all three manifests side by side answer.
#[test]
fn one_repository_diagnoses_with_its_partners_expectations_from_the_registry() {
    let registry = Registry::start();
    let admin = registry.token("admin");
    let work = tempfile::tempdir().unwrap();
    let manifests = Path::new(env!("CARGO_MANIFEST_DIR")).join("../seamline-trace/tests/manifests");
    common::copy_dir(&manifests, work.path());
    let services = ["order-service", "inventory-service", "notification-service"];
    for service in services {
        let dir = work.path().join(service);
        for args in [
            &["publish", "--version", "1.0.0", "--allow-lint-errors"][..],
            &[
                "record-deployment",
                "--env",
                "production",
                "--version",
                "1.0.0",
            ],
        ] {
            let out = seam(&dir, &registry, Some(&admin), args);
            assert!(out.status.success(), "{service}: {}", text(&out));
        }
    }
    // inventory-service never publishes inventory.stock_reserved; order-service's collector kept its own spans.
    let out = seam(
        work.path(),
        &registry,
        None,
        &[
            "trace",
            "generate",
            "--fault",
            "missing-publish",
            "-o",
            "all.jsonl",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let all = std::fs::read_to_string(work.path().join("all.jsonl")).unwrap();
    let order = work.path().join("order-service");
    std::fs::write(order.join("traces.jsonl"), spans_of("order-service", &all)).unwrap();

    let diagnose = |extra: &[&str]| {
        let mut args = vec!["trace", "diagnose", "traces.jsonl", "--format", "json"];
        args.extend_from_slice(extra);
        seam(&order, &registry, None, &args)
    };
    let side_by_side = diagnose(&[
        "--manifests",
        "../order-service,../inventory-service,../notification-service",
    ]);
    let from_registry = diagnose(&["--manifests", ".", "--env", "production"]);
    let alone = diagnose(&["--manifests", "."]);
    for out in [&side_by_side, &from_registry, &alone] {
        assert_eq!(out.status.code(), Some(1), "{}", text(out));
    }
    assert_eq!(
        stdout(&from_registry),
        stdout(&side_by_side),
        "{}",
        text(&from_registry)
    );
    assert_ne!(
        stdout(&alone),
        stdout(&side_by_side),
        "the partners' expectations change the answer"
    );
    let said = String::from_utf8_lossy(&from_registry.stderr);
    assert!(
        said.contains(&format!(
            "expectations of 2 partner(s) from the registry at {} (deployed in production): \
             inventory-service 1.0.0, notification-service 1.0.0",
            registry.base
        )),
        "{said}"
    );
    // An environment where nothing runs is an input error, not a diagnosis without the partners.
    let nowhere = diagnose(&["--manifests", ".", "--env", "qa"]);
    refused(&nowhere, 2, "nothing is deployed in `qa`");
}

/// The seed's incident across three repositories: inventory-service renames `order_id` in
/// `inventory.stock_reserved@2`, which order-service reads. In order-service's repository, `seam pull --check`
/// tells a harmless provider change (safe for this service) from this one (breaks this service, naming the
/// message, the field and the line of seam.toml that says it is used), and `seam check --refresh` fails on it
/// with its own rule, in GitHub's annotations under GitHub Actions.
#[test]
fn a_consumer_is_told_when_an_upstream_change_breaks_it() {
    let registry = Registry::start();
    let admin = registry.token("admin");
    let work = tempfile::tempdir().unwrap();
    common::copy_dir(&examples().join("checkout"), work.path());
    let service = |name: &str| work.path().join(name);
    let (inventory, order) = (service("inventory-service"), service("order-service"));
    for (dir, version) in [
        (&service("payment-service"), "2.4.0"),
        (&inventory, "2.0.0"),
        (&order, "1.1.0"),
    ] {
        let out = seam(
            dir,
            &registry,
            Some(&admin),
            &["publish", "--version", version],
        );
        assert!(out.status.success(), "{}", text(&out));
    }
    let check = |args: &[&str]| seam(&order, &registry, None, args);
    // The lock records who consumes order-service as the registry knows it now.
    let out = check(&["pull"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = check(&["pull", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let publish_inventory = |version: &str| {
        let out = seam(
            &inventory,
            &registry,
            Some(&admin),
            &["publish", "--version", version],
        );
        assert!(out.status.success(), "{}", text(&out));
    };

    // A new optional field: stale, and safe for order-service.
    let contract = inventory.join("contracts/inventory-events.asyncapi.yaml");
    edit(
        &contract,
        "          warehouse_id: {type: string}\n",
        "          warehouse_id: {type: string}\n          picked_at: {type: string}\n",
    );
    publish_inventory("2.0.1");
    let out = check(&["pull", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout(&out).contains(
            "update contracts/vendor/inventory-service/inventory-events.asyncapi.yaml from inventory-service \
             2.0.0 to 2.0.1: safe for this service"
        ),
        "{}",
        text(&out)
    );
    assert!(
        !stdout(&out).contains("breaks this service"),
        "{}",
        text(&out)
    );

    // The rename in version 2 of the message order-service reads.
    edit(
        &contract,
        "        required: [event_id, order_id, warehouse_id]\n        properties:\n          event_id: {type: string}\n          order_id: {type: string}\n",
        "        required: [event_id, order_ref, warehouse_id]\n        properties:\n          event_id: {type: string}\n          order_ref: {type: string}\n",
    );
    publish_inventory("2.1.0");
    let out = check(&["pull", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = stdout(&out);
    assert!(
        said.contains(
            "from inventory-service 2.0.0 to 2.1.0: breaks this service: inventory.stock_reserved@2"
        ),
        "{}",
        text(&out)
    );
    assert!(said.contains("order_id"), "{said}");
    assert!(
        said.contains("(order-service uses it: seam.toml:27)"),
        "{said}"
    );
    assert!(
        said.contains("1 provider change(s) break order-service"),
        "{said}"
    );

    let mut command = Command::new(env!("CARGO_BIN_EXE_seam"));
    let out = command
        .args(["check", "--refresh", "--against", "none"])
        .current_dir(&order)
        .env("SEAM_REGISTRY", &registry.base)
        .env("GITHUB_ACTIONS", "true")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let annotations = stdout(&out);
    assert!(
        annotations.lines().any(|l| l.starts_with("::error")
            && l.contains("upstream-change-breaks")
            && l.contains("order_id")),
        "{}",
        text(&out)
    );
}

/// `seam migrate evidence` reports which message versions each service published and consumed in trace files to
/// the registry's counters for an environment, with a token allowed to deploy there.
#[test]
fn migration_evidence_is_reported_from_trace_files() {
    let registry = Registry::start();
    let work = tempfile::tempdir().unwrap();
    let out = seam(
        work.path(),
        &registry,
        None,
        &[
            "trace",
            "generate",
            "--fault",
            "version-mismatch",
            "--checkouts",
            "10",
            "-o",
            "traces.jsonl",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let report = ["migrate", "evidence", "--env", "production", "traces.jsonl"];
    let staging = registry.token("deploy:staging");
    refused(
        &seam(work.path(), &registry, Some(&staging), &report),
        2,
        "deploy:production",
    );

    let deployer = registry.token("deploy:production");
    let out = seam(work.path(), &registry, Some(&deployer), &report);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).contains("order-service consumes inventory.stock_reserved@2 ×10"),
        "{}",
        text(&out)
    );
    let mut answer = ureq::get(format!(
        "{}/api/v1/environments/production/usage?message=inventory.stock_reserved",
        registry.base
    ))
    .call()
    .unwrap();
    let usage: serde_json::Value =
        serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap();
    let order = usage
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["service"] == "order-service" && u["role"] == "consumes")
        .unwrap_or_else(|| panic!("{usage}"));
    assert_eq!(
        (&order["version"], &order["count"], &order["failed"]),
        (
            &serde_json::json!("2"),
            &serde_json::json!(10),
            &serde_json::json!(10)
        )
    );
}

/// OTLP/JSON, one line: each `(service, publishes?, version)` as one messaging span of
/// `inventory.stock_reserved` ending now.
fn message_spans(uses: &[(&str, bool, u32)]) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let resources: Vec<serde_json::Value> = uses
        .iter()
        .enumerate()
        .map(|(i, (service, publishes, version))| {
            let (kind, operation) = if *publishes { (4, "publish") } else { (5, "process") };
            serde_json::json!({
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
                "scopeSpans": [{"spans": [{
                    "traceId": format!("{:032x}", now + i as u128),
                    "spanId": format!("{:016x}", i + 1),
                    "name": format!("{operation} inventory.stock_reserved"),
                    "kind": kind,
                    "startTimeUnixNano": (now - 1_000_000).to_string(),
                    "endTimeUnixNano": now.to_string(),
                    "attributes": [
                        {"key": "messaging.system", "value": {"stringValue": "rabbitmq"}},
                        {"key": "messaging.operation.type", "value": {"stringValue": operation}},
                        {"key": "messaging.destination.name", "value": {"stringValue": "inventory"}},
                        {"key": "cloudevents.event_type", "value": {"stringValue": "inventory.stock_reserved"}},
                        {"key": "messaging.message.schema_version", "value": {"intValue": version.to_string()}},
                    ],
                }]}],
            })
        })
        .collect();
    format!("{}\n", serde_json::json!({ "resourceSpans": resources }))
}

/// The seed's migration from the command line: inventory-service moves `inventory.stock_reserved` from v1 to v2;
/// each `seam migrate advance` is refused until the registry holds its evidence (spans reported with
/// `seam migrate evidence`), and `seam can-i-deploy` refuses the version without v1 until phase 4.
#[test]
fn a_migration_runs_its_five_gates_from_the_command_line() {
    let registry = Registry::start();
    let admin = registry.token("admin");
    let work = tempfile::tempdir().unwrap();
    common::copy_dir(&examples().join("checkout"), work.path());
    let (inventory, order) = (
        work.path().join("inventory-service"),
        work.path().join("order-service"),
    );
    for (dir, version) in [
        (&work.path().join("payment-service"), "2.4.0"),
        (&inventory, "2.0.0"),
        (&order, "1.1.0"),
    ] {
        for args in [
            &["publish", "--version", version][..],
            &[
                "record-deployment",
                "--env",
                "production",
                "--version",
                version,
            ],
        ] {
            let out = seam(dir, &registry, Some(&admin), args);
            assert!(out.status.success(), "{}", text(&out));
        }
    }
    let producer = registry.token("publish:inventory-service");
    let deployer = registry.token("deploy:production");
    let migrate = |args: &[&str]| {
        let mut all = vec!["migrate"];
        all.extend_from_slice(args);
        seam(&inventory, &registry, Some(&producer), &all)
    };
    let evidence = |uses: &[(&str, bool, u32)]| {
        let file = work.path().join("spans.jsonl");
        std::fs::write(&file, message_spans(uses)).unwrap();
        let out = seam(
            work.path(),
            &registry,
            Some(&deployer),
            &["migrate", "evidence", "--env", "production", "spans.jsonl"],
        );
        assert!(out.status.success(), "{}", text(&out));
    };
    let advance = || migrate(&["advance", "inventory.stock_reserved"]);
    let refused_because = |out: &Output, why: &str| {
        assert_eq!(out.status.code(), Some(1), "{}", text(out));
        assert!(
            stdout(out).starts_with("refused: ") && stdout(out).contains(why),
            "{}",
            text(out)
        );
    };

    // Only the producer's token starts it.
    let start = [
        "start",
        "inventory-events",
        "inventory.stock_reserved",
        "--from",
        "1",
        "--to",
        "2",
        "--window",
        "2s",
    ];
    let order_token = registry.token("publish:order-service");
    refused(
        &seam(
            &inventory,
            &registry,
            Some(&order_token),
            &[&["migrate"][..], &start].concat(),
        ),
        2,
        "publish:inventory-service",
    );
    let out = migrate(&start);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout(&out).starts_with(
            "inventory-service inventory.stock_reserved v1 → v2: phase 1 of 5 (new version defined), active; \
             window 2 s"
        ),
        "{}",
        text(&out)
    );

    // Gate 2: the manifest publishes both, but no span shows it yet.
    refused_because(&advance(), "no span shows inventory-service publishing v1");
    evidence(&[
        ("inventory-service", true, 1),
        ("inventory-service", true, 2),
        ("order-service", false, 1),
    ]);
    let out = advance();
    assert!(
        stdout(&out).contains("phase 2 of 5 (dual-publish)"),
        "{}",
        text(&out)
    );
    // Gate 3: order-service 1.1.0 lists v1 and v2.
    let out = advance();
    assert!(
        stdout(&out).contains("phase 3 of 5 (consumers accept both)")
            && stdout(&out)
                .contains("production: order-service 1.1.0 accepts v1 and v2 (seam.toml)"),
        "{}",
        text(&out)
    );

    // Each repository records the migration with `seam pull`, and its assistant files tell it its duty, judged
    // from its own seam.toml.
    for (dir, duty) in [
        (
            &order,
            "(inventory-service publishes it): `seam migrate` phase 3 of 5, consumers accept both, at the \
                  last `seam pull`. This service: accepts both v1 and v2: keep both until phase 5.",
        ),
        (
            &inventory,
            "(this service publishes it): `seam migrate` phase 3 of 5, consumers accept both, at the \
                      last `seam pull`. This service: publish both v1 and v2 until phase 5.",
        ),
    ] {
        let out = seam(dir, &registry, None, &["pull"]);
        assert!(out.status.success(), "{}", text(&out));
        let lock = std::fs::read_to_string(dir.join("seam.lock")).unwrap();
        assert!(
            lock.contains(
                "migrations = [\n  { service = \"inventory-service\", contract = \"inventory-events\", \
                 message = \"inventory.stock_reserved\", from = 1, to = 2, phase = 3 },\n]\n"
            ),
            "{lock}"
        );
        let out = seam(dir, &registry, None, &["context"]);
        assert!(out.status.success(), "{}", text(&out));
        let agents = std::fs::read_to_string(dir.join("AGENTS.md")).unwrap();
        assert!(
            agents.contains(&format!("- `inventory.stock_reserved` v1 → v2 {duty}")),
            "{agents}"
        );
    }
    // A consumer that drops v2 from its seam.toml is told at once, without a pull.
    edit(
        &order.join("seam.toml"),
        "\"inventory.stock_reserved@2\", ",
        "",
    );
    let out = seam(&order, &registry, None, &["context"]);
    assert!(out.status.success(), "{}", text(&out));
    let agents = std::fs::read_to_string(order.join("AGENTS.md")).unwrap();
    assert!(
        agents.contains(
            "This service: accept v2: seam.toml lists only v1; add inventory.stock_reserved@2 and deploy."
        ),
        "{agents}"
    );
    edit(
        &order.join("seam.toml"),
        "\"inventory.stock_reserved@1\", ",
        "\"inventory.stock_reserved@1\", \"inventory.stock_reserved@2\", ",
    );

    // The producer without v1: refused before phase 4, naming the reader.
    let manifest = inventory.join("seam.toml");
    edit(
        &manifest,
        "[[publishes]]\nmessage = \"inventory.stock_reserved@1\"\nafter = \"order.placed\"\n\n",
        "",
    );
    let out = seam(
        &inventory,
        &registry,
        Some(&admin),
        &["publish", "--version", "3.0.0"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let gate = ["can-i-deploy", "--env", "production", "--version", "3.0.0"];
    let out = seam(&inventory, &registry, None, &gate);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout(&out).contains("✗ stops publishing inventory.stock_reserved v1: inventory.stock_reserved v1 → v2 is at phase 3")
            && stdout(&out).contains("order-service ×1, last "),
        "{}",
        text(&out)
    );

    // Gate 4: order-service read v1 within the window, and was never seen on v2.
    refused_because(&advance(), "order-service still reads v1");
    std::thread::sleep(std::time::Duration::from_millis(2_300));
    evidence(&[("inventory-service", true, 2), ("order-service", false, 2)]);
    let out = advance();
    assert!(
        stdout(&out).contains("phase 4 of 5 (nobody reads the old version)"),
        "{}",
        text(&out)
    );
    let out = seam(&inventory, &registry, None, &gate);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Gate 5: once the version without v1 runs.
    refused_because(&advance(), "inventory-service 2.0.0 still publishes v1");
    let out = seam(
        &inventory,
        &registry,
        Some(&admin),
        &[
            "record-deployment",
            "--env",
            "production",
            "--version",
            "3.0.0",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = advance();
    assert!(
        stdout(&out).contains("phase 5 of 5 (old version removed), done"),
        "{}",
        text(&out)
    );

    // Any repository sees where it stands.
    let out = seam(&order, &registry, None, &["migrate", "status"]);
    assert_eq!(
        stdout(&out),
        "inventory-service inventory.stock_reserved v1 → v2: phase 5 of 5 (old version removed), done\n",
        "{}",
        text(&out)
    );
    let out = seam(
        &order,
        &registry,
        None,
        &[
            "migrate",
            "status",
            "inventory.stock_reserved",
            "--format",
            "json",
        ],
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            json["phase"].as_u64(),
            json["history"].as_array().map(Vec::len)
        ),
        (Some(5), Some(5))
    );
}
