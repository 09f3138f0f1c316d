//! OpenAPI 3.1 for the same endpoints, derived from a [`SchemaDocument`] so that any
//! backend's document gives the same description.
//!
//! The document passes `redocly lint` with the repository's `redocly.yaml` (scripts/test
//! checks it): every operation has an `operationId`, a tag, a `summary` (the first line of
//! the function's docs, or "Call `f`" / "Fetch context `c`"), `security` (the caller's
//! identity where a guard or `private` makes it matter, nothing elsewhere) and its errors
//! in the shape of spec/PROTOCOL.md §10.

use serde_json::{Map, Value, json};

use super::document::{AuthDoc, FunctionDoc, Kind, ReturnPath, SchemaDocument, arg_properties};
use super::lint::route_params;

/// The security scheme of the caller's identity (spec/PROTOCOL.md §9), for an API with an
/// identity resolver of its own.
const IDENTITY: &str = "mizanIdentity";
/// With Mizan's own auth: the session cookie, the CSRF header that goes with it on unsafe
/// requests, and bearer JWTs.
const SESSION: &str = "mizanSession";
const CSRF: &str = "mizanCsrf";
const BEARER: &str = "mizanBearer";

/// The OpenAPI 3.1 document of an API.
pub fn openapi(doc: &SchemaDocument) -> Value {
    let base = doc.base_path.trim_end_matches('/');
    let mut paths = Map::new();
    let mut tags: Vec<&'static str> = Vec::new();
    let mut identity_used = false;
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
        let functions: Vec<(&String, Option<&FunctionDoc>)> = ctx
            .functions
            .iter()
            .map(|f| (f, doc.functions.get(f)))
            .collect();
        let mut props = Map::new();
        for (f, fdoc) in &functions {
            let result = fdoc.and_then(|f| f.result.clone());
            props.insert((*f).clone(), result.unwrap_or(json!({})));
        }
        let mut responses = json!({
            "200": {
                "description": "The result of every function of the context, by function name",
                "headers": { "ETag": {
                    "description": "The validator of this body, for If-None-Match",
                    "schema": { "type": "string" },
                } },
                "content": { "application/json": { "schema": {
                    "type": "object", "properties": props, "required": ctx.functions,
                    "additionalProperties": false,
                } } },
            },
            "304": { "description": "Not modified (If-None-Match)" },
            "308": {
                "description": "The parameters were not written in their canonical form: the same request at the canonical URL (spec/PROTOCOL.md §5)",
                "headers": { "Location": {
                    "description": "The canonical URL of these parameters",
                    "schema": { "type": "string" },
                } },
            },
        });
        add_errors(&mut responses, &["400", "414", "500"]);
        if ctx.private {
            add_errors(&mut responses, &["401", "403"]);
        }
        let guarded = functions
            .iter()
            .any(|(_, f)| f.is_some_and(|f| f.auth.is_some()));
        identity_used |= guarded || ctx.private;
        // A standalone query's context is the function: its docs describe the operation.
        let own_docs = match functions.as_slice() {
            [(_, Some(f))] if ctx.implicit => f.docs.as_str(),
            _ => "",
        };
        let description = if ctx.implicit {
            own_docs.trim().to_owned()
        } else {
            let list: Vec<String> = functions
                .iter()
                .map(|(f, fdoc)| match fdoc.and_then(|d| first_line(&d.docs)) {
                    Some(line) => format!("- `{f}`: {line}"),
                    None => format!("- `{f}`"),
                })
                .collect();
            format!(
                "Every function of the context in one cacheable JSON object \
                 (spec/PROTOCOL.md §5):\n\n{}",
                list.join("\n")
            )
        };
        let mut op = json!({
            "operationId": format!("ctx_{name}"),
            "summary": summary(own_docs, || format!("Fetch context `{name}`")),
            "tags": [use_tag(&mut tags, "contexts")],
            "security": security(doc.auth.as_ref(), false, guarded, ctx.private),
            "parameters": parameters,
            "responses": responses,
        });
        if !description.is_empty() {
            op["description"] = json!(description);
        }
        paths.insert(format!("{base}/ctx/{name}/"), json!({ "get": op }));
    }
    for (name, f) in &doc.functions {
        let mut responses = json!({ "200": ok_response(f.path, f.result.as_ref()) });
        add_errors(&mut responses, &["400", "413", "415", "422", "500"]);
        if f.auth.is_some() {
            add_errors(&mut responses, &["401", "403"]);
        }
        identity_used |= f.auth.is_some() || f.private;
        let summary = summary(&f.docs, || format!("Call `{name}`"));
        let security = security(doc.auth.as_ref(), true, f.auth.is_some(), f.private);
        let description = f.docs.trim();
        let tag = use_tag(
            &mut tags,
            if f.kind == Kind::Query {
                "queries"
            } else {
                "mutations"
            },
        );
        let mut op = json!({
            "operationId": format!("call_{name}"),
            "summary": summary,
            "tags": [tag],
            "security": security,
            "requestBody": { "required": true, "description": "The arguments as a JSON object (`{}` for none); every call carries `Content-Type: application/json`", "content": { "application/json": { "schema": f.args } } },
            "responses": responses.clone(),
        });
        if !description.is_empty() {
            op["description"] = json!(description);
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
            let tag = use_tag(&mut tags, "routes");
            let mut item = Map::new();
            for m in &route.methods {
                let mut op = json!({
                    "operationId": format!("route_{name}_{}", m.to_lowercase()),
                    "summary": summary,
                    "tags": [tag],
                    "security": security_of(doc.auth.as_ref(), m != "GET", f),
                    "responses": responses,
                });
                if !description.is_empty() {
                    op["description"] = json!(description);
                }
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
                        "description": "The arguments not in the path, as a form or as JSON",
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
    let mut components = json!({ "schemas": schemas });
    if let Some(auth) = &doc.auth {
        let mut schemes = Map::new();
        if let Some(cookie) = &auth.session_cookie {
            schemes.insert(SESSION.into(), json!({
                "type": "apiKey",
                "in": "cookie",
                "name": cookie,
                "description": "The session cookie (HttpOnly) set at sign-in. Unsafe requests it authenticates must also pass the CSRF checks of spec/PROTOCOL.md §9.2.",
            }));
            schemes.insert(CSRF.into(), json!({
                "type": "apiKey",
                "in": "header",
                "name": auth.csrf.header,
                "description": format!("The masked CSRF token, copied from the `{}` cookie; required with the session cookie on every unsafe request (an HTML form sends it in the `{}` field instead).", auth.csrf.cookie, auth.csrf.form_field),
            }));
        }
        if auth.bearer {
            schemes.insert(BEARER.into(), json!({
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "A JWT in `Authorization: Bearer`; a bearer header that fails verification is 401 and never falls back to the cookie. Exempt from CSRF.",
            }));
        }
        if !schemes.is_empty() {
            components["securitySchemes"] = Value::Object(schemes);
        }
    } else if identity_used {
        components["securitySchemes"] = json!({ IDENTITY: {
            "type": "http",
            "scheme": "bearer",
            "description": "The caller's identity, as the API's identity resolver reads it from \
                the request head (spec/PROTOCOL.md §9). The Rust backend's `BearerTokens` reads \
                `Authorization: Bearer <token>`; an API with a resolver of its own (a cookie, a \
                header) reads that instead. Anonymous callers of a guarded function get 401, \
                identified callers the guard refuses get 403.",
        } });
    }
    let tags: Vec<Value> = ["contexts", "queries", "mutations", "routes"]
        .iter()
        .filter(|t| tags.contains(t))
        .map(|t| json!({ "name": t, "description": tag_description(t, base) }))
        .collect();
    let mut out = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Mizan API",
            "version": format!("protocol {}", doc.protocol),
            "description": format!(
                "The endpoints of a Mizan API (wire protocol {}, spec/PROTOCOL.md), exported \
                 from its schema document. Queries are fetched by context with \
                 `GET {base}/ctx/{{context}}/`; every function can be called with \
                 `POST {base}/call/{{function}}/`; some also answer at a route of their own. \
                 Protocol URLs end with `/`. Every error has the body `MizanError`.",
                doc.protocol
            ),
        },
        "servers": [{
            "url": "/",
            "description": "The origin that serves the API; the paths include its base path",
        }],
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "tags": tags,
        "paths": paths,
        "components": components,
    });
    rewrite_refs(&mut out);
    out
}

