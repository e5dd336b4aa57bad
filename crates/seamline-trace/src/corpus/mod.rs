//! A labelled corpus for judging diagnosis: the same requests written by several instrumentation profiles, in two
//! systems, with every kind of fault the diagnosis knows injected, plus healthy requests and partial inputs. The
//! labels (the service and span of the fault, its kind) are what was injected, never what the diagnosis answers.
//!
//! `scenario.rs` builds requests as operations, `checkout.rs` and `rides.rs` are the two systems, `profile.rs`
//! writes the operations the way each instrumentation does, and `evaluate.rs` scores the diagnosis (and the naive
//! "deepest error span" rule) against the labels.

mod checkout;
pub mod evaluate;
mod profile;
mod rides;
mod scenario;

use serde_json::json;

use crate::expect::{Expectations, ServiceExpectations};
use scenario::{MS, Node, Op, Outcome, Request, Rng};

/// How the spans are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Profile {
    /// What `seamline-runtime` writes: current conventions, CloudEvents types, schema versions, waits as `receive`.
    SeamlineRuntime,
    /// A Java agent: current conventions, HTTP clients named by their method, RabbitMQ routing keys and Kafka
    /// topics as the only message names, waits as INTERNAL spans without messaging attributes, exceptions as
    /// events with status ERROR.
    JavaAgent,
    /// Older Node and Python instrumentation: pre-1.21 HTTP and pre-1.24 messaging names, `{destination}
    /// {operation}` and Celery's `apply_async/…` and `run/…` span names without a span kind, waits named for the
    /// code's step, the status left unset and failures as exception events.
    NodePythonOld,
    /// The Java agent's services behind an Envoy front proxy (its OpenTelemetry tracer: `response_flags`, text
    /// status codes, `error` tags) with a 3 s route timeout.
    EnvoyFront,
}

impl Profile {
    pub const ALL: [Profile; 4] = [
        Profile::SeamlineRuntime,
        Profile::JavaAgent,
        Profile::NodePythonOld,
        Profile::EnvoyFront,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Profile::SeamlineRuntime => "seamline-runtime",
            Profile::JavaAgent => "java-agent",
            Profile::NodePythonOld => "node-python-old",
            Profile::EnvoyFront => "envoy-front",
        }
    }
}

/// Which system the requests go through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topology {
    /// The seed's checkout over RabbitMQ (`checkout.rs`).
    Checkout,
    /// Ride booking over Kafka, two brokered hops between the waiter and its reply (`rides.rs`).
    Rides,
}

impl Topology {
    pub const ALL: [Topology; 2] = [Topology::Checkout, Topology::Rides];

    pub fn name(self) -> &'static str {
        match self {
            Topology::Checkout => "checkout",
            Topology::Rides => "rides",
        }
    }

    fn manifests(self) -> &'static [scenario::Manifest] {
        match self {
            Topology::Checkout => checkout::MANIFESTS,
            Topology::Rides => rides::MANIFESTS,
        }
    }
}

/// What was injected into the faulty requests of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// Nothing: every request is healthy.
    Healthy,
    /// A consumer handles the message that should make it publish the reply, and publishes nothing.
    MissingPublish,
    /// The reply (or a hop before it) is published under a routing key, topic or task nothing consumes.
    WrongRoutingKey,
    /// The waiting service's consumer rejects the reply's version 2.
    VersionRejected,
    /// A consumer fails on every delivery of a message.
    CrashLoop,
    /// A consumer's database update deadlocks; the reply is published after the waiter gave up.
    LatePublish,
    /// A synchronous callee fails in its own code (retried in the rides system).
    SyncError,
    /// A synchronous callee hangs in a query; its caller (or the edge's deadline, or the proxy) gives up.
    Timeout,
    /// A call to a database or a third party, which writes no spans, fails.
    UninstrumentedDependency,
    /// Something fails and the request still succeeds.
    NonFatal,
    /// The request is refused with a 4xx.
    ClientError,
}

