//! Rule documentation, generated from each rule's `docs` field into `docs/rules/`.

use crate::Rule;
use crate::rules::ALL;

/// The page of one rule.
pub fn page(rule: &Rule) -> String {
    format!(
        "# {name} ({code})\n\n{summary}.\n\nDefault severity: **{severity}**. Configure in `seam.toml`:\n\n```toml\n[lint]\nseverity = {{ {name} = \"warning\" }}   # or \"error\", \"info\", \"off\"\n```\n{docs}",
        name = rule.name,
        code = rule.code,
        summary = capitalize(rule.summary),
        severity = rule.severity,
        docs = rule
            .docs
            .trim_end_matches(' ')
            .to_owned()
            .trim_end()
            .to_owned()
            + "\n",
    )
}

/// Every page, as (file name, text): one per rule and a `README.md` index.
pub fn pages() -> Vec<(String, String)> {
    let mut index = String::from(
        "# Rules\n\nGenerated from the rules' source by `seam rules --write-docs docs/rules`; do not edit by hand.\n\n| Code | Rule | Default | What it reports |\n|---|---|---|---|\n",
    );
    let mut out = Vec::new();
    for rule in ALL {
        index.push_str(&format!(
            "| {} | [{}]({}.md) | {} | {} |\n",
            rule.code, rule.name, rule.name, rule.severity, rule.summary
        ));
        out.push((format!("{}.md", rule.name), page(rule)));
    }
    index.push_str(CONFIGURING);
    out.push(("README.md".to_owned(), index));
    out
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

const CONFIGURING: &str = r##"
## Choosing rules

In `seam.toml`:

```toml
[lint]
select = ["SEAM-E", "dependency-timeout-missing"]   # run only these: names, codes or code prefixes
ignore = ["error-schema-inconsistent"]              # never run these
severity = { operation-timeout-missing = "error", message-id-missing = "off" }
```

On the command line, `--select` and `--ignore` add to these. An unknown rule name is an input error.

## Suppressing one finding

A suppression always names the rule and gives a reason; one that does not suppresses nothing and is reported by
`suppression-invalid`.

- In any contract, YAML or JSON: an `x-seam-ignore` member maps rule names to reasons, and covers the object that
  holds it and everything below it:

  ```yaml
  /reports:
    post:
      x-seam-ignore:
        operation-timeout-missing: "report generation streams; the client sets its own deadline"
  ```

- In YAML and TOML: a comment `# seam-ignore <rule>: <reason>` covers its own line or, alone on a line, the next
  line that holds something:

  ```toml
  # seam-ignore dependency-retry-missing: the ledger call must never be repeated
  [[consumes.http]]
  ```
"##;
