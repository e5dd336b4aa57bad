//! `seam diff` as a user runs it: files, git revisions read without a checkout, --against, consumer verdicts.

use std::path::Path;
use std::process::{Command, Output};

fn seam(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seam"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("seam runs")
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const OLD_API: &str = "openapi: 3.1.0
info: {title: payments, version: '1'}
paths:
  /payments:
    post:
      operationId: createPayment
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: 'schemas.yaml#/PaymentRequest'}
      responses:
        '201': {description: created}
  /payments/{id}:
    get:
      operationId: getPayment
      responses:
        '200': {description: ok}
";

const OLD_SCHEMAS: &str = "PaymentRequest:
  type: object
  properties:
    amount: {type: integer}
";

/// A git repository with the payment service at its first commit, then a breaking change in the working tree:
/// `createPayment` now requires `currency` (in the referenced file) while `getPayment` is untouched.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    git(p, &["init", "-q", "-b", "main"]);
    std::fs::write(p.join("api.yaml"), OLD_API).unwrap();
    std::fs::write(p.join("schemas.yaml"), OLD_SCHEMAS).unwrap();
    std::fs::write(
        p.join("seam.toml"),
        "[service]\nname = \"payment-service\"\n\n[[provides.http]]\nname = \"payment-api\"\nspec = \"api.yaml\"\n",
    )
    .unwrap();
    git(p, &["add", "."]);
    git(p, &["commit", "-q", "-m", "first"]);
    std::fs::write(
        p.join("schemas.yaml"),
        "PaymentRequest:\n  type: object\n  required: [currency]\n  properties:\n    amount: {type: integer}\n    currency: {type: string}\n",
    )
    .unwrap();
    dir
}

