//! The walk backward from a failing request to its cause. Timeouts are symptoms: the walk descends into what the
//! span waited on (a slow child, or a message that never came) and follows messages across brokers, using the
//! manifests and the healthy traces to know which spans should have been there.

use crate::expect::{Expectations, Learned};
use crate::failure::{self, FailureReason};
use crate::graph::Graph;
use crate::messaging::{self, Role, base_name};
use crate::model::{LogRecord, Span, SpanKind};
use crate::report::{
    CauseKind, Evidence, EvidenceKind, Finding, LogLine, Mark, PathNode, TraceDiagnosis,
};

/// What diagnosis needs besides the trace.
pub(crate) struct Context<'a> {
    pub(crate) expectations: &'a Expectations,
    pub(crate) learned: &'a Learned,
    pub(crate) version_attribute: &'a str,
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

struct Walk<'g, 'a> {
    g: &'g Graph<'a>,
    cx: &'g Context<'g>,
    evidence: Vec<Evidence>,
    alternatives: Vec<(usize, CauseKind, f64, String)>,
    symptoms: Vec<(usize, String)>,
    missing: Vec<(usize, String)>,
    depth: u32,
}

const MAX_DEPTH: u32 = 48;

fn ms(ns: u64) -> f64 {
    (ns as f64 / 1e6 * 100.0).round() / 100.0
}

