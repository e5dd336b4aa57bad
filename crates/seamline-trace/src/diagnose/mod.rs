//! The walk backward from a failing request to its cause. Timeouts are symptoms: the walk descends into what the
//! span waited on (a slow child, or a message that never came) and follows messages across brokers, using the
//! manifests and the healthy traces to know which spans should have been there.
//!
//! `evidence.rs` reads what a span says (its call, its route, the spans that match), `waits.rs` explains a span
//! that gave up waiting (`chain.rs` follows a reply nobody declared along the request's own messages),
//! `delivery.rs` a message that was not consumed or was rejected, `rank.rs` turns the cause and the alternatives
//! into ranked findings, `path.rs` chooses the spans and logs the report shows, and
//! `wording.rs` holds the few words every sentence shares (durations, outcomes).

mod chain;
mod delivery;
mod evidence;
mod path;
mod rank;
mod waits;
mod wording;

use std::sync::Arc;

use rustc_hash::FxHashSet;

use crate::expect::{Expectations, Learned};
use crate::failing_together::{FailingTogether, Together};
use crate::graph::Graph;
use crate::messaging::{self, Role};
use crate::model::Span;
use crate::report::{CauseKind, Evidence, EvidenceKind, TraceDiagnosis};

pub(crate) use evidence::{failure_key, route, signature, tolerated_key};
pub(crate) use wording::duration_text;
use wording::outcome;

/// What diagnosis needs besides the trace.
pub(crate) struct Context<'a> {
    pub(crate) expectations: &'a Expectations,
    pub(crate) learned: &'a Learned,
    /// Which calls failed together in the failing requests of each route.
    pub(crate) failing_together: &'a FailingTogether,
    pub(crate) version_attribute: &'a str,
    /// The services that wrote spans anywhere in the input.
    pub(crate) services: &'a FxHashSet<Arc<str>>,
    /// The message names (without version) messaging spans carried anywhere in the input.
    pub(crate) messages: &'a FxHashSet<Box<str>>,
}

/// A cause found in the graph.
struct Cause {
    kind: CauseKind,
    node: Option<usize>,
    /// The service to blame when it is not the node's (a peer that never answered, a publisher that never ran).
    service: Option<String>,
    headline: String,
    detail: String,
}

/// Another span that may be the cause, ranked below the root cause.
#[derive(Clone)]
struct Alternative {
    node: usize,
    kind: CauseKind,
    score: f64,
    headline: String,
}

/// A span that only passed a failure on (it gave up waiting), with what it did.
struct Symptom {
    node: usize,
    note: String,
}

/// A span the manifests or healthy traces expect under `parent` that the trace does not have.
struct MissingSpan {
    parent: usize,
    name: String,
}

/// A failing sibling passed over for another it only ever failed beside (see `Walk::explaining`).
struct PassedOver {
    node: usize,
    beside: usize,
    together: Together,
}

struct Walk<'g, 'a> {
    g: &'g Graph<'a>,
    cx: &'g Context<'g>,
    evidence: Vec<Evidence>,
    alternatives: Vec<Alternative>,
    symptoms: Vec<Symptom>,
    missing: Vec<MissingSpan>,
    depth: u32,
    /// The request's route, to ask what healthy requests of it did.
    route: String,
    /// What the input lacks of the request, in words ("inventory-service's spans are not in the input; …").
    incomplete: Vec<String>,
}

const MAX_DEPTH: u32 = 48;

/// Diagnoses the request rooted at `root`; `None` when it is healthy.
pub(crate) fn diagnose(g: &Graph, cx: &Context, root: usize) -> Option<TraceDiagnosis> {
    let members = g.descendants(root);
    let root_span = g.spans[root];
    let status = root_span.http_status();
    let failed = root_span.is_error() || status.is_some_and(|s| s >= 500);
    let client_error = !failed && status.is_some_and(|s| (400..500).contains(&s));
    let errors: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| g.spans[i].is_error())
        .collect();
    if !failed && !client_error && errors.is_empty() {
        return None;
    }
    let mut walk = Walk {
        g,
        cx,
        evidence: Vec::new(),
        alternatives: Vec::new(),
        symptoms: Vec::new(),
        missing: Vec::new(),
        depth: 0,
        route: route(root_span),
        incomplete: Vec::new(),
    };
    let cause = if failed {
        walk.explain(root)
    } else if client_error {
        walk.client_error(root)
    } else {
        walk.non_fatal(&errors)
    };
    Some(walk.finish(root, &members, cause, failed || client_error))
}

