//! Synthetic OTLP traces of the seed's checkout system, with faults injected: the test bed for diagnosis and the
//! input of the benchmark. Deterministic for a seed.
//!
//! The flow: gateway `POST /checkout` → order-service `POST /orders` → payment-service `POST /payments` (HTTP);
//! order-service publishes `order.created`; inventory-service consumes it and publishes
//! `inventory.stock_reserved`, which order-service waits for (2 s timeout); order-service then publishes
//! `order.confirmed`, which notification-service consumes.

use std::io::{self, Write};

use serde_json::{Value as Json, json};

/// The faults the generator can inject; each is a kind of root cause diagnosis must tell apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Inventory consumes `order.created` and publishes nothing.
    MissingPublish,
    /// Inventory publishes `inventory.stock_reserved` with a routing key nothing is bound to.
    WrongRoutingKey,
    /// Inventory publishes `inventory.stock_reserved` v2; order-service accepts v1 only and dead-letters it.
    VersionMismatch,
    /// Payment answers 503 to every one of order-service's three attempts.
    PaymentUnavailable,
    /// Payment takes 5 s in a database query; order-service gives up after 2 s.
    PaymentSlow,
    /// Order-service's own database insert fails.
    OrderDatabaseError,
    /// Order-service refuses the request with 422.
    InvalidRequest,
    /// Notification-service fails to send the confirmation; the checkout succeeds.
    NotificationFails,
}

impl Fault {
    pub const ALL: [Fault; 8] = [
        Fault::MissingPublish,
        Fault::WrongRoutingKey,
        Fault::VersionMismatch,
        Fault::PaymentUnavailable,
        Fault::PaymentSlow,
        Fault::OrderDatabaseError,
        Fault::InvalidRequest,
        Fault::NotificationFails,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::MissingPublish => "missing-publish",
            Fault::WrongRoutingKey => "wrong-routing-key",
            Fault::VersionMismatch => "version-mismatch",
            Fault::PaymentUnavailable => "payment-unavailable",
            Fault::PaymentSlow => "payment-slow",
            Fault::OrderDatabaseError => "order-database-error",
            Fault::InvalidRequest => "invalid-request",
            Fault::NotificationFails => "notification-fails",
        }
    }

    pub fn parse(name: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// How consumers relate to producers in the traces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Style {
    /// The consumer span is a child of the producer span, in the same trace.
    #[default]
    Child,
    /// The consumer starts a trace of its own with a span link to the producer.
    Link,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub checkouts: usize,
    pub fault: Option<Fault>,
    /// Inject the fault into this many of every 40 checkouts (the rest are healthy).
    pub faulty_per_40: usize,
    pub style: Style,
    pub seed: u64,
    /// Vary the encoding the way real exporters do: upper-case ids, enum names, times as numbers, old field names.
    pub quirks: bool,
    /// Shift inventory-service's clock by this many milliseconds.
    pub skew_ms: i64,
    /// Extra healthy spans (cache reads, queries) per service call.
    pub noise: usize,
    /// Milliseconds between the starts of two checkouts.
    pub interval_ms: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            checkouts: 40,
            fault: None,
            faulty_per_40: 37,
            style: Style::Child,
            seed: 1,
            quirks: false,
            skew_ms: 0,
            noise: 1,
            interval_ms: 50,
        }
    }
}

/// What was written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Written {
    pub spans: u64,
    pub traces: u64,
    pub faulty_checkouts: u64,
    pub logs: u64,
}

/// 2026-11-26T09:00:00Z.
const EPOCH_NS: u64 = 1_795_683_600_000_000_000;
const MS: u64 = 1_000_000;

struct Rng(u64);

impl Rng {
    /// splitmix64.
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
}

#[derive(Clone)]
struct GenSpan {
    trace: u128,
    id: u64,
    parent: Option<u64>,
    service: &'static str,
    name: String,
    kind: u8,
    start: u64,
    end: u64,
    error: Option<String>,
    attributes: Vec<(&'static str, Json)>,
    links: Vec<(u128, u64)>,
}

struct Checkout<'a> {
    rng: &'a mut Rng,
    spans: Vec<GenSpan>,
    logs: Vec<Json>,
    style: Style,
    noise: usize,
    trace: u128,
}

