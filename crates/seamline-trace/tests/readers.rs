//! The readers on the traps real exporters set: every format, odd encodings, broken lines among good ones.

use prost::Message as _;
use seamline_trace::model::{SpanKind, StatusCode, Value};
use seamline_trace::read::proto::{
    AnyKind, AnyValue, ExportLogsServiceRequest, ExportTraceServiceRequest, KeyValue, ProtoLog,
    ProtoSpan, ProtoStatus, Resource, ResourceLogs, ResourceSpans, ScopeLogs, ScopeSpans,
};
use seamline_trace::read::{Collect, InputFormat, Reader};

fn read(bytes: &[u8]) -> (Collect, Reader) {
    let mut reader = Reader::default();
    let mut sink = Collect::default();
    reader.read_bytes("input", bytes, InputFormat::Auto, &mut sink);
    (sink, reader)
}

#[test]
fn otlp_json_with_every_quirk() {
    let input = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}}]},
      "instrumentationLibrarySpans":[{"spans":[
        {"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","name":"a","kind":"SPAN_KIND_SERVER",
         "startTimeUnixNano":1544712660000000000,"endTimeUnixNano":"1544712661000000000",
         "status":{"code":"STATUS_CODE_ERROR","message":"boom"},"futureField":{"x":[1,2]},
         "attributes":[{"key":"http.response.status_code","value":{"intValue":"503"}},
                       {"key":"retry","value":{"intValue":2}},{"key":"ok","value":{"boolValue":true}},
                       {"key":"list","value":{"arrayValue":{"values":[{"stringValue":"x"}]}}}]},
        {"traceId":"W47/95gDgQPSabYzgT/GDA==","spanId":"7uGbfsPBsXU=","parentSpanId":"7uGbfsPBsXQ=","name":"b","kind":3,
         "startTimeUnixNano":"1544712660100000000","endTimeUnixNano":"1544712660200000000","status":{"code":2}},
        {"traceId":"not-hex","spanId":"0000000000000001","startTimeUnixNano":"1"}
      ]}]}]}"#;
    let (sink, reader) = read(input.as_bytes());
    assert_eq!(sink.spans.len(), 2);
    let a = &sink.spans[0];
    assert_eq!(a.trace_id.to_string(), "5b8efff798038103d269b633813fc60c");
    assert_eq!(
        (a.kind, a.status, &*a.service),
        (SpanKind::Server, StatusCode::Error, "shop")
    );
    assert_eq!(a.duration_ns(), 1_000_000_000);
    assert_eq!(a.http_status(), Some(503));
    assert_eq!(a.attr("retry"), Some(&Value::Int(2)));
    assert_eq!(a.attr("ok"), Some(&Value::Bool(true)));
    assert!(matches!(a.attr("list"), Some(Value::Json(_))));
    let b = &sink.spans[1];
    assert_eq!(
        b.trace_id, a.trace_id,
        "base64 ids decode to the same trace"
    );
    assert_eq!(b.parent_id, Some(a.span_id));
    assert_eq!(b.kind, SpanKind::Client);
    assert_eq!(reader.report.skipped_total(), 1);
    assert!(
        reader.report.examples[0].contains("resourceSpans[0].scopeSpans[0].spans[2]: traceId"),
        "{:?}",
        reader.report.examples
    );
}

#[test]
fn json_lines_skip_a_broken_line_and_keep_the_rest() {
    let good = |id: &str| {
        format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{id}","spanId":"00000000000000aa","name":"x","startTimeUnixNano":"5","endTimeUnixNano":"9"}}]}}]}}]}}"#
        )
    };
    let input = format!(
        "{}\n{{\"resourceSpans\": [\n{}\n\n",
        good("0af7651916cd43dd8448eb211c80319c"),
        good("1af7651916cd43dd8448eb211c80319c")
    );
    let (sink, reader) = read(input.as_bytes());
    assert_eq!(sink.spans.len(), 2);
    assert_eq!(reader.report.skipped_total(), 1);
    assert!(
        reader.report.examples[0].starts_with("input:2: "),
        "{:?}",
        reader.report.examples
    );
}

