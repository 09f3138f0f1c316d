//! JSON Schema (draft 2020-12, as the schema document uses it) to TypeScript types.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::Problem;
use crate::names::string_literal;
use crate::ty::{Doc, NEVER, Object, Prop, Ty, UNKNOWN};

/// Keywords that change which values are valid in a way no TypeScript type can follow,
/// with why.
const UNSUPPORTED: &[(&str, &str)] = &[
    ("not", "a negation (`not`) has no TypeScript type"),
    (
        "if",
        "a conditional schema (`if`/`then`/`else`) has no TypeScript type",
    ),
    (
        "then",
        "a conditional schema (`if`/`then`/`else`) has no TypeScript type",
    ),
    (
        "else",
        "a conditional schema (`if`/`then`/`else`) has no TypeScript type",
    ),
    (
        "dependentSchemas",
        "properties that depend on other properties (`dependentSchemas`) have no TypeScript type",
    ),
    (
        "patternProperties",
        "keys constrained by a pattern (`patternProperties`) have no TypeScript type",
    ),
    (
        "$dynamicRef",
        "dynamic references (`$dynamicRef`) are not supported",
    ),
    (
        "$recursiveRef",
        "`$recursiveRef` (draft 2019-09) is not supported",
    ),
    (
        "additionalItems",
        "`additionalItems` is not JSON Schema 2020-12: describe tuples with `prefixItems` and `items`",
    ),
];

