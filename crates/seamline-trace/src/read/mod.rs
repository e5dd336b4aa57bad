//! Readers: OTLP/JSON (whole documents and the collector's one-request-per-line files), OTLP/protobuf, Jaeger JSON
//! (query API `{"data":[…]}`, v3 `{"result":…}`, bare traces and span arrays), Zipkin v2 JSON, and logs (OTLP/JSON
//! logs, JSON Lines with trace and span ids). Every reader hands spans and log records to a [`Sink`] as it goes and
//! records what it skipped in a [`ReadReport`]; none of them fails on bad input.

mod jaeger;
mod json;
pub(crate) mod lenient;
mod otlp;
pub mod proto;
mod zipkin;

use std::io::BufRead;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::model::{LogRecord, Span};

/// The input formats `--input-format` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum InputFormat {
    /// Decide from the content.
    #[default]
    Auto,
    /// OTLP/JSON traces or logs, one document or one per line.
    OtlpJson,
    /// OTLP/protobuf: an `ExportTraceServiceRequest`, or several, each prefixed by its varint length.
    OtlpProtobuf,
    /// Jaeger JSON: the query API's `{"data":[…]}`, a bare trace, or an array of spans.
    Jaeger,
    /// Zipkin v2 JSON: an array of spans.
    Zipkin,
}

/// Receives what the readers produce, one item at a time.
pub trait Sink {
    fn span(&mut self, span: Span);
    fn log(&mut self, log: LogRecord);
}

/// What a read produced and what it had to leave out.
#[derive(Clone, Debug, Default)]
pub struct ReadReport {
    pub spans: u64,
    pub logs: u64,
    /// How many items were skipped, per reason.
    pub skipped: Vec<(String, u64)>,
    /// The first few skipped items with their location, for the message.
    pub examples: Vec<String>,
    /// The reason group and the location of each example.
    example_places: Vec<(String, String)>,
}

impl ReadReport {
    pub fn skipped_total(&self) -> u64 {
        self.skipped.iter().map(|(_, n)| n).sum()
    }

    /// Where items were skipped for one reason (a group of [`ReadReport::skipped`]), from the kept examples:
    /// " (at a, b, c, …)", or nothing.
    pub fn where_skipped(&self, reason: &str) -> String {
        let at: Vec<&str> = self
            .example_places
            .iter()
            .filter(|(group, _)| group == reason)
            .map(|(_, at)| at.as_str())
            .collect();
        let count = self
            .skipped
            .iter()
            .find(|(r, _)| r == reason)
            .map_or(0, |(_, n)| *n);
        let shown = at.len().min(3);
        match shown {
            0 => String::new(),
            _ if count > shown as u64 => format!(" (at {}, …)", at[..shown].join(", ")),
            _ => format!(" (at {})", at[..shown].join(", ")),
        }
    }
}

/// Reads any number of inputs into one sink, sharing the interned attribute keys and service names.
#[derive(Default)]
pub struct Reader {
    pub report: ReadReport,
    /// How many threads read a JSON Lines stream, the caller's among them: 0 (the default) one per core, 1 the
    /// caller's alone. Besides the caller's, which reads the lines and feeds the sink (the engine, which is the
    /// longest single task), `threads - 1` threads parse them; the sink receives every item in input order.
    pub threads: usize,
    strings: FxHashMap<Box<str>, Arc<str>>,
    /// Lines per batch when not [`BATCH_LINES`]: small batches in tests, so items cross many batches.
    batch_lines: Option<usize>,
}

/// Lines handed to a parsing thread at once: enough to make handing them over cheap, few enough that the batches
/// in flight (two per thread) stay small next to the window of live traces.
const BATCH_BYTES: usize = 1 << 20;
const BATCH_LINES: usize = 4096;

/// What a parsing thread made of a batch of lines: the items in input order, and what it skipped.
struct Parsed {
    items: Vec<Item>,
    report: ReadReport,
}

enum Item {
    Span(Span),
    Log(LogRecord),
}

