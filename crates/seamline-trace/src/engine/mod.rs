//! Streaming analysis. Spans arrive in file order; a trace is analysed once the stream has moved a window past
//! its last span (so the traces its messages started have arrived too) and dropped a window later. Memory holds
//! the traces of about two windows, not the file.
//!
//! The requests of a sweep are analysed on several threads (`parallel.rs`); `repair.rs` mends a trace's spans
//! before it becomes a graph, and `learn.rs` is what a request that succeeded teaches.

mod learn;
mod parallel;
mod repair;

use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::diagnose::{self, Context};
use crate::expect::{Expectations, Learned};
use crate::failing_together::FailingTogether;
use crate::graph::{Graph, Repairs};
use crate::messaging::{self, Role};
use crate::model::{LogRecord, Span, SpanId, TraceId};
use crate::read::{ReadReport, Sink};
use crate::report::{CauseKind, Evidence, EvidenceKind, Report, Totals, TraceDiagnosis};
use crate::versions::Versions;

/// How to analyse.
#[derive(Clone, Debug)]
pub struct Config {
    pub expectations: Expectations,
    /// The span attribute holding a message's schema version.
    pub version_attribute: String,
    /// How long after a trace's last span to wait for the traces it started, in nanoseconds of trace time.
    pub window_ns: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            expectations: Expectations::default(),
            version_attribute: messaging::DEFAULT_VERSION_ATTRIBUTE.to_string(),
            window_ns: 30_000_000_000,
        }
    }
}

#[derive(Default)]
struct Live {
    spans: Vec<Span>,
    logs: Vec<LogRecord>,
    last_end: u64,
    analysed: bool,
    /// Whether the engine has repaired the spans (merged halves, placed untimed spans), and what it repaired that
    /// no analysis has reported yet.
    repaired: bool,
    unreported: (u64, u64),
    /// Whether the request this trace starts is recorded in `failing_together`.
    surveyed: bool,
    /// The message ids and conversation ids its messaging spans carry (the keys it is indexed under), read once.
    message_ids: Vec<Box<str>>,
    conversations: Vec<Box<str>>,
}

/// A request taken for analysis: the trace that starts it, the traces joined to it, what was repaired in them, and
/// whether it may teach (a request examined again does not teach twice).
struct Job {
    trace: TraceId,
    group: Vec<TraceId>,
    untimed: u64,
    merged: u64,
    teach: bool,
}

/// What the analysis of one request found, to be counted and kept in the order the requests started.
struct Outcome {
    repairs: Repairs,
    /// `None` when no span of the request's own trace is a root (nothing to analyse).
    request: Option<Request>,
}

struct Request {
    first_trace: TraceId,
    /// Whether its root span is in the input.
    whole: bool,
    /// Without its root: whether its longest part failed.
    top_failed: bool,
    diagnosis: Option<TraceDiagnosis>,
    route: String,
    /// A healthy request's span signatures, sorted, each once.
    signatures: Vec<String>,
}

/// Healthy requests of one route: how many, and how often each span signature appeared.
#[derive(Default)]
struct Healthy {
    count: u32,
    signatures: FxHashMap<String, u32>,
}

pub struct Engine {
    config: Config,
    live: FxHashMap<TraceId, Live>,
    /// Traces whose spans link to a given producer span.
    linked_from: FxHashMap<(TraceId, SpanId), Vec<TraceId>>,
    by_message_id: FxHashMap<Box<str>, Vec<TraceId>>,
    by_conversation: FxHashMap<Box<str>, Vec<TraceId>>,
    done: FxHashSet<TraceId>,
    clock: u64,
    since_sweep: u32,
    learned: Learned,
    /// Which calls failed together in the failing requests of each route.
    failing_together: FailingTogether,
    healthy: FxHashMap<String, Healthy>,
    diagnoses: Vec<TraceDiagnosis>,
    pub versions: Versions,
    totals: Totals,
    /// Logs for traces not seen yet (logs files are often read before the traces).
    early_logs: FxHashMap<TraceId, Vec<LogRecord>>,
    peak_live_spans: usize,
    live_spans: usize,
    repairs: Repairs,
    /// Every service that wrote a span, so a host name a client called is not taken for a service.
    services: FxHashSet<Arc<str>>,
    /// Every message name (without version) a messaging span carried, so a wait can be matched to one by name.
    messages: FxHashSet<Box<str>>,
    /// Requests whose root span is not in the input: counted neither as healthy nor as failed.
    rootless: u64,
    rootless_examples: Vec<String>,
    /// Threads that analyse the requests of a sweep, the caller's among them.
    threads: usize,
}

