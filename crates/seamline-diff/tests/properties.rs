//! Properties over generated schemas: a document diffed with itself has no changes, and moving every schema
//! behind a `$ref` (into `components.schemas`) changes nothing on the wire, so it is no change either.

use std::path::Path;

use proptest::prelude::*;
use seamline_diff::{DiffOptions, diff_documents};
use seamline_model::{Workspace, WorkspaceOptions};
use seamline_syntax::Limits;
use serde_json::{Map, Value, json};

const NAMES: [&str; 6] = ["id", "sku", "total", "items", "note", "status"];

fn schema() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        (proptest::option::of(1u32..50), proptest::option::of(prop::sample::select(vec!["uuid", "date-time"])))
            .prop_map(|(max, format)| {
                let mut s = json!({"type": "string"});
                if let Some(max) = max {
                    s["maxLength"] = json!(max);
                }
                if let Some(format) = format {
                    s["format"] = json!(format);
                }
                s
            }),
        (proptest::option::of(-5i64..5), any::<bool>()).prop_map(|(min, nullable)| {
            let mut s = json!({"type": if nullable { json!(["integer", "null"]) } else { json!("integer") }});
            if let Some(min) = min {
                s["minimum"] = json!(min);
            }
            s
        }),
        prop::collection::btree_set("[a-d]", 1..4).prop_map(|values| json!({"type": "string", "enum": values})),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            (
                prop::collection::btree_map(
                    prop::sample::select(NAMES.to_vec()),
                    inner.clone(),
                    1..4
                ),
                any::<u8>(),
                any::<bool>()
            )
                .prop_map(|(props, mask, closed)| {
                    let required: Vec<&str> = props
                        .keys()
                        .enumerate()
                        .filter(|(i, _)| mask & (1 << i) != 0)
                        .map(|(_, k)| *k)
                        .collect();
                    let mut s =
                        json!({"type": "object", "properties": props, "required": required});
                    if closed {
                        s["additionalProperties"] = json!(false);
                    }
                    s
                }),
            inner
                .clone()
                .prop_map(|items| json!({"type": "array", "items": items})),
            prop::collection::vec(inner, 2..4)
                .prop_map(|alternatives| json!({"oneOf": alternatives})),
        ]
    })
}

fn document(request: &Value, response: &Value, components: Map<String, Value>) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "generated", "version": "1"},
        "paths": {"/things/{id}": {"put": {
            "operationId": "putThing",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": request}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": response}}}},
        }}},
        "components": {"schemas": components},
    })
}

/// Moves every object and array schema under `schema` into `components`, leaving `$ref`s behind.
fn reshuffle(schema: &Value, components: &mut Map<String, Value>) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut moved = Map::new();
    for (key, value) in map {
        let value = match key.as_str() {
            "properties" => Value::Object(
                value
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), reshuffle(v, components)))
                    .collect(),
            ),
            "items" => reshuffle(value, components),
            "oneOf" => Value::Array(
                value
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| reshuffle(v, components))
                    .collect(),
            ),
            _ => value.clone(),
        };
        moved.insert(key.clone(), value);
    }
    if matches!(
        map.get("type").and_then(Value::as_str),
        Some("object" | "array")
    ) {
        let name = format!("S{}", components.len());
        components.insert(name.clone(), Value::Object(moved));
        json!({"$ref": format!("#/components/schemas/{name}")})
    } else {
        Value::Object(moved)
    }
}

fn changes(old: &Value, new: &Value) -> Vec<String> {
    let options = WorkspaceOptions {
        root: "/generated".into(),
        display_base: "/generated".into(),
        allow_remote_refs: false,
        limits: Limits::default(),
    };
    let (mut old_ws, mut new_ws) = (Workspace::new(options.clone()), Workspace::new(options));
    let o = old_ws.add_virtual(Path::new("/generated/old.json"), old.to_string().as_bytes());
    let n = new_ws.add_virtual(Path::new("/generated/new.json"), new.to_string().as_bytes());
    diff_documents(&old_ws, o, &new_ws, n, &DiffOptions::default())
        .iter()
        .map(|c| format!("{} {} {}: {}", c.check.id, c.subject, c.path, c.message))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn a_document_has_no_changes_against_itself(request in schema(), response in schema()) {
        let doc = document(&request, &response, Map::new());
        prop_assert_eq!(changes(&doc, &doc), Vec::<String>::new());
    }

    #[test]
    fn moving_schemas_behind_refs_is_no_change(request in schema(), response in schema()) {
        let plain = document(&request, &response, Map::new());
        let mut components = Map::new();
        let (req, resp) = (reshuffle(&request, &mut components), reshuffle(&response, &mut components));
        let shuffled = document(&req, &resp, components);
        prop_assert_eq!(changes(&plain, &shuffled), Vec::<String>::new());
        prop_assert_eq!(changes(&shuffled, &plain), Vec::<String>::new());
    }
}
