//! TOML into the same tree, so the manifest gets spans and pointers like every contract.

use toml::de::{DeTable, DeValue};

use crate::node::finish_object;
use crate::{Limits, Member, Node, ProblemKind, Span, SyntaxProblem, Value};

pub(crate) fn parse(
    text: &str,
    limits: &Limits,
    problems: &mut Vec<SyntaxProblem>,
) -> Option<Node> {
    let (table, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for error in errors {
            let span = error
                .span()
                .map_or(Span::new(0, 0), |r| Span::new(r.start as u32, r.end as u32));
            problems.push(SyntaxProblem::new(
                ProblemKind::Syntax,
                span,
                error.message().trim_end().to_owned(),
            ));
        }
        return None;
    }
    let span = Span::new(0, text.len() as u32);
    Some(Node::new(
        table_value(table.get_ref(), 1, limits, problems),
        span,
    ))
}

fn convert(
    value: &DeValue<'_>,
    span: Span,
    depth: usize,
    limits: &Limits,
    problems: &mut Vec<SyntaxProblem>,
) -> Node {
    if depth > limits.max_depth {
        problems.push(SyntaxProblem::new(
            ProblemKind::TooDeep,
            span,
            format!("nesting deeper than {} levels", limits.max_depth),
        ));
        return Node::new(Value::Null, span);
    }
    let value = match value {
        DeValue::String(s) => Value::String(s.as_ref().into()),
        DeValue::Integer(i) => {
            let digits: String = i.as_str().chars().filter(|&c| c != '_').collect();
            let digits = digits
                .trim_start_matches('+')
                .trim_start_matches("0x")
                .trim_start_matches("0o")
                .trim_start_matches("0b");
            i64::from_str_radix(digits, i.radix()).map_or(Value::Float(f64::NAN), Value::Int)
        }
        DeValue::Float(f) => {
            let raw: String = f.as_str().chars().filter(|&c| c != '_').collect();
            Value::Float(match raw.trim_start_matches('+') {
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                "nan" | "-nan" => f64::NAN,
                other => other.parse().unwrap_or(f64::NAN),
            })
        }
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::String(d.to_string().into()),
        DeValue::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| {
                    convert(
                        item.get_ref(),
                        to_span(item.span()),
                        depth + 1,
                        limits,
                        problems,
                    )
                })
                .collect(),
        ),
        DeValue::Table(table) => table_value(table, depth + 1, limits, problems),
    };
    Node::new(value, span)
}

fn table_value(
    table: &DeTable<'_>,
    depth: usize,
    limits: &Limits,
    problems: &mut Vec<SyntaxProblem>,
) -> Value {
    let mut members: Vec<Member> = table
        .iter()
        .map(|(key, value)| Member {
            key: key.get_ref().as_ref().into(),
            key_span: to_span(key.span()),
            value: convert(
                value.get_ref(),
                to_span(value.span()),
                depth,
                limits,
                problems,
            ),
        })
        .collect();
    // The TOML reader rejects duplicates itself; keep source order for readable output.
    members.sort_by_key(|m| m.key_span.start);
    Value::Object(finish_object(members, problems))
}

fn to_span(range: std::ops::Range<usize>) -> Span {
    Span::new(range.start as u32, range.end as u32)
}