/// Requests with more joined traces than this are cut (a conversation id shared by a whole batch job).
const MAX_GROUP: usize = 64;
const SWEEP_EVERY: u32 = 4096;
/// Services and message names remembered at most (they are few; a cap keeps a hostile input from growing the sets
/// without end).
const MAX_NAMES: usize = 10_000;

impl Engine {
    pub fn new(config: Config) -> Engine {
        let versions = Versions::new(config.version_attribute.clone());
        Engine {
            config,
            live: FxHashMap::default(),
            linked_from: FxHashMap::default(),
            by_message_id: FxHashMap::default(),
            by_conversation: FxHashMap::default(),
            done: FxHashSet::default(),
            clock: 0,
            since_sweep: 0,
            learned: Learned::default(),
            failing_together: FailingTogether::default(),
            healthy: FxHashMap::default(),
            diagnoses: Vec::new(),
            versions,
            totals: Totals::default(),
            early_logs: FxHashMap::default(),
            peak_live_spans: 0,
            live_spans: 0,
            repairs: Repairs::default(),
            services: FxHashSet::default(),
            messages: FxHashSet::default(),
            rootless: 0,
            rootless_examples: Vec::new(),
            threads: std::thread::available_parallelism().map_or(1, usize::from),
        }
    }

    /// Analyses the requests of a sweep on `threads` threads, the caller's among them: 0 (the default) one per
    /// core, 1 the caller's alone. The report is the same on any number.
    pub fn with_threads(mut self, threads: usize) -> Engine {
        self.threads = match threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        self
    }

    /// The most spans held at once: what the window costs in memory.
    pub fn peak_live_spans(&self) -> usize {
        self.peak_live_spans
    }

    /// Indexes a span's links, and the ids of its message when it plays a part in moving one (`role`).
    fn index(&mut self, span: &Span, role: Option<Role>) {
        for link in &span.links {
            self.linked_from
                .entry((link.trace_id, link.span_id))
                .or_default()
                .push(span.trace_id);
        }
        if role.is_none() {
            return;
        }
        let message_id = messaging::message_id(span).map(Box::<str>::from);
        let conversation = messaging::conversation_id(span).map(Box::<str>::from);
        if message_id.is_none() && conversation.is_none() {
            return;
        }
        let live = self.live.entry(span.trace_id).or_default();
        if let Some(id) = message_id {
            self.by_message_id
                .entry(id.clone())
                .or_default()
                .push(span.trace_id);
            live.message_ids.push(id);
        }
        if let Some(id) = conversation {
            self.by_conversation
                .entry(id.clone())
                .or_default()
                .push(span.trace_id);
            live.conversations.push(id);
        }
    }

    fn unindex(&mut self, live: &Live) {
        for span in &live.spans {
            for link in &span.links {
                self.linked_from.remove(&(link.trace_id, link.span_id));
            }
        }
        for id in &live.message_ids {
            self.by_message_id.remove(id);
        }
        for id in &live.conversations {
            self.by_conversation.remove(id);
        }
    }

    /// The traces joined to `start` through messages, `start` first.
    fn group(&self, start: TraceId) -> Vec<TraceId> {
        let mut group = vec![start];
        let mut i = 0;
        while i < group.len() && group.len() < MAX_GROUP {
            let Some(live) = self.live.get(&group[i]) else {
                i += 1;
                continue;
            };
            let mut joined: Vec<TraceId> = Vec::new();
            for span in &live.spans {
                if let Some(traces) = self.linked_from.get(&(span.trace_id, span.span_id)) {
                    joined.extend(traces);
                }
            }
            for id in &live.message_ids {
                joined.extend(self.by_message_id.get(id).into_iter().flatten());
            }
            for id in &live.conversations {
                joined.extend(self.by_conversation.get(id).into_iter().flatten());
            }
            for trace in joined {
                if !group.contains(&trace)
                    && self.live.contains_key(&trace)
                    && group.len() < MAX_GROUP
                {
                    group.push(trace);
                }
            }
            i += 1;
        }
        group
    }

