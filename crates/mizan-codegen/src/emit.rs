//! The generated files: Stage 1 (`types.ts`, `protocol.ts`) and one Stage 2 file per target.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use mizan_protocol::schema::{Kind, ReturnPath, SchemaDocument};
use serde_json::Value;

use crate::names::{
    Namespace, camel, is_identifier, pascal, property_key, string_literal, type_name,
};
use crate::schema::{Converter, doc, pointer};
use crate::ty::{Doc, Object, Printer, Prop, Ty, UNKNOWN, doc_comment, spaced};
use crate::{GeneratedFile, Options, Output, Problem, Target};

/// A context, with its generated names.
struct ContextItem<'d> {
    name: &'d str,
    /// `ctx` member.
    key: String,
    /// `<Context>Params`.
    params: String,
    /// `<Context>Data`.
    data: String,
    /// `use<Context>`.
    hook: String,
    params_ty: Object,
    data_ty: Object,
    /// Whether some parameter is required.
    requires_params: bool,
    /// The parameters' schema `default`s, applied before keying (`{}` and `{page: 1}` are
    /// one entry and one URL when `page` defaults to 1).
    defaults: Vec<(String, Value)>,
    functions: Vec<&'d str>,
}

/// A custom channel, with its generated name and payload type.
struct ChannelItem<'d> {
    name: &'d str,
    /// `channels` member.
    key: String,
    payload: Ty,
}

/// A function, with its generated names.
struct FunctionItem<'d> {
    name: &'d str,
    /// `call` member.
    key: String,
    /// `<Fn>Args`.
    args: String,
    /// `use<Fn>`, or `use<Fn>Call` when a context has the function's name.
    hook: String,
    args_ty: Ty,
    /// The result, `Response` on the view path.
    result_ty: Ty,
    view: bool,
    /// Whether it gets a call hook: mutations and view-path functions (a query is read
    /// through its context's hook, not posted).
    hooked: bool,
    /// `use<Fn>Form` (`use<Fn>AsForm` when a function `<fn>_form` has that name): the form
    /// hook of a hooked function.
    form_hook: String,
    /// The client-side rules of its arguments (name, TypeScript object literal).
    rules: Vec<(String, String)>,
    docs: &'d str,
}

/// One framework's stage-2 file.
struct Framework {
    target: Target,
    /// The adapter package it imports.
    package: &'static str,
    /// The stage line of its header.
    stage: &'static str,
    /// Writes the file from the header, the contexts and the functions.
    emit: fn(&str, &[ContextItem<'_>], &[FunctionItem<'_>]) -> String,
    /// Names the file imports or re-exports from its adapter, which no hook may take.
    reserved: &'static [&'static str],
}

/// The stage-2 output per framework, in the order of [`Target::ALL`]. Every file has the
/// same hook names, so the names any adapter reserves are reserved in all of them.
const FRAMEWORKS: [Framework; 3] = [
    Framework {
        target: Target::React,
        package: "@mizan/react",
        stage: "Stage 2: React hooks, over @mizan/react.",
        emit: react_ts,
        reserved: &[
            "MizanError",
            "MizanProvider",
            "useMizan",
            "useCall",
            "useContextQuery",
            "useForm",
            "skipToken",
            "keepPreviousData",
        ],
    },
    Framework {
        target: Target::Vue,
        package: "@mizan/vue",
        stage: "Stage 2: Vue composables, over @mizan/vue.",
        emit: vue_ts,
        reserved: &[
            "MizanError",
            "createMizan",
            "provideMizan",
            "useMizan",
            "useCall",
            "useContextQuery",
            "useForm",
            "skipToken",
            "keepPreviousData",
            "toValue",
        ],
    },
    Framework {
        target: Target::Svelte,
        package: "@mizan/svelte",
        stage: "Stage 2: Svelte 5 classes (runes), over @mizan/svelte.",
        emit: svelte_ts,
        reserved: &[
            "MizanError",
            "Call",
            "ContextQuery",
            "Form",
            "getMizan",
            "setMizan",
            "skipToken",
            "keepPreviousData",
        ],
    },
];

