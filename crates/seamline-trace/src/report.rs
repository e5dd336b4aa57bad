//! What diagnosis produces: per failing trace a root cause, ranked candidates, evidence and the failing path; and
//! an aggregate over all of them. These types are the JSON output (documented in
//! `docs/schemas/trace-diagnosis.schema.json`), so their shape is a promise.

use serde::Serialize;

/// The kinds of root cause diagnosis tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CauseKind {
    /// A span failed on its own; everything above it failed because of it.
    ErrorOrigin,
    /// A caller gave up waiting on a dependency that was slow, not failing: the timeout is a symptom.
    MaskedTimeout,
    /// A service consumed the message that should have made it publish another, and published nothing.
    MissingPublish,
    /// A message was published but no consumer received it (wrong routing key or exchange, no binding).
    UnconsumedPublish,
    /// A consumer rejected or dead-lettered a message (a schema version it does not accept, invalid payload).
    MessageRejected,
    /// Every attempt of a retried call failed.
    RetriesExhausted,
    /// The request failed with a 4xx: the caller's input, not a fault inside.
    ClientError,
    /// Something failed but the request succeeded.
    NonFatal,
    /// The request failed and nothing in the input explains why.
    Unknown,
}

impl CauseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CauseKind::ErrorOrigin => "error_origin",
            CauseKind::MaskedTimeout => "masked_timeout",
            CauseKind::MissingPublish => "missing_publish",
            CauseKind::UnconsumedPublish => "unconsumed_publish",
            CauseKind::MessageRejected => "message_rejected",
            CauseKind::RetriesExhausted => "retries_exhausted",
            CauseKind::ClientError => "client_error",
            CauseKind::NonFatal => "non_fatal",
            CauseKind::Unknown => "unknown",
        }
    }
}

/// A span (or a span that should exist) put forward as the cause.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    pub kind: CauseKind,
    pub service: String,
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    pub span_name: Option<String>,
    /// How strongly the evidence points here, 0 to 1; candidates are sorted by it.
    pub score: f64,
    /// One sentence, the same for every trace with the same cause, so traces can be counted together.
    pub headline: String,
    /// The sentence with this trace's particulars (timings, error text).
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// What a span recorded.
    Span,
    /// What a `seam.toml` declares.
    Manifest,
    /// What healthy traces of the same route show.
    Healthy,
    /// What the other failing requests of the same route show.
    Failing,
    /// Retries and redeliveries.
    Retry,
    /// A correlated log line.
    Log,
    /// A repair of broken input (orphans, cycles, skew).
    Input,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    pub kind: EvidenceKind,
    pub text: String,
    pub span_id: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    RootCause,
    Symptom,
    Candidate,
    /// A span the manifests or healthy traces expect here and the trace does not have.
    Missing,
}

/// One line of the failing path.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PathNode {
    pub depth: usize,
    pub service: String,
    pub name: String,
    pub kind: String,
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    /// Milliseconds from the start of the request.
    pub start_ms: f64,
    pub duration_ms: f64,
    /// `ok`, `error`, or the HTTP status.
    pub status: String,
    /// Reached through a message broker rather than a direct call.
    pub via_message: bool,
    pub mark: Option<Mark>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogLine {
    pub time_ms: f64,
    pub service: Option<String>,
    pub severity: Option<String>,
    pub span_id: Option<String>,
    pub body: String,
}

/// The diagnosis of one request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceDiagnosis {
    pub trace_id: String,
    /// Other traces joined to this request through messages.
    pub related_traces: Vec<String>,
    /// The entry point: service and span name of the root.
    pub route: String,
    pub request_failed: bool,
    /// How the request ended: `HTTP 500`, `error`, `ok`.
    pub outcome: String,
    pub duration_ms: f64,
    pub root_cause: Finding,
    /// Ranked, the root cause first.
    pub candidates: Vec<Finding>,
    pub evidence: Vec<Evidence>,
    pub path: Vec<PathNode>,
    pub logs: Vec<LogLine>,
    /// Why the request is known only in part (its root span, or a service's spans, are not in the input), when it
    /// is; the root cause then has a lower score. `null` in the JSON for a request the input holds whole; the
    /// evidence repeats it as an `input` item beginning "incomplete:".
    pub incomplete: Option<String>,
    #[serde(skip)]
    pub(crate) signature: Vec<String>,
    #[serde(skip)]
    pub(crate) start_ns: u64,
}

/// Many traces with the same cause, counted together.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AggregateLine {
    pub route: String,
    pub kind: CauseKind,
    pub service: String,
    pub headline: String,
    pub traces: usize,
    /// Failing (or, for non-fatal causes, all diagnosed) traces of the route.
    pub of: usize,
    pub example_trace_id: String,
}

/// Counts of what was read and analysed.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Totals {
    pub spans: u64,
    pub logs: u64,
    pub traces: u64,
    pub requests: u64,
    pub failing_requests: u64,
    pub healthy_requests: u64,
    /// Requests the input holds only in part: without their root span (diagnosed or not), or diagnosed with spans
    /// missing (a parent, a service that should have taken part). Counted besides failing and healthy ones; a
    /// request without its root is never counted as healthy.
    pub incomplete_requests: u64,
    pub skipped: u64,
    /// Spans that arrived after their trace had been analysed (the window was too small).
    pub late_spans: u64,
}

/// Everything `seam trace diagnose` reports.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    pub totals: Totals,
    pub aggregate: Vec<AggregateLine>,
    pub traces: Vec<TraceDiagnosis>,
    /// What the readers skipped, and repairs of broken traces.
    pub input_notes: Vec<String>,
}

impl Report {
    /// Writes the documented JSON (`"version": 1` and the report's fields), streamed rather than built in memory:
    /// the report of a million-span file holds thousands of traces.
    pub fn write_json(&self, out: impl std::io::Write) -> serde_json::Result<()> {
        #[derive(Serialize)]
        struct Versioned<'a> {
            version: u32,
            #[serde(flatten)]
            report: &'a Report,
        }
        serde_json::to_writer_pretty(
            out,
            &Versioned {
                version: 1,
                report: self,
            },
        )
    }

    /// Groups the diagnoses by route, kind, service and headline, largest group first.
    pub(crate) fn aggregate(traces: &[TraceDiagnosis]) -> Vec<AggregateLine> {
        let mut lines: Vec<AggregateLine> = Vec::new();
        for trace in traces {
            let cause = &trace.root_cause;
            match lines.iter_mut().find(|l| {
                l.route == trace.route
                    && l.kind == cause.kind
                    && l.service == cause.service
                    && l.headline == cause.headline
            }) {
                Some(line) => line.traces += 1,
                None => lines.push(AggregateLine {
                    route: trace.route.clone(),
                    kind: cause.kind,
                    service: cause.service.clone(),
                    headline: cause.headline.clone(),
                    traces: 1,
                    of: 0,
                    example_trace_id: trace.trace_id.clone(),
                }),
            }
        }
        for line in &mut lines {
            let fatal = line.kind != CauseKind::NonFatal;
            line.of = traces
                .iter()
                .filter(|t| {
                    t.route == line.route && (t.root_cause.kind != CauseKind::NonFatal) == fatal
                })
                .count();
        }
        lines.sort_by(|a, b| {
            b.traces
                .cmp(&a.traces)
                .then_with(|| a.route.cmp(&b.route))
                .then_with(|| a.headline.cmp(&b.headline))
        });
        lines
    }
}
