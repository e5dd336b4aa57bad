//! The trace readers alone, into a sink that only counts: separates reading from analysis in the benchmark.

use seamline_trace::model::{LogRecord, Span};
use seamline_trace::read::{InputFormat, Reader, Sink};

struct Count(u64);

impl Sink for Count {
    fn span(&mut self, _: Span) {
        self.0 += 1;
    }
    fn log(&mut self, _: LogRecord) {}
}

fn main() -> std::io::Result<()> {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: read_only FILE");
        std::process::exit(2);
    };
    let file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path)?);
    let mut reader = Reader::default();
    let mut count = Count(0);
    reader.read_stream(&path, file, InputFormat::Auto, &mut count)?;
    println!("{} spans", count.0);
    Ok(())
}
