use seamline_lint::rules::{ALL, find};

use crate::Status;
use crate::args::{Format, Global, RulesArgs};
use crate::output::write_stdout;

pub(crate) fn run(global: &Global, args: &RulesArgs) -> anyhow::Result<Status> {
    if let Some(dir) = &args.write_docs {
        std::fs::create_dir_all(dir)?;
        for (name, text) in seamline_lint::docs::pages() {
            std::fs::write(dir.join(name), text)?;
        }
        eprintln!("wrote {} pages to {}", ALL.len() + 1, dir.display());
        return Ok(Status::Clean);
    }
    if let Some(name) = &args.rule {
        let Some(rule) = find(name) else {
            let names: Vec<&str> = ALL.iter().map(|r| r.name).collect();
            let hint = seamline_model::suggest(name, &names)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            anyhow::bail!("unknown rule `{name}`{hint}");
        };
        write_stdout(global.color, &seamline_lint::docs::page(rule))?;
        return Ok(Status::Clean);
    }
    let text = if global.format == Some(Format::Json) {
        let list: Vec<serde_json::Value> = ALL
            .iter()
            .map(|r| serde_json::json!({"code": r.code, "name": r.name, "severity": r.severity.as_str(), "summary": r.summary}))
            .collect();
        serde_json::to_string_pretty(&list)? + "\n"
    } else {
        ALL.iter()
            .map(|r| {
                format!(
                    "{:<10} {:<34} {:<8} {}\n",
                    r.code,
                    r.name,
                    r.severity.as_str(),
                    r.summary
                )
            })
            .collect()
    };
    write_stdout(global.color, &text)?;
    Ok(Status::Clean)
}
