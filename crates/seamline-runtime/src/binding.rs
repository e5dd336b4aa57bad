//! The CloudEvents AMQP protocol binding, as RabbitMQ carries it: a delivery is a CloudEvent in structured mode
//! (the AMQP content type is `application/cloudevents+json` and the body is the event) or in binary mode (the
//! attributes are application properties, AMQP headers here, named `cloudEvents:<attribute>` or, as earlier
//! drafts and JMS-bound SDKs write them, `cloudEvents_<attribute>`; the content type is `datacontenttype` and
//! the body is the data).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use lapin::BasicProperties;
use lapin::types::AMQPValue;
use serde_json::Value;

use crate::event::{CONTENT_TYPE, CloudEvent};

/// The prefixes of binary-mode attribute headers.
const PREFIXES: [&str; 2] = ["cloudEvents:", "cloudEvents_"];

impl CloudEvent {
    /// Reads the CloudEvent a delivery carries, in structured or binary mode.
    pub fn from_amqp(body: &[u8], properties: &BasicProperties) -> Result<CloudEvent, String> {
        let content_type = properties
            .content_type()
            .as_ref()
            .map(|c| c.as_str().trim());
        if content_type.is_some_and(|c| media_type(c) == "application/cloudevents-batch+json") {
            return Err("a batch of CloudEvents is not one event; send them one by one".into());
        }
        let structured = content_type.is_some_and(|c| media_type(c).starts_with(CONTENT_TYPE));
        let attributes = binary_attributes(properties);
        if structured || attributes.is_empty() {
            return CloudEvent::from_bytes(body);
        }
        from_binary(body, content_type, attributes)
    }
}

/// The media type without its parameters, lowercase.
fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The binary-mode attributes among a delivery's headers, by attribute name.
fn binary_attributes(properties: &BasicProperties) -> Vec<(String, &AMQPValue)> {
    let Some(headers) = properties.headers() else {
        return Vec::new();
    };
    headers
        .inner()
        .iter()
        .filter_map(|(name, value)| {
            let name = name.as_str();
            PREFIXES
                .iter()
                .find_map(|p| name.strip_prefix(p))
                .map(|attribute| (attribute.to_owned(), value))
        })
        .collect()
}

fn from_binary(
    body: &[u8],
    content_type: Option<&str>,
    attributes: Vec<(String, &AMQPValue)>,
) -> Result<CloudEvent, String> {
    let mut json = serde_json::Map::new();
    for (name, value) in attributes {
        let value = attribute_value(value).ok_or_else(|| {
            format!("the binary-mode CloudEvent attribute `{name}` is not a string, number, boolean, timestamp or bytes")
        })?;
        if json.insert(name.clone(), value).is_some() {
            return Err(format!(
                "the binary-mode CloudEvent attribute `{name}` is given twice"
            ));
        }
    }
    // The AMQP content type is `datacontenttype`; an attribute header of that name is read when there is none.
    if let Some(content_type) = content_type {
        json.insert("datacontenttype".into(), content_type.into());
    }
    for reserved in ["data", "data_base64"] {
        if json.contains_key(reserved) {
            return Err(format!(
                "`{reserved}` is not an attribute: in binary mode the data is the body"
            ));
        }
    }
    let datacontenttype = json.get("datacontenttype").and_then(Value::as_str);
    let (data, data_base64) = data_of(body, datacontenttype)?;
    let mut event: CloudEvent = serde_json::from_value(Value::Object(json))
        .map_err(|e| format!("not a binary-mode CloudEvent: {e}"))?;
    event.data = data;
    event.data_base64 = data_base64;
    event.check()?;
    Ok(event)
}