#[test]
fn the_stream_reader_matches_the_whole_file_reader() {
    let mut traces = Vec::new();
    let options = seamline_trace::generate::Options {
        fault: None,
        quirks: true,
        checkouts: 12,
        ..Default::default()
    };
    seamline_trace::generate::generate(&options, &mut traces, None).unwrap();
    let (whole, _) = read(&traces);
    let mut reader = Reader::default();
    let mut streamed = Collect::default();
    reader
        .read_stream(
            "input",
            std::io::Cursor::new(&traces),
            InputFormat::Auto,
            &mut streamed,
        )
        .unwrap();
    assert_eq!(whole.spans, streamed.spans);
    assert!(whole.spans.len() > 100);
}

#[test]
fn jaeger_query_api_v3_and_tempo_wrappers() {
    let jaeger = r#"{"data":[{"traceID":"1e223ff1f80f1c69","spans":[
        {"traceID":"1e223ff1f80f1c69","spanID":"74280ae0c10d8062","operationName":"GET /","references":[],
         "startTime":1470150004008761,"duration":93577,"processID":"p1",
         "tags":[{"key":"span.kind","type":"string","value":"server"},{"key":"error","type":"bool","value":"true"},
                 {"key":"http.status_code","type":"int64","value":"502"}],
         "logs":[{"timestamp":1470150004008800,"fields":[{"key":"event","type":"string","value":"error"},{"key":"message","type":"string","value":"upstream"}]}]},
        {"traceID":"1e223ff1f80f1c69","spanID":"43210ae0c10d1234","operationName":"call","processID":"p2",
         "references":[{"refType":"CHILD_OF","traceID":"1e223ff1f80f1c69","spanID":"74280ae0c10d8062"},
                       {"refType":"FOLLOWS_FROM","traceID":"00000000000000000000000000000abc","spanID":"0000000000000def"}],
         "startTime":1470150004008762,"duration":65000}],
      "processes":{"p1":{"serviceName":"front","tags":[]},"p2":{"serviceName":"back"}}}],"errors":null}"#;
    let (sink, reader) = read(jaeger.as_bytes());
    assert_eq!(
        reader.report.skipped_total(),
        0,
        "{:?}",
        reader.report.examples
    );
    let (front, back) = (&sink.spans[0], &sink.spans[1]);
    assert_eq!(
        (&*front.service, front.kind, front.status),
        ("front", SpanKind::Server, StatusCode::Error)
    );
    assert_eq!(front.http_status(), Some(502));
    assert_eq!(&*front.events[0].name, "error");
    assert_eq!(
        front.trace_id.to_string(),
        "00000000000000001e223ff1f80f1c69"
    );
    assert_eq!(
        (&*back.service, back.parent_id),
        ("back", Some(front.span_id))
    );
    assert_eq!(
        back.links.len(),
        1,
        "a reference into another trace is a link"
    );

    let otlp = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"s"}}]},"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"n","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}"#;
    for wrapped in [
        format!(r#"{{"result":{otlp}}}"#),
        format!(r#"{{"trace":{otlp}}}"#),
        otlp.replace("resourceSpans", "batches"),
    ] {
        let (sink, reader) = read(wrapped.as_bytes());
        assert_eq!(
            (sink.spans.len(), reader.report.skipped_total()),
            (1, 0),
            "{wrapped}"
        );
    }
}

#[test]
fn zipkin_arrays_with_shared_spans_and_jaeger_ui_arrays() {
    let zipkin = r#"[
      {"traceId":"1e223ff1f80f1c69","id":"bf396325699c84bf","kind":"CLIENT","name":"post","timestamp":1470150004071068,"duration":99411,
       "localEndpoint":{"serviceName":"frontend"},"remoteEndpoint":{"serviceName":"backend"},"tags":{"error":"","http.status_code":"500"}},
      {"traceId":"1e223ff1f80f1c69","id":"bf396325699c84bf","kind":"SERVER","name":"post","timestamp":1470150004074202,"duration":94539,
       "localEndpoint":{"serviceName":"backend"},"shared":true},
      {"traceId":"1e223ff1f80f1c69","id":"aaaa","name":"late","localEndpoint":{"serviceName":"backend"}}
    ]"#;
    let (sink, reader) = read(zipkin.as_bytes());
    assert_eq!(reader.report.skipped_total(), 0);
    let (client, server) = (&sink.spans[0], &sink.spans[1]);
    assert_eq!(
        (client.kind, client.status),
        (SpanKind::Client, StatusCode::Error)
    );
    assert_eq!(client.attr_str("peer.service"), Some("backend"));
    assert_eq!(
        server.parent_id,
        Some(client.span_id),
        "the shared server half hangs under the client half"
    );
    assert_ne!(server.span_id, client.span_id);
    assert_eq!(
        sink.spans[2].start_ns, 0,
        "a span without a timestamp is kept, to be placed later"
    );

    let jaeger_ui = r#"[{"traceID":"2be38093ead7a083","spanID":"7606ddfe69932d34","operationName":"op","references":[],
        "startTime":1605223981761425,"duration":267037,"tags":[{"key":"span.kind","type":"string","value":"client"}],
        "process":{"serviceName":"svc","tags":[]}}]"#;
    let (sink, _) = read(jaeger_ui.as_bytes());
    assert_eq!(
        (&*sink.spans[0].service, sink.spans[0].kind),
        ("svc", SpanKind::Client)
    );
}

