//! Diagnoses the labelled corpus and prints top-1 service and span per profile, per fault kind and per partial
//! input, next to the naive "deepest error span" rule: the table in docs/trace.md.
//!
//! ```sh
//! cargo run --release -p seamline-trace --example corpus_eval -- [--seed N] [--healthy N] [--faulty N] [--misses [--alarms]] [--show CASE] [--dump DIR]
//! ```

use seamline_trace::corpus::{self, evaluate};

fn main() {
    let mut seed = 1;
    let mut healthy = 6;
    let mut faulty = 6;
    let mut misses = false;
    let mut alarms = false;
    let mut show: Option<String> = None;
    let mut dump: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = || args.next().and_then(|n| n.parse().ok());
        match arg.as_str() {
            "--seed" => seed = number().unwrap_or(seed as usize) as u64,
            "--healthy" => healthy = number().unwrap_or(healthy),
            "--faulty" => faulty = number().unwrap_or(faulty),
            "--misses" => misses = true,
            "--alarms" => alarms = true,
            "--show" => show = args.next(),
            "--dump" => dump = args.next(),
            _ => {
                eprintln!("usage: corpus_eval [--seed N] [--healthy N] [--faulty N] [--misses]");
                std::process::exit(2);
            }
        }
    }
    let mut scored = Vec::new();
    let specs = corpus::specs(seed, healthy, faulty);
    for spec in &specs {
        let case = corpus::case(spec);
        let case_scores = evaluate::score(&case);
        if let Some(dir) = &dump {
            let path = std::path::Path::new(dir).join(&case.file);
            if let Err(e) = std::fs::write(&path, &case.traces) {
                eprintln!("{}: {e}", path.display());
            }
        }
        if let Some(wanted) = &show
            && case.name.contains(wanted.as_str())
        {
            for s in &case_scores {
                println!(
                    "{} {} {:?}: expected {:?} {:?}, answered {:?}, naive {:?}",
                    s.case,
                    s.trace_id,
                    s.fault,
                    s.expected_service,
                    s.expected_span,
                    s.answered,
                    s.naive
                );
            }
        }
        if misses {
            for s in case_scores.iter().filter(|s| {
                s.present
                    && (s.false_alarm()
                        || (!alarms && s.expected_service.is_some() && !s.span_right()))
            }) {
                println!(
                    "miss {} {}: expected {:?} {:?}, answered {:?}",
                    s.case, s.trace_id, s.expected_service, s.expected_span, s.answered
                );
            }
        }
        scored.extend(case_scores);
    }
    let summary = evaluate::summarize(&scored);
    println!(
        "{} cases, seed {seed}, {healthy} healthy and {faulty} faulty requests each\n",
        specs.len()
    );
    print!("{}", summary.markdown());
}
