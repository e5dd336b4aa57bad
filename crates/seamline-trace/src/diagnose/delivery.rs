//! What happened to a message: published and received by no consumer, or rejected by the one that got it.

use super::{Alternative, Cause, Walk, rank};
use crate::expect::Scope;
use crate::messaging::{self, Role, base_name};
use crate::report::{CauseKind, EvidenceKind};

impl Walk<'_, '_> {
    pub(super) fn unconsumed(&mut self, p: usize, message: &str) -> Cause {
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
                .routing_key(&self.route, message)
                .filter(|usual| *usual != key)
        {
            self.note(
                EvidenceKind::Healthy,
                Some(p),
                format!(
                    "in healthy requests of {} {message} is published with routing key {usual}, here with {key}",
                    self.route
                ),
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
        // Consumers healthy requests show, besides those the manifests name.
        let seen = self.cx.learned.consumers_of(&self.route, message);
        let shown: Vec<&str> = seen
            .value
            .into_iter()
            .filter(|s| !consumers.contains(s))
            .collect();
        if !shown.is_empty() {
            let whose = match seen.scope {
                Scope::Route => format!("healthy requests of {}", self.route),
                Scope::AllRoutes => format!(
                    "healthy requests of other routes (none of {} succeeded)",
                    self.route
                ),
            };
            self.note(
                EvidenceKind::Healthy,
                None,
                format!("consumed by {} in {whose}", shown.join(", ")),
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
    pub(super) fn rejected(&mut self, c: usize) -> Cause {
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
            self.alternatives.push(Alternative {
                node: p,
                kind: CauseKind::MessageRejected,
                score: rank::ALTERNATIVE,
                headline: text,
            });
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
}
