//! Start-up checks of the function graph (explicit lists, so each case has its own
//! graph), and snapshots of the schema document and OpenAPI export.

use std::collections::BTreeMap;

#[path = "support/mod.rs"]
mod support;

use mizan::{BuildError, Cx, Level, Mizan, Result, params};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mizan::context!(pub(crate) SHAPES = "shapes");
mizan::context!(pub(crate) MIXED = "mixed");
mizan::context!(pub(crate) CONFLICT = "conflict");

mod a {
    use mizan::Result;
    mizan::context!(pub(crate) SAME = "same");
    #[mizan::client(context = SAME)]
    pub(crate) async fn dup() -> Result<u8> {
        Ok(1)
    }
}

mod b {
    use mizan::Result;
    mizan::context!(pub(crate) SAME = "same");
    #[mizan::client(context = SAME)]
    pub(crate) async fn dup() -> Result<u8> {
        Ok(2)
    }
    #[mizan::client(context = SAME)]
    pub(crate) async fn other() -> Result<u8> {
        Ok(3)
    }
}

/// Serde's attributes, as codegen must see them.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Shape {
    /// Renamed field.
    #[serde(rename = "ID")]
    id: u64,
    display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    nickname: Option<String>,
    #[serde(flatten)]
    meta: Meta,
    tags: BTreeMap<String, i32>,
    pair: (i64, bool),
    kind: Kind,
    either: Either,
    adjacent: Adjacent,
    children: Vec<Shape>,
}

#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct Meta {
    created: String,
}

#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Kind {
    Circle { radius: f64 },
    Square { side: f64 },
}

#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum Either {
    Number(i64),
    Text(String),
}

#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(tag = "t", content = "c")]
pub(crate) enum Adjacent {
    One(u8),
    Two(String, String),
}

/// Every shape.
#[mizan::client(context = SHAPES, cache = 60, rev = 2)]
pub(crate) async fn shapes(filter: Option<Kind>) -> Result<Vec<Shape>> {
    let _ = filter;
    Ok(Vec::new())
}

#[mizan::client(affects = [SHAPES], affects_params = |_, _| params! {}, auth = "staff")]
pub(crate) async fn add_shape(cx: &Cx, shape: Shape) -> Result<u64> {
    let _ = (cx, shape);
    Ok(1)
}

#[mizan::client(context = MIXED, private)]
pub(crate) async fn mine() -> Result<u8> {
    Ok(1)
}

#[mizan::client(context = MIXED)]
pub(crate) async fn everyones() -> Result<u8> {
    Ok(1)
}

#[mizan::client(context = CONFLICT)]
pub(crate) async fn by_number(project: i64) -> Result<i64> {
    Ok(project)
}

#[mizan::client(context = CONFLICT)]
pub(crate) async fn by_name(project: String) -> Result<String> {
    Ok(project)
}

#[mizan::client(affects = [shapes])]
pub(crate) async fn touches_shapes() -> Result<()> {
    Ok(())
}

#[mizan::client]
pub(crate) async fn does_nothing() -> Result<()> {
    Ok(())
}

#[mizan::client(query)]
pub(crate) async fn same() -> Result<()> {
    Ok(())
}

#[mizan::client(route = "/r/{id}/{missing}")]
pub(crate) async fn bad_route(id: i64) -> Result<i64> {
    Ok(id)
}

#[mizan::client(route = "/r/{key}/{other}")]
pub(crate) async fn clashing_route(key: i64, other: i64) -> Result<i64> {
    Ok(key + other)
}

#[mizan::client(route = "/api/mizan/mine")]
pub(crate) async fn inside_base() -> Result<()> {
    Ok(())
}

/// Sent with every field; read with defaults: its two schemas differ.
#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct Note {
    text: Option<String>,
    #[serde(default)]
    count: u32,
}

/// The note of the shapes.
#[mizan::client(context = SHAPES, cache = 60)]
pub(crate) async fn shape_note() -> Result<Note> {
    Ok(Note {
        text: None,
        count: 0,
    })
}

