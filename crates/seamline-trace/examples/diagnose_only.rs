//! Reading and diagnosis without the CLI around them: the engine's share of `seam trace diagnose` in the benchmark.

use seamline_trace::read::{InputFormat, Reader};
use seamline_trace::{Config, Engine};

fn main() -> std::io::Result<()> {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: diagnose_only FILE");
        std::process::exit(2);
    };
    let file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path)?);
    let mut reader = Reader::default();
    let mut engine = Engine::new(Config::default());
    reader.read_stream(&path, file, InputFormat::Auto, &mut engine)?;
    let report = engine.finish(&reader.report);
    println!(
        "{} spans, {} requests, {} failing",
        report.totals.spans, report.totals.requests, report.totals.failing_requests
    );
    Ok(())
}