/// An operation's summary: the first line of its docs, or `fallback` without docs.
fn summary(docs: &str, fallback: impl FnOnce() -> String) -> String {
    first_line(docs).map_or_else(fallback, str::to_owned)
}

/// The first line of a doc comment that is not blank, trimmed.
fn first_line(docs: &str) -> Option<&str> {
    docs.lines().map(str::trim).find(|l| !l.is_empty())
}

/// `security` of an operation: the identity when a guard requires it, the identity or none
/// when the result depends on the caller (`private`), nothing otherwise. With Mizan's own
/// auth the identity is the session cookie (with the CSRF header on an `unsafe` method) or
/// a bearer JWT.
fn security(auth: Option<&AuthDoc>, unsafe_method: bool, guarded: bool, private: bool) -> Value {
    let ways: Vec<Value> = match auth {
        None => vec![json!({ IDENTITY: [] })],
        Some(auth) => {
            let mut ways = Vec::new();
            if auth.session_cookie.is_some() {
                ways.push(if unsafe_method {
                    json!({ SESSION: [], CSRF: [] })
                } else {
                    json!({ SESSION: [] })
                });
            }
            if auth.bearer {
                ways.push(json!({ BEARER: [] }));
            }
            ways
        }
    };
    if guarded {
        Value::Array(ways)
    } else if private {
        let mut all = vec![json!({})];
        all.extend(ways);
        Value::Array(all)
    } else {
        json!([])
    }
}