impl FaultKind {
    pub const ALL: [FaultKind; 11] = [
        FaultKind::Healthy,
        FaultKind::MissingPublish,
        FaultKind::WrongRoutingKey,
        FaultKind::VersionRejected,
        FaultKind::CrashLoop,
        FaultKind::LatePublish,
        FaultKind::SyncError,
        FaultKind::Timeout,
        FaultKind::UninstrumentedDependency,
        FaultKind::NonFatal,
        FaultKind::ClientError,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Healthy => "healthy",
            FaultKind::MissingPublish => "missing-publish",
            FaultKind::WrongRoutingKey => "wrong-routing-key",
            FaultKind::VersionRejected => "version-rejected",
            FaultKind::CrashLoop => "crash-loop",
            FaultKind::LatePublish => "late-publish-deadlock",
            FaultKind::SyncError => "sync-error",
            FaultKind::Timeout => "timeout",
            FaultKind::UninstrumentedDependency => "uninstrumented-dependency",
            FaultKind::NonFatal => "non-fatal",
            FaultKind::ClientError => "client-error",
        }
    }

    /// Faults placed in a partner on the far side of a broker, whose spans a partial input may lack.
    fn in_partner(self) -> bool {
        matches!(
            self,
            FaultKind::MissingPublish
                | FaultKind::WrongRoutingKey
                | FaultKind::CrashLoop
                | FaultKind::LatePublish
        )
    }
}

/// Whether the input is whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Partial {
    Complete,
    /// The faulty service's spans are in no request of the input (its exporter is not collected); the services'
    /// manifests are given.
    PartnerAbsent,
    /// The faulty service's spans are missing from the failing requests only (its exporter dropped them during the
    /// incident); healthy requests show them, no manifests are given.
    PartnerAbsentWhenFailing,
    /// The file ends in the middle of a line (a copy taken while it was written).
    CutMidLine,
}

impl Partial {
    pub const ALL: [Partial; 4] = [
        Partial::Complete,
        Partial::PartnerAbsent,
        Partial::PartnerAbsentWhenFailing,
        Partial::CutMidLine,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Partial::Complete => "complete",
            Partial::PartnerAbsent => "partner-absent",
            Partial::PartnerAbsentWhenFailing => "partner-absent-when-failing",
            Partial::CutMidLine => "cut-mid-line",
        }
    }

    /// Whether this kind of partial input is made for `fault`.
    pub fn applies_to(self, fault: FaultKind) -> bool {
        match self {
            Partial::Complete => true,
            Partial::PartnerAbsent | Partial::PartnerAbsentWhenFailing => fault.in_partner(),
            Partial::CutMidLine => matches!(
                fault,
                FaultKind::Healthy
                    | FaultKind::MissingPublish
                    | FaultKind::SyncError
                    | FaultKind::Timeout
            ),
        }
    }
}

/// What to generate: one file of `healthy` healthy and `faulty` faulty requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    pub profile: Profile,
    pub topology: Topology,
    pub fault: FaultKind,
    pub partial: Partial,
    pub seed: u64,
    pub healthy: usize,
    pub faulty: usize,
}

/// One request of a case and what was put into it.
#[derive(Clone, Debug, PartialEq)]
pub struct Labelled {
    pub trace_id: String,
    /// `Healthy` for the healthy requests of a case.
    pub fault: FaultKind,
    /// The service and span name (as the profile writes it) the fault was injected into.
    pub service: Option<String>,
    pub span: Option<String>,
    /// Whether that span is in the input.
    pub span_present: bool,
    /// How many of the request's spans are in the input, of how many it has.
    pub spans_present: usize,
    pub spans: usize,
}

impl Labelled {
    pub fn complete(&self) -> bool {
        self.spans_present == self.spans
    }

    pub fn present(&self) -> bool {
        self.spans_present > 0
    }
}

/// A generated input with its labels.
#[derive(Clone, Debug)]
pub struct Case {
    pub spec: Spec,
    /// `profile/topology/fault/partial`.
    pub name: String,
    /// The file name the input is read under (reports name it).
    pub file: String,
    /// OTLP/JSON lines: one line per service and trace, in the order the services' exporters sent them.
    pub traces: Vec<u8>,
    /// The services' manifests, when the case gives them.
    pub expectations: Expectations,
    pub requests: Vec<Labelled>,
    /// The service whose spans were taken out.
    pub absent: Option<String>,
    /// The 1-based line the file was cut in.
    pub cut_line: Option<usize>,
}

/// 2026-11-26T09:00:00Z.
const EPOCH_NS: u64 = 1_795_683_600_000_000_000;
/// The front proxy's route timeout.
const ROUTE_TIMEOUT: u64 = 3000 * MS;

