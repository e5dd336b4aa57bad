use seamline_diagnostics::Severity;

use crate::{Context, Report, Rule, suppress};

pub(crate) static RULE: Rule = Rule {
    code: "SEAM-X001",
    name: "suppression-invalid",
    summary: "an inline suppression names no known rule or gives no reason",
    severity: Severity::Warning,
    docs: r##"
## What it does
Checks inline suppressions. A suppression must name a rule and give a reason; one that does not is ignored
(the finding stays) and reported here.

Two forms are understood:
- in any contract, YAML or JSON, an `x-seam-ignore` member mapping rule names to reasons; it covers the object
  that holds it and everything below it;
- in YAML and TOML, a comment `# seam-ignore <rule>: <reason>`, which covers its own line, or, alone on a line,
  the next line that holds something.

## Why is this bad?
A suppression without a reason is a finding nobody can judge later; one with a misspelt rule suppresses nothing.

## Example
```yaml
get:
  x-seam-ignore:
    operation-timeout-missing: "streaming endpoint, the client sets its own deadline"
```
"##,
    check,
};

fn check(ctx: &Context<'_>, report: &mut Report<'_>) {
    for s in suppress::collect(ctx) {
        if let Some(problem) = s.problem() {
            let help = match crate::engine::suggest_rule(&s.rule) {
                Some(name) if !s.rule.is_empty() && name != s.rule => {
                    format!("did you mean `{name}`?")
                }
                _ => "write `<rule>: <reason>`".to_owned(),
            };
            report.at_span(&s.source, s.span, problem).set_help(help);
        }
    }
}
