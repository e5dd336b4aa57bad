//! Any bytes as trace input: every reader (JSON documents, JSON Lines, span arrays, protobuf), then the whole
//! diagnosis and its renderings, never panic; what could not be read is counted, never lost silently.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seamline_trace::read::{Collect, InputFormat, Reader};
use seamline_trace::render::{RenderOptions, render_markdown, render_text};
use seamline_trace::{Config, diagnose_bytes};

fuzz_target!(|data: &[u8]| {
    for format in [InputFormat::Auto, InputFormat::OtlpProtobuf] {
        let mut reader = Reader::default();
        let mut sink = Collect::default();
        reader.read_bytes("fuzz", data, format, &mut sink);
        assert_eq!(reader.report.spans as usize, sink.spans.len());
        let mut streamed = Reader::default();
        let mut again = Collect::default();
        streamed.read_stream("fuzz", data, format, &mut again).unwrap();
    }
    let report = diagnose_bytes(&[("fuzz", data)], Config::default());
    let _ = render_text(&report, RenderOptions { all: true });
    let _ = render_markdown(&report, RenderOptions::default(), None);
});
