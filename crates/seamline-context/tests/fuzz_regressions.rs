//! Inputs the `blocks` fuzz target once failed on, kept with the invariants it checks.

#[test]
fn fuzz_regressions_hold() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("the regression folder") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("UTF-8 input");
        seamline_context::blocks::check_invariants(&text);
        seen += 1;
    }
    assert!(seen > 0, "no inputs in {}", dir.display());
}
