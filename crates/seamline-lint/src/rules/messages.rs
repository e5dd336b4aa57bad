//! Rules about event messages: versioned, with a payload schema, with an id consumers can deduplicate by.

pub(crate) mod message_id_missing;
pub(crate) mod message_payload_missing;
pub(crate) mod message_unversioned;

use seamline_model::{DocId, Workspace};
use seamline_syntax::join_pointer;

/// The members that name a JSON Schema event file, in the order they are read.
pub(crate) const NAME_KEYS: [&str; 4] = ["x-message", "title", "$id", "$schema"];

/// Where a finding about a message goes: at `pointer`, except for a JSON Schema file that is one message as a
/// whole (`pointer` is empty), where the caret goes under the first of `keys` the file has rather than under
/// every line of the file.
pub(crate) fn anchor(ws: &Workspace, doc: DocId, pointer: &str, keys: &[&str]) -> String {
    if !pointer.is_empty() {
        return pointer.to_owned();
    }
    keys.iter()
        .map(|k| join_pointer("", k))
        .find(|p| ws.doc(doc).node(p).is_some())
        .unwrap_or_default()
}
