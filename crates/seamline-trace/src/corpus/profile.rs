//! How each instrumentation writes the same operation: span names, kinds, attributes and the way a failure is
//! recorded. The profiles follow what the instrumentations write, not what the diagnosis reads best.

use serde_json::{Value as Json, json};

use super::Profile;
use super::scenario::{Broker, Message, Node, Op, Outcome};

/// The span name `profile` gives `node`.
pub(super) fn name(profile: Profile, node: &Node) -> String {
    let old = profile == Profile::NodePythonOld;
    let seamline = profile == Profile::SeamlineRuntime;
    match &node.op {
        Op::Server { method, route, .. } => format!("{method} {route}"),
        Op::Client { method, route, .. } if seamline => format!("{method} {route}"),
        Op::Client { method, .. } if old => format!("HTTP {method}"),
        // The current HTTP conventions name a client span by its method when it knows no route template.
        Op::Client { method, .. } => method.to_string(),
        Op::Db {
            operation, table, ..
        } if seamline => format!("{operation} {table}"),
        // Older database instrumentations name the span by the statement's first word.
        Op::Db { operation, .. } if old => operation.to_string(),
        Op::Db {
            operation, table, ..
        } => format!("{operation} app.{table}"),
        Op::Publish { message, .. } if seamline => format!("publish {}", message.name),
        Op::Publish {
            message, astray, ..
        } if old => match message.broker {
            Broker::Rabbit => format!("{} send", message.destination),
            Broker::Kafka => format!("apply_async/{}", task(message, *astray)),
        },
        Op::Publish {
            message, astray, ..
        } => format!("publish {}", destination(message, *astray)),
        Op::Consume { message, .. } if seamline => format!("process {}", message.name),
        Op::Consume { message, .. } if old => match message.broker {
            Broker::Rabbit => format!("{} process", message.destination),
            Broker::Kafka => format!("run/{}", message.task),
        },
        Op::Consume { message, .. } => format!("process {}", message.destination),
        Op::Wait { step, .. } if old => step.to_string(),
        Op::Wait { message, .. } => format!("await {}", message.name),
        Op::Internal { name } => name.to_string(),
        Op::Ingress { .. } => "ingress".into(),
        Op::Egress { upstream, .. } => format!("router {upstream} egress"),
    }
}

/// The message's name as `profile` writes it: what a manifest written for those services would declare.
pub(super) fn message_name(profile: Profile, message: &Message) -> &'static str {
    match (profile, message.broker) {
        (Profile::NodePythonOld, Broker::Kafka) => message.task,
        _ => message.name,
    }
}

fn task(message: &Message, astray: bool) -> &'static str {
    if astray {
        message.astray_task
    } else {
        message.task
    }
}

/// The RabbitMQ exchange or the Kafka topic the message goes to.
fn destination(message: &Message, astray: bool) -> &'static str {
    match message.broker {
        Broker::Kafka if astray => message.astray,
        _ => message.destination,
    }
}

fn routing_key(message: &Message, astray: bool) -> &'static str {
    if astray { message.astray } else { message.name }
}

/// The span as an OTLP/JSON object.
pub(super) fn span(profile: Profile, node: &Node) -> Json {
    let kind = kind(profile, &node.op);
    let mut attributes: Vec<(&str, Json)> = attributes(profile, node);
    let mut events: Vec<Json> = Vec::new();
    let mut status = json!({});
    let proxy = matches!(node.op, Op::Ingress { .. } | Op::Egress { .. });
    if let Outcome::Failed { exception, message } = &node.outcome
        && !proxy
    {
        let http_status = match node.op {
            Op::Server { status, .. } => Some(status),
            Op::Client { status, .. } => status,
            _ => None,
        };
        let exception = exception_type(profile, exception);
        let event = json!({
            "timeUnixNano": node.end.to_string(),
            "name": "exception",
            "attributes": otlp_attributes(&[
                ("exception.type", json!(exception)),
                ("exception.message", json!(message)),
                ("exception.stacktrace", json!(format!("{exception}: {message}\n\tat app"))),
            ]),
        });
        match profile {
            Profile::SeamlineRuntime => status = json!({ "code": 2, "message": message }),
            Profile::JavaAgent | Profile::EnvoyFront => {
                status = match (&node.op, http_status) {
                    (Op::Server { .. }, _) => json!({ "code": 2 }),
                    (Op::Client { .. }, Some(code)) => {
                        attributes.push(("error.type", json!(code.to_string())));
                        json!({ "code": 2 })
                    }
                    _ => {
                        if matches!(node.op, Op::Client { .. }) {
                            attributes.push(("error.type", json!(exception)));
                        }
                        events.push(event);
                        json!({ "code": 2, "message": message })
                    }
                };
            }
            // Older instrumentation leaves the status unset: an HTTP code says a call failed, an exception event
            // says the rest.
            Profile::NodePythonOld => {
                if http_status.is_none_or(|code| code < 500) {
                    events.push(event);
                }
                if matches!(node.op, Op::Consume { message, .. } if message.broker == Broker::Kafka)
                {
                    attributes.push(("celery.state", json!("FAILURE")));
                }
            }
        }
    }
    let mut span = json!({
        "traceId": format!("{:032x}", node.trace),
        "spanId": format!("{:016x}", node.id),
        "name": name(profile, node),
        "kind": kind,
        "startTimeUnixNano": node.start.to_string(),
        "endTimeUnixNano": node.end.to_string(),
        "attributes": otlp_attributes(&attributes),
        "status": status,
    });
    if let Some(parent) = node.parent {
        span["parentSpanId"] = json!(format!("{parent:016x}"));
    }
    if let Some((trace, id)) = node.link {
        span["links"] =
            json!([{ "traceId": format!("{trace:032x}"), "spanId": format!("{id:016x}") }]);
    }
    if !events.is_empty() {
        span["events"] = Json::Array(events);
    }
    span
}

