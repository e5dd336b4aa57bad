//! Inputs the fuzzer (`fuzz/fuzz_targets/syntax.rs`) once crashed on, kept in `tests/fuzz-regressions/`, checked
//! with the fuzzer's own invariants: no panic, every span inside the text and on character boundaries, every node
//! found again by its JSON Pointer.

use std::path::Path;

use seamline_syntax::{Format, Limits, Node, parse};

fn check_span(text: &str, start: u32, end: u32, what: &str) {
    let (start, end) = (start as usize, end as usize);
    assert!(
        start <= end && end <= text.len(),
        "{what}: span {start}..{end} outside 0..{}",
        text.len()
    );
    assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "{what}: span {start}..{end} splits a character"
    );
}

fn check(name: &str, data: &[u8]) {
    for format in [Format::Json, Format::Yaml, Format::Toml] {
        let what = format!("{name} as {format:?}");
        let parsed = parse(
            name,
            data,
            format,
            &Limits {
                max_alias_nodes: 10_000,
                ..Limits::default()
            },
        );
        let text = parsed.source.text();
        for p in &parsed.problems {
            check_span(text, p.span.start, p.span.end, &what);
        }
        let Some(root) = &parsed.root else { continue };
        root.visit(&mut |pointer, node: &Node| {
            check_span(text, node.span.start, node.span.end, &what);
            assert!(
                std::ptr::eq(root.pointer(pointer).unwrap(), node),
                "{what}: {pointer}"
            );
            for m in node.entries() {
                check_span(text, m.key_span.start, m.key_span.end, &what);
            }
        });
    }
}

#[test]
fn inputs_that_once_crashed_the_fuzzer() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        check(
            &entry.file_name().to_string_lossy(),
            &std::fs::read(entry.path()).unwrap(),
        );
        count += 1;
    }
    assert!(count > 0);
}