/// The JSON pointer of `key` under `parent`.
pub(crate) fn pointer(parent: &str, key: &str) -> String {
    format!("{parent}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// Converts schemas, collecting what cannot be expressed.
pub(crate) struct Converter<'a> {
    defs: &'a BTreeMap<String, String>,
    /// Who the schemas being converted belong to ("function `add_todo`"), for problems.
    pub(crate) owner: String,
    pub(crate) problems: Vec<Problem>,
}

impl<'a> Converter<'a> {
    /// A converter resolving `#/$defs/<key>` through `defs` (key → TypeScript name).
    pub(crate) fn new(defs: &'a BTreeMap<String, String>) -> Self {
        Self {
            defs,
            owner: String::new(),
            problems: Vec::new(),
        }
    }

    fn problem(&mut self, pointer: &str, message: impl Into<String>) {
        self.problems.push(Problem::Unsupported {
            owner: self.owner.clone(),
            pointer: pointer.to_owned(),
            message: message.into(),
        });
    }

    /// The type of `schema`, found at `ptr` in the document.
    pub(crate) fn convert(&mut self, schema: &Value, ptr: &str) -> Ty {
        match schema {
            Value::Bool(true) => UNKNOWN,
            Value::Bool(false) => NEVER,
            Value::Object(o) => self.schema(o, ptr),
            _ => {
                self.problem(ptr, "a schema must be an object or a boolean");
                UNKNOWN
            }
        }
    }

    fn schema(&mut self, o: &Map<String, Value>, ptr: &str) -> Ty {
        for (keyword, why) in UNSUPPORTED {
            let reported_with_if = matches!(*keyword, "then" | "else") && o.contains_key("if");
            if o.contains_key(*keyword) && !reported_with_if {
                self.problem(&pointer(ptr, keyword), *why);
            }
        }
        for keyword in ["unevaluatedProperties", "unevaluatedItems"] {
            if o.get(keyword).is_some_and(|v| !v.is_boolean()) {
                self.problem(
                    &pointer(ptr, keyword),
                    format!("`{keyword}` with a schema has no TypeScript type"),
                );
            }
        }

        let mut parts = Vec::new();
        if let Some(r) = o.get("$ref") {
            parts.push(self.reference(r, &pointer(ptr, "$ref")));
        }
        let combined = o.contains_key("$ref")
            || ["allOf", "oneOf", "anyOf"]
                .iter()
                .any(|k| o.contains_key(*k));
        if let Some(own) = self.own(o, ptr, combined) {
            parts.push(own);
        }
        if let Some(all) = self.list(o, "allOf", ptr) {
            for (i, s) in all.iter().enumerate() {
                parts.push(self.convert(s, &pointer(&pointer(ptr, "allOf"), &i.to_string())));
            }
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(members) = self.list(o, keyword, ptr) {
                let at = pointer(ptr, keyword);
                let members = members
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (self.convert(s, &pointer(&at, &i.to_string())), doc(s)))
                    .collect();
                parts.push(Ty::union(members));
            }
        }
        let ty = Ty::intersection(parts);
        if o.get("nullable") == Some(&Value::Bool(true)) {
            Ty::union(vec![(ty, Doc::new()), (Ty::Keyword("null"), Doc::new())])
        } else {
            ty
        }
    }

    fn list<'v>(
        &mut self,
        o: &'v Map<String, Value>,
        keyword: &str,
        ptr: &str,
    ) -> Option<&'v Vec<Value>> {
        match o.get(keyword)? {
            Value::Array(a) => Some(a),
            _ => {
                self.problem(
                    &pointer(ptr, keyword),
                    format!("`{keyword}` must be an array"),
                );
                None
            }
        }
    }

    /// `#/$defs/<key>` as the named type of `key`.
    fn reference(&mut self, r: &Value, ptr: &str) -> Ty {
        let Some(r) = r.as_str() else {
            self.problem(ptr, "`$ref` must be a string");
            return UNKNOWN;
        };
        let key = r
            .strip_prefix("#/$defs/")
            .filter(|k| !k.contains('/'))
            .map(|k| percent_decode(k).replace("~1", "/").replace("~0", "~"));
        match key.and_then(|k| self.defs.get(&k).map(|name| (k, name))) {
            Some((_, name)) => Ty::Ref(name.clone()),
            None if r.starts_with("#/$defs/") && !r["#/$defs/".len()..].contains('/') => {
                self.problem(
                    ptr,
                    format!("`{r}` refers to a definition the document's `$defs` does not have"),
                );
                UNKNOWN
            }
            None => {
                self.problem(
                    ptr,
                    format!(
                        "`{r}`: only references to the document's `$defs` (`#/$defs/<name>`) are supported"
                    ),
                );
                UNKNOWN
            }
        }
    }

    /// The type described by the schema's own keywords (`const`, `enum`, `type` and the
    /// keywords of each type). With `$ref` or a combinator next to them, a bare `type`
    /// adds nothing and is left out.
    fn own(&mut self, o: &Map<String, Value>, ptr: &str, combined: bool) -> Option<Ty> {
        if let Some(c) = o.get("const") {
            return Some(literal(c));
        }
        if let Some(values) = self.list(o, "enum", ptr) {
            return Some(Ty::union(
                values.iter().map(|v| (literal(v), Doc::new())).collect(),
            ));
        }
        let structural = ["properties", "additionalProperties", "items", "prefixItems"]
            .iter()
            .any(|k| o.contains_key(*k));
        if combined && !structural {
            return None;
        }
        let types: Vec<&str> = match o.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => {
                let names: Vec<&str> = ts.iter().filter_map(Value::as_str).collect();
                if names.len() != ts.len() {
                    self.problem(&pointer(ptr, "type"), "`type` must name types");
                }
                names
            }
            Some(_) => {
                self.problem(&pointer(ptr, "type"), "`type` must name types");
                return None;
            }
            None if ["properties", "additionalProperties", "required"]
                .iter()
                .any(|k| o.contains_key(*k)) =>
            {
                vec!["object"]
            }
            None if o.contains_key("items") || o.contains_key("prefixItems") => vec!["array"],
            None => return None,
        };
        let members = types
            .into_iter()
            .map(|t| {
                let ty = match t {
                    // An upload (`mizan::Upload`): a file in a multipart body.
                    "string" if o.get("format").and_then(Value::as_str) == Some("binary") => {
                        Ty::Keyword("Blob")
                    }
                    "string" => Ty::Keyword("string"),
                    "integer" | "number" => Ty::Keyword("number"),
                    "boolean" => Ty::Keyword("boolean"),
                    "null" => Ty::Keyword("null"),
                    "array" => self.array(o, ptr),
                    "object" => Ty::Object(self.object(o, ptr)),
                    other => {
                        self.problem(
                            &pointer(ptr, "type"),
                            format!("`{other}` is not a JSON Schema type"),
                        );
                        UNKNOWN
                    }
                };
                (ty, Doc::new())
            })
            .collect();
        Some(Ty::union(members))
    }

    fn array(&mut self, o: &Map<String, Value>, ptr: &str) -> Ty {
        let items = o.get("items");
        if let Some(Value::Array(_)) = items {
            self.problem(
                &pointer(ptr, "items"),
                "`items` as an array is not JSON Schema 2020-12: describe tuples with `prefixItems`",
            );
            return Ty::Array(Box::new(UNKNOWN));
        }
        let Some(prefix) = self.list(o, "prefixItems", ptr) else {
            return Ty::Array(Box::new(
                items.map_or(UNKNOWN, |s| self.convert(s, &pointer(ptr, "items"))),
            ));
        };
        let at = pointer(ptr, "prefixItems");
        let tuple: Vec<Ty> = prefix
            .iter()
            .enumerate()
            .map(|(i, s)| self.convert(s, &pointer(&at, &i.to_string())))
            .collect();
        let count = |k: &str| {
            o.get(k)
                .and_then(Value::as_u64)
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
        };
        let required = count("minItems").unwrap_or(0).min(tuple.len());
        let closed = items == Some(&Value::Bool(false))
            || count("maxItems").is_some_and(|max| max <= tuple.len());
        let rest = if closed {
            None
        } else {
            Some(Box::new(items.map_or(UNKNOWN, |s| {
                self.convert(s, &pointer(ptr, "items"))
            })))
        };
        Ty::Tuple {
            items: tuple,
            required,
            rest,
        }
    }

    /// An object schema's properties (sorted by name) and index signature.
    pub(crate) fn object(&mut self, o: &Map<String, Value>, ptr: &str) -> Object {
        let required: Vec<&str> = o
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut props = Vec::new();
        match o.get("properties") {
            Some(Value::Object(properties)) => {
                let at = pointer(ptr, "properties");
                let mut keys: Vec<&String> = properties.keys().collect();
                keys.sort();
                for key in keys {
                    let schema = &properties[key];
                    props.push(Prop {
                        key: key.clone(),
                        optional: !required.contains(&key.as_str()),
                        ty: self.convert(schema, &pointer(&at, key)),
                        doc: doc(schema),
                    });
                }
            }
            Some(_) => self.problem(
                &pointer(ptr, "properties"),
                "`properties` must be an object",
            ),
            None => {}
        }
        let closed = o.get("unevaluatedProperties") == Some(&Value::Bool(false));
        let index = match o.get("additionalProperties") {
            None if props.is_empty() && !closed => Some(UNKNOWN),
            None | Some(Value::Bool(false)) => None,
            Some(s) => Some(self.convert(s, &pointer(ptr, "additionalProperties"))),
        };
        // Every property must fit the index signature.
        let index = index.map(|ty| {
            let mut members = vec![(ty, Doc::new())];
            for p in &props {
                members.push((p.ty.clone(), Doc::new()));
                if p.optional {
                    members.push((Ty::Keyword("undefined"), Doc::new()));
                }
            }
            Box::new(Ty::union(members))
        });
        Object { props, index }
    }
}

