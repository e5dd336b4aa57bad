//! Streaming analysis. Spans arrive in file order; a trace is analysed once the stream has moved a window past
//! its last span (so the traces its messages started have arrived too) and dropped a window later. Memory holds
//! the traces of about two windows, not the file.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::diagnose::{self, Context};
use crate::expect::{Expectations, Learned};
use crate::graph::Graph;
use crate::messaging::{self, Role};
use crate::model::{LogRecord, Span, SpanId, TraceId};
use crate::read::{ReadReport, Sink};
use crate::report::{Evidence, EvidenceKind, Report, Totals, TraceDiagnosis};
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
    healthy: FxHashMap<String, Healthy>,
    diagnoses: Vec<TraceDiagnosis>,
    pub versions: Versions,
    totals: Totals,
    notes: Vec<String>,
    /// Logs for traces not seen yet (logs files are often read before the traces).
    early_logs: FxHashMap<TraceId, Vec<LogRecord>>,
    peak_live_spans: usize,
    live_spans: usize,
}

/// Requests with more joined traces than this are cut (a conversation id shared by a whole batch job).
const MAX_GROUP: usize = 64;
const SWEEP_EVERY: u32 = 4096;

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
            healthy: FxHashMap::default(),
            diagnoses: Vec::new(),
            versions,
            totals: Totals::default(),
            notes: Vec::new(),
            early_logs: FxHashMap::default(),
            peak_live_spans: 0,
            live_spans: 0,
        }
    }

    /// The most spans held at once: what the window costs in memory.
    pub fn peak_live_spans(&self) -> usize {
        self.peak_live_spans
    }

    fn index(&mut self, span: &Span) {
        for link in &span.links {
            self.linked_from.entry((link.trace_id, link.span_id)).or_default().push(span.trace_id);
        }
        if messaging::role(span).is_some() {
            if let Some(id) = messaging::message_id(span) {
                self.by_message_id.entry(id.into()).or_default().push(span.trace_id);
            }
            if let Some(id) = messaging::conversation_id(span) {
                self.by_conversation.entry(id.into()).or_default().push(span.trace_id);
            }
        }
    }

    fn unindex(&mut self, span: &Span) {
        for link in &span.links {
            self.linked_from.remove(&(link.trace_id, link.span_id));
        }
        if let Some(id) = messaging::message_id(span) {
            self.by_message_id.remove(id);
        }
        if let Some(id) = messaging::conversation_id(span) {
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
            for span in &live.spans {
                let mut joined: Vec<TraceId> = Vec::new();
                if let Some(traces) = self.linked_from.get(&(span.trace_id, span.span_id)) {
                    joined.extend(traces);
                }
                if messaging::role(span).is_some() {
                    for (key, index) in [
                        (messaging::message_id(span), &self.by_message_id),
                        (messaging::conversation_id(span), &self.by_conversation),
                    ] {
                        if let Some(traces) = key.and_then(|k| index.get(k)) {
                            joined.extend(traces);
                        }
                    }
                }
                for trace in joined {
                    if !group.contains(&trace) && self.live.contains_key(&trace) && group.len() < MAX_GROUP {
                        group.push(trace);
                    }
                }
            }
            i += 1;
        }
        group
    }

    /// Whether a trace continues another one (its root consumes a message a live trace produced).
    fn is_continuation(&self, trace: TraceId) -> bool {
        let Some(live) = self.live.get(&trace) else { return false };
        let ids: FxHashSet<SpanId> = live.spans.iter().map(|s| s.span_id).collect();
        live.spans.iter().filter(|s| s.parent_id.is_none_or(|p| !ids.contains(&p))).any(|root| {
            let waiting = |t: &TraceId| *t != trace && self.live.get(t).is_some_and(|l| !l.analysed);
            root.links.iter().any(|l| waiting(&l.trace_id))
                || (matches!(messaging::role(root), Some(Role::Consumer | Role::Receive))
                    && messaging::message_id(root)
                        .is_some_and(|id| self.by_message_id.get(id).is_some_and(|ts| ts.iter().any(waiting))))
        })
    }

    /// Analyses the request that starts `trace`. With `healthy_only`, a request with any failure is left for
    /// later, so a batch learns from its healthy requests before it diagnoses the others.
    fn analyse(&mut self, trace: TraceId, healthy_only: bool) {
        let group = self.group(trace);
        if healthy_only {
            let failing = group.iter().filter_map(|t| self.live.get(t)).flat_map(|l| &l.spans).any(|s| {
                s.is_error() || s.http_status().is_some_and(|code| code >= 400)
            });
            if failing {
                return;
            }
        }
        for t in &group {
            if let Some(live) = self.live.get_mut(t) {
                live.analysed = true;
            }
        }
        let Some(first) = self.live.get(&trace) else { return };
        let parts: Vec<(&[Span], &[LogRecord])> = group
            .iter()
            .filter_map(|t| self.live.get(t))
            .map(|l| (l.spans.as_slice(), l.logs.as_slice()))
            .collect();
        let graph = Graph::build(&parts);
        let cx = Context {
            expectations: &self.config.expectations,
            learned: &self.learned,
            version_attribute: &self.config.version_attribute,
        };
        // The requests are the roots of the first trace; roots of joined traces hang under their producers
        // unless their producer is missing, and then they are requests of their own.
        let roots: Vec<usize> = graph.roots.iter().copied().filter(|&r| graph.spans[r].trace_id == first.spans[0].trace_id).collect();
        let mut results = Vec::new();
        let mut healthy = Vec::new();
        for root in roots {
            self.totals.requests += 1;
            match diagnose::diagnose(&graph, &cx, root) {
                Some(d) => results.push(d),
                None => healthy.push(root),
            }
        }
        for root in healthy {
            self.totals.healthy_requests += 1;
            let members = graph.descendants(root);
            let entry = self.healthy.entry(diagnose::route(graph.spans[root])).or_default();
            entry.count += 1;
            let mut seen = FxHashSet::default();
            for &m in &members {
                let sig = diagnose::signature(graph.spans[m]);
                if seen.insert(sig.clone()) {
                    *entry.signatures.entry(sig).or_default() += 1;
                }
            }
            for &m in &members {
                let span = graph.spans[m];
                if messaging::role(span) != Some(Role::Producer) || !diagnose::is_ok(span) {
                    continue;
                }
                let Some(message) = messaging::message_name(span) else { continue };
                // The message this publisher had consumed just before: the nearest consuming ancestor.
                let trigger = graph
                    .ancestry(m)
                    .into_iter()
                    .rev()
                    .skip(1)
                    .map(|a| graph.spans[a])
                    .find(|a| a.service == span.service && messaging::role(a) == Some(Role::Consumer))
                    .and_then(messaging::message_name);
                self.learned.record(message, &span.service, trigger);
                if let Some(key) = span.attr_str(messaging::ROUTING_KEY) {
                    self.learned.record_routing_key(message, key);
                }
            }
        }
        for d in &results {
            if d.request_failed {
                self.totals.failing_requests += 1;
            }
        }
        self.diagnoses.extend(results);
    }

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
        for healthy_only in [true, false] {
            for (_, trace) in &ready {
                if self.live.get(trace).is_some_and(|l| !l.analysed) && !self.is_continuation(*trace) {
                    self.analyse(*trace, healthy_only);
                }
            }
        }
        if force {
            // Continuations whose producer never became a request of its own.
            for (_, trace) in ready {
                if self.live.get(&trace).is_some_and(|l| !l.analysed) {
                    self.analyse(trace, false);
                }
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
                for span in &live.spans {
                    self.unindex(span);
                }
                self.done.insert(trace);
            }
        }
    }

    /// Analyses what is left and reports.
    pub fn finish(mut self, read: &ReadReport, repairs_and_notes: Vec<String>) -> Report {
        self.sweep(true);
        self.totals.spans = read.spans;
        self.totals.logs = read.logs;
        self.totals.skipped = read.skipped_total();
        self.totals.traces = self.done.len() as u64;
        let mut diagnoses = std::mem::take(&mut self.diagnoses);
        diagnoses.sort_by(|a, b| a.start_ns.cmp(&b.start_ns).then_with(|| a.trace_id.cmp(&b.trace_id)));
        self.compare_with_healthy(&mut diagnoses);
        let mut notes = repairs_and_notes;
        for (reason, count) in &read.skipped {
            notes.push(format!("skipped {count} item(s): {reason}"));
        }
        if self.totals.late_spans > 0 {
            notes.push(format!(
                "{} span(s) arrived more than the window after the rest of their trace and were left out; raise \
                 --window",
                self.totals.late_spans
            ));
        }
        notes.append(&mut self.notes);
        Report { totals: self.totals, aggregate: Report::aggregate(&diagnoses), traces: diagnoses, input_notes: notes }
    }

    /// What every healthy request of the route has and this one lacks.
    fn compare_with_healthy(&self, diagnoses: &mut [TraceDiagnosis]) {
        for d in diagnoses.iter_mut() {
            let Some(healthy) = self.healthy.get(&d.route) else { continue };
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
            let more = if missing.len() > shown.len() { format!(" and {} more", missing.len() - shown.len()) } else { String::new() };
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
        self.index(&span);
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
            None if !self.done.contains(&trace) => self.early_logs.entry(trace).or_default().push(log),
            None => {}
        }
    }
}
