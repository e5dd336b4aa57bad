//! Event contracts: messages by name and major version. A message the documented application sends is judged
//! as its consumers read it; one it receives (AsyncAPI 2 `publish`, AsyncAPI 3 `receive` operations) as it
//! reads what others send.

use std::collections::HashSet;

use seamline_model::{DocId, MessageSource, messages};
use seamline_syntax::Node;

use crate::checks;
use crate::schema::{At, SchemaDiff};
use crate::{Change, DiffOptions, Level, Side, Usage};

pub(crate) fn compare(old: Side<'_>, new: Side<'_>, options: &DiffOptions, out: &mut Vec<Change>) {
    let mut old_messages = messages(old.ws, old.doc);
    let new_messages = messages(new.ws, new.doc);
    // Two files that are each one message (bare JSON Schema) are two versions of that message, whatever their
    // names say: `order-v1.json` against `order-v2.json` compares payloads, not "removed" and "added".
    if let ([o], [n]) = (old_messages.as_mut_slice(), new_messages.as_slice())
        && o.source == MessageSource::SchemaFile
        && n.source == MessageSource::SchemaFile
    {
        o.name = n.name.clone();
        o.version = n.version;
    }
    let received = only_received(old);
    for o in &old_messages {
        let subject = o.id();
        let start = out.len();
        match new_messages
            .iter()
            .find(|n| n.name == o.name && n.version == o.version)
        {
            Some(n) => {
                for (what, (op, np)) in [
                    ("payload", (&o.payload, &n.payload)),
                    ("headers", (&o.headers, &n.headers)),
                ] {
                    let (Some((od, optr, _)), Some((nd, nptr, _))) = (op, np) else {
                        continue;
                    };
                    let path = if what == "payload" {
                        String::new()
                    } else {
                        "headers".to_owned()
                    };
                    let (old_at, new_at) = (
                        At {
                            doc: *od,
                            pointer: optr.clone(),
                        },
                        At {
                            doc: *nd,
                            pointer: nptr.clone(),
                        },
                    );
                    let from = out.len();
                    for &flow in options
                        .mode
                        .flows(received.contains(&(o.doc, o.pointer.clone())))
                    {
                        let mut diff =
                            SchemaDiff::new(old, new, options, subject.clone(), flow, out);
                        diff.compare(&old_at, &new_at, &path, 0);
                    }
                    keep_worst(out, from);
                }
            }
            None => out.push(Change {
                usage: Usage::Everyone,
                check: &checks::MESSAGE_REMOVED,
                level: Level::Breaking,
                subject,
                path: String::new(),
                message: "removed; its consumers receive nothing".to_owned(),
                old: old.label(o.doc, &o.pointer),
                new: None,
            }),
        }
        for change in &mut out[start..] {
            change.usage = Usage::Message {
                name: o.name.clone(),
                version: o.version,
            };
        }
    }
    for n in &new_messages {
        if old_messages
            .iter()
            .any(|o| o.name == n.name && o.version == n.version)
        {
            continue;
        }
        let beside = old_messages.iter().any(|o| o.name == n.name);
        let (check, message) = if beside {
            (
                &checks::MESSAGE_VERSION_ADDED,
                "new major version beside the existing one",
            )
        } else {
            (&checks::MESSAGE_ADDED, "added")
        };
        out.push(Change {
            usage: Usage::Message {
                name: n.name.clone(),
                version: n.version,
            },
            check,
            level: Level::Info,
            subject: n.id(),
            path: String::new(),
            message: message.to_owned(),
            old: None,
            new: new.label(n.doc, &n.pointer),
        });
    }
    // A channel is what consumers subscribe to: its address in AsyncAPI 3 (the key there is only a name inside
    // the document), its key in AsyncAPI 2, where the key is the address.
    let channels = |side: Side<'_>| -> Vec<(String, String, String)> {
        side.ws
            .doc(side.doc)
            .node("/channels")
            .into_iter()
            .flat_map(Node::entries)
            .map(|m| {
                let address = m.value.get("address").and_then(Node::as_str);
                (
                    m.key.to_string(),
                    address.unwrap_or(&m.key).to_owned(),
                    seamline_syntax::join_pointer("/channels", &m.key),
                )
            })
            .collect()
    };
    let new_channels = channels(new);
    for (name, address, pointer) in channels(old) {
        if !new_channels.iter().any(|(_, a, _)| *a == address) {
            out.push(Change {
                usage: Usage::Everyone,
                check: &checks::CHANNEL_REMOVED,
                level: Level::Breaking,
                subject: format!("channel `{name}`"),
                path: String::new(),
                message: if address == name {
                    "removed".to_owned()
                } else {
                    format!("address `{address}` removed")
                },
                old: old.label(old.doc, &pointer),
                new: None,
            });
        }
    }
}

