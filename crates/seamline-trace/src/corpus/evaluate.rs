//! Scores the diagnosis against the corpus's labels, next to the naive rule a person might apply: blame the deepest
//! failing span of the trace (the same failure reading, `failure.rs`, for both).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rustc_hash::FxHashMap;

use super::{Case, FaultKind, Partial, Profile};
use crate::model::{Span, SpanId};
use crate::read::{Collect, InputFormat, Reader};
use crate::{CauseKind, Config, diagnose_bytes};

/// What the diagnosis and the naive rule answered for one labelled request.
#[derive(Clone, Debug)]
pub struct Scored {
    pub case: String,
    pub profile: Profile,
    pub fault: FaultKind,
    pub partial: Partial,
    pub trace_id: String,
    pub expected_service: Option<String>,
    pub expected_span: Option<String>,
    /// `None` when the request was not diagnosed (healthy, to the diagnosis).
    pub answered: Option<Answer>,
    /// The naive rule's service and span: the deepest failing span of the trace.
    pub naive: Option<(String, String)>,
    /// Whether every span of the request is in the input.
    pub complete: bool,
    /// Whether any span of the request is in the input.
    pub present: bool,
    /// Whether the span the fault was injected into is in the input.
    pub span_present: bool,
}

#[derive(Clone, Debug)]
pub struct Answer {
    pub service: String,
    pub span: Option<String>,
    pub kind: CauseKind,
    pub request_failed: bool,
    /// Whether the diagnosis said the input holds the request only in part.
    pub incomplete: bool,
}

impl Scored {
    fn faulty(&self) -> bool {
        self.fault != FaultKind::Healthy && self.expected_service.is_some()
    }

    pub fn service_right(&self) -> bool {
        self.answered
            .as_ref()
            .is_some_and(|a| Some(&a.service) == self.expected_service.as_ref())
    }

    pub fn span_right(&self) -> bool {
        self.service_right()
            && self.answered.as_ref().and_then(|a| a.span.as_ref()) == self.expected_span.as_ref()
    }

    pub fn naive_service_right(&self) -> bool {
        self.naive
            .as_ref()
            .is_some_and(|(s, _)| Some(s) == self.expected_service.as_ref())
    }

    pub fn naive_span_right(&self) -> bool {
        self.naive_service_right()
            && self.naive.as_ref().map(|(_, span)| span) == self.expected_span.as_ref()
    }

    /// A healthy request the diagnosis called failed.
    pub fn false_alarm(&self) -> bool {
        self.fault == FaultKind::Healthy && self.answered.as_ref().is_some_and(|a| a.request_failed)
    }
}

/// Diagnoses a case and scores each of its requests.
pub fn score(case: &Case) -> Vec<Scored> {
    let config = Config {
        expectations: case.expectations.clone(),
        ..Config::default()
    };
    let report = diagnose_bytes(&[(&case.file, &case.traces)], config);
    let by_trace: FxHashMap<&str, &crate::TraceDiagnosis> = report
        .traces
        .iter()
        .map(|t| (t.trace_id.as_str(), t))
        .collect();
    let naive = naive_answers(case);
    case.requests
        .iter()
        .map(|request| Scored {
            case: case.name.clone(),
            profile: case.spec.profile,
            fault: request.fault,
            partial: case.spec.partial,
            trace_id: request.trace_id.clone(),
            expected_service: request.service.clone(),
            expected_span: request.span.clone(),
            answered: by_trace.get(request.trace_id.as_str()).map(|t| Answer {
                service: t.root_cause.service.clone(),
                span: t.root_cause.span_name.clone(),
                kind: t.root_cause.kind,
                request_failed: t.request_failed,
                incomplete: t.incomplete.is_some(),
            }),
            naive: naive.get(&request.trace_id).cloned(),
            complete: request.complete(),
            present: request.present(),
            span_present: request.span_present,
        })
        .collect()
}

/// The deepest failing span of each trace (the earliest among equally deep ones).
fn naive_answers(case: &Case) -> FxHashMap<String, (String, String)> {
    let mut reader = Reader::default();
    let mut spans = Collect::default();
    reader.read_bytes(&case.file, &case.traces, InputFormat::Auto, &mut spans);
    let mut traces: FxHashMap<String, Vec<&Span>> = FxHashMap::default();
    for span in &spans.spans {
        traces
            .entry(span.trace_id.to_string())
            .or_default()
            .push(span);
    }
    traces
        .into_iter()
        .filter_map(|(trace, spans)| {
            let parents: FxHashMap<SpanId, Option<SpanId>> =
                spans.iter().map(|s| (s.span_id, s.parent_id)).collect();
            let depth = |span: &Span| {
                let mut depth = 0;
                let mut cur = span.parent_id;
                while let Some(p) = cur {
                    depth += 1;
                    if depth > spans.len() {
                        break;
                    }
                    cur = parents.get(&p).copied().flatten();
                }
                depth
            };
            let deepest = spans
                .iter()
                .filter(|s| s.is_error())
                .max_by_key(|s| (depth(s), std::cmp::Reverse(s.start_ns)))?;
            Some((
                trace,
                (deepest.service.to_string(), deepest.name.to_string()),
            ))
        })
        .collect()
}

