//! Payload schemas with `$ref`s, resolved by the `jsonschema` crate: keywords beside a `$ref`, references
//! deeper than any fixed limit, references across files, and references that cannot be resolved.

use std::path::Path;

use seamline_runtime::Schemas;
use serde_json::json;

/// A JSON Schema event file `name` in `dir` holding `schema`.
fn write(dir: &Path, name: &str, schema: &serde_json::Value) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(schema).unwrap()).unwrap();
    path
}

fn contract(components: serde_json::Value, payload: serde_json::Value) -> serde_json::Value {
    json!({
        "asyncapi": "3.0.0",
        "info": {"title": "Orders", "version": "1.0.0"},
        "channels": {"orders": {"address": "orders", "messages": {"Placed": {"$ref": "#/components/messages/Placed"}}}},
        "components": {
            "messages": {"Placed": {"name": "order.placed", "x-version": 1, "payload": payload}},
            "schemas": components,
        }
    })
}

/// JSON Schema 2020-12 applies every keyword beside a `$ref`; copying the target in place of the `$ref` lost
/// `required` here.
#[test]
fn keywords_beside_a_ref_are_applied() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "orders.asyncapi.json",
        &contract(
            json!({"Item": {"type": "object", "properties": {"sku": {"type": "string"}}}}),
            json!({
                "type": "object",
                "properties": {"item": {"$ref": "#/components/schemas/Item", "required": ["sku"]}},
            }),
        ),
    );
    let schemas = Schemas::from_contract(&path).unwrap();
    assert_eq!(
        schemas.validate("order.placed@1", &json!({"item": {"sku": "a"}})),
        Ok(())
    );
    let errors = schemas
        .validate("order.placed@1", &json!({"item": {}}))
        .unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/item:") && e.contains("sku")),
        "{errors:?}"
    );
}

/// The payload itself a `$ref` with keywords beside it: they apply too (the message's payload was read after
/// following its `$ref`, which dropped `required` here), as does a multi-format `{schemaFormat, schema}` payload.
#[test]
fn keywords_beside_the_payloads_own_ref_are_applied() {
    let dir = tempfile::tempdir().unwrap();
    let base = json!({"Base": {"type": "object", "properties": {"order_id": {"type": "string"}}}});
    for (name, payload) in [
        (
            "plain.asyncapi.json",
            json!({"$ref": "#/components/schemas/Base", "required": ["order_id"]}),
        ),
        (
            "multi.asyncapi.json",
            json!({
                "schemaFormat": "application/schema+json;version=draft-07",
                "schema": {"$ref": "#/components/schemas/Base", "required": ["order_id"]},
            }),
        ),
    ] {
        let path = write(dir.path(), name, &contract(base.clone(), payload));
        let schemas = Schemas::from_contract(&path).unwrap();
        assert_eq!(
            schemas.validate("order.placed@1", &json!({"order_id": "o-1"})),
            Ok(()),
            "{name}"
        );
        let errors = schemas.validate("order.placed@1", &json!({})).unwrap_err();
        assert!(
            errors.iter().any(|e| e.contains("order_id")),
            "{name}: {errors:?}"
        );
    }
}

/// Forty schemas, each holding the next through a `$ref`, the last forbidding a string: past 32 levels the
/// copy accepted anything.
#[test]
fn references_nest_deeper_than_any_fixed_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut components = serde_json::Map::new();
    for n in 0..40 {
        components.insert(
            format!("Level{n}"),
            json!({"type": "object", "properties": {"next": {"$ref": format!("#/components/schemas/Level{}", n + 1)}}}),
        );
    }
    components.insert("Level40".into(), json!({"type": "integer"}));
    let path = write(
        dir.path(),
        "orders.asyncapi.json",
        &contract(
            serde_json::Value::Object(components),
            json!({"$ref": "#/components/schemas/Level0"}),
        ),
    );
    let schemas = Schemas::from_contract(&path).unwrap();
    let nested = |leaf: serde_json::Value| (0..40).fold(leaf, |inner, _| json!({"next": inner}));
    assert_eq!(
        schemas.validate("order.placed@1", &nested(json!(3))),
        Ok(())
    );
    assert!(
        schemas
            .validate("order.placed@1", &nested(json!("three")))
            .is_err(),
        "the schema 40 references deep is applied"
    );
}

/// Recursive schemas (a tree) validate at any depth; references to other files resolve against the file that
/// holds them.
#[test]
fn recursive_and_cross_file_references_resolve() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("schemas")).unwrap();
    write(
        &dir.path().join("schemas"),
        "node.json",
        &json!({
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#"}}
            }
        }),
    );
    let path = write(
        dir.path(),
        "orders.asyncapi.json",
        &contract(
            json!({}),
            json!({"type": "object", "properties": {"tree": {"$ref": "schemas/node.json"}}}),
        ),
    );
    let schemas = Schemas::from_contract(&path).unwrap();
    let mut tree = json!({"name": "leaf"});
    for n in 0..50 {
        tree = json!({"name": format!("n{n}"), "children": [tree]});
    }
    assert_eq!(
        schemas.validate("order.placed@1", &json!({"tree": tree})),
        Ok(())
    );
    let mut broken = json!({"nameless": true});
    for n in 0..50 {
        broken = json!({"name": format!("n{n}"), "children": [broken]});
    }
    assert!(
        schemas
            .validate("order.placed@1", &json!({"tree": broken}))
            .is_err()
    );
}

/// A `$ref` that reaches nothing the contract holds (a missing file, a remote schema) fails when the schemas
/// are read, instead of accepting anything.
#[test]
fn an_unresolvable_reference_is_an_error() {
    for target in [
        "missing.json",
        "https://example.com/schema.json",
        "#/components/schemas/Nowhere",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "orders.asyncapi.json",
            &contract(
                json!({}),
                json!({"type": "object", "properties": {"x": {"$ref": target}}}),
            ),
        );
        let error = Schemas::from_contract(&path).unwrap_err();
        assert!(error.contains("order.placed@1"), "{target}: {error}");
    }
}
