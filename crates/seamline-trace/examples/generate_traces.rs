//! Writes the trace benchmark's input the way `seam trace generate --checkouts N [--fault F --faulty-per-40 K]`
//! does, without building the CLI.
//!
//! ```sh
//! cargo run --release -p seamline-trace --example generate_traces -- OUT.jsonl CHECKOUTS [FAULT FAULTY_PER_40]
//! ```

use std::io::Write;

use seamline_trace::generate::{self, Fault};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = || -> ! {
        eprintln!("usage: generate_traces OUT.jsonl CHECKOUTS [FAULT FAULTY_PER_40]");
        std::process::exit(2);
    };
    let (Some(out), Some(checkouts)) = (args.first(), args.get(1).and_then(|n| n.parse().ok()))
    else {
        usage()
    };
    let fault = match args.get(2).map(String::as_str) {
        None | Some("none") => None,
        Some(name) => Some(Fault::parse(name).unwrap_or_else(|| usage())),
    };
    let options = generate::Options {
        checkouts,
        fault,
        faulty_per_40: args
            .get(3)
            .and_then(|n| n.parse().ok())
            .unwrap_or(37usize)
            .min(40),
        ..generate::Options::default()
    };
    let mut file = std::io::BufWriter::new(std::fs::File::create(out)?);
    let written = generate::generate(&options, &mut file, None)?;
    file.flush()?;
    eprintln!(
        "wrote {} span(s) in {} trace(s) to {out}",
        written.spans, written.traces
    );
    Ok(())
}
