//! The part of a request the report shows: the spans from the root to the cause, the symptoms and the candidates,
//! the spans that should have been there, and the logs of the request.

use super::wording::{ms, outcome};
use super::{Cause, Walk};
use crate::model::LogRecord;
use crate::report::{LogLine, Mark, PathNode};

impl Walk<'_, '_> {
    /// The spans worth showing: the ancestors of the cause, the symptoms and the candidates, in tree order.
    pub(super) fn path(&self, root: usize, cause: &Cause) -> Vec<PathNode> {
        let g = self.g;
        let mut keep = vec![false; g.spans.len()];
        let mut marks: Vec<Option<Mark>> = vec![None; g.spans.len()];
        let mut notes: Vec<Option<String>> = vec![None; g.spans.len()];
        keep[root] = true;
        let mut mark = |node: usize, m: Mark, keep: &mut Vec<bool>| {
            for a in g.ancestry(node) {
                keep[a] = true;
            }
            if marks[node].is_none() || m == Mark::RootCause {
                marks[node] = Some(m);
            }
        };
        for symptom in &self.symptoms {
            mark(symptom.node, Mark::Symptom, &mut keep);
            notes[symptom.node] = Some(symptom.note.clone());
        }
        for alternative in &self.alternatives {
            mark(alternative.node, Mark::Candidate, &mut keep);
        }
        if let Some(n) = cause.node {
            mark(n, Mark::RootCause, &mut keep);
            notes[n] = Some(cause.detail.clone());
        }
        // Failing spans directly under kept ones stay visible too (retries, siblings that failed).
        for i in 0..g.spans.len() {
            if g.spans[i].is_error() && g.parent[i].is_some_and(|p| keep[p]) {
                keep[i] = true;
            }
        }
        let start = g.spans[root].start_ns;
        let mut out = Vec::new();
        let mut stack = vec![(root, 0usize)];
        while let Some((node, depth)) = stack.pop() {
            let span = g.spans[node];
            out.push(PathNode {
                depth,
                service: span.service.to_string(),
                name: span.name.to_string(),
                kind: span.kind.as_str().to_string(),
                trace_id: Some(span.trace_id.to_string()),
                span_id: Some(span.span_id.to_string()),
                start_ms: ms(span.start_ns.saturating_sub(start)),
                duration_ms: ms(span.duration_ns()),
                // A span that did not fail is "ok" whatever its HTTP status, so a 201 is never shown as a failure.
                status: if span.is_error() {
                    outcome(span)
                } else {
                    "ok".into()
                },
                via_message: g.hop[node],
                mark: marks[node],
                note: notes[node].clone(),
            });
            for missing in self.missing.iter().filter(|m| m.parent == node) {
                {
                    out.push(PathNode {
                        depth: depth + 1,
                        service: span.service.to_string(),
                        name: missing.name.clone(),
                        kind: "producer".into(),
                        trace_id: None,
                        span_id: None,
                        start_ms: ms(span.end_ns.saturating_sub(start)),
                        duration_ms: 0.0,
                        status: "missing".into(),
                        via_message: false,
                        mark: Some(Mark::Missing),
                        note: Some("expected here, not in the trace".into()),
                    });
                }
            }
            for &child in g.children[node].iter().rev() {
                if keep[child] {
                    stack.push((child, depth + 1));
                }
            }
        }
        out
    }

    pub(super) fn logs(&self, members: &[usize], path: &[PathNode], start: u64) -> Vec<LogLine> {
        let traces: Vec<_> = members.iter().map(|&m| self.span(m).trace_id).collect();
        let on_path: Vec<&str> = path.iter().filter_map(|p| p.span_id.as_deref()).collect();
        let mut lines: Vec<(bool, &LogRecord)> = self
            .g
            .logs
            .iter()
            .filter(|l| l.trace_id.is_some_and(|t| traces.contains(&t)))
            .map(|l| {
                (
                    l.span_id
                        .is_some_and(|s| on_path.contains(&s.to_string().as_str())),
                    *l,
                )
            })
            .collect();
        lines.sort_by_key(|(_, l)| l.time_ns);
        lines
            .into_iter()
            .map(|(_, l)| LogLine {
                time_ms: ms(l.time_ns.saturating_sub(start)),
                service: l.service.as_ref().map(|s| s.to_string()),
                severity: l.severity.as_ref().map(|s| s.to_string()),
                span_id: l.span_id.map(|s| s.to_string()),
                body: l.body.to_string(),
            })
            .collect()
    }
}
