//! What should happen, from the services' `seam.toml` files (declared) and from the healthy traces of the input
//! (learned): which service consumes which message, and which message a service publishes after which other one.

use rustc_hash::FxHashMap;
use seamline_model::Manifest;

use crate::messaging::base_name;

/// One service's declared messaging behaviour.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceExpectations {
    pub service: String,
    /// Messages consumed, with the versions accepted (empty: any).
    pub consumes: Vec<(String, Vec<u32>)>,
    /// Messages published, each with the message that triggers it, when declared.
    pub publishes: Vec<(String, Option<String>)>,
}

#[derive(Clone, Debug, Default)]
pub struct Expectations {
    pub services: Vec<ServiceExpectations>,
}

/// Counts of what each message showed in healthy traces, keyed by the message's base name.
type Tally<K> = FxHashMap<String, FxHashMap<K, u32>>;

/// What requests that succeeded showed: per route (the root span's service and name), who published each message
/// (and what that service had consumed just before), with which routing key and to which destination; which
/// versions consumers processed; what each wait waited for; which failures the route survived. A route's own
/// requests say what should happen in it; the others speak only for a route none of whose requests succeeded.
#[derive(Clone, Debug, Default)]
pub(crate) struct Learned {
    publishers: FxHashMap<String, Tally<(String, Option<String>)>>,
    routing_keys: FxHashMap<String, Tally<String>>,
    destinations: FxHashMap<String, Tally<String>>,
    /// Per route, the services that consumed each message.
    consumers: FxHashMap<String, Tally<String>>,
    /// Requests that succeeded, per route.
    routes: FxHashMap<String, u32>,
    versions: Tally<String>,
    /// Per route, service and span name of a step without messaging attributes (a wait): the messages the service
    /// consumed while that step ran.
    waits: FxHashMap<(String, String, String), FxHashMap<String, u32>>,
    /// Per route, the calls (service, kind and call) that failed in requests that still succeeded.
    tolerated: FxHashMap<String, FxHashMap<String, u32>>,
}

/// Whose requests an answer of [`Learned`] comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Requests of the same route that succeeded.
    Route,
    /// Requests of every route: none of the route's own succeeded.
    AllRoutes,
}

/// What requests that succeeded showed, and whose requests they were.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Seen<T> {
    pub(crate) value: T,
    pub(crate) scope: Scope,
}

/// The tally of `route`, made when it has none.
fn per_route<'t, K>(tallies: &'t mut FxHashMap<String, Tally<K>>, route: &str) -> &'t mut Tally<K> {
    if !tallies.contains_key(route) {
        tallies.insert(route.to_string(), Tally::default());
    }
    tallies.get_mut(route).expect("inserted above")
}

fn count<K: std::hash::Hash + Eq>(tally: &mut Tally<K>, message: &str, key: K) {
    *tally
        .entry(base_name(message).to_string())
        .or_default()
        .entry(key)
        .or_default() += 1;
}

/// The key seen most often for `message` in any of `tallies` (ties broken by the smaller key, so the answer is
/// stable).
fn most_frequent<'t, K: Ord + std::hash::Hash + Eq + 't>(
    tallies: impl Iterator<Item = &'t Tally<K>>,
    message: &str,
) -> Option<&'t K> {
    let mut sum: FxHashMap<&'t K, u32> = FxHashMap::default();
    for tally in tallies {
        for (key, n) in tally.get(base_name(message)).into_iter().flatten() {
            *sum.entry(key).or_default() += n;
        }
    }
    sum.into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(k, _)| k)
}

