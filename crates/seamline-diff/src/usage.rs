//! Usage-aware verdicts: a change breaks a consumer only when it touches what that consumer uses.

use seamline_model::Manifest;

use crate::{Change, Level, Usage};

/// What one consumer makes of a set of changes to one provider contract.
#[derive(Debug, Clone)]
pub struct ConsumerVerdict {
    /// The consumer's service name.
    pub consumer: String,
    /// Indices (into the changes) of the changes to what the consumer uses.
    pub relevant: Vec<usize>,
    /// Whether any relevant change is breaking.
    pub breaks: bool,
}

/// The verdict of `consumer` on `changes` to `contract` of `service`, or `None` when it does not consume that
/// contract. A consumer entry that lists no operations or messages is taken to use all of them.
pub fn verdict(
    changes: &[Change],
    consumer: &Manifest,
    service: &str,
    contract: &str,
) -> Option<ConsumerVerdict> {
    let http = consumer
        .consumes_http
        .iter()
        .find(|c| c.service.value == service && c.contract.value == contract);
    let events = consumer
        .consumes_events
        .iter()
        .find(|c| c.service.value == service && c.contract.value == contract);
    if http.is_none() && events.is_none() {
        return None;
    }
    let uses = |change: &Change| match &change.usage {
        Usage::Everyone => true,
        Usage::Operation { id } => http.is_some_and(|h| {
            h.operations.is_empty()
                || id
                    .as_ref()
                    .is_some_and(|id| h.operations.iter().any(|o| &o.value == id))
        }),
        Usage::Message { name, version } => events.is_some_and(|e| {
            e.messages.is_empty()
                || e.messages.iter().any(|m| {
                    &m.value.name == name
                        && (m.value.version.is_none() || m.value.version == *version)
                })
        }),
    };
    let relevant: Vec<usize> = changes
        .iter()
        .enumerate()
        .filter(|(_, c)| uses(c))
        .map(|(i, _)| i)
        .collect();
    let breaks = relevant
        .iter()
        .any(|&i| changes[i].level == Level::Breaking);
    Some(ConsumerVerdict {
        consumer: consumer.name.value.clone(),
        relevant,
        breaks,
    })
}