/// [`security`] of one method of a function's route.
fn security_of(auth: Option<&AuthDoc>, unsafe_method: bool, f: &FunctionDoc) -> Value {
    security(auth, unsafe_method, f.auth.is_some(), f.private)
}

fn use_tag(tags: &mut Vec<&'static str>, tag: &'static str) -> &'static str {
    if !tags.contains(&tag) {
        tags.push(tag);
    }
    tag
}

fn tag_description(tag: &str, base: &str) -> String {
    match tag {
        "contexts" => format!(
            "`GET {base}/ctx/{{context}}/`: every query of a context in one cacheable response \
             (spec/PROTOCOL.md §5)"
        ),
        "queries" => format!(
            "`POST {base}/call/{{function}}/` for a query: one function with a JSON object of \
             arguments (spec/PROTOCOL.md §6)"
        ),
        "mutations" => format!(
            "`POST {base}/call/{{function}}/` for a mutation: the response lists what it \
             invalidates (spec/PROTOCOL.md §6, §7)"
        ),
        _ => "Functions at a route of their own, with a form or JSON (spec/PROTOCOL.md §8)"
            .to_owned(),
    }
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
            "description": error_description(s),
            "content": { "application/json": { "schema": { "$ref": "#/$defs/MizanError" } } },
        });
    }
}

