//! What a consumer does with the bytes of a delivery before its handler sees them: read them as a structured-mode
//! CloudEvent, its message and version from `dataschema`, its `traceparent` and `tracestate`, and its data
//! checked against the contract. Nothing panics; an event read back from its own JSON is the same event; a trace
//! context written back as a header reads the same.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use seamline_runtime::{CloudEvent, Schemas, TraceContext};

fn schemas() -> &'static Option<Schemas> {
    static SCHEMAS: OnceLock<Option<Schemas>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let contract = Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "../examples/checkout/inventory-service/contracts/inventory-events.asyncapi.yaml",
        );
        Schemas::from_contract(&contract).ok()
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = std::str::from_utf8(data)
        && let Some(trace) = TraceContext::parse(header)
    {
        assert_eq!(TraceContext::parse(&trace.header()), Some(trace));
    }
    let Ok(event) = CloudEvent::from_bytes(data) else {
        return;
    };
    let again = serde_json::to_vec(&event).expect("an event serializes");
    assert_eq!(
        CloudEvent::from_bytes(&again).as_ref(),
        Ok(&event),
        "an event read back from its own JSON"
    );
    let message = event.message();
    if let Some(trace) = event.trace() {
        assert_eq!(
            TraceContext::parse_with_state(&trace.header(), trace.tracestate()),
            Some(trace)
        );
    }
    if let Some(schemas) = schemas() {
        let _ = schemas.validate(&message, &event.data);
    }
});
