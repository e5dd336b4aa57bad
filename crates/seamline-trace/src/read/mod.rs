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
    strings: FxHashMap<Box<str>, Arc<str>>,
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
