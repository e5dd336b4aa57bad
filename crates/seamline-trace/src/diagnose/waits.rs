//! A span that gave up waiting: what it waited on (a child still running, a message that never came, a peer that
//! never answered), and the part of a slow dependency that took the time.

use super::evidence::named_message;
use super::wording::duration_text;
use super::{Cause, MissingSpan, Symptom, Walk};
use crate::expect::{Scope, Seen};
use crate::messaging::{self, Role, base_name};
use crate::report::{CauseKind, EvidenceKind};

/// A service that should have published a message: declared in its `seam.toml`, or seen doing so in healthy
/// traces, with the message it publishes after.
struct ExpectedPublisher {
    service: String,
    trigger: Option<String>,
    declared: bool,
    /// Whose healthy requests showed it, when they did.
    learned: Option<Scope>,
}

impl Walk<'_, '_> {
    /// A span that gave up waiting: find what it waited on.
    pub(super) fn timed_out(&mut self, n: usize) -> Cause {
        let span = self.span(n);
        self.symptoms.push(Symptom {
            node: n,
            note: format!("gave up after {}", duration_text(span.duration_ns())),
        });
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
            // A failure the span saw before it gave up may be why it gave up; one that came later (the child noticing
            // that its caller left) is fallout, and the child was only slow.
            if self.span(c).is_error() && self.span(c).end_ns <= span.end_ns {
                return self.explain(c);
            }
            return self.slow(c, n);
        }
        // A message it waited for.
        for message in self.awaited(n) {
            if let Some(cause) = self.missing_message(n, &message, 0) {
                return cause;
            }
        }
        // A call that never reached a server we can see. A service of the system that did not answer is blamed; a
        // host that is not one (a database, a third party) is the caller's dependency, and the caller's failure.
        if let Some(dependency) = self.unanswered(n) {
            let wait = duration_text(span.duration_ns());
            let peer = dependency.peer.filter(|p| self.is_service(p));
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
                        "{} gave up on {peer} after {wait}; the input has no span from {peer} for this call",
                        span.service
                    ),
                    service: Some(peer.to_string()),
                };
            }
            let called = dependency.describe();
            return Cause {
                kind: CauseKind::MaskedTimeout,
                node: Some(n),
                service: None,
                headline: format!(
                    "{} {} timed out waiting for {}",
                    span.service,
                    span.name,
                    dependency
                        .system
                        .or(dependency.peer)
                        .unwrap_or("a dependency")
                ),
                detail: format!(
                    "{} gave up on {called} after {wait}; {called} has no spans in the input (not instrumented)",
                    span.service
                ),
            };
        }
        // A wait that names no message the input knows: what its service sent before it waited, and where that went.
        if let Some(cause) = self.reply_chain(n, None) {
            return cause;
        }
        let mut cause = self.origin(n);
        cause.detail = format!(
            "{} (the input shows nothing of what it waited for)",
            cause.detail
        );
        cause
    }

    /// The messages a span that timed out may have waited for, the surest first: the one its messaging attributes
    /// name; the ones its service consumed during the same step of healthy requests of this route; the one its
    /// name speaks of (among the messages of the input and the manifests); the ones its service's `seam.toml`
    /// consumes.
    fn awaited(&mut self, n: usize) -> Vec<String> {
        let span = self.span(n);
        let mut awaited: Vec<String> = Vec::new();
        let mut add = |message: &str| {
            let message = base_name(message).to_string();
            if !awaited.contains(&message) {
                awaited.push(message);
            }
        };
        let explicit = matches!(messaging::role(span), Some(Role::Receive | Role::Consumer))
            .then(|| messaging::message_name(span))
            .flatten();
        if let Some(name) = explicit {
            add(name);
        }
        let learned = self
            .cx
            .learned
            .waited_for(&self.route, &span.service, &span.name);
        for &message in &learned {
            add(message);
        }
        let named = if explicit.is_none() {
            named_message(
                &span.name,
                self.cx
                    .messages
                    .iter()
                    .map(|m| &**m)
                    .chain(self.cx.expectations.messages().map(base_name)),
            )
        } else {
            None
        };
        if let Some(message) = named {
            add(message);
        }
        for consumed in self.cx.expectations.consumed_by(&span.service) {
            add(consumed);
        }
        if explicit.is_none() {
            if let Some(&message) = learned.first() {
                self.note(
                    EvidenceKind::Healthy,
                    Some(n),
                    format!(
                        "in healthy requests of {} {} consumes {message} while {} runs",
                        self.route, span.service, span.name
                    ),
                );
            } else if let Some(message) = named {
                self.note(
                    EvidenceKind::Span,
                    Some(n),
                    format!(
                        "{} {} waits for {message}, by its name",
                        span.service, span.name
                    ),
                );
            }
        }
        awaited
    }

    /// A publisher that should have published `message` (after consuming `trigger`) and has no span in the
    /// request: the input lacks its spans, so the cause is placed there with a lower score and said to be unknown,
    /// rather than concluded from what the missing spans would have shown.
    fn absent(
        &mut self,
        publisher: &str,
        message: &str,
        trigger: Option<&str>,
        declared: bool,
        waiter_service: &str,
    ) -> Option<Cause> {
        if self.g.spans.iter().any(|s| *s.service == *publisher) {
            return None;
        }
        let place = if self.is_service(publisher) && self.cx.services.contains(publisher) {
            "this request (it wrote spans in others of the input)"
        } else {
            "the input"
        };
        let from = if declared {
            "from its manifest"
        } else {
            "in healthy requests"
        };
        let after = trigger
            .map(|t| format!(" after consuming {t}"))
            .unwrap_or_default();
        let sentence = format!(
            "{publisher}'s spans are not in {place}; {from} it should have published {message}{after}"
        );
        self.incomplete.push(sentence.clone());
        Some(Cause {
            kind: CauseKind::Unknown,
            node: None,
            service: Some(publisher.to_string()),
            headline: format!(
                "{publisher}'s spans are not in the input; it should have published {message}"
            ),
            detail: format!("{sentence}; {waiter_service} gave up waiting for {message}"),
        })
    }

    /// A publish under consumer `c`, by its service, that nobody received and whose name healthy traces never show
    /// published.
    fn astray_publish(&self, c: usize) -> Option<usize> {
        let service = &self.span(c).service;
        self.g.descendants(c).into_iter().find(|&k| {
            let span = self.span(k);
            span.service == *service
                && messaging::role(span) == Some(Role::Producer)
                && !self.g.children[k].iter().any(|&r| {
                    matches!(
                        messaging::role(self.span(r)),
                        Some(Role::Consumer | Role::Receive)
                    )
                })
                && messaging::message_name(span)
                    .is_some_and(|m| self.cx.learned.publisher_of(&self.route, m).is_none())
        })
    }

    /// A dependency that answered too late: blame the part of it that took the time.
    fn slow(&mut self, c: usize, waiter: usize) -> Cause {
        // The budget is the waiter's time, or the dependency's own when it ran after the waiter gave up (a late
        // publish). Time spent after the waiter left used none of it.
        let (w, dep) = (self.span(waiter), self.span(c));
        let (from, to) = if dep.start_ns < w.end_ns {
            (w.start_ns, w.end_ns)
        } else {
            (dep.start_ns, dep.end_ns)
        };
        let used = |k: usize| {
            let s = self.span(k);
            s.end_ns.min(to).saturating_sub(s.start_ns.max(from))
        };
        let mut cur = c;
        while let Some(k) = self.g.children[cur]
            .iter()
            .copied()
            .max_by_key(|&k| used(k))
        {
            if used(k) * 2 < used(cur) || used(k) == 0 {
                break;
            }
            cur = k;
        }
        let (w, dep, at) = (self.span(waiter), self.span(c), self.span(cur));
        let gave_up = format!(
            "{} gave up after {}",
            w.service,
            duration_text(w.duration_ns())
        );
        let (dep_took, at_took) = (
            duration_text(dep.duration_ns()),
            duration_text(at.duration_ns()),
        );
        let detail = if at.start_ns < w.end_ns && at.end_ns > w.end_ns {
            let under = if cur == c {
                String::new()
            } else {
                format!(", under {} {}", dep.service, dep.name)
            };
            format!(
                "{gave_up} while {} {} was still running ({at_took} in all{under})",
                at.service, at.name
            )
        } else if cur == c {
            format!("{gave_up}; {} {} took {dep_took}", dep.service, dep.name)
        } else {
            format!(
                "{gave_up}; {} {} took {dep_took}, of which {} {} took {at_took}",
                dep.service, dep.name, at.service, at.name
            )
        };
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
        let mut expected: Vec<ExpectedPublisher> = self
            .cx
            .expectations
            .publishers_of(message)
            .into_iter()
            .map(|(service, trigger)| ExpectedPublisher {
                service: service.to_string(),
                trigger: trigger.map(str::to_string),
                declared: true,
                learned: None,
            })
            .collect();
        if let Some(Seen {
            value: (service, trigger),
            scope,
        }) = self.cx.learned.publisher_of(&self.route, message)
            && !expected.iter().any(|e| e.service == service)
        {
            expected.push(ExpectedPublisher {
                service: service.to_string(),
                trigger: trigger.map(str::to_string),
                declared: false,
                learned: Some(scope),
            });
        }
        if expected.is_empty() && depth == 0 {
            return self.reply_chain(waiter, Some(message));
        }
        for ExpectedPublisher {
            service: publisher,
            trigger,
            declared,
            learned,
        } in expected
        {
            let source = match learned {
                None => format!("{publisher}'s seam.toml: publishes {message}"),
                Some(Scope::Route) => format!(
                    "in healthy requests of {} {publisher} publishes {message}",
                    self.route
                ),
                Some(Scope::AllRoutes) => format!(
                    "in healthy requests of other routes (none of {} succeeded) {publisher} publishes {message}",
                    self.route
                ),
            };
            let Some(trigger) = trigger else {
                if let Some(cause) =
                    self.absent(&publisher, message, None, declared, &waiter_service)
                {
                    return Some(cause);
                }
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
                // It published, but under a name no healthy trace shows it publishing, and nobody received that:
                // the message went out under the wrong routing key or to the wrong destination.
                if let Some(p) = self.astray_publish(c) {
                    return Some(self.unconsumed(p, message));
                }
                self.missing.push(MissingSpan {
                    parent: c,
                    name: format!("publish {message}"),
                });
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
                // The trigger went out and nothing of the publisher is in the request: its spans are missing from
                // the input, which says nothing of whether it received the trigger.
                // Unless the trigger went somewhere healthy requests never send it (a routing key or destination of
                // its own): then it was not received, and the publish says why.
                let trigger_span = self.span(tp);
                let astray = |seen: Option<&str>, usual: Option<&str>| {
                    seen.zip(usual).is_some_and(|(seen, usual)| seen != usual)
                };
                let sent_astray = astray(
                    messaging::routing_key(trigger_span),
                    self.cx.learned.routing_key(&self.route, &trigger),
                ) || astray(
                    messaging::destination(trigger_span),
                    self.cx.learned.destination(&self.route, &trigger),
                );
                if !sent_astray
                    && let Some(cause) = self.absent(
                        &publisher,
                        message,
                        Some(&trigger),
                        declared,
                        &waiter_service,
                    )
                {
                    return Some(cause);
                }
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
}
