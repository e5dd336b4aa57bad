//! Repairs of a trace's spans before it becomes a graph: halves of shared spans, parts of one span, spans without
//! a start time.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::model::{Span, SpanId, SpanKind, StatusCode};

/// Places spans without a start time (Zipkin allows them; broken exporters write 0) at their parent's start, or
/// the trace's earliest; their recorded duration is kept. Returns how many had no start time.
pub(super) fn repair_times(spans: &mut [Span]) -> u64 {
    let untimed = spans.iter().filter(|s| s.start_ns == 0).count() as u64;
    if untimed == 0 {
        return 0;
    }
    // A child of an unplaced span waits a round for its parent; four rounds cover real traces.
    for _ in 0..4 {
        let starts: FxHashMap<SpanId, u64> = spans
            .iter()
            .filter(|s| s.start_ns > 0)
            .map(|s| (s.span_id, s.start_ns))
            .collect();
        let unplaced: FxHashSet<SpanId> = spans
            .iter()
            .filter(|s| s.start_ns == 0)
            .map(|s| s.span_id)
            .collect();
        if unplaced.is_empty() {
            break;
        }
        let earliest = starts.values().copied().min();
        for span in spans.iter_mut().filter(|s| s.start_ns == 0) {
            let base = match span.parent_id {
                Some(p) if starts.contains_key(&p) => starts.get(&p).copied(),
                Some(p) if unplaced.contains(&p) && p != span.span_id => None,
                _ => earliest,
            };
            if let Some(base) = base {
                span.end_ns = base.saturating_add(span.end_ns);
                span.start_ns = base;
            }
        }
    }
    untimed
}

/// Spans that share an id: the client and server halves of one RPC (Zipkin's shared spans, written without the
/// `shared` flag) become parent and child; parts of one span reported separately (a late annotation, a second
/// reporter) are merged into one.
pub(super) fn merge_halves(spans: &mut Vec<Span>) -> u64 {
    // Most traces repeat no id: a sorted copy of the ids says so without a map.
    let mut ids: Vec<SpanId> = spans.iter().map(|s| s.span_id).collect();
    ids.sort_unstable();
    if ids.windows(2).all(|w| w[0] != w[1]) {
        return 0;
    }
    let mut first: FxHashMap<SpanId, usize> = FxHashMap::default();
    let mut merged = 0;
    let mut remove = Vec::new();
    for i in 0..spans.len() {
        let id = spans[i].span_id;
        let Some(&j) = first.get(&id) else {
            first.insert(id, i);
            continue;
        };
        let (a, b) = (spans[j].kind, spans[i].kind);
        if a != b
            && matches!(
                (a, b),
                (SpanKind::Client, SpanKind::Server) | (SpanKind::Server, SpanKind::Client)
            )
        {
            let server = if b == SpanKind::Server { i } else { j };
            spans[server].parent_id = Some(id);
            spans[server].span_id = SpanId(id.0.rotate_left(32) ^ 0x5348_4152_4544_0001);
            if server == j {
                first.insert(id, i);
            }
            continue;
        }
        let part = spans[i].clone();
        let whole = &mut spans[j];
        if whole.start_ns == 0 && part.start_ns > 0 {
            whole.start_ns = part.start_ns;
            whole.end_ns = part.end_ns;
        }
        if whole.name.is_empty() {
            whole.name = part.name;
        }
        if whole.kind == SpanKind::Unspecified {
            whole.kind = part.kind;
        }
        if part.status != StatusCode::Unset && whole.status == StatusCode::Unset {
            whole.status = part.status;
            whole.status_message = part.status_message;
        }
        for (key, value) in part.attributes.0 {
            if whole.attributes.get(&key).is_none() {
                whole.attributes.0.push((key, value));
            }
        }
        whole.events.extend(part.events);
        whole.links.extend(part.links);
        whole.parent_id = whole.parent_id.or(part.parent_id);
        remove.push(i);
        merged += 1;
    }
    for i in remove.into_iter().rev() {
        spans.remove(i);
    }
    merged
}