    /// Whether a trace continues another one (its root consumes a message a live trace produced).
    fn is_continuation(&self, trace: TraceId) -> bool {
        let Some(live) = self.live.get(&trace) else {
            return false;
        };
        let ids: FxHashSet<SpanId> = live.spans.iter().map(|s| s.span_id).collect();
        live.spans
            .iter()
            .filter(|s| s.parent_id.is_none_or(|p| !ids.contains(&p)))
            .any(|root| {
                let waiting =
                    |t: &TraceId| *t != trace && self.live.get(t).is_some_and(|l| !l.analysed);
                root.links.iter().any(|l| waiting(&l.trace_id))
                    || (matches!(messaging::role(root), Some(Role::Consumer | Role::Receive))
                        && messaging::message_id(root).is_some_and(|id| {
                            self.by_message_id
                                .get(id)
                                .is_some_and(|ts| ts.iter().any(waiting))
                        }))
            })
    }
    /// Whether `trace` is live and not analysed yet.
    fn pending(&self, trace: TraceId) -> bool {
        self.live.get(&trace).is_some_and(|l| !l.analysed)
    }

    /// Whether the request `trace` starts succeeded, by its root span: one that did not (its root failed, or is not
    /// in the input) is left for after the requests that succeeded have taught.
    fn root_succeeded(&self, trace: TraceId) -> bool {
        self.live.get(&trace).is_some_and(|live| {
            let mut roots = live.spans.iter().filter(|s| s.parent_id.is_none());
            roots.next().is_some_and(|root| {
                !root.is_error() && root.http_status().is_none_or(|code| code < 400)
            })
        })
    }

    /// Takes the request that starts `trace` for analysis: its traces are repaired and marked analysed, so no later
    /// request takes them again.
    fn take(&mut self, trace: TraceId, teach: bool) -> Job {
        let group = self.group(trace);
        self.repair(&group);
        let (mut untimed, mut merged) = (0, 0);
        for t in &group {
            if let Some(live) = self.live.get_mut(t) {
                live.analysed = true;
                let (u, m) = std::mem::take(&mut live.unreported);
                untimed += u;
                merged += m;
            }
        }
        Job {
            trace,
            group,
            untimed,
            merged,
            teach,
        }
    }

    /// Builds a request's graph and diagnoses it (on any thread: it reads the engine and changes nothing but
    /// `learned`, the thread's own tally of what requests that succeeded teach).
    fn examine(&self, job: &Job, learned: &mut Learned) -> Outcome {
        let parts: Vec<(&[Span], &[LogRecord])> = job
            .group
            .iter()
            .filter_map(|t| self.live.get(t))
            .map(|l| (l.spans.as_slice(), l.logs.as_slice()))
            .collect();
        let mut graph = Graph::build(&parts);
        graph.repairs.untimed = job.untimed;
        graph.repairs.merged = job.merged;
        let repairs = graph.repairs.clone();
        let cx = Context {
            expectations: &self.config.expectations,
            learned: &self.learned,
            failing_together: &self.failing_together,
            version_attribute: &self.config.version_attribute,
            services: &self.services,
            messages: &self.messages,
        };
        // A trace is one request. Its spans usually hang from one root; when the input lacks some of them (another
        // service's spans, a cut file) the rest fall apart into fragments, each a root of its own. They are still
        // one request: it is diagnosed from its true root (a span without a parent) when it has one, else from its
        // earliest fragment, and a fragment is diagnosed only when everything before it is healthy. Roots of joined
        // traces hang under their producers unless their producer is missing, and then they are requests of their
        // own (analysed with their own trace).
        let roots = request_roots(&graph, job.trace);
        let Some(&primary) = roots.first() else {
            return Outcome {
                repairs,
                request: None,
            };
        };
        let whole = graph.spans[primary].parent_id.is_none();
        let diagnosis = if whole {
            roots
                .iter()
                .find_map(|&root| diagnose::diagnose(&graph, &cx, root))
        } else {
            // Fragments without their root: the first whose cause is not a failure requests survive elsewhere.
            let found: Vec<TraceDiagnosis> = roots
                .iter()
                .filter_map(|&root| diagnose::diagnose(&graph, &cx, root))
                .collect();
            let tolerated = |d: &TraceDiagnosis| {
                let id = d.root_cause.span_id.as_deref();
                graph
                    .spans
                    .iter()
                    .position(|s| Some(s.span_id.to_string().as_str()) == id)
                    .is_some_and(|n| {
                        self.learned
                            .tolerates_anywhere(&diagnose::tolerated_key(&graph, n))
                    })
            };
            let chosen = found.iter().position(|d| !tolerated(d)).unwrap_or(0);
            found.into_iter().nth(chosen)
        };
        // A request that succeeded teaches what should happen, also when something inside it failed and was done
        // without (that failure is remembered as one the route survives). Only a request whose root is in the
        // input counts: a fragment says nothing of how its request ended.
        let succeeded = whole
            && diagnosis
                .as_ref()
                .is_none_or(|d| !d.request_failed && d.root_cause.kind == CauseKind::NonFatal);
        let members: Vec<usize> = roots.iter().flat_map(|&r| graph.descendants(r)).collect();
        let route = diagnose::route(graph.spans[primary]);
        if succeeded && job.teach {
            learn::learn(
                learned,
                &self.config.version_attribute,
                &graph,
                &members,
                &route,
            );
        }
        // A request without its root is judged by its longest part, the closest to the missing root: a tolerated
        // failure in a short fragment does not make a request failed.
        let top_failed = !whole && {
            let top = roots
                .iter()
                .copied()
                .max_by_key(|&r| graph.spans[r].duration_ns())
                .unwrap_or(primary);
            let top = graph.spans[top];
            top.is_error() || top.http_status().is_some_and(|code| code >= 500)
        };
        let mut signatures = Vec::new();
        if whole && diagnosis.is_none() {
            signatures = members
                .iter()
                .map(|&m| diagnose::signature(graph.spans[m]))
                .collect();
            signatures.sort_unstable();
            signatures.dedup();
        }
        Outcome {
            repairs,
            request: Some(Request {
                first_trace: job.trace,
                whole,
                top_failed,
                diagnosis,
                route,
                signatures,
            }),
        }
    }