/// Keeps a batch's spans and log records in the order the lines hold them.
#[derive(Default)]
struct Items(Vec<Item>);

impl Sink for Items {
    fn span(&mut self, span: Span) {
        self.0.push(Item::Span(span));
    }
    fn log(&mut self, log: LogRecord) {
        self.0.push(Item::Log(log));
    }
}

const MAX_EXAMPLES: usize = 20;

impl Reader {
    /// Reads a whole input held in memory.
    pub fn read_bytes(
        &mut self,
        name: &str,
        bytes: &[u8],
        format: InputFormat,
        sink: &mut dyn Sink,
    ) {
        let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
        let Some(start) = start else {
            self.skip(name, "the input is empty");
            return;
        };
        let format = match format {
            InputFormat::Auto if matches!(bytes[start], b'{' | b'[') => InputFormat::OtlpJson,
            InputFormat::Auto => InputFormat::OtlpProtobuf,
            other => other,
        };
        if format == InputFormat::OtlpProtobuf {
            proto::read(self, name, bytes, sink);
            return;
        }
        let first_line_end = bytes[start..]
            .iter()
            .position(|b| *b == b'\n')
            .map(|i| start + i);
        let is_lines = first_line_end.is_some_and(|end| {
            bytes[start] == b'{'
                && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes[start..end]).is_ok()
                && bytes[end..].iter().any(|b| !b.is_ascii_whitespace())
        });
        if is_lines {
            for (index, line) in bytes.split(|b| *b == b'\n').enumerate() {
                json::read_document(self, &format!("{name}:{}", index + 1), line, sink);
            }
        } else {
            json::read_document(self, name, &bytes[start..], sink);
        }
    }

    /// Reads a stream: JSON Lines are read one line at a time, so memory holds one line, not the file; any other
    /// layout is read whole.
    pub fn read_stream(
        &mut self,
        name: &str,
        mut input: impl BufRead,
        format: InputFormat,
        sink: &mut dyn Sink,
    ) -> std::io::Result<()> {
        let mut first = Vec::new();
        input.read_until(b'\n', &mut first)?;
        let trimmed = first.trim_ascii();
        let first_is_document = format != InputFormat::OtlpProtobuf
            && trimmed.first() == Some(&b'{')
            && serde_json::from_slice::<serde::de::IgnoredAny>(trimmed).is_ok();
        if !first_is_document {
            let mut all = first;
            input.read_to_end(&mut all)?;
            self.read_bytes(name, &all, format, sink);
            return Ok(());
        }
        json::read_document(self, &format!("{name}:1"), &first, sink);
        let threads = match self.threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        if threads > 1 {
            return self.read_lines_in_parallel(name, input, threads - 1, sink);
        }
        let mut line = Vec::new();
        let mut number = 1;
        loop {
            line.clear();
            if input.read_until(b'\n', &mut line)? == 0 {
                return Ok(());
            }
            number += 1;
            json::read_document(self, &format!("{name}:{number}"), &line, sink);
        }
    }

    /// The lines after the first of a JSON Lines stream, parsed by `threads` more threads a batch at a time; the items
    /// reach the sink in input order, from this thread, and what was skipped is counted as if read here.
    fn read_lines_in_parallel(
        &mut self,
        name: &str,
        mut input: impl BufRead,
        threads: usize,
        sink: &mut dyn Sink,
    ) -> std::io::Result<()> {
        use std::sync::{Mutex, mpsc};

        // (batch number, number of its first line, its lines)
        let (jobs, queue) = mpsc::sync_channel::<(u64, usize, Vec<u8>)>(threads * 2);
        let queue = Mutex::new(queue);
        let (done, results) = mpsc::channel::<(u64, Parsed)>();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let (queue, done) = (&queue, done.clone());
                scope.spawn(move || {
                    let mut reader = Reader {
                        threads: 1,
                        ..Reader::default()
                    };
                    loop {
                        // A poisoned lock means another parser panicked; this one stops too.
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        let Ok((batch, first_line, lines)) = job else {
                            return;
                        };
                        let mut items = Items::default();
                        let body = lines.strip_suffix(b"\n").unwrap_or(&lines);
                        for (i, line) in body.split(|b| *b == b'\n').enumerate() {
                            let at = format!("{name}:{}", first_line + i);
                            json::read_document(&mut reader, &at, line, &mut items);
                        }
                        let report = std::mem::take(&mut reader.report);
                        if done
                            .send((
                                batch,
                                Parsed {
                                    items: items.0,
                                    report,
                                },
                            ))
                            .is_err()
                        {
                            return;
                        }
                    }
                });
            }
            drop(done);
            let mut pending: std::collections::BTreeMap<u64, Parsed> = Default::default();
            let mut next = 0u64;
            let mut emit_ready = |reader: &mut Reader,
                                  pending: &mut std::collections::BTreeMap<u64, Parsed>,
                                  sink: &mut dyn Sink| {
                while let Some(parsed) = pending.remove(&next) {
                    reader.take_batch(parsed, sink);
                    next += 1;
                }
            };
            let mut sent = 0u64;
            let mut number = 2;
            let mut read = Ok(());
            loop {
                let mut lines = Vec::with_capacity(BATCH_BYTES + BATCH_BYTES / 4);
                let mut count = 0;
                while lines.len() < BATCH_BYTES && count < self.batch_lines.unwrap_or(BATCH_LINES) {
                    match input.read_until(b'\n', &mut lines) {
                        Ok(0) => break,
                        Ok(_) => count += 1,
                        Err(e) => {
                            read = Err(e);
                            break;
                        }
                    }
                }
                if count == 0 {
                    break;
                }
                if jobs.send((sent, number, lines)).is_err() {
                    break;
                }
                sent += 1;
                number += count;
                while let Ok((batch, parsed)) = results.try_recv() {
                    pending.insert(batch, parsed);
                }
                emit_ready(self, &mut pending, sink);
                if read.is_err() {
                    break;
                }
            }
            drop(jobs);
            for (batch, parsed) in results.iter() {
                pending.insert(batch, parsed);
                emit_ready(self, &mut pending, sink);
            }
            read
        })
    }

    /// Hands a parsed batch's items to the sink and counts what it read and skipped.
    fn take_batch(&mut self, parsed: Parsed, sink: &mut dyn Sink) {
        for item in parsed.items {
            match item {
                Item::Span(span) => sink.span(span),
                Item::Log(log) => sink.log(log),
            }
        }
        let report = parsed.report;
        self.report.spans += report.spans;
        self.report.logs += report.logs;
        for (group, count) in report.skipped {
            match self.report.skipped.iter_mut().find(|(r, _)| *r == group) {
                Some((_, n)) => *n += count,
                None => self.report.skipped.push((group, count)),
            }
        }
        for (example, place) in report.examples.into_iter().zip(report.example_places) {
            if self.report.examples.len() < MAX_EXAMPLES {
                self.report.examples.push(example);
                self.report.example_places.push(place);
            }
        }
    }

    /// One shared copy of a string that repeats (attribute keys, service names).
    pub(crate) fn intern(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.strings.get(text) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(text);
        self.strings.insert(text.into(), shared.clone());
        shared
    }

    pub(crate) fn skip(&mut self, location: &str, reason: &str) {
        self.skip_n(location, reason, 1);
    }

    pub(crate) fn skip_n(&mut self, location: &str, reason: &str, count: u64) {
        // Reasons are grouped by their text up to the first backtick, so "`x` is not hex" and "`y` is not hex"
        // count together while the example keeps the value.
        let group = reason
            .split('`')
            .next()
            .unwrap_or(reason)
            .trim_end()
            .to_string();
        match self.report.skipped.iter_mut().find(|(r, _)| *r == group) {
            Some((_, n)) => *n += count,
            None => self.report.skipped.push((group.clone(), count)),
        }
        if self.report.examples.len() < MAX_EXAMPLES {
            self.report.examples.push(format!("{location}: {reason}"));
            self.report
                .example_places
                .push((group, location.to_owned()));
        }
    }

    pub(crate) fn emit_span(&mut self, span: Span, sink: &mut dyn Sink) {
        self.report.spans += 1;
        sink.span(span);
    }

    pub(crate) fn emit_log(&mut self, log: LogRecord, sink: &mut dyn Sink) {
        self.report.logs += 1;
        sink.log(log);
    }
}