/// What an error status means (spec/PROTOCOL.md §10).
fn error_description(status: &str) -> &'static str {
    match status {
        "400" => {
            "`bad_request`: malformed JSON, parameters or arguments, an unknown one, or a value of the wrong type (`fields` names it)"
        }
        "401" => {
            "`unauthorized`: the function needs an identity and the request has none, or the identity resolver refused the credentials"
        }
        "403" => "`forbidden`: the caller lacks what the guard requires",
        "413" => "`payload_too_large`: the body is over the API's limit",
        "414" => "`uri_too_long`: the query string is over the API's limit",
        "415" => {
            "`unsupported_media_type`: a body that is not JSON (on a route: not a form or JSON)"
        }
        "422" => {
            "`validation`: well-formed arguments that are not acceptable (`fields` says why, per path)"
        }
        "500" => "`internal`: a failure of the server (the message is always `internal error`)",
        "4XX" => {
            "Another client error: `408 body_timeout`, or an error of the function's own (`404 not_found`, `409 conflict`, …); `code` says which"
        }
        _ => {
            "Another server error: `503 timeout` when the request was not answered before the server's deadline"
        }
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::schema::document::RouteDoc;

    fn function(kind: Kind, docs: &str) -> FunctionDoc {
        FunctionDoc {
            kind,
            context: None,
            path: ReturnPath::Rpc,
            docs: docs.to_owned(),
            args: json!({ "type": "object", "properties": {} }),
            result: Some(json!({ "type": "string" })),
            affects: Vec::new(),
            affects_params: false,
            auth: None,
            private: false,
            reads_caller: Vec::new(),
            route: None,
            rev: 0,
            cache: None,
            websocket: false,
            source: None,
        }
    }

    fn document() -> Value {
        let mut functions = BTreeMap::new();
        let mut add = function(
            Kind::Mutation,
            "\n  Adds a todo.  \nThe rest of the docs\n\nand more.",
        );
        add.route = Some(RouteDoc {
            path: "/todos".into(),
            methods: vec!["POST".into()],
        });
        functions.insert("add_todo".to_owned(), add);
        let mut bare = function(Kind::Mutation, "");
        bare.auth = Some("staff".into());
        functions.insert("bare".to_owned(), bare);
        let mut todos = function(Kind::Query, "Every todo.");
        todos.context = Some("todos".into());
        functions.insert("todos".to_owned(), todos);
        let mut version = function(Kind::Query, "The version.\nOf the server.");
        version.context = Some("version".into());
        functions.insert("version".to_owned(), version);
        let named = [("todos".to_owned(), None)];
        let doc = SchemaDocument::assemble("/api/mizan", functions, &named, Map::new(), Map::new());
        openapi(&doc)
    }

    #[test]
    fn summary_is_the_first_doc_line_or_a_fallback() {
        assert_eq!(summary("One.\nTwo.", || "x".into()), "One.");
        assert_eq!(summary("\n \n  One.  \nTwo.", || "x".into()), "One.");
        assert_eq!(summary(" \n", || "fallback".into()), "fallback");

        let out = document();
        let op = |path: &str, method: &str| out["paths"][path][method].clone();
        let add = op("/api/mizan/call/add_todo/", "post");
        assert_eq!(add["summary"], "Adds a todo.");
        // The full docs stay in the description.
        assert_eq!(
            add["description"],
            "Adds a todo.  \nThe rest of the docs\n\nand more."
        );
        let route = op("/todos", "post");
        assert_eq!(route["summary"], "Adds a todo.");
        assert_eq!(route["description"], add["description"]);
        let bare = op("/api/mizan/call/bare/", "post");
        assert_eq!(bare["summary"], "Call `bare`");
        assert!(bare.get("description").is_none());
        // A named context has no docs of its own: the fallback, and its functions listed.
        let todos = op("/api/mizan/ctx/todos/", "get");
        assert_eq!(todos["summary"], "Fetch context `todos`");
        assert!(
            todos["description"]
                .as_str()
                .is_some_and(|d| d.ends_with("\n\n- `todos`: Every todo.")),
            "{todos}"
        );
        // A standalone query's own context is described by the function.
        let version = op("/api/mizan/ctx/version/", "get");
        assert_eq!(version["summary"], "The version.");
        assert_eq!(version["description"], "The version.\nOf the server.");
    }

    #[test]
    fn every_operation_has_an_id_a_tag_a_summary_and_security() {
        let out = document();
        let mut count = 0;
        for item in out["paths"]
            .as_object()
            .into_iter()
            .flat_map(|p| p.values())
        {
            for (method, op) in item.as_object().into_iter().flatten() {
                count += 1;
                assert!(op["operationId"].is_string(), "{method} {op}");
                assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()));
                assert!(op["tags"][0].is_string());
                assert!(op["security"].is_array());
                assert!(op["responses"]["4XX"]["description"].is_string());
            }
        }
        assert_eq!(count, 7);
        // Guarded: the identity is required, and the scheme is declared.
        assert_eq!(
            out["paths"]["/api/mizan/call/bare/"]["post"]["security"],
            json!([{ IDENTITY: [] }])
        );
        assert_eq!(
            out["paths"]["/api/mizan/call/add_todo/"]["post"]["security"],
            json!([])
        );
        assert_eq!(
            out["components"]["securitySchemes"][IDENTITY]["type"],
            "http"
        );
        let tags: Vec<&Value> = out["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| &t["name"])
            .collect();
        assert_eq!(tags, ["contexts", "queries", "mutations", "routes"]);
        assert!(out["servers"][0]["url"].is_string());
        assert!(out["info"]["description"].is_string());
    }
}
