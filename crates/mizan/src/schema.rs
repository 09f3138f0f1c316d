//! The schema document of the functions in this binary, their lint and OpenAPI rendering.
//! The document's types and the rules live in [`mizan_protocol::schema`]; this module
//! describes [`FunctionDef`]s with them.

use std::collections::BTreeMap;

use schemars::generate::SchemaSettings;

pub use mizan_protocol::schema::{
    ContextDoc, Diagnostic, FunctionDoc, JsonTypes, Kind, Level, ReturnPath, RouteDoc,
    SCHEMA_VERSION, SchemaDocument, Source, arg_properties, lint, openapi,
};

use crate::extract::Injected;
use crate::function::{FunctionDef, Target};

/// Describes `defs` (already checked for duplicate names) served at `base_path`.
pub(crate) fn describe(defs: &[&'static FunctionDef], base_path: &str) -> SchemaDocument {
    let settings = SchemaSettings::draft2020_12().with(|s| s.meta_schema = None);
    // Arguments are what the server deserializes, results what it serializes: the two
    // differ for `Option` fields, `skip_serializing_if`, `default`, aliases.
    let mut generator = settings.clone().for_deserialize().into_generator();
    let mut results = settings.for_serialize().into_generator();
    let mut functions = BTreeMap::new();
    let mut named = Vec::new();
    for def in defs {
        let (args, result) = (def.schema)(&mut generator, &mut results);
        functions.insert(def.name.to_owned(), function_doc(def, args, result));
        if let Some(ctx) = def.context {
            let (file, line) = ctx.source();
            named.push((
                ctx.name().to_owned(),
                Some(Source {
                    file: file.to_owned(),
                    line,
                }),
            ));
        }
    }
    SchemaDocument::assemble(
        base_path,
        functions,
        &named,
        generator.take_definitions(true),
        results.take_definitions(true),
    )
}

fn function_doc(
    def: &FunctionDef,
    args: schemars::Schema,
    result: Option<schemars::Schema>,
) -> FunctionDoc {
    FunctionDoc {
        kind: if def.is_query() {
            Kind::Query
        } else {
            Kind::Mutation
        },
        context: def.context_name().map(str::to_owned),
        path: if result.is_some() {
            ReturnPath::Rpc
        } else {
            ReturnPath::View
        },
        docs: def.docs.to_owned(),
        args: args.to_value(),
        result: result.map(|s| s.to_value()),
        affects: def
            .affects
            .iter()
            .map(|t| match t() {
                Target::Context(c) => c.name().to_owned(),
                Target::Function(f) => f.name.to_owned(),
            })
            .collect(),
        affects_params: def.scoped,
        auth: def.guard.describe(),
        private: def.private,
        reads_caller: def
            .reads
            .iter()
            .map(|r| (*r).to_owned())
            .chain(def.injected.iter().filter_map(|i| match i() {
                Injected::Extractor { type_name } => Some(format!("extractor {type_name}")),
                Injected::State { .. } => None,
            }))
            .collect(),
        route: def.route.map(|path| RouteDoc {
            path: path.to_owned(),
            methods: def.methods.iter().map(|m| (*m).to_owned()).collect(),
        }),
        rev: def.rev,
        cache: def.cache,
        websocket: def.websocket,
        source: Some(Source {
            file: def.file.to_owned(),
            line: def.line,
        }),
    }
}
