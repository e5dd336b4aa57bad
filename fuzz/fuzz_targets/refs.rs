//! Up to three documents that reference each other, held in memory: loading, `$ref` resolution, the reference
//! check, and the OpenAPI and event views never panic or loop forever.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use seamline_model::{Workspace, WorkspaceOptions, messages, operations};
use seamline_syntax::Limits;

const NAMES: [&str; 3] = ["/fuzz/root/api.yaml", "/fuzz/root/common.yaml", "/fuzz/root/sub/events.json"];

fuzz_target!(|data: &[u8]| {
    let mut ws = Workspace::new(WorkspaceOptions {
        root: "/fuzz/root".into(),
        display_base: "/fuzz/root".into(),
        allow_remote_refs: data.first().is_some_and(|b| b & 1 == 1),
        limits: Limits { max_alias_nodes: 10_000, ..Limits::default() },
    });
    let mut ids = Vec::new();
    for (part, name) in data.split(|&b| b == 0xFF).zip(NAMES) {
        ids.push(ws.add_virtual(Path::new(name), part));
    }
    let Some(&first) = ids.first() else { return };
    let _ = ws.load_with_refs(Path::new(NAMES[0]));
    let _ = ws.ref_problems();
    for &id in &ids {
        for op in operations(&ws, id) {
            let _ = op.responses(&ws);
        }
        let _ = messages(&ws, id);
        let _ = ws.judgeable(id);
        let _ = ws.deref(id, "/components/schemas/A");
    }
    let _ = first;
});