/// The literal type of a JSON value.
fn literal(v: &Value) -> Ty {
    match v {
        Value::Null => Ty::Keyword("null"),
        Value::Bool(b) => Ty::Literal(b.to_string()),
        Value::Number(n) => Ty::Literal(n.to_string()),
        Value::String(s) => Ty::Literal(string_literal(s)),
        Value::Array(items) => Ty::Tuple {
            items: items.iter().map(literal).collect(),
            required: items.len(),
            rest: None,
        },
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            Ty::Object(Object {
                props: keys
                    .into_iter()
                    .map(|k| Prop {
                        key: k.clone(),
                        optional: false,
                        ty: literal(&o[k]),
                        doc: Doc::new(),
                    })
                    .collect(),
                index: None,
            })
        }
    }
}

/// The doc comment of a schema: its description, its format (with the 64-bit integer
/// policy), its default and whether it is deprecated.
pub(crate) fn doc(schema: &Value) -> Doc {
    let mut lines: Doc = Vec::new();
    if let Some(d) = schema.get("description").and_then(Value::as_str) {
        lines.extend(d.trim().lines().map(str::to_owned));
    }
    let mut tags = Vec::new();
    if let Some(f) = schema.get("format").and_then(Value::as_str) {
        tags.push(match f {
            "int64" | "uint64" => {
                format!("Format: `{f}` (exact in JavaScript only within +/-(2^53 - 1)).")
            }
            _ => format!("Format: `{f}`."),
        });
    }
    if let Some(d) = schema.get("default") {
        tags.push(format!("@defaultValue `{d}`"));
    }
    if schema.get("deprecated") == Some(&Value::Bool(true)) {
        tags.push("@deprecated".to_owned());
    }
    if !lines.is_empty() && !tags.is_empty() {
        lines.push(String::new());
    }
    lines.extend(tags);
    lines
}

