//! What a request that succeeded teaches: who publishes what after what, with which routing key and destination,
//! which versions consumers take, what each wait waits for, and which failures the route survives.

use crate::diagnose;
use crate::expect::Learned;
use crate::graph::Graph;
use crate::messaging::{self, Role};
use crate::model::SpanKind;

/// What a request that succeeded shows: what its waits waited for, who published what after what, with which
/// routing key, which versions consumers took, and which failures it survived.
pub(super) fn learn(
    learned: &mut Learned,
    version_attribute: &str,
    graph: &Graph,
    members: &[usize],
    route: &str,
) {
    learned.record_request(route);
    learn_waits(learned, graph, members, route);
    for &m in members {
        let span = graph.spans[m];
        if span.is_error() {
            learned.record_tolerated(route, &diagnose::tolerated_key(graph, m));
        }
        if messaging::role(span) == Some(Role::Consumer)
            && !span.is_error()
            && let Some(message) = messaging::message_name(span)
        {
            learned.record_consumer(route, message, &span.service);
        }
        if messaging::role(span) == Some(Role::Consumer)
            && !span.is_error()
            && let (Some(message), Some(version)) = (
                messaging::message_name(span),
                messaging::version(span, version_attribute),
            )
        {
            learned.record_version(message, &version);
        }
        if messaging::role(span) != Some(Role::Producer) || span.is_error() {
            continue;
        }
        let Some(message) = messaging::message_name(span) else {
            continue;
        };
        // The message this publisher had consumed just before: the nearest consuming ancestor.
        let trigger = graph
            .ancestry(m)
            .into_iter()
            .rev()
            .skip(1)
            .map(|a| graph.spans[a])
            .find(|a| a.service == span.service && messaging::role(a) == Some(Role::Consumer))
            .and_then(messaging::message_name);
        learned.record(route, message, &span.service, trigger);
        if let Some(key) = messaging::routing_key(span) {
            learned.record_routing_key(route, message, key);
        }
        if let Some(destination) = messaging::destination(span) {
            learned.record_destination(route, message, destination);
        }
    }
}

/// What each service consumed while one of its steps without messaging attributes ran (a wait that names no
/// message): a consumer of the same service that starts within the step and is not inside it.
fn learn_waits(learned: &mut Learned, graph: &Graph, members: &[usize], route: &str) {
    let consumers: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&m| messaging::role(graph.spans[m]) == Some(Role::Consumer))
        .collect();
    if consumers.is_empty() {
        return;
    }
    let steps: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&m| {
            let step = graph.spans[m];
            matches!(step.kind, SpanKind::Internal | SpanKind::Unspecified)
                && messaging::role(step).is_none()
        })
        .collect();
    for c in consumers {
        let consumer = graph.spans[c];
        let Some(message) = messaging::message_name(consumer) else {
            continue;
        };
        let inside = graph.ancestry(c);
        for &m in &steps {
            let step = graph.spans[m];
            if consumer.service == step.service
                && (step.start_ns..=step.end_ns).contains(&consumer.start_ns)
                && !inside.contains(&m)
            {
                learned.record_wait(route, &step.service, &step.name, message);
            }
        }
    }
}