impl Expectations {
    pub fn add_manifest(&mut self, manifest: &Manifest) {
        let mut service = ServiceExpectations {
            service: manifest.name.value.clone(),
            ..Default::default()
        };
        for consumed in &manifest.consumes_events {
            for message in &consumed.messages {
                let name = message.value.name.clone();
                let versions = message.value.version.into_iter().collect::<Vec<_>>();
                match service.consumes.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, accepted)) => accepted.extend(versions),
                    None => service.consumes.push((name, versions)),
                }
            }
        }
        for published in &manifest.publishes {
            service.publishes.push((
                published.message.value.name.clone(),
                published.after.as_ref().map(|a| a.value.name.clone()),
            ));
        }
        self.services.push(service);
    }

    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// The services declared to publish `message`, with the trigger each names.
    pub fn publishers_of(&self, message: &str) -> Vec<(&str, Option<&str>)> {
        let message = base_name(message);
        self.services
            .iter()
            .flat_map(|s| {
                s.publishes
                    .iter()
                    .filter(move |(m, _)| base_name(m) == message)
                    .map(move |(_, after)| (s.service.as_str(), after.as_deref()))
            })
            .collect()
    }

    /// The versions of `message` that `service` accepts: `None` when the manifest says nothing about it.
    pub fn accepted_versions(&self, service: &str, message: &str) -> Option<&[u32]> {
        let message = base_name(message);
        self.services
            .iter()
            .filter(|s| s.service == service)
            .flat_map(|s| &s.consumes)
            .find(|(m, _)| base_name(m) == message)
            .map(|(_, versions)| versions.as_slice())
    }

    /// The messages `service` consumes.
    pub fn consumed_by(&self, service: &str) -> Vec<&str> {
        self.services
            .iter()
            .filter(|s| s.service == service)
            .flat_map(|s| s.consumes.iter().map(|(m, _)| m.as_str()))
            .collect()
    }

    /// Every message the manifests name, consumed or published.
    pub fn messages(&self) -> impl Iterator<Item = &str> {
        self.services.iter().flat_map(|s| {
            s.consumes
                .iter()
                .map(|(m, _)| m.as_str())
                .chain(s.publishes.iter().map(|(m, _)| m.as_str()))
        })
    }

    /// The services that consume `message`.
    pub fn consumers_of(&self, message: &str) -> Vec<&str> {
        let message = base_name(message);
        self.services
            .iter()
            .filter(|s| s.consumes.iter().any(|(m, _)| base_name(m) == message))
            .map(|s| s.service.as_str())
            .collect()
    }
}

/// Adds the counts of `from` to `into`.
fn add_all<O, K>(into: &mut FxHashMap<O, FxHashMap<K, u32>>, from: FxHashMap<O, FxHashMap<K, u32>>)
where
    O: std::hash::Hash + Eq,
    K: std::hash::Hash + Eq,
{
    for (outer, seen) in from {
        let entry = into.entry(outer).or_default();
        for (key, n) in seen {
            *entry.entry(key).or_default() += n;
        }
    }
}

impl Learned {
    /// Adds what another tally learned (one thread's part of a sweep): counts, so the order of merging is of no
    /// consequence.
    pub(crate) fn merge(&mut self, other: Learned) {
        for (into, from) in [
            (&mut self.routing_keys, other.routing_keys),
            (&mut self.destinations, other.destinations),
            (&mut self.consumers, other.consumers),
        ] {
            for (route, tally) in from {
                add_all(into.entry(route).or_default(), tally);
            }
        }
        for (route, tally) in other.publishers {
            add_all(self.publishers.entry(route).or_default(), tally);
        }
        for (route, n) in other.routes {
            *self.routes.entry(route).or_default() += n;
        }
        add_all(&mut self.versions, other.versions);
        add_all(&mut self.waits, other.waits);
        add_all(&mut self.tolerated, other.tolerated);
    }

    /// Counts a request of `route` that succeeded (what it showed is recorded by the other `record_` calls).
    pub(crate) fn record_request(&mut self, route: &str) {
        *self.routes.entry(route.to_string()).or_default() += 1;
    }

    /// `message` published by `publisher` in a request of `route` that succeeded, after consuming `trigger`.
    pub(crate) fn record(
        &mut self,
        route: &str,
        message: &str,
        publisher: &str,
        trigger: Option<&str>,
    ) {
        let key = (
            publisher.to_string(),
            trigger.map(|t| base_name(t).to_string()),
        );
        count(per_route(&mut self.publishers, route), message, key);
    }

