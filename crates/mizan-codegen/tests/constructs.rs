//! The `constructs` fixture is the schema document of the functions below: every serde
//! shape codegen must type (renames, optional and nullable fields, maps, tuples, string
//! enums, internally/adjacently/un-tagged and externally tagged enums, flattening,
//! recursion, generics, formats, descriptions). This test keeps the fixture in step with
//! what the `mizan` crate writes; `MIZAN_UPDATE_FIXTURES=1 cargo test -p mizan-codegen
//! --test constructs` rewrites it.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use axum::response::Redirect;
use mizan::{Cx, Mizan, Result, params};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mizan::context!(pub(crate) CATALOG = "catalog");
mizan::context!(pub(crate) USER_PROFILE = "user-profile");

/// A product in the catalog.
///
/// Its description has two paragraphs, and a `*/` that must not end the comment.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Product {
    /// Its id: a 64-bit integer, a JavaScript number.
    id: i64,
    /// A renamed field.
    #[serde(rename = "SKU")]
    sku: String,
    price_cents: u32,
    weight: f64,
    tags: Vec<String>,
    /// A map with string values.
    attributes: BTreeMap<String, String>,
    stock_by_store: HashMap<String, u64>,
    /// A tuple: width, height, depth.
    dimensions: (f64, f64, f64),
    /// Optional and nullable: absent or null.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    discount: Option<u8>,
    /// Required but nullable.
    #[schemars(required, extend("type" = ["string", "null"]))]
    note: Option<String>,
    /// Optional (it has a default) but not nullable.
    #[serde(default)]
    featured: bool,
    #[schemars(extend("format" = "date-time"))]
    created_at: String,
    #[schemars(extend("format" = "uuid"))]
    uuid: String,
    /// The day it was released.
    #[schemars(extend("format" = "date"))]
    released: Option<String>,
    status: Status,
    category: Category,
    price: Price,
    media: Media,
    shape: Shape,
    /// Recursive through a list.
    related: Vec<Product>,
    #[serde(flatten)]
    audit: Audit,
    version: Version,
    extra: serde_json::Value,
    nothing: (),
    #[schemars(extend("deprecated" = true))]
    legacy_code: Option<String>,
}

/// Fields flattened into [`Product`].
#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct Audit {
    /// Who changed it last.
    changed_by: String,
}

/// A schema version: a newtype.
#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct Version(u16);

/// Availability: a string enum.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum Status {
    /// Ready to ship.
    InStock,
    OutOfStock,
    Discontinued,
}

/// An internally tagged enum.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub(crate) enum Category {
    /// A book.
    Book {
        isbn: String,
        authors: Vec<String>,
    },
    Food {
        #[serde(rename = "expiresAt")]
        expires: Option<String>,
    },
    GiftCard,
    Other(Other),
}

/// A struct inside an internally tagged variant.
#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct Other {
    label: String,
}

/// An adjacently tagged enum.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", content = "value")]
pub(crate) enum Price {
    Fixed(u32),
    Range { min: u32, max: u32 },
    Free,
}

/// An untagged enum.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum Media {
    Url(String),
    Many(Vec<String>),
    Detailed { url: String, alt: Option<String> },
}

/// An externally tagged enum (serde's default).
#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) enum Shape {
    Point,
    Circle(f64),
    Rect { w: f64, h: f64 },
    Polygon(Vec<(f64, f64)>),
}

/// A node of a tree: recursive through a list and an option.
#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct TreeNode {
    label: String,
    children: Vec<TreeNode>,
    parent: Option<Box<TreeNode>>,
}

/// A page of items: a generic type.
#[derive(Serialize, Deserialize, JsonSchema)]
pub(crate) struct Page<T> {
    items: Vec<T>,
    next: Option<String>,
}

/// The products, a page at a time.
#[mizan::client(context = CATALOG, cache = 60)]
pub(crate) async fn product_list(
    page: Option<u32>,
    status: Option<Status>,
) -> Result<Page<Product>> {
    let _ = (page, status);
    Ok(Page {
        items: Vec::new(),
        next: None,
    })
}

/// The category tree, `depth` levels deep.
#[mizan::client(context = CATALOG)]
pub(crate) async fn category_tree(depth: u8) -> Result<TreeNode> {
    Ok(TreeNode {
        label: depth.to_string(),
        children: Vec::new(),
        parent: None,
    })
}

/// A standalone query: its own context.
#[mizan::client(query)]
pub(crate) async fn server_time() -> Result<String> {
    Ok(String::new())
}

#[mizan::client(context = USER_PROFILE, private)]
pub(crate) async fn profile(cx: &Cx) -> Result<BTreeMap<String, i64>> {
    let _ = cx;
    Ok(BTreeMap::new())
}

/// Saves a product.
#[mizan::client(affects = [CATALOG], auth = true)]
pub(crate) async fn save_product(product: Product, publish: Option<bool>) -> Result<Product> {
    let _ = publish;
    Ok(product)
}

/// Returns nothing.
#[mizan::client(affects = [USER_PROFILE], affects_params = |_, _| params! {})]
pub(crate) async fn clear_profile() -> Result<()> {
    Ok(())
}

#[mizan::client]
pub(crate) async fn stock_levels(ids: Vec<i64>) -> Result<(u64, Vec<(i64, u32)>)> {
    let _ = ids;
    Ok((0, Vec::new()))
}

/// A view-path function: it returns an HTTP response.
#[mizan::client(route = "/products/{id}/export", methods = [GET, POST])]
pub(crate) async fn export_product(id: i64) -> Result<Redirect> {
    Ok(Redirect::to(&format!("/products/{id}")))
}

fn schema_text() -> String {
    let app = Mizan::builder()
        .functions(mizan::functions![
            product_list,
            category_tree,
            server_time,
            profile,
            save_product,
            clear_profile,
            stock_levels,
            export_product,
        ])
        .build()
        .expect("a valid API");
    serde_json::to_string_pretty(app.schema()).expect("serializable") + "\n"
}

#[test]
fn the_constructs_fixture_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/constructs.json");
    let text = schema_text();
    if std::env::var_os("MIZAN_UPDATE_FIXTURES").is_some() {
        std::fs::write(&path, &text).expect("writing the fixture");
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == text,
        "{} is stale: rerun with MIZAN_UPDATE_FIXTURES=1 cargo test -p mizan-codegen --test constructs",
        path.display()
    );
}