impl<'a> Walk<'_, 'a> {
    fn span(&self, i: usize) -> &'a Span {
        self.g.spans[i]
    }

    fn note(&mut self, kind: EvidenceKind, node: Option<usize>, text: String) {
        let span_id = node.map(|n| self.span(n).span_id.to_string());
        if !self.evidence.iter().any(|e| e.text == text) {
            self.evidence.push(Evidence {
                kind,
                text,
                span_id,
            });
        }
    }

    fn explain(&mut self, n: usize) -> Cause {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.origin(n);
        }
        let span = self.span(n);
        if span.is_timeout() {
            return self.timed_out(n);
        }
        let failing: Vec<usize> = self.g.children[n]
            .iter()
            .copied()
            .filter(|&c| self.span(c).is_error())
            .collect();
        let Some(chosen) = self.first_failure(n, &failing) else {
            if matches!(messaging::role(span), Some(Role::Consumer | Role::Settle)) {
                return self.rejected(n);
            }
            return self.origin(n);
        };
        let chosen_span = self.span(chosen);
        let key = self.call_key(chosen);
        let attempts: Vec<usize> = self.g.children[n]
            .iter()
            .copied()
            .filter(|&c| {
                let s = self.span(c);
                s.service == chosen_span.service
                    && s.kind == chosen_span.kind
                    && self.call_key(c) == key
            })
            .collect();
        // Named by the route an answering server gave, when any attempt was answered.
        let call = attempts
            .iter()
            .find_map(|&a| self.answered_route(a))
            .map_or(key, |route| format!("{} {route}", chosen_span.name));
        let mut cause = self.explain(chosen);
        if attempts.len() >= 2 {
            let failed = attempts
                .iter()
                .filter(|&&a| self.span(a).is_error())
                .count();
            let text = format!(
                "{} called {} {} times; {} failed",
                span.service,
                call,
                attempts.len(),
                if failed == attempts.len() {
                    "all".to_string()
                } else {
                    failed.to_string()
                }
            );
            self.note(EvidenceKind::Retry, Some(chosen), text);
            if failed == attempts.len()
                && matches!(
                    cause.kind,
                    CauseKind::ErrorOrigin | CauseKind::MaskedTimeout
                )
            {
                cause.headline = format!(
                    "{} retried {} and every attempt failed: {}",
                    span.service, call, cause.headline
                );
                cause.detail = format!(
                    "{} tried {} {} times and every attempt failed; the last: {}",
                    span.service,
                    call,
                    attempts.len(),
                    cause.detail
                );
                // A partner that failed every time is out of retries; one that was only slow every time stays a
                // masked timeout (more attempts only added load), with the retries as evidence.
                if cause.kind == CauseKind::ErrorOrigin {
                    cause.kind = CauseKind::RetriesExhausted;
                }
            }
        }
        cause
    }

    /// Which of a span's failing children caused its failure. A failure that starts after another is its fallout,
    /// so the earliest is the cause, unless the span's own error names a later one (what it called, or who
    /// answered). A call made several times is represented by its last attempt.
    fn first_failure(&mut self, n: usize, failing: &[usize]) -> Option<usize> {
        let g = self.g;
        let order = |&c: &usize| (g.spans[c].start_ns, g.spans[c].end_ns);
        let named = self.span(n).error_text().and_then(|text| {
            let text = text.to_ascii_lowercase();
            failing
                .iter()
                .copied()
                .filter(|&c| self.named_in(&text, n, c))
                .min_by_key(order)
        });
        // A failure requests of this route survive (an optional call) is not the cause when something else failed.
        let (tolerated, untolerated): (Vec<usize>, Vec<usize>) =
            failing.iter().partition(|&&c| self.tolerated(c));
        let (candidates, passed) = if untolerated.is_empty() {
            (failing.to_vec(), Vec::new())
        } else {
            self.explaining(&untolerated)
        };
        let first = named.or_else(|| candidates.iter().copied().min_by_key(order))?;
        if named.is_none()
            && let Some(p) = passed.iter().min_by_key(|p| order(&p.node))
            && order(&p.node) < order(&first)
        {
            let (span, beside) = (self.span(p.node), self.span(p.beside));
            let text = format!(
                "{} {} failed first, but in {} of the {} failing request(s) of {} it failed only beside {} {}, \
                 which failed in {}: it does not explain the others, so it is not taken for the cause",
                span.service,
                span.name,
                p.together.call,
                p.together.requests,
                self.route,
                beside.service,
                beside.name,
                p.together.other
            );
            self.note(EvidenceKind::Failing, Some(p.node), text);
        }
        if named.is_none()
            && !untolerated.is_empty()
            && let Some(&skipped) = tolerated.iter().min_by_key(|c| order(c))
            && order(&skipped) < order(&first)
        {
            let span = self.span(skipped);
            let text = format!(
                "{} {} failed first, as it does in requests of {} that succeed: not the cause",
                span.service, span.name, self.route
            );
            self.note(EvidenceKind::Healthy, Some(skipped), text);
        }
        let (span, key) = (self.span(first), self.call_key(first));
        failing
            .iter()
            .copied()
            .filter(|&c| {
                let s = self.span(c);
                s.service == span.service && s.kind == span.kind && self.call_key(c) == key
            })
            .max_by_key(|&c| (self.span(c).end_ns, self.span(c).start_ns))
    }

    /// The failing siblings that may explain the request, and those passed over: a sibling that, in the failing
    /// requests of the route, failed only ever beside another of them which failed in more (an optional call
    /// failing in some requests beside the failure every one of them shares). The first list is never empty when
    /// `failing` is not: "only beside, and in fewer" cannot go round in a circle.
    fn explaining(&self, failing: &[usize]) -> (Vec<usize>, Vec<PassedOver>) {
        let keys: Vec<String> = failing.iter().map(|&c| failure_key(self.g, c)).collect();
        let mut kept = Vec::new();
        let mut passed = Vec::new();
        for (i, &c) in failing.iter().enumerate() {
            let beside = failing.iter().enumerate().find_map(|(j, &other)| {
                self.cx
                    .failing_together
                    .only_with(&self.route, &keys[i], &keys[j])
                    .map(|together| PassedOver {
                        node: c,
                        beside: other,
                        together,
                    })
            });
            match beside {
                Some(p) => passed.push(p),
                None => kept.push(c),
            }
        }
        (kept, passed)
    }

    fn origin(&mut self, n: usize) -> Cause {
        let span = self.span(n);
        let why = span.error_text().unwrap_or_else(|| outcome(span));
        // A call nothing answered failed in the caller: the dependency (a database, a host) is named, not blamed.
        let called = self
            .unanswered(n)
            .map(|d| {
                format!(
                    " (calling {}, which has no spans in the input)",
                    d.describe()
                )
            })
            .unwrap_or_default();
        Cause {
            kind: CauseKind::ErrorOrigin,
            node: Some(n),
            service: None,
            headline: format!("{} {} failed", span.service, span.name),
            detail: format!("{} {} failed: {why}{called}", span.service, span.name),
        }
    }

    fn client_error(&mut self, root: usize) -> Cause {
        let mut cur = root;
        loop {
            let next = self.g.children[cur]
                .iter()
                .copied()
                .filter(|&k| {
                    self.span(k)
                        .http_status()
                        .is_some_and(|s| (400..500).contains(&s))
                })
                .max_by_key(|&k| self.span(k).end_ns);
            match next {
                Some(k) => cur = k,
                None => break,
            }
        }
        let span = self.span(cur);
        let code = span.http_status().unwrap_or(400);
        let why = span
            .error_text()
            .map(|w| format!(": {w}"))
            .unwrap_or_default();
        Cause {
            kind: CauseKind::ClientError,
            node: Some(cur),
            service: None,
            headline: format!("{} {} answered {code}", span.service, span.name),
            detail: format!(
                "{} {} answered {code}{why}; the request was refused, not broken",
                span.service, span.name
            ),
        }
    }

    fn non_fatal(&mut self, errors: &[usize]) -> Cause {
        // The failures that are not explained by a failing child are the origins.
        let origins: Vec<usize> = errors
            .iter()
            .copied()
            .filter(|&e| !self.g.children[e].iter().any(|&k| self.span(k).is_error()))
            .collect();
        let first = origins.first().copied().unwrap_or(errors[0]);
        for &other in origins.iter().skip(1) {
            let span = self.span(other);
            self.alternatives.push(Alternative {
                node: other,
                kind: CauseKind::NonFatal,
                score: rank::NON_FATAL,
                headline: format!("{} {} also failed", span.service, span.name),
            });
        }
        let inner = self.explain(first);
        let recovered = self.g.parent[first]
            .map(|p| {
                let failed = self.span(first);
                self.g.children[p].iter().any(|&k| {
                    let s = self.span(k);
                    k != first
                        && s.name == failed.name
                        && s.service == failed.service
                        && !s.is_error()
                        && s.start_ns >= failed.start_ns
                })
            })
            .unwrap_or(false);
        if recovered {
            self.note(
                EvidenceKind::Retry,
                Some(first),
                "a later attempt of the same call succeeded".into(),
            );
        }
        Cause {
            kind: CauseKind::NonFatal,
            node: inner.node,
            service: inner.service,
            headline: format!("{} (the request succeeded)", inner.headline),
            detail: format!("{}; the request still succeeded", inner.detail),
        }
    }
}