#[test]
fn a_revision_is_read_from_git_with_its_references() {
    let dir = repo();
    let out = seam(
        dir.path(),
        &["diff", "HEAD:api.yaml", "api.yaml", "--color", "never"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("error[SEAM-C002]: POST /payments request body application/json.currency: added as required"), "{text}");
    assert!(text.contains("--> schemas.yaml:6:5"), "{text}");
    assert!(
        text.contains("::: HEAD:schemas.yaml:1:1"),
        "the old side is named by its revision: {text}"
    );
    // The working tree was not touched.
    assert!(
        std::fs::read_to_string(dir.path().join("schemas.yaml"))
            .unwrap()
            .contains("currency")
    );
    let same = seam(dir.path(), &["diff", "HEAD:api.yaml", "HEAD:api.yaml"]);
    assert_eq!(same.status.code(), Some(0));
    assert_eq!(stdout(&same), "no findings\n");
}

#[test]
fn against_compares_every_provided_contract() {
    let dir = repo();
    let out = seam(
        dir.path(),
        &["diff", "--against", "HEAD", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["summary"]["errors"], 1, "{doc:#}");
    assert_eq!(doc["diagnostics"][0]["rule"], "property-added");
    let missing_rev = seam(dir.path(), &["diff", "--against", "no-such-branch"]);
    assert_eq!(missing_rev.status.code(), Some(2));
}

#[test]
fn consumers_get_verdicts_on_what_they_use() {
    let dir = repo();
    let reads_only = dir.path().join("reader.toml");
    std::fs::write(
        &reads_only,
        "[service]\nname = \"report-service\"\n\n[[consumes.http]]\nservice = \"payment-service\"\ncontract = \"payment-api\"\noperations = [\"getPayment\"]\n",
    )
    .unwrap();
    let pays = dir.path().join("payer.toml");
    std::fs::write(
        &pays,
        "[service]\nname = \"order-service\"\n\n[[consumes.http]]\nservice = \"payment-service\"\ncontract = \"payment-api\"\noperations = [\"createPayment\"]\n",
    )
    .unwrap();
    let safe = seam(
        dir.path(),
        &[
            "diff",
            "HEAD:api.yaml",
            "api.yaml",
            "--consumer",
            "reader.toml",
        ],
    );
    assert_eq!(safe.status.code(), Some(0), "{}", stdout(&safe));
    assert!(
        stdout(&safe).contains("report-service           safe"),
        "{}",
        stdout(&safe)
    );
    let both = seam(
        dir.path(),
        &[
            "diff",
            "HEAD:api.yaml",
            "api.yaml",
            "--consumer",
            "reader.toml",
            "--consumer",
            "payer.toml",
            "--format",
            "json",
        ],
    );
    assert_eq!(both.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&both.stdout).unwrap();
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schemas/lint-output.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the diff's JSON does not match its documented schema: {errors:#?}"
    );
    let verdicts: Vec<(String, String)> = doc["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["consumer"].as_str().unwrap().to_owned(),
                c["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("report-service".to_owned(), "safe".to_owned()),
            ("order-service".to_owned(), "breaks".to_owned())
        ]
    );
}

fn with_policy(dir: &Path, policy: &str) {
    let manifest = dir.join("seam.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str(policy);
    std::fs::write(manifest, text).unwrap();
}

fn head(dir: &Path) -> String {
    let out = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(dir)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn the_diff_policy_overrides_ignores_and_accepts() {
    let dir = repo();
    with_policy(
        dir.path(),
        "\n[diff]\nlevels = { property-added = \"warning\" }\n",
    );
    let out = seam(
        dir.path(),
        &["diff", "--against", "HEAD", "--color", "never"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // Text is grouped by what changed.
    assert!(
        stdout(&out).starts_with("── POST /payments ──\n\nwarning[SEAM-C002]"),
        "{}",
        stdout(&out)
    );

    let dir = repo();
    with_policy(
        dir.path(),
        "\n[[diff.ignore]]\ncheck = \"property-added\"\nsubject = \"POST /payments\"\nreason = \"currency defaults on the client\"\nuntil = \"2999-01-01\"\n",
    );
    let hidden = seam(dir.path(), &["diff", "--against", "HEAD"]);
    assert_eq!(hidden.status.code(), Some(0));
    assert_eq!(stdout(&hidden), "no findings\n");

    let dir = repo();
    with_policy(
        dir.path(),
        "\n[[diff.ignore]]\ncheck = \"property-added\"\nreason = \"temporary\"\nuntil = \"2020-01-01\"\n",
    );
    let expired = seam(
        dir.path(),
        &["diff", "--against", "HEAD", "--color", "never"],
    );
    assert_eq!(expired.status.code(), Some(1));
    let text = stdout(&expired);
    assert!(
        text.contains("the ignore of `property-added` expired on 2020-01-01"),
        "{text}"
    );
    assert!(text.contains("error[SEAM-C002]"), "{text}");

    let dir = repo();
    let sha = head(dir.path());
    with_policy(
        dir.path(),
        &format!(
            "\n[[diff.accept]]\nbase = \"{}\"\nreason = \"currency launch, consumers told\"\n",
            &sha[..10]
        ),
    );
    let accepted = seam(
        dir.path(),
        &["diff", "--against", "HEAD", "--color", "never"],
    );
    assert_eq!(accepted.status.code(), Some(0), "{}", stdout(&accepted));
    assert!(
        stdout(&accepted).contains("(accepted for base"),
        "{}",
        stdout(&accepted)
    );
    // The acceptance is for that base only: another base judges afresh.
    git(
        dir.path(),
        &["commit", "-q", "--allow-empty", "-m", "second"],
    );
    let later = seam(dir.path(), &["diff", "--against", "HEAD"]);
    assert_eq!(later.status.code(), Some(1));
}

#[test]
fn transitive_modes_check_every_earlier_version() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    std::fs::create_dir(&history).unwrap();
    let event = |extra: &str| {
        format!(
            "$schema: https://json-schema.org/draft/2020-12/schema\ntitle: inventory.stock_reserved\nx-version: 1\ntype: object\nrequired: [event_id{extra}]\nproperties:\n  event_id: {{type: string}}\n  sku: {{type: string}}\n  warehouse: {{type: string}}\n"
        )
    };
    std::fs::write(history.join("r1.yaml"), event(", sku")).unwrap();
    std::fs::write(history.join("r2.yaml"), event(", sku, warehouse")).unwrap();
    std::fs::write(dir.path().join("current.yaml"), event("")).unwrap();
    let out = seam(
        dir.path(),
        &[
            "diff",
            "history",
            "current.yaml",
            "--mode",
            "forward-transitive",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<String> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap().to_owned())
        .collect();
    // r1 required sku; r2 required sku and warehouse: both became optional for readers of each revision.
    assert_eq!(
        found
            .iter()
            .filter(|m| m.contains(".sku") || m.contains(" sku"))
            .count(),
        2,
        "{found:#?}"
    );
    assert_eq!(
        found.iter().filter(|m| m.contains("warehouse")).count(),
        1,
        "{found:#?}"
    );
    let backward = seam(
        dir.path(),
        &[
            "diff",
            "history",
            "current.yaml",
            "--mode",
            "backward-transitive",
        ],
    );
    assert_eq!(
        backward.status.code(),
        Some(0),
        "relaxing what is required breaks no new reader"
    );
}

#[test]
fn check_reports_breaking_changes_against_the_base() {
    let dir = repo();
    let out = seam(
        dir.path(),
        &["check", "--against", "HEAD", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"property-added"), "{rules:?}");
    assert!(
        rules.contains(&"operation-timeout-missing"),
        "the lint runs too: {rules:?}"
    );
    let skipped = seam(dir.path(), &["check", "--against", "none"]);
    assert_eq!(skipped.status.code(), Some(0), "{}", stdout(&skipped));
    // No remote, no base given: the comparison is skipped with a note, not an error.
    let no_base = seam(dir.path(), &["check"]);
    assert_eq!(no_base.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&no_base.stderr).contains("breaking changes not checked"));
}

#[test]
fn history_and_folders_at_a_revision() {
    let dir = repo();
    let p = dir.path();
    let event = |required: &str| {
        format!(
            "$schema: https://json-schema.org/draft/2020-12/schema\ntitle: payment.captured\nx-version: 1\ntype: object\nrequired: [{required}]\nproperties:\n  a: {{type: string}}\n  b: {{type: string}}\n"
        )
    };
    std::fs::write(p.join("event.yaml"), event("a")).unwrap();
    git(p, &["add", "event.yaml"]);
    git(p, &["commit", "-q", "-m", "event"]);
    std::fs::write(p.join("event.yaml"), event("a, b")).unwrap();
    git(p, &["commit", "-q", "-am", "b required"]);
    std::fs::write(p.join("event.yaml"), event("")).unwrap();
    let count = |args: &[&str]| {
        let out = seam(p, args);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["summary"]["errors"].as_u64().unwrap()
    };
    // Against HEAD only: a and b became optional for consumers of HEAD's version.
    assert_eq!(
        count(&["diff", "HEAD:event.yaml", "event.yaml", "--format", "json"]),
        2
    );
    // Against every version in HEAD's history: also a, for consumers of the first version.
    assert_eq!(
        count(&[
            "diff",
            "HEAD:event.yaml",
            "event.yaml",
            "--mode",
            "forward-transitive",
            "--format",
            "json"
        ]),
        3
    );
    // A folder at a revision pairs its files with the working tree's.
    std::fs::create_dir(p.join("contracts")).unwrap();
    std::fs::copy(p.join("api.yaml"), p.join("contracts/api.yaml")).unwrap();
    std::fs::write(p.join("contracts/schemas.yaml"), "PaymentRequest:\n  type: object\n  required: [amount]\n  properties:\n    amount: {type: integer}\n").unwrap();
    git(p, &["add", "contracts"]);
    git(p, &["commit", "-q", "-m", "contracts folder"]);
    std::fs::write(p.join("contracts/schemas.yaml"), "PaymentRequest:\n  type: object\n  required: [amount, currency]\n  properties:\n    amount: {type: integer}\n    currency: {type: string}\n").unwrap();
    let folder = seam(
        p,
        &["diff", "HEAD:contracts", "contracts", "--format", "json"],
    );
    assert_eq!(folder.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&folder.stdout).unwrap();
    assert_eq!(doc["diagnostics"][0]["rule"], "property-added", "{doc:#}");
    assert_eq!(doc["summary"]["errors"], 1, "{doc:#}");
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A side that cannot be read is an input error naming the file and the line (exit 2), never "no findings":
/// given as files, as folders (where the broken file is not skipped), or read from git with `--against`.
#[test]
fn an_unreadable_side_is_an_input_error_with_file_and_line() {
    let dir = repo();
    let p = dir.path();
    std::fs::write(p.join("new.yaml"), "openapi: [unclosed\n").unwrap();
    let out = seam(p, &["diff", "api.yaml", "new.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("cannot judge the new version") && err.contains("--> new.yaml:2:"),
        "{err}"
    );
    // The old side broken, the other way round.
    let out = seam(p, &["diff", "new.yaml", "api.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot judge the old version"),
        "{}",
        stderr(&out)
    );

    // Folders: a contract that no longer parses is paired and reported, not dropped as "not a contract".
    for side in ["a", "b"] {
        std::fs::create_dir(p.join(side)).unwrap();
        std::fs::write(p.join(side).join("api.yaml"), OLD_API).unwrap();
        std::fs::write(p.join(side).join("schemas.yaml"), OLD_SCHEMAS).unwrap();
    }
    std::fs::write(
        p.join("b/api.yaml"),
        "openapi: 3.1.0\ninfo:\n\ttitle: tabs\n",
    )
    .unwrap();
    let out = seam(p, &["diff", "a", "b"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stderr(&out).contains("b/api.yaml:3:"), "{}", stderr(&out));

    // --against: the working tree's contract points at a schema that does not exist.
    std::fs::write(
        p.join("api.yaml"),
        OLD_API.replace("#/PaymentRequest", "#/PaymentRequets"),
    )
    .unwrap();
    let out = seam(p, &["diff", "--against", "HEAD"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("`schemas.yaml#/PaymentRequets`: nothing exists at this JSON Pointer")
            && err.contains("--> api.yaml:11:"),
        "{err}"
    );
    // `seam check` fails on it too, as a finding beside the lint's own.
    let out = seam(p, &["check", "--against", "HEAD"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("contract-unreadable"),
        "{}",
        stdout(&out)
    );
}

/// Two bare JSON Schema files given explicitly are two versions of one message, whatever their file names.
#[test]
fn two_schema_files_are_two_versions_of_one_message() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let schema = |required: &str| {
        format!(
            "{{\"$schema\": \"https://json-schema.org/draft/2020-12/schema\", \"type\": \"object\", \
             \"required\": [{required}], \"properties\": {{\"id\": {{\"type\": \"string\"}}, \"total\": {{\"type\": \"integer\"}}}}}}"
        )
    };
    std::fs::write(p.join("schema-v1.json"), schema("\"id\", \"total\"")).unwrap();
    std::fs::write(p.join("schema-v2.json"), schema("\"id\"")).unwrap();
    let out = seam(
        p,
        &[
            "diff",
            "schema-v1.json",
            "schema-v2.json",
            "--format",
            "json",
        ],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("property-became-optional"), "{text}");
    assert!(
        !text.contains("message-removed") && !text.contains("message-added"),
        "{text}"
    );
}

/// `--against` in a folder without seam.toml compares every contract below it with the revision.
#[test]
fn against_without_a_manifest_compares_every_contract_below() {
    let dir = repo();
    let p = dir.path();
    std::fs::remove_file(p.join("seam.toml")).unwrap();
    let out = seam(p, &["diff", "--against", "HEAD"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains("createPayment") || text.contains("POST /payments"),
        "{text}"
    );
    assert!(text.contains("currency"), "{text}");
    // A contract that is gone since the revision is reported, not passed over; so is the only one.
    let contracts: Vec<std::path::PathBuf> = std::fs::read_dir(p)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|f| f.extension().is_some_and(|e| e == "yaml"))
        .collect();
    for contract in &contracts {
        std::fs::remove_file(contract).unwrap();
    }
    let out = seam(p, &["diff", "--against", "HEAD"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains("contract-removed") && text.contains("the contract at HEAD is gone"),
        "{text}"
    );
    // Where nothing is a contract, it says what to run instead.
    let empty = tempfile::tempdir().unwrap();
    git(empty.path(), &["init", "-q", "-b", "main"]);
    std::fs::write(empty.path().join("notes.txt"), "x").unwrap();
    git(empty.path(), &["add", "."]);
    git(empty.path(), &["commit", "-q", "-m", "first"]);
    let out = seam(empty.path(), &["diff", "--against", "HEAD"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("seam diff HEAD:PATH PATH"),
        "{}",
        stderr(&out)
    );
}

/// The SARIF log of a diff describes the diff checks, not the lint rules.
#[test]
fn sarif_lists_the_diff_checks_as_rules() {
    let dir = repo();
    let out = seam(
        dir.path(),
        &["diff", "--against", "HEAD", "--format", "sarif"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"SEAM-C001") && rules.contains(&"SEAM-C300"),
        "{rules:?}"
    );
    assert!(rules.iter().all(|r| r.starts_with("SEAM-C")), "{rules:?}");
    let first = &log["runs"][0]["tool"]["driver"]["rules"][0];
    assert_eq!(
        first["help"]["text"], "See docs/diff.md (Checks: property-removed)",
        "{first}"
    );
    for result in log["runs"][0]["results"].as_array().unwrap() {
        let index = result["ruleIndex"]
            .as_u64()
            .expect("every result names its rule") as usize;
        assert_eq!(rules[index], result["ruleId"].as_str().unwrap());
    }
    // `seam check` runs both: its log describes the lint rules and the diff checks.
    let out = seam(
        dir.path(),
        &["check", "--against", "HEAD", "--format", "sarif"],
    );
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let breaking = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"].as_str().unwrap().starts_with("SEAM-C"))
        .expect("the breaking change is a result");
    let index = breaking["ruleIndex"].as_u64().expect("it names its rule") as usize;
    assert_eq!(rules[index]["id"], breaking["ruleId"]);
    assert!(
        rules.iter().any(|r| r["id"] == "SEAM-S001"),
        "the lint rules too"
    );
}

/// In a provider's repository, `seam.lock` records who consumes its contracts and what each uses: a breaking
/// change names the consumers it breaks, and one to a message no recorded consumer reads is information (exit 0).
#[test]
fn a_provider_sees_which_recorded_consumers_a_change_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/checkout/order-service");
    let copied = Command::new("cp")
        .args([
            "-R",
            &format!("{}/.", example.display()),
            &p.display().to_string(),
        ])
        .status()
        .unwrap();
    assert!(copied.success());
    git(p, &["init", "-q", "-b", "main"]);
    git(p, &["add", "."]);
    git(p, &["commit", "-q", "-m", "first"]);
    let events = p.join("contracts/order-events.asyncapi.yaml");
    let original = std::fs::read_to_string(&events).unwrap();

    // order.cancelled loses its `reason`: nobody recorded reads order.cancelled.
    std::fs::write(
        &events,
        original.replace(
            "      required: [event_id, order_id, reason]\n      properties:\n        event_id: {type: string, format: uuid}\n        order_id: {type: string, format: uuid}\n        reason: {type: string, enum: [out_of_stock, payment_declined]}\n",
            "      required: [event_id, order_id]\n      properties:\n        event_id: {type: string, format: uuid}\n        order_id: {type: string, format: uuid}\n",
        ),
    )
    .unwrap();
    let out = seam(p, &["diff", "--against", "HEAD"]);
    let said = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("order.cancelled@1")
            && said.contains("no consumer recorded in seam.lock uses it"),
        "{said}"
    );

    // order.placed loses `items`, which inventory-service reads: an error that names it.
    std::fs::write(
        &events,
        original.replace(
            "      required: [event_id, order_id, items]\n",
            "      required: [event_id, order_id]\n",
        ),
    )
    .unwrap();
    let out = seam(p, &["diff", "--against", "HEAD"]);
    let said = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("order.placed@1")
            && said
                .contains("(breaks inventory-service (in production), as recorded in seam.lock)"),
        "{said}"
    );
    assert!(!said.contains("notification-service"), "{said}");

    // order.confirmed loses `order_id`: notification-service reads it, but runs nowhere (its lock entry says
    // `environments = []`), so nothing that runs breaks.
    std::fs::write(
        &events,
        original.replace(
            "    OrderConfirmed:\n      type: object\n      required: [event_id, order_id]\n",
            "    OrderConfirmed:\n      type: object\n      required: [event_id]\n",
        ),
    )
    .unwrap();
    let out = seam(p, &["diff", "--against", "HEAD"]);
    let said = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("order.confirmed@1")
            && said.contains(
                "(used by notification-service, deployed nowhere as recorded in seam.lock"
            ),
        "{said}"
    );
}