#[cfg(test)]
/// The names of the generated files for every target, in order: Stage 1, then each framework's.
pub(crate) fn file_names() -> Vec<&'static str> {
    ["types.ts", "protocol.ts"]
        .into_iter()
        .chain(FRAMEWORKS.iter().map(|f| f.target.file()))
        .collect()
}

pub(crate) fn generate(doc: &SchemaDocument, options: &Options) -> Result<Output, Vec<Problem>> {
    let mut problems = Vec::new();

    // Names of types.
    let mut types_ns = Namespace::new("types.ts", "type");
    let mut def_names = BTreeMap::new();
    for key in doc.defs.keys() {
        let owner = format!("`$defs` entry `{key}`");
        let name = type_name(key);
        if name.is_empty() {
            problems.push(Problem::BadName {
                owner,
                message: "a type name needs letters or digits to make a TypeScript name from"
                    .into(),
            });
            continue;
        }
        types_ns.claim(&name, owner, &mut problems);
        def_names.insert(key.clone(), name);
    }

    let mut conv = Converter::new(&def_names);

    // Types.
    let mut defs = Vec::new();
    for (key, schema) in &doc.defs {
        let Some(name) = def_names.get(key) else {
            continue;
        };
        conv.owner = format!("type `{key}`");
        let ty = conv.convert(schema, &pointer("/$defs", key));
        defs.push((name.as_str(), ty, self::doc(schema)));
    }
    defs.sort_by(|a, b| a.0.cmp(b.0));

    // Functions.
    let mut functions = Vec::new();
    for (name, f) in &doc.functions {
        conv.owner = format!("function `{name}`");
        let at = pointer("/functions", name);
        let args_ty = conv.convert(&f.args, &pointer(&at, "args"));
        let (result_ty, view) = match (f.path, &f.result) {
            (ReturnPath::Rpc, Some(result)) => {
                (conv.convert(result, &pointer(&at, "result")), false)
            }
            (ReturnPath::View, _) => (Ty::Keyword("Response"), true),
            (ReturnPath::Rpc, None) => {
                conv.problems.push(Problem::Unsupported {
                    owner: conv.owner.clone(),
                    pointer: pointer(&at, "result"),
                    message: "a function on the rpc path needs a result schema".into(),
                });
                (UNKNOWN, false)
            }
        };
        // A context hook `use<Name>` wins over the call hook of a function of the same
        // name (a standalone query and its implicit context, always).
        let shares_context_name = doc.contexts.contains_key(name);
        let base = pascal(name);
        functions.push(FunctionItem {
            name,
            key: camel(name),
            args: format!("{}Args", type_name(name)),
            hook: if shares_context_name {
                format!("use{base}Call")
            } else {
                format!("use{base}")
            },
            args_ty,
            result_ty,
            view,
            hooked: f.kind == Kind::Mutation || view,
            form_hook: format!("use{base}Form"),
            rules: crate::forms::rules(&f.args, &doc.defs),
            docs: &f.docs,
        });
    }

    // A form hook `use<Name>Form` yields to the call hook of a function named `<name>_form`:
    // it is then `use<Name>AsForm`.
    let call_hooks: std::collections::BTreeSet<String> =
        functions.iter().map(|f| f.hook.clone()).collect();
    for f in &mut functions {
        if call_hooks.contains(&f.form_hook) {
            f.form_hook = format!("use{}AsForm", pascal(f.name));
        }
    }

    // Custom channels of the WebSocket channel (PROTOCOL.md §17).
    let mut channels = Vec::new();
    for (name, c) in doc.websocket.iter().flat_map(|w| &w.channels) {
        conv.owner = format!("channel `{name}`");
        let at = pointer(&pointer("/websocket/channels", name), "payload");
        channels.push(ChannelItem {
            name,
            key: camel(name),
            payload: conv.convert(&c.payload, &at),
        });
    }

    // Contexts.
    let mut contexts = Vec::new();
    for (name, c) in &doc.contexts {
        conv.owner = format!("context `{name}`");
        let at = pointer("/contexts", name);
        let params_at = pointer(&at, "params");
        let params_ty = Object {
            props: c
                .params
                .iter()
                .map(|(p, schema)| Prop {
                    key: p.clone(),
                    optional: !c.required.contains(p),
                    ty: conv.convert(schema, &pointer(&params_at, p)),
                    doc: self::doc(schema),
                })
                .collect(),
            index: None,
        };
        let mut data_props = Vec::new();
        let mut names: Vec<&str> = c.functions.iter().map(String::as_str).collect();
        names.sort_unstable();
        for (i, fname) in c.functions.iter().enumerate() {
            let found = functions.iter().find(|f| f.name == fname);
            let Some(function) = found.filter(|f| !f.view) else {
                conv.problems.push(Problem::Unsupported {
                    owner: conv.owner.clone(),
                    pointer: pointer(&pointer(&at, "functions"), &i.to_string()),
                    message: format!("`{fname}` is not a function of the document on the rpc path"),
                });
                continue;
            };
            data_props.push(Prop {
                key: fname.clone(),
                optional: false,
                ty: function.result_ty.clone(),
                doc: docs_lines(function.docs),
            });
        }
        data_props.sort_by(|a, b| a.key.cmp(&b.key));
        let base = pascal(name);
        let ty = type_name(name);
        contexts.push(ContextItem {
            name,
            key: camel(name),
            params: format!("{ty}Params"),
            data: format!("{ty}Data"),
            hook: format!("use{base}"),
            params_ty,
            data_ty: Object {
                props: data_props,
                index: None,
            },
            requires_params: !c.required.is_empty(),
            defaults: c
                .params
                .iter()
                .filter_map(|(p, schema)| Some((p.clone(), schema.get("default")?.clone())))
                .collect(),
            functions: names,
        });
    }
    problems.append(&mut conv.problems);

    // Generated names: each must be derivable and unique in its file.
    let mut protocol_types = Namespace::new("protocol.ts", "type");
    let mut ctx_keys = Namespace::new("protocol.ts", "`ctx` member");
    let mut call_keys = Namespace::new("protocol.ts", "`call` member");
    // Every framework file has the same hook names; the adapters' names are reserved.
    let mut hooks = Namespace::new("react.ts, vue.ts, svelte.ts", "export");
    let mut reserved_names = std::collections::BTreeSet::new();
    for framework in &FRAMEWORKS {
        for reserved in framework.reserved {
            if reserved_names.insert(*reserved) {
                let origin = format!("an import from `{}`", framework.package);
                hooks.claim(reserved, origin, &mut problems);
            }
        }
    }
    for c in &contexts {
        let origin = format!("context `{}`", c.name);
        if c.key.is_empty() {
            problems.push(Problem::BadName {
                owner: origin,
                message: "a context name needs letters or digits to make TypeScript names from"
                    .into(),
            });
            continue;
        }
        protocol_types.claim(&c.params, origin.clone(), &mut problems);
        protocol_types.claim(&c.data, origin.clone(), &mut problems);
        ctx_keys.claim(&c.key, origin.clone(), &mut problems);
        hooks.claim(&c.hook, origin, &mut problems);
    }
    for f in &functions {
        let origin = format!("function `{}`", f.name);
        if f.key.is_empty() {
            problems.push(Problem::BadName {
                owner: origin,
                message: "a function name needs letters or digits to make TypeScript names from"
                    .into(),
            });
            continue;
        }
        protocol_types.claim(&f.args, origin.clone(), &mut problems);
        call_keys.claim(&f.key, origin.clone(), &mut problems);
        if f.hooked {
            hooks.claim(&f.hook, origin.clone(), &mut problems);
            hooks.claim(&f.form_hook, origin, &mut problems);
        }
    }
    let mut channel_keys = Namespace::new("protocol.ts", "`channels` member");
    for c in &channels {
        let origin = format!("channel `{}`", c.name);
        if c.key.is_empty() {
            problems.push(Problem::BadName {
                owner: origin,
                message: "a channel name needs letters or digits to make a TypeScript name from"
                    .into(),
            });
            continue;
        }
        channel_keys.claim(&c.key, origin, &mut problems);
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    let header = |stage: &str| {
        format!(
            "// Generated by `mizan codegen`: do not edit.\n\
             // From: {} (format \"{}\", version {}; protocol {})\n\
             // Regenerate: {}\n\
             // {stage}\n",
            options.source, doc.format, doc.version, doc.protocol, options.command
        )
    };
    let mut files = vec![
        GeneratedFile {
            name: "types.ts",
            contents: types_ts(&header("Stage 1: every argument and result type."), &defs),
        },
        GeneratedFile {
            name: "protocol.ts",
            contents: protocol_ts(
                &header("Stage 1: the contexts and functions, typed, over @mizan/runtime."),
                doc,
                &contexts,
                &functions,
                &channels,
            ),
        },
    ];
    for framework in FRAMEWORKS
        .iter()
        .filter(|f| options.targets.contains(&f.target))
    {
        files.push(GeneratedFile {
            name: framework.target.file(),
            contents: (framework.emit)(&header(framework.stage), &contexts, &functions),
        });
    }
    Ok(Output { files })
}

/// A function's doc comment as lines.
fn docs_lines(docs: &str) -> Doc {
    docs.trim().lines().map(str::to_owned).collect()
}

/// `a` followed by a blank line and `b`, when both have lines.
fn paragraphs(a: Doc, b: Doc) -> Doc {
    let mut out = a;
    if !out.is_empty() && !b.is_empty() {
        out.push(String::new());
    }
    out.extend(b);
    out
}

fn types_ts(header: &str, defs: &[(&str, Ty, Doc)]) -> String {
    let printer = Printer { prefix: "" };
    let mut out = header.to_owned();
    for (name, ty, doc) in defs {
        out.push('\n');
        out.push_str(&doc_comment(doc, 0));
        match ty {
            Ty::Object(o) if !o.props.is_empty() => {
                let _ = writeln!(out, "export interface {name} {}", printer.object(o, 0));
            }
            _ => {
                let _ = writeln!(out, "export type {name} ={};", spaced(&printer.top(ty, 0)));
            }
        }
    }
    if defs.is_empty() {
        out.push_str("\nexport {};\n");
    }
    out
}

fn uses_types(ty: &Ty) -> bool {
    match ty {
        Ty::Ref(_) => true,
        Ty::Keyword(_) | Ty::Literal(_) => false,
        Ty::Array(t) => uses_types(t),
        Ty::Tuple { items, rest, .. } => {
            items.iter().any(uses_types) || rest.as_deref().is_some_and(uses_types)
        }
        Ty::Object(o) => object_uses_types(o),
        Ty::Union(members) => members.iter().any(|(t, _)| uses_types(t)),
        Ty::Intersection(parts) => parts.iter().any(uses_types),
    }
}

fn object_uses_types(o: &Object) -> bool {
    o.props.iter().any(|p| uses_types(&p.ty)) || o.index.as_deref().is_some_and(uses_types)
}

/// `object.key`, or `object["key"]` when the key is not an identifier.
fn member(object: &str, key: &str) -> String {
    if is_identifier(key) {
        format!("{object}.{key}")
    } else {
        format!("{object}[{}]", string_literal(key))
    }
}

fn protocol_ts(
    header: &str,
    doc: &SchemaDocument,
    contexts: &[ContextItem<'_>],
    functions: &[FunctionItem<'_>],
    channels: &[ChannelItem<'_>],
) -> String {
    let printer = Printer { prefix: "T." };
    let mut out = header.to_owned();
    let mut runtime = Vec::new();
    if !functions.is_empty() {
        runtime.push("defineCall");
    }
    if !contexts.is_empty() {
        runtime.push("defineContext");
    }
    if !runtime.is_empty() {
        out.push('\n');
        out.push_str(&import(&runtime, "@mizan/runtime"));
    }
    if !channels.is_empty() {
        out.push_str(&import(&["defineChannel"], "@mizan/runtime/ws"));
    }
    let needs_types = channels.iter().any(|c| uses_types(&c.payload))
        || contexts
            .iter()
            .any(|c| object_uses_types(&c.params_ty) || object_uses_types(&c.data_ty))
        || functions
            .iter()
            .any(|f| uses_types(&f.args_ty) || uses_types(&f.result_ty));
    let formed: Vec<&FunctionItem<'_>> = functions.iter().filter(|f| f.hooked).collect();
    if !formed.is_empty() {
        out.push_str("import type { FieldRules } from \"@mizan/runtime/form\";\n");
    }
    if needs_types {
        out.push_str("import type * as T from \"./types\";\n");
    }
    let _ = writeln!(
        out,
        "\n/** Where the API is served (the schema document's `base_path`): a `MizanClient`'s `baseUrl`. */\n\
         export const basePath = {};",
        string_literal(&doc.base_path)
    );

    // Parameters, data and arguments are type aliases, not interfaces: an interface has no
    // implicit index signature, so it would not satisfy `P extends Params`
    // (`Record<string, unknown>`).
    for c in contexts {
        // `{}` would accept any object (and any non-null value): a context without
        // parameters takes none.
        let params = if c.params_ty.props.is_empty() {
            "Record<string, never>".to_owned()
        } else {
            printer.object(&c.params_ty, 0)
        };
        let _ = writeln!(
            out,
            "\n/** The parameters of the `{}` context. */\nexport type {} = {};",
            c.name, c.params, params
        );
        let _ = writeln!(
            out,
            "\n/** The data of the `{}` context: its functions' results, by name. */\nexport type {} = {};",
            c.name,
            c.data,
            printer.object(&c.data_ty, 0)
        );
    }
    for f in functions {
        let _ = writeln!(
            out,
            "\n/** The arguments of `{}`. */\nexport type {} ={};",
            f.name,
            f.args,
            spaced(&printer.top(&f.args_ty, 0))
        );
    }

    out.push_str(
        "\n/** The contexts: `ctx.name(params)` describes what to fetch. */\nexport const ctx = {",
    );
    for c in contexts {
        out.push('\n');
        out.push_str(&doc_comment(&context_doc(c), 2));
        let _ = writeln!(
            out,
            "  {}: defineContext<{}, {}>({}{}),",
            property_key(&c.key),
            c.params,
            c.data,
            string_literal(c.name),
            defaults(&c.defaults)
        );
    }
    out.push_str("} as const;\n");

    out.push_str(
        "\n/** The functions: `call.name` describes what to call. */\nexport const call = {",
    );
    for f in functions {
        out.push('\n');
        out.push_str(&doc_comment(&function_doc(f), 2));
        let view = if f.view { ", { view: true }" } else { "" };
        let _ = writeln!(
            out,
            "  {}: defineCall<{}, {}>({}{view}),",
            property_key(&f.key),
            f.args,
            printer.print(&f.result_ty, 2),
            string_literal(f.name)
        );
    }
    out.push_str("} as const;\n");
    if !formed.is_empty() {
        out.push_str(
            "\n/** The client-side rules of each form's fields, from the argument schemas: what a form\n \
             * checks before it sends (the server checks them again). */\nexport const fields = {",
        );
        for f in &formed {
            let _ = write!(out, "\n  {}: {{", property_key(&f.key));
            for (name, literal) in &f.rules {
                let _ = write!(out, "\n    {}: {literal},", property_key(name));
            }
            if !f.rules.is_empty() {
                out.push_str("\n  ");
            }
            out.push_str("},");
        }
        out.push_str("\n} as const satisfies Record<string, Record<string, FieldRules>>;\n");
    }
    if !channels.is_empty() {
        out.push_str(
            "\n/** The custom channels of the WebSocket channel: `socket.channel(channels.name, listener)`\n \
             *  with a `live(client)` socket of `@mizan/runtime/ws`. */\nexport const channels = {",
        );
        for c in channels {
            let _ = writeln!(
                out,
                "\n  /** Messages of the `{}` channel. */\n  {}: defineChannel<{}>({}),",
                c.name,
                property_key(&c.key),
                printer.print(&c.payload, 2),
                string_literal(c.name)
            );
        }
        out.push_str("} as const;\n");
    }
    out
}

/// `, { page: 1 }`: the second argument of `defineContext`, empty without defaults.
fn defaults(defaults: &[(String, Value)]) -> String {
    if defaults.is_empty() {
        return String::new();
    }
    let members: Vec<String> = defaults
        .iter()
        .map(|(k, v)| format!("{}: {v}", property_key(k)))
        .collect();
    format!(", {{ {} }}", members.join(", "))
}

fn context_doc(c: &ContextItem<'_>) -> Doc {
    let list: Vec<String> = c.functions.iter().map(|f| format!("`{f}`")).collect();
    vec![format!("The `{}` context: {}.", c.name, list.join(", "))]
}

fn function_doc(f: &FunctionItem<'_>) -> Doc {
    let what = if f.view {
        format!(
            "Calls `{}` (view path: the result is the HTTP response).",
            f.name
        )
    } else {
        format!("Calls `{}`.", f.name)
    };
    paragraphs(docs_lines(f.docs), vec![what])
}

/// `import { a, b } from "module";`, one name per line when that is too long for one.
fn import<S: AsRef<str>>(names: &[S], module: &str) -> String {
    let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
    let line = format!(
        "import {{ {} }} from {};\n",
        names.join(", "),
        string_literal(module)
    );
    if line.len() <= 100 {
        return line;
    }
    let mut out = String::from("import {\n");
    for name in names {
        let _ = writeln!(out, "  {name},");
    }
    let _ = writeln!(out, "}} from {};", string_literal(module));
    out
}

fn react_ts(header: &str, contexts: &[ContextItem<'_>], functions: &[FunctionItem<'_>]) -> String {
    let mut out = header.to_owned();
    let hooked: Vec<&FunctionItem<'_>> = functions.iter().filter(|f| f.hooked).collect();

    let mut react_imports = Vec::new();
    if !contexts.is_empty() {
        react_imports.push("skipToken");
    }
    if !hooked.is_empty() {
        react_imports.push("useCall");
    }
    if !contexts.is_empty() {
        react_imports.push("useContextQuery");
    }
    if !hooked.is_empty() {
        react_imports.push("type CallOptions");
    }
    if !contexts.is_empty() {
        react_imports.push("type ContextQueryOptions");
        react_imports.push("type SkipToken");
    }
    if !react_imports.is_empty() {
        out.push('\n');
        out.push_str(&import(&react_imports, "@mizan/react"));
    }
    if !hooked.is_empty() {
        out.push_str(&import(
            &["type FormOptions", "useForm"],
            "@mizan/react/form",
        ));
    }
    out.push_str(&protocol_imports(contexts, &hooked));
    out.push_str(
        "\nexport { keepPreviousData, MizanError, MizanProvider, skipToken, useMizan } from \"@mizan/react\";\n",
    );

    for c in contexts {
        out.push('\n');
        out.push_str(&doc_comment(
            &[
                format!(
                    "Fetches and observes the `{}` context: {}.",
                    c.name,
                    c.functions
                        .iter()
                        .map(|f| format!("`{f}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "`skipToken` instead of the params fetches nothing (a dependent query); `select`"
                    .to_owned(),
                "derives what the component shows.".to_owned(),
            ],
            0,
        ));
        let default = if c.requires_params { "" } else { " = {}" };
        let _ = writeln!(
            out,
            "export const {hook} = <S = {data}>(\n  params: {params} | SkipToken{default},\n  options?: ContextQueryOptions<{data}, S>,\n) => useContextQuery(params === skipToken ? skipToken : {ctx}(params), options);",
            hook = c.hook,
            data = c.data,
            params = c.params,
            ctx = member("ctx", &c.key)
        );
    }
    call_hooks(&mut out, &hooked, "useCall({call}, options)");
    form_hooks(&mut out, &hooked, "useForm({call}, {rules})");
    out
}

/// The imports of a Stage 2 file from `./protocol` and `./types`: `call` and `ctx` when used,
/// the params, data and args types, and the types namespace when a result needs it.
fn protocol_imports(contexts: &[ContextItem<'_>], hooked: &[&FunctionItem<'_>]) -> String {
    let mut values = Vec::new();
    if !hooked.is_empty() {
        values.push("call".to_owned());
    }
    if !contexts.is_empty() {
        values.push("ctx".to_owned());
    }
    if !hooked.is_empty() {
        values.push("fields".to_owned());
    }
    let mut types: Vec<String> = contexts
        .iter()
        .flat_map(|c| [c.params.clone(), c.data.clone()])
        .chain(hooked.iter().map(|f| f.args.clone()))
        .collect();
    types.sort();
    let imports: Vec<String> = values
        .into_iter()
        .chain(types.into_iter().map(|t| format!("type {t}")))
        .collect();
    let mut out = String::new();
    if !imports.is_empty() {
        out.push_str(&import(&imports, "./protocol"));
    }
    if hooked.iter().any(|f| uses_types(&f.result_ty)) {
        out.push_str("import type * as T from \"./types\";\n");
    }
    out
}

/// The doc comment of a context's composable or class: what it fetches, then `more`.
fn context_hook_doc(c: &ContextItem<'_>, more: &[&str]) -> String {
    let mut lines = vec![format!(
        "Fetches and observes the `{}` context: {}.",
        c.name,
        c.functions
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )];
    lines.extend(more.iter().map(|l| (*l).to_owned()));
    doc_comment(&lines, 0)
}

/// The form hooks: `use<Fn>Form(options)` with the function's rules (`body` is the
/// framework's constructor, with `{call}` and `{rules}` to fill in).
fn form_hooks(out: &mut String, hooked: &[&FunctionItem<'_>], body: &str) {
    let printer = Printer { prefix: "T." };
    for f in hooked {
        out.push('\n');
        out.push_str(&doc_comment(
            &[
                format!("A form for `{}`: its values, field errors (the client's rules and the server's), touched,", f.name),
                "dirty, submitting, `validate()`, `submit()`, `reset()`; `initial` gives the values it starts with.".to_owned(),
            ],
            0,
        ));
        let _ = writeln!(
            out,
            "export const {} = (options: FormOptions<{}, {}>) =>\n  {};",
            f.form_hook,
            f.args,
            printer.print(&f.result_ty, 2),
            body.replace("{call}", &member("call", &f.key)).replace(
                "{rules}",
                &format!(
                    "{{ ...options, rules: {{ ...{}, ...options.rules }} }}",
                    member("fields", &f.key)
                )
            )
        );
    }
}

/// The call hooks (the same in every framework: `useCall(call.fn, options)` or `new Call(…)`).
fn call_hooks(out: &mut String, hooked: &[&FunctionItem<'_>], body: &str) {
    let printer = Printer { prefix: "T." };
    for f in hooked {
        out.push('\n');
        out.push_str(&doc_comment(&function_doc(f), 0));
        let _ = writeln!(
            out,
            "export const {} = (options?: CallOptions<{}, {}>) =>\n  {};",
            f.hook,
            f.args,
            printer.print(&f.result_ty, 2),
            body.replace("{call}", &member("call", &f.key))
        );
    }
}

fn vue_ts(header: &str, contexts: &[ContextItem<'_>], functions: &[FunctionItem<'_>]) -> String {
    let mut out = header.to_owned();
    let hooked: Vec<&FunctionItem<'_>> = functions.iter().filter(|f| f.hooked).collect();
    let mut adapter = Vec::new();
    if !contexts.is_empty() {
        adapter.extend(["skipToken", "useContextQuery"]);
    }
    if !hooked.is_empty() {
        adapter.extend(["useCall", "type CallOptions"]);
    }
    if !contexts.is_empty() {
        adapter.extend(["type ContextQueryOptions", "type SkipToken"]);
    }
    if !adapter.is_empty() {
        out.push('\n');
        out.push_str(&import(&adapter, "@mizan/vue"));
    }
    if !hooked.is_empty() {
        out.push_str(&import(&["type FormOptions", "useForm"], "@mizan/vue/form"));
    }
    if !contexts.is_empty() {
        out.push_str(&import(&["toValue", "type MaybeRefOrGetter"], "vue"));
    }
    out.push_str(&protocol_imports(contexts, &hooked));
    out.push_str(
        "\nexport { createMizan, keepPreviousData, MizanError, provideMizan, skipToken, useMizan } from \"@mizan/vue\";\n",
    );
    for c in contexts {
        out.push('\n');
        out.push_str(&context_hook_doc(
            c,
            &[
                "The params may be a ref or a getter (they are followed); `skipToken` instead of them",
                "fetches nothing (a dependent query); `select` derives what the component shows.",
            ],
        ));
        let default = if c.requires_params { "" } else { " = {}" };
        let _ = writeln!(
            out,
            "export const {hook} = <S = {data}>(\n  params: MaybeRefOrGetter<{params} | SkipToken>{default},\n  options?: MaybeRefOrGetter<ContextQueryOptions<{data}, S> | undefined>,\n) =>\n  useContextQuery(() => {{\n    const p = toValue(params);\n    return p === skipToken ? skipToken : {ctx}(p);\n  }}, options);",
            hook = c.hook,
            data = c.data,
            params = c.params,
            ctx = member("ctx", &c.key)
        );
    }
    call_hooks(&mut out, &hooked, "useCall({call}, options)");
    form_hooks(&mut out, &hooked, "useForm({call}, {rules})");
    out
}

fn svelte_ts(header: &str, contexts: &[ContextItem<'_>], functions: &[FunctionItem<'_>]) -> String {
    let mut out = header.to_owned();
    let hooked: Vec<&FunctionItem<'_>> = functions.iter().filter(|f| f.hooked).collect();
    let mut adapter = Vec::new();
    if !hooked.is_empty() {
        adapter.push("Call");
    }
    if !contexts.is_empty() {
        adapter.push("ContextQuery");
    }
    if !contexts.is_empty() || !hooked.is_empty() {
        adapter.push("getMizan");
    }
    if !contexts.is_empty() {
        adapter.push("skipToken");
    }
    if !hooked.is_empty() {
        adapter.push("type CallOptions");
    }
    if !contexts.is_empty() {
        adapter.extend(["type ContextQueryOptions", "type SkipToken"]);
    }
    if !adapter.is_empty() {
        out.push('\n');
        out.push_str(&import(&adapter, "@mizan/svelte"));
    }
    if !hooked.is_empty() {
        out.push_str(&import(&["Form", "type FormOptions"], "@mizan/svelte/form"));
    }
    out.push_str(&protocol_imports(contexts, &hooked));
    out.push_str(
        "\nexport { getMizan, keepPreviousData, MizanError, setMizan, skipToken } from \"@mizan/svelte\";\n",
    );
    for c in contexts {
        out.push('\n');
        out.push_str(&context_hook_doc(
            c,
            &[
                "Call it in a component's `<script>`. The params are a function, read by every getter, so",
                "the `$state` and props it reads are followed; `skipToken` instead of them fetches nothing",
                "(a dependent query); `select` derives what the component shows.",
            ],
        ));
        let default = if c.requires_params {
            ""
        } else {
            " = () => ({})"
        };
        let _ = writeln!(
            out,
            "export const {hook} = <S = {data}>(\n  params: () => {params} | SkipToken{default},\n  options?: ContextQueryOptions<{data}, S> | (() => ContextQueryOptions<{data}, S>),\n) =>\n  new ContextQuery(\n    getMizan(),\n    () => {{\n      const p = params();\n      return p === skipToken ? skipToken : {ctx}(p);\n    }},\n    options,\n  );",
            hook = c.hook,
            data = c.data,
            params = c.params,
            ctx = member("ctx", &c.key)
        );
    }
    call_hooks(&mut out, &hooked, "new Call(getMizan(), {call}, options)");
    form_hooks(&mut out, &hooked, "new Form(getMizan(), {call}, {rules})");
    out
}
