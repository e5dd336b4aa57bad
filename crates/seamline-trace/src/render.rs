//! Text for people and Markdown for assistants. The Markdown fits a token budget: it drops the least relevant
//! detail first (other example traces, logs, other candidates, evidence, spans off the failing path) and never the
//! root cause.

use std::fmt::Write as _;

use crate::report::{Mark, PathNode, Report, TraceDiagnosis};

/// Which traces to show in detail.
#[derive(Clone, Copy, Debug, Default)]
pub struct RenderOptions {
    /// Every diagnosed trace, not one example per cause.
    pub all: bool,
}

/// The traces shown in detail: one example per aggregate line, or all.
fn shown(report: &Report, options: RenderOptions) -> Vec<&TraceDiagnosis> {
    if options.all {
        return report.traces.iter().collect();
    }
    report
        .aggregate
        .iter()
        .filter_map(|line| {
            report
                .traces
                .iter()
                .find(|t| t.trace_id == line.example_trace_id)
        })
        .collect()
}

fn duration(ms: f64) -> String {
    crate::diagnose::duration_text((ms * 1e6) as u64)
}

fn headline(report: &Report) -> String {
    let t = &report.totals;
    let failing = report.traces.iter().filter(|d| d.request_failed).count();
    let rootless = report
        .traces
        .iter()
        .filter(|d| {
            !d.request_failed
                && d.incomplete
                    .as_deref()
                    .is_some_and(|w| w.contains("root span"))
        })
        .count();
    let nonfatal = report.traces.len() - failing - rootless;
    let mut line = format!("{failing} of {} request(s) failed", t.requests);
    if nonfatal > 0 {
        line.push_str(&format!(
            ", {nonfatal} more had failures that did not fail the request"
        ));
    }
    if rootless > 0 {
        line.push_str(&format!(
            ", {rootless} more had failures but no root span in the input"
        ));
    }
    line.push_str(&format!(" · {} span(s) in {} trace(s)", t.spans, t.traces));
    if t.logs > 0 {
        line.push_str(&format!(", {} log record(s)", t.logs));
    }
    if t.skipped > 0 {
        line.push_str(&format!(", {} item(s) skipped", t.skipped));
    }
    line
}

fn aggregate_sentence(line: &crate::report::AggregateLine) -> String {
    let of = if line.kind == crate::report::CauseKind::NonFatal {
        "diagnosed"
    } else {
        "failing"
    };
    format!(
        "in {} of {} {of} `{}`: {}",
        line.traces, line.of, line.route, line.headline
    )
}

/// The path as tree lines: `(text, relevance)` where 0 is on the way to the cause.
fn tree(path: &[PathNode], compact: bool) -> Vec<(String, u8)> {
    let mut lines = Vec::new();
    for (i, node) in path.iter().enumerate() {
        // Whether a later node at the same depth follows before the tree climbs above it: decides ├ or └.
        let last_sibling = !path[i + 1..]
            .iter()
            .take_while(|n| n.depth >= node.depth)
            .any(|n| n.depth == node.depth);
        let mut prefix = String::new();
        for d in 1..node.depth {
            let open = path[i + 1..]
                .iter()
                .take_while(|n| n.depth >= d)
                .any(|n| n.depth == d);
            prefix.push_str(if open { "│  " } else { "   " });
        }
        if node.depth > 0 {
            prefix.push_str(match (last_sibling, node.via_message) {
                (true, true) => "└⇢ ",
                (false, true) => "├⇢ ",
                (true, false) => "└─ ",
                (false, false) => "├─ ",
            });
        }
        let status = match node.status.as_str() {
            "ok" => String::new(),
            "missing" => "✗ missing".into(),
            other => format!("✗ {other}"),
        };
        let timing = if node.mark == Some(Mark::Missing) {
            String::new()
        } else {
            format!(
                "+{} {}",
                duration(node.start_ms),
                duration(node.duration_ms)
            )
        };
        let mark = match node.mark {
            Some(Mark::RootCause) => "  ◀ root cause",
            Some(Mark::Symptom) => "  (symptom)",
            Some(Mark::Candidate) => "  (candidate)",
            _ => "",
        };
        let label = format!("{prefix}{} {}", node.service, node.name);
        // Columns line up for people; for assistants the padding would only cost tokens.
        let text = if compact {
            format!("{label} {timing} {status}{mark}")
        } else {
            format!("{label:<64} {timing:<20} {status}{mark}")
        };
        let text = text.trim_end().to_string();
        let relevance = if node.mark.is_some() {
            0
        } else if node.status != "ok" {
            1
        } else {
            2
        };
        lines.push((text, relevance));
    }
    // Ancestors of marked lines are as relevant as the marks: they are the way there.
    let mut keep_level = vec![2u8; lines.len()];
    for (i, node) in path.iter().enumerate() {
        if lines[i].1 < 2 {
            keep_level[i] = lines[i].1;
            let mut depth = node.depth;
            for j in (0..i).rev() {
                if path[j].depth < depth {
                    keep_level[j] = keep_level[j].min(lines[i].1);
                    depth = path[j].depth;
                }
            }
        }
    }
    lines
        .into_iter()
        .zip(keep_level)
        .map(|((t, _), k)| (t, k))
        .collect()
}