fn kind(profile: Profile, op: &Op) -> u8 {
    match op {
        Op::Server { .. } | Op::Ingress { .. } => 2,
        Op::Client { .. } | Op::Db { .. } | Op::Egress { .. } => 3,
        // Celery through an OpenTracing bridge: no span kind, the name says it all.
        Op::Publish { message, .. } | Op::Consume { message, .. }
            if profile == Profile::NodePythonOld && message.broker == Broker::Kafka =>
        {
            1
        }
        Op::Publish { .. } => 4,
        Op::Consume { .. } => 5,
        Op::Wait { .. } | Op::Internal { .. } => 1,
    }
}

fn exception_type(profile: Profile, generic: &'static str) -> String {
    match profile {
        Profile::JavaAgent | Profile::EnvoyFront => match generic {
            "TimeoutError" => "java.util.concurrent.TimeoutException".into(),
            "ReadTimeout" => "java.net.SocketTimeoutException".into(),
            "PSQLException" => "org.postgresql.util.PSQLException".into(),
            "NullPointerException" | "IllegalStateException" => format!("java.lang.{generic}"),
            other => format!("com.example.{other}"),
        },
        Profile::NodePythonOld => match generic {
            "ReadTimeout" => "requests.exceptions.ReadTimeout".into(),
            other => other.into(),
        },
        Profile::SeamlineRuntime => generic.into(),
    }
}

