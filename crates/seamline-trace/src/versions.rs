//! `seam trace versions`: which consumer services consumed which version of each message, how often, and when
//! last, read from the consumer spans.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::messaging::{self, Role, base_name};
use crate::model::{Span, TraceId};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VersionUse {
    pub message: String,
    /// `unknown` when the span names no version.
    pub version: String,
    pub consumer: String,
    pub count: u64,
    /// How many of those the consumer failed on (rejected, dead-lettered).
    pub failed: u64,
    /// Unix time in nanoseconds of the latest consumption.
    pub last_seen_unix_nano: u64,
    /// The same as RFC 3339 text, for people.
    pub last_seen: String,
    /// The trace of the latest one: the evidence to open.
    pub last_trace_id: String,
}

/// Per message, version and service: how many, the latest end and its trace, and how many failed.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    count: u64,
    last: u64,
    trace: TraceId,
    failed: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Versions {
    attribute: String,
    seen: BTreeMap<(String, String, String), Tally>,
    producers: BTreeMap<(String, String, String), Tally>,
}

impl Versions {
    pub fn new(attribute: String) -> Versions {
        Versions {
            attribute,
            ..Versions::default()
        }
    }

    pub fn observe(&mut self, span: &Span) {
        let target = match messaging::role(span) {
            Some(Role::Consumer) => &mut self.seen,
            Some(Role::Producer) => &mut self.producers,
            _ => return,
        };
        let Some(message) = messaging::message_name(span) else {
            return;
        };
        let version = messaging::version(span, &self.attribute).unwrap_or_else(|| "unknown".into());
        let key = (
            base_name(message).to_string(),
            version,
            span.service.to_string(),
        );
        let entry = target.entry(key).or_default();
        entry.count += 1;
        if span.end_ns >= entry.last {
            entry.last = span.end_ns;
            entry.trace = span.trace_id;
        }
        entry.failed += u64::from(span.is_error());
    }

    /// Per message and version, each consumer; sorted by message, version, consumer.
    pub fn consumers(&self) -> Vec<VersionUse> {
        Self::table(&self.seen)
    }

    /// The same for publishers, so a version published and never consumed shows.
    pub fn producers(&self) -> Vec<VersionUse> {
        Self::table(&self.producers)
    }

    fn table(map: &BTreeMap<(String, String, String), Tally>) -> Vec<VersionUse> {
        map.iter()
            .map(|((message, version, service), tally)| VersionUse {
                message: message.clone(),
                version: version.clone(),
                consumer: service.clone(),
                count: tally.count,
                failed: tally.failed,
                last_seen_unix_nano: tally.last,
                last_seen: rfc3339(tally.last),
                last_trace_id: tally.trace.to_string(),
            })
            .collect()
    }
}

pub use seamline_model::civil::rfc3339;

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_of_known_instants() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            super::rfc3339(1_795_684_327_123_000_000),
            "2026-11-26T09:12:07.123Z"
        );
    }
}
