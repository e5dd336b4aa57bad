//! What should happen, learned from requests that succeeded, is learned per route: a route's own healthy requests
//! say who publishes what after what in it, and other routes speak only for a route none of whose requests
//! succeeded. Built from the labelled corpus as the Java agent writes it (routing keys as message names, waits as
//! INTERNAL spans without messaging attributes), with the route and a service renamed by text, so two routes of
//! one file differ in who answers the same message.

use seamline_trace::corpus::{self, FaultKind, Partial, Profile, Spec, Topology};
use seamline_trace::{CauseKind, Config, Report, TraceDiagnosis, diagnose_bytes};

/// A Java-agent checkout file of `healthy` healthy requests and `faulty` requests missing the reply, with
/// `renames` applied to its text; and the trace ids of its faulty requests.
fn checkouts(
    seed: u64,
    fault: FaultKind,
    healthy: usize,
    faulty: usize,
    renames: &[(&str, &str)],
) -> (String, Vec<String>) {
    let case = corpus::case(&Spec {
        profile: Profile::JavaAgent,
        topology: Topology::Checkout,
        fault,
        partial: Partial::Complete,
        seed,
        healthy,
        faulty,
    });
    let mut text = String::from_utf8(case.traces).expect("the corpus writes UTF-8");
    for (from, to) in renames {
        text = text.replace(from, to);
    }
    let failing = case
        .requests
        .iter()
        .filter(|r| r.fault != FaultKind::Healthy)
        .map(|r| r.trace_id.clone())
        .collect();
    (text, failing)
}

fn diagnosis<'r>(report: &'r Report, trace: &str) -> &'r TraceDiagnosis {
    report
        .traces
        .iter()
        .find(|t| t.trace_id == trace)
        .unwrap_or_else(|| panic!("{trace} not diagnosed: {:#?}", report.traces))
}

fn evidence(d: &TraceDiagnosis) -> Vec<&str> {
    d.evidence.iter().map(|e| e.text.as_str()).collect()
}

#[test]
fn a_routes_own_healthy_requests_say_who_should_have_published() {
    // POST /checkout: eight healthy requests in which inventory-service answers order.created with
    // inventory.stock_reserved. POST /reorder: three healthy requests in which stock-service answers it, and two in
    // which stock-service consumed order.created and published nothing. Across all routes inventory-service is
    // the usual publisher; in POST /reorder it is stock-service, and stock-service is in the failing requests.
    let (checkout, _) = checkouts(3, FaultKind::Healthy, 8, 0, &[]);
    let (reorder, failing) = checkouts(
        4,
        FaultKind::MissingPublish,
        3,
        2,
        &[
            ("/checkout", "/reorder"),
            ("inventory-service", "stock-service"),
        ],
    );
    assert_eq!(failing.len(), 2);
    let input = format!("{checkout}{reorder}");
    let report = diagnose_bytes(&[("routes.jsonl", input.as_bytes())], Config::default());
    // Some healthy requests survived the optional recommendation call failing: they are reported as non-fatal.
    assert_eq!(
        (report.totals.requests, report.totals.failing_requests),
        (13, 2),
        "{:?}",
        report.totals
    );
    for trace in &failing {
        let d = diagnosis(&report, trace);
        assert_eq!(
            (d.root_cause.kind, d.root_cause.service.as_str()),
            (CauseKind::MissingPublish, "stock-service"),
            "{trace}: {:#?}",
            d.root_cause
        );
        assert!(
            evidence(d).iter().any(|e| e.starts_with(
                "in healthy requests of gateway POST /reorder stock-service publishes inventory"
            )),
            "{:#?}",
            evidence(d)
        );
        assert!(d.incomplete.is_none(), "{:?}", d.incomplete);
    }
}

#[test]
fn a_route_without_healthy_requests_learns_from_the_others_and_says_so() {
    // POST /express has no request that succeeded: who should have answered comes from POST /checkout's.
    let (checkout, _) = checkouts(3, FaultKind::Healthy, 6, 0, &[]);
    let (express, failing) = checkouts(
        5,
        FaultKind::MissingPublish,
        0,
        2,
        &[("/checkout", "/express")],
    );
    let input = format!("{checkout}{express}");
    let report = diagnose_bytes(&[("routes.jsonl", input.as_bytes())], Config::default());
    for trace in &failing {
        let d = diagnosis(&report, trace);
        assert_eq!(
            (d.root_cause.kind, d.root_cause.service.as_str()),
            (CauseKind::MissingPublish, "inventory-service"),
            "{trace}: {:#?}",
            d.root_cause
        );
        let said = evidence(d);
        assert!(
            said.iter().any(|e| e.starts_with(
                "in healthy requests of other routes (none of gateway POST /express succeeded) inventory-service \
                 publishes inventory"
            )),
            "{said:#?}"
        );
    }
}

#[test]
fn an_unconsumed_publish_names_the_consumer_healthy_requests_show() {
    // No manifest: inventory-service published the reply under a routing key nothing is bound to. Who should have
    // received it is what the route's healthy requests show: order-service.
    let (text, failing) = checkouts(6, FaultKind::WrongRoutingKey, 4, 2, &[]);
    let report = diagnose_bytes(&[("astray.jsonl", text.as_bytes())], Config::default());
    assert_eq!(failing.len(), 2);
    for trace in &failing {
        let d = diagnosis(&report, trace);
        assert_eq!(
            (d.root_cause.kind, d.root_cause.service.as_str()),
            (CauseKind::UnconsumedPublish, "inventory-service"),
            "{trace}: {:#?}",
            d.root_cause
        );
        let said = evidence(d);
        assert!(
            said.contains(
                &"consumed by order-service in healthy requests of gateway POST /checkout"
            ),
            "{said:#?}"
        );
        assert!(
            !said.iter().any(|e| e.ends_with("(seam.toml)")),
            "{said:#?}"
        );
    }
}

#[test]
fn without_manifests_or_healthy_requests_the_reply_is_followed_along_the_requests_own_messages() {
    // Only failing requests, no manifest, and a wait (an INTERNAL span) whose reply never came, so no message of
    // the input carries its name: order-service published order.created before it waited; inventory-service
    // consumed it and published nothing (missing publish), or failed on it (crash loop).
    for (seed, fault, kind) in [
        (7, FaultKind::MissingPublish, CauseKind::MissingPublish),
        (8, FaultKind::CrashLoop, CauseKind::MessageRejected),
    ] {
        let (text, failing) = checkouts(seed, fault, 0, 2, &[]);
        let report = diagnose_bytes(&[("alone.jsonl", text.as_bytes())], Config::default());
        assert_eq!(report.totals.healthy_requests, 0, "{:?}", report.totals);
        for trace in &failing {
            let d = diagnosis(&report, trace);
            assert_eq!(
                (d.root_cause.kind, d.root_cause.service.as_str()),
                (kind, "inventory-service"),
                "{fault:?} {trace}: {:#?}",
                d.root_cause
            );
            let said = evidence(d);
            assert!(
                said.iter().any(|e| e.starts_with(
                    "no manifest or healthy request says who publishes what it waited for: order-service published"
                )),
                "{said:#?}"
            );
        }
    }
}