    /// Counts and keeps what the analysis of one request found.
    fn apply(&mut self, outcome: Outcome) {
        self.repairs.add(&outcome.repairs);
        let Some(request) = outcome.request else {
            return;
        };
        self.totals.requests += 1;
        if !request.whole
            || request
                .diagnosis
                .as_ref()
                .is_some_and(|d| d.incomplete.is_some())
        {
            self.totals.incomplete_requests += 1;
        }
        if !request.whole {
            // A request without its root is never counted as healthy, and is marked incomplete.
            self.rootless += 1;
            if self.rootless_examples.len() < 3 {
                self.rootless_examples.push(request.first_trace.to_string());
            }
            if let Some(mut d) = request.diagnosis {
                d.request_failed = request.top_failed;
                if request.top_failed {
                    self.totals.failing_requests += 1;
                }
                self.diagnoses.push(d);
            }
        } else if let Some(d) = request.diagnosis {
            if d.request_failed {
                self.totals.failing_requests += 1;
            }
            self.diagnoses.push(d);
        } else {
            self.totals.healthy_requests += 1;
            let entry = self.healthy.entry(request.route).or_default();
            entry.count += 1;
            for sig in request.signatures {
                match entry.signatures.get_mut(&sig) {
                    Some(n) => *n += 1,
                    None => {
                        entry.signatures.insert(sig, 1);
                    }
                }
            }
        }
    }

    /// Examines `jobs` on the engine's threads; what they taught is added to `learned` once all are done.
    fn examine_all(&mut self, jobs: &[Job]) -> Vec<Outcome> {
        let this = &*self;
        let (outcomes, taught) =
            parallel::map_in_order(this.threads, jobs, Learned::default, |learned, job| {
                this.examine(job, learned)
            });
        for part in taught {
            self.learned.merge(part);
        }
        outcomes
    }

    /// Merges the halves of shared spans and places untimed spans in the traces of a group, once each; what was
    /// repaired is reported by the analysis that takes the trace.
    fn repair(&mut self, group: &[TraceId]) {
        for t in group {
            if let Some(live) = self.live.get_mut(t)
                && !live.repaired
            {
                live.repaired = true;
                let merged = repair::merge_halves(&mut live.spans);
                let untimed = repair::repair_times(&mut live.spans);
                live.unreported = (untimed, merged);
            }
        }
    }

    /// The calls that failed in the request `trace` starts, with its route, when its root is in the input and
    /// failed, so the failing requests of a route can be compared with one another before any of them is diagnosed.
    fn failing_calls(&self, group: &[TraceId], trace: TraceId) -> Option<(String, Vec<String>)> {
        let parts: Vec<(&[Span], &[LogRecord])> = group
            .iter()
            .filter_map(|t| self.live.get(t))
            .map(|l| (l.spans.as_slice(), l.logs.as_slice()))
            .collect();
        let graph = Graph::build(&parts);
        let &root = request_roots(&graph, trace).first()?;
        let root_span = graph.spans[root];
        let failed = root_span.is_error() || root_span.http_status().is_some_and(|s| s >= 500);
        if root_span.parent_id.is_some() || !failed {
            return None;
        }
        let mut calls: Vec<String> = graph
            .descendants(root)
            .into_iter()
            .filter(|&m| m != root && graph.spans[m].is_error())
            .map(|m| diagnose::failure_key(&graph, m))
            .collect();
        calls.sort();
        calls.dedup();
        Some((diagnose::route(root_span), calls))
    }

