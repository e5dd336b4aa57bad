//! The renderers on a fixed set of findings: text with carets, and machine formats that match their schemas.

use seamline_diagnostics::{
    Diagnostic, Label, RuleInfo, Severity, TextOptions, render_github, render_json,
    render_markdown, render_sarif, render_text,
};
use seamline_syntax::{SourceFile, Span};

fn findings() -> Vec<Diagnostic> {
    let api = SourceFile::new(
        "contracts/api.yaml",
        "paths:\n  /orders:\n    get:\n      responses: {}\n    post:\n      operationId: créer\n"
            .to_owned(),
    );
    let manifest = SourceFile::new("seam.toml", "[service]\nname = \"x\"\n".to_owned());
    vec![
        Diagnostic::new(
            "SEAM-H001",
            "operation-id-missing",
            Severity::Error,
            "GET /orders has no `operationId`",
        )
        .with_primary(Label::new(&api, Span::new(22, 25)))
        .with_pointer("/paths/~1orders/get")
        .with_help("add a unique, stable `operationId`"),
        Diagnostic::new(
            "SEAM-H002",
            "operation-id-duplicate",
            Severity::Warning,
            "`créer` is used twice",
        )
        .with_primary(Label::new(&api, Span::new(76, 82)))
        .with_secondary(Label::new(&api, Span::new(22, 25)).with_message("first used here")),
        Diagnostic::new(
            "SEAM-D001",
            "dependency-timeout-missing",
            Severity::Info,
            "no timeout | at all",
        )
        .with_primary(Label::new(&manifest, Span::new(0, 9))),
        Diagnostic::new(
            "SEAM-S001",
            "syntax-error",
            Severity::Error,
            "cannot read the file: gone",
        )
        .with_path("missing.yaml"),
    ]
}

fn rules() -> Vec<RuleInfo> {
    ["SEAM-H001", "SEAM-H002", "SEAM-D001", "SEAM-S001"]
        .iter()
        .map(|&code| RuleInfo {
            code,
            name: "rule",
            summary: "what it checks",
            default_severity: Severity::Warning,
        })
        .collect()
}

#[test]
fn text_points_a_caret_at_the_token() {
    insta::assert_snapshot!(render_text(&findings(), TextOptions::default()));
}

#[test]
fn sarif_is_valid_sarif_2_1_0() {
    // The published schema's pattern for `run.language` has a stray `]` that strict regex checking of the schema
    // itself rejects; it constrains a field seam does not write, so it is replaced here, in memory only.
    let text = include_str!("schemas/sarif-2.1.0.json").replace(
        "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$",
        "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$",
    );
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(false)
        .build(&schema)
        .unwrap();
    let log: serde_json::Value =
        serde_json::from_str(&render_sarif(&findings(), &rules(), "0.0.0")).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    // Columns count characters: `créer` starts at column 20 on line 6.
    let dup = results.iter().find(|r| r["ruleId"] == "SEAM-H002").unwrap();
    assert_eq!(
        dup["locations"][0]["physicalLocation"]["region"]["startLine"],
        6
    );
    assert_eq!(
        dup["locations"][0]["physicalLocation"]["region"]["startColumn"],
        20
    );
    assert_eq!(
        dup["locations"][0]["physicalLocation"]["region"]["endColumn"],
        25
    );
    assert_eq!(
        dup["relatedLocations"][0]["message"]["text"],
        "first used here"
    );
    assert_eq!(log["runs"][0]["columnKind"], "unicodeCodePoints");
    // The check can fail: a level SARIF does not know is rejected.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&broken));
}

#[test]
fn json_locates_every_finding() {
    let doc: serde_json::Value = serde_json::from_str(&render_json(&findings())).unwrap();
    assert_eq!(
        doc["summary"],
        serde_json::json!({"errors": 2, "warnings": 1, "infos": 1})
    );
    let files: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "contracts/api.yaml",
            "contracts/api.yaml",
            "missing.yaml",
            "seam.toml"
        ]
    );
    assert_eq!(
        doc["diagnostics"][0]["range"]["start"],
        serde_json::json!({"line": 3, "column": 5, "offset": 22})
    );
    assert_eq!(doc["diagnostics"][2]["range"], serde_json::Value::Null);
}

#[test]
fn markdown_and_github_escape_what_would_break_them() {
    let markdown = render_markdown(&findings());
    assert!(markdown.contains("no timeout \\| at all"));
    assert!(markdown.starts_with("### Seamline\n\nFound 2 errors, 1 warning, 1 info."));
    let github = render_github(&findings());
    assert!(github.contains("::error file=contracts/api.yaml,line=3,col=5,endLine=3,endColumn=8,title=SEAM-H001 operation-id-missing::GET /orders has no `operationId`%0Ahelp: add a unique, stable `operationId`"));
    assert!(github.contains("::notice file=seam.toml,line=1,col=1"));
}