/// Counts of right answers.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tally {
    pub requests: usize,
    pub service: usize,
    pub span: usize,
    pub naive_service: usize,
    pub naive_span: usize,
    /// Answers that said the input holds the request only in part.
    pub marked_incomplete: usize,
}

impl Tally {
    fn add(&mut self, s: &Scored) {
        self.requests += 1;
        self.service += usize::from(s.service_right());
        self.span += usize::from(s.span_right());
        self.naive_service += usize::from(s.naive_service_right());
        self.naive_span += usize::from(s.naive_span_right());
        self.marked_incomplete += usize::from(s.answered.as_ref().is_some_and(|a| a.incomplete));
    }

    pub fn rate(part: usize, of: usize) -> f64 {
        if of == 0 {
            0.0
        } else {
            part as f64 * 100.0 / of as f64
        }
    }

    pub fn service_rate(&self) -> f64 {
        Tally::rate(self.service, self.requests)
    }

    pub fn naive_service_rate(&self) -> f64 {
        Tally::rate(self.naive_service, self.requests)
    }
}

/// The figures the table shows.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Faulty requests of complete inputs, per profile and per fault kind.
    pub by_profile: BTreeMap<Profile, Tally>,
    pub by_fault: BTreeMap<FaultKind, Tally>,
    /// Faulty requests of partial inputs whose labelled span is gone or whose request lost spans.
    pub by_partial: BTreeMap<Partial, Tally>,
    /// Healthy requests (complete and partial inputs), and how many were called failed.
    pub healthy: usize,
    pub false_alarms: usize,
    /// Requests that lost spans to the partial input and were counted as healthy.
    pub incomplete_as_healthy: usize,
    pub incomplete: usize,
    /// Of those, how many the diagnosis marked incomplete.
    pub incomplete_marked: usize,
}

pub fn summarize(scored: &[Scored]) -> Summary {
    let mut s = Summary::default();
    for r in scored.iter().filter(|r| r.present) {
        if r.fault == FaultKind::Healthy {
            s.healthy += 1;
            s.false_alarms += usize::from(r.false_alarm());
        }
        if !r.complete {
            s.incomplete += 1;
            s.incomplete_as_healthy += usize::from(r.answered.is_none());
            s.incomplete_marked += usize::from(r.answered.as_ref().is_some_and(|a| a.incomplete));
        }
        if !r.faulty() {
            continue;
        }
        if r.partial == Partial::Complete {
            s.by_profile.entry(r.profile).or_default().add(r);
            s.by_fault.entry(r.fault).or_default().add(r);
        } else if !r.complete && (r.span_present || r.partial != Partial::CutMidLine) {
            // A cut file may have taken the fault's span away with the rest of the request: nothing can name it
            // then. A partner left out is the fault's own service, which the answer should name.
            s.by_partial.entry(r.partial).or_default().add(r);
        }
    }
    s
}

impl Summary {
    /// The table for docs/trace.md.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let row = |out: &mut String, name: &str, t: &Tally| {
            let _ = writeln!(
                out,
                "| {name} | {} | {:.1} % | {:.1} % | {:.1} % | {:.1} % |",
                t.requests,
                t.service_rate(),
                Tally::rate(t.span, t.requests),
                t.naive_service_rate(),
                Tally::rate(t.naive_span, t.requests),
            );
        };
        let head = "| requests | top-1 service | top-1 span | naive: service | naive: span |\n|---|---:|---:|---:|---:|---:|\n";
        out.push_str(&format!("| profile {head}"));
        for (profile, t) in &self.by_profile {
            row(&mut out, profile.name(), t);
        }
        let total = self.by_profile.values().fold(Tally::default(), |mut a, t| {
            a.requests += t.requests;
            a.service += t.service;
            a.span += t.span;
            a.naive_service += t.naive_service;
            a.naive_span += t.naive_span;
            a
        });
        row(&mut out, "**all**", &total);
        out.push_str(&format!("\n| fault kind {head}"));
        for (fault, t) in &self.by_fault {
            row(&mut out, fault.name(), t);
        }
        out.push_str(
            "\n| partial input | requests | top-1 service | top-1 span | naive: service | naive: span | marked incomplete |\n\
             |---|---:|---:|---:|---:|---:|---:|\n",
        );
        for (partial, t) in &self.by_partial {
            let _ = writeln!(
                out,
                "| {} | {} | {:.1} % | {:.1} % | {:.1} % | {:.1} % | {:.1} % |",
                partial.name(),
                t.requests,
                t.service_rate(),
                Tally::rate(t.span, t.requests),
                t.naive_service_rate(),
                Tally::rate(t.naive_span, t.requests),
                Tally::rate(t.marked_incomplete, t.requests),
            );
        }
        let _ = writeln!(
            out,
            "\nhealthy requests: {}, diagnosed as failed: {}; requests that lost spans to a partial input: {}, \
             marked incomplete: {}, not diagnosed: {}",
            self.healthy,
            self.false_alarms,
            self.incomplete,
            self.incomplete_marked,
            self.incomplete_as_healthy
        );
        out
    }
}
