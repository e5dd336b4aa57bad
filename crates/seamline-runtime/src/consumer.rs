//! Consuming events: manual acks, bounded prefetch, retries through delay queues, a dead-letter queue, idempotent
//! handling, and every accepted version upcast to one type.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::StreamExt as _;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Confirmation, Connection};
use seamline_model::{ConsumedEvents, Manifest, MessageRef};
use serde_json::Value;

use opentelemetry::trace::{Span as _, SpanKind, Status, Tracer as _};

use crate::event::CloudEvent;
use crate::schemas::Schemas;
use crate::telemetry::{messaging_attributes, parent_context, trace_context};
use crate::topology::{
    ROUTING_KEY_HEADER, attempt_header, dead_letter_queue, declare_consumer, reason_header,
    retry_queue,
};
use crate::trace_context::TraceContext;

/// Why a consumer stopped.
#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    #[error(transparent)]
    Broker(#[from] lapin::Error),
    /// A retry or dead-letter publish was refused; the delivery was left unacknowledged, so the broker gives it
    /// back rather than lose it.
    #[error("the broker did not take the event into `{queue}`")]
    NotTaken { queue: String },
    /// The acknowledgement could not be sent: the channel closed first. The broker delivers the event again; it
    /// is acknowledged then as a duplicate when it was handled.
    #[error("the delivery could not be acknowledged: its channel is closed")]
    Unacknowledged,
}

/// Why [`Consumer::run`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// The shutdown future completed.
    Shutdown,
    /// The broker ended the consumer (the queue was deleted, or the connection closed).
    Ended,
}

/// Runs a consumer of `config` on connections to `url`, connecting again (after 0.5 s, doubling to 30 s) each
/// time the connection drops or the broker ends the consumer, until `shutdown` completes. Unacknowledged events
/// go back to the queue when a connection drops, and come again on the next one; handling stays idempotent by
/// event id.
pub async fn run_supervised<T, H, F>(
    url: &str,
    name: &str,
    config: ConsumerConfig,
    upcasters: &Upcasters<T>,
    handler: H,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ConsumeError>
where
    H: Fn(Delivered<T>) -> F,
    F: Future<Output = Outcome>,
{
    let mut shutdown = std::pin::pin!(shutdown);
    let seen = Arc::new(Mutex::new(Seen::new()));
    let mut drops = 1;
    loop {
        let attempt = async {
            let connection = crate::connect(url, name).await?;
            let consumer = Consumer::with_seen(&connection, config.clone(), seen.clone()).await?;
            consumer.run(upcasters, &handler, &mut shutdown).await
        };
        match attempt.await {
            Ok(Stopped::Shutdown) => return Ok(()),
            Ok(Stopped::Ended) => {
                tracing::warn!(queue = %config.queue, "consumer ended by the broker; connecting again");
            }
            Err(e) => {
                tracing::warn!(queue = %config.queue, error = %e, "consumer lost its connection; connecting again");
            }
        }
        tokio::select! {
            () = tokio::time::sleep(crate::backoff::step(Duration::from_millis(500), Duration::from_secs(30), drops)) => {}
            () = &mut shutdown => return Ok(()),
        }
        drops += 1;
    }
}

/// Where a consumer reads from and how it retries.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    pub exchange: String,
    pub queue: String,
    /// Routing keys (message names, or topic patterns) the queue is bound with.
    pub bindings: Vec<String>,
    /// Deliveries in flight at once: the broker sends at most this many unacknowledged, and as many are handled
    /// concurrently (0: no limit).
    pub prefetch: u16,
    /// Attempts before an event goes to the dead-letter queue (1 = no retry).
    pub max_attempts: u32,
    /// The first retry's delay; each next one doubles, up to `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Every retry waits `base_delay` (`backoff = "constant"` or `"none"` in `seam.toml`).
    pub constant_backoff: bool,
    /// Checked on receipt: a payload that fails goes to the dead-letter queue with the errors.
    pub schemas: Option<Arc<Schemas>>,
    /// Where consumer spans go.
    pub telemetry: Option<crate::Telemetry>,
}

