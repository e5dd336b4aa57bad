//! `[diff]` in `seam.toml`: level overrides, known changes to ignore (with a reason, until a date), and breaking
//! changes accepted for one base revision.

use seamline_diagnostics::Label;
use seamline_model::{DiffConfig, Manifest};

use crate::{Change, Level, Usage, checks};

/// Applies the policy of `manifest` to `changes`. `base` is the commit id of the old side when it came from
/// git; `today` is `YYYY-MM-DD`.
pub fn apply_policy(
    changes: Vec<Change>,
    manifest: &Manifest,
    base: Option<&str>,
    today: &str,
) -> Vec<Change> {
    let config: &DiffConfig = &manifest.diff;
    let label = |pointer: &str| {
        let (node, key) = manifest.root.locate(pointer)?;
        Some(Label::new(&manifest.source, key.unwrap_or(node.span)))
    };
    let accepted = base.and_then(|base| {
        config
            .accept
            .iter()
            .find(|a| a.base.value.len() >= 7 && base.starts_with(a.base.value.as_str()))
    });
    let mut out = Vec::new();
    let mut expired_reported = Vec::new();
    for mut change in changes {
        if let Some((_, level)) = config
            .levels
            .iter()
            .rev()
            .find(|(check, _)| check.value == change.check.id)
        {
            change.level = match level.value.as_str() {
                "breaking" => Level::Breaking,
                "warning" => Level::Warning,
                "info" => Level::Info,
                _ => continue,
            };
        }
        let ignore = config.ignore.iter().find(|i| {
            i.check.value == change.check.id
                && i.subject
                    .as_ref()
                    .is_none_or(|s| change.subject.starts_with(s.value.as_str()))
        });
        if let Some(ignore) = ignore {
            match &ignore.until {
                Some(until) if until.value.as_str() < today => {
                    if !expired_reported.contains(&ignore.pointer) {
                        expired_reported.push(ignore.pointer.clone());
                        out.push(Change {
                            usage: Usage::Everyone,
                            check: &checks::IGNORE_EXPIRED,
                            level: Level::Warning,
                            subject: "seam.toml".to_owned(),
                            path: String::new(),
                            message: format!(
                                "the ignore of `{}` expired on {} (reason given: {})",
                                ignore.check.value, until.value, ignore.reason.value
                            ),
                            old: None,
                            new: label(&until.pointer),
                        });
                    }
                }
                _ => continue,
            }
        }
        if let Some(accept) = accepted
            && change.level == Level::Breaking
        {
            change.level = Level::Warning;
            change.message = format!(
                "{} (accepted for base {}: {})",
                change.message, accept.base.value, accept.reason.value
            );
        }
        out.push(change);
    }
    out
}
