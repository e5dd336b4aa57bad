//! The dependency graph as an SVG picture: services in columns, consumers left of their providers, one arrow
//! per consumer → provider pair (its contracts in the arrow's tooltip).

use std::collections::{BTreeMap, BTreeSet};

use maud::{Markup, html};

use crate::store::Edge;

const NODE_W: i64 = 190;
const NODE_H: i64 = 34;
const COL_GAP: i64 = 90;
const ROW_GAP: i64 = 18;
const MARGIN: i64 = 16;

/// Columns by depth: a service that consumes nothing is at depth 0 (rightmost), a consumer one column left
/// of its deepest provider. A cycle is cut where it is found, so every service gets a column. The walk keeps
/// its own stack: a chain of consumers is as long as the registry is large, and must not reach the thread's.
fn depths(nodes: &BTreeSet<&str>, edges: &[Edge]) -> BTreeMap<String, usize> {
    /// A service being walked: its providers, the next one to look at, and the deepest seen so far.
    struct Frame<'a> {
        node: &'a str,
        providers: &'a [&'a str],
        next: usize,
        deepest: usize,
    }
    let mut providers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in edges {
        if e.consumer != e.provider {
            providers.entry(&e.consumer).or_default().push(&e.provider);
        }
    }
    let providers_of = |node: &str| providers.get(node).map_or(&[][..], Vec::as_slice);
    let mut done: BTreeMap<String, usize> = BTreeMap::new();
    for &root in nodes {
        if done.contains_key(root) {
            continue;
        }
        let mut visiting: BTreeSet<&str> = BTreeSet::from([root]);
        let mut stack = vec![Frame {
            node: root,
            providers: providers_of(root),
            next: 0,
            deepest: 0,
        }];
        while let Some(frame) = stack.last_mut() {
            let Some(&provider) = frame.providers.get(frame.next) else {
                // Every provider seen: this service's column is settled.
                let (node, d) = (frame.node, frame.deepest);
                stack.pop();
                visiting.remove(node);
                done.insert(node.to_owned(), d);
                if let Some(parent) = stack.last_mut() {
                    parent.deepest = parent.deepest.max(d + 1);
                }
                continue;
            };
            frame.next += 1;
            if let Some(&d) = done.get(provider) {
                frame.deepest = frame.deepest.max(d + 1);
            } else if !visiting.insert(provider) {
                // A cycle back to a service still being walked: cut it here.
                frame.deepest = frame.deepest.max(1);
            } else {
                stack.push(Frame {
                    node: provider,
                    providers: providers_of(provider),
                    next: 0,
                    deepest: 0,
                });
            }
        }
    }
    done
}

/// The most services one picture draws. Past it a picture is too wide to read and too slow to make; the
/// picture says what it left out.
pub(crate) const DRAWN_SERVICES: usize = 300;