impl ConsumerConfig {
    pub fn new(exchange: &str, queue: &str, bindings: &[&str]) -> ConsumerConfig {
        ConsumerConfig {
            exchange: exchange.into(),
            queue: queue.into(),
            bindings: bindings.iter().map(|b| (*b).to_owned()).collect(),
            prefetch: 16,
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            constant_backoff: false,
            schemas: None,
            telemetry: None,
        }
    }

    /// The consumer `manifest` declares for `service`'s events, reading `exchange` into `queue`: bound to the name
    /// of every message it lists, so an event it does not list never reaches the queue, with the attempts of its
    /// `retry` (a `constant` or `none` backoff sets `constant_backoff`). An error when it consumes no events of
    /// `service`.
    pub fn for_partner(
        manifest: &Manifest,
        service: &str,
        exchange: &str,
        queue: &str,
    ) -> Result<ConsumerConfig, String> {
        let entry = consumed_events(manifest, service)?;
        let mut bindings: Vec<&str> = Vec::new();
        for m in &entry.messages {
            if !bindings.contains(&m.value.name.as_str()) {
                bindings.push(&m.value.name);
            }
        }
        let mut config = ConsumerConfig::new(exchange, queue, &bindings);
        if let Some(retry) = &entry.retry {
            if let Some(attempts) = &retry.attempts {
                config.max_attempts = u32::try_from(attempts.value).unwrap_or(u32::MAX).max(1);
            }
            config.constant_backoff = retry
                .backoff
                .as_ref()
                .is_some_and(|b| b.value == "constant" || b.value == "none");
        }
        Ok(config)
    }

    /// The longest delay: `max_delay`, or `base_delay` under a constant backoff.
    fn ceiling(&self) -> Duration {
        if self.constant_backoff {
            self.base_delay
        } else {
            self.max_delay
        }
    }

    fn delays(&self) -> Vec<Duration> {
        (1..self.max_attempts.max(1))
            .map(|n| crate::backoff::step(self.base_delay, self.ceiling(), n))
            .collect()
    }
}

/// What the handler decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Handled: acknowledge.
    Done,
    /// A transient failure: try again later, or dead-letter after the last attempt.
    Retry(String),
    /// Can never succeed: dead-letter now.
    Reject(String),
}

/// An event as the handler receives it: its data upcast to one type.
#[derive(Debug, Clone)]
pub struct Delivered<T> {
    pub data: T,
    pub event: CloudEvent,
    /// The message version as published; 0 when the event names none.
    pub version: u32,
    /// 1 on the first delivery, then one more per retry.
    pub attempt: u32,
    /// The trace context to continue: the consumer span's when spans are recorded, else the producer's (from
    /// the event's `traceparent` and `tracestate`, or the AMQP headers of those names).
    pub trace: Option<TraceContext>,
}

type Upcaster<T> = Box<dyn Fn(Value) -> Result<T, String> + Send + Sync>;

/// The message versions a consumer accepts (`name@version`), each with how to turn its data into `T`.
pub struct Upcasters<T> {
    by_message: HashMap<String, Upcaster<T>>,
}

impl<T> Default for Upcasters<T> {
    fn default() -> Self {
        Upcasters {
            by_message: HashMap::new(),
        }
    }
}

