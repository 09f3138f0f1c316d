//! The client-side rules of a form, read from a function's argument schema: per argument
//! its type, whether it is required, and the simple constraints a browser can check before
//! sending (`minLength`, `maxLength`, `minimum`, `maximum`, `pattern`, an enum's options).
//! They become `fields.<fn>` in `protocol.ts`, which the generated form hooks pass to the
//! form core (`@mizan/runtime/form`, its `FieldRules`).

use std::collections::BTreeMap;

use serde_json::Value;

/// One argument's rules as a TypeScript object literal (`{ type: "string", required: true }`).
pub(crate) fn rules(args: &Value, defs: &BTreeMap<String, Value>) -> Vec<(String, String)> {
    let required: Vec<&str> = args
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = args.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, schema)| {
            let (schema, nullable) = unwrap(schema, defs);
            let mut out: Vec<(&str, String)> = Vec::new();
            if let Some(ty) = json_type(schema) {
                out.push(("type", json(&Value::from(ty))));
            }
            if required.contains(&name.as_str()) && !nullable {
                out.push(("required", "true".into()));
            }
            for key in ["minLength", "maxLength", "minimum", "maximum", "pattern"] {
                if let Some(v) = schema.get(key).filter(|v| v.is_number() || v.is_string()) {
                    out.push((key, json(v)));
                }
            }
            if let Some(options) = options(schema, defs) {
                out.push(("options", json(&Value::Array(options))));
            }
            let body: Vec<String> = out.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            let literal = if body.is_empty() {
                "{}".to_owned()
            } else {
                format!("{{ {} }}", body.join(", "))
            };
            (name.clone(), literal)
        })
        .collect()
}

fn json(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// The schema behind `$ref`s and an `Option` (`anyOf: [x, null]`, `type: [x, "null"]`), and
/// whether `null` is allowed.
fn unwrap<'a>(schema: &'a Value, defs: &'a BTreeMap<String, Value>) -> (&'a Value, bool) {
    let schema = resolve(schema, defs);
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            let (nulls, others): (Vec<&Value>, Vec<&Value>) = branches
                .iter()
                .partition(|b| b.get("type").and_then(Value::as_str) == Some("null"));
            if !nulls.is_empty() && others.len() == 1 {
                return (resolve(others[0], defs), true);
            }
        }
    }
    let nullable = match schema.get("type") {
        Some(Value::Array(types)) => types.iter().any(|t| t == "null"),
        _ => false,
    } || schema
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|e| e.contains(&Value::Null));
    (schema, nullable)
}

fn resolve<'a>(schema: &'a Value, defs: &'a BTreeMap<String, Value>) -> &'a Value {
    let mut schema = schema;
    // (a bounded walk: a `$ref` cycle ends here)
    for _ in 0..8 {
        let Some(target) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/$defs/"))
            .and_then(|name| defs.get(name))
        else {
            break;
        };
        schema = target;
    }
    schema
}

/// The form's type of a value: its JSON type (`integer`, `string`, …), `file` for a binary
/// string (an upload).
fn json_type(schema: &Value) -> Option<&'static str> {
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return None,
    };
    let mut non_null = types.into_iter().filter(|t| *t != "null");
    let ty = non_null.next()?;
    if non_null.next().is_some() {
        return None;
    }
    Some(match ty {
        "string" if schema.get("format").and_then(Value::as_str) == Some("binary") => "file",
        "string" => "string",
        "integer" => "integer",
        "number" => "number",
        "boolean" => "boolean",
        "array" => "array",
        "object" => "object",
        _ => return None,
    })
}

/// An enum's values (strings and numbers; `null` left out): `enum`, or `oneOf`/`anyOf` of
/// `const`s (how schemars writes a documented enum).
fn options(schema: &Value, defs: &BTreeMap<String, Value>) -> Option<Vec<Value>> {
    let simple = |v: &Value| v.is_string() || v.is_number();
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return Some(values.iter().filter(|v| simple(v)).cloned().collect());
    }
    let branches = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)?;
    let mut out = Vec::new();
    for branch in branches {
        let branch = resolve(branch, defs);
        let value = branch.get("const").or_else(|| {
            branch
                .get("enum")
                .and_then(Value::as_array)
                .filter(|e| e.len() == 1)
                .and_then(|e| e.first())
        })?;
        if simple(value) {
            out.push(value.clone());
        } else if !value.is_null() {
            return None;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_types_requirements_constraints_and_options() {
        let defs = BTreeMap::from([
            (
                "Title".to_owned(),
                json!({"type": "string", "minLength": 1, "maxLength": 200}),
            ),
            (
                "Color".to_owned(),
                json!({"oneOf": [{"const": "red", "description": "Red"}, {"const": "blue"}]}),
            ),
        ]);
        let args = json!({
            "type": "object",
            "properties": {
                "title": {"$ref": "#/$defs/Title"},
                "qty": {"type": "integer", "minimum": 1, "maximum": 99},
                "note": {"type": ["string", "null"], "pattern": "^[a-z]*$"},
                "color": {"anyOf": [{"$ref": "#/$defs/Color"}, {"type": "null"}]},
                "size": {"enum": ["s", "m", null]},
                "avatar": {"type": "string", "format": "binary"},
            },
            "required": ["title", "qty", "note", "avatar", "size"],
        });
        let got: BTreeMap<String, String> = rules(&args, &defs).into_iter().collect();
        assert_eq!(
            got["title"],
            r#"{ type: "string", required: true, minLength: 1, maxLength: 200 }"#
        );
        assert_eq!(
            got["qty"],
            r#"{ type: "integer", required: true, minimum: 1, maximum: 99 }"#
        );
        assert_eq!(got["note"], r#"{ type: "string", pattern: "^[a-z]*$" }"#);
        assert_eq!(got["color"], r#"{ options: ["red","blue"] }"#);
        assert_eq!(got["size"], r#"{ options: ["s","m"] }"#);
        assert_eq!(got["avatar"], r#"{ type: "file", required: true }"#);
    }
}