/// Collects everything in memory; for small inputs and tests.
#[derive(Default, Debug)]
pub struct Collect {
    pub spans: Vec<Span>,
    pub logs: Vec<LogRecord>,
}

impl Sink for Collect {
    fn span(&mut self, span: Span) {
        self.spans.push(span);
    }
    fn log(&mut self, log: LogRecord) {
        self.logs.push(log);
    }
}

#[cfg(test)]
mod tests {
    use super::{Collect, InputFormat, Reader};

    /// JSON Lines of spans and logs with the faults a real file has: a line that is not JSON, a blank line, a span
    /// with an unreadable id, and a last line cut in the middle.
    fn input() -> Vec<u8> {
        let mut text = String::new();
        for i in 0..40u32 {
            let span = format!(
                r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc-{}"}}}}]}},"scopeSpans":[{{"spans":[{{"traceId":"{:032x}","spanId":"{:016x}","name":"GET /{i}","kind":2,"startTimeUnixNano":"{}","endTimeUnixNano":"{}"}}]}}]}}]}}"#,
                i % 3,
                i + 1,
                i + 1,
                1_000 + u64::from(i),
                2_000 + u64::from(i)
            );
            text.push_str(&span);
            text.push('\n');
            match i {
                7 => text.push_str("not json at all\n"),
                11 => text.push('\n'),
                13 => text.push_str(&span.replace(&format!("{:016x}", i + 1), "zz")),
                17 => text.push_str(&format!(
                    r#"{{"trace_id":"{:032x}","span_id":"{:016x}","message":"log {i}","level":"ERROR"}}"#,
                    i + 1,
                    i + 1
                )),
                _ => continue,
            }
            text.push('\n');
        }
        text.push_str(r#"{"resourceSpans":[{"resource":{"#);
        text.into_bytes()
    }

    fn read(threads: usize, batch_lines: Option<usize>) -> (Collect, Reader) {
        let mut reader = Reader {
            threads,
            batch_lines,
            ..Reader::default()
        };
        let mut sink = Collect::default();
        let bytes = input();
        reader
            .read_stream("traces.jsonl", &bytes[..], InputFormat::Auto, &mut sink)
            .unwrap();
        (sink, reader)
    }

    #[test]
    fn lines_read_on_several_threads_reach_the_sink_as_read_on_one() {
        let (one, alone) = read(1, None);
        assert_eq!(one.spans.len(), 40, "{:?}", alone.report);
        assert_eq!(one.logs.len(), 1);
        for (threads, batch) in [(2, Some(1)), (3, Some(4)), (4, None), (0, Some(2))] {
            let (many, reader) = read(threads, batch);
            assert_eq!(
                many.spans, one.spans,
                "{threads} threads, batches of {batch:?}"
            );
            assert_eq!(many.logs, one.logs);
            let (a, b) = (&reader.report, &alone.report);
            assert_eq!((a.spans, a.logs), (b.spans, b.logs));
            assert_eq!(a.skipped, b.skipped);
            assert_eq!(a.examples, b.examples);
            for (reason, _) in &a.skipped {
                assert_eq!(a.where_skipped(reason), b.where_skipped(reason));
            }
        }
        // The places of what was skipped are the lines' own numbers.
        let examples = alone.report.examples.join("\n");
        assert!(
            examples.contains("traces.jsonl:9: not a trace"),
            "{examples}"
        );
        assert!(
            examples.contains("traces.jsonl:19: resourceSpans"),
            "{examples}"
        );
        assert!(examples.contains("cut off"), "{examples}");
    }
}
