//! What the walk reads from spans besides failure and messaging: the route and signature of a request, what a
//! call calls, and which spans match.

use super::Walk;
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

impl<'a> Walk<'_, 'a> {
    /// What a span calls, the same for every attempt of one call. HTTP client spans are named by the method alone
    /// when the instrumentation knows no route template (as the HTTP conventions say), so "POST" gains the path it
    /// was sent to, or else the route of the server span that answered it.
    pub(super) fn call_key(&self, n: usize) -> String {
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
    pub(super) fn answered_route(&self, n: usize) -> Option<&'a str> {
        if !bare_method(self.span(n)) {
            return None;
        }
        self.g.children[n]
            .iter()
            .map(|&c| self.span(c))
            .find(|c| c.kind == SpanKind::Server)
            .and_then(|server| server.attr_str("http.route"))
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

/// An HTTP client span named by its method alone.
fn bare_method(span: &Span) -> bool {
    span.kind == SpanKind::Client && !span.name.contains(' ')
}
