//! Usage-aware verdicts: a change breaks a consumer only when it touches what that consumer uses.

use seamline_model::{DocId, Manifest, Workspace};

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
    verdict_with_published(changes, consumer, service, contract, None)
}

/// [`verdict`], knowing the message versions the new contract publishes (`seamline_model::messages` of it, as
/// name and version): a removed version of a message the consumer accepts in several versions breaks it only
/// when none of the versions it accepts is published any more. So a consumer that already accepts a version
/// nobody publishes yet (a consumer-first migration) is not broken by its absence, and a producer that drops
/// the old version once its consumers accept the new one breaks nobody.
pub fn verdict_with_published(
    changes: &[Change],
    consumer: &Manifest,
    service: &str,
    contract: &str,
    published: Option<&[(String, Option<u32>)]>,
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
    // A removed version is no loss while another version the consumer accepts is still published.
    let still_served = |change: &Change| {
        let (Some(published), Some(events), Usage::Message { name, .. }) =
            (published, events, &change.usage)
        else {
            return false;
        };
        if !std::ptr::eq(change.check, &crate::checks::MESSAGE_REMOVED) {
            return false;
        }
        let accepted: Vec<Option<u32>> = events
            .messages
            .iter()
            .filter(|m| &m.value.name == name)
            .map(|m| m.value.version)
            .collect();
        published
            .iter()
            .any(|(n, v)| n == name && accepted.iter().any(|a| a.is_none() || *a == *v))
    };
    let relevant: Vec<usize> = changes
        .iter()
        .enumerate()
        .filter(|(_, c)| uses(c) && !still_served(c))
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

/// The message versions `doc` publishes, as name and version, for [`verdict_with_published`].
pub fn published_messages(ws: &Workspace, doc: DocId) -> Vec<(String, Option<u32>)> {
    seamline_model::messages(ws, doc)
        .into_iter()
        .map(|m| (m.name, m.version))
        .collect()
}
