//! Which calls failed together in the failing requests of each route. Requests that succeeded tell an optional
//! call from a cause only when one of them shows it failing; the failing requests tell it too, by comparing them
//! with one another: a call that failed only in requests where another call failed as well, while that other call
//! failed in requests without it, explains none of the requests it is missing from, and the other explains them
//! all. The engine records every failing request of a batch before it diagnoses any of them.

use rustc_hash::FxHashMap;

/// The calls that failed in failing requests, per route.
#[derive(Debug, Default)]
pub(crate) struct FailingTogether {
    routes: FxHashMap<String, RouteFailures>,
}

/// The failing requests of one route: how many, in how many each call failed, and each pair of calls together.
#[derive(Debug, Default)]
struct RouteFailures {
    requests: u32,
    /// Each call's number, an index into `counts`.
    ids: FxHashMap<String, u32>,
    counts: Vec<u32>,
    /// How many requests had both calls fail, the smaller number first.
    pairs: FxHashMap<(u32, u32), u32>,
}

/// How two calls failed across the failing requests of a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Together {
    /// Failing requests of the route.
    pub(crate) requests: u32,
    /// Failing requests in which the first call failed.
    pub(crate) call: u32,
    /// Failing requests in which the other call failed.
    pub(crate) other: u32,
}

/// Distinct calls remembered per route, and calls taken from one request: a bound against hostile input (real
/// routes have a few dozen calls; pairs grow with the square of a request's failing calls).
const MAX_CALLS_PER_ROUTE: usize = 512;
const MAX_CALLS_PER_REQUEST: usize = 32;

impl FailingTogether {
    /// Records one failing request of `route` with the calls that failed in it (each as
    /// [`failure_key`](crate::diagnose::failure_key) writes it; repeats are counted once).
    pub(crate) fn record(&mut self, route: &str, calls: &[String]) {
        let entry = match self.routes.get_mut(route) {
            Some(entry) => entry,
            None => self.routes.entry(route.to_string()).or_default(),
        };
        entry.requests += 1;
        let mut ids: Vec<u32> = Vec::new();
        for call in calls.iter().take(MAX_CALLS_PER_REQUEST) {
            let id = match entry.ids.get(call.as_str()) {
                Some(&id) => id,
                None if entry.ids.len() < MAX_CALLS_PER_ROUTE => {
                    let id = entry.counts.len() as u32;
                    entry.ids.insert(call.clone(), id);
                    entry.counts.push(0);
                    id
                }
                None => continue,
            };
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        for (i, &a) in ids.iter().enumerate() {
            entry.counts[a as usize] += 1;
            for &b in &ids[i + 1..] {
                *entry.pairs.entry((a.min(b), a.max(b))).or_default() += 1;
            }
        }
    }

    /// When `call` failed only in failing requests of `route` in which `other` failed too, and `other` failed in
    /// more of them: the counts. `None` otherwise (also when either was never recorded).
    pub(crate) fn only_with(&self, route: &str, call: &str, other: &str) -> Option<Together> {
        let entry = self.routes.get(route)?;
        let (&a, &b) = (entry.ids.get(call)?, entry.ids.get(other)?);
        if a == b {
            return None;
        }
        let (with_a, with_b) = (entry.counts[a as usize], entry.counts[b as usize]);
        let both = entry.pairs.get(&(a.min(b), a.max(b))).copied().unwrap_or(0);
        (both == with_a && with_b > with_a).then_some(Together {
            requests: entry.requests,
            call: with_a,
            other: with_b,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{FailingTogether, Together};

    fn calls(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn a_call_that_fails_only_beside_another_is_explained_by_it() {
        let mut tally = FailingTogether::default();
        let route = "edge-api POST /rides";
        // The optional geo call failed in two of the four failing requests, booking in all of them.
        tally.record(route, &calls(&["geo", "booking"]));
        tally.record(route, &calls(&["booking"]));
        tally.record(route, &calls(&["geo", "booking", "geo"]));
        tally.record(route, &calls(&["booking"]));
        assert_eq!(
            tally.only_with(route, "geo", "booking"),
            Some(Together {
                requests: 4,
                call: 2,
                other: 4
            })
        );
        assert_eq!(tally.only_with(route, "booking", "geo"), None);
        assert_eq!(tally.only_with("another route", "geo", "booking"), None);
        assert_eq!(tally.only_with(route, "geo", "unknown"), None);
        assert_eq!(tally.only_with(route, "geo", "geo"), None);
    }

    #[test]
    fn a_call_that_also_fails_alone_or_always_with_its_fallout_keeps_its_place() {
        let mut tally = FailingTogether::default();
        let route = "gateway POST /checkout";
        // The cart failed once without the quote: it fails requests on its own.
        tally.record(route, &calls(&["cart", "quote"]));
        tally.record(route, &calls(&["cart"]));
        tally.record(route, &calls(&["quote"]));
        assert_eq!(tally.only_with(route, "cart", "quote"), None);
        assert_eq!(tally.only_with(route, "quote", "cart"), None);
        // The quote fails in every request the cart fails in, and in no other: the earlier one stays the cause.
        let mut tally = FailingTogether::default();
        tally.record(route, &calls(&["cart", "quote"]));
        tally.record(route, &calls(&["cart", "quote"]));
        assert_eq!(tally.only_with(route, "cart", "quote"), None);
    }
}
