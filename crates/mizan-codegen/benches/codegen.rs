//! `cargo bench -p mizan-codegen`: the time to generate TypeScript for a synthetic API of
//! 1,000 functions in 100 contexts (500 queries, 5 per context, and 500 mutations) over
//! 200 shared types. Prints the timings; asserts nothing.

#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use mizan_codegen::{Options, SchemaDocument, generate, parse};
use serde_json::{Value, json};

const CONTEXTS: usize = 100;
const QUERIES_PER_CONTEXT: usize = 5;
const MUTATIONS: usize = 500;
const TYPES: usize = 200;
const RUNS: usize = 30;

fn type_schema(i: usize) -> Value {
    json!({
        "description": format!("Synthetic type {i}."),
        "type": "object",
        "properties": {
            "id": {"type": "integer", "format": "int64", "description": "Its id."},
            "name": {"type": "string"},
            "note": {"type": ["string", "null"]},
            "created": {"type": "string", "format": "date-time"},
            "tags": {"type": "object", "additionalProperties": {"type": "integer", "format": "int32"}},
            "pair": {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "boolean"}], "minItems": 2, "maxItems": 2},
            "status": {"enum": ["ACTIVE", "ARCHIVED", "DELETED"], "type": "string"},
            "next": {"anyOf": [{"$ref": format!("#/$defs/Type{:03}", (i + 1) % TYPES)}, {"type": "null"}]},
            "children": {"type": "array", "items": {"$ref": format!("#/$defs/Type{i:03}")}},
            "kind": {"oneOf": [
                {"type": "object", "properties": {"type": {"const": "a"}, "a": {"type": "number"}}, "required": ["type", "a"]},
                {"type": "object", "properties": {"type": {"const": "b"}, "b": {"type": "string"}}, "required": ["type", "b"]}
            ]}
        },
        "required": ["id", "name", "created", "tags", "pair", "status", "children", "kind"]
    })
}

fn function(kind: &str, context: Option<&str>, i: usize) -> Value {
    json!({
        "kind": kind,
        "context": context,
        "path": "rpc",
        "docs": format!("Synthetic function {i}."),
        "args": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "project": {"type": "integer", "format": "int64"},
                "filter": {"type": ["string", "null"]},
                "item": {"$ref": format!("#/$defs/Type{:03}", i % TYPES)}
            },
            "required": ["project"]
        },
        "result": {"type": "array", "items": {"$ref": format!("#/$defs/Type{:03}", (i * 7) % TYPES)}},
        "affects": [],
        "affects_params": false,
        "auth": null,
        "private": false,
        "route": null,
        "rev": 0,
        "cache": null
    })
}

/// The synthetic schema document, as JSON text.
fn document() -> String {
    let mut contexts = serde_json::Map::new();
    let mut functions = serde_json::Map::new();
    let mut n = 0;
    for c in 0..CONTEXTS {
        let context = format!("context_{c:03}");
        let mut names = Vec::new();
        for q in 0..QUERIES_PER_CONTEXT {
            let name = format!("query_{c:03}_{q}");
            functions.insert(name.clone(), function("query", Some(&context), n));
            names.push(name);
            n += 1;
        }
        contexts.insert(
            context,
            json!({
                "functions": names,
                "params": {
                    "project": {"type": "integer", "format": "int64"},
                    "filter": {"type": ["string", "null"]},
                    "item": {"$ref": format!("#/$defs/Type{:03}", c % TYPES)}
                },
                "required": ["project"],
                "private": false,
                "cache": 30,
                "implicit": false
            }),
        );
    }
    for m in 0..MUTATIONS {
        functions.insert(format!("mutation_{m:03}"), function("mutation", None, n));
        n += 1;
    }
    let defs: serde_json::Map<String, Value> = (0..TYPES)
        .map(|i| (format!("Type{i:03}"), type_schema(i)))
        .collect();
    json!({
        "format": "mizan-schema",
        "version": 1,
        "protocol": 1,
        "base_path": "/api/mizan",
        "contexts": contexts,
        "functions": functions,
        "$defs": defs
    })
    .to_string()
}

fn summary(label: &str, mut times: Vec<Duration>) {
    times.sort();
    let total: Duration = times.iter().sum();
    let mean = total / u32::try_from(times.len()).unwrap_or(1);
    println!(
        "{label}: min {:.2} ms, median {:.2} ms, mean {:.2} ms ({} runs)",
        times[0].as_secs_f64() * 1e3,
        times[times.len() / 2].as_secs_f64() * 1e3,
        mean.as_secs_f64() * 1e3,
        times.len()
    );
}

fn main() {
    let text = document();
    let options = Options::new("schema.json", "src/mizan");
    let doc: SchemaDocument = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "synthetic API: {} functions, {} contexts, {} types; {} KiB of schema document",
        doc.functions.len(),
        doc.contexts.len(),
        doc.defs.len(),
        text.len() / 1024
    );

    // Warm up, and show how much is generated.
    let output = generate(&doc, &options).unwrap_or_else(|e| panic!("{e}"));
    for file in &output.files {
        println!(
            "  {}: {} lines, {} KiB",
            file.name,
            file.contents.lines().count(),
            file.contents.len() / 1024
        );
    }

    let mut parse_times = Vec::new();
    let mut generate_times = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let parsed = black_box(parse(black_box(&text)));
        parse_times.push(start.elapsed());
        drop(parsed);

        let start = Instant::now();
        let generated = black_box(generate(black_box(&doc), &options));
        generate_times.push(start.elapsed());
        drop(generated);
    }
    summary("parse the document", parse_times);
    summary("generate types.ts, protocol.ts, react.ts", generate_times);
}
