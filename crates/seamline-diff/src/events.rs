//! Event contracts: messages by name and major version, their payloads as what consumers read.

use seamline_model::messages;
use seamline_syntax::Node;

use crate::checks;
use crate::schema::{At, SchemaDiff};
use crate::{Change, DiffOptions, Level, Side, Usage};

pub(crate) fn compare(old: Side<'_>, new: Side<'_>, options: &DiffOptions, out: &mut Vec<Change>) {
    let old_messages = messages(old.ws, old.doc);
    let new_messages = messages(new.ws, new.doc);
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
                    for &flow in options.mode.flows() {
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