fn attributes(profile: Profile, node: &Node) -> Vec<(&'static str, Json)> {
    let old = profile == Profile::NodePythonOld;
    let seamline = profile == Profile::SeamlineRuntime;
    let mut a: Vec<(&'static str, Json)> = Vec::new();
    match &node.op {
        Op::Server {
            method,
            route,
            status,
        } => {
            if old {
                a.push(("http.method", json!(method)));
                a.push(("http.target", json!(route)));
                a.push(("http.route", json!(route)));
                a.push(("http.status_code", json!(status)));
            } else {
                a.push(("http.request.method", json!(method)));
                a.push(("http.route", json!(route)));
                a.push(("url.scheme", json!("http")));
                a.push(("http.response.status_code", json!(status)));
            }
        }
        Op::Client {
            method,
            route,
            peer,
            status,
        } => {
            let url = if peer.contains('.') {
                format!("https://{peer}{route}")
            } else {
                format!("http://{peer}:8080{route}")
            };
            if old {
                a.push(("http.method", json!(method)));
                a.push(("http.url", json!(url)));
                a.push(("net.peer.name", json!(peer)));
                if let Some(code) = status {
                    a.push(("http.status_code", json!(code)));
                }
            } else {
                a.push(("http.request.method", json!(method)));
                if !seamline {
                    a.push(("url.full", json!(url)));
                }
                a.push(("server.address", json!(peer)));
                if let Some(code) = status {
                    a.push(("http.response.status_code", json!(code)));
                }
            }
        }
        Op::Db {
            system,
            operation,
            table,
            host,
        } => {
            a.push(("db.system", json!(system)));
            if old {
                a.push(("db.name", json!("app")));
                a.push(("db.statement", json!(format!("{operation} … {table} …"))));
                a.push(("net.peer.name", json!(host)));
            } else {
                a.push(("db.operation.name", json!(operation)));
                if !seamline {
                    a.push(("db.namespace", json!("app")));
                    a.push(("db.collection.name", json!(table)));
                    a.push(("server.address", json!(host)));
                }
            }
        }
        Op::Publish {
            message,
            astray,
            version,
            id,
        } => messaging(profile, node, message, *astray, *version, id, true, &mut a),
        Op::Consume {
            message,
            version,
            id,
        } => messaging(profile, node, message, false, *version, id, false, &mut a),
        Op::Wait {
            message,
            timeout_ms,
            ..
        } => {
            if seamline {
                a.push(("messaging.system", json!("rabbitmq")));
                a.push(("messaging.operation.type", json!("receive")));
                a.push((
                    "messaging.destination.name",
                    json!(format!("{}.{}", node.service, message.name)),
                ));
                a.push(("cloudevents.event_type", json!(message.name)));
            } else if old {
                a.push(("saga.timeout_ms", json!(timeout_ms)));
            } else {
                a.push(("app.wait.timeout_ms", json!(timeout_ms)));
            }
        }
        Op::Internal { .. } => {}
        Op::Ingress {
            route,
            status,
            flags,
        }
        | Op::Egress {
            route,
            status,
            flags,
            ..
        } => {
            a.push(("component", json!("proxy")));
            a.push(("node_id", json!("front-proxy-1")));
            a.push(("http.method", json!("POST")));
            a.push(("http.url", json!(format!("https://shop.example{route}"))));
            a.push(("http.protocol", json!("HTTP/1.1")));
            a.push(("http.status_code", json!(status.to_string())));
            a.push(("response_flags", json!(flags)));
            if let Op::Egress { upstream, .. } = &node.op {
                a.push(("upstream_cluster", json!(upstream)));
            }
            if *status >= 500 {
                a.push(("error", json!("true")));
            }
        }
    }
    a
}

#[allow(clippy::too_many_arguments)]
fn messaging(
    profile: Profile,
    node: &Node,
    message: &Message,
    astray: bool,
    version: u32,
    id: &str,
    publish: bool,
    a: &mut Vec<(&'static str, Json)>,
) {
    let system = match message.broker {
        Broker::Rabbit => "rabbitmq",
        Broker::Kafka => "kafka",
    };
    match profile {
        Profile::SeamlineRuntime => {
            a.push(("messaging.system", json!(system)));
            a.push((
                "messaging.operation.type",
                json!(if publish { "publish" } else { "process" }),
            ));
            a.push(("messaging.message.id", json!(id)));
            a.push(("cloudevents.event_type", json!(message.name)));
            a.push((
                "messaging.message.schema_version",
                json!(version.to_string()),
            ));
            let destination = if publish {
                destination(message, astray).to_string()
            } else {
                format!("{}.{}", node.service, message.name)
            };
            a.push(("messaging.destination.name", json!(destination)));
            if publish && message.broker == Broker::Rabbit {
                a.push((
                    "messaging.rabbitmq.destination.routing_key",
                    json!(routing_key(message, astray)),
                ));
            }
        }
        Profile::JavaAgent | Profile::EnvoyFront => {
            a.push(("messaging.system", json!(system)));
            a.push((
                "messaging.operation.type",
                json!(if publish { "send" } else { "process" }),
            ));
            a.push((
                "messaging.operation.name",
                json!(if publish { "publish" } else { "process" }),
            ));
            a.push((
                "messaging.destination.name",
                json!(destination(message, astray && publish)),
            ));
            match message.broker {
                Broker::Rabbit => {
                    a.push((
                        "messaging.rabbitmq.destination.routing_key",
                        json!(routing_key(message, astray)),
                    ));
                    a.push(("messaging.message.id", json!(id)));
                }
                Broker::Kafka => {
                    a.push((
                        "messaging.kafka.message.key",
                        json!(format!("ride-{}", id.get(..6).unwrap_or(id))),
                    ));
                    if !publish {
                        a.push(("messaging.consumer.group.name", json!(node.service)));
                    }
                }
            }
        }
        Profile::NodePythonOld => match message.broker {
            Broker::Rabbit => {
                a.push(("messaging.system", json!(system)));
                if !publish {
                    a.push(("messaging.operation", json!("process")));
                }
                a.push(("messaging.destination", json!(message.destination)));
                a.push(("messaging.destination_kind", json!("topic")));
                a.push((
                    "messaging.rabbitmq.routing_key",
                    json!(routing_key(message, astray)),
                ));
                a.push(("messaging.message_id", json!(id)));
                a.push(("net.peer.name", json!("rabbitmq")));
            }
            Broker::Kafka => {
                a.push((
                    "celery.action",
                    json!(if publish { "apply_async" } else { "run" }),
                ));
                a.push(("celery.task_name", json!(task(message, astray))));
                a.push(("messaging.message_id", json!(id)));
                a.push(("messaging.destination", json!("celery")));
                if !publish {
                    a.push(("celery.hostname", json!(format!("celery@{}", node.service))));
                }
            }
        },
    }
}

pub(super) fn otlp_attributes(attributes: &[(&str, Json)]) -> Json {
    attributes
        .iter()
        .map(|(key, value)| {
            let value = match value {
                Json::Number(n) => json!({ "intValue": n.as_i64().unwrap_or(0) }),
                Json::Bool(b) => json!({ "boolValue": b }),
                other => json!({ "stringValue": other.as_str().unwrap_or_default() }),
            };
            json!({ "key": key, "value": value })
        })
        .collect()
}
