//! CloudEvents 1.0 and its JSON event format: the required attributes, the optional ones, extension attributes
//! kept as they came, and the data.

use std::collections::BTreeMap;

use opentelemetry::propagation::Extractor;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::trace_context::{TRACEPARENT, TRACESTATE, TraceContext};

/// The media type of a structured-mode CloudEvent in the JSON event format.
pub const CONTENT_TYPE: &str = "application/cloudevents+json";

/// One event as it travels: every CloudEvents 1.0 attribute, the extensions, and the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudEvent {
    pub specversion: String,
    pub id: String,
    /// The producing service, as a URI reference: `/order-service`.
    pub source: String,
    /// The message name: `inventory.stock_reserved`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datacontenttype: Option<String>,
    /// Seamline's events name the message and its version here: `seam:<contract>#<name>@<version>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataschema: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// Extension attributes, by name, as they came: W3C `traceparent` and `tracestate` (the Distributed Tracing
    /// extension) and whatever else the producer set.
    #[serde(flatten)]
    pub extensions: BTreeMap<String, Value>,
    /// The data; `null` when the event has none, or when it is binary (then in `data_base64`).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub data: Value,
    /// Binary data, base64-encoded, as the JSON event format carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_base64: Option<String>,
}

impl CloudEvent {
    /// A new event of `message` (`name@version`) from `source`, with a fresh id (a random UUID).
    pub fn new(source: &str, contract: &str, name: &str, version: u32, data: Value) -> CloudEvent {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        CloudEvent {
            specversion: "1.0".into(),
            id: crate::uuid(),
            source: format!("/{source}"),
            kind: name.to_owned(),
            datacontenttype: Some("application/json".into()),
            dataschema: Some(format!("seam:{contract}#{name}@{version}")),
            subject: None,
            time: Some(seamline_model::civil::rfc3339(now)),
            extensions: BTreeMap::new(),
            data,
            data_base64: None,
        }
    }

    /// The message version `dataschema` names (`…@<version>`); `None` for an event without one.
    pub fn version(&self) -> Option<u32> {
        self.dataschema.as_deref()?.rsplit_once('@')?.1.parse().ok()
    }

    /// `name@version`, or the name alone for an event that names no version.
    pub fn message(&self) -> String {
        match self.version() {
            Some(v) => format!("{}@{v}", self.kind),
            None => self.kind.clone(),
        }
    }

    /// The `traceparent` extension attribute.
    pub fn traceparent(&self) -> Option<&str> {
        self.extensions.get(TRACEPARENT)?.as_str()
    }

    /// The producer's trace context, from the `traceparent` and `tracestate` extension attributes.
    pub fn trace(&self) -> Option<TraceContext> {
        TraceContext::extract(self)
    }

    /// Sets (or with `None` removes) the `traceparent` and `tracestate` extension attributes.
    pub fn set_trace(&mut self, trace: Option<&TraceContext>) {
        self.extensions.remove(TRACEPARENT);
        self.extensions.remove(TRACESTATE);
        for (name, value) in trace.map(TraceContext::inject).unwrap_or_default() {
            self.extensions.insert(name, Value::String(value));
        }
    }

    /// Reads an event in the JSON event format (structured mode), checking the attributes CloudEvents 1.0
    /// requires.
    pub fn from_bytes(bytes: &[u8]) -> Result<CloudEvent, String> {
        let event: CloudEvent = serde_json::from_slice(bytes)
            .map_err(|e| format!("not a structured-mode CloudEvent: {e}"))?;
        event.check()?;
        Ok(event)
    }

    /// Checks what CloudEvents 1.0 requires of every event, whatever its content mode.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.specversion != "1.0" {
            return Err(format!(
                "CloudEvents specversion `{}`, not 1.0",
                self.specversion
            ));
        }
        if self.id.is_empty() || self.source.is_empty() || self.kind.is_empty() {
            return Err("a CloudEvent needs a non-empty id, source and type".into());
        }
        if !self.data.is_null() && self.data_base64.is_some() {
            return Err("a CloudEvent has `data` or `data_base64`, not both".into());
        }
        Ok(())
    }
}

