use seamline_syntax::{Format, Limits, Node, Parsed, ProblemKind, parse};

fn read(format: Format, text: &str) -> Parsed {
    parse("t", text.as_bytes(), format, &Limits::default())
}

fn slice<'a>(parsed: &'a Parsed, node: &Node) -> &'a str {
    &parsed.source.text()[node.span.start as usize..node.span.end as usize]
}

fn kinds(parsed: &Parsed) -> Vec<ProblemKind> {
    parsed.problems.iter().map(|p| p.kind).collect()
}

#[test]
fn yaml_spans_point_at_the_exact_token() {
    let text = "openapi: 3.1.0\npaths:\n  /pets/{id}:\n    get:\n      operationId: \"getPet\"\n      tags: [a, 'b']\n";
    let parsed = read(Format::Yaml, text);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let root = parsed.root.as_ref().unwrap();
    let op = root.pointer("/paths/~1pets~1{id}/get/operationId").unwrap();
    assert_eq!(op.as_str(), Some("getPet"));
    assert_eq!(slice(&parsed, op), "\"getPet\"");
    let lc = parsed.source.line_col(op.span.start);
    assert_eq!((lc.line, lc.column), (5, 20));
    let (_, key) = root.locate("/paths/~1pets~1{id}/get").unwrap();
    let key = key.unwrap();
    assert_eq!(&text[key.start as usize..key.end as usize], "get");
    let tag = root
        .pointer("/tags")
        .or_else(|| root.pointer("/paths/~1pets~1{id}/get/tags/1"))
        .unwrap();
    assert_eq!(slice(&parsed, tag), "'b'");
}

#[test]
fn yaml_core_schema_resolves_plain_scalars_only() {
    let parsed = read(
        Format::Yaml,
        "a: 3.1\nb: '3.1'\nc: 0x1f\nd: yes\ne: ~\nf: true\ng: 1e3\nh: !!str 12\n200: ok\n",
    );
    let root = parsed.root.unwrap();
    assert_eq!(root.get("a").unwrap().type_name(), "number");
    assert_eq!(root.get("b").unwrap().as_str(), Some("3.1"));
    assert_eq!(root.get("c").unwrap().as_i64(), Some(31));
    // YAML 1.2 dropped `yes` as a boolean.
    assert_eq!(root.get("d").unwrap().as_str(), Some("yes"));
    assert_eq!(root.get("e").unwrap().type_name(), "null");
    assert_eq!(root.get("f").unwrap().as_bool(), Some(true));
    assert_eq!(root.get("g").unwrap().as_f64(), Some(1000.0));
    assert_eq!(root.get("h").unwrap().as_str(), Some("12"));
    assert_eq!(root.get("200").unwrap().as_str(), Some("ok"));
}

