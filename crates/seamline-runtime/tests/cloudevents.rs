//! Interoperability with an independent CloudEvents implementation, the official Rust SDK (`cloudevents-sdk`):
//! events it builds are read in structured mode and in binary mode (attributes as `cloudEvents:` or
//! `cloudEvents_` AMQP headers, as the AMQP protocol binding maps them), with every optional and extension
//! attribute kept; events this crate writes are read by the SDK; and SDK events published to a real RabbitMQ
//! (AMQP_URL) reach the handler with their extensions and their trace.

use std::time::Duration;

use cloudevents::event::{Data, ExtensionValue, SpecVersion};
use cloudevents::message::{BinaryDeserializer, BinarySerializer, MessageAttributeValue};
use cloudevents::{AttributesReader, Event, EventBuilder, EventBuilderV10};
use lapin::BasicProperties;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable, LongString};
use seamline_runtime::{CloudEvent, Outcome, Telemetry, TraceContext, Upcasters};
use serde_json::{Value, json};

mod common;
use common::Rig;

/// An SDK event as an AMQP message: the body and the properties.
struct Amqp {
    prefix: &'static str,
    headers: FieldTable,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Amqp {
    fn properties(&self) -> BasicProperties {
        let p = BasicProperties::default().with_headers(self.headers.clone());
        match &self.content_type {
            Some(c) => p.with_content_type(c.as_str().into()),
            None => p,
        }
    }
}

/// Binary mode as the AMQP protocol binding maps it: `datacontenttype` is the AMQP content type, every other
/// attribute an application property (header) named with the prefix, booleans and integers as AMQP booleans
/// and longs, the rest in their canonical string form; the data is the body.
impl BinarySerializer<Amqp> for Amqp {
    fn set_spec_version(self, spec_version: SpecVersion) -> cloudevents::message::Result<Self> {
        self.set_attribute(
            "specversion",
            MessageAttributeValue::String(spec_version.to_string()),
        )
    }

    fn set_attribute(
        mut self,
        name: &str,
        value: MessageAttributeValue,
    ) -> cloudevents::message::Result<Self> {
        if name == "datacontenttype" {
            self.content_type = Some(value.to_string());
            return Ok(self);
        }
        let value = match value {
            MessageAttributeValue::Boolean(b) => AMQPValue::Boolean(b),
            MessageAttributeValue::Integer(i) => AMQPValue::LongLongInt(i),
            other => AMQPValue::LongString(LongString::from(other.to_string())),
        };
        self.headers
            .insert(format!("{}{name}", self.prefix).into(), value);
        Ok(self)
    }

    fn set_extension(
        self,
        name: &str,
        value: MessageAttributeValue,
    ) -> cloudevents::message::Result<Self> {
        self.set_attribute(name, value)
    }

    fn end_with_data(mut self, bytes: Vec<u8>) -> cloudevents::message::Result<Amqp> {
        self.body = bytes;
        Ok(self)
    }