    /// Analyses the requests whose traces the stream has moved a window past (every live one with `force`), in
    /// three rounds: the requests that succeeded teach; the failing calls of every failing request are recorded;
    /// then every other request is diagnosed, and the requests that succeeded with a failure inside (diagnosed as
    /// non-fatal) with them, so each diagnosis of a batch knows all the batch taught. Within a round the requests
    /// are analysed on the engine's threads, and their results applied in the order the requests started.
    fn sweep(&mut self, force: bool) {
        let window = self.config.window_ns;
        let clock = self.clock;
        let mut ready: Vec<(u64, TraceId)> = self
            .live
            .iter()
            .filter(|(_, l)| !l.analysed && (force || l.last_end.saturating_add(window) < clock))
            .map(|(t, l)| (l.spans.iter().map(|s| s.start_ns).min().unwrap_or(0), *t))
            .collect();
        ready.sort();
        // Which requests are taken, and in which order, is decided here on one thread: a trace joined to an earlier
        // request is part of it, not a request of its own.
        let mut jobs = Vec::new();
        for &(_, trace) in &ready {
            if self.pending(trace) && self.root_succeeded(trace) && !self.is_continuation(trace) {
                jobs.push(self.take(trace, true));
            }
        }
        let outcomes = self.examine_all(&jobs);
        let mut later = Vec::new();
        for (mut job, outcome) in jobs.into_iter().zip(outcomes) {
            if outcome
                .request
                .as_ref()
                .is_some_and(|r| r.diagnosis.is_some())
            {
                // Diagnosed again below, with what the whole batch taught; it has taught already.
                job.teach = false;
                later.push(job);
            } else {
                self.apply(outcome);
            }
        }
        // Every failing request of the batch is recorded before any is diagnosed, so the first of a route is
        // compared with the last as well as the last with the first.
        let mut surveyed = Vec::new();
        for &(_, trace) in &ready {
            if self.pending(trace)
                && !self.is_continuation(trace)
                && let Some(live) = self.live.get_mut(&trace)
                && !live.surveyed
            {
                live.surveyed = true;
                let group = self.group(trace);
                self.repair(&group);
                surveyed.push((group, trace));
            }
        }
        let this = &*self;
        let (calls, _) = parallel::map_in_order(
            this.threads,
            &surveyed,
            || (),
            |(), (group, trace)| this.failing_calls(group, *trace),
        );
        for (route, calls) in calls.into_iter().flatten() {
            self.failing_together.record(&route, &calls);
        }
        for &(_, trace) in &ready {
            if self.pending(trace) && !self.is_continuation(trace) {
                later.push(self.take(trace, true));
            }
        }
        for outcome in self.examine_all(&later) {
            self.apply(outcome);
        }
        if force {
            // Continuations whose producer never became a request of its own.
            let mut rest = Vec::new();
            for &(_, trace) in &ready {
                if self.pending(trace) {
                    rest.push(self.take(trace, true));
                }
            }
            for outcome in self.examine_all(&rest) {
                self.apply(outcome);
            }
        }
        let expired: Vec<TraceId> = self
            .live
            .iter()
            .filter(|(_, l)| force || (l.analysed && l.last_end.saturating_add(2 * window) < clock))
            .map(|(t, _)| *t)
            .collect();
        for trace in expired {
            if let Some(live) = self.live.remove(&trace) {
                self.live_spans -= live.spans.len();
                self.unindex(&live);
                self.done.insert(trace);
            }
        }
    }