#[mizan::client(affects = [SHAPES])]
pub(crate) async fn set_note(note: Note) -> Result<Note> {
    Ok(note)
}

mizan::context!(pub(crate) GUARDED = "guarded");

#[mizan::client(context = GUARDED, auth = true)]
pub(crate) async fn guarded_one() -> Result<u8> {
    Ok(1)
}

#[mizan::client(context = GUARDED)]
pub(crate) async fn open_one() -> Result<u8> {
    Ok(1)
}

#[mizan::client(route = "/delete-everything", methods = [GET], affects = [GUARDED])]
pub(crate) async fn delete_on_get() -> Result<()> {
    Ok(())
}

mizan::context!(WHO = "who");
mizan::context!(MY_OWN = "my_own");

/// Reads the caller without declaring `private`: found in its body.
#[mizan::client(context = WHO)]
pub(crate) async fn whoami(ctx: &Cx) -> Result<String> {
    let name = ctx.identity().map(|i| i.id.clone());
    Ok(name.unwrap_or_default())
}

/// Reads a header through an extractor.
#[mizan::client(context = WHO)]
pub(crate) async fn agent(#[extract] headers: http::HeaderMap) -> Result<usize> {
    Ok(headers.len())
}

/// Reads the caller and says so.
#[mizan::client(context = MY_OWN, private = true)]
pub(crate) async fn my_own(cx: &Cx) -> Result<bool> {
    Ok(cx.user().is_ok())
}

#[test]
fn queries_reading_the_caller_without_saying_so_are_reported_before_a_request() {
    let builder = Mizan::builder().functions(mizan::functions![whoami, agent, my_own]);
    let (doc, diagnostics) = builder.inspect();
    let reads = |f: &str| doc.functions[f].reads_caller.clone();
    assert_eq!(reads("whoami"), ["ctx.identity()"]);
    assert_eq!(reads("agent"), ["extractor http::header::map::HeaderMap"]);
    assert_eq!(reads("my_own"), ["cx.user()"]);
    let mut reported: Vec<(&str, String)> = diagnostics
        .iter()
        .filter(|d| d.rule == "reads-caller")
        .map(|d| (d.rule, d.message.clone()))
        .collect();
    reported.sort();
    assert_eq!(reported.len(), 2, "{reported:?}");
    assert!(
        reported[0]
            .1
            .starts_with("query `agent` reads the caller (extractor ")
    );
    assert!(
        reported[1]
            .1
            .starts_with("query `whoami` reads the caller (ctx.identity())")
    );
    assert!(
        diagnostics.iter().all(|d| d.level == Level::Warning),
        "{diagnostics:?}"
    );
}

fn errors(result: std::result::Result<Mizan, BuildError>) -> Vec<(String, String)> {
    match result {
        Ok(_) => Vec::new(),
        Err(BuildError::Graph(d)) => d
            .into_iter()
            .filter(|d| d.level == Level::Error)
            .map(|d| (d.rule.to_owned(), d.to_string()))
            .collect(),
        Err(e) => vec![("other".into(), e.to_string())],
    }
}

fn rules(list: &[(String, String)]) -> Vec<&str> {
    list.iter().map(|(r, _)| r.as_str()).collect()
}

#[test]
fn zero_functions_is_an_error_not_an_empty_api() {
    let e = errors(Mizan::builder().functions(mizan::functions![]).build());
    assert_eq!(rules(&e), ["no-functions"]);
}

#[test]
fn an_explicit_list_serves_only_what_it_names() {
    let app = Mizan::builder()
        .functions(mizan::functions![shapes, add_shape])
        .build()
        .expect("valid");
    assert_eq!(app.schema().functions.len(), 2);
    assert_eq!(app.schema().contexts.keys().collect::<Vec<_>>(), ["shapes"]);
}

#[test]
fn duplicate_function_names_name_both_places() {
    let e = errors(
        Mizan::builder()
            .functions(mizan::functions![a::dup, b::dup])
            .build(),
    );
    assert_eq!(rules(&e), ["duplicate-name"]);
    assert!(e[0].1.contains("tests/registry.rs:"), "{}", e[0].1);
}

