//! `seam.toml` as the registry receives it from any publisher: decoding never panics, and every problem points
//! inside the text, on character boundaries.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let read = seamline_model::parse_manifest(Path::new("seam.toml"), "seam.toml", data);
    // Spans index the text as read (invalid UTF-8 replaced), not the raw bytes.
    let text = read.source.text();
    for problem in &read.problems {
        let (start, end) = (problem.span.start as usize, problem.span.end as usize);
        assert!(start <= end && end <= text.len(), "{start}..{end} of {}", text.len());
        assert!(text.is_char_boundary(start) && text.is_char_boundary(end));
        let _ = read.source.line_col(problem.span.start);
    }
    if let Some(manifest) = &read.manifest {
        for consumed in manifest.consumed_contracts() {
            let _ = consumed.vendored_candidates();
        }
    }
});
