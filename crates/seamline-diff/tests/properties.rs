//! Properties over generated schemas: a document diffed with itself has no changes, and moving every schema
//! behind a `$ref` (into `components.schemas`) changes nothing on the wire, so it is no change either. And a
//! pair where either side is damaged (a syntax error, an empty file, not a contract, an alias bomb, nesting past
//! the limit, a broken or circular `$ref`, ...) has no answer at all: never "no change", never "compatible".

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
    let old = ("old.json", old.to_string().into_bytes());
    let new = ("new.json", new.to_string().into_bytes());
    compare(&old, &new)
        .unwrap_or_else(|cannot| panic!("{cannot}"))
        .iter()
        .map(|c| format!("{} {} {}: {}", c.check.id, c.subject, c.path, c.message))
        .collect()
}

/// Diffs two files given as (name, bytes); the name decides how they are read, as it does on disk.
fn compare(
    old: &(&str, Vec<u8>),
    new: &(&str, Vec<u8>),
) -> Result<Vec<seamline_diff::Change>, seamline_diff::CannotJudge> {
    let options = WorkspaceOptions {
        root: "/generated".into(),
        display_base: "/generated".into(),
        allow_remote_refs: false,
        limits: Limits::default(),
    };
    let (mut old_ws, mut new_ws) = (Workspace::new(options.clone()), Workspace::new(options));
    let o = old_ws.add_virtual(&Path::new("/generated/old").join(old.0), &old.1);
    let n = new_ws.add_virtual(&Path::new("/generated/new").join(new.0), &new.1);
    diff_documents(&old_ws, o, &new_ws, n, &DiffOptions::default())
}

/// One way a contract can be unreadable, applied to a valid generated document.
#[derive(Debug, Clone)]
enum Damage {
    /// The JSON text cut short at this fraction of its length: a strict prefix of an object is never JSON.
    Truncated(f64),
    /// Nothing, or nothing but whitespace, `null` or `{}`.
    Empty(&'static str),
    /// The version field removed, so the document is no contract seam reads.
    NoVersion,
    /// An `openapi` version seam does not read.
    UnknownVersion(&'static str),
    /// A YAML alias bomb in front of the document, expanding past the alias budget.
    AliasBomb,
    /// An extension value nested this many arrays deep (past the 256-level limit).
    TooDeep(usize),
    /// The response schema replaced by a `$ref` to a schema that does not exist.
    BrokenRef,
    /// The response schema replaced by two `$ref`s pointing at each other.
    CircularRef,
    /// The document as YAML indented with tabs, which YAML forbids.
    TabIndented,
    /// A byte that is not UTF-8 inside a string.
    InvalidUtf8,
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (0.0..1.0f64).prop_map(Damage::Truncated),
        prop::sample::select(vec!["", "  \n", "null", "{}", "# only a comment\n"])
            .prop_map(Damage::Empty),
        Just(Damage::NoVersion),
        prop::sample::select(vec!["2.0", "4.0.0", "3.2.0"]).prop_map(Damage::UnknownVersion),
        Just(Damage::AliasBomb),
        (257usize..400).prop_map(Damage::TooDeep),
        Just(Damage::BrokenRef),
        Just(Damage::CircularRef),
        Just(Damage::TabIndented),
        Just(Damage::InvalidUtf8),
    ]
}

/// `doc` damaged as `damage` says, as a file (name, bytes).
fn damaged(doc: &Value, damage: &Damage) -> (&'static str, Vec<u8>) {
    let json = |v: &Value| ("contract.json", v.to_string().into_bytes());
    let response = "/paths/~1things~1{id}/put/responses/200/content/application~1json/schema";
    match damage {
        Damage::Truncated(at) => {
            let text = doc.to_string();
            let cut = ((text.len() as f64 * at) as usize).min(text.len() - 1);
            ("contract.json", text.as_bytes()[..cut].to_vec())
        }
        Damage::Empty(text) => ("contract.yaml", text.as_bytes().to_vec()),
        Damage::NoVersion => {
            let mut doc = doc.clone();
            doc.as_object_mut().unwrap().remove("openapi");
            json(&doc)
        }
        Damage::UnknownVersion(version) => {
            let mut doc = doc.clone();
            doc["openapi"] = json!(version);
            json(&doc)
        }
        Damage::AliasBomb => {
            let mut text = String::from("x-bomb:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
            for i in 1..9 {
                let refs = vec![format!("*a{}", i - 1); 10].join(", ");
                text.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
            }
            // The rest of the document, as JSON (valid YAML) in flow style on one line per member.
            for (key, value) in doc.as_object().unwrap() {
                text.push_str(&format!("{key}: {value}\n"));
            }
            ("contract.yaml", text.into_bytes())
        }
        Damage::TooDeep(depth) => {
            let mut doc = doc.clone();
            let mut deep = json!(1);
            for _ in 0..*depth {
                deep = json!([deep]);
            }
            doc["info"]["x-deep"] = deep;
            json(&doc)
        }
        Damage::BrokenRef => {
            let mut doc = doc.clone();
            *doc.pointer_mut(response).unwrap() = json!({"$ref": "#/components/schemas/Missing"});
            json(&doc)
        }
        Damage::CircularRef => {
            let mut doc = doc.clone();
            *doc.pointer_mut(response).unwrap() = json!({"$ref": "#/components/schemas/Ping"});
            doc["components"]["schemas"]["Ping"] = json!({"$ref": "#/components/schemas/Pong"});
            doc["components"]["schemas"]["Pong"] = json!({"$ref": "#/components/schemas/Ping"});
            json(&doc)
        }
        Damage::TabIndented => {
            let mut text = String::new();
            for (key, value) in doc.as_object().unwrap() {
                text.push_str(&format!("{key}:\n\tvalue: {value}\n"));
            }
            ("contract.yaml", text.into_bytes())
        }
        Damage::InvalidUtf8 => {
            let mut bytes = doc.to_string().into_bytes();
            let at = bytes.iter().position(|&b| b == b'"').unwrap() + 1;
            bytes.insert(at, 0xff);
            ("contract.json", bytes)
        }
    }
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

    /// Whichever side is damaged, and however, the comparison has no answer, and says which side it could not
    /// read. Every judge (the CLI's diff and check, can-i-deploy, the matrix, the UI's diff, the MCP change
    /// check) goes through this comparison.
    #[test]
    fn a_damaged_side_is_never_judged(
        request in schema(),
        response in schema(),
        damage in damage(),
        damage_new in any::<bool>(),
    ) {
        let good = document(&request, &response, Map::new());
        let bad = damaged(&good, &damage);
        let good = ("contract.json", good.to_string().into_bytes());
        let (old, new) = if damage_new { (&good, &bad) } else { (&bad, &good) };
        match compare(old, new) {
            Ok(changes) => prop_assert!(false, "{damage:?} was judged: {} change(s)", changes.len()),
            Err(cannot) => {
                let (damaged_side, other) = if damage_new { (&cannot.new, &cannot.old) } else { (&cannot.old, &cannot.new) };
                prop_assert!(!damaged_side.is_empty(), "{damage:?}: {cannot}");
                prop_assert!(other.is_empty(), "{damage:?}: the good side was blamed: {cannot}");
            }
        }
        // A damaged document against itself is no more judged.
        prop_assert!(compare(&bad, &bad).is_err(), "{damage:?} against itself was judged");
    }
}
