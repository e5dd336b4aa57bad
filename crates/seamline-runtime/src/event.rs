//! CloudEvents 1.0, structured mode, and W3C Trace Context.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The AMQP content type of a structured-mode CloudEvent.
pub const CONTENT_TYPE: &str = "application/cloudevents+json";

/// One event as it travels: every CloudEvents attribute this library uses, and the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudEvent {
    pub specversion: String,
    pub id: String,
    /// The producing service, as a URI reference: `/order-service`.
    pub source: String,
    /// The message name: `inventory.stock_reserved`.
    #[serde(rename = "type")]
    pub kind: String,
    pub time: String,
    pub datacontenttype: String,
    /// The message and its version: `seam:<contract>#<name>@<version>`.
    pub dataschema: String,
    /// W3C `traceparent` of the producing span, as a CloudEvents extension attribute.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub traceparent: Option<String>,
    pub data: Value,
}

impl CloudEvent {
    /// A new event of `message` (`name@version`) from `source`, with a fresh id.
    pub fn new(source: &str, contract: &str, name: &str, version: u32, data: Value) -> CloudEvent {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        CloudEvent {
            specversion: "1.0".into(),
            id: crate::random_hex(16),
            source: format!("/{source}"),
            kind: name.to_owned(),
            time: seamline_model::civil::rfc3339(now),
            datacontenttype: "application/json".into(),
            dataschema: format!("seam:{contract}#{name}@{version}"),
            traceparent: None,
            data,
        }
    }

    /// The message version `dataschema` names.
    pub fn version(&self) -> Option<u32> {
        self.dataschema.rsplit_once('@')?.1.parse().ok()
    }

    /// `name@version`.
    pub fn message(&self) -> String {
        match self.version() {
            Some(v) => format!("{}@{v}", self.kind),
            None => self.kind.clone(),
        }
    }

    /// Reads a structured-mode event, checking the attributes CloudEvents 1.0 requires.
    pub fn from_bytes(bytes: &[u8]) -> Result<CloudEvent, String> {
        let event: CloudEvent = serde_json::from_slice(bytes)
            .map_err(|e| format!("not a structured-mode CloudEvent: {e}"))?;
        if event.specversion != "1.0" {
            return Err(format!(
                "CloudEvents specversion `{}`, not 1.0",
                event.specversion
            ));
        }
        if event.id.is_empty() || event.source.is_empty() || event.kind.is_empty() {
            return Err("a CloudEvent needs a non-empty id, source and type".into());
        }
        Ok(event)
    }
}

/// W3C Trace Context: the `traceparent` of the current operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    pub trace_id: String,
    pub span_id: String,
    pub sampled: bool,
}

impl TraceContext {
    /// A new trace (a fresh trace id and span id, sampled).
    pub fn new_root() -> TraceContext {
        TraceContext {
            trace_id: crate::random_hex(16),
            span_id: crate::random_hex(8),
            sampled: true,
        }
    }

    /// A child span in the same trace.
    pub fn child(&self) -> TraceContext {
        TraceContext {
            trace_id: self.trace_id.clone(),
            span_id: crate::random_hex(8),
            sampled: self.sampled,
        }
    }

    /// Parses `00-<32 hex>-<16 hex>-<2 hex>`; `None` for anything else, as the specification asks.
    pub fn parse(header: &str) -> Option<TraceContext> {
        let parts: Vec<&str> = header.trim().split('-').collect();
        let [version, trace, span, flags] = parts[..] else {
            return None;
        };
        let hex = |s: &str, n: usize| {
            s.len() == n
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        if version != "00"
            || !hex(trace, 32)
            || !hex(span, 16)
            || !hex(flags, 2)
            || trace.bytes().all(|b| b == b'0')
            || span.bytes().all(|b| b == b'0')
        {
            return None;
        }
        Some(TraceContext {
            trace_id: trace.into(),
            span_id: span.into(),
            sampled: u8::from_str_radix(flags, 16).is_ok_and(|f| f & 1 == 1),
        })
    }

    pub fn header(&self) -> String {
        format!(
            "00-{}-{}-{}",
            self.trace_id,
            self.span_id,
            if self.sampled { "01" } else { "00" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_round_trips_and_refuses_malformed_headers() {
        let tc =
            TraceContext::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
        assert_eq!(tc.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert!(tc.sampled);
        assert_eq!(
            tc.header(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        );
        let child = tc.child();
        assert_eq!(child.trace_id, tc.trace_id);
        assert_ne!(child.span_id, tc.span_id);
        for bad in [
            "",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceContext::parse(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        /// Whatever a header or a body holds, reading it never panics; a header that parses prints back as
        /// itself, and an event that parses reads back from its own serialization.
        #[test]
        fn readers_never_panic_and_round_trip(header in "[0-9a-f-]{0,60}", body in proptest::collection::vec(0u8.., 0..200)) {
            if let Some(tc) = TraceContext::parse(&header) {
                proptest::prop_assert_eq!(TraceContext::parse(&tc.header()), Some(tc));
            }
            if let Ok(e) = CloudEvent::from_bytes(&body) {
                let again = CloudEvent::from_bytes(&serde_json::to_vec(&e).unwrap()).unwrap();
                proptest::prop_assert_eq!((again.id, again.kind, again.dataschema), (e.id, e.kind, e.dataschema));
            }
        }

        #[test]
        fn generated_trace_contexts_always_parse(_n in 0..50u8) {
            let root = TraceContext::new_root();
            proptest::prop_assert_eq!(TraceContext::parse(&root.header()), Some(root.clone()));
            let child = root.child();
            proptest::prop_assert_eq!(TraceContext::parse(&child.header()), Some(child));
        }
    }

    #[test]
    fn events_carry_their_message_version_and_refuse_what_is_not_one() {
        let e = CloudEvent::new(
            "inventory-service",
            "inventory-events",
            "inventory.stock_reserved",
            2,
            serde_json::json!({"order_id": "o1"}),
        );
        assert_eq!(e.version(), Some(2));
        assert_eq!(e.message(), "inventory.stock_reserved@2");
        assert_eq!(e.source, "/inventory-service");
        let bytes = serde_json::to_vec(&e).unwrap();
        assert_eq!(CloudEvent::from_bytes(&bytes).unwrap(), e);
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(json["type"], "inventory.stock_reserved");
        assert!(
            CloudEvent::from_bytes(b"not json")
                .unwrap_err()
                .contains("not a structured-mode CloudEvent")
        );
        let mut other = json.clone();
        other["specversion"] = "0.3".into();
        assert!(
            CloudEvent::from_bytes(other.to_string().as_bytes())
                .unwrap_err()
                .contains("0.3")
        );
    }
}