/// Under `full`, each change is judged in both directions; keep the more severe verdict of each.
fn keep_worst(out: &mut Vec<Change>, from: usize) {
    let mut tail: Vec<Change> = out.drain(from..).collect();
    tail.sort_by(|a, b| (a.check.id, &a.path, b.level).cmp(&(b.check.id, &b.path, a.level)));
    tail.dedup_by(|later, kept| later.check.id == kept.check.id && later.path == kept.path);
    out.extend(tail);
}

/// Messages the documented application only receives (never sends), by where they are after `$ref`s.
fn only_received(side: Side<'_>) -> HashSet<(DocId, String)> {
    let (mut received, mut sent) = (HashSet::new(), HashSet::new());
    let doc = side.ws.doc(side.doc);
    let Some(root) = doc.root.as_ref() else {
        return received;
    };
    let add = |set: &mut HashSet<(DocId, String)>, pointer: String| {
        let Some((mdoc, mptr, message)) = side.ws.deref(side.doc, &pointer) else {
            return;
        };
        match message.get("oneOf").and_then(Node::as_array) {
            Some(items) => {
                for i in 0..items.len() {
                    if let Some((d, p, _)) = side.ws.deref(mdoc, &format!("{mptr}/oneOf/{i}")) {
                        set.insert((d, p));
                    }
                }
            }
            None => {
                set.insert((mdoc, mptr));
            }
        }
    };
    // AsyncAPI 2: `publish` is what others publish and the application receives.
    for channel in root.get("channels").into_iter().flat_map(Node::entries) {
        let base = seamline_syntax::join_pointer("/channels", &channel.key);
        if channel.value.get("publish").is_some() {
            add(&mut received, format!("{base}/publish/message"));
        }
        if channel.value.get("subscribe").is_some() {
            add(&mut sent, format!("{base}/subscribe/message"));
        }
    }
    // AsyncAPI 3: operations say `action: send | receive`, with their messages or all of their channel's.
    for op in root.get("operations").into_iter().flat_map(Node::entries) {
        let base = seamline_syntax::join_pointer("/operations", &op.key);
        let set = match op.value.get("action").and_then(Node::as_str) {
            Some("receive") => &mut received,
            Some("send") => &mut sent,
            _ => continue,
        };
        match op.value.get("messages").and_then(Node::as_array) {
            Some(list) => {
                for i in 0..list.len() {
                    add(set, format!("{base}/messages/{i}"));
                }
            }
            None => {
                if let Some((cdoc, cptr, channel)) =
                    side.ws.deref(side.doc, &format!("{base}/channel"))
                {
                    for m in channel.get("messages").into_iter().flat_map(Node::entries) {
                        let pointer =
                            seamline_syntax::join_pointer(&format!("{cptr}/messages"), &m.key);
                        if let Some((d, p, _)) = side.ws.deref(cdoc, &pointer) {
                            set.insert((d, p));
                        }
                    }
                }
            }
        }
    }
    received.retain(|m| !sent.contains(m));
    received
}