#[test]
fn duplicate_context_names_are_an_error() {
    let e = errors(
        Mizan::builder()
            .functions(mizan::functions![a::dup, b::other])
            .build(),
    );
    assert_eq!(rules(&e), ["duplicate-name"]);
    assert!(
        e[0].1.contains("two context handles are named `same`"),
        "{}",
        e[0].1
    );
}

#[test]
fn a_standalone_query_cannot_share_a_context_name() {
    let e = errors(
        Mizan::builder()
            .functions(mizan::functions![a::dup, same])
            .build(),
    );
    assert_eq!(rules(&e), ["duplicate-name"]);
}

#[test]
fn a_target_that_is_not_registered_is_a_start_up_error_with_file_and_line() {
    let e = errors(
        Mizan::builder()
            .functions(mizan::functions![touches_shapes])
            .build(),
    );
    assert_eq!(rules(&e), ["unknown-target"]);
    assert!(
        e[0].1.contains("`touches_shapes` affects `shapes`"),
        "{}",
        e[0].1
    );
    assert!(
        e[0].1.contains("--> crates/mizan/tests/registry.rs:"),
        "{}",
        e[0].1
    );
}

#[test]
fn conflicting_context_parameters_are_an_error() {
    let e = errors(
        Mizan::builder()
            .functions(mizan::functions![by_number, by_name])
            .build(),
    );
    assert_eq!(rules(&e), ["conflicting-params"]);
    assert!(e[0].1.contains("parameter `project`"), "{}", e[0].1);
}

#[test]
fn a_context_mixing_public_and_private_is_an_error() {
    let e = errors(
        Mizan::builder()
            .functions(mizan::functions![mine, everyones])
            .build(),
    );
    assert_eq!(rules(&e), ["mixed-private"]);
}

#[test]
fn routes_are_checked() {
    let e = errors(
        Mizan::builder()
            .functions(mizan::functions![bad_route, clashing_route, inside_base])
            .build(),
    );
    let mut r = rules(&e);
    r.sort_unstable();
    assert_eq!(r, ["duplicate-route", "route-in-base", "route-param"]);
}

#[test]
fn a_mutation_that_affects_nothing_is_a_warning() {
    let builder = Mizan::builder().functions(mizan::functions![does_nothing]);
    let (_, diagnostics) = builder.inspect();
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].level, Level::Warning);
    assert_eq!(diagnostics[0].rule, "affects-nothing");
    assert!(builder.build().is_ok());
}

#[test]
fn schema_document_snapshot() {
    let app = Mizan::builder()
        .functions(mizan::functions![shapes, add_shape])
        .build()
        .expect("valid");
    insta::assert_json_snapshot!(app.schema(), {
        ".functions.*.source.line" => "[line]",
        ".contexts.*.source.line" => "[line]",
    });
}

#[test]
fn openapi_snapshot() {
    let app = Mizan::builder()
        .functions(mizan::functions![shapes, add_shape])
        .build()
        .expect("valid");
    insta::assert_json_snapshot!(app.openapi());
}

#[test]
fn mixed_guards_and_mutations_on_get_are_warnings() {
    let builder =
        Mizan::builder().functions(mizan::functions![guarded_one, open_one, delete_on_get]);
    let (_, diagnostics) = builder.inspect();
    let mut rules: Vec<&str> = diagnostics.iter().map(|d| d.rule).collect();
    rules.sort_unstable();
    assert_eq!(rules, ["mixed-guards", "mutation-on-get"]);
    assert!(diagnostics.iter().all(|d| d.level == Level::Warning));
}

#[test]
fn results_are_described_as_sent_and_arguments_as_read() {
    let app = Mizan::builder()
        .functions(mizan::functions![shape_note, set_note])
        .build()
        .expect("valid");
    let doc = app.schema();
    // As sent: every field is present (`text` may be null).
    assert_eq!(
        doc.defs["Note"]["required"],
        serde_json::json!(["text", "count"])
    );
    // As read: both may be left out.
    assert!(
        doc.defs["NoteInput"].get("required").is_none(),
        "{:#}",
        doc.defs["NoteInput"]
    );
    assert_eq!(
        doc.functions["set_note"].args["properties"]["note"]["$ref"],
        "#/$defs/NoteInput"
    );
    assert_eq!(
        doc.functions["set_note"].result,
        Some(serde_json::json!({"$ref": "#/$defs/Note"}))
    );
}

