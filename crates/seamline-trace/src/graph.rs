//! One request as a graph: the spans of its trace and of every trace joined to it through a message (a span
//! link, a message id, a conversation id), with parent edges repaired where the input is broken.

use rustc_hash::FxHashMap;

use crate::messaging::{self, Role};
use crate::model::{LogRecord, Span};

pub(crate) struct Graph<'a> {
    pub(crate) spans: Vec<&'a Span>,
    pub(crate) parent: Vec<Option<usize>>,
    /// Whether the edge to the parent crosses a broker (producer → consumer).
    pub(crate) hop: Vec<bool>,
    pub(crate) children: Vec<Vec<usize>>,
    pub(crate) roots: Vec<usize>,
    pub(crate) logs: Vec<&'a LogRecord>,
    /// What had to be repaired: orphans, cycles, duplicate ids, skewed clocks.
    pub(crate) repairs: Vec<String>,
}

impl<'a> Graph<'a> {
    pub(crate) fn build(traces: &[(&'a [Span], &'a [LogRecord])]) -> Graph<'a> {
        let mut spans = Vec::new();
        let mut index = FxHashMap::default();
        let mut repairs = Vec::new();
        let mut duplicates = 0;
        for (trace, _) in traces {
            for span in *trace {
                if index.contains_key(&(span.trace_id, span.span_id)) {
                    duplicates += 1;
                    continue;
                }
                index.insert((span.trace_id, span.span_id), spans.len());
                spans.push(span);
            }
        }
        if duplicates > 0 {
            repairs.push(format!("{duplicates} span(s) repeated an id already seen in the trace; the first was kept"));
        }
        let logs = traces.iter().flat_map(|(_, logs)| logs.iter()).collect();
        let mut producers_by_message: FxHashMap<&str, usize> = FxHashMap::default();
        for (i, span) in spans.iter().enumerate() {
            if messaging::role(span) == Some(Role::Producer)
                && let Some(id) = messaging::message_id(span)
            {
                producers_by_message.entry(id).or_insert(i);
            }
        }

        let n = spans.len();
        let mut parent = vec![None; n];
        let mut hop = vec![false; n];
        let mut orphans = 0;
        for (i, span) in spans.iter().enumerate() {
            if let Some(p) = span.parent_id {
                if let Some(&j) = index.get(&(span.trace_id, p)) {
                    parent[i] = Some(j);
                    // A consumer under a producer of another service is the "consumer as child" style.
                    hop[i] = spans[j].service != span.service
                        && messaging::role(spans[j]) == Some(Role::Producer)
                        && matches!(messaging::role(span), Some(Role::Consumer | Role::Receive));
                    continue;
                }
                orphans += 1;
            }
            // No parent in this trace: a link, or the message id, may join it to its producer.
            let linked = span.links.iter().find_map(|l| index.get(&(l.trace_id, l.span_id)).copied());
            let by_message = || {
                matches!(messaging::role(span), Some(Role::Consumer | Role::Receive))
                    .then(|| messaging::message_id(span).and_then(|id| producers_by_message.get(id).copied()))
                    .flatten()
            };
            if let Some(j) = linked.or_else(by_message).filter(|j| *j != i) {
                parent[i] = Some(j);
                hop[i] = true;
            }
        }
        if orphans > 0 {
            repairs.push(format!("{orphans} span(s) name a parent that is not in the input; they are shown as roots"));
        }

        // Cut cycles at the span that starts first, which then becomes a root.
        let mut state = vec![0u8; n]; // 0 unvisited, 1 on the current path, 2 done
        for start in 0..n {
            let mut path = Vec::new();
            let mut cur = Some(start);
            while let Some(c) = cur {
                match state[c] {
                    2 => break,
                    1 => {
                        let at = path.iter().position(|p| *p == c).unwrap_or(0);
                        let cycle = &path[at..];
                        let cut = *cycle.iter().min_by_key(|i: &&usize| spans[**i].start_ns).unwrap_or(&c);
                        parent[cut] = None;
                        hop[cut] = false;
                        repairs.push(format!(
                            "the parents of {} span(s) form a cycle; it was cut at {} ({})",
                            cycle.len(),
                            spans[cut].span_id,
                            spans[cut].name
                        ));
                        break;
                    }
                    _ => {
                        state[c] = 1;
                        path.push(c);
                        cur = parent[c];
                    }
                }
            }
            for p in path {
                state[p] = 2;
            }
        }

        let mut children = vec![Vec::new(); n];
        let mut roots = Vec::new();
        let mut skewed = 0;
        for i in 0..n {
            match parent[i] {
                Some(p) => {
                    children[p].push(i);
                    if !hop[i] && spans[i].start_ns < spans[p].start_ns {
                        skewed += 1;
                    }
                }
                None => roots.push(i),
            }
        }
        for list in children.iter_mut().chain(std::iter::once(&mut roots)) {
            list.sort_by_key(|i| (spans[*i].start_ns, spans[*i].span_id));
        }
        if skewed > 0 {
            repairs.push(format!(
                "{skewed} span(s) start before their parent (clock skew between hosts); times are shown as recorded"
            ));
        }
        Graph { spans, parent, hop, children, roots, logs, repairs }
    }

    /// The spans on the way from a root down to `node`, root first.
    pub(crate) fn ancestry(&self, node: usize) -> Vec<usize> {
        let mut chain = vec![node];
        let mut cur = node;
        while let Some(p) = self.parent[cur] {
            if chain.len() > self.spans.len() {
                break;
            }
            chain.push(p);
            cur = p;
        }
        chain.reverse();
        chain
    }

    pub(crate) fn descendants(&self, node: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack = vec![node];
        while let Some(cur) = stack.pop() {
            out.push(cur);
            stack.extend(self.children[cur].iter().copied());
        }
        out
    }
}
