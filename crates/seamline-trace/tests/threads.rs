//! The report does not depend on the number of threads: the requests of a sweep are analysed on several, and what
//! they find and teach is applied in the order the requests started.

use seamline_trace::corpus::{self, Partial};
use seamline_trace::generate::{self, Fault, Style};
use seamline_trace::read::{InputFormat, Reader};
use seamline_trace::{CauseKind, Config, Engine, Report};

fn diagnose(name: &str, bytes: &[u8], config: Config, threads: usize) -> (Report, String) {
    let mut reader = Reader::default();
    reader.threads = threads;
    let mut engine = Engine::new(config).with_threads(threads);
    reader
        .read_stream(name, bytes, InputFormat::Auto, &mut engine)
        .expect("reading from memory");
    let report = engine.finish(&reader.report);
    let mut json = Vec::new();
    report.write_json(&mut json).expect("writing to memory");
    (report, String::from_utf8(json).expect("JSON is UTF-8"))
}

#[test]
fn a_generated_stream_gives_the_same_report_on_one_thread_and_on_several() {
    // Several faults in one stream, consumers linked rather than nested, exporters' quirks, and a short window:
    // many sweeps, each with a few hundred requests, learning from the healthy ones as the stream goes. The four
    // runs of the generator share their clock, so the stream goes back in time three times and some spans arrive
    // after their trace was analysed: the awkward input is on purpose.
    let mut bytes = Vec::new();
    for (i, fault) in [
        Fault::MissingPublish,
        Fault::VersionMismatch,
        Fault::NotificationFails,
        Fault::PaymentSlow,
    ]
    .into_iter()
    .enumerate()
    {
        let options = generate::Options {
            checkouts: 600,
            fault: Some(fault),
            faulty_per_40: 6,
            style: if i % 2 == 0 {
                Style::Link
            } else {
                Style::Child
            },
            seed: 11 + i as u64,
            quirks: i == 1,
            ..generate::Options::default()
        };
        generate::generate(&options, &mut bytes, None).expect("writing to memory");
    }
    let config = || Config {
        window_ns: 2_000_000_000,
        ..Config::default()
    };
    let (one, one_json) = diagnose("stream.jsonl", &bytes, config(), 1);
    assert!(one.totals.requests >= 2400, "{:?}", one.totals);
    assert!(one.totals.failing_requests >= 200, "{:?}", one.totals);
    let kinds: Vec<CauseKind> = one.traces.iter().map(|t| t.root_cause.kind).collect();
    for kind in [
        CauseKind::MissingPublish,
        CauseKind::MessageRejected,
        CauseKind::NonFatal,
        CauseKind::MaskedTimeout,
    ] {
        assert!(kinds.contains(&kind), "{kind:?} not among the causes");
    }
    for threads in [2, 3, 5] {
        let (many, many_json) = diagnose("stream.jsonl", &bytes, config(), threads);
        assert_eq!(many.totals, one.totals, "{threads} threads");
        assert!(
            many_json == one_json,
            "{threads} threads: the JSON reports differ"
        );
    }
}

#[test]
fn every_corpus_case_gives_the_same_report_on_one_thread_and_on_several() {
    // Enough requests per case that a sweep is split between threads; partial inputs among them, so requests
    // without their root (which the input notes name, in order) are compared too.
    let mut partial_cases = 0;
    for spec in corpus::specs(5, 14, 8) {
        let case = corpus::case(&spec);
        let config = || Config {
            expectations: case.expectations.clone(),
            ..Config::default()
        };
        let (one, one_json) = diagnose(&case.file, &case.traces, config(), 1);
        let (many, many_json) = diagnose(&case.file, &case.traces, config(), 4);
        assert_eq!(many.totals, one.totals, "{}", case.name);
        assert!(
            many_json == one_json,
            "{}: the JSON reports differ",
            case.name
        );
        if spec.partial != Partial::Complete && one.totals.incomplete_requests > 0 {
            partial_cases += 1;
        }
    }
    assert!(partial_cases > 10, "{partial_cases}");
}
