//! The baseline of the trace benchmark: parse a JSON Lines file with serde_json alone, one `Value` per line, and
//! count the spans, doing nothing else. `seam trace diagnose` on the same file is measured against this. It uses
//! mimalloc, as the CLI and the other benchmark programs do, so the ratio compares parsing, not allocators.

use std::io::{BufRead, BufReader};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::io::Result<()> {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: raw_parse FILE.jsonl");
        std::process::exit(2);
    };
    let mut reader = BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let mut line = String::new();
    let mut spans = 0usize;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        for resource in value["resourceSpans"].as_array().into_iter().flatten() {
            for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
                spans += scope["spans"].as_array().map_or(0, Vec::len);
            }
        }
    }
    println!("{spans} spans");
    Ok(())
}