    /// The tallies to ask for `route`: its own when any request of it succeeded, else every route's.
    fn scoped<'t, K>(
        &self,
        tallies: &'t FxHashMap<String, Tally<K>>,
        route: &str,
    ) -> (Vec<&'t Tally<K>>, Scope) {
        if self.routes.get(route).is_some_and(|n| *n > 0) {
            (tallies.get(route).into_iter().collect(), Scope::Route)
        } else {
            (tallies.values().collect(), Scope::AllRoutes)
        }
    }

    /// The most frequent publisher of `message` in requests of `route` that succeeded (of every route when none
    /// of `route` did), with the message it consumed before.
    pub(crate) fn publisher_of(
        &self,
        route: &str,
        message: &str,
    ) -> Option<Seen<(&str, Option<&str>)>> {
        let (tallies, scope) = self.scoped(&self.publishers, route);
        most_frequent(tallies.into_iter(), message).map(|(service, trigger)| Seen {
            value: (service.as_str(), trigger.as_deref()),
            scope,
        })
    }

    pub(crate) fn record_routing_key(&mut self, route: &str, message: &str, key: &str) {
        count(
            per_route(&mut self.routing_keys, route),
            message,
            key.to_string(),
        );
    }

    /// The routing key `message` is usually published with in requests of `route` that succeeded (of every route
    /// when none of `route` did).
    pub(crate) fn routing_key(&self, route: &str, message: &str) -> Option<&str> {
        let (tallies, _) = self.scoped(&self.routing_keys, route);
        most_frequent(tallies.into_iter(), message).map(String::as_str)
    }

    pub(crate) fn record_destination(&mut self, route: &str, message: &str, destination: &str) {
        count(
            per_route(&mut self.destinations, route),
            message,
            destination.to_string(),
        );
    }

    /// The destination `message` is usually published to in requests of `route` that succeeded (of every route
    /// when none of `route` did).
    pub(crate) fn destination(&self, route: &str, message: &str) -> Option<&str> {
        let (tallies, _) = self.scoped(&self.destinations, route);
        most_frequent(tallies.into_iter(), message).map(String::as_str)
    }

    pub(crate) fn record_consumer(&mut self, route: &str, message: &str, service: &str) {
        count(
            per_route(&mut self.consumers, route),
            message,
            service.to_string(),
        );
    }

    /// The services that consumed `message` in requests of `route` that succeeded (of every route when none of
    /// `route` did), sorted.
    pub(crate) fn consumers_of(&self, route: &str, message: &str) -> Seen<Vec<&str>> {
        let (tallies, scope) = self.scoped(&self.consumers, route);
        let mut services: Vec<&str> = tallies
            .into_iter()
            .filter_map(|tally| tally.get(base_name(message)))
            .flat_map(|seen| seen.keys().map(String::as_str))
            .collect();
        services.sort_unstable();
        services.dedup();
        Seen {
            value: services,
            scope,
        }
    }

    pub(crate) fn record_version(&mut self, message: &str, version: &str) {
        count(&mut self.versions, message, version.to_string());
    }

    pub(crate) fn record_wait(&mut self, route: &str, service: &str, step: &str, message: &str) {
        *self
            .waits
            .entry((route.to_string(), service.to_string(), step.to_string()))
            .or_default()
            .entry(base_name(message).to_string())
            .or_default() += 1;
    }

    /// The messages `service` consumed while its step `step` ran in healthy requests of `route`, the most frequent
    /// first.
    pub(crate) fn waited_for(&self, route: &str, service: &str, step: &str) -> Vec<&str> {
        let key = (route.to_string(), service.to_string(), step.to_string());
        let mut seen: Vec<(&str, u32)> = self
            .waits
            .get(&key)
            .map(|m| m.iter().map(|(k, n)| (k.as_str(), *n)).collect())
            .unwrap_or_default();
        seen.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        seen.into_iter().map(|(m, _)| m).collect()
    }

    pub(crate) fn record_tolerated(&mut self, route: &str, call: &str) {
        *self
            .tolerated
            .entry(route.to_string())
            .or_default()
            .entry(call.to_string())
            .or_default() += 1;
    }

    /// Whether `call` failed in a request of `route` that succeeded.
    pub(crate) fn tolerates(&self, route: &str, call: &str) -> bool {
        self.tolerated
            .get(route)
            .is_some_and(|calls| calls.contains_key(call))
    }

    /// Whether `call` failed in a request that succeeded, of any route.
    pub(crate) fn tolerates_anywhere(&self, call: &str) -> bool {
        self.tolerated
            .values()
            .any(|calls| calls.contains_key(call))
    }

    /// The versions of `message` healthy consumers processed, sorted.
    pub(crate) fn versions_of(&self, message: &str) -> Vec<&str> {
        let mut seen: Vec<&str> = self
            .versions
            .get(base_name(message))
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        seen.sort();
        seen
    }
}