pub fn render_text(report: &Report, options: RenderOptions) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", headline(report));
    if report.traces.is_empty() {
        let _ = writeln!(out, "no failing requests and no failures inside requests");
    }
    if !report.aggregate.is_empty() {
        let _ = writeln!(out, "\ncauses:");
        for line in &report.aggregate {
            let _ = writeln!(
                out,
                "  {} [{}, {}]",
                aggregate_sentence(line).replace('`', ""),
                line.kind.as_str(),
                line.service
            );
        }
    }
    for trace in shown(report, options) {
        let cause = &trace.root_cause;
        let _ = writeln!(
            out,
            "\ntrace {} · {} · {} after {}",
            trace.trace_id,
            trace.route,
            trace.outcome,
            duration(trace.duration_ms)
        );
        let span = cause
            .span_name
            .as_deref()
            .map(|s| format!(" · {s}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "root cause ({}): {}{span}",
            cause.kind.as_str(),
            cause.service
        );
        let _ = writeln!(out, "  {}", cause.detail);
        if let Some(why) = &trace.incomplete {
            let _ = writeln!(
                out,
                "  incomplete input: {why}; confidence {:.1}",
                cause.score
            );
        }
        if !trace.related_traces.is_empty() {
            let _ = writeln!(out, "  joined traces: {}", trace.related_traces.join(", "));
        }
        let _ = writeln!(out);
        for (line, _) in tree(&trace.path, false) {
            let _ = writeln!(out, "  {line}");
        }
        if !trace.evidence.is_empty() {
            let _ = writeln!(out, "\n  evidence:");
            for e in &trace.evidence {
                let _ = writeln!(
                    out,
                    "    - [{}] {}",
                    serde_json::to_value(e.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default(),
                    e.text
                );
            }
        }
        if trace.candidates.len() > 1 {
            let _ = writeln!(out, "\n  candidates:");
            for (i, c) in trace.candidates.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "    {}. {:.2} {} · {}",
                    i + 1,
                    c.score,
                    c.kind.as_str(),
                    c.headline
                );
            }
        }
        if !trace.logs.is_empty() {
            let _ = writeln!(out, "\n  logs:");
            for l in trace.logs.iter().take(12) {
                let _ = writeln!(
                    out,
                    "    +{} {} {} {}",
                    duration(l.time_ms),
                    l.service.as_deref().unwrap_or("-"),
                    l.severity.as_deref().unwrap_or("-"),
                    l.body
                );
            }
            if trace.logs.len() > 12 {
                let _ = writeln!(out, "    … {} more", trace.logs.len() - 12);
            }
        }
    }
    if !options.all && report.traces.len() > report.aggregate.len() {
        let _ = writeln!(
            out,
            "\n(one example trace per cause; --all shows all {})",
            report.traces.len()
        );
    }
    if !report.input_notes.is_empty() {
        let _ = writeln!(out, "\ninput:");
        for note in &report.input_notes {
            let _ = writeln!(out, "  - {note}");
        }
    }
    out
}

/// A piece of the Markdown and how readily it is dropped (higher goes first).
struct Block {
    drop_order: u32,
    text: String,
}

/// Counts tokens as OpenAI's `cl100k_base` does; other assistants' tokenizers land within a few percent.
pub fn count_tokens(text: &str) -> usize {
    tiktoken_rs::cl100k_base_singleton()
        .encode_ordinary(text)
        .len()
}