#[test]
fn yaml_aliases_expand_within_the_budget() {
    let parsed = read(Format::Yaml, "base: &b {x: 1}\nuse: *b\n");
    let root = parsed.root.unwrap();
    assert_eq!(root.pointer("/use/x").and_then(Node::as_i64), Some(1));

    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..12 {
        let prev = (b'a' + level - 1) as char;
        let name = (b'a' + level) as char;
        bomb.push_str(&format!("{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    let parsed = read(Format::Yaml, &bomb);
    assert!(parsed.root.is_none());
    assert_eq!(kinds(&parsed), vec![ProblemKind::AliasExpansion]);
}

#[test]
fn duplicate_keys_are_reported_with_both_places_and_the_last_wins() {
    for (format, text) in [
        (Format::Json, "{\"a\": 1, \"b\": 2, \"a\": 3}"),
        (Format::Yaml, "a: 1\nb: 2\na: 3\n"),
    ] {
        let parsed = read(format, text);
        assert_eq!(
            kinds(&parsed),
            vec![ProblemKind::DuplicateKey],
            "{format:?}"
        );
        let problem = &parsed.problems[0];
        let (first, _) = problem.related.clone().unwrap();
        assert!(first.start < problem.span.start);
        let root = parsed.root.unwrap();
        assert_eq!(root.get("a").and_then(Node::as_i64), Some(3));
        assert_eq!(root.as_object().unwrap().len(), 2);
    }
}

#[test]
fn depth_and_size_limits_are_problems_not_crashes() {
    let deep = "[".repeat(100_000);
    for format in [Format::Json, Format::Yaml] {
        let parsed = read(format, &deep);
        assert!(parsed.root.is_none());
        assert!(
            kinds(&parsed).contains(&ProblemKind::TooDeep),
            "{format:?}: {:?}",
            parsed.problems
        );
    }
    let limits = Limits {
        max_bytes: 4,
        ..Limits::default()
    };
    let parsed = parse("t", b"{\"a\": 1}", Format::Json, &limits);
    assert_eq!(kinds(&parsed), vec![ProblemKind::TooLarge]);
}

#[test]
fn invalid_utf8_is_located() {
    let parsed = parse("t", b"a: 1\nb: \xff\n", Format::Yaml, &Limits::default());
    assert_eq!(kinds(&parsed), vec![ProblemKind::InvalidUtf8]);
    let lc = parsed.source.line_col(parsed.problems[0].span.start);
    assert_eq!((lc.line, lc.column), (2, 4));
}

#[test]
fn json_syntax_errors_say_what_was_expected_and_where() {
    let parsed = read(Format::Json, "{\n  \"a\": 1,\n  \"b\" 2\n}");
    assert!(parsed.root.is_none());
    let problem = &parsed.problems[0];
    assert_eq!(problem.message, "expected `:` after the key, found `2`");
    let lc = parsed.source.line_col(problem.span.start);
    assert_eq!((lc.line, lc.column), (3, 7));
}

#[test]
fn json_strings_numbers_and_escapes() {
    let parsed = read(
        Format::Json,
        r#"{"s": "a\u00e9\ud83d\ude00\n", "i": -12, "f": 1.5e2, "big": 123456789012345678901}"#,
    );
    let root = parsed.root.unwrap();
    assert_eq!(root.get("s").unwrap().as_str(), Some("a\u{e9}\u{1f600}\n"));
    assert_eq!(root.get("i").unwrap().as_i64(), Some(-12));
    assert_eq!(root.get("f").unwrap().as_f64(), Some(150.0));
    assert_eq!(root.get("big").unwrap().type_name(), "number");
}

#[test]
fn toml_keeps_spans_of_keys_and_values() {
    let text = "[service]\nname = \"order-service\"\n\n[[consumes.http]]\nservice = \"payment\"\ntimeout_ms = 2_000\n";
    let parsed = read(Format::Toml, text);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let root = parsed.root.as_ref().unwrap();
    let name = root.pointer("/service/name").unwrap();
    assert_eq!(slice(&parsed, name), "\"order-service\"");
    assert_eq!(
        root.pointer("/consumes/http/0/timeout_ms")
            .and_then(Node::as_i64),
        Some(2000)
    );
    let (_, key) = root.locate("/consumes/http/0/service").unwrap();
    assert_eq!(parsed.source.line_col(key.unwrap().start).line, 5);

    let broken = read(Format::Toml, "[service]\nname = \n");
    assert!(broken.root.is_none());
    assert_eq!(kinds(&broken), vec![ProblemKind::Syntax]);
}

#[test]
fn multiple_yaml_documents_are_reported() {
    let parsed = read(Format::Yaml, "a: 1\n---\nb: 2\n");
    assert_eq!(kinds(&parsed), vec![ProblemKind::Unsupported]);
    assert!(parsed.root.unwrap().get("a").is_some());
}

#[test]
fn scalar_spans_stop_before_trailing_comments() {
    let text = "a: \"x \\\" y\"  # note \"q\"\nb: 'it''s'   # it's\nc: plain words   # c\nd: 12\n";
    let parsed = read(Format::Yaml, text);
    let root = parsed.root.as_ref().unwrap();
    assert_eq!(slice(&parsed, root.get("a").unwrap()), "\"x \\\" y\"");
    assert_eq!(slice(&parsed, root.get("b").unwrap()), "'it''s'");
    assert_eq!(slice(&parsed, root.get("c").unwrap()), "plain words");
    assert_eq!(slice(&parsed, root.get("d").unwrap()), "12");
}
