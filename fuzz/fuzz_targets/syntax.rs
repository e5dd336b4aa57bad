//! Any bytes, read as JSON, YAML and TOML: never a panic, every span inside the text and on character
//! boundaries, and every node found again by its JSON Pointer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seamline_syntax::{Format, Limits, Node, parse};

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_alias_nodes: 10_000, ..Limits::default() };
    for format in [Format::Json, Format::Yaml, Format::Toml] {
        let parsed = parse("fuzz", data, format, &limits);
        let text = parsed.source.text();
        for p in &parsed.problems {
            check_span(text, p.span.start, p.span.end);
            let _ = parsed.source.line_col(p.span.start);
        }
        if let Some(root) = &parsed.root {
            walk(root, text);
        }
    }
});

fn check_span(text: &str, start: u32, end: u32) {
    let (start, end) = (start as usize, end as usize);
    assert!(start <= end && end <= text.len(), "span {start}..{end} outside 0..{}", text.len());
    assert!(text.is_char_boundary(start) && text.is_char_boundary(end), "span {start}..{end} splits a character");
}

fn walk(root: &Node, text: &str) {
    root.visit(&mut |pointer, node| {
        check_span(text, node.span.start, node.span.end);
        let found = root.pointer(pointer).expect("every node is reachable by its pointer");
        assert!(std::ptr::eq(found, node), "pointer {pointer} finds another node");
        for m in node.entries() {
            check_span(text, m.key_span.start, m.key_span.end);
        }
    });
}
