//! What a span says about messaging, read through the OTel semantic conventions (current and older names), the
//! attributes of common instrumentations (RabbitMQ, Kafka, SQS, Celery) and the span names they write.

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

/// Attribute keys the diagnosis reads (the current conventions' names; older ones are read too, see below).
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

/// The message operation, by the current `messaging.operation.type`, the pre-1.26 `messaging.operation`, or the
/// system-specific `messaging.operation.name` (`ack`, `nack`, …).
fn operation_role(operation: &str) -> Option<Role> {
    match operation.to_ascii_lowercase().as_str() {
        "publish" | "send" | "create" => Some(Role::Producer),
        "process" | "deliver" | "consume" => Some(Role::Consumer),
        "receive" | "poll" => Some(Role::Receive),
        "settle" | "ack" | "nack" | "reject" | "complete" | "abandon" | "dead_letter" | "defer" => {
            Some(Role::Settle)
        }
        _ => None,
    }
}

/// The first letters of the attribute names [`Fields::slot`] reads: `messaging.*`, `rpc.*`, `cloudevents.*`,
/// `celery.*`, `kafka.*`, `aws.*`.
const SLOT_INITIALS: [char; 5] = ['m', 'r', 'c', 'k', 'a'];

/// The messaging attributes of a span, under every name the diagnosis reads, found in one pass over its attributes
/// (the diagnosis asks for roles and names of every span many times; a lookup per name would scan a dozen times).
#[derive(Default)]
struct Fields<'a> {
    operation_type: Option<&'a str>,
    old_operation: Option<&'a str>,
    operation_name: Option<&'a str>,
    rpc_service: Option<&'a str>,
    rpc_method: Option<&'a str>,
    event_type: Option<&'a str>,
    message_type: Option<&'a str>,
    celery_task: Option<&'a str>,
    routing_key: Option<&'a str>,
    old_routing_key: Option<&'a str>,
    destination: Option<&'a str>,
    old_destination: Option<&'a str>,
    kafka_topic: Option<&'a str>,
    sqs_queue_url: Option<&'a str>,
    old_sqs_queue_url: Option<&'a str>,
    messaging_url: Option<&'a str>,
}

impl<'a> Fields<'a> {
    fn of(span: &'a Span) -> Fields<'a> {
        let mut f = Fields::default();
        for (key, value) in span.attributes.iter() {
            // Most attributes are HTTP's, the database's or the host's; their first letter rules them out.
            if !key.starts_with(SLOT_INITIALS) {
                continue;
            }
            if let Some(slot) = f.slot(key)
                && let Some(text) = value.as_str().filter(|t| !t.is_empty())
            {
                slot.get_or_insert(text);
            }
        }
        f
    }

    /// Where the value of `key` goes: the one table of the attribute names read here. Every name in it starts
    /// with one of [`SLOT_INITIALS`] (a test checks the table's names against them).
    fn slot(&mut self, key: &str) -> Option<&mut Option<&'a str>> {
        Some(match key {
            OPERATION_TYPE => &mut self.operation_type,
            "messaging.operation" => &mut self.old_operation,
            "messaging.operation.name" => &mut self.operation_name,
            "rpc.service" => &mut self.rpc_service,
            "rpc.method" => &mut self.rpc_method,
            EVENT_TYPE => &mut self.event_type,
            "messaging.message.type" => &mut self.message_type,
            "celery.task_name" => &mut self.celery_task,
            ROUTING_KEY => &mut self.routing_key,
            "messaging.rabbitmq.routing_key" => &mut self.old_routing_key,
            DESTINATION => &mut self.destination,
            "messaging.destination" => &mut self.old_destination,
            "kafka.topic" => &mut self.kafka_topic,
            "aws.sqs.queue.url" => &mut self.sqs_queue_url,
            "aws.sqs.queue_url" => &mut self.old_sqs_queue_url,
            "messaging.url" => &mut self.messaging_url,
            _ => return None,
        })
    }

    fn role(&self, span: &Span) -> Option<Role> {
        let operation = self
            .operation_type
            .or(self.old_operation)
            .and_then(operation_role)
            .or_else(|| self.operation_name.and_then(operation_role));
        if operation.is_some() {
            return operation;
        }
        match span.kind {
            SpanKind::Producer => return Some(Role::Producer),
            SpanKind::Consumer => return Some(Role::Consumer),
            SpanKind::Server => return None,
            _ => {}
        }
        self.sqs_role()
            .or_else(|| named_operation(&span.name).map(|n| n.role))
    }

    /// Amazon SQS through the AWS SDK instrumentation: the API call names the role.
    fn sqs_role(&self) -> Option<Role> {
        if self.rpc_service != Some("SQS") {
            return None;
        }
        match self.rpc_method? {
            "SendMessage" | "SendMessageBatch" => Some(Role::Producer),
            "ReceiveMessage" => Some(Role::Receive),
            "DeleteMessage" | "DeleteMessageBatch" | "ChangeMessageVisibility" => {
                Some(Role::Settle)
            }
            _ => None,
        }
    }

