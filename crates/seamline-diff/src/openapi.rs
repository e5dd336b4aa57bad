//! OpenAPI operation against operation: what clients call, send and receive.

use std::collections::BTreeMap;

use seamline_model::{DocId, Operation, Parameter, operations};
use seamline_syntax::{Node, join_pointer};

use crate::checks::{self, Check};
use crate::schema::{At, Flow, SchemaDiff};
use crate::{Change, DiffOptions, Level, Side, Usage};

/// `/orders/{id}` and `/orders/{orderId}` are the same path to a client.
fn normalize(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            c => out.push(c),
        }
    }
    out
}

fn key(op: &Operation<'_>) -> (String, String) {
    (normalize(op.path), op.method.to_owned())
}

struct Cx<'a, 'o> {
    old: Side<'a>,
    new: Side<'a>,
    options: &'o DiffOptions,
    out: &'o mut Vec<Change>,
}

impl Cx<'_, '_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        check: &'static Check,
        level: Level,
        subject: &str,
        path: &str,
        message: String,
        old: Option<(DocId, &str)>,
        new: Option<(DocId, &str)>,
    ) {
        self.out.push(Change {
            usage: Usage::Everyone,
            check,
            level,
            subject: subject.to_owned(),
            path: path.to_owned(),
            message,
            old: old.and_then(|(d, p)| self.old.label(d, p)),
            new: new.and_then(|(d, p)| self.new.label(d, p)),
        });
    }

    fn schema(&mut self, subject: &str, flow: Flow, old: At, new: At, path: &str) {
        let mut diff = SchemaDiff::new(
            self.old,
            self.new,
            self.options,
            subject.to_owned(),
            flow,
            self.out,
        );
        diff.compare(&old, &new, path, 0);
    }
}

pub(crate) fn compare(old: Side<'_>, new: Side<'_>, options: &DiffOptions, out: &mut Vec<Change>) {
    let old_ops = operations(old.ws, old.doc);
    let new_ops = operations(new.ws, new.doc);
    let new_by_key: BTreeMap<(String, String), &Operation<'_>> =
        new_ops.iter().map(|o| (key(o), o)).collect();
    let old_by_key: BTreeMap<(String, String), &Operation<'_>> =
        old_ops.iter().map(|o| (key(o), o)).collect();
    let mut cx = Cx {
        old,
        new,
        options,
        out,
    };
    for o in &old_ops {
        let subject = format!("{} {}", o.method.to_uppercase(), o.path);
        let start = cx.out.len();
        let usage = Usage::Operation {
            id: o.operation_id().map(str::to_owned),
        };
        match new_by_key.get(&key(o)) {
            Some(n) => operation(&mut cx, &subject, o, n),
            None => {
                // The same operationId elsewhere is a move, not a removal.
                let moved = o.operation_id().and_then(|id| {
                    new_ops
                        .iter()
                        .find(|n| n.operation_id() == Some(id) && !old_by_key.contains_key(&key(n)))
                });
                match moved {
                    Some(n) => cx.push(
                        &checks::OPERATION_PATH_CHANGED,
                        Level::Breaking,
                        &subject,
                        "",
                        format!("moved to {} {}", n.method.to_uppercase(), n.path),
                        Some((o.doc, &o.pointer)),
                        Some((n.doc, &n.pointer)),
                    ),
                    None => {
                        let deprecated =
                            o.node.get("deprecated").and_then(Node::as_bool) == Some(true);
                        let sunset = o.node.get("x-sunset").and_then(Node::as_str);
                        let (level, message) = match (deprecated, sunset) {
                            (true, Some(date)) if sunset_passed(date, &options.today()) => (Level::Warning, format!("removed after its sunset ({date})")),
                            (true, Some(date)) => (Level::Breaking, format!("removed before its sunset ({date})")),
                            (true, None) => (Level::Breaking, "removed (it was deprecated, but no x-sunset said when it would go)".to_owned()),
                            (false, _) => (Level::Breaking, "removed without being deprecated first".to_owned()),
                        };
                        cx.push(
                            &checks::OPERATION_REMOVED,
                            level,
                            &subject,
                            "",
                            message,
                            Some((o.doc, &o.pointer)),
                            None,
                        );
                    }
                }
            }
        }
        for change in &mut cx.out[start..] {
            change.usage = usage.clone();
        }
    }
    for n in &new_ops {
        if old_by_key.contains_key(&key(n)) {
            continue;
        }
        let moved_here = n.operation_id().is_some_and(|id| {
            old_ops
                .iter()
                .any(|o| o.operation_id() == Some(id) && !new_by_key.contains_key(&key(o)))
        });
        if !moved_here {
            let subject = format!("{} {}", n.method.to_uppercase(), n.path);
            cx.push(
                &checks::OPERATION_ADDED,
                Level::Info,
                &subject,
                "",
                "added".to_owned(),
                None,
                Some((n.doc, &n.pointer)),
            );
            if let Some(change) = cx.out.last_mut() {
                change.usage = Usage::Operation {
                    id: n.operation_id().map(str::to_owned),
                };
            }
        }
    }
}

