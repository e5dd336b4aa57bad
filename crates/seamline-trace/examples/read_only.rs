//! The trace readers alone, into a sink that only counts: separates reading from analysis in the benchmark.
//! `read_only FILE [THREADS]`: THREADS parse lines (0, the default, one per core). mimalloc, as in the CLI.

use seamline_trace::model::{LogRecord, Span};
use seamline_trace::read::{InputFormat, Reader, Sink};

struct Count(u64);

impl Sink for Count {
    fn span(&mut self, _: Span) {
        self.0 += 1;
    }
    fn log(&mut self, _: LogRecord) {}
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::io::Result<()> {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: read_only FILE [THREADS]");
        std::process::exit(2);
    };
    let threads = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path)?);
    let mut reader = Reader::default();
    reader.threads = threads;
    let mut count = Count(0);
    reader.read_stream(&path, file, InputFormat::Auto, &mut count)?;
    println!("{} spans", count.0);
    Ok(())
}