/// Markdown for an assistant's context; with `max_tokens`, the least relevant blocks are dropped until it fits.
pub fn render_markdown(
    report: &Report,
    options: RenderOptions,
    max_tokens: Option<usize>,
) -> String {
    let mut blocks = Vec::new();
    let push = |blocks: &mut Vec<Block>, drop_order: u32, text: String| {
        blocks.push(Block { drop_order, text })
    };
    push(
        &mut blocks,
        0,
        format!("# Trace diagnosis\n\n{}\n", headline(report)),
    );
    for (i, line) in report.aggregate.iter().enumerate() {
        let text = format!(
            "- **{}** (`{}`, {}, e.g. trace `{}`)\n",
            aggregate_sentence(line),
            line.kind.as_str(),
            line.service,
            line.example_trace_id
        );
        push(
            &mut blocks,
            if i == 0 { 0 } else { 60 + i as u32 },
            if i == 0 {
                format!("\n## Causes\n\n{text}")
            } else {
                text
            },
        );
    }
    for (n, trace) in shown(report, options).into_iter().enumerate() {
        // The first trace's details are the most relevant; each further trace's drop before the first's.
        let base = if n == 0 { 0 } else { 100 + 10 * n as u32 };
        let cause = &trace.root_cause;
        let span = match (&cause.span_name, &cause.span_id) {
            (Some(name), Some(id)) => format!(", span `{name}` ({id})"),
            (Some(name), None) => format!(", span `{name}`"),
            _ => String::new(),
        };
        push(
            &mut blocks,
            base,
            format!(
                "\n## Trace `{}`: {} after {} ({})\n\n**Root cause** (`{}`): {}{span}. {}\n{}",
                trace.trace_id,
                trace.outcome,
                duration(trace.duration_ms),
                trace.route,
                cause.kind.as_str(),
                cause.service,
                cause.detail,
                trace
                    .incomplete
                    .as_ref()
                    .map(|why| format!(
                        "\n**Incomplete input**: {why} (confidence {:.1}).\n",
                        cause.score
                    ))
                    .unwrap_or_default()
            ),
        );
        let lines = tree(&trace.path, true);
        let mut tree_text = String::from("\n```text\n");
        for (line, level) in &lines {
            if *level <= 1 || lines.len() <= 12 {
                tree_text.push_str(line);
                tree_text.push('\n');
            }
        }
        tree_text.push_str("```\n");
        push(&mut blocks, base + 5, tree_text);
        for (i, e) in trace.evidence.iter().enumerate() {
            let head = if i == 0 { "\nEvidence:\n\n" } else { "" };
            push(
                &mut blocks,
                base + 20 + i.min(9) as u32,
                format!("{head}- {}\n", e.text),
            );
        }
        for (i, c) in trace.candidates.iter().skip(1).enumerate() {
            let head = if i == 0 {
                "\nOther candidates:\n\n"
            } else {
                ""
            };
            push(
                &mut blocks,
                base + 40,
                format!(
                    "{head}- {:.2} `{}` {}\n",
                    c.score,
                    c.kind.as_str(),
                    c.headline
                ),
            );
        }
        let mut logs: Vec<_> = trace.logs.iter().collect();
        logs.sort_by_key(|l| {
            !matches!(
                l.severity.as_deref(),
                Some("ERROR" | "FATAL" | "error" | "fatal")
            )
        });
        for (i, l) in logs.iter().take(8).enumerate() {
            let head = if i == 0 { "\nLogs:\n\n" } else { "" };
            push(
                &mut blocks,
                base + 50,
                format!(
                    "{head}- `+{}` {} {}: {}\n",
                    duration(l.time_ms),
                    l.service.as_deref().unwrap_or("-"),
                    l.severity.as_deref().unwrap_or("-"),
                    l.body
                ),
            );
        }
    }
    for note in &report.input_notes {
        push(&mut blocks, 90, format!("\n> input: {note}\n"));
    }
    let join = |blocks: &[Block]| blocks.iter().map(|b| b.text.as_str()).collect::<String>();
    let Some(budget) = max_tokens else {
        return join(&blocks);
    };
    let mut dropped = 0;
    loop {
        let mut text = join(&blocks);
        if dropped > 0 {
            text.push_str(&format!(
                "\n_{dropped} less relevant item(s) left out to fit {budget} tokens._\n"
            ));
        }
        if count_tokens(&text) <= budget {
            return text;
        }
        // The block dropped first: the highest drop order, the last of those.
        let Some((at, _)) = blocks
            .iter()
            .enumerate()
            .filter(|(_, b)| b.drop_order > 0)
            .max_by_key(|(i, b)| (b.drop_order, *i))
        else {
            return format!("{text}\n_The root cause alone exceeds {budget} tokens._\n");
        };
        blocks.remove(at);
        dropped += 1;
    }
}
