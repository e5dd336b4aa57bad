//! A request before any instrumentation writes it: spans as operations (an HTTP call, a query, a publish, a wait)
//! with their times and outcomes. A profile (`profile.rs`) then names them and gives them attributes, the way one
//! instrumentation would.

pub(super) const MS: u64 = 1_000_000;

/// A message of a topology, with every name the profiles give it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Message {
    /// The name a manifest, CloudEvents' type and the seamline runtime use: `inventory.stock_reserved`.
    pub(super) name: &'static str,
    /// The RabbitMQ exchange, or the Kafka topic, it is published to.
    pub(super) destination: &'static str,
    /// The Celery task that carries it, in the profile that writes Celery.
    pub(super) task: &'static str,
    pub(super) broker: Broker,
    /// The routing key (RabbitMQ), topic (Kafka) or task a mistaken publisher uses.
    pub(super) astray: &'static str,
    pub(super) astray_task: &'static str,
}

/// What a service's `seam.toml` would declare: the messages it consumes, and those it publishes with the message
/// each follows.
pub(super) struct Manifest {
    pub(super) service: &'static str,
    pub(super) consumes: &'static [Message],
    pub(super) publishes: &'static [(Message, Option<Message>)],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Broker {
    Rabbit,
    Kafka,
}

/// What a span does.
#[derive(Clone, Debug)]
pub(super) enum Op {
    /// An HTTP server span.
    Server {
        method: &'static str,
        route: &'static str,
        status: u16,
    },
    /// An HTTP client span to `peer`: a service of the system, or a host with no spans of its own. `status` is
    /// `None` when no answer came (the client gave up).
    Client {
        method: &'static str,
        route: &'static str,
        peer: &'static str,
        status: Option<u16>,
    },
    /// A call to a database, which writes no spans.
    Db {
        system: &'static str,
        operation: &'static str,
        table: &'static str,
        host: &'static str,
    },
    Publish {
        message: Message,
        /// Published under the mistaken routing key, topic or task.
        astray: bool,
        version: u32,
        id: String,
    },
    Consume {
        message: Message,
        version: u32,
        id: String,
    },
    /// A step that waits for `message` (a saga's reply), giving up after `timeout_ms`; `step` is the name older
    /// code gives it, which says nothing of the message.
    Wait {
        message: Message,
        step: &'static str,
        timeout_ms: u64,
    },
    Internal {
        name: &'static str,
    },
    /// A front proxy's ingress span (Envoy), only in the profile that puts one in front.
    Ingress {
        route: &'static str,
        status: u16,
        flags: &'static str,
    },
    /// The proxy's call to the entry service.
    Egress {
        upstream: &'static str,
        route: &'static str,
        status: u16,
        flags: &'static str,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Outcome {
    Ok,
    /// Failed, with the exception the code threw (or the error it recorded) and its message.
    Failed {
        exception: &'static str,
        message: String,
    },
}

#[derive(Clone, Debug)]
pub(super) struct Node {
    pub(super) trace: u128,
    pub(super) id: u64,
    pub(super) parent: Option<u64>,
    pub(super) service: &'static str,
    pub(super) op: Op,
    pub(super) start: u64,
    pub(super) end: u64,
    pub(super) outcome: Outcome,
    /// Where the fault was injected: the span diagnosis should name.
    pub(super) label: bool,
    /// A span link to a producer, for a consumer that starts a trace of its own.
    pub(super) link: Option<(u128, u64)>,
}

pub(super) struct Rng(pub(super) u64);

impl Rng {
    /// splitmix64.
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(super) fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
}

/// One request being built.
pub(super) struct Request<'r> {
    pub(super) rng: &'r mut Rng,
    pub(super) trace: u128,
    pub(super) nodes: Vec<Node>,
    /// Kafka consumers start traces of their own, linked to the producer (the profile decides).
    pub(super) link_kafka_consumers: bool,
}