#[test]
fn logs_as_otlp_and_as_json_lines() {
    let lines = concat!(
        r#"{"time":"2026-11-26T09:00:01.250Z","level":"ERROR","service":"order-service","trace_id":"0AF7651916CD43DD8448EB211C80319C","span_id":"b7ad6b7169203331","message":"timed out"}"#,
        "\n",
        r#"{"ts":1795683601,"lvl":"info","msg":"started"}"#,
        "\n",
        // tracing-subscriber's JSON, flattened: its `spans` are in-process spans, not a Jaeger trace.
        r#"{"timestamp":"2026-11-26T09:00:02.000000Z","level":"WARN","message":"connection lost","target":"lapin","span":{"name":"io_loop"},"spans":[{"name":"io_loop","id":7}]}"#,
        "\n",
        // The same, not flattened: the message and the event's fields under `fields`.
        r#"{"timestamp":"2026-11-26T09:00:03.000000Z","level":"WARN","fields":{"message":"will retry","trace_id":"0af7651916cd43dd8448eb211c80319c"},"target":"seamline_runtime","spans":[{"name":"consume"}]}"#,
        "\n"
    );
    let (sink, reader) = read(lines.as_bytes());
    assert_eq!(reader.report.skipped_total(), 0);
    assert_eq!(sink.logs.len(), 4);
    assert_eq!(&*sink.logs[2].body, "connection lost");
    assert_eq!(sink.logs[2].trace_id, None);
    assert_eq!(&*sink.logs[3].body, "will retry");
    assert!(sink.logs[3].trace_id.is_some());
    assert_eq!(
        sink.logs[0].trace_id.map(|t| t.to_string()).as_deref(),
        Some("0af7651916cd43dd8448eb211c80319c")
    );
    assert_eq!(sink.logs[0].time_ns, 1_795_683_601_250_000_000);
    assert_eq!(sink.logs[1].time_ns, 1_795_683_601_000_000_000);
    assert_eq!(sink.logs[1].trace_id, None);

    let otlp = r#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"s"}}]},
       "scopeLogs":[{"logRecords":[{"timeUnixNano":"1544712660300000000","severityNumber":17,
       "traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","body":{"stringValue":"failed"}}]}]}]}"#;
    let (sink, _) = read(otlp.as_bytes());
    assert_eq!(sink.logs[0].severity.as_deref(), Some("ERROR"));
    assert_eq!(&*sink.logs[0].body, "failed");
}

fn proto_span(trace: u8, id: u8, parent: Option<u8>) -> ProtoSpan {
    ProtoSpan {
        trace_id: vec![trace; 16],
        span_id: vec![id; 8],
        parent_span_id: parent.map(|p| vec![p; 8]).unwrap_or_default(),
        name: format!("span {id}"),
        kind: 2,
        start_time_unix_nano: 1_000,
        end_time_unix_nano: 2_000,
        attributes: vec![KeyValue {
            key: "http.response.status_code".into(),
            value: Some(AnyValue {
                value: Some(AnyKind::Int(500)),
            }),
        }],
        events: vec![],
        links: vec![],
        status: Some(ProtoStatus {
            message: "boom".into(),
            code: 2,
        }),
    }
}