/// Whether an `x-sunset` date (`YYYY-MM-DD`, or RFC 3339) is on or before `today` (`YYYY-MM-DD`).
fn sunset_passed(date: &str, today: &str) -> bool {
    date.get(..10).is_some_and(|d| d <= today)
}

fn operation(cx: &mut Cx<'_, '_>, subject: &str, o: &Operation<'_>, n: &Operation<'_>) {
    let (op, np) = ((o.doc, o.pointer.as_str()), (n.doc, n.pointer.as_str()));
    if let (Some(a), Some(b)) = (o.operation_id(), n.operation_id())
        && a != b
    {
        cx.push(
            &checks::OPERATION_ID_CHANGED,
            Level::Breaking,
            subject,
            "",
            format!("operationId changed from `{a}` to `{b}`"),
            Some(op),
            Some(np),
        );
    }
    let deprecated =
        |x: &Operation<'_>| x.node.get("deprecated").and_then(Node::as_bool) == Some(true);
    if !deprecated(o) && deprecated(n) {
        let when = n
            .node
            .get("x-sunset")
            .and_then(Node::as_str)
            .map_or(String::new(), |d| format!("; sunset {d}"));
        cx.push(
            &checks::OPERATION_DEPRECATED,
            Level::Info,
            subject,
            "",
            format!("deprecated{when}"),
            Some(op),
            Some(np),
        );
    }
    parameters(cx, subject, o, n);
    request_body(cx, subject, o, n);
    responses(cx, subject, o, n);
    security(cx, subject, o, n);
}

