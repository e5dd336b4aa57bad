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
/// of its deepest provider. A cycle is cut where it is found, so every service gets a column.
fn depths(nodes: &BTreeSet<&str>, edges: &[Edge]) -> BTreeMap<String, usize> {
    fn depth<'a>(
        node: &'a str,
        providers: &BTreeMap<&'a str, Vec<&'a str>>,
        done: &mut BTreeMap<String, usize>,
        visiting: &mut BTreeSet<&'a str>,
    ) -> usize {
        if let Some(&d) = done.get(node) {
            return d;
        }
        if !visiting.insert(node) {
            return 0;
        }
        let d = providers
            .get(node)
            .into_iter()
            .flatten()
            .map(|p| depth(p, providers, done, visiting) + 1)
            .max()
            .unwrap_or(0);
        visiting.remove(node);
        done.insert(node.to_owned(), d);
        d
    }
    let mut providers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in edges {
        if e.consumer != e.provider {
            providers.entry(&e.consumer).or_default().push(&e.provider);
        }
    }
    let mut done = BTreeMap::new();
    for node in nodes {
        depth(node, &providers, &mut done, &mut BTreeSet::new());
    }
    done
}

/// The picture for `services` (every registered one) and `edges` (providers not registered still appear).
pub(crate) fn render(services: &[String], edges: &[Edge]) -> Markup {
    let mut nodes: BTreeSet<&str> = services.iter().map(String::as_str).collect();
    for e in edges {
        nodes.insert(&e.consumer);
        nodes.insert(&e.provider);
    }
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
    let width = 2 * MARGIN + columns.len() as i64 * (NODE_W + COL_GAP) - COL_GAP;
    let height = (2 * MARGIN + tallest * (NODE_H + ROW_GAP) - ROW_GAP).max(2 * MARGIN);

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
            title { "Service dependencies: " (nodes.len()) " services, " (pairs.len()) " consumer → provider pairs" }
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
                        @let registered = services.iter().any(|s| s == node);
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
}
