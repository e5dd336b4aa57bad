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
    pub(crate) repairs: Repairs,
}

/// What had to be repaired in the input to make a tree of it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Repairs {
    pub(crate) duplicates: u64,
    pub(crate) orphans: u64,
    pub(crate) cycles: u64,
    pub(crate) skewed: u64,
    pub(crate) untimed: u64,
    pub(crate) merged: u64,
}

impl Repairs {
    pub(crate) fn add(&mut self, other: &Repairs) {
        self.duplicates += other.duplicates;
        self.orphans += other.orphans;
        self.cycles += other.cycles;
        self.skewed += other.skewed;
        self.untimed += other.untimed;
        self.merged += other.merged;
    }

    pub(crate) fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.duplicates > 0 {
            out.push(format!(
                "{} span(s) repeated an id already seen in their trace; the first was kept",
                self.duplicates
            ));
        }
        if self.orphans > 0 {
            out.push(format!(
                "{} span(s) name a parent that is not in the input; they are shown as roots",
                self.orphans
            ));
        }
        if self.cycles > 0 {
            out.push(format!(
                "{} parent cycle(s) were cut at the span that starts first",
                self.cycles
            ));
        }
        if self.merged > 0 {
            out.push(format!(
                "{} span(s) were reported in parts under one id and merged",
                self.merged
            ));
        }
        if self.untimed > 0 {
            out.push(format!(
                "{} span(s) had no start time; they were placed at their parent's start where it was known",
                self.untimed
            ));
        }
        if self.skewed > 0 {
            out.push(format!(
                "{} span(s) start before their parent (clock skew between hosts); times are shown as recorded",
                self.skewed
            ));
        }
        out
    }
}

impl<'a> Graph<'a> {
    pub(crate) fn build(traces: &[(&'a [Span], &'a [LogRecord])]) -> Graph<'a> {
        let mut spans = Vec::new();
        let mut index = FxHashMap::default();
        let mut repairs = Repairs::default();
        for (trace, _) in traces {
            for span in *trace {
                if index.contains_key(&(span.trace_id, span.span_id)) {
                    repairs.duplicates += 1;
                    continue;
                }
                index.insert((span.trace_id, span.span_id), spans.len());
                spans.push(span);
            }
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
                repairs.orphans += 1;
            }
            // No parent in this trace: a link, or the message id, may join it to its producer.
            let linked = span
                .links
                .iter()
                .find_map(|l| index.get(&(l.trace_id, l.span_id)).copied());
            let by_message = || {
                matches!(messaging::role(span), Some(Role::Consumer | Role::Receive))
                    .then(|| {
                        messaging::message_id(span)
                            .and_then(|id| producers_by_message.get(id).copied())
                    })
                    .flatten()
            };
            if let Some(j) = linked.or_else(by_message).filter(|j| *j != i) {
                parent[i] = Some(j);
                hop[i] = true;
            }
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
                        let cut = *cycle
                            .iter()
                            .min_by_key(|i: &&usize| spans[**i].start_ns)
                            .unwrap_or(&c);
                        parent[cut] = None;
                        hop[cut] = false;
                        repairs.cycles += 1;
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
        for i in 0..n {
            match parent[i] {
                Some(p) => {
                    children[p].push(i);
                    if !hop[i] && spans[i].start_ns < spans[p].start_ns {
                        repairs.skewed += 1;
                    }
                }
                None => roots.push(i),
            }
        }
        for list in children.iter_mut().chain(std::iter::once(&mut roots)) {
            list.sort_by_key(|i| (spans[*i].start_ns, spans[*i].span_id));
        }
        Graph {
            spans,
            parent,
            hop,
            children,
            roots,
            logs,
            repairs,
        }
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