/// The names of a path template's parameters, in order: `/a/{x}/b/{y}` gives `[x, y]`.
fn template_names(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

/// The new parameter that stands for old parameter `p`: same place and name, or, for a path parameter, the one
/// at the same position in the template (renaming `{id}` to `{orderId}` changes no URL).
fn counterpart<'a, 'b>(
    p: &Parameter<'_>,
    o: &Operation<'_>,
    n: &'b Operation<'a>,
) -> Option<&'b Parameter<'a>> {
    if p.location == "path" {
        let index = template_names(o.path)
            .iter()
            .position(|name| *name == p.name)?;
        let name = *template_names(n.path).get(index)?;
        return n
            .parameters
            .iter()
            .find(|q| q.location == "path" && q.name == name);
    }
    n.parameters
        .iter()
        .find(|q| q.location == p.location && same_name(p, q))
}

/// Whether two parameters in the same place have the same name: header names are case-insensitive (RFC 9110).
fn same_name(p: &Parameter<'_>, q: &Parameter<'_>) -> bool {
    if p.location == "header" {
        p.name.eq_ignore_ascii_case(q.name)
    } else {
        p.name == q.name
    }
}

fn parameters(cx: &mut Cx<'_, '_>, subject: &str, o: &Operation<'_>, n: &Operation<'_>) {
    let required = |node: &Node| node.get("required").and_then(Node::as_bool) == Some(true);
    for p in &o.parameters {
        let path = format!("{} parameter `{}`", p.location, p.name);
        let old_loc = Some((p.doc, p.pointer.as_str()));
        match counterpart(p, o, n) {
            Some(q) => {
                let new_loc = Some((q.doc, q.pointer.as_str()));
                match (required(p.node), required(q.node)) {
                    (false, true) => cx.push(
                        &checks::PARAMETER_BECAME_REQUIRED,
                        Level::Breaking,
                        subject,
                        &path,
                        "became required".to_owned(),
                        old_loc,
                        new_loc,
                    ),
                    (true, false) => cx.push(
                        &checks::PARAMETER_BECAME_OPTIONAL,
                        Level::Info,
                        subject,
                        &path,
                        "became optional".to_owned(),
                        old_loc,
                        new_loc,
                    ),
                    _ => {}
                }
                let old_schema = At {
                    doc: p.doc,
                    pointer: join_pointer(&p.pointer, "schema"),
                };
                let new_schema = At {
                    doc: q.doc,
                    pointer: join_pointer(&q.pointer, "schema"),
                };
                cx.schema(subject, Flow::Request, old_schema, new_schema, &path);
            }
            None => match n.parameters.iter().find(|q| q.name == p.name) {
                Some(q) => {
                    let message = format!("moved from {} to {}", p.location, q.location);
                    cx.push(
                        &checks::PARAMETER_MOVED,
                        Level::Breaking,
                        subject,
                        &path,
                        message,
                        old_loc,
                        Some((q.doc, q.pointer.as_str())),
                    );
                }
                None => {
                    let level = if p.location == "path" {
                        Level::Breaking
                    } else {
                        Level::Warning
                    };
                    cx.push(
                        &checks::PARAMETER_REMOVED,
                        level,
                        subject,
                        &path,
                        "removed".to_owned(),
                        old_loc,
                        Some((n.doc, n.pointer.as_str())),
                    );
                }
            },
        }
    }
    for q in &n.parameters {
        if o.parameters.iter().any(|p| {
            p.name == q.name
                || counterpart(p, o, n)
                    .is_some_and(|c| c.name == q.name && c.location == q.location)
        }) {
            continue;
        }
        let path = format!("{} parameter `{}`", q.location, q.name);
        let (level, message) = if required(q.node) {
            (Level::Breaking, "added as required")
        } else {
            (Level::Info, "added as optional")
        };
        cx.push(
            &checks::PARAMETER_ADDED,
            level,
            subject,
            &path,
            message.to_owned(),
            Some((o.doc, o.pointer.as_str())),
            Some((q.doc, q.pointer.as_str())),
        );
    }
}

fn request_body(cx: &mut Cx<'_, '_>, subject: &str, o: &Operation<'_>, n: &Operation<'_>) {
    let ob = cx
        .old
        .ws
        .deref(o.doc, &join_pointer(&o.pointer, "requestBody"));
    let nb = cx
        .new
        .ws
        .deref(n.doc, &join_pointer(&n.pointer, "requestBody"));
    let required = |b: &Node| b.get("required").and_then(Node::as_bool) == Some(true);
    match (ob, nb) {
        (None, Some((nd, nptr, nb))) => {
            let level = if required(nb) {
                Level::Breaking
            } else {
                Level::Info
            };
            cx.push(
                &checks::REQUEST_BODY_ADDED,
                level,
                subject,
                "request body",
                if required(nb) {
                    "added as required"
                } else {
                    "added as optional"
                }
                .to_owned(),
                Some((o.doc, &o.pointer)),
                Some((nd, &nptr)),
            );
        }
        (Some((od, optr, _)), None) => {
            cx.push(
                &checks::REQUEST_BODY_REMOVED,
                Level::Warning,
                subject,
                "request body",
                "removed".to_owned(),
                Some((od, &optr)),
                Some((n.doc, &n.pointer)),
            );
        }
        (Some((od, optr, obody)), Some((nd, nptr, nbody))) => {
            if !required(obody) && required(nbody) {
                cx.push(
                    &checks::REQUEST_BODY_BECAME_REQUIRED,
                    Level::Breaking,
                    subject,
                    "request body",
                    "became required".to_owned(),
                    Some((od, &optr)),
                    Some((nd, &nptr)),
                );
            }
            content(
                cx,
                subject,
                "request body",
                Flow::Request,
                (od, &optr, obody),
                (nd, &nptr, nbody),
            );
        }
        (None, None) => {}
    }
}

/// Media types of a request body or a response, and their schemas.
fn content(
    cx: &mut Cx<'_, '_>,
    subject: &str,
    what: &str,
    flow: Flow,
    old: (DocId, &str, &Node),
    new: (DocId, &str, &Node),
) {
    let (od, optr, onode) = old;
    let (nd, nptr, nnode) = new;
    let (removed_check, added_check) = match flow {
        Flow::Request => (
            &checks::REQUEST_MEDIA_TYPE_REMOVED,
            &checks::REQUEST_MEDIA_TYPE_ADDED,
        ),
        Flow::Response => (
            &checks::RESPONSE_MEDIA_TYPE_REMOVED,
            &checks::RESPONSE_MEDIA_TYPE_ADDED,
        ),
    };
    let ocontent = onode.get("content");
    let ncontent = nnode.get("content");
    for m in ocontent.into_iter().flat_map(Node::entries) {
        let path = format!("{what} {}", m.key);
        let optr_m = join_pointer(&join_pointer(optr, "content"), &m.key);
        match ncontent.and_then(|c| c.get(&m.key)) {
            Some(_) => {
                let nptr_m = join_pointer(&join_pointer(nptr, "content"), &m.key);
                cx.schema(
                    subject,
                    flow,
                    At {
                        doc: od,
                        pointer: join_pointer(&optr_m, "schema"),
                    },
                    At {
                        doc: nd,
                        pointer: join_pointer(&nptr_m, "schema"),
                    },
                    &path,
                );
            }
            None => cx.push(
                removed_check,
                Level::Breaking,
                subject,
                &path,
                "media type removed".to_owned(),
                Some((od, &optr_m)),
                Some((nd, nptr)),
            ),
        }
    }
    for m in ncontent.into_iter().flat_map(Node::entries) {
        if ocontent.and_then(|c| c.get(&m.key)).is_none() {
            let nptr_m = join_pointer(&join_pointer(nptr, "content"), &m.key);
            cx.push(
                added_check,
                Level::Info,
                subject,
                &format!("{what} {}", m.key),
                "media type added".to_owned(),
                Some((od, optr)),
                Some((nd, &nptr_m)),
            );
        }
    }
}

fn responses(cx: &mut Cx<'_, '_>, subject: &str, o: &Operation<'_>, n: &Operation<'_>) {
    let old_responses = o.responses(cx.old.ws);
    let new_responses = n.responses(cx.new.ws);
    let success = |status: &str| status.starts_with('2') || status.starts_with('3');
    for r in &old_responses {
        let path = format!("response {}", r.status);
        match new_responses.iter().find(|x| x.status == r.status) {
            Some(x) => {
                content(
                    cx,
                    subject,
                    &path,
                    Flow::Response,
                    (r.doc, &r.pointer, r.node),
                    (x.doc, &x.pointer, x.node),
                );
                headers(
                    cx,
                    subject,
                    &path,
                    (r.doc, &r.pointer, r.node),
                    (x.doc, &x.pointer, x.node),
                );
            }
            None => {
                let level = if success(r.status) {
                    Level::Breaking
                } else {
                    Level::Info
                };
                cx.push(
                    &checks::RESPONSE_STATUS_REMOVED,
                    level,
                    subject,
                    &path,
                    "status removed".to_owned(),
                    Some((r.doc, &r.pointer)),
                    Some((n.doc, &n.pointer)),
                );
            }
        }
    }
    for x in &new_responses {
        if old_responses.iter().any(|r| r.status == x.status) {
            continue;
        }
        let level = if success(x.status) {
            Level::Info
        } else {
            Level::Warning
        };
        cx.push(
            &checks::RESPONSE_STATUS_ADDED,
            level,
            subject,
            &format!("response {}", x.status),
            "status added".to_owned(),
            Some((o.doc, &o.pointer)),
            Some((x.doc, &x.pointer)),
        );
    }
}

fn headers(
    cx: &mut Cx<'_, '_>,
    subject: &str,
    what: &str,
    old: (DocId, &str, &Node),
    new: (DocId, &str, &Node),
) {
    let (od, optr, onode) = old;
    let (nd, nptr, nnode) = new;
    let lower = |n: &Node| -> Vec<(String, String)> {
        n.get("headers")
            .into_iter()
            .flat_map(Node::entries)
            .map(|m| (m.key.to_ascii_lowercase(), m.key.to_string()))
            .collect()
    };
    let (oh, nh) = (lower(onode), lower(nnode));
    let required = |h: &Node| h.get("required").and_then(Node::as_bool) == Some(true);
    for (name, written) in &oh {
        let at = join_pointer(&join_pointer(optr, "headers"), written);
        if let Some((_, new_written)) = nh.iter().find(|(n, _)| n == name) {
            let new_at = join_pointer(&join_pointer(nptr, "headers"), new_written);
            let path = format!("{what} header `{new_written}`");
            let (Some((ohd, ohp, oh_node)), Some((nhd, nhp, nh_node))) =
                (cx.old.ws.deref(od, &at), cx.new.ws.deref(nd, &new_at))
            else {
                continue;
            };
            if required(oh_node) && !required(nh_node) {
                cx.push(
                    &checks::RESPONSE_HEADER_BECAME_OPTIONAL,
                    Level::Breaking,
                    subject,
                    &path,
                    "became optional; clients relied on it".to_owned(),
                    Some((ohd, &ohp)),
                    Some((nhd, &nhp)),
                );
            }
            // The server writes the header and clients read it, like a response body.
            cx.schema(
                subject,
                Flow::Response,
                At {
                    doc: ohd,
                    pointer: join_pointer(&ohp, "schema"),
                },
                At {
                    doc: nhd,
                    pointer: join_pointer(&nhp, "schema"),
                },
                &path,
            );
            continue;
        }
        let was_required = cx
            .old
            .ws
            .deref(od, &at)
            .is_some_and(|(_, _, h)| required(h));
        let level = if was_required {
            Level::Breaking
        } else {
            Level::Warning
        };
        cx.push(
            &checks::RESPONSE_HEADER_REMOVED,
            level,
            subject,
            &format!("{what} header `{written}`"),
            "removed".to_owned(),
            Some((od, &at)),
            Some((nd, nptr)),
        );
    }
    for (name, written) in &nh {
        if !oh.iter().any(|(o, _)| o == name) {
            let at = join_pointer(&join_pointer(nptr, "headers"), written);
            cx.push(
                &checks::RESPONSE_HEADER_ADDED,
                Level::Info,
                subject,
                &format!("{what} header `{written}`"),
                "added".to_owned(),
                Some((od, optr)),
                Some((nd, &at)),
            );
        }
    }
}

/// Security requirements of an operation (its own, or the document's), as sets of `scheme:scope` alternatives.
fn requirements(side: Side<'_>, op: &Operation<'_>) -> (Vec<Vec<String>>, String) {
    let (node, pointer) = match op.node.get("security") {
        Some(s) => (Some(s), join_pointer(&op.pointer, "security")),
        None => (
            side.ws.doc(side.doc).node("/security"),
            "/security".to_owned(),
        ),
    };
    let mut alternatives: Vec<Vec<String>> = node
        .into_iter()
        .flat_map(Node::items)
        .map(|req| {
            let mut items: Vec<String> = req
                .entries()
                .flat_map(|m| {
                    let scopes: Vec<String> = m
                        .value
                        .items()
                        .filter_map(Node::as_str)
                        .map(|s| format!("{}:{s}", m.key))
                        .collect();
                    if scopes.is_empty() {
                        vec![m.key.to_string()]
                    } else {
                        scopes
                    }
                })
                .collect();
            items.sort();
            items
        })
        .collect();
    // The order of alternatives means nothing.
    alternatives.sort();
    (alternatives, pointer)
}

fn security(cx: &mut Cx<'_, '_>, subject: &str, o: &Operation<'_>, n: &Operation<'_>) {
    let (old, optr) = requirements(cx.old, o);
    let (new, nptr) = requirements(cx.new, n);
    if old == new {
        return;
    }
    // Each old alternative stands for the clients that satisfy it (no requirement: clients with no credentials).
    // They keep working when some new alternative asks for nothing more; every one of them must, since removing
    // the alternative a client uses breaks that client. A scheme required without scopes is satisfied by any
    // credential of that scheme, whatever its scopes.
    let covers = |have: &Vec<String>, need: &Vec<String>| {
        need.iter().all(|x| {
            have.iter().any(|h| {
                h == x
                    || h.strip_prefix(x.as_str())
                        .is_some_and(|scope| scope.starts_with(':'))
            })
        })
    };
    let none = vec![Vec::new()];
    let clients = if old.is_empty() { &none } else { &old };
    let still_ok = new.is_empty()
        || clients
            .iter()
            .all(|have| new.iter().any(|need| covers(have, need)));
    let (od, nd) = (o.doc, n.doc);
    if still_ok {
        cx.push(
            &checks::SECURITY_REQUIREMENT_REMOVED,
            Level::Info,
            subject,
            "security",
            "requirements relaxed".to_owned(),
            Some((od, &optr)),
            Some((nd, &nptr)),
        );
    } else {
        let show = |alts: &Vec<Vec<String>>| {
            if alts.is_empty() {
                "none".to_owned()
            } else {
                alts.iter()
                    .map(|a| a.join(" + "))
                    .collect::<Vec<_>>()
                    .join(" or ")
            }
        };
        cx.push(
            &checks::SECURITY_REQUIREMENT_ADDED,
            Level::Breaking,
            subject,
            "security",
            format!("now requires {} (was {})", show(&new), show(&old)),
            Some((od, &optr)),
            Some((nd, &nptr)),
        );
    }
}
