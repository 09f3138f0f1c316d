//! The Mizan server: a context `bench` of three functions, one request for all three.

use std::sync::Arc;

use mizan::Cx;

use crate::work::{self, Data, Item, Summary, Tag};

mizan::context!(BENCH = "bench");

/// The items of a project.
#[mizan::client(context = BENCH)]
async fn fn_a(cx: &Cx, project: i64) -> mizan::Result<Vec<Item>> {
    Ok(work::items(cx.state::<Arc<Data>>()?, project))
}

/// The summary of a project.
#[mizan::client(context = BENCH)]
async fn fn_b(cx: &Cx, project: i64) -> mizan::Result<Summary> {
    Ok(work::summary(cx.state::<Arc<Data>>()?, project))
}

/// The tags of a project.
#[mizan::client(context = BENCH)]
async fn fn_c(cx: &Cx, project: i64) -> mizan::Result<Vec<Tag>> {
    Ok(work::tags(cx.state::<Arc<Data>>()?, project))
}

/// The router: `GET /api/mizan/ctx/bench/?project=3`.
pub(crate) fn router(data: Arc<Data>) -> Result<axum::Router, mizan::BuildError> {
    let app = mizan::Mizan::builder()
        .functions(mizan::functions![fn_a, fn_b, fn_c])
        .state(data)
        .build()?;
    Ok(app.router())
}
