//! W3C Trace Context (`traceparent` and `tracestate`), read and written by OpenTelemetry's propagator, so a
//! header from a later version of the specification is read by its known prefix and `tracestate` travels on.

use std::collections::HashMap;
use std::str::FromStr;

use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator};

/// The header (and CloudEvents extension attribute) naming the parent span.
pub const TRACEPARENT: &str = "traceparent";
/// The header (and CloudEvents extension attribute) carrying vendors' trace state.
pub const TRACESTATE: &str = "tracestate";

/// The trace context of the current operation: its trace, its span, whether it is sampled, and the vendors'
/// `tracestate`, which every span of the trace carries on unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    pub trace_id: String,
    pub span_id: String,
    pub sampled: bool,
    /// The `tracestate` header as it arrived (`vendor=value,…`); empty when there was none.
    pub state: String,
}

impl TraceContext {
    /// A new trace (a fresh trace id and span id, sampled).
    pub fn new_root() -> TraceContext {
        let ids = RandomIdGenerator::default();
        TraceContext {
            trace_id: ids.new_trace_id().to_string(),
            span_id: ids.new_span_id().to_string(),
            sampled: true,
            state: String::new(),
        }
    }

    /// A child span in the same trace, with the same `tracestate`.
    pub fn child(&self) -> TraceContext {
        TraceContext {
            span_id: RandomIdGenerator::default().new_span_id().to_string(),
            ..self.clone()
        }
    }

    /// Reads a `traceparent` header; `None` when the propagator refuses it.
    pub fn parse(traceparent: &str) -> Option<TraceContext> {
        TraceContext::extract(&Headers {
            traceparent: Some(traceparent),
            tracestate: None,
        })
    }

    /// Reads a `traceparent` and, when given, its `tracestate`; a `tracestate` that is not valid is dropped,
    /// as the specification asks.
    pub fn parse_with_state(traceparent: &str, tracestate: Option<&str>) -> Option<TraceContext> {
        TraceContext::extract(&Headers {
            traceparent: Some(traceparent),
            tracestate,
        })
    }

    /// Reads the trace context from any carrier of headers.
    pub fn extract(carrier: &dyn Extractor) -> Option<TraceContext> {
        let context = TraceContextPropagator::new().extract(carrier);
        let span = context.span();
        let span = span.span_context();
        span.is_valid().then(|| TraceContext::of(span))
    }

    /// The `traceparent` header, as version 00 writes it.
    pub fn header(&self) -> String {
        self.inject().remove(TRACEPARENT).unwrap_or_default()
    }

    /// The `tracestate` header; `None` when there is no state to carry.
    pub fn tracestate(&self) -> Option<&str> {
        (!self.state.is_empty()).then_some(self.state.as_str())
    }

    /// Both headers, as the propagator writes them (`tracestate` only when there is state).
    pub fn inject(&self) -> HashMap<String, String> {
        let mut headers = HashMap::new();
        let context = Context::new().with_remote_span_context(self.span_context());
        TraceContextPropagator::new().inject_context(&context, &mut headers);
        if headers.get(TRACESTATE).is_some_and(String::is_empty) {
            headers.remove(TRACESTATE);
        }
        headers
    }

    /// As an OpenTelemetry span context (remote); an invalid one when the ids do not read.
    pub(crate) fn span_context(&self) -> SpanContext {
        let (Ok(trace_id), Ok(span_id)) = (
            TraceId::from_hex(&self.trace_id),
            SpanId::from_hex(&self.span_id),
        ) else {
            return SpanContext::empty_context();
        };
        let flags = if self.sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::default()
        };
        let state = TraceState::from_str(&self.state).unwrap_or_default();
        SpanContext::new(trace_id, span_id, flags, true, state)
    }

    /// The trace context of an OpenTelemetry span.
    pub(crate) fn of(span: &SpanContext) -> TraceContext {
        TraceContext {
            trace_id: span.trace_id().to_string(),
            span_id: span.span_id().to_string(),
            sampled: span.is_sampled(),
            state: span.trace_state().header(),
        }
    }
}

/// The two headers, from wherever they were found.
struct Headers<'a> {
    traceparent: Option<&'a str>,
    tracestate: Option<&'a str>,
}

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        match key {
            TRACEPARENT => self.traceparent,
            TRACESTATE => self.tracestate,
            _ => None,
        }
    }

    fn keys(&self) -> Vec<&str> {
        vec![TRACEPARENT, TRACESTATE]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn traceparent_round_trips_and_refuses_malformed_headers() {
        let tc = TraceContext::parse(PARENT).unwrap();
        assert_eq!(tc.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert!(tc.sampled);
        assert_eq!(tc.header(), PARENT);
        let child = tc.child();
        assert_eq!(child.trace_id, tc.trace_id);
        assert_ne!(child.span_id, tc.span_id);
        for bad in [
            "",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "zz-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceContext::parse(bad), None, "{bad}");
        }
    }

    /// W3C Trace Context §3.2.4: a version the reader does not know is read by the fields it does know, and
    /// whatever follows them is ignored. Version 00 itself allows nothing after the flags.
    #[test]
    fn a_future_version_is_read_by_its_known_prefix() {
        for header in [
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-later",
        ] {
            let tc = TraceContext::parse(header).unwrap_or_else(|| panic!("{header}"));
            assert_eq!(tc.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
            assert_eq!(tc.span_id, "00f067aa0ba902b7");
            assert!(tc.sampled);
            assert_eq!(tc.header(), PARENT, "written back as version 00");
        }
    }

    #[test]
    fn tracestate_travels_with_the_trace_and_a_broken_one_is_dropped() {
        let tc =
            TraceContext::parse_with_state(PARENT, Some("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"))
                .unwrap();
        assert_eq!(
            tc.tracestate(),
            Some("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")
        );
        let child = tc.child();
        assert_eq!(child.tracestate(), tc.tracestate());
        let headers = child.inject();
        assert_eq!(
            headers.get(TRACESTATE).map(String::as_str),
            Some("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")
        );
        assert_eq!(
            TraceContext::parse_with_state(&headers[TRACEPARENT], Some(&headers[TRACESTATE])),
            Some(child)
        );
        let broken = TraceContext::parse_with_state(PARENT, Some("not a list entry")).unwrap();
        assert_eq!(broken.tracestate(), None);
        assert!(
            !TraceContext::parse(PARENT)
                .unwrap()
                .inject()
                .contains_key(TRACESTATE)
        );
    }

    proptest::proptest! {
        /// Whatever a header holds, reading it never panics, and what was read writes back as a header that
        /// reads the same.
        #[test]
        fn headers_never_panic_and_read_back(header in "[0-9a-fA-F-]{0,70}", state in "[a-z0-9=,@ ]{0,40}") {
            if let Some(tc) = TraceContext::parse_with_state(&header, Some(&state)) {
                let written = tc.inject();
                proptest::prop_assert_eq!(
                    TraceContext::parse_with_state(&written[TRACEPARENT], written.get(TRACESTATE).map(String::as_str)),
                    Some(tc)
                );
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
}
