//! Rules about event messages: versioned, with a payload schema, with an id consumers can deduplicate by.

pub(crate) mod message_id_missing;
pub(crate) mod message_payload_missing;
pub(crate) mod message_unversioned;