/// Every case of the grid: each profile, topology and fault, complete and in the partial forms that apply.
pub fn specs(seed: u64, healthy: usize, faulty: usize) -> Vec<Spec> {
    let mut out = Vec::new();
    for profile in Profile::ALL {
        for topology in Topology::ALL {
            for fault in FaultKind::ALL {
                for partial in Partial::ALL {
                    if partial.applies_to(fault) {
                        out.push(Spec {
                            profile,
                            topology,
                            fault,
                            partial,
                            seed,
                            healthy,
                            faulty,
                        });
                    }
                }
            }
        }
    }
    out
}

/// Generates one case.
pub fn case(spec: &Spec) -> Case {
    let Spec {
        profile,
        topology,
        fault,
        partial,
        ..
    } = *spec;
    let mut rng = Rng(spec.seed.wrapping_mul(0x2545_F491_4F6C_DD1D).wrapping_add(
        (profile as u64) << 24 | (topology as u64) << 16 | (fault as u64) << 8 | partial as u64,
    ));
    let faulty = if fault == FaultKind::Healthy {
        0
    } else {
        spec.faulty
    };
    let total = spec.healthy + faulty;
    let mut requests: Vec<(Vec<Node>, FaultKind)> = Vec::new();
    for i in 0..total {
        // Faulty requests spread evenly among the healthy ones.
        let is_faulty = (i + 1) * faulty / total.max(1) > i * faulty / total.max(1);
        let injected = if is_faulty { fault } else { FaultKind::Healthy };
        let start = EPOCH_NS + i as u64 * 300 * MS + rng.between(0, 20 * MS);
        let trace = u128::from(rng.next()) << 64 | u128::from(rng.next());
        let mut r = Request {
            rng: &mut rng,
            trace,
            nodes: Vec::new(),
            link_kafka_consumers: matches!(profile, Profile::JavaAgent | Profile::EnvoyFront),
        };
        build(&mut r, profile, topology, start, injected);
        requests.push((r.nodes, injected));
    }

    // The partner whose spans a partial input lacks: where the fault was injected.
    let absent = match partial {
        Partial::PartnerAbsent | Partial::PartnerAbsentWhenFailing => requests
            .iter()
            .flat_map(|(nodes, _)| nodes)
            .find(|n| n.label)
            .map(|n| n.service),
        _ => None,
    };
    let mut labelled = Vec::new();
    let mut kept: Vec<Vec<Node>> = Vec::new();
    for (nodes, injected) in &requests {
        let label = nodes.iter().find(|n| n.label);
        let drop = |n: &Node| {
            absent == Some(n.service)
                && (partial == Partial::PartnerAbsent || *injected != FaultKind::Healthy)
        };
        let keep: Vec<Node> = nodes.iter().filter(|n| !drop(n)).cloned().collect();
        labelled.push(Labelled {
            trace_id: format!("{:032x}", nodes[0].trace),
            fault: *injected,
            service: label.map(|n| n.service.to_string()),
            span: label.map(|n| profile::name(profile, n)),
            span_present: label.is_some_and(|n| !drop(n)),
            spans_present: keep.len(),
            spans: nodes.len(),
        });
        kept.push(keep);
    }

    // One line per trace and service, in the order the exporters sent them (when the batch's last span ended).
    let mut lines: Vec<(u64, &str, usize, u128, String)> = Vec::new();
    for (index, nodes) in kept.iter().enumerate() {
        let mut batches: Vec<(u128, &'static str)> =
            nodes.iter().map(|n| (n.trace, n.service)).collect();
        batches.sort();
        batches.dedup();
        for (trace, service) in batches {
            let batch: Vec<&Node> = nodes
                .iter()
                .filter(|n| n.trace == trace && n.service == service)
                .collect();
            let end = batch.iter().map(|n| n.end).max().unwrap_or(0);
            let spans: Vec<serde_json::Value> =
                batch.iter().map(|n| profile::span(profile, n)).collect();
            let line = json!({ "resourceSpans": [{
                "resource": { "attributes": profile::otlp_attributes(&[("service.name", json!(service))]) },
                "scopeSpans": [{ "scope": { "name": format!("corpus-{}", profile.name()) }, "spans": spans }],
            }] });
            lines.push((end, service, index, trace, line.to_string()));
        }
    }
    lines.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut cut_line = None;
    if partial == Partial::CutMidLine && !lines.is_empty() {
        let at = lines.len() * 3 / 5;
        let lost: Vec<(usize, &str, u128)> = lines[at..]
            .iter()
            .map(|(_, s, i, t, _)| (*i, *s, *t))
            .collect();
        for (index, service, trace) in lost {
            let gone: Vec<&Node> = kept[index]
                .iter()
                .filter(|n| n.service == service && n.trace == trace)
                .collect();
            let entry = &mut labelled[index];
            entry.spans_present -= gone.len();
            if gone.iter().any(|n| n.label) {
                entry.span_present = false;
            }
        }
        let half = lines[at].4.len() / 2;
        lines[at].4.truncate(half);
        lines.truncate(at + 1);
        cut_line = Some(at + 1);
    }
    let mut traces = Vec::new();
    for (n, (_, _, _, _, line)) in lines.iter().enumerate() {
        if n > 0 {
            traces.push(b'\n');
        }
        traces.extend_from_slice(line.as_bytes());
    }
    if cut_line.is_none() {
        traces.push(b'\n');
    }

    let mut expectations = Expectations::default();
    if partial == Partial::PartnerAbsent {
        for manifest in topology.manifests() {
            expectations.services.push(ServiceExpectations {
                service: manifest.service.to_string(),
                consumes: manifest
                    .consumes
                    .iter()
                    .map(|m| (profile::message_name(profile, m).to_string(), vec![1]))
                    .collect(),
                publishes: manifest
                    .publishes
                    .iter()
                    .map(|(m, after)| {
                        (
                            profile::message_name(profile, m).to_string(),
                            after.map(|a| profile::message_name(profile, &a).to_string()),
                        )
                    })
                    .collect(),
            });
        }
    }
    let name = format!(
        "{}/{}/{}/{}",
        profile.name(),
        topology.name(),
        fault.name(),
        partial.name()
    );
    Case {
        spec: *spec,
        file: format!("{}.jsonl", name.replace('/', "-")),
        name,
        traces,
        expectations,
        requests: labelled,
        absent: absent.map(str::to_string),
        cut_line,
    }
}

/// One request, behind an Envoy proxy in the profile that has one.
fn build(r: &mut Request, profile: Profile, topology: Topology, start: u64, fault: FaultKind) {
    let (upstream, route) = match topology {
        Topology::Checkout => ("gateway", "/checkout"),
        Topology::Rides => ("edge-api", "/rides"),
    };
    let proxy = (profile == Profile::EnvoyFront).then(|| {
        let ingress = r.add(
            None,
            "front-proxy",
            Op::Ingress {
                route,
                status: 200,
                flags: "-",
            },
            start,
            0,
        );
        let egress = r.add(
            Some(ingress),
            "front-proxy",
            Op::Egress {
                upstream,
                route,
                status: 200,
                flags: "-",
            },
            start + MS / 5,
            0,
        );
        (ingress, egress)
    });
    let at = if proxy.is_some() { start + MS } else { start };
    let entry = match topology {
        Topology::Checkout => checkout::build(r, proxy.map(|p| p.1), at, fault),
        Topology::Rides => rides::build(r, proxy.map(|p| p.1), at, fault),
    };
    let Some((ingress, egress)) = proxy else {
        return;
    };
    let status = match r.nodes[entry].op {
        Op::Server { status, .. } => status,
        _ => 500,
    };
    let answered = r.nodes[entry].end;
    for (node, offset) in [(egress, MS / 2), (ingress, MS)] {
        if answered + offset > start + ROUTE_TIMEOUT {
            // The route timeout fires while the entry service is still working.
            r.nodes[node].end = start + ROUTE_TIMEOUT + offset / 2;
            set_proxy(&mut r.nodes[node].op, 504, "UT");
            r.nodes[node].outcome = Outcome::Failed {
                exception: "UpstreamTimeout",
                message: "upstream request timeout".into(),
            };
        } else {
            r.nodes[node].end = answered + offset;
            set_proxy(&mut r.nodes[node].op, status, "-");
        }
    }
}

fn set_proxy(op: &mut Op, code: u16, response_flags: &'static str) {
    if let Op::Ingress { status, flags, .. } | Op::Egress { status, flags, .. } = op {
        *status = code;
        *flags = response_flags;
    }
}
