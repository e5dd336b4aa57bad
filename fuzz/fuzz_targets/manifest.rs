//! `seam.toml` as the registry receives it from any publisher: decoding never panics, and every problem points
//! inside the text.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let read = seamline_model::parse_manifest(Path::new("seam.toml"), "seam.toml", data);
    for problem in &read.problems {
        assert!(problem.span.start <= problem.span.end && problem.span.end as usize <= data.len());
        let _ = read.source.line_col(problem.span.start);
    }
    if let Some(manifest) = &read.manifest {
        for consumed in manifest.consumed_contracts() {
            let _ = consumed.vendored_candidates();
        }
    }
});