    fn end(self) -> cloudevents::message::Result<Amqp> {
        Ok(self)
    }
}

fn binary(event: &Event, prefix: &'static str) -> Amqp {
    event
        .clone()
        .deserialize_binary(Amqp {
            prefix,
            headers: FieldTable::default(),
            content_type: None,
            body: Vec::new(),
        })
        .unwrap()
}

fn structured(event: &Event) -> Amqp {
    Amqp {
        prefix: "",
        headers: FieldTable::default(),
        content_type: Some("application/cloudevents+json; charset=utf-8".into()),
        body: serde_json::to_vec(event).unwrap(),
    }
}

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// SDK events of every shape: only the required attributes; all of them with extensions and JSON data; text
/// data; binary data; a `traceparent` of a later version of W3C Trace Context.
fn sdk_events() -> Vec<Event> {
    let base = || {
        EventBuilderV10::new()
            .id("A234-1234-1234")
            .source("https://github.com/cloudevents/spec/pull")
            .ty("com.github.pull_request.opened")
    };
    vec![
        base().build().unwrap(),
        base()
            .subject("123")
            .time("2018-04-05T17:31:00Z")
            .extension("comexampleextension1", "value")
            .extension("comexampleothervalue", 5i64)
            .extension("comexampleflag", true)
            .extension("traceparent", TRACEPARENT)
            .extension("tracestate", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
            .data_with_schema(
                "application/json",
                "https://example.com/schemas/pull_request.json",
                json!({"number": 1, "title": "CloudEvents over AMQP"}),
            )
            .build()
            .unwrap(),
        base()
            .data("text/plain", "<much wow=\"xml\"/>".to_owned())
            .build()
            .unwrap(),
        base()
            .data("application/octet-stream", vec![0u8, 159, 146, 150])
            .build()
            .unwrap(),
        base()
            .extension(
                "traceparent",
                "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-later",
            )
            .build()
            .unwrap(),
    ]
}

/// Every SDK event, in each content mode, reads as the same event: written back in the JSON event format, the
/// SDK reads exactly the event it built.
#[test]
fn events_built_by_the_sdk_read_in_every_content_mode() {
    for sdk in sdk_events() {
        for (mode, message) in [
            ("structured", structured(&sdk)),
            ("binary cloudEvents:", binary(&sdk, "cloudEvents:")),
            ("binary cloudEvents_", binary(&sdk, "cloudEvents_")),
        ] {
            let ours = CloudEvent::from_amqp(&message.body, &message.properties())
                .unwrap_or_else(|e| panic!("{mode}: {e}\n{sdk}"));
            assert_eq!(ours.id, sdk.id(), "{mode}");
            assert_eq!(ours.kind, sdk.ty(), "{mode}");
            for (name, value) in sdk.iter_extensions() {
                let expected = match value {
                    ExtensionValue::String(s) => json!(s),
                    ExtensionValue::Boolean(b) => json!(b),
                    ExtensionValue::Integer(i) => json!(i),
                };
                assert_eq!(ours.extensions.get(name), Some(&expected), "{mode}: {name}");
            }
            let back: Event = serde_json::from_value(serde_json::to_value(&ours).unwrap())
                .unwrap_or_else(|e| panic!("{mode}: the SDK reads ours back: {e}"));
            assert_eq!(back, sdk, "{mode}");
        }
    }
}

/// A `traceparent` extension from another producer, even of a later version, is the trace the handler continues,
/// with its `tracestate`.
#[test]
fn the_trace_of_an_sdk_event_is_read_with_its_state() {
    let events = sdk_events();
    let with_state = CloudEvent::from_amqp(
        &structured(&events[1]).body,
        &structured(&events[1]).properties(),
    )
    .unwrap();
    let trace = with_state.trace().unwrap();
    assert_eq!(trace.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(
        trace.tracestate(),
        Some("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
    );
    let future = binary(&events[4], "cloudEvents:");
    let later = CloudEvent::from_amqp(&future.body, &future.properties()).unwrap();
    assert_eq!(
        later.trace().map(|t| t.span_id),
        Some("00f067aa0ba902b7".to_owned())
    );
}

/// What this crate publishes is a CloudEvent to the SDK: every attribute, the extensions and the data.
#[test]
fn events_written_here_are_read_by_the_sdk() {
    let mut ours = CloudEvent::new(
        "inventory-service",
        "inventory-events",
        "inventory.stock_reserved",
        2,
        json!({"event_id": "e-1", "order_id": "o-1", "warehouse_id": "w-1"}),
    );
    let trace = TraceContext::parse_with_state(TRACEPARENT, Some("rojo=1")).unwrap();
    ours.set_trace(Some(&trace));
    ours.extensions.insert("partitionkey".into(), json!("o-1"));
    let sdk: Event = serde_json::from_slice(&serde_json::to_vec(&ours).unwrap()).unwrap();
    assert_eq!(sdk.id(), ours.id);
    assert_eq!(sdk.source().to_string(), "/inventory-service");
    assert_eq!(sdk.ty(), "inventory.stock_reserved");
    assert_eq!(
        sdk.dataschema().map(ToString::to_string).as_deref(),
        Some("seam:inventory-events#inventory.stock_reserved@2")
    );
    assert_eq!(sdk.datacontenttype(), Some("application/json"));
    assert!(sdk.time().is_some());
    assert_eq!(
        sdk.extension("traceparent"),
        Some(&ExtensionValue::String(TRACEPARENT.into()))
    );
    assert_eq!(
        sdk.extension("tracestate"),
        Some(&ExtensionValue::String("rojo=1".into()))
    );
    assert_eq!(
        sdk.extension("partitionkey"),
        Some(&ExtensionValue::String("o-1".into()))
    );
    assert_eq!(sdk.data(), Some(&Data::Json(ours.data.clone())));
}

/// SDK events published to RabbitMQ in each content mode reach the handler, which sees their extensions, and
/// continues their trace (a later `traceparent` version included) with the `tracestate` they came with. An
/// event that names no version is handled by the upcaster of the bare message name.
#[tokio::test(flavor = "multi_thread")]
async fn events_from_the_sdk_reach_the_handler_over_rabbitmq() {
    let Some(rig) = Rig::new().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let telemetry = Telemetry::to_file("order-service", &dir.path().join("spans.jsonl")).unwrap();
    let consumer = rig
        .consumer(|config| config.telemetry = Some(telemetry.clone()))
        .await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let upcasters = Upcasters::new()
            .accept("inventory.stock_reserved@1", Ok)
            .accept("inventory.stock_reserved", Ok);
        let handler = |d: seamline_runtime::Delivered<Value>| {
            let _ = tx.send(d);
            async { Outcome::Done }
        };
        consumer
            .run(&upcasters, handler, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });

    let channel = rig.connection.create_channel().await.unwrap();
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let event = |id: &str, traceparent: &str, versioned: bool| {
        let builder = EventBuilderV10::new()
            .id(id)
            .source("https://example.com/warehouse")
            .ty("inventory.stock_reserved")
            .extension("comexamplewarehouse", "north")
            .extension("traceparent", traceparent)
            .extension("tracestate", "rojo=00f067aa0ba902b7");
        let data = json!({"event_id": id, "order_id": "o-1"});
        let builder = if versioned {
            builder.data_with_schema(
                "application/json",
                "seam:inventory-events#inventory.stock_reserved@1",
                data,
            )
        } else {
            builder.data("application/json", data)
        };
        builder.build().unwrap()
    };
    let future = "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later";
    let sent = [
        ("structured", structured(&event("s-1", TRACEPARENT, true))),
        (
            "binary cloudEvents:",
            binary(&event("b-1", TRACEPARENT, true), "cloudEvents:"),
        ),
        (
            "binary cloudEvents_",
            binary(&event("b-2", future, true), "cloudEvents_"),
        ),
        ("unversioned", structured(&event("u-1", TRACEPARENT, false))),
    ];
    for (_, message) in &sent {
        let confirmed = channel
            .basic_publish(
                rig.exchange.as_str().into(),
                "inventory.stock_reserved".into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..Default::default()
                },
                &message.body,
                message.properties(),
            )
            .await
            .unwrap()
            .await
            .unwrap();
        assert!(confirmed.is_ack());
    }
    let mut got = Vec::new();
    for (mode, _) in &sent {
        let d = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("the {mode} event did not reach the handler"))
            .unwrap();
        got.push(d);
    }
    got.sort_by(|a, b| a.event.id.cmp(&b.event.id));
    let ids: Vec<&str> = got.iter().map(|d| d.event.id.as_str()).collect();
    assert_eq!(ids, ["b-1", "b-2", "s-1", "u-1"]);
    for d in &got {
        assert_eq!(
            d.event.extensions["comexamplewarehouse"], "north",
            "{}",
            d.event.id
        );
        assert_eq!(d.data["order_id"], "o-1");
        let trace = d.trace.as_ref().unwrap();
        assert_eq!(
            trace.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736",
            "{}",
            d.event.id
        );
        assert_ne!(trace.span_id, "00f067aa0ba902b7", "the consumer span's own");
        assert_eq!(trace.tracestate(), Some("rojo=00f067aa0ba902b7"));
    }
    assert_eq!(got[3].version, 0, "no version named");
    let _ = stop.send(());
    rig.cleanup().await;
}
