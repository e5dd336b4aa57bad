//! Version usage from spans: which service published and consumed which major version of each message, for the
//! counters `seam migrate evidence` and the OTLP receiver (`POST /v1/traces`) add to.

use seamline_trace::read::Sink;
use seamline_trace::versions::{VersionUse as Seen, Versions};

use crate::store::VersionUse;

/// The span attribute that holds a message's schema version, as `seam trace versions` reads it by default.
pub const VERSION_ATTRIBUTE: &str = "messaging.message.schema_version";

/// Feeds spans to [`Versions`].
pub struct Observe<'a>(pub &'a mut Versions);

impl Sink for Observe<'_> {
    fn span(&mut self, span: seamline_trace::model::Span) {
        self.0.observe(&span);
    }
    fn log(&mut self, _: seamline_trace::model::LogRecord) {}
}

/// The counters of what `versions` saw, and a warning for each service whose name the registry does not take
/// (its uses are left out).
pub fn usage_of(versions: &Versions) -> (Vec<VersionUse>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut rows = Vec::new();
    for (seen, role) in [
        (versions.consumers(), "consumes"),
        (versions.producers(), "publishes"),
    ] {
        for u in seen {
            if !crate::valid_name(&u.consumer) {
                warnings.push(format!(
                    "`{}` is not a service name the registry takes; its uses are left out",
                    u.consumer
                ));
                continue;
            }
            rows.push(row(u, role));
        }
    }
    warnings.dedup();
    (rows, warnings)
}

fn row(u: Seen, role: &str) -> VersionUse {
    VersionUse {
        version: major(&u.version),
        service: u.consumer,
        role: role.to_owned(),
        message: u.message,
        count: i64::try_from(u.count).unwrap_or(i64::MAX),
        failed: i64::try_from(u.failed).unwrap_or(i64::MAX),
        last_seen_ms: i64::try_from(u.last_seen_unix_nano / 1_000_000).unwrap_or(i64::MAX),
        // An all-zero id is no trace.
        trace_id: (u.last_trace_id.bytes().any(|b| b != b'0')).then_some(u.last_trace_id),
    }
}

/// The major version the registry counts: `2`, `v2` and `2.1` are `2`; anything else is `unknown`.
fn major(version: &str) -> String {
    let digits: String = version
        .trim_start_matches(['v', 'V'])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    if digits.is_empty() || digits.len() > 9 {
        "unknown".to_owned()
    } else {
        digits
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn major_versions_are_counted_by_their_leading_number() {
        for (given, counted) in [
            ("2", "2"),
            ("v2", "2"),
            ("2.1", "2"),
            ("unknown", "unknown"),
            ("beta", "unknown"),
            ("", "unknown"),
        ] {
            assert_eq!(super::major(given), counted, "{given}");
        }
    }
}
