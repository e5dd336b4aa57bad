//! The loop closed on real services: the five checkout services run on RabbitMQ (AMQP_URL) with one incident
//! switched on, checkouts are driven through the gateway, and `seam trace diagnose`'s engine, given the
//! services' manifests, names the service and the kind of failure from the spans they wrote. Every system uses
//! exchange and queue names of its own, so the tests run side by side.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use checkout_system::{Incident, Options, SERVICES, System, drive, trace_file};
use seamline_trace::{CauseKind, Config, Engine, Expectations, InputFormat, Reader, Report};
use serde_json::Value;

const CHECKOUTS: usize = 4;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn expectations() -> Expectations {
    let mut expectations = Expectations::default();
    for service in SERVICES {
        let path = examples().join(service).join("seam.toml");
        let read = seamline_model::read_manifest(&path, "seam.toml").unwrap();
        expectations.add_manifest(read.manifest.as_ref().unwrap());
    }
    expectations
}

/// What `seam trace diagnose DIR/*.otlp.jsonl --logs LOG --manifests …` would say.
fn diagnose(traces: &Path, log: &Path) -> Report {
    let mut reader = Reader::default();
    let mut engine = Engine::new(Config {
        expectations: expectations(),
        ..Config::default()
    });
    for service in SERVICES {
        let file = trace_file(traces, service);
        let bytes = std::fs::read(&file).unwrap_or_default();
        if !bytes.is_empty() {
            let name = file.display().to_string();
            reader.read_bytes(&name, &bytes, InputFormat::Auto, &mut engine);
        }
    }
    let bytes = std::fs::read(log).unwrap();
    reader.read_bytes("checkouts.jsonl", &bytes, InputFormat::Auto, &mut engine);
    engine.finish(&reader.report)
}

/// Whether every driven checkout is diagnosed as `expected` says.
fn diagnosed(report: &Report, expected: Option<(CauseKind, &str)>) -> bool {
    let named = report
        .traces
        .iter()
        .all(|t| Some((t.root_cause.kind, t.root_cause.service.as_str())) == expected);
    let count = if expected.is_some() { CHECKOUTS } else { 0 };
    named && report.traces.len() == count && report.totals.requests == CHECKOUTS as u64
}

/// Runs the system with `incident`, drives the checkouts, and checks the answers and the diagnosis.
async fn reproduce(incident: Option<Incident>, status: u16, expected: Option<(CauseKind, &str)>) {
    let Ok(url) = std::env::var("AMQP_URL") else {
        assert!(
            std::env::var_os("SEAMLINE_REQUIRE_SERVICES").is_none(),
            "AMQP_URL is not set and SEAMLINE_REQUIRE_SERVICES=1: RabbitMQ is required"
        );
        eprintln!("SKIPPED: set AMQP_URL to run the checkout system against RabbitMQ");
        return;
    };
    let label = incident.map_or("healthy", Incident::name);
    let dir = tempfile::tempdir().unwrap();
    let traces = dir.path().join("traces");
    let log = dir.path().join("checkouts.jsonl");
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let mut options = Options::new(&url);
    options.incident = incident;
    options.traces = Some(traces.clone());
    options.listen = "127.0.0.1:0".into();
    options.prefix = Some(format!("test.checkout.{label}.{n}"));
    options.reserve_timeout = Duration::from_millis(1_000);
    let system = System::start(&options).await.unwrap();
    let (queues, exchanges) = system.names();

    let driven = drive(&system.gateway, label, CHECKOUTS, CHECKOUTS, Some(&log))
        .await
        .unwrap();
    assert_eq!(
        driven.statuses.into_iter().collect::<Vec<_>>(),
        [(status, CHECKOUTS)],
        "{label}: the answers"
    );
    // What happens after the answer (retries of a notification, dead-lettering) takes a moment more.
    let started = Instant::now();
    while !diagnosed(&diagnose(&traces, &log), expected)
        && started.elapsed() < Duration::from_secs(15)
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    system.stop().await.unwrap();

    let report = diagnose(&traces, &log);
    let summary: Vec<String> = report
        .traces
        .iter()
        .map(|t| {
            format!(
                "{} {} {}",
                t.root_cause.kind.as_str(),
                t.root_cause.service,
                t.root_cause.headline
            )
        })
        .collect();
    assert!(
        diagnosed(&report, expected),
        "{label}: expected {expected:?} for each of {CHECKOUTS} checkouts, got {} request(s):\n{}",
        report.totals.requests,
        summary.join("\n")
    );
    assert!(
        report.input_notes.is_empty(),
        "{label}: every span and log line read: {:?}",
        report.input_notes
    );
    // Each log line carries the trace the gateway named, so the diagnosis shows the driver's line beside it.
    let logged: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["trace_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for trace in &report.traces {
        assert!(
            logged.contains(&trace.trace_id),
            "{label}: {} not logged",
            trace.trace_id
        );
        assert!(
            !trace.logs.is_empty(),
            "{label}: the driver's log line is attached"
        );
    }

    let connection = seamline_runtime::connect(&url, "checkout test cleanup")
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    for q in queues {
        let _ = channel
            .queue_delete(q.as_str().into(), Default::default())
            .await;
    }
    for e in exchanges {
        let _ = channel
            .exchange_delete(e.as_str().into(), Default::default())
            .await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn healthy_checkouts_have_nothing_to_diagnose() {
    reproduce(None, 201, None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn inventory_never_publishing_is_a_missing_publish_by_inventory() {
    reproduce(
        Some(Incident::MissingPublish),
        503,
        Some((CauseKind::MissingPublish, "inventory-service")),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_routing_key_is_an_unconsumed_publish_by_inventory() {
    reproduce(
        Some(Incident::WrongRoutingKey),
        503,
        Some((CauseKind::UnconsumedPublish, "inventory-service")),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_sent_to_a_v1_consumer_is_a_message_rejected_by_order() {
    reproduce(
        Some(Incident::VersionMismatch),
        503,
        Some((CauseKind::MessageRejected, "order-service")),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn payment_answering_503_is_retries_exhausted_at_payment() {
    reproduce(
        Some(Incident::PaymentUnavailable),
        503,
        Some((CauseKind::RetriesExhausted, "payment-service")),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_payment_is_a_masked_timeout_at_payment() {
    reproduce(
        Some(Incident::PaymentSlow),
        503,
        Some((CauseKind::MaskedTimeout, "payment-service")),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_notifications_are_non_fatal_at_notification() {
    reproduce(
        Some(Incident::NotificationFails),
        201,
        Some((CauseKind::NonFatal, "notification-service")),
    )
    .await;
}
