//! Publishing events: validated against the contract, persistent, confirmed by the broker.

use std::sync::Arc;
use std::time::Duration;

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Confirmation, Connection};
use serde_json::Value;

use crate::event::{CONTENT_TYPE, CloudEvent};
use crate::schemas::Schemas;
use crate::topology::declare_exchange;
use crate::trace_context::TraceContext;

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{message} does not match its contract: {}", errors.join("; "))]
    Invalid {
        message: String,
        errors: Vec<String>,
    },
    #[error(
        "no queue is bound to `{routing_key}` on exchange `{exchange}`: the event would be lost"
    )]
    Unroutable {
        exchange: String,
        routing_key: String,
    },
    #[error("the broker refused the event (negative publisher confirm)")]
    Refused,
    #[error(transparent)]
    Broker(#[from] lapin::Error),
}

/// The channel a publisher sends on, and (when it reconnects by itself) the connection it owns.
struct Link {
    channel: Channel,
    _connection: Option<Connection>,
}

/// Where a self-reconnecting publisher connects.
struct Reconnect {
    url: String,
    name: String,
}

/// How many times a self-reconnecting publisher sends an event before giving up on the broker.
const SEND_ATTEMPTS: u32 = 8;

/// Publishes one service's events to one topic exchange. The routing key is the message name.
#[derive(Clone)]
pub struct Publisher {
    link: Arc<tokio::sync::RwLock<Link>>,
    reconnect: Option<Arc<Reconnect>>,
    exchange: String,
    source: String,
    contract: String,
    schemas: Option<Arc<Schemas>>,
    mandatory: bool,
    telemetry: Option<crate::Telemetry>,
}

impl Publisher {
    /// A publisher for `service`'s events of `contract` on `exchange` (declared durable when missing). With
    /// `schemas`, every payload is checked before it is sent.
    pub async fn new(
        connection: &Connection,
        exchange: &str,
        service: &str,
        contract: &str,
        schemas: Option<Arc<Schemas>>,
    ) -> Result<Publisher, lapin::Error> {
        let channel = open_channel(connection, exchange).await?;
        Ok(Publisher {
            link: Arc::new(tokio::sync::RwLock::new(Link {
                channel,
                _connection: None,
            })),
            reconnect: None,
            exchange: exchange.into(),
            source: service.into(),
            contract: contract.into(),
            schemas,
            mandatory: true,
            telemetry: None,
        })
    }

    /// Like [`Publisher::new`], on a connection of its own to `url` that it opens again when it drops: a send
    /// that fails on a dead connection is sent again on a new one (with backoff, up to 8 tries). Consumers
    /// handle events idempotently by id, so an event sent twice is handled once.
    pub async fn connect(
        url: &str,
        name: &str,
        exchange: &str,
        service: &str,
        contract: &str,
        schemas: Option<Arc<Schemas>>,
    ) -> Result<Publisher, lapin::Error> {
        let connection = crate::connect(url, name).await?;
        let mut publisher =
            Publisher::new(&connection, exchange, service, contract, schemas).await?;
        publisher.link.write().await._connection = Some(connection);
        publisher.reconnect = Some(Arc::new(Reconnect {
            url: url.into(),
            name: name.into(),
        }));
        Ok(publisher)
    }

    /// Replaces a link whose channel is no longer usable (unless another task already did).
    async fn relink(&self, reconnect: &Reconnect) -> Result<(), lapin::Error> {
        let mut link = self.link.write().await;
        if link.channel.status().connected() {
            return Ok(());
        }
        let connection = crate::connect(&reconnect.url, &reconnect.name).await?;
        let channel = open_channel(&connection, &self.exchange).await?;
        *link = Link {
            channel,
            _connection: Some(connection),
        };
        tracing::info!(exchange = %self.exchange, "publisher connected again");
        Ok(())
    }

    /// Records a producer span for every event, the parent of the consumers' spans.
    pub fn with_telemetry(mut self, telemetry: &crate::Telemetry) -> Publisher {
        self.telemetry = Some(telemetry.clone());
        self
    }

    /// Accept events no queue is bound for (by default they are an error: [`PublishError::Unroutable`]).
    pub fn allow_unroutable(mut self) -> Publisher {
        self.mandatory = false;
        self
    }

    /// Publishes `name` version `version` with `data`, continuing `trace` when given. The routing key is the
    /// message name.
    pub async fn publish(
        &self,
        name: &str,
        version: u32,
        data: Value,
        trace: Option<&TraceContext>,
    ) -> Result<CloudEvent, PublishError> {
        self.publish_as(name, name, version, data, trace).await
    }

    /// Like [`Publisher::publish`], under another routing key than the message name (the producer span records
    /// the key used).
    pub async fn publish_as(
        &self,
        routing_key: &str,
        name: &str,
        version: u32,
        data: Value,
        trace: Option<&TraceContext>,
    ) -> Result<CloudEvent, PublishError> {
        let mut event = self.event(name, version, data, trace);
        let span = self.producer_span(&mut event, routing_key, trace);
        let result = match self.check(&event) {
            Ok(()) => self.send_to(&event, routing_key).await,
            Err(e) => Err(e),
        };
        end(span, result.as_ref().err());
        result.map(|()| event)
    }