    /// Analyses what is left and reports.
    pub fn finish(mut self, read: &ReadReport) -> Report {
        self.sweep(true);
        self.totals.spans = read.spans;
        self.totals.logs = read.logs;
        self.totals.skipped = read.skipped_total();
        self.totals.traces = self.done.len() as u64;
        let mut diagnoses = std::mem::take(&mut self.diagnoses);
        diagnoses.sort_by(|a, b| {
            a.start_ns
                .cmp(&b.start_ns)
                .then_with(|| a.trace_id.cmp(&b.trace_id))
        });
        self.compare_with_healthy(&mut diagnoses);
        let mut notes = self.repairs.describe();
        for (reason, count) in &read.skipped {
            notes.push(format!(
                "skipped {count} item(s): {reason}{}",
                read.where_skipped(reason)
            ));
        }
        if self.rootless > 0 {
            notes.push(format!(
                "{} request(s) have no root span in the input (a file cut short, or a service's spans not exported): \
                 they are marked incomplete, judged by their longest part, and never counted as healthy (trace {}{})",
                self.rootless,
                self.rootless_examples.join(", "),
                if self.rootless > self.rootless_examples.len() as u64 {
                    ", …"
                } else {
                    ""
                }
            ));
        }
        if self.totals.late_spans > 0 {
            notes.push(format!(
                "{} span(s) arrived more than the window after the rest of their trace and were left out; raise \
                 --window",
                self.totals.late_spans
            ));
        }
        Report {
            totals: self.totals,
            aggregate: Report::aggregate(&diagnoses),
            traces: diagnoses,
            input_notes: notes,
        }
    }

    /// What every healthy request of the route has and this one lacks.
    fn compare_with_healthy(&self, diagnoses: &mut [TraceDiagnosis]) {
        for d in diagnoses.iter_mut() {
            let Some(healthy) = self.healthy.get(&d.route) else {
                continue;
            };
            let mut missing: Vec<&str> = healthy
                .signatures
                .iter()
                .filter(|(sig, n)| **n == healthy.count && d.signature.binary_search(sig).is_err())
                .map(|(sig, _)| sig.as_str())
                .collect();
            if missing.is_empty() {
                continue;
            }
            missing.sort();
            let shown: Vec<&str> = missing.iter().take(6).copied().collect();
            let more = if missing.len() > shown.len() {
                format!(" and {} more", missing.len() - shown.len())
            } else {
                String::new()
            };
            d.evidence.push(Evidence {
                kind: EvidenceKind::Healthy,
                text: format!(
                    "all {} healthy request(s) of {} have, and this one lacks: {}{more}",
                    healthy.count,
                    d.route,
                    shown.join("; ")
                ),
                span_id: None,
            });
        }
    }
}

impl Sink for Engine {
    fn span(&mut self, span: Span) {
        if self.done.contains(&span.trace_id) {
            self.totals.late_spans += 1;
            return;
        }
        self.clock = self.clock.max(span.end_ns);
        self.versions.observe(&span);
        let role = messaging::role(&span);
        self.index(&span, role);
        if self.services.len() < MAX_NAMES && !self.services.contains(&span.service) {
            self.services.insert(span.service.clone());
        }
        if self.messages.len() < MAX_NAMES
            && role.is_some()
            && let Some(message) = messaging::message_name(&span).map(messaging::base_name)
            && !self.messages.contains(message)
        {
            self.messages.insert(message.into());
        }
        let trace = span.trace_id;
        let live = self.live.entry(trace).or_default();
        if live.spans.is_empty()
            && let Some(logs) = self.early_logs.remove(&trace)
        {
            live.logs = logs;
        }
        live.last_end = live.last_end.max(span.end_ns);
        live.spans.push(span);
        self.live_spans += 1;
        self.peak_live_spans = self.peak_live_spans.max(self.live_spans);
        self.since_sweep += 1;
        if self.since_sweep >= SWEEP_EVERY {
            self.since_sweep = 0;
            self.sweep(false);
        }
    }

    fn log(&mut self, log: LogRecord) {
        let Some(trace) = log.trace_id else { return };
        match self.live.get_mut(&trace) {
            Some(live) => live.logs.push(log),
            None if !self.done.contains(&trace) => {
                self.early_logs.entry(trace).or_default().push(log)
            }
            None => {}
        }
    }
}

/// The roots of the request that starts with a span of `first_trace`: its true root (a span without a parent)
/// first when the input has it, then the fragments the missing spans left, earliest first.
fn request_roots(graph: &Graph, first_trace: TraceId) -> Vec<usize> {
    let mut roots: Vec<usize> = graph
        .roots
        .iter()
        .copied()
        .filter(|&r| graph.spans[r].trace_id == first_trace)
        .collect();
    roots.sort_by_key(|&r| {
        let span = graph.spans[r];
        (span.parent_id.is_some(), span.start_ns, span.span_id)
    });
    roots
}
