//! A reply nobody declared. When neither a manifest nor a healthy request says who publishes the message a span
//! gave up waiting for, the request itself is read: its service published a message before it waited (a request
//! and its reply), and the chain of consumers from there, each publishing the next message, ends where the reply
//! was lost: a consumer that failed, one that published nothing, or a publish nobody received.

use super::{Cause, MissingSpan, Walk};
use crate::messaging::{self, Role, base_name};
use crate::report::{CauseKind, EvidenceKind};

/// Messages followed from the waiter's publish at most (the longest real chains have three or four hops).
const MAX_HOPS: u32 = 6;

impl Walk<'_, '_> {
    /// What became of the messages `waiter`'s service published before it gave up waiting for `message` (when the
    /// input names it), the latest first; `None` when the chain says nothing (nothing received them, or everything
    /// along it went well).
    pub(super) fn reply_chain(&mut self, waiter: usize, message: Option<&str>) -> Option<Cause> {
        let w = self.span(waiter);
        let mut sent = self.spans_where(|s| {
            s.service == w.service
                && s.start_ns <= w.end_ns
                && messaging::role(s) == Some(Role::Producer)
                && messaging::message_name(s).is_some_and(|m| Some(base_name(m)) != message)
        });
        sent.sort_by_key(|&p| std::cmp::Reverse((self.span(p).start_ns, p)));
        sent.into_iter()
            .find_map(|p| self.follow_reply(p, waiter, message, 0))
    }

    /// Follows the message `p` published: to the consumers that received it (other than the waiter's service),
    /// and on along what each of them published.
    fn follow_reply(
        &mut self,
        p: usize,
        waiter: usize,
        message: Option<&str>,
        hops: u32,
    ) -> Option<Cause> {
        if hops > MAX_HOPS {
            return None;
        }
        let waiter_service = self.span(waiter).service.clone();
        let sent = messaging::message_name(self.span(p))
            .map_or_else(|| "a message".to_string(), |m| base_name(m).to_string());
        let consumers: Vec<usize> = self.g.children[p]
            .iter()
            .copied()
            .filter(|&k| {
                let span = self.span(k);
                span.service != waiter_service
                    && matches!(messaging::role(span), Some(Role::Consumer | Role::Receive))
            })
            .collect();
        let awaited = message.map_or_else(|| "what it waited for".to_string(), str::to_string);
        let inferred = format!(
            "no manifest or healthy request says who publishes {awaited}: {} published {sent} before it waited, \
             and the chain of consumers from there was followed",
            self.span(waiter).service
        );
        for c in consumers {
            let consumer = self.span(c);
            // Its own part of the request: what it did before handing a message on (the next consumer's part,
            // under a hop, is the next link of the chain).
            let inside: Vec<usize> = self
                .g
                .descendants(c)
                .into_iter()
                .filter(|&k| self.span(k).service == consumer.service)
                .collect();
            if inside.iter().any(|&k| self.span(k).is_error()) {
                self.note(EvidenceKind::Span, Some(c), inferred.clone());
                return Some(self.explain(c));
            }
            let published: Vec<usize> = inside
                .iter()
                .copied()
                .filter(|&k| {
                    let span = self.span(k);
                    k != c
                        && span.service == consumer.service
                        && messaging::role(span) == Some(Role::Producer)
                })
                .collect();
            if published.is_empty() {
                self.note(EvidenceKind::Span, Some(c), inferred.clone());
                self.missing.push(MissingSpan {
                    parent: c,
                    name: message.map_or_else(|| "publish".to_string(), |m| format!("publish {m}")),
                });
                let service = consumer.service.clone();
                return Some(Cause {
                    kind: CauseKind::MissingPublish,
                    node: Some(c),
                    service: None,
                    headline: format!("{service} consumed {sent} and published nothing"),
                    detail: format!(
                        "{service} consumed {sent} and published nothing; {waiter_service} gave up waiting for \
                         {awaited}"
                    ),
                });
            }
            for next in published {
                let received = self.g.children[next].iter().any(|&k| {
                    matches!(
                        messaging::role(self.span(k)),
                        Some(Role::Consumer | Role::Receive)
                    )
                });
                if !received {
                    self.note(EvidenceKind::Span, Some(next), inferred.clone());
                    let name = messaging::message_name(self.span(next))
                        .map_or_else(|| awaited.clone(), |m| base_name(m).to_string());
                    return Some(self.unconsumed(next, &name));
                }
                if let Some(cause) = self.follow_reply(next, waiter, message, hops + 1) {
                    return Some(cause);
                }
            }
        }
        None
    }
}