impl Checkout<'_> {
    #[allow(clippy::too_many_arguments)]
    fn span(
        &mut self,
        trace: u128,
        parent: Option<u64>,
        service: &'static str,
        name: &str,
        kind: u8,
        start: u64,
        duration: u64,
        attributes: Vec<(&'static str, Json)>,
    ) -> usize {
        let id = self.rng.next() | 1;
        self.spans.push(GenSpan {
            trace,
            id,
            parent,
            service,
            name: name.to_string(),
            kind,
            start,
            end: start + duration,
            error: None,
            attributes,
            links: Vec::new(),
        });
        self.spans.len() - 1
    }

    fn fail(&mut self, index: usize, message: &str) {
        self.spans[index].error = Some(message.to_string());
        let span = &self.spans[index];
        self.logs.push(json!({
            "time": format_time(span.end),
            "level": "ERROR",
            "service": span.service,
            "trace_id": format!("{:032x}", span.trace),
            "span_id": format!("{:016x}", span.id),
            "message": format!("{}: {message}", span.name),
        }));
    }

    fn noise(&mut self, trace: u128, parent: u64, service: &'static str, start: u64) {
        for i in 0..self.noise {
            let name = if i % 2 == 0 {
                "GET cache"
            } else {
                "SELECT config"
            };
            let duration = self.rng.between(MS / 5, 2 * MS);
            self.span(
                trace,
                Some(parent),
                service,
                name,
                3,
                start + i as u64 * MS,
                duration,
                vec![("db.system", json!("redis"))],
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn http(
        &mut self,
        trace: u128,
        parent: u64,
        from: &'static str,
        to: &'static str,
        route: &str,
        start: u64,
        duration: u64,
        status: u16,
    ) -> (usize, usize) {
        let client = self.span(
            trace,
            Some(parent),
            from,
            route,
            3,
            start,
            duration,
            vec![
                ("http.request.method", json!("POST")),
                ("http.response.status_code", json!(status)),
                ("server.address", json!(to)),
            ],
        );
        let client_id = self.spans[client].id;
        let server = self.span(
            trace,
            Some(client_id),
            to,
            route,
            2,
            start + MS / 2,
            duration.saturating_sub(MS),
            vec![
                ("http.request.method", json!("POST")),
                (
                    "http.route",
                    json!(route.split_once(' ').map_or(route, |r| r.1)),
                ),
                ("http.response.status_code", json!(status)),
            ],
        );
        (client, server)
    }

    /// A publish and, unless `delivered` is false, its consumption; returns (producer, consumer).
    #[allow(clippy::too_many_arguments)]
    fn message(
        &mut self,
        trace: u128,
        parent: u64,
        from: &'static str,
        to: &'static str,
        message: &str,
        routing_key: &str,
        version: u32,
        start: u64,
        delivered: bool,
    ) -> (usize, Option<usize>) {
        let id = format!("{:016x}", self.rng.next());
        let conversation = format!("{:032x}", self.trace);
        let exchange = message.split('.').next().unwrap_or(message).to_string();
        let common = |op: &str| {
            vec![
                ("messaging.system", json!("rabbitmq")),
                ("messaging.operation.type", json!(op)),
                ("messaging.message.id", json!(id.clone())),
                (
                    "messaging.message.conversation_id",
                    json!(conversation.clone()),
                ),
                ("cloudevents.event_type", json!(message)),
                (
                    "messaging.message.schema_version",
                    json!(version.to_string()),
                ),
            ]
        };
        let mut attributes = common("publish");
        attributes.push(("messaging.destination.name", json!(exchange)));
        attributes.push((
            "messaging.rabbitmq.destination.routing_key",
            json!(routing_key),
        ));
        let producer = self.span(
            trace,
            Some(parent),
            from,
            &format!("publish {message}"),
            4,
            start,
            MS,
            attributes,
        );
        if !delivered {
            return (producer, None);
        }
        let producer_id = self.spans[producer].id;
        let deliver_at = start + self.rng.between(2 * MS, 8 * MS);
        let mut attributes = common("process");
        attributes.push((
            "messaging.destination.name",
            json!(format!("{to}.{message}")),
        ));
        let (consumer_trace, consumer_parent) = match self.style {
            Style::Child => (trace, Some(producer_id)),
            Style::Link => (
                u128::from(self.rng.next()) << 64 | u128::from(self.rng.next()),
                None,
            ),
        };
        let consumer = self.span(
            consumer_trace,
            consumer_parent,
            to,
            &format!("process {message}"),
            5,
            deliver_at,
            5 * MS,
            attributes,
        );
        if self.style == Style::Link {
            self.spans[consumer].links.push((trace, producer_id));
        }
        (producer, Some(consumer))
    }
}

/// Writes `options.checkouts` checkouts as OTLP/JSON lines (one `ExportTraceServiceRequest` per trace) and, when
/// given, their log lines as JSON Lines.
pub fn generate(
    options: &Options,
    traces: &mut dyn Write,
    mut logs: Option<&mut dyn Write>,
) -> io::Result<Written> {
    let mut rng = Rng(options.seed);
    let mut written = Written::default();
    for index in 0..options.checkouts {
        let faulty = options.fault.filter(|_| index % 40 < options.faulty_per_40);
        let start = EPOCH_NS + index as u64 * options.interval_ms * MS + rng.between(0, 5 * MS);
        let trace = u128::from(rng.next()) << 64 | u128::from(rng.next());
        let mut checkout = Checkout {
            rng: &mut rng,
            spans: Vec::new(),
            logs: Vec::new(),
            style: options.style,
            noise: options.noise,
            trace,
        };
        build_checkout(&mut checkout, trace, start, faulty);
        if faulty.is_some() {
            written.faulty_checkouts += 1;
        }
        let spans = std::mem::take(&mut checkout.spans);
        let log_lines = std::mem::take(&mut checkout.logs);
        // Skew one host's clock, as real fleets do.
        let spans: Vec<GenSpan> = spans
            .into_iter()
            .map(|mut s| {
                if s.service == "inventory-service" && options.skew_ms != 0 {
                    let shift = options.skew_ms.unsigned_abs() * MS;
                    if options.skew_ms > 0 {
                        s.start += shift;
                        s.end += shift;
                    } else {
                        s.start -= shift;
                        s.end -= shift;
                    }
                }
                s
            })
            .collect();
        let mut trace_ids: Vec<u128> = spans.iter().map(|s| s.trace).collect();
        trace_ids.sort();
        trace_ids.dedup();
        for (n, trace_id) in trace_ids.iter().enumerate() {
            let in_trace: Vec<&GenSpan> = spans.iter().filter(|s| s.trace == *trace_id).collect();
            let quirk = if options.quirks {
                (index + n) % 5
            } else {
                usize::MAX
            };
            let line = request_json(&in_trace, quirk);
            serde_json::to_writer(&mut *traces, &line)?;
            traces.write_all(b"\n")?;
            written.spans += in_trace.len() as u64;
            written.traces += 1;
        }
        if let Some(out) = logs.as_deref_mut() {
            for line in &log_lines {
                serde_json::to_writer(&mut *out, line)?;
                out.write_all(b"\n")?;
                written.logs += 1;
            }
        }
    }
    Ok(written)
}

fn build_checkout(c: &mut Checkout, trace: u128, start: u64, fault: Option<Fault>) {
    let timeout = 2000 * MS;
    let gateway = c.span(
        trace,
        None,
        "gateway",
        "POST /checkout",
        2,
        start,
        0,
        vec![
            ("http.request.method", json!("POST")),
            ("http.route", json!("/checkout")),
        ],
    );
    let gateway_id = c.spans[gateway].id;
    c.noise(trace, gateway_id, "gateway", start + MS);
    let call_at = start + 2 * MS;
    let (order_client, order) = c.http(
        trace,
        gateway_id,
        "gateway",
        "order-service",
        "POST /orders",
        call_at,
        0,
        201,
    );
    let order_id = c.spans[order].id;
    let mut t = call_at + 2 * MS;
    c.noise(trace, order_id, "order-service", t);

    // Order validation and its own database write.
    if fault == Some(Fault::InvalidRequest) {
        t += 3 * MS;
        finish_http(
            c,
            gateway,
            order_client,
            order,
            t,
            422,
            Some("shipping address is missing"),
        );
        return;
    }
    let insert = c.span(
        trace,
        Some(order_id),
        "order-service",
        "INSERT orders",
        3,
        t,
        4 * MS,
        vec![
            ("db.system", json!("postgresql")),
            ("db.operation.name", json!("INSERT")),
        ],
    );
    t += 5 * MS;
    if fault == Some(Fault::OrderDatabaseError) {
        c.fail(
            insert,
            "duplicate key value violates unique constraint \"orders_pkey\"",
        );
        finish_http(
            c,
            gateway,
            order_client,
            order,
            t,
            500,
            Some("could not store the order"),
        );
        return;
    }

    // Payment, retried up to three times on 5xx and timeouts.
    let attempts = if fault == Some(Fault::PaymentUnavailable) {
        3
    } else {
        1
    };
    for attempt in 0..attempts {
        match fault {
            Some(Fault::PaymentUnavailable) => {
                let (client, server) = c.http(
                    trace,
                    order_id,
                    "order-service",
                    "payment-service",
                    "POST /payments",
                    t,
                    8 * MS,
                    503,
                );
                let server_id = c.spans[server].id;
                let pool = c.span(
                    trace,
                    Some(server_id),
                    "payment-service",
                    "acquire connection",
                    1,
                    t + MS,
                    5 * MS,
                    vec![],
                );
                c.fail(pool, "connection pool exhausted");
                c.fail(server, "service unavailable");
                c.fail(client, "503 Service Unavailable");
                t += 9 * MS + (50 << attempt) * MS;
            }
            Some(Fault::PaymentSlow) => {
                let (client, server) = c.http(
                    trace,
                    order_id,
                    "order-service",
                    "payment-service",
                    "POST /payments",
                    t,
                    timeout,
                    504,
                );
                c.spans[client]
                    .attributes
                    .retain(|(k, _)| *k != "http.response.status_code");
                c.fail(client, "request timed out after 2000 ms");
                let server_id = c.spans[server].id;
                c.spans[server].end = t + 5000 * MS;
                c.spans[server]
                    .attributes
                    .retain(|(k, _)| *k != "http.response.status_code");
                c.spans[server]
                    .attributes
                    .push(("http.response.status_code", json!(201)));
                c.span(
                    trace,
                    Some(server_id),
                    "payment-service",
                    "SELECT accounts FOR UPDATE",
                    3,
                    t + 2 * MS,
                    4900 * MS,
                    vec![("db.system", json!("postgresql"))],
                );
                t += timeout;
                finish_http(
                    c,
                    gateway,
                    order_client,
                    order,
                    t + MS,
                    500,
                    Some("payment failed"),
                );
                return;
            }
            _ => {
                let (_, server) = c.http(
                    trace,
                    order_id,
                    "order-service",
                    "payment-service",
                    "POST /payments",
                    t,
                    30 * MS,
                    201,
                );
                let server_id = c.spans[server].id;
                c.span(
                    trace,
                    Some(server_id),
                    "payment-service",
                    "INSERT payments",
                    3,
                    t + 2 * MS,
                    20 * MS,
                    vec![("db.system", json!("postgresql"))],
                );
                t += 31 * MS;
            }
        }
    }
    if fault == Some(Fault::PaymentUnavailable) {
        finish_http(
            c,
            gateway,
            order_client,
            order,
            t,
            500,
            Some("payment failed after 3 attempts"),
        );
        return;
    }

    // order.created → inventory → inventory.stock_reserved → order.
    let (_, consumer) = c.message(
        trace,
        order_id,
        "order-service",
        "inventory-service",
        "order.created",
        "order.created",
        1,
        t,
        true,
    );
    let consumer = consumer.unwrap_or_default();
    let (inv_trace, inv_id, inv_start) = (
        c.spans[consumer].trace,
        c.spans[consumer].id,
        c.spans[consumer].start,
    );
    c.span(
        inv_trace,
        Some(inv_id),
        "inventory-service",
        "UPDATE stock",
        3,
        inv_start + MS,
        2 * MS,
        vec![("db.system", json!("postgresql"))],
    );
    let wait_start = t + MS;
    let wait = c.span(
        trace,
        Some(order_id),
        "order-service",
        "await inventory.stock_reserved",
        1,
        wait_start,
        0,
        vec![
            ("messaging.system", json!("rabbitmq")),
            ("messaging.operation.type", json!("receive")),
            (
                "messaging.destination.name",
                json!("order-service.inventory.stock_reserved"),
            ),
            ("cloudevents.event_type", json!("inventory.stock_reserved")),
        ],
    );
    let reserved_at = inv_start + 3 * MS;
    let arrived = match fault {
        Some(Fault::MissingPublish) => None,
        Some(Fault::WrongRoutingKey) => {
            c.message(
                inv_trace,
                inv_id,
                "inventory-service",
                "order-service",
                "inventory.stock_reserved",
                "inventory.stock-reserved",
                1,
                reserved_at,
                false,
            );
            None
        }
        Some(Fault::VersionMismatch) => {
            let (_, consumer) = c.message(
                inv_trace,
                inv_id,
                "inventory-service",
                "order-service",
                "inventory.stock_reserved",
                "inventory.stock_reserved",
                2,
                reserved_at,
                true,
            );
            let consumer = consumer.unwrap_or_default();
            c.fail(
                consumer,
                "unsupported schema version 2 for inventory.stock_reserved",
            );
            let (ct, cid, cs) = (
                c.spans[consumer].trace,
                c.spans[consumer].id,
                c.spans[consumer].start,
            );
            c.span(
                ct,
                Some(cid),
                "order-service",
                "publish order-service.dlq",
                4,
                cs + 4 * MS,
                MS / 2,
                vec![
                    ("messaging.system", json!("rabbitmq")),
                    ("messaging.operation.type", json!("publish")),
                    ("messaging.destination.name", json!("order-service.dlq")),
                ],
            );
            None
        }
        _ => {
            let (_, consumer) = c.message(
                inv_trace,
                inv_id,
                "inventory-service",
                "order-service",
                "inventory.stock_reserved",
                "inventory.stock_reserved",
                1,
                reserved_at,
                true,
            );
            consumer.map(|k| c.spans[k].end)
        }
    };
    match arrived {
        Some(at) => {
            c.spans[wait].end = at.max(wait_start + MS);
            t = c.spans[wait].end + MS;
        }
        None => {
            c.spans[wait].end = wait_start + timeout;
            c.fail(
                wait,
                "timed out after 2000 ms waiting for inventory.stock_reserved",
            );
            finish_http(
                c,
                gateway,
                order_client,
                order,
                wait_start + timeout + MS,
                500,
                Some("stock reservation timed out"),
            );
            return;
        }
    }

    // order.confirmed → notification.
    let (_, consumer) = c.message(
        trace,
        order_id,
        "order-service",
        "notification-service",
        "order.confirmed",
        "order.confirmed",
        1,
        t,
        true,
    );
    if let Some(consumer) = consumer {
        let (nt, nid, ns) = (
            c.spans[consumer].trace,
            c.spans[consumer].id,
            c.spans[consumer].start,
        );
        let smtp = c.span(
            nt,
            Some(nid),
            "notification-service",
            "POST smtp send",
            3,
            ns + MS,
            3 * MS,
            vec![("server.address", json!("smtp.example.com"))],
        );
        if fault == Some(Fault::NotificationFails) {
            c.fail(smtp, "421 service not available");
            c.fail(consumer, "could not send the confirmation");
        }
    }
    finish_http(c, gateway, order_client, order, t + 3 * MS, 201, None);
}

/// Ends the order call and the checkout with `status`, marking them failed for 5xx.
fn finish_http(
    c: &mut Checkout,
    gateway: usize,
    client: usize,
    order: usize,
    end: u64,
    status: u16,
    error: Option<&str>,
) {
    for &i in &[order, client] {
        c.spans[i].end = end;
        c.spans[i]
            .attributes
            .retain(|(k, _)| *k != "http.response.status_code");
        c.spans[i]
            .attributes
            .push(("http.response.status_code", json!(status)));
    }
    c.spans[gateway].end = end + MS;
    c.spans[gateway]
        .attributes
        .push(("http.response.status_code", json!(status)));
    if status >= 500 {
        let why = error.unwrap_or("internal error");
        c.fail(order, why);
        c.fail(client, why);
        c.fail(gateway, why);
    } else if status >= 400 {
        c.spans[order]
            .attributes
            .push(("error.type", json!(error.unwrap_or("invalid request"))));
        c.spans[client].error = Some(error.unwrap_or("client error").to_string());
    }
}

fn format_time(ns: u64) -> String {
    crate::versions::rfc3339(ns)
}

/// One `ExportTraceServiceRequest` for the spans of one trace, one resource per service. `quirk` picks one of the
/// encodings real exporters use (0: upper-case ids, 1: enum names, 2: times as numbers, 3: old field names).
fn request_json(spans: &[&GenSpan], quirk: usize) -> Json {
    let mut services: Vec<&str> = spans.iter().map(|s| s.service).collect();
    services.sort();
    services.dedup();
    let id = |width: usize, value: u128| {
        let text = format!("{value:0width$x}");
        if quirk == 0 {
            text.to_uppercase()
        } else {
            text
        }
    };
    let time = |ns: u64| {
        if quirk == 2 {
            json!(ns)
        } else {
            json!(ns.to_string())
        }
    };
    let resources: Vec<Json> = services
        .iter()
        .map(|service| {
            let spans: Vec<Json> = spans
                .iter()
                .filter(|s| s.service == *service)
                .map(|s| {
                    let attributes: Vec<Json> = s
                        .attributes
                        .iter()
                        .map(|(k, v)| {
                            let value = match v {
                                Json::Number(n) if quirk == 2 => json!({ "intValue": n.as_i64().unwrap_or(0) }),
                                Json::Number(n) => json!({ "intValue": n.to_string() }),
                                other => json!({ "stringValue": other.as_str().unwrap_or_default() }),
                            };
                            json!({ "key": k, "value": value })
                        })
                        .collect();
                    let kind = if quirk == 1 {
                        json!(["SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"][usize::from(s.kind)])
                    } else {
                        json!(s.kind)
                    };
                    let status = match (&s.error, quirk == 1) {
                        (Some(message), true) => json!({ "code": "STATUS_CODE_ERROR", "message": message }),
                        (Some(message), false) => json!({ "code": 2, "message": message }),
                        (None, _) => json!({}),
                    };
                    let mut span = json!({
                        "traceId": id(32, s.trace),
                        "spanId": id(16, u128::from(s.id)),
                        "name": s.name,
                        "kind": kind,
                        "startTimeUnixNano": time(s.start),
                        "endTimeUnixNano": time(s.end),
                        "attributes": attributes,
                        "status": status,
                    });
                    if let Some(parent) = s.parent {
                        span["parentSpanId"] = json!(id(16, u128::from(parent)));
                    }
                    if !s.links.is_empty() {
                        span["links"] = s
                            .links
                            .iter()
                            .map(|(t, p)| json!({ "traceId": id(32, *t), "spanId": id(16, u128::from(*p)) }))
                            .collect();
                    }
                    span
                })
                .collect();
            let scope_key = if quirk == 3 { "instrumentationLibrarySpans" } else { "scopeSpans" };
            json!({
                "resource": { "attributes": [{ "key": "service.name", "value": { "stringValue": service } }] },
                scope_key: [{ "scope": { "name": "seamline-generator" }, "spans": spans }],
            })
        })
        .collect();
    json!({ "resourceSpans": resources })
}