// Wire names, API groups, state and extractors.

mizan::api!(pub(crate) ADMIN = "admin");
mizan::api!(pub(crate) SHOP = "shop");

/// State the grouped functions take.
#[derive(Clone)]
pub(crate) struct Stock(u8);

mod admin {
    use mizan::{Result, State};

    #[mizan::client(api = super::ADMIN, query, name = "list")]
    pub(crate) async fn list(State(stock): State<super::Stock>) -> Result<u8> {
        Ok(stock.0)
    }

    #[mizan::client(api = "admin", affects = [list])]
    pub(crate) async fn restock() -> Result<()> {
        Ok(())
    }
}

mod shop {
    use mizan::Result;

    /// Same Rust name and same wire name as `admin::list`: another API.
    #[mizan::client(api = super::SHOP, query, name = "list")]
    pub(crate) async fn list() -> Result<u8> {
        Ok(2)
    }

    /// Same Rust name as `list` above, its own wire name.
    #[mizan::client(api = super::SHOP, query, name = "shop-items")]
    pub(crate) async fn items() -> Result<u8> {
        Ok(3)
    }

    /// Invalidates its own API's `list` and, by name, the admin one's `list`.
    #[mizan::client(api = super::SHOP, affects = [list, super::admin::list, items])]
    pub(crate) async fn buy(
        super::ApiKey(key): super::ApiKey,
        #[extract] method: http::Method,
    ) -> Result<String> {
        Ok(format!("{method} {key}"))
    }

    #[mizan::client(api = super::SHOP)]
    pub(crate) async fn needs_extension(axum::Extension(n): axum::Extension<u32>) -> Result<u32> {
        Ok(n)
    }
}

/// A custom extractor: `x-api-key`, or a 401 with a plain-text reason.
pub(crate) struct ApiKey(String);

impl<S: Sync> axum::extract::FromRequestParts<S> for ApiKey {
    type Rejection = (http::StatusCode, &'static str);

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _: &S,
    ) -> std::result::Result<Self, Self::Rejection> {
        parts
            .headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .map(|v| ApiKey(v.to_owned()))
            .ok_or((http::StatusCode::UNAUTHORIZED, "send an x-api-key header"))
    }
}

#[mizan::client(query, name = "renamed-one")]
pub(crate) async fn first_name() -> Result<u8> {
    Ok(1)
}

#[mizan::client(query, name = "renamed-one")]
pub(crate) async fn second_name() -> Result<u8> {
    Ok(2)
}

#[mizan::client(affects = [first_name])]
pub(crate) async fn touch_renamed() -> Result<()> {
    Ok(())
}

fn shop() -> Mizan {
    Mizan::builder()
        .api(SHOP)
        .build()
        .expect("the shop API is valid")
}

fn admin() -> Mizan {
    Mizan::builder()
        .api(ADMIN)
        .state(Stock(7))
        .build()
        .expect("the admin API is valid")
}

#[test]
fn a_renamed_function_is_known_by_its_wire_name_and_affects_still_finds_it() {
    let app = Mizan::builder()
        .functions(mizan::functions![first_name, touch_renamed])
        .build()
        .expect("valid");
    let doc = app.schema();
    assert!(doc.functions.contains_key("renamed-one"));
    assert!(!doc.functions.contains_key("first_name"));
    assert_eq!(doc.functions["touch_renamed"].affects, ["renamed-one"]);
}

#[test]
fn duplicate_wire_names_name_both_sources() {
    let e = errors(
        Mizan::builder()
            .functions(mizan::functions![first_name, second_name])
            .build(),
    );
    assert_eq!(rules(&e), ["duplicate-name"]);
    assert!(
        e[0].1.contains("two functions are named `renamed-one`"),
        "{}",
        e[0].1
    );
    assert_eq!(
        e[0].1.matches("tests/registry.rs:").count(),
        2,
        "{}",
        e[0].1
    );
}

