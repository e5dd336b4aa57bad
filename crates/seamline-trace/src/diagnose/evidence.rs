//! What the walk reads from spans besides failure and messaging: the route and signature of a request, what a
//! call calls, and which spans match.

use super::Walk;
use crate::graph::Graph;
use crate::messaging::{self, Role, base_name};
use crate::model::{Span, SpanKind};

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

/// What a span calls, the same for every attempt of one call. HTTP client spans are named by the method alone when
/// the instrumentation knows no route template (as the HTTP conventions say), so "POST" gains the path it was sent
/// to, or else the route of the server span that answered it.
pub(crate) fn call_key(g: &Graph, n: usize) -> String {
    let span = g.spans[n];
    if !bare_method(span) {
        return span.name.to_string();
    }
    let sent = span.attr_str("url.full").and_then(|url| {
        let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
        let path = &rest[rest.find('/')?..];
        path.split(['?', '#']).next()
    });
    match sent.or_else(|| answered_route(g, n)) {
        Some(path) => format!("{} {path}", span.name),
        None => span.name.to_string(),
    }
}

/// A failing span's call as a request that survived it records it: service, kind and call.
pub(crate) fn tolerated_key(g: &Graph, n: usize) -> String {
    let span = g.spans[n];
    format!("{} {} {}", span.service, span.kind.as_str(), call_key(g, n))
}

/// A failing span's failure as the failing requests of a route are compared by it: its call (as
/// [`tolerated_key`]), and where below it the failure started, found by following the earliest failing child. A
/// call that failed on its own and the same call failing because of its database are two failures, not one.
pub(crate) fn failure_key(g: &Graph, n: usize) -> String {
    let mut origin = n;
    for _ in 0..64 {
        let Some(&next) = g.children[origin].iter().find(|&&c| g.spans[c].is_error()) else {
            break;
        };
        origin = next;
    }
    let call = tolerated_key(g, n);
    if origin == n {
        call
    } else {
        format!("{call} ← {}", tolerated_key(g, origin))
    }
}

fn answered_route<'a>(g: &Graph<'a>, n: usize) -> Option<&'a str> {
    if !bare_method(g.spans[n]) {
        return None;
    }
    g.children[n]
        .iter()
        .map(|&c| g.spans[c])
        .find(|c| c.kind == SpanKind::Server)
        .and_then(|server| server.attr_str("http.route"))
}

impl<'a> Walk<'_, 'a> {
    /// What a span calls, the same for every attempt of one call (see [`call_key`]).
    pub(super) fn call_key(&self, n: usize) -> String {
        call_key(self.g, n)
    }

    /// The `http.route` of the server span that answered a client span named by its method alone.
    pub(super) fn answered_route(&self, n: usize) -> Option<&'a str> {
        answered_route(self.g, n)
    }

    /// Whether requests of this route that succeeded had the same call of the same service fail: a failure the
    /// caller does without (an optional call), so not the cause when something else failed too.
    pub(super) fn tolerated(&self, n: usize) -> bool {
        self.cx
            .learned
            .tolerates(&self.route, &tolerated_key(self.g, n))
    }

    /// What `n` called, when it is a call (a CLIENT span, or a database call of any other outgoing kind) that no
    /// span of another service answers.
    pub(super) fn unanswered(&self, n: usize) -> Option<Dependency<'a>> {
        let span = self.span(n);
        let system = span.attr_str("db.system").filter(|s| !s.is_empty());
        let outgoing = span.kind == SpanKind::Client
            || (system.is_some() && !matches!(span.kind, SpanKind::Server | SpanKind::Consumer));
        let answered = self.g.children[n]
            .iter()
            .any(|&c| self.span(c).service != span.service);
        if !outgoing || answered {
            return None;
        }
        let peer = ["peer.service", "server.address", "net.peer.name"]
            .iter()
            .find_map(|key| span.attr_str(key).filter(|p| !p.is_empty()));
        (system.is_some() || peer.is_some()).then_some(Dependency { system, peer })
    }

    /// Whether `name` is a service of the system (it wrote spans, or a manifest declares it), not a host.
    pub(super) fn is_service(&self, name: &str) -> bool {
        self.cx.services.contains(name)
            || self
                .cx
                .expectations
                .services
                .iter()
                .any(|s| s.service == name)
    }

    /// Whether an error text (lower case) names what `n` is or called: its span name, its peer, or the service that
    /// answered it.
    pub(super) fn named_in(&self, text: &str, parent: usize, n: usize) -> bool {
        let span = self.span(n);
        let parent_service = &*self.span(parent).service;
        let mut names: Vec<&str> = [
            "peer.service",
            "server.address",
            "net.peer.name",
            "rpc.service",
        ]
        .iter()
        .filter_map(|key| span.attr_str(key))
        .collect();
        if !bare_method(span) {
            names.push(&span.name);
        }
        names.extend(
            std::iter::once(n)
                .chain(self.g.children[n].iter().copied())
                .map(|k| &*self.span(k).service)
                .filter(|s| *s != parent_service),
        );
        names
            .iter()
            .any(|name| name.len() >= 3 && text.contains(&name.to_ascii_lowercase()))
    }

    pub(super) fn spans_where(&self, test: impl Fn(&Span) -> bool) -> Vec<usize> {
        (0..self.g.spans.len())
            .filter(|&i| test(self.span(i)))
            .collect()
    }

    pub(super) fn is_message(span: &Span, role: Role, message: &str) -> bool {
        messaging::role(span) == Some(role)
            && messaging::message_name(span).is_some_and(|m| base_name(m) == message)
    }
}

