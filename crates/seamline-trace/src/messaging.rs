//! What a span says about messaging, read through the OTel semantic conventions (and their pre-1.24 names).

use crate::model::{Span, SpanKind};

/// The part a span plays in moving a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Sends or publishes (`PRODUCER`, or `messaging.operation.type` `publish`/`send`/`create`).
    Producer,
    /// Handles a delivered message (`CONSUMER`, or `process`/`deliver`).
    Consumer,
    /// Waits for or pulls a message (`receive`): when it times out, the message it waited for is the question.
    Receive,
    /// Acknowledges, rejects or dead-letters a message (`settle`).
    Settle,
}

/// Attribute keys the diagnosis reads.
pub const OPERATION_TYPE: &str = "messaging.operation.type";
pub const SYSTEM: &str = "messaging.system";
pub const DESTINATION: &str = "messaging.destination.name";
pub const ROUTING_KEY: &str = "messaging.rabbitmq.destination.routing_key";
pub const MESSAGE_ID: &str = "messaging.message.id";
pub const CONVERSATION_ID: &str = "messaging.message.conversation_id";
/// The CloudEvents `type` (OTel's CloudEvents conventions), the most precise name of a message.
pub const EVENT_TYPE: &str = "cloudevents.event_type";
/// The default attribute for a message's schema version; there is no standard one yet.
pub const DEFAULT_VERSION_ATTRIBUTE: &str = "messaging.message.schema_version";

pub fn role(span: &Span) -> Option<Role> {
    let operation = span
        .attr_str(OPERATION_TYPE)
        .or_else(|| span.attr_str("messaging.operation"));
    match operation {
        Some("publish" | "send" | "create") => return Some(Role::Producer),
        Some("process" | "deliver") => return Some(Role::Consumer),
        Some("receive") => return Some(Role::Receive),
        Some("settle") => return Some(Role::Settle),
        _ => {}
    }
    match span.kind {
        SpanKind::Producer => Some(Role::Producer),
        SpanKind::Consumer => Some(Role::Consumer),
        _ => None,
    }
}

/// The message a span is about: the CloudEvents type, else the RabbitMQ routing key, else the destination.
pub fn message_name(span: &Span) -> Option<&str> {
    span.attr_str(EVENT_TYPE)
        .or_else(|| span.attr_str("messaging.message.type"))
        .or_else(|| span.attr_str(ROUTING_KEY))
        .or_else(|| span.attr_str(DESTINATION))
        .filter(|n| !n.is_empty())
}

pub fn message_id(span: &Span) -> Option<&str> {
    span.attr_str(MESSAGE_ID)
        .or_else(|| span.attr_str("cloudevents.event_id"))
        .filter(|n| !n.is_empty())
}

pub fn conversation_id(span: &Span) -> Option<&str> {
    span.attr_str(CONVERSATION_ID).filter(|n| !n.is_empty())
}

/// The schema version a span declares, from the configured attribute, or a `…/v2` or `@2` at the end of the name.
pub fn version(span: &Span, attribute: &str) -> Option<String> {
    if let Some(value) = span.attr(attribute) {
        let text = value.to_string();
        let text = text.trim_start_matches(['v', 'V']);
        return Some(text.to_string()).filter(|t| !t.is_empty());
    }
    let name = message_name(span)?;
    let (_, tail) = name.rsplit_once(['@', '/'])?;
    let digits = tail.trim_start_matches(['v', 'V']);
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.to_string())
}

/// A message name without a version suffix, so `inventory.stock_reserved@2` and the manifest's name meet.
pub fn base_name(name: &str) -> &str {
    match name.rsplit_once('@') {
        Some((base, version)) if version.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => name,
    }
}

/// Whether a destination looks like a dead-letter queue or exchange.
pub fn is_dead_letter_destination(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.contains("dlq")
        || lower.contains("dead")
        || lower.ends_with(".dlx")
        || lower.contains("dead-letter")
}
