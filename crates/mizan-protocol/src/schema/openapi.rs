//! OpenAPI 3.1 for the same endpoints, derived from a [`SchemaDocument`] so that any
//! backend's document gives the same description.

use serde_json::{Map, Value, json};

use super::document::{ReturnPath, SchemaDocument, arg_properties};
use super::lint::route_params;

/// The OpenAPI 3.1 document of an API.
pub fn openapi(doc: &SchemaDocument) -> Value {
    let base = doc.base_path.trim_end_matches('/');
    let mut paths = Map::new();
    for (name, ctx) in &doc.contexts {
        let parameters: Vec<Value> = ctx
            .params
            .iter()
            .map(|(p, schema)| {
                json!({
                    "name": p,
                    "in": "query",
                    "required": ctx.required.contains(p),
                    "description": "JSON-encoded value (spec/PROTOCOL.md, Parameters)",
                    "content": { "application/json": { "schema": schema } },
                })
            })
            .collect();
        let mut props = Map::new();
        for f in &ctx.functions {
            let result = doc.functions.get(f).and_then(|f| f.result.clone());
            props.insert(f.clone(), result.unwrap_or(json!({})));
        }
        let mut responses = json!({
            "200": {
                "description": "The result of every function of the context, by function name",
                "headers": { "ETag": { "schema": { "type": "string" } } },
                "content": { "application/json": { "schema": {
                    "type": "object", "properties": props, "required": ctx.functions,
                    "additionalProperties": false,
                } } },
            },
            "304": { "description": "Not modified (If-None-Match)" },
        });
        add_errors(&mut responses, &["400", "500"]);
        if ctx.private {
            add_errors(&mut responses, &["401", "403"]);
        }
        paths.insert(
            format!("{base}/ctx/{name}/"),
            json!({ "get": {
                "operationId": format!("ctx_{name}"),
                "summary": format!("Fetch context `{name}`"),
                "tags": ["contexts"],
                "parameters": parameters,
                "responses": responses,
            } }),
        );
    }
    for (name, f) in &doc.functions {
        let mut responses = json!({ "200": ok_response(f.path, f.result.as_ref()) });
        add_errors(&mut responses, &["400", "413", "415", "422", "500"]);
        if f.auth.is_some() {
            add_errors(&mut responses, &["401", "403"]);
        }
        let mut op = json!({
            "operationId": format!("call_{name}"),
            "summary": if f.docs.is_empty() { format!("Call `{name}`") } else { f.docs.lines().next().unwrap_or_default().to_owned() },
            "tags": [if f.kind == super::document::Kind::Query { "queries" } else { "mutations" }],
            "requestBody": { "required": !arg_properties(&f.args).1.is_empty(), "description": "The arguments; an empty body is `{}`", "content": { "application/json": { "schema": f.args } } },
            "responses": responses.clone(),
        });
        if !f.docs.is_empty() {
            op["description"] = json!(f.docs);
        }
        paths.insert(format!("{base}/call/{name}/"), json!({ "post": op }));
        if let Some(route) = &f.route {
            let (props, required) = arg_properties(&f.args);
            let in_path: Vec<&str> = route_params(&route.path).collect();
            let path_params: Vec<Value> = in_path
                .iter()
                .map(|p| json!({ "name": p, "in": "path", "required": true, "schema": props.get(*p).cloned().unwrap_or(json!({"type": "string"})) }))
                .collect();
            let rest: Map<String, Value> = props
                .iter()
                .filter(|(k, _)| !in_path.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let rest_required: Vec<&String> = required
                .iter()
                .filter(|r| !in_path.contains(&r.as_str()))
                .collect();
            let mut item = Map::new();
            for m in &route.methods {
                let mut op = json!({
                    "operationId": format!("route_{name}_{}", m.to_lowercase()),
                    "tags": ["routes"],
                    "responses": responses,
                });
                if m == "GET" {
                    let mut params = path_params.clone();
                    params.extend(rest.iter().map(|(k, v)| json!({ "name": k, "in": "query", "required": rest_required.contains(&k), "schema": v })));
                    op["parameters"] = json!(params);
                } else {
                    op["parameters"] = json!(path_params);
                    // Forms may carry fields of their own (ignored); JSON may not.
                    let form =
                        json!({ "type": "object", "properties": rest, "required": rest_required });
                    let mut json_body = form.clone();
                    json_body["additionalProperties"] = json!(false);
                    op["requestBody"] = json!({
                        "required": !rest_required.is_empty(),
                        "content": {
                            "application/x-www-form-urlencoded": { "schema": form },
                            "application/json": { "schema": json_body },
                        },
                    });
                }
                item.insert(m.to_lowercase(), op);
            }
            paths.insert(route.path.clone(), Value::Object(item));
        }
    }
    let mut schemas: Map<String, Value> = doc
        .defs
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    schemas.insert("MizanError".into(), error_schema());
    schemas.insert("MizanInvalidation".into(), invalidation_schema());
    let mut out = json!({
        "openapi": "3.1.0",
        "info": { "title": "Mizan API", "version": format!("protocol {}", doc.protocol) },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths,
        "components": { "schemas": schemas },
    });
    rewrite_refs(&mut out);
    out
}

fn ok_response(path: ReturnPath, result: Option<&Value>) -> Value {
    match path {
        ReturnPath::Rpc => json!({
            "description": "The result and what it invalidates",
            "content": { "application/json": { "schema": {
                "type": "object",
                "properties": {
                    "result": result.cloned().unwrap_or(json!({})),
                    "invalidate": { "type": "array", "items": { "$ref": "#/$defs/MizanInvalidation" } },
                },
                "required": ["result", "invalidate"],
            } } },
        }),
        ReturnPath::View => json!({
            "description": "The function's own HTTP response; invalidations in X-Mizan-Invalidate",
            "headers": { "X-Mizan-Invalidate": { "schema": { "type": "string" } } },
        }),
    }
}

fn add_errors(responses: &mut Value, statuses: &[&str]) {
    // Functions may answer any error of their own (404, 409, …).
    for s in statuses.iter().chain(&["4XX", "5XX"]) {
        responses[*s] = json!({
            "description": format!("Error {s}"),
            "content": { "application/json": { "schema": { "$ref": "#/$defs/MizanError" } } },
        });
    }
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "properties": { "error": {
            "type": "object",
            "properties": {
                "code": { "type": "string" },
                "message": { "type": "string" },
                "fields": { "type": "object", "additionalProperties": { "type": "array", "items": { "type": "string" } } },
            },
            "required": ["code", "message"],
        } },
        "required": ["error"],
    })
}

fn invalidation_schema() -> Value {
    json!({ "oneOf": [
        { "type": "string" },
        { "type": "object", "properties": { "context": { "type": "string" }, "params": { "type": "object" } }, "required": ["context", "params"] },
    ] })
}

/// Points `$ref`s from the document's `#/$defs/` to `#/components/schemas/`.
fn rewrite_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match v {
                    Value::String(s) if k == "$ref" => {
                        if let Some(rest) = s.strip_prefix("#/$defs/") {
                            *s = format!("#/components/schemas/{rest}");
                        }
                    }
                    _ => rewrite_refs(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}