/// The data of a binary-mode event as the JSON event format holds it: JSON for a JSON media type, a string for
/// other text, base64 for anything else. Without a content type nothing is implied: a body that parses as JSON
/// is JSON, any other is kept as base64 (it is the handler's to judge, not a reason to dead-letter).
fn data_of(body: &[u8], content_type: Option<&str>) -> Result<(Value, Option<String>), String> {
    if body.is_empty() {
        return Ok((Value::Null, None));
    }
    let Some(media) = content_type.map(media_type) else {
        return Ok(match serde_json::from_slice(body) {
            Ok(data) => (data, None),
            Err(_) => (Value::Null, Some(BASE64.encode(body))),
        });
    };
    if media == "application/json" || media.ends_with("+json") || media == "text/json" {
        let data = serde_json::from_slice(body)
            .map_err(|e| format!("the data is not JSON as its content type `{media}` says: {e}"))?;
        return Ok((data, None));
    }
    match std::str::from_utf8(body) {
        Ok(text) if media.starts_with("text/") => Ok((Value::String(text.to_owned()), None)),
        _ => Ok((Value::Null, Some(BASE64.encode(body)))),
    }
}

/// An attribute value in the JSON event format's form: strings, integers and booleans as they are, an AMQP
/// timestamp (seconds) as RFC 3339, bytes as base64.
fn attribute_value(value: &AMQPValue) -> Option<Value> {
    Some(match value {
        AMQPValue::LongString(s) => {
            Value::String(std::str::from_utf8(s.as_bytes()).ok()?.to_owned())
        }
        AMQPValue::ShortString(s) => Value::String(s.as_str().to_owned()),
        AMQPValue::Boolean(b) => Value::Bool(*b),
        AMQPValue::ShortShortInt(n) => Value::from(*n),
        AMQPValue::ShortShortUInt(n) => Value::from(*n),
        AMQPValue::ShortInt(n) => Value::from(*n),
        AMQPValue::ShortUInt(n) => Value::from(*n),
        AMQPValue::LongInt(n) => Value::from(*n),
        AMQPValue::LongUInt(n) => Value::from(*n),
        AMQPValue::LongLongInt(n) => Value::from(*n),
        AMQPValue::Timestamp(seconds) => Value::String(seamline_model::civil::rfc3339(
            seconds.saturating_mul(1_000_000_000),
        )),
        AMQPValue::ByteArray(bytes) => Value::String(BASE64.encode(bytes.as_slice())),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use lapin::types::{FieldTable, LongString};

    use super::*;

    fn properties(content_type: Option<&str>, headers: &[(&str, AMQPValue)]) -> BasicProperties {
        let mut table = FieldTable::default();
        for (name, value) in headers {
            table.insert((*name).into(), value.clone());
        }
        let p = BasicProperties::default().with_headers(table);
        match content_type {
            Some(c) => p.with_content_type(c.into()),
            None => p,
        }
    }

    fn text(s: &str) -> AMQPValue {
        AMQPValue::LongString(LongString::from(s))
    }

    #[test]
    fn binary_mode_reads_both_prefixes_and_every_attribute_type() {
        for prefix in PREFIXES {
            let p = properties(
                Some("application/json; charset=utf-8"),
                &[
                    (&format!("{prefix}specversion"), text("1.0")),
                    (&format!("{prefix}id"), text("1234-1234-1234")),
                    (&format!("{prefix}source"), text("/mycontext/subcontext")),
                    (&format!("{prefix}type"), text("com.example.someevent")),
                    (
                        &format!("{prefix}time"),
                        AMQPValue::Timestamp(1_522_900_584),
                    ),
                    (&format!("{prefix}comexampleflag"), AMQPValue::Boolean(true)),
                    (
                        &format!("{prefix}comexamplecount"),
                        AMQPValue::LongLongInt(7),
                    ),
                    (
                        &format!("{prefix}comexamplebytes"),
                        AMQPValue::ByteArray(vec![1, 2].into()),
                    ),
                    ("x-unrelated", text("not an attribute")),
                ],
            );
            let e = CloudEvent::from_amqp(br#"{"a":1}"#, &p)
                .unwrap_or_else(|e| panic!("{prefix}: {e}"));
            assert_eq!(e.id, "1234-1234-1234");
            assert_eq!(e.kind, "com.example.someevent");
            assert_eq!(e.time.as_deref(), Some("2018-04-05T03:56:24.000Z"));
            assert_eq!(
                e.datacontenttype.as_deref(),
                Some("application/json; charset=utf-8")
            );
            assert_eq!(e.data, serde_json::json!({"a": 1}));
            assert_eq!(e.extensions["comexampleflag"], true);
            assert_eq!(e.extensions["comexamplecount"], 7);
            assert_eq!(e.extensions["comexamplebytes"], "AQI=");
            assert!(!e.extensions.contains_key("x-unrelated"));
        }
    }

    #[test]
    fn binary_data_is_json_text_or_base64_by_its_content_type() {
        let attributes = |ct: Option<&str>| {
            properties(
                ct,
                &[
                    ("cloudEvents:specversion", text("1.0")),
                    ("cloudEvents:id", text("1")),
                    ("cloudEvents:source", text("/s")),
                    ("cloudEvents:type", text("t")),
                ],
            )
        };
        let e = CloudEvent::from_amqp(b"hello", &attributes(Some("text/plain"))).unwrap();
        assert_eq!(e.data, "hello");
        let e = CloudEvent::from_amqp(&[0xff, 0x00], &attributes(Some("application/octet-stream")))
            .unwrap();
        assert_eq!(
            (e.data, e.data_base64.as_deref()),
            (Value::Null, Some("/wA="))
        );
        let e = CloudEvent::from_amqp(b"", &attributes(None)).unwrap();
        assert_eq!(e.data, Value::Null);
        // Without a content type nothing is implied: JSON when the body is JSON, else kept as bytes.
        let e = CloudEvent::from_amqp(br#"{"a":1}"#, &attributes(None)).unwrap();
        assert_eq!((e.data, e.data_base64), (serde_json::json!({"a": 1}), None));
        for (body, base64) in [(&b"hello"[..], "aGVsbG8="), (&[0xff, 0x00][..], "/wA=")] {
            let e = CloudEvent::from_amqp(body, &attributes(None)).unwrap();
            assert_eq!(
                (e.data, e.data_base64.as_deref()),
                (Value::Null, Some(base64))
            );
        }
        let e = CloudEvent::from_amqp(b"[1]", &attributes(Some("application/vnd.x+json"))).unwrap();
        assert_eq!(e.data, serde_json::json!([1]));
        let why = CloudEvent::from_amqp(b"{", &attributes(Some("application/json"))).unwrap_err();
        assert!(why.contains("not JSON"), "{why}");
    }

    #[test]
    fn what_is_not_one_event_is_refused_with_the_reason() {
        let missing_id = properties(
            None,
            &[
                ("cloudEvents:specversion", text("1.0")),
                ("cloudEvents:source", text("/s")),
                ("cloudEvents:type", text("t")),
            ],
        );
        let why = CloudEvent::from_amqp(b"{}", &missing_id).unwrap_err();
        assert!(why.contains("missing field `id`"), "{why}");
        let batch = properties(Some("application/cloudevents-batch+json"), &[]);
        assert!(
            CloudEvent::from_amqp(b"[]", &batch)
                .unwrap_err()
                .contains("batch")
        );
        let table = properties(
            None,
            &[
                ("cloudEvents:specversion", text("1.0")),
                (
                    "cloudEvents:id",
                    AMQPValue::FieldTable(FieldTable::default()),
                ),
            ],
        );
        assert!(
            CloudEvent::from_amqp(b"{}", &table)
                .unwrap_err()
                .contains("`id`")
        );
        let twice = properties(
            None,
            &[("cloudEvents:id", text("1")), ("cloudEvents_id", text("2"))],
        );
        assert!(
            CloudEvent::from_amqp(b"{}", &twice)
                .unwrap_err()
                .contains("twice")
        );
        // Structured mode, with parameters on the media type.
        let structured = properties(Some("application/cloudevents+json; charset=UTF-8"), &[]);
        let body = br#"{"specversion":"1.0","id":"1","source":"/s","type":"t"}"#;
        assert_eq!(CloudEvent::from_amqp(body, &structured).unwrap().id, "1");
    }
}