impl<T> Upcasters<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts `message` (`name@version`), turning its data into `T` with `upcast`.
    pub fn accept(
        mut self,
        message: &str,
        upcast: impl Fn(Value) -> Result<T, String> + Send + Sync + 'static,
    ) -> Self {
        self.by_message.insert(message.to_owned(), Box::new(upcast));
        self
    }

    /// Checks that these accept exactly the message versions `manifest` lists for `service`'s events. A listed
    /// version without an upcaster would go to the dead-letter queue on arrival; an accepted version the manifest
    /// does not list is one that `seam can-i-deploy` and the producer's migration do not know this service reads.
    /// A message listed without a version is covered by any version of it.
    pub fn check(&self, manifest: &Manifest, service: &str) -> Result<(), String> {
        let entry = consumed_events(manifest, service)?;
        let covers = |listed: &MessageRef, accepted: &str| {
            let accepted = MessageRef::parse(accepted);
            accepted.name == listed.name
                && listed.version.is_none_or(|v| accepted.version == Some(v))
        };
        let mut problems = Vec::new();
        for listed in &entry.messages {
            if !self.by_message.keys().any(|a| covers(&listed.value, a)) {
                problems.push(format!(
                    "seam.toml lists {} but no upcaster accepts it",
                    listed.value
                ));
            }
        }
        let mut accepted: Vec<&String> = self.by_message.keys().collect();
        accepted.sort_unstable();
        for a in accepted {
            if !entry.messages.iter().any(|m| covers(&m.value, a)) {
                problems.push(format!(
                    "{a} is accepted but seam.toml does not list it under [[consumes.events]] service = \"{service}\""
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }

    fn accepted(&self) -> String {
        let mut names: Vec<&str> = self.by_message.keys().map(String::as_str).collect();
        names.sort_unstable();
        names.join(", ")
    }
}

/// Event ids already handled, so a redelivered or republished event is acknowledged without handling it again.
/// Bounded: past `capacity` ids the oldest are forgotten.
#[derive(Debug)]
struct Seen {
    ids: HashSet<String>,
    order: VecDeque<String>,
    capacity: usize,
}

impl Seen {
    fn new() -> Seen {
        Seen {
            ids: HashSet::new(),
            order: VecDeque::new(),
            capacity: 100_000,
        }
    }

    fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    fn insert(&mut self, id: &str) {
        if self.ids.insert(id.to_owned()) {
            self.order.push_back(id.to_owned());
            while self.order.len() > self.capacity {
                if let Some(old) = self.order.pop_front() {
                    self.ids.remove(&old);
                }
            }
        }
    }
}

/// Event ids being handled now. A delivery of an id waits for the one before it to finish, then finds it seen
/// (handled) or handles it itself (the first one failed), so concurrent duplicates are handled once.
#[derive(Debug, Default)]
struct InFlight {
    ids: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// The right to handle one event id, until dropped.
struct Claim<'a> {
    in_flight: &'a InFlight,
    id: String,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl InFlight {
    async fn claim(&self, id: &str) -> Claim<'_> {
        let lock = self
            .ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(id.to_owned())
            .or_default()
            .clone();
        Claim {
            in_flight: self,
            id: id.to_owned(),
            _guard: lock.lock_owned().await,
        }
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        let mut ids = self
            .in_flight
            .ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // The map and this claim hold the lock; more holders are deliveries waiting for it.
        if ids.get(&self.id).is_some_and(|l| Arc::strong_count(l) <= 2) {
            ids.remove(&self.id);
        }
    }
}

/// A consumer of one queue. Handle events with [`Consumer::run`].
pub struct Consumer {
    channel: Channel,
    config: ConsumerConfig,
    seen: Arc<Mutex<Seen>>,
    in_flight: InFlight,
}

impl Consumer {
    /// Declares the queue, its bindings, delay queues and dead-letter queue, and sets the prefetch.
    pub async fn new(
        connection: &Connection,
        config: ConsumerConfig,
    ) -> Result<Consumer, lapin::Error> {
        Consumer::with_seen(connection, config, Arc::new(Mutex::new(Seen::new()))).await
    }

    /// Like [`Consumer::new`], remembering handled events in `seen` (shared across reconnections).
    async fn with_seen(
        connection: &Connection,
        config: ConsumerConfig,
        seen: Arc<Mutex<Seen>>,
    ) -> Result<Consumer, lapin::Error> {
        let channel = connection.create_channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        channel
            .basic_qos(config.prefetch, BasicQosOptions::default())
            .await?;
        declare_consumer(
            &channel,
            &config.exchange,
            &config.queue,
            &config.bindings,
            &config.delays(),
        )
        .await?;
        Ok(Consumer {
            channel,
            config,
            seen,
            in_flight: InFlight::default(),
        })
    }

    /// Handles events until `shutdown` completes or the broker ends the consumer, up to `prefetch` at once. An
    /// event is acknowledged only after it was handled, moved to a delay queue, or dead-lettered (each confirmed
    /// by the broker). On shutdown no new delivery is taken and the ones in flight are finished; the ones the
    /// broker sent ahead go back to the queue when the channel closes. The first delivery that fails (a retry or
    /// dead-letter publish the broker refused, a lost channel) is returned as the error, after the same: no new
    /// delivery is taken and the ones in flight finish.
    pub async fn run<T, H, F>(
        &self,
        upcasters: &Upcasters<T>,
        handler: H,
        shutdown: impl Future<Output = ()>,
    ) -> Result<Stopped, ConsumeError>
    where
        H: Fn(Delivered<T>) -> F,
        F: Future<Output = Outcome>,
    {
        let tag = format!("{}-{}", self.config.queue, uuid::Uuid::new_v4().simple());
        let stream = self
            .channel
            .basic_consume(
                self.config.queue.as_str().into(),
                tag.as_str().into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let stopping = AtomicBool::new(false);
        // The first delivery that fails stops the taking of new ones; the ones in flight still finish (and are
        // acknowledged), so none is handled again when the broker gives it back on the next connection.
        let failure: Mutex<Option<ConsumeError>> = Mutex::new(None);
        let failed = tokio::sync::Notify::new();
        let stop_taking = async {
            tokio::select! {
                () = shutdown => stopping.store(true, Ordering::Relaxed),
                () = failed.notified() => {}
            }
        };
        let limit = (self.config.prefetch > 0).then_some(usize::from(self.config.prefetch));
        stream
            .take_until(stop_taking)
            .for_each_concurrent(limit, |delivery| async {
                let handled = match delivery {
                    Ok(delivery) => self.one(delivery, upcasters, &handler).await,
                    Err(err) => Err(err.into()),
                };
                if let Err(err) = handled {
                    let mut first = failure.lock().unwrap_or_else(PoisonError::into_inner);
                    if first.is_none() {
                        *first = Some(err);
                        failed.notify_one();
                    } else {
                        tracing::warn!(queue = %self.config.queue, error = %err, "another delivery failed too");
                    }
                }
            })
            .await;
        let failure = failure.into_inner().unwrap_or_else(PoisonError::into_inner);
        if stopping.load(Ordering::Relaxed) {
            // Shutdown was asked for and its future has completed: an error while the deliveries in flight
            // finished (the broker closing too) is not a lost connection to recover from.
            if let Some(err) = failure {
                tracing::warn!(error = %err, "while finishing the deliveries in flight at shutdown");
            }
            return Ok(Stopped::Shutdown);
        }
        match failure {
            Some(err) => Err(err),
            None => Ok(Stopped::Ended),
        }
    }

    async fn one<T, H, F>(
        &self,
        delivery: Delivery,
        upcasters: &Upcasters<T>,
        handler: &H,
    ) -> Result<(), ConsumeError>
    where
        H: Fn(Delivered<T>) -> F,
        F: Future<Output = Outcome>,
    {
        let attempt = header_int(&delivery, attempt_header()).map_or(1, |a| a.max(1));
        let event = match CloudEvent::from_amqp(&delivery.data, &delivery.properties) {
            Ok(e) => e,
            Err(reason) => {
                tracing::warn!(queue = %self.config.queue, attempt, "{reason}; dead-lettered");
                return self.dead_letter(&delivery, &reason, attempt).await;
            }
        };
        let _claim = self.in_flight.claim(&event.id).await;
        if self.seen.lock().is_ok_and(|s| s.contains(&event.id)) {
            return ack(&delivery).await;
        }
        // The consumer span: a child of the producer's, carrying the attributes `seam trace` reads.
        let producer = event.trace().or_else(|| {
            let headers = delivery.properties.headers().as_ref()?;
            TraceContext::extract(&AmqpHeaders(headers))
        });
        let mut span = self.config.telemetry.as_ref().map(|t| {
            let routing_key = original_routing_key(&delivery);
            t.tracer()
                .span_builder(format!("process {}", event.kind))
                .with_kind(SpanKind::Consumer)
                .with_attributes(messaging_attributes(
                    "process",
                    &self.config.queue,
                    &routing_key,
                    &event,
                ))
                .start_with_context(t.tracer(), &parent_context(producer.as_ref()))
        });
        let trace = span
            .as_ref()
            .map(|s| trace_context(s.span_context()))
            .or(producer);
        let (result, failure) = self
            .decide(&delivery, event, attempt, trace.clone(), upcasters, handler)
            .await;
        // A log line per failed attempt, with the trace and span, so it lands beside its trace in a diagnosis.
        if let Some(reason) = &failure {
            let (trace_id, span_id) = trace.as_ref().map_or((String::new(), String::new()), |t| {
                (t.trace_id.clone(), t.span_id.clone())
            });
            let service = self.config.telemetry.as_ref().map_or("", |t| t.service());
            tracing::warn!(service, queue = %self.config.queue, attempt, trace_id, span_id, "{reason}");
        }
        if let Some(span) = span.as_mut() {
            if let Some(reason) = failure {
                span.set_status(Status::error(reason));
            }
            span.end();
        }
        result
    }

    /// What becomes of a parsed event; with the reason when it was not handled.
    async fn decide<T, H, F>(
        &self,
        delivery: &Delivery,
        event: CloudEvent,
        attempt: u32,
        trace: Option<TraceContext>,
        upcasters: &Upcasters<T>,
        handler: &H,
    ) -> (Result<(), ConsumeError>, Option<String>)
    where
        H: Fn(Delivered<T>) -> F,
        F: Future<Output = Outcome>,
    {
        let message = event.message();
        let Some(upcast) = upcasters.by_message.get(&message) else {
            let reason = format!(
                "{message} is not a version this consumer accepts (it accepts {})",
                upcasters.accepted()
            );
            return (
                self.dead_letter(delivery, &reason, attempt).await,
                Some(reason),
            );
        };
        if let Some(schemas) = &self.config.schemas
            && let Err(errors) = schemas.validate(&message, &event.data)
        {
            let reason = format!(
                "{message} does not match its contract: {}",
                errors.join("; ")
            );
            return (
                self.dead_letter(delivery, &reason, attempt).await,
                Some(reason),
            );
        }
        let data = match upcast(event.data.clone()) {
            Ok(d) => d,
            Err(e) => {
                let reason = format!("{message} could not be read: {e}");
                return (
                    self.dead_letter(delivery, &reason, attempt).await,
                    Some(reason),
                );
            }
        };
        let id = event.id.clone();
        let delivered = Delivered {
            data,
            version: event.version().unwrap_or(0),
            trace,
            attempt,
            event,
        };
        match handler(delivered).await {
            Outcome::Done => {
                if let Ok(mut seen) = self.seen.lock() {
                    seen.insert(&id);
                }
                (ack(delivery).await, None)
            }
            Outcome::Reject(reason) => (
                self.dead_letter(delivery, &reason, attempt).await,
                Some(reason),
            ),
            Outcome::Retry(reason) if attempt >= self.config.max_attempts => {
                let reason = format!("gave up after {attempt} attempts: {reason}");
                (
                    self.dead_letter(delivery, &reason, attempt).await,
                    Some(reason),
                )
            }
            Outcome::Retry(reason) => (
                self.retry_later(delivery, attempt).await,
                Some(format!("will retry: {reason}")),
            ),
        }
    }

    /// Moves the event to the delay queue of retry `attempt`, with the next attempt number and a jittered
    /// expiration; it comes back to the queue when that expires.
    async fn retry_later(&self, delivery: &Delivery, attempt: u32) -> Result<(), ConsumeError> {
        let expiration =
            crate::backoff::jittered(self.config.base_delay, self.config.ceiling(), attempt);
        let mut headers = carried_headers(delivery);
        headers.insert(
            attempt_header().into(),
            AMQPValue::LongLongInt(i64::from(attempt) + 1),
        );
        let properties = delivery
            .properties
            .clone()
            .with_headers(headers)
            .with_expiration(expiration.as_millis().to_string().as_str().into());
        self.republish(
            &retry_queue(&self.config.queue, attempt),
            delivery,
            properties,
        )
        .await?;
        ack(delivery).await
    }

    async fn dead_letter(
        &self,
        delivery: &Delivery,
        reason: &str,
        attempt: u32,
    ) -> Result<(), ConsumeError> {
        let mut headers = carried_headers(delivery);
        headers.insert(
            attempt_header().into(),
            AMQPValue::LongLongInt(i64::from(attempt)),
        );
        headers.insert(reason_header().into(), AMQPValue::LongString(reason.into()));
        let properties = delivery.properties.clone().with_headers(headers);
        self.republish(&dead_letter_queue(&self.config.queue), delivery, properties)
            .await?;
        ack(delivery).await
    }

    async fn republish(
        &self,
        queue: &str,
        delivery: &Delivery,
        properties: lapin::BasicProperties,
    ) -> Result<(), ConsumeError> {
        let confirmation = self
            .channel
            .basic_publish(
                "".into(),
                queue.into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..Default::default()
                },
                &delivery.data,
                properties,
            )
            .await?
            .await?;
        match confirmation {
            Confirmation::Ack(None) | Confirmation::NotRequested => Ok(()),
            _ => Err(ConsumeError::NotTaken {
                queue: queue.to_owned(),
            }),
        }
    }
}

/// Acknowledges `delivery`; an error when the acknowledgement could not be sent (its channel closed), so the
/// broker will deliver the event again.
async fn ack(delivery: &Delivery) -> Result<(), ConsumeError> {
    if delivery.ack(BasicAckOptions::default()).await? {
        Ok(())
    } else {
        Err(ConsumeError::Unacknowledged)
    }
}

/// The delivery's headers, with the routing key it was first published with recorded.
fn carried_headers(delivery: &Delivery) -> FieldTable {
    let mut headers = delivery.properties.headers().clone().unwrap_or_default();
    if !headers.contains_key(ROUTING_KEY_HEADER) {
        headers.insert(
            ROUTING_KEY_HEADER.into(),
            AMQPValue::LongString(delivery.routing_key.as_str().into()),
        );
    }
    headers
}

/// The routing key the event was first published with (kept in a header across retries).
fn original_routing_key(delivery: &Delivery) -> String {
    delivery
        .properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get(ROUTING_KEY_HEADER))
        .and_then(AMQPValue::as_long_string)
        .map_or_else(|| delivery.routing_key.to_string(), |k| k.to_string())
}

/// AMQP headers as a carrier for the trace context propagator.
struct AmqpHeaders<'a>(&'a FieldTable);

impl opentelemetry::propagation::Extractor for AmqpHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        match self.0.inner().get(key)? {
            AMQPValue::LongString(s) => std::str::from_utf8(s.as_bytes()).ok(),
            AMQPValue::ShortString(s) => Some(s.as_str()),
            _ => None,
        }
    }

    fn keys(&self) -> Vec<&str> {
        self.0.inner().keys().map(|k| k.as_str()).collect()
    }
}