pub(crate) fn duration_text(ns: u64) -> String {
    let ms = ns as f64 / 1e6;
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

fn outcome(span: &Span) -> String {
    if let Some(code) = span.http_status() {
        return format!("HTTP {code}");
    }
    match failure::failure(span).map(|f| f.reason) {
        Some(
            reason @ (FailureReason::Grpc(_)
            | FailureReason::ProxyFlags(_)
            | FailureReason::ErrorType(_)),
        ) => reason.describe(),
        Some(_) => "error".into(),
        None => "ok".into(),
    }
}

/// The route of a request: its entry service and span name.
pub(crate) fn route(span: &Span) -> String {
    format!("{} {}", span.service, span.name)
}

/// What a healthy request of a route always has, to compare failing ones against.
pub(crate) fn signature(span: &Span) -> String {
    match (messaging::role(span), messaging::message_name(span)) {
        (Some(Role::Producer), Some(m)) => format!("{} publishes {}", span.service, base_name(m)),
        (Some(Role::Consumer), Some(m)) => format!("{} consumes {}", span.service, base_name(m)),
        _ => format!("{} {} {}", span.service, span.kind.as_str(), span.name),
    }
}

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
        let Some(&chosen) = failing
            .iter()
            .max_by_key(|&&c| (self.span(c).end_ns, self.span(c).start_ns))
        else {
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

    /// What a span calls, the same for every attempt of one call. HTTP client spans are named by the method alone
    /// when the instrumentation knows no route template (as the HTTP conventions say), so "POST" gains the path it
    /// was sent to, or else the route of the server span that answered it.
    fn call_key(&self, n: usize) -> String {
        let span = self.span(n);
        if !bare_method(span) {
            return span.name.to_string();
        }
        let sent = span.attr_str("url.full").and_then(|url| {
            let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
            let path = &rest[rest.find('/')?..];
            path.split(['?', '#']).next()
        });
        match sent.or_else(|| self.answered_route(n)) {
            Some(path) => format!("{} {path}", span.name),
            None => span.name.to_string(),
        }
    }

    /// The `http.route` of the server span that answered a client span named by its method alone.
    fn answered_route(&self, n: usize) -> Option<&'a str> {
        if !bare_method(self.span(n)) {
            return None;
        }
        self.g.children[n]
            .iter()
            .map(|&c| self.span(c))
            .find(|c| c.kind == SpanKind::Server)
            .and_then(|server| server.attr_str("http.route"))
    }

    fn origin(&mut self, n: usize) -> Cause {
        let span = self.span(n);
        let why = span.error_text().unwrap_or_else(|| outcome(span));
        Cause {
            kind: CauseKind::ErrorOrigin,
            node: Some(n),
            service: None,
            headline: format!("{} {} failed", span.service, span.name),
            detail: format!("{} {} failed: {why}", span.service, span.name),
        }
    }

    /// A span that gave up waiting: find what it waited on.
    fn timed_out(&mut self, n: usize) -> Cause {
        let span = self.span(n);
        self.symptoms.push((
            n,
            format!("gave up after {}", duration_text(span.duration_ns())),
        ));
        // A child that covers most of the wait, or is still running when the span gives up.
        let waited = self.g.children[n]
            .iter()
            .copied()
            .filter(|&c| {
                let child = self.span(c);
                child.duration_ns() * 2 >= span.duration_ns() || child.end_ns >= span.end_ns
            })
            .max_by_key(|&c| self.span(c).duration_ns());
        if let Some(c) = waited {
            if self.span(c).is_error() {
                return self.explain(c);
            }
            return self.slow(c, n);
        }
        // A message it waited for.
        let mut awaited: Vec<String> = Vec::new();
        if matches!(messaging::role(span), Some(Role::Receive | Role::Consumer))
            && let Some(name) = messaging::message_name(span)
        {
            awaited.push(base_name(name).to_string());
        }
        for consumed in self.cx.expectations.consumed_by(&span.service) {
            let consumed = base_name(consumed).to_string();
            if !awaited.contains(&consumed) {
                awaited.push(consumed);
            }
        }
        for message in awaited {
            if let Some(cause) = self.missing_message(n, &message, 0) {
                return cause;
            }
        }
        // A call that never reached a server we can see.
        if span.kind == SpanKind::Client && self.g.children[n].is_empty() {
            let peer = span
                .attr_str("peer.service")
                .or_else(|| span.attr_str("server.address"))
                .or_else(|| span.attr_str("net.peer.name"))
                .map(str::to_string);
            if let Some(peer) = peer {
                self.note(
                    EvidenceKind::Span,
                    Some(n),
                    format!(
                        "no span from {peer} answers {}: the request may never have reached it",
                        span.name
                    ),
                );
                return Cause {
                    kind: CauseKind::MaskedTimeout,
                    node: Some(n),
                    headline: format!(
                        "{peer} did not answer {} {} in time",
                        span.service, span.name
                    ),
                    detail: format!(
                        "{} gave up on {peer} after {}; the input has no span from {peer} for this call",
                        span.service,
                        duration_text(span.duration_ns())
                    ),
                    service: Some(peer),
                };
            }
        }
        let mut cause = self.origin(n);
        cause.detail = format!(
            "{} (the input shows nothing of what it waited for)",
            cause.detail
        );
        cause
    }

    /// A dependency that answered too late: blame the part of it that took the time.
    fn slow(&mut self, c: usize, waiter: usize) -> Cause {
        let mut cur = c;
        loop {
            let span = self.span(cur);
            let longest = self.g.children[cur]
                .iter()
                .copied()
                .max_by_key(|&k| self.span(k).duration_ns());
            match longest {
                Some(k) if self.span(k).duration_ns() * 2 >= span.duration_ns() => cur = k,
                _ => break,
            }
        }
        let (w, dep, at) = (self.span(waiter), self.span(c), self.span(cur));
        let mut detail = format!(
            "{} gave up after {}; {} {} took {}",
            w.service,
            duration_text(w.duration_ns()),
            dep.service,
            dep.name,
            duration_text(dep.duration_ns())
        );
        if cur != c {
            detail.push_str(&format!(
                ", of which {} {} took {}",
                at.service,
                at.name,
                duration_text(at.duration_ns())
            ));
        }
        self.note(EvidenceKind::Span, Some(cur), detail.clone());
        Cause {
            kind: CauseKind::MaskedTimeout,
            node: Some(cur),
            service: None,
            headline: format!(
                "{} {} is slower than {}'s timeout",
                at.service, at.name, w.service
            ),
            detail,
        }
    }

    fn spans_where(&self, test: impl Fn(&Span) -> bool) -> Vec<usize> {
        (0..self.g.spans.len())
            .filter(|&i| test(self.span(i)))
            .collect()
    }

    fn is_message(span: &Span, role: Role, message: &str) -> bool {
        messaging::role(span) == Some(role)
            && messaging::message_name(span).is_some_and(|m| base_name(m) == message)
    }

    /// `waiter` timed out and `message` is what it may have waited for: find out why it did not arrive.
    fn missing_message(&mut self, waiter: usize, message: &str, depth: u32) -> Option<Cause> {
        if depth > 4 {
            return None;
        }
        let waiter_service = self.span(waiter).service.clone();
        let waiter_end = self.span(waiter).end_ns;
        let consumers = self.spans_where(|s| Self::is_message(s, Role::Consumer, message));
        if let Some(&c) = consumers.iter().rev().find(|&&c| self.span(c).is_error()) {
            return Some(self.explain(c));
        }
        let producers = self.spans_where(|s| Self::is_message(s, Role::Producer, message));
        if let Some(&p) = producers.last() {
            let producer = self.span(p);
            if producer.is_error() {
                return Some(self.explain(p));
            }
            let received: Vec<usize> = self.g.children[p]
                .iter()
                .copied()
                .filter(|&k| {
                    matches!(
                        messaging::role(self.span(k)),
                        Some(Role::Consumer | Role::Receive)
                    )
                })
                .collect();
            if received.is_empty() {
                return Some(self.unconsumed(p, message));
            }
            let late = received
                .iter()
                .copied()
                .filter(|&k| self.span(k).service == waiter_service)
                .min_by_key(|&k| self.span(k).start_ns);
            if let Some(k) = late.filter(|&k| self.span(k).start_ns > waiter_end) {
                // Published, but after the waiter gave up: whatever made the publisher late is the cause.
                self.note(
                    EvidenceKind::Span,
                    Some(k),
                    format!(
                        "{message} arrived {} after {waiter_service} gave up",
                        duration_text(self.span(k).start_ns - waiter_end)
                    ),
                );
                let publisher_root = self
                    .g
                    .ancestry(p)
                    .into_iter()
                    .find(|&a| self.span(a).service == producer.service)
                    .unwrap_or(p);
                return Some(self.slow(publisher_root, waiter));
            }
            return None;
        }
        // Nobody published it: who should have, after what?
        let mut expected: Vec<(String, Option<String>, bool)> = self
            .cx
            .expectations
            .publishers_of(message)
            .into_iter()
            .map(|(s, t)| (s.to_string(), t.map(str::to_string), true))
            .collect();
        if let Some((s, t)) = self.cx.learned.publisher_of(message)
            && !expected.iter().any(|(es, _, _)| es == s)
        {
            expected.push((s.to_string(), t.map(str::to_string), false));
        }
        for (publisher, trigger, declared) in expected {
            let source = if declared {
                format!("{publisher}'s seam.toml: publishes {message}")
            } else {
                format!("in healthy traces {publisher} publishes {message}")
            };
            let Some(trigger) = trigger else {
                self.note(EvidenceKind::Manifest, None, source);
                return Some(Cause {
                    kind: CauseKind::MissingPublish,
                    node: None,
                    service: Some(publisher.clone()),
                    headline: format!("{publisher} did not publish {message}"),
                    detail: format!(
                        "{waiter_service} waited for {message}; {publisher} never published it"
                    ),
                });
            };
            let trigger = base_name(&trigger).to_string();
            let kind = if declared {
                EvidenceKind::Manifest
            } else {
                EvidenceKind::Healthy
            };
            self.note(kind, None, format!("{source} after {trigger}"));
            let consumed = self.spans_where(|s| {
                *s.service == *publisher && Self::is_message(s, Role::Consumer, &trigger)
            });
            if let Some(&c) = consumed.last() {
                if self.span(c).is_error() {
                    return Some(self.explain(c));
                }
                self.missing.push((c, format!("publish {message}")));
                return Some(Cause {
                    kind: CauseKind::MissingPublish,
                    node: Some(c),
                    service: None,
                    headline: format!("{publisher} consumed {trigger} and published nothing"),
                    detail: format!(
                        "{publisher} consumed {trigger} and did not publish {message}; {waiter_service} gave up \
                         waiting for it"
                    ),
                });
            }
            let trigger_producers =
                self.spans_where(|s| Self::is_message(s, Role::Producer, &trigger));
            if let Some(&tp) = trigger_producers.last() {
                let others = self.g.children[tp]
                    .iter()
                    .any(|&k| messaging::role(self.span(k)) == Some(Role::Consumer));
                if !others {
                    return Some(self.unconsumed(tp, &trigger));
                }
                return Some(Cause {
                    kind: CauseKind::UnconsumedPublish,
                    node: Some(tp),
                    service: Some(publisher.clone()),
                    headline: format!("{publisher} never consumed {trigger}"),
                    detail: format!(
                        "{} published {trigger}; {publisher} never consumed it",
                        self.span(tp).service
                    ),
                });
            }
            if let Some(cause) = self.missing_message(waiter, &trigger, depth + 1) {
                return Some(cause);
            }
        }
        None
    }

    fn unconsumed(&mut self, p: usize, message: &str) -> Cause {
        let producer = self.span(p);
        let destination = messaging::destination(producer).unwrap_or("?");
        let key = messaging::routing_key(producer);
        let route = match key {
            Some(key) => format!("exchange {destination} with routing key {key}"),
            None => format!("destination {destination}"),
        };
        self.note(
            EvidenceKind::Span,
            Some(p),
            format!("{} published {message} to {route}", producer.service),
        );
        if let Some(key) = key
            && let Some(usual) = self
                .cx
                .learned
                .routing_key(message)
                .filter(|usual| *usual != key)
        {
            self.note(
                EvidenceKind::Healthy,
                Some(p),
                format!("in healthy traces {message} is published with routing key {usual}, here with {key}"),
            );
        }
        let consumers = self.cx.expectations.consumers_of(message);
        if !consumers.is_empty() {
            self.note(
                EvidenceKind::Manifest,
                None,
                format!("consumed by {} (seam.toml)", consumers.join(", ")),
            );
        }
        Cause {
            kind: CauseKind::UnconsumedPublish,
            node: Some(p),
            service: None,
            headline: format!(
                "{} published {message} but no consumer received it",
                producer.service
            ),
            detail: format!(
                "{} published {message} to {route}; no consumer received it",
                producer.service
            ),
        }
    }

    /// A consumer that failed on a message: rejected, maybe dead-lettered; check the version it got.
    fn rejected(&mut self, c: usize) -> Cause {
        let span = self.span(c);
        let message = messaging::message_name(span)
            .map(base_name)
            .unwrap_or("a message")
            .to_string();
        let why = span.error_text().unwrap_or_else(|| "error".into());
        let version = messaging::version(span, self.cx.version_attribute).or_else(|| {
            self.g.parent[c]
                .and_then(|p| messaging::version(self.span(p), self.cx.version_attribute))
        });
        if let Some(version) = version.as_deref() {
            let healthy = self.cx.learned.versions_of(&message);
            if !healthy.is_empty() && !healthy.contains(&version) {
                let list: Vec<String> = healthy.iter().map(|v| format!("v{v}")).collect();
                self.note(
                    EvidenceKind::Healthy,
                    Some(c),
                    format!(
                        "{message} arrived as v{version}; in healthy traces consumers process {}",
                        list.join(", ")
                    ),
                );
            }
        }
        if let (Some(version), Some(accepted)) = (
            version.as_deref(),
            self.cx
                .expectations
                .accepted_versions(&span.service, &message),
        ) {
            let accepted_text: Vec<String> = accepted.iter().map(|v| format!("v{v}")).collect();
            if !accepted.is_empty() && !accepted.iter().any(|a| a.to_string() == version) {
                self.note(
                    EvidenceKind::Manifest,
                    Some(c),
                    format!(
                        "{message} arrived as v{version}; {}'s seam.toml accepts {}",
                        span.service,
                        accepted_text.join(", ")
                    ),
                );
            }
        }
        let dead_lettered = self.g.children[c].iter().any(|&k| {
            let child = self.span(k);
            matches!(messaging::role(child), Some(Role::Producer | Role::Settle))
                && messaging::destination(child).is_some_and(messaging::is_dead_letter_destination)
        }) || messaging::destination(span)
            .is_some_and(messaging::is_dead_letter_destination);
        if dead_lettered {
            self.note(
                EvidenceKind::Span,
                Some(c),
                format!("{} dead-lettered {message}", span.service),
            );
        }
        if let Some(p) = self.g.parent[c]
            .filter(|&p| self.g.hop[c] && messaging::role(self.span(p)) == Some(Role::Producer))
        {
            let version = version
                .as_deref()
                .map(|v| format!(" v{v}"))
                .unwrap_or_default();
            let text = format!(
                "{} published the {message}{version} that {} rejected",
                self.span(p).service,
                span.service
            );
            self.alternatives
                .push((p, CauseKind::MessageRejected, 0.4, text));
        }
        let verb = if dead_lettered {
            "dead-lettered"
        } else {
            "rejected"
        };
        Cause {
            kind: CauseKind::MessageRejected,
            node: Some(c),
            service: None,
            headline: format!("{} {verb} {message}", span.service),
            detail: format!("{} {verb} {message}: {why}", span.service),
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
            self.alternatives.push((other, CauseKind::NonFatal, 0.3, {
                let span = self.span(other);
                format!("{} {} also failed", span.service, span.name)
            }));
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

    fn finish(
        mut self,
        root: usize,
        members: &[usize],
        cause: Cause,
        failed: bool,
    ) -> TraceDiagnosis {
        let root_span = self.g.spans[root];
        let root_cause = self.finding(
            cause.node,
            cause.service.clone(),
            cause.kind,
            0.9,
            cause.headline.clone(),
            cause.detail.clone(),
        );
        let mut candidates = vec![root_cause.clone()];
        for (node, kind, score, headline) in self.alternatives.clone() {
            candidates.push(self.finding(
                Some(node),
                None,
                kind,
                score,
                headline.clone(),
                headline,
            ));
        }
        // The span that gave up waiting is worth listing; the spans above it only passed its failure on.
        for (node, text) in self.symptoms.iter().rev().take(1) {
            if Some(*node) == cause.node {
                continue;
            }
            let span = self.span(*node);
            let headline = format!(
                "{} {} {text} (a symptom, not the cause)",
                span.service, span.name
            );
            candidates.push(self.finding(
                Some(*node),
                None,
                CauseKind::MaskedTimeout,
                0.1,
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
            signature,
            start_ns: start,
        }
    }

    /// The spans worth showing: the ancestors of the cause, the symptoms and the candidates, in tree order.
    fn path(&self, root: usize, cause: &Cause) -> Vec<PathNode> {
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
        for (node, text) in &self.symptoms {
            mark(*node, Mark::Symptom, &mut keep);
            notes[*node] = Some(text.clone());
        }
        for (node, _, _, _) in &self.alternatives {
            mark(*node, Mark::Candidate, &mut keep);
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
            for (missing_at, what) in &self.missing {
                if *missing_at == node {
                    out.push(PathNode {
                        depth: depth + 1,
                        service: span.service.to_string(),
                        name: what.clone(),
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

    fn logs(&self, members: &[usize], path: &[PathNode], start: u64) -> Vec<LogLine> {
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

/// An HTTP client span named by its method alone.
fn bare_method(span: &Span) -> bool {
    span.kind == SpanKind::Client && !span.name.contains(' ')
}
