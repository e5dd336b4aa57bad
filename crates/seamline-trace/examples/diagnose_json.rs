//! What `seam trace diagnose FILE --format json` does, without the CLI around it: read and diagnose (on THREADS
//! threads; 0, the default, one per core), and write the JSON report to standard output. Uses mimalloc, as the CLI does.
//! The trace benchmark (`bench/trace.sh`) times it on one core and on all.
//!
//! ```sh
//! cargo run --release -p seamline-trace --example diagnose_json -- FILE [THREADS [WINDOW_SECONDS]] > report.json
//! ```

use std::io::Write;

use seamline_trace::read::{InputFormat, Reader};
use seamline_trace::{Config, Engine};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: diagnose_json FILE [THREADS [WINDOW_SECONDS]]");
        std::process::exit(2);
    };
    let threads = args.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    let mut config = Config::default();
    if let Some(seconds) = args.next().and_then(|n| n.parse::<u64>().ok()) {
        config.window_ns = seconds * 1_000_000_000;
    }
    let file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path)?);
    let mut reader = Reader::default();
    reader.threads = threads;
    let mut engine = Engine::new(config).with_threads(threads);
    reader.read_stream(&path, file, InputFormat::Auto, &mut engine)?;
    let report = engine.finish(&reader.report);
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    report.write_json(&mut out).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()?;
    eprintln!(
        "{} spans, {} requests, {} failing",
        report.totals.spans, report.totals.requests, report.totals.failing_requests
    );
    Ok(())
}