#[test]
fn otlp_protobuf_whole_and_length_delimited() {
    let resource = Some(Resource {
        attributes: vec![KeyValue {
            key: "service.name".into(),
            value: Some(AnyValue {
                value: Some(AnyKind::String("svc".into())),
            }),
        }],
    });
    let request = |spans| ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: resource.clone(),
            scope_spans: vec![ScopeSpans { spans }],
            instrumentation_library_spans: vec![],
        }],
    };
    let whole = request(vec![proto_span(1, 2, None), proto_span(1, 3, Some(2))]).encode_to_vec();
    let (sink, reader) = read(&whole);
    assert_eq!((sink.spans.len(), reader.report.skipped_total()), (2, 0));
    assert_eq!(
        (&*sink.spans[1].service, sink.spans[1].parent_id),
        ("svc", Some(sink.spans[0].span_id))
    );
    assert_eq!(sink.spans[0].http_status(), Some(500));
    assert_eq!(sink.spans[0].status_message.as_deref(), Some("boom"));

    let mut delimited = Vec::new();
    request(vec![proto_span(4, 5, None)])
        .encode_length_delimited(&mut delimited)
        .unwrap();
    let logs = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource,
            scope_logs: vec![ScopeLogs {
                log_records: vec![ProtoLog {
                    time_unix_nano: 1_500,
                    severity_number: 17,
                    trace_id: vec![4; 16],
                    span_id: vec![5; 8],
                    body: Some(AnyValue {
                        value: Some(AnyKind::String("failed".into())),
                    }),
                    ..ProtoLog::default()
                }],
            }],
        }],
    };
    logs.encode_length_delimited(&mut delimited).unwrap();
    let (sink, reader) = read(&delimited);
    assert_eq!(
        (
            sink.spans.len(),
            sink.logs.len(),
            reader.report.skipped_total()
        ),
        (1, 1, 0)
    );
    assert_eq!(sink.logs[0].severity.as_deref(), Some("ERROR"));

    let (sink, reader) = read(b"\x0a\xff\xff garbage");
    assert!(sink.spans.is_empty());
    assert!(reader.report.examples[0].contains("neither JSON nor OTLP/protobuf"));
}

#[test]
fn nothing_readable_is_reported_not_fatal() {
    for bytes in [
        &b""[..],
        b"   \n",
        b"{}",
        b"[1, 2]",
        b"{\"resourceSpans\": 7}",
        b"[{\"traceId\": {}}]",
    ] {
        let (sink, reader) = read(bytes);
        assert!(sink.spans.is_empty());
        assert!(
            reader.report.skipped_total() >= 1,
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn skips_say_where() {
    let mut reader = Reader::default();
    let mut sink = Collect::default();
    for name in ["a.jsonl", "b.jsonl", "c.jsonl", "d.jsonl"] {
        reader.read_bytes(name, b"", InputFormat::Auto, &mut sink);
    }
    reader.read_bytes("e.jsonl", b"{}", InputFormat::Auto, &mut sink);
    let report = &reader.report;
    assert_eq!(
        report.where_skipped("the input is empty"),
        " (at a.jsonl, b.jsonl, c.jsonl, …)"
    );
    let (other, _) = &report.skipped[1];
    assert_eq!(report.where_skipped(other), " (at e.jsonl)");
    assert_eq!(report.where_skipped("never seen"), "");

    // Groups that share a prefix keep their own places; more items than examples kept still say "…".
    let mut reader = Reader::default();
    reader.read_bytes("bad.json", br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"b7ad6b7169203331","name":"x"}]}]}]}"#, InputFormat::Auto, &mut sink);
    reader.read_bytes("empty.json", br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"","spanId":"b7ad6b7169203331","name":"x"}]}]}]}"#, InputFormat::Auto, &mut sink);
    let report = &reader.report;
    assert_eq!(report.skipped.len(), 2, "{:?}", report.skipped);
    for (group, _) in &report.skipped {
        let at = report.where_skipped(group);
        assert_eq!(at.matches(".json").count(), 1, "{group}: {at}");
    }
    let mut reader = Reader::default();
    for n in 0..25 {
        reader.read_bytes(&format!("{n}.jsonl"), b"", InputFormat::Auto, &mut sink);
    }
    assert_eq!(
        reader.report.where_skipped("the input is empty"),
        " (at 0.jsonl, 1.jsonl, 2.jsonl, …)"
    );
}