    fn destination(&self, span: &'a Span) -> Option<&'a str> {
        self.destination
            .or(self.old_destination)
            .or(self.kafka_topic)
            .or_else(|| {
                self.sqs_queue_url
                    .or(self.old_sqs_queue_url)
                    .or(self.messaging_url)
                    .and_then(queue_name)
            })
            .or_else(|| {
                (span.kind != SpanKind::Server)
                    .then(|| named_operation(&span.name))
                    .flatten()
                    .map(|n| n.destination)
            })
            .filter(|n| !n.is_empty())
    }

    fn routing_key(&self) -> Option<&'a str> {
        self.routing_key.or(self.old_routing_key)
    }

    fn message_name(&self, span: &'a Span) -> Option<&'a str> {
        self.event_type
            .or(self.message_type)
            .or(self.celery_task)
            .or_else(|| celery_task(&span.name).filter(|t| !t.is_empty()))
            .or_else(|| self.routing_key())
            .or_else(|| self.destination(span))
    }
}

/// A span name that says what it does to which destination: the current `{operation} {destination}`
/// (`publish orders`), the pre-1.24 `{destination} {operation}` (`orders process`), and Celery's
/// `apply_async/{task}` (sending) and `run/{task}` (running).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NamedOperation<'a> {
    pub role: Role,
    pub destination: &'a str,
}

pub fn named_operation(name: &str) -> Option<NamedOperation<'_>> {
    if let Some(task) = celery_task(name).filter(|t| !t.is_empty()) {
        let role = if name.starts_with("run/") {
            Role::Consumer
        } else {
            Role::Producer
        };
        return Some(NamedOperation {
            role,
            destination: task,
        });
    }
    let (first, second) = name.split_once(' ')?;
    if second.contains(' ') || first.is_empty() || second.is_empty() {
        return None;
    }
    let named = |operation: &str| match operation {
        "publish" | "send" | "create" => Some(Role::Producer),
        "process" | "deliver" => Some(Role::Consumer),
        "receive" => Some(Role::Receive),
        "settle" => Some(Role::Settle),
        _ => None,
    };
    if let Some(role) = named(first) {
        return Some(NamedOperation {
            role,
            destination: second,
        });
    }
    named(second).map(|role| NamedOperation {
        role,
        destination: first,
    })
}

/// The task in a Celery span's name (`apply_async/tasks.reserve` or `run/tasks.reserve`).
fn celery_task(name: &str) -> Option<&str> {
    name.strip_prefix("apply_async/")
        .or_else(|| name.strip_prefix("run/"))
}

/// The part a span plays in moving a message: from the operation attributes, else the span kind (PRODUCER,
/// CONSUMER), else the SQS API call, else the span's name. A SERVER span is never named into a role: `POST /send x`
/// is HTTP.
pub fn role(span: &Span) -> Option<Role> {
    Fields::of(span).role(span)
}

/// The last path segment of a queue URL (`https://sqs.eu-west-1.amazonaws.com/1234/orders` → `orders`).
fn queue_name(url: &str) -> Option<&str> {
    url.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty() && !n.contains(':'))
}

/// Where a span sends or reads messages: `messaging.destination.name`, the pre-1.24 `messaging.destination`,
/// Kafka's `kafka.topic` (OpenTracing and Brave), SQS's queue URL, else the destination in the span's name.
pub fn destination(span: &Span) -> Option<&str> {
    Fields::of(span).destination(span)
}

/// The RabbitMQ routing key, by its current or its pre-1.24 name.
pub fn routing_key(span: &Span) -> Option<&str> {
    Fields::of(span).routing_key()
}

/// The message a span is about: the CloudEvents type, the message type, Celery's task name, else the RabbitMQ
/// routing key, else the destination.
pub fn message_name(span: &Span) -> Option<&str> {
    Fields::of(span).message_name(span)
}

/// The message id, by its current or pre-1.24 name, or the CloudEvents id.
pub fn message_id(span: &Span) -> Option<&str> {
    span.attr_str(MESSAGE_ID)
        .or_else(|| span.attr_str("messaging.message_id"))
        .or_else(|| span.attr_str("cloudevents.event_id"))
        .filter(|n| !n.is_empty())
}

pub fn conversation_id(span: &Span) -> Option<&str> {
    span.attr_str(CONVERSATION_ID)
        .or_else(|| span.attr_str("messaging.conversation_id"))
        .filter(|n| !n.is_empty())
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

#[cfg(test)]
mod tests {
    use super::{DESTINATION, EVENT_TYPE, Fields, OPERATION_TYPE, ROUTING_KEY, SLOT_INITIALS};

    #[test]
    fn every_name_the_slot_table_reads_passes_the_first_letter_filter() {
        // The names are taken from the table's own source, so a name added there is checked here.
        let source = include_str!("messaging.rs");
        let start = source.find("fn slot(").unwrap();
        let end = start + source[start..].find("_ => return None").unwrap();
        let mut names: Vec<&str> = source[start..end].split('"').skip(1).step_by(2).collect();
        names.extend([OPERATION_TYPE, EVENT_TYPE, ROUTING_KEY, DESTINATION]);
        assert!(names.len() >= 16, "{names:?}");
        for name in names {
            assert!(Fields::default().slot(name).is_some(), "{name}");
            assert!(name.starts_with(SLOT_INITIALS), "{name}");
        }
    }
}