/// An integer header, whatever width the sender used.
fn header_int(delivery: &Delivery, name: &str) -> Option<u32> {
    let value = delivery.properties.headers().as_ref()?.inner().get(name)?;
    let n = match value {
        AMQPValue::LongLongInt(n) => *n,
        AMQPValue::LongInt(n) => i64::from(*n),
        AMQPValue::LongUInt(n) => i64::from(*n),
        AMQPValue::ShortInt(n) => i64::from(*n),
        AMQPValue::ShortUInt(n) => i64::from(*n),
        _ => return None,
    };
    u32::try_from(n).ok()
}

fn consumed_events<'m>(
    manifest: &'m Manifest,
    service: &str,
) -> Result<&'m ConsumedEvents, String> {
    manifest
        .consumes_events
        .iter()
        .find(|c| c.service.value == service)
        .ok_or_else(|| format!("seam.toml consumes no events of {service}"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::ConsumerConfig;

    #[test]
    fn a_constant_backoff_waits_the_base_delay_every_time() {
        let mut config = ConsumerConfig::new("x", "q", &["m"]);
        config.max_attempts = 4;
        config.base_delay = Duration::from_millis(200);
        let ms = |c: &ConsumerConfig| c.delays().iter().map(|d| d.as_millis()).collect::<Vec<_>>();
        assert_eq!(ms(&config), [200, 400, 800]);
        config.constant_backoff = true;
        assert_eq!(ms(&config), [200, 200, 200]);
    }
}