    /// Starts the producer span of `event` (a child of `trace`) and makes it the event's `traceparent` (with
    /// `trace`'s `tracestate`).
    fn producer_span(
        &self,
        event: &mut CloudEvent,
        routing_key: &str,
        trace: Option<&TraceContext>,
    ) -> Option<opentelemetry_sdk::trace::Span> {
        use opentelemetry::trace::{Span as _, SpanKind, Tracer as _};
        let t = self.telemetry.as_ref()?;
        let span = t
            .tracer()
            .span_builder(format!("publish {}", event.kind))
            .with_kind(SpanKind::Producer)
            .with_attributes(crate::telemetry::messaging_attributes(
                "publish",
                &self.exchange,
                routing_key,
                event,
            ))
            .start_with_context(t.tracer(), &crate::telemetry::parent_context(trace));
        event.set_trace(Some(&crate::telemetry::trace_context(span.span_context())));
        Some(span)
    }

    /// Dual-publish during a migration: the same fact as several versions of one message, each its own event.
    /// Every payload is checked before any is sent, so a bad one sends nothing.
    pub async fn publish_versions(
        &self,
        name: &str,
        versions: Vec<(u32, Value)>,
        trace: Option<&TraceContext>,
    ) -> Result<Vec<CloudEvent>, PublishError> {
        let mut events: Vec<CloudEvent> = versions
            .into_iter()
            .map(|(version, data)| self.event(name, version, data, trace))
            .collect();
        for e in &events {
            self.check(e)?;
        }
        for e in &mut events {
            let span = self.producer_span(e, &e.kind.clone(), trace);
            let result = self.send(e).await;
            end(span, result.as_ref().err());
            result?;
        }
        Ok(events)
    }

    fn event(
        &self,
        name: &str,
        version: u32,
        data: Value,
        trace: Option<&TraceContext>,
    ) -> CloudEvent {
        let mut event = CloudEvent::new(&self.source, &self.contract, name, version, data);
        event.set_trace(trace);
        event
    }

    fn check(&self, event: &CloudEvent) -> Result<(), PublishError> {
        let Some(schemas) = &self.schemas else {
            return Ok(());
        };
        let message = event.message();
        schemas
            .validate(&message, &event.data)
            .map_err(|errors| PublishError::Invalid { message, errors })
    }

    /// Sends an event as it is (no validation) and waits for the broker's confirm; a self-reconnecting
    /// publisher sends it again on a new connection when the old one dropped.
    pub async fn send(&self, event: &CloudEvent) -> Result<(), PublishError> {
        self.send_to(event, &event.kind).await
    }

    /// Like [`Publisher::send`], with another routing key than the message name.
    pub async fn send_to(&self, event: &CloudEvent, routing_key: &str) -> Result<(), PublishError> {
        let mut attempt = 1;
        loop {
            let channel = self.link.read().await.channel.clone();
            let result = self.send_on(&channel, event, routing_key).await;
            let Some(reconnect) = &self.reconnect else {
                return result;
            };
            match result {
                Err(PublishError::Broker(e)) if attempt < SEND_ATTEMPTS => {
                    tracing::warn!(error = %e, attempt, "publish failed on the broker connection; connecting again");
                    let pause = crate::backoff::step(
                        Duration::from_millis(100),
                        Duration::from_secs(5),
                        attempt,
                    );
                    tokio::time::sleep(pause).await;
                    // A failed reconnection is tried again on the next attempt.
                    let _ = self.relink(reconnect).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn send_on(
        &self,
        channel: &Channel,
        event: &CloudEvent,
        routing_key: &str,
    ) -> Result<(), PublishError> {
        let body = serde_json::to_vec(event).map_err(|e| PublishError::Invalid {
            message: event.message(),
            errors: vec![e.to_string()],
        })?;
        // The trace context also as AMQP headers, for brokers' plugins and consumers that do not read the event.
        let mut headers = FieldTable::default();
        for (name, value) in event.trace().map(|t| t.inject()).unwrap_or_default() {
            headers.insert(name.into(), AMQPValue::LongString(value.into()));
        }
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let properties = BasicProperties::default()
            .with_delivery_mode(2)
            .with_content_type(CONTENT_TYPE.into())
            .with_message_id(event.id.as_str().into())
            .with_type(event.kind.as_str().into())
            .with_timestamp(seconds)
            .with_headers(headers);
        let confirmation = channel
            .basic_publish(
                self.exchange.as_str().into(),
                routing_key.into(),
                BasicPublishOptions {
                    mandatory: self.mandatory,
                    ..Default::default()
                },
                &body,
                properties,
            )
            .await?
            .await?;
        match confirmation {
            Confirmation::Ack(None) | Confirmation::NotRequested => Ok(()),
            Confirmation::Ack(Some(_)) => Err(PublishError::Unroutable {
                exchange: self.exchange.clone(),
                routing_key: routing_key.to_owned(),
            }),
            Confirmation::Nack(_) => Err(PublishError::Refused),
        }
    }
}

/// A confirm-mode channel on `connection`, with `exchange` declared.
async fn open_channel(connection: &Connection, exchange: &str) -> Result<Channel, lapin::Error> {
    let channel = connection.create_channel().await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    declare_exchange(&channel, exchange).await?;
    Ok(channel)
}

/// Ends a producer span, with an error status when publishing failed.
fn end(span: Option<opentelemetry_sdk::trace::Span>, error: Option<&PublishError>) {
    use opentelemetry::trace::{Span as _, Status};
    if let Some(mut span) = span {
        if let Some(e) = error {
            span.set_status(Status::error(e.to_string()));
        }
        span.end();
    }
}