/// What a client span called when nothing answered it in the input: a database, a cache, a third party, or a
/// service whose spans are missing.
pub(super) struct Dependency<'a> {
    /// `db.system` (`postgresql`, `redis`), when the call went to a database.
    pub(super) system: Option<&'a str>,
    /// `peer.service`, else `server.address`, else the older `net.peer.name`.
    pub(super) peer: Option<&'a str>,
}

impl Dependency<'_> {
    /// "postgresql at pg-2.internal", "es-7.internal", "redis".
    pub(super) fn describe(&self) -> String {
        match (self.system, self.peer) {
            (Some(system), Some(peer)) => format!("{system} at {peer}"),
            (Some(name), None) | (None, Some(name)) => name.to_string(),
            (None, None) => "its dependency".into(),
        }
    }
}

/// The message a span's name speaks of (`await inventory.stock_reserved`, `waitForStockReserved`), among `known`:
/// the one whose words the name holds, or whose words hold the name's (verbs such as "await" aside). `None` when
/// no message or more than one fits equally well.
pub(super) fn named_message<'m>(
    name: &str,
    known: impl Iterator<Item = &'m str>,
) -> Option<&'m str> {
    const NOT_A_NAME: [&str; 16] = [
        "await",
        "awaiting",
        "wait",
        "waiting",
        "waits",
        "for",
        "on",
        "until",
        "receive",
        "receiving",
        "get",
        "poll",
        "reply",
        "response",
        "result",
        "the",
    ];
    let said = words(name);
    let said_names: Vec<&String> = said
        .iter()
        .filter(|w| !NOT_A_NAME.contains(&w.as_str()))
        .collect();
    if said_names.is_empty() {
        return None;
    }
    let mut best: Option<(usize, &str)> = None;
    let mut tied = false;
    for message in known {
        let spoken = words(message);
        if spoken.is_empty() {
            continue;
        }
        let score = if spoken.iter().all(|w| said.contains(w)) {
            spoken.len() + 1
        } else if said_names.iter().all(|w| spoken.contains(w)) {
            said_names.len()
        } else {
            continue;
        };
        match best {
            Some((top, m)) if score == top && m != message => tied = true,
            Some((top, _)) if score <= top => {}
            _ => {
                best = Some((score, message));
                tied = false;
            }
        }
    }
    best.filter(|_| !tied).map(|(_, m)| m)
}

/// The words of a name, lower case: split at anything not a letter or digit and where camelCase starts a word.
fn words(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// An HTTP client span named by its method alone.
fn bare_method(span: &Span) -> bool {
    span.kind == SpanKind::Client && !span.name.contains(' ')
}

#[cfg(test)]
mod tests {
    use super::named_message;

    #[test]
    fn a_wait_is_named_for_the_one_message_its_words_fit() {
        let known = [
            "inventory.stock_reserved",
            "inventory.stock_released",
            "order.placed",
            "order.confirmed",
        ];
        // (span name, the message it names)
        let cases: &[(&str, Option<&str>)] = &[
            (
                "await inventory.stock_reserved",
                Some("inventory.stock_reserved"),
            ),
            ("await stock_reserved", Some("inventory.stock_reserved")),
            ("waitForStockReleased", Some("inventory.stock_released")),
            (
                "await inventory.stock_reserved@2",
                Some("inventory.stock_reserved"),
            ),
            // "order" fits two messages equally: no answer rather than a guess.
            ("await order", None),
            ("OrderSaga.awaitReservation", None),
            ("await", None),
            ("", None),
        ];
        for (name, expected) in cases {
            assert_eq!(
                named_message(name, known.iter().copied()),
                *expected,
                "{name}"
            );
        }
    }
}