impl Extractor for CloudEvent {
    fn get(&self, key: &str) -> Option<&str> {
        self.extensions.get(key)?.as_str()
    }

    fn keys(&self) -> Vec<&str> {
        self.extensions.keys().map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Whatever a body holds, reading it never panics, and an event that reads reads back the same from its
        /// own serialization.
        #[test]
        fn reading_never_panics_and_round_trips(body in proptest::collection::vec(0u8.., 0..200)) {
            if let Ok(e) = CloudEvent::from_bytes(&body) {
                let again = CloudEvent::from_bytes(&serde_json::to_vec(&e).unwrap()).unwrap();
                proptest::prop_assert_eq!(again, e);
            }
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
        assert!(uuid::Uuid::parse_str(&e.id).is_ok(), "{}", e.id);
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

    /// CloudEvents 1.0 requires only `specversion`, `id`, `source` and `type`; the spec's own minimal example
    /// is an event.
    #[test]
    fn only_the_required_attributes_are_required_and_extensions_are_kept() {
        let minimal = br#"{"specversion":"1.0","type":"com.github.pull_request.opened","source":"https://github.com/cloudevents/spec/pull","id":"A234-1234-1234"}"#;
        let e = CloudEvent::from_bytes(minimal).unwrap();
        assert_eq!(
            (&e.time, &e.datacontenttype, &e.dataschema),
            (&None, &None, &None)
        );
        assert_eq!(e.version(), None);
        assert_eq!(e.message(), "com.github.pull_request.opened");
        assert_eq!(e.data, Value::Null);

        let with_extensions = br#"{"specversion":"1.0","type":"t","source":"/s","id":"1","subject":"123","comexampleextension1":"value","comexampleothervalue":5,"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","tracestate":"rojo=00f067aa0ba902b7","data":{"a":1}}"#;
        let e = CloudEvent::from_bytes(with_extensions).unwrap();
        assert_eq!(e.subject.as_deref(), Some("123"));
        assert_eq!(e.extensions["comexampleextension1"], "value");
        assert_eq!(e.extensions["comexampleothervalue"], 5);
        let trace = e.trace().unwrap();
        assert_eq!(trace.tracestate(), Some("rojo=00f067aa0ba902b7"));
        let written: Value = serde_json::to_value(&e).unwrap();
        let read: Value = serde_json::from_slice(with_extensions).unwrap();
        assert_eq!(written, read, "written back with every attribute");

        for (bad, why) in [
            (
                r#"{"specversion":"1.0","type":"t","source":"/s"}"#,
                "missing field `id`",
            ),
            (
                r#"{"specversion":"1.0","type":"t","source":"","id":"1"}"#,
                "non-empty",
            ),
            (
                r#"{"specversion":"1.0","type":"t","source":"/s","id":"1","data":1,"data_base64":"AQ=="}"#,
                "not both",
            ),
        ] {
            let e = CloudEvent::from_bytes(bad.as_bytes()).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn the_trace_is_set_and_replaced_as_extension_attributes() {
        let mut e = CloudEvent::new("s", "c", "m", 1, Value::Null);
        let trace = TraceContext::parse_with_state(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            Some("rojo=1"),
        )
        .unwrap();
        e.set_trace(Some(&trace));
        assert_eq!(e.trace(), Some(trace.clone()));
        assert_eq!(e.traceparent(), Some(trace.header().as_str()));
        e.set_trace(Some(&TraceContext::new_root()));
        assert_eq!(
            e.trace().unwrap().tracestate(),
            None,
            "the old state goes with the old trace"
        );
        e.set_trace(None);
        assert!(e.extensions.is_empty());
    }
}
