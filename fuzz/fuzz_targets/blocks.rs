//! The managed blocks of `seam context` on any file a user may have: `check_invariants` says what must hold
//! (no panic, errors inside the file, the new block present, the text before it kept, a fixed point).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        seamline_context::blocks::check_invariants(text);
    }
});
