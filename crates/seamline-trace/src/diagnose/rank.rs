//! The root cause and its alternatives as ranked findings, with the evidence and the path that go with them.

use super::evidence::signature;
use super::wording::{ms, outcome};
use super::{Cause, Walk, route};
use crate::report::{CauseKind, Evidence, EvidenceKind, Finding, TraceDiagnosis};

/// How strongly the evidence points at a finding: the root cause, an alternative such as the publisher of a
/// rejected message, another failure inside a succeeding request, the span that gave up waiting.
pub(super) const ROOT_CAUSE: f64 = 0.9;
pub(super) const ALTERNATIVE: f64 = 0.4;
pub(super) const NON_FATAL: f64 = 0.3;
pub(super) const SYMPTOM: f64 = 0.1;
/// The root cause of a request the input holds only in part: the missing spans might have told otherwise.
pub(super) const INCOMPLETE: f64 = 0.5;

impl Walk<'_, '_> {
    fn finding(
        &self,
        node: Option<usize>,
        service: Option<String>,
        kind: CauseKind,
        score: f64,
        headline: String,
        detail: String,
    ) -> Finding {
        let span = node.map(|n| self.span(n));
        Finding {
            kind,
            service: service
                .or_else(|| span.map(|s| s.service.to_string()))
                .unwrap_or_default(),
            trace_id: span.map(|s| s.trace_id.to_string()),
            span_id: span.map(|s| s.span_id.to_string()),
            span_name: span.map(|s| s.name.to_string()),
            score,
            headline,
            detail,
        }
    }

    pub(super) fn finish(
        mut self,
        root: usize,
        members: &[usize],
        cause: Cause,
        failed: bool,
    ) -> TraceDiagnosis {
        let root_span = self.g.spans[root];
        // What the input lacks of this request: its root, spans whose parent is missing, a service that should be
        // there and wrote nothing.
        if root_span.parent_id.is_some() {
            self.incomplete.insert(
                0,
                "its root span is not in the input, so how it ended is judged by its longest part"
                    .into(),
            );
        }
        let orphans = members
            .iter()
            .filter(|&&m| self.g.spans[m].parent_id.is_some() && self.g.parent[m].is_none())
            .count();
        if orphans > 0 {
            self.incomplete.push(format!(
                "{orphans} of its span(s) name a parent that is not in the input"
            ));
        }
        let incomplete = (!self.incomplete.is_empty()).then(|| self.incomplete.join("; "));
        if let Some(why) = &incomplete {
            self.evidence.push(Evidence {
                kind: EvidenceKind::Input,
                text: format!(
                    "incomplete: {why}; the root cause is the likeliest given what is there"
                ),
                span_id: None,
            });
        }
        let root_cause = self.finding(
            cause.node,
            cause.service.clone(),
            cause.kind,
            if incomplete.is_some() {
                INCOMPLETE
            } else {
                ROOT_CAUSE
            },
            cause.headline.clone(),
            cause.detail.clone(),
        );
        let mut candidates = vec![root_cause.clone()];
        for alternative in self.alternatives.clone() {
            candidates.push(self.finding(
                Some(alternative.node),
                None,
                alternative.kind,
                alternative.score,
                alternative.headline.clone(),
                alternative.headline,
            ));
        }
        // The span that gave up waiting is worth listing; the spans above it only passed its failure on.
        for symptom in self.symptoms.iter().rev().take(1) {
            if Some(symptom.node) == cause.node {
                continue;
            }
            let span = self.span(symptom.node);
            let headline = format!(
                "{} {} {} (a symptom, not the cause)",
                span.service, span.name, symptom.note
            );
            candidates.push(self.finding(
                Some(symptom.node),
                None,
                CauseKind::MaskedTimeout,
                SYMPTOM,
                headline.clone(),
                headline,
            ));
        }
        candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
        let mut seen = Vec::new();
        candidates.retain(|c| {
            let key = (c.span_id.clone(), c.headline.clone());
            let fresh = !seen.contains(&key);
            seen.push(key);
            fresh
        });

        // Evidence from the spans on the way: error texts of the failing spans, repairs of the input.
        if let Some(n) = cause.node
            && let Some(why) = self.span(n).error_text()
        {
            let span = self.span(n);
            self.note(
                EvidenceKind::Span,
                Some(n),
                format!("{} {}: {why}", span.service, span.name),
            );
        }
        for repair in self.g.repairs.describe() {
            self.evidence.push(Evidence {
                kind: EvidenceKind::Input,
                text: repair,
                span_id: None,
            });
        }

        let path = self.path(root, &cause);
        let start = root_span.start_ns;
        let logs = self.logs(members, &path, start);
        let mut related: Vec<String> = members
            .iter()
            .map(|&m| self.span(m).trace_id)
            .filter(|t| *t != root_span.trace_id)
            .map(|t| t.to_string())
            .collect();
        related.sort();
        related.dedup();
        let mut signature: Vec<String> = members.iter().map(|&m| signature(self.span(m))).collect();
        signature.sort();
        signature.dedup();
        TraceDiagnosis {
            trace_id: root_span.trace_id.to_string(),
            related_traces: related,
            route: route(root_span),
            request_failed: failed,
            outcome: outcome(root_span),
            duration_ms: ms(root_span.duration_ns()),
            root_cause,
            candidates,
            evidence: self.evidence,
            path,
            logs,
            incomplete,
            signature,
            start_ns: start,
        }
    }
}