/// The picture for `services` (every registered one) and `edges` (providers not registered still appear): the
/// first `DRAWN_SERVICES` of them by name, with the arrows between those.
pub(crate) fn render(services: &[String], edges: &[Edge]) -> Markup {
    let registered: BTreeSet<&str> = services.iter().map(String::as_str).collect();
    let mut all: BTreeSet<&str> = registered.clone();
    for e in edges {
        all.insert(&e.consumer);
        all.insert(&e.provider);
    }
    let nodes: BTreeSet<&str> = all.iter().copied().take(DRAWN_SERVICES).collect();
    let drawn: Vec<Edge> = edges
        .iter()
        .filter(|e| nodes.contains(e.consumer.as_str()) && nodes.contains(e.provider.as_str()))
        .cloned()
        .collect();
    let edges = drawn.as_slice();
    let depths = depths(&nodes, edges);
    let max_depth = depths.values().copied().max().unwrap_or(0);
    let mut columns: Vec<Vec<&str>> = vec![Vec::new(); max_depth + 1];
    for node in &nodes {
        columns[max_depth - depths.get(*node).copied().unwrap_or(0)].push(node);
    }
    let mut at: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for (c, column) in columns.iter().enumerate() {
        for (r, node) in column.iter().enumerate() {
            let x = MARGIN + c as i64 * (NODE_W + COL_GAP);
            let y = MARGIN + r as i64 * (NODE_H + ROW_GAP);
            at.insert(node, (x, y));
        }
    }
    let tallest = columns.iter().map(Vec::len).max().unwrap_or(0) as i64;
    let left_out = all.len() - nodes.len();
    // A line under the picture says what was left out.
    let note_h = if left_out > 0 { 2 * ROW_GAP } else { 0 };
    let width = 2 * MARGIN + columns.len() as i64 * (NODE_W + COL_GAP) - COL_GAP;
    let height = (2 * MARGIN + tallest * (NODE_H + ROW_GAP) - ROW_GAP).max(2 * MARGIN) + note_h;

    // One arrow per pair, listing its contracts.
    let mut pairs: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for e in edges {
        pairs
            .entry((&e.consumer, &e.provider))
            .or_default()
            .push(&e.contract);
    }
    html! {
        svg xmlns="http://www.w3.org/2000/svg" class="graph" role="img"
            width=(width) height=(height) viewBox={"0 0 " (width) " " (height)} {
            title {
                "Service dependencies: " (nodes.len()) " services, " (pairs.len()) " consumer → provider pairs"
                @if left_out > 0 { " (" (left_out) " of " (all.len()) " services left out)" }
            }
            @if left_out > 0 {
                text class="left-out" x=(MARGIN) y=(height - MARGIN) font-family="system-ui, sans-serif"
                    font-size="13" fill="#66737f" {
                    "The first " (nodes.len()) " services of " (all.len()) " by name; " (left_out)
                    " left out, with their arrows. Every service is listed at /."
                }
            }
            defs {
                marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8"
                    orient="auto-start-reverse" {
                    path d="M 0 0 L 10 5 L 0 10 z" fill="#5b6b7f" {}
                }
            }
            @for ((consumer, provider), contracts) in &pairs {
                @if let (Some(&(x1, y1)), Some(&(x2, y2))) = (at.get(consumer), at.get(provider)) {
                    @let (from_x, to_x) = if x1 < x2 { (x1 + NODE_W, x2) } else { (x1, x2 + NODE_W) };
                    @let same_column = x1 == x2;
                    g class="edge" data-consumer=(consumer) data-provider=(provider) {
                        title { (consumer) " consumes " (provider) ": " (contracts.join(", ")) }
                        @if same_column {
                            path d={"M " (x1 + NODE_W) " " (y1 + NODE_H / 2) " C " (x1 + NODE_W + 60) " " (y1 + NODE_H / 2) ", " (x2 + NODE_W + 60) " " (y2 + NODE_H / 2) ", " (x2 + NODE_W) " " (y2 + NODE_H / 2)}
                                fill="none" stroke="#5b6b7f" stroke-width="1.5" marker-end="url(#arrow)" {}
                        } @else {
                            line x1=(from_x) y1=(y1 + NODE_H / 2) x2=(to_x) y2=(y2 + NODE_H / 2)
                                stroke="#5b6b7f" stroke-width="1.5" marker-end="url(#arrow)" {}
                        }
                    }
                }
            }
            @for (node, (x, y)) in &at {
                a href={"/services/" (node)} {
                    g class="node" data-service=(node) {
                        @let registered = registered.contains(node);
                        rect x=(x) y=(y) width=(NODE_W) height=(NODE_H) rx="6"
                            fill=(if registered { "#eef3fb" } else { "#f5f5f5" })
                            stroke=(if registered { "#3b6fb6" } else { "#999" })
                            stroke-dasharray=(if registered { "none" } else { "4 3" }) {}
                        text x=(x + NODE_W / 2) y=(y + NODE_H / 2 + 5) text-anchor="middle"
                            font-family="system-ui, sans-serif" font-size="13" fill="#1d2733" { (node) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(consumer: &str, provider: &str) -> Edge {
        Edge {
            consumer: consumer.into(),
            provider: provider.into(),
            contract: "c".into(),
        }
    }

    #[test]
    fn consumers_stand_left_of_their_providers_and_cycles_end() {
        let edges = vec![
            edge("gateway", "order"),
            edge("order", "payment"),
            edge("order", "inventory"),
            edge("inventory", "order"),
        ];
        let nodes: BTreeSet<&str> = ["gateway", "order", "payment", "inventory"].into();
        let d = depths(&nodes, &edges);
        assert_eq!(d["payment"], 0);
        assert!(d["order"] > d["payment"]);
        assert!(d["gateway"] > d["order"]);
        let svg = render(&["gateway".into(), "order".into()], &edges).into_string();
        assert_eq!(svg.matches("class=\"node\"").count(), 4);
        assert_eq!(svg.matches("class=\"edge\"").count(), 4);
        // Unregistered providers are drawn dashed.
        assert!(svg.contains("stroke-dasharray=\"4 3\""));
    }

    /// Each service consumes the next: the walk must not take a stack frame per link. On a thread with a
    /// 128 KiB stack, a recursion per link overflows long before the end of this chain.
    #[test]
    fn a_long_chain_is_walked_without_the_thread_stack() {
        const CHAIN: usize = 100_000;
        let names: Vec<String> = (0..CHAIN).map(|i| format!("s{i:06}")).collect();
        let walk = std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(move || {
                let edges: Vec<Edge> = names.windows(2).map(|w| edge(&w[0], &w[1])).collect();
                let nodes: BTreeSet<&str> = names.iter().map(String::as_str).collect();
                let d = depths(&nodes, &edges);
                (d["s000000"], d[&names[CHAIN - 1]], d.len())
            })
            .unwrap();
        assert_eq!(walk.join().unwrap(), (CHAIN - 1, 0, CHAIN));
    }

    #[test]
    fn a_large_graph_draws_a_bounded_picture_and_says_what_it_left_out() {
        let names: Vec<String> = (0..1000).map(|i| format!("s{i:04}")).collect();
        let edges: Vec<Edge> = names.windows(2).map(|w| edge(&w[0], &w[1])).collect();
        let svg = render(&names, &edges).into_string();
        assert_eq!(svg.matches("class=\"node\"").count(), DRAWN_SERVICES);
        // The arrows between drawn services only: a chain of 300 has 299.
        assert_eq!(svg.matches("class=\"edge\"").count(), DRAWN_SERVICES - 1);
        assert!(svg.contains("data-service=\"s0299\""));
        assert!(!svg.contains("data-service=\"s0300\""));
        assert!(svg.contains("The first 300 services of 1000 by name; 700 left out"));
        // A small graph is drawn whole, with no such note.
        let small = render(&names[..3], &edges[..2]).into_string();
        assert!(!small.contains("left out"));
    }
}