#[test]
fn each_group_serves_only_its_functions() {
    let mut shop: Vec<String> = shop().schema().functions.keys().cloned().collect();
    shop.sort();
    assert_eq!(shop, ["buy", "list", "needs_extension", "shop-items"]);
    let mut admin: Vec<String> = admin().schema().functions.keys().cloned().collect();
    admin.sort();
    assert_eq!(admin, ["list", "restock"]);
}

#[test]
fn the_default_builder_serves_no_grouped_function() {
    let (doc, _) = Mizan::builder().inspect();
    assert!(!doc.functions.contains_key("restock"));
    assert!(!doc.functions.contains_key("shop-items"));
    assert!(doc.functions.contains_key("renamed-one"));
}

#[test]
fn an_explicit_list_may_not_reach_into_another_group() {
    let e = errors(
        Mizan::builder()
            .functions(mizan::functions![admin::restock])
            .build(),
    );
    assert_eq!(rules(&e), ["wrong-api"]);
    assert!(
        e[0].1
            .contains("`restock` is in api `admin`, and this builder serves the default api"),
        "{}",
        e[0].1
    );
    assert!(
        Mizan::builder()
            .api(ADMIN)
            .state(Stock(1))
            .functions(mizan::functions![admin::list, admin::restock])
            .build()
            .is_ok()
    );
}

#[test]
fn missing_state_fails_the_build_naming_function_and_type() {
    let e = Mizan::builder().api(ADMIN).build().expect_err("no Stock");
    let BuildError::MissingState {
        function, state, ..
    } = &e
    else {
        panic!("{e}");
    };
    assert_eq!((*function, *state), ("list", "registry::Stock"));
    assert!(
        e.to_string().contains("takes `State<registry::Stock>`"),
        "{e}"
    );
}

#[tokio::test]
async fn an_unknown_function_of_the_other_group_is_a_404() {
    let (shop, admin) = (shop().router(), admin().router());
    let r = support::post(&admin, "/api/mizan/call/restock/", serde_json::json!({})).await;
    assert_eq!(r.status, 200);
    let r = support::post(&shop, "/api/mizan/call/restock/", serde_json::json!({})).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "not_found".into()));
    // Same wire name, two functions.
    assert_eq!(
        support::get(&admin, "/api/mizan/ctx/list/").await.json()["list"],
        7
    );
    assert_eq!(
        support::get(&shop, "/api/mizan/ctx/list/").await.json()["list"],
        2
    );
}

#[tokio::test]
async fn extractors_run_and_a_target_in_another_group_is_invalidated_by_name() {
    let app = shop().router();
    let request = http::Request::post("/api/mizan/call/buy/")
        .header("content-type", "application/json")
        .header("x-api-key", "k1")
        .body(axum::body::Body::empty())
        .expect("request");
    let r = support::send(&app, request).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["result"], "POST k1");
    assert_eq!(
        r.json()["invalidate"],
        serde_json::json!(["list", "shop-items"]),
        "`list` is both this API's and the admin one's"
    );
    // The schema lists only what this API serves.
    assert_eq!(
        shop().schema().functions["buy"].affects,
        ["list", "shop-items"]
    );
}

#[tokio::test]
async fn an_extractor_rejection_is_a_protocol_error() {
    let app = shop().router();
    let r = support::post(&app, "/api/mizan/call/buy/", serde_json::json!({})).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json(),
        serde_json::json!({"error": {"code": "unauthorized", "message": "send an x-api-key header"}})
    );
    // axum's `Extension` rejects a missing extension with a 500: nothing of it is sent.
    let r = support::post(
        &app,
        "/api/mizan/call/needs_extension/",
        serde_json::json!({}),
    )
    .await;
    assert_eq!(r.status, 500);
    assert_eq!(
        r.json(),
        serde_json::json!({"error": {"code": "internal", "message": "internal error"}})
    );
}