/// Decodes `%XX` escapes (a `$ref` is a URI fragment).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let v = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(u8::try_from(v).unwrap_or(b'?'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ty::Printer;
    use serde_json::json;

    fn ts(schema: &Value) -> String {
        let defs = BTreeMap::from([("Todo".to_owned(), "Todo".to_owned())]);
        let mut c = Converter::new(&defs);
        let ty = c.convert(schema, "");
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        Printer { prefix: "T." }.print(&ty, 0)
    }

    #[test]
    fn primitives_and_nullables() {
        assert_eq!(ts(&json!({"type": "integer", "format": "int64"})), "number");
        assert_eq!(ts(&json!({"type": ["string", "null"]})), "string | null");
        assert_eq!(
            ts(&json!({"anyOf": [{"$ref": "#/$defs/Todo"}, {"type": "null"}]})),
            "T.Todo | null"
        );
        assert_eq!(ts(&json!(true)), "unknown");
        assert_eq!(ts(&json!({})), "unknown");
        assert_eq!(ts(&json!(false)), "never");
        assert_eq!(
            ts(&json!({"type": "string", "nullable": true})),
            "string | null"
        );
    }

    #[test]
    fn literals() {
        assert_eq!(
            ts(&json!({"enum": ["a", "b", 1, null]})),
            "\"a\" | \"b\" | 1 | null"
        );
        assert_eq!(ts(&json!({"const": "x", "type": "string"})), "\"x\"");
        assert_eq!(ts(&json!({"const": [1, true]})), "[1, true]");
    }

    #[test]
    fn arrays_and_tuples() {
        assert_eq!(
            ts(&json!({"type": "array", "items": {"type": ["string", "null"]}})),
            "(string | null)[]"
        );
        assert_eq!(ts(&json!({"type": "array"})), "unknown[]");
        assert_eq!(
            ts(
                &json!({"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "minItems": 2, "maxItems": 2})
            ),
            "[string, number]"
        );
        assert_eq!(
            ts(
                &json!({"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "minItems": 1, "items": {"type": "boolean"}})
            ),
            "[string, number?, ...boolean[]]"
        );
        assert_eq!(
            ts(&json!({"type": "array", "prefixItems": [{"type": "string"}]})),
            "[string?, ...unknown[]]"
        );
    }

    #[test]
    fn maps() {
        assert_eq!(
            ts(&json!({"type": "object", "additionalProperties": {"type": "integer"}})),
            "{ [key: string]: number }"
        );
        assert_eq!(ts(&json!({"type": "object"})), "{ [key: string]: unknown }");
        assert_eq!(
            ts(&json!({"type": "object", "additionalProperties": false})),
            "{}"
        );
    }

    #[test]
    fn unsupported_constructs_are_reported_with_their_pointer() {
        let defs = BTreeMap::new();
        let mut c = Converter::new(&defs);
        c.owner = "type `X`".into();
        c.convert(
            &json!({"properties": {"a/b": {"not": {}}}, "patternProperties": {}}),
            "/$defs/X",
        );
        let found: Vec<String> = c.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            [
                "type `X` at /$defs/X/patternProperties: keys constrained by a pattern (`patternProperties`) have no TypeScript type",
                "type `X` at /$defs/X/properties/a~1b/not: a negation (`not`) has no TypeScript type",
            ]
        );
    }

    #[test]
    fn percent_escapes_in_refs() {
        assert_eq!(percent_decode("Page%3CT%3E"), "Page<T>");
        assert_eq!(percent_decode("a%2"), "a%2");
    }
}
