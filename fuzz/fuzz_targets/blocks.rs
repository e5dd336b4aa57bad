//! The managed blocks of `seam context` on any file a user may have: replacing the block never panics, an error
//! names a line inside the file, and whenever it succeeds the result holds the new block, keeps the text outside
//! the old one, and is a fixed point (applying again changes nothing).
#![no_main]

use libfuzzer_sys::fuzz_target;
use seamline_context::blocks::{apply, body};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let new_body = "## Integration context\n\nfuzzed\n";
    match apply(Some(text), "", new_body) {
        Ok(out) => {
            assert_eq!(body(&out).ok().flatten().as_deref(), Some(new_body));
            assert_eq!(apply(Some(&out), "", new_body).as_deref(), Ok(out.as_str()));
            let start = out.find("<!-- seam:begin").expect("a block");
            let kept = text.find("<!-- seam:begin").unwrap_or(text.len());
            assert!(out[..start].starts_with(text[..kept].trim_end_matches(['\r', '\n'])));
        }
        Err(e) => assert!(e.line() >= 1 && e.line() <= text.split('\n').count(), "{e:?}"),
    }
});