impl Request<'_> {
    /// Adds a span and returns its index.
    pub(super) fn add(
        &mut self,
        parent: Option<usize>,
        service: &'static str,
        op: Op,
        start: u64,
        duration: u64,
    ) -> usize {
        let id = self.rng.next() | 1;
        let trace = parent.map_or(self.trace, |p| self.nodes[p].trace);
        let parent = parent.map(|p| self.nodes[p].id);
        self.nodes.push(Node {
            trace,
            id,
            parent,
            service,
            op,
            start,
            end: start + duration,
            outcome: Outcome::Ok,
            label: false,
            link: None,
        });
        self.nodes.len() - 1
    }

    pub(super) fn fail(&mut self, n: usize, exception: &'static str, message: impl Into<String>) {
        self.nodes[n].outcome = Outcome::Failed {
            exception,
            message: message.into(),
        };
    }

    pub(super) fn label(&mut self, n: usize) {
        self.nodes[n].label = true;
    }

    pub(super) fn message_id(&mut self) -> String {
        format!("{:016x}", self.rng.next())
    }

    /// An HTTP call from `parent`'s service to `to`: the client span and the server span under it.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn call(
        &mut self,
        parent: usize,
        to: &'static str,
        method: &'static str,
        route: &'static str,
        start: u64,
        duration: u64,
        status: u16,
    ) -> (usize, usize) {
        let from = self.nodes[parent].service;
        let client = self.add(
            Some(parent),
            from,
            Op::Client {
                method,
                route,
                peer: to,
                status: Some(status),
            },
            start,
            duration,
        );
        let server = self.add(
            Some(client),
            to,
            Op::Server {
                method,
                route,
                status,
            },
            start + MS / 2,
            duration.saturating_sub(MS),
        );
        (client, server)
    }

    /// Sets the answer of an HTTP client or server span (or a proxy's), and its end.
    pub(super) fn answer(&mut self, n: usize, status: u16, end: u64) {
        self.nodes[n].end = end;
        match &mut self.nodes[n].op {
            Op::Server { status: s, .. }
            | Op::Ingress { status: s, .. }
            | Op::Egress { status: s, .. } => *s = status,
            Op::Client { status: s, .. } => *s = Some(status),
            _ => {}
        }
    }

    /// A client span that gave up without an answer.
    pub(super) fn give_up(&mut self, n: usize, end: u64) {
        self.nodes[n].end = end;
        if let Op::Client { status, .. } = &mut self.nodes[n].op {
            *status = None;
        }
    }

    pub(super) fn publish(
        &mut self,
        parent: usize,
        message: Message,
        version: u32,
        astray: bool,
        start: u64,
    ) -> usize {
        let service = self.nodes[parent].service;
        let id = self.message_id();
        self.add(
            Some(parent),
            service,
            Op::Publish {
                message,
                astray,
                version,
                id,
            },
            start,
            MS,
        )
    }

    /// A delivery of what `producer` published to `to`, `after` nanoseconds after the publish started.
    pub(super) fn consume(
        &mut self,
        producer: usize,
        to: &'static str,
        after: u64,
        duration: u64,
    ) -> usize {
        let Op::Publish {
            message,
            version,
            id,
            ..
        } = self.nodes[producer].op.clone()
        else {
            // Only a publish is delivered; the topologies never ask otherwise.
            return producer;
        };
        let start = self.nodes[producer].start + after;
        let linked = self.link_kafka_consumers && message.broker == Broker::Kafka;
        let consumer = self.add(
            (!linked).then_some(producer),
            to,
            Op::Consume {
                message,
                version,
                id,
            },
            start,
            duration,
        );
        if linked {
            let (trace, span) = (self.nodes[producer].trace, self.nodes[producer].id);
            self.nodes[consumer].trace =
                u128::from(self.rng.next()) << 64 | u128::from(self.rng.next());
            self.nodes[consumer].link = Some((trace, span));
        }
        consumer
    }
}
