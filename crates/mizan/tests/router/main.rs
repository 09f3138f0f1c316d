//! The protocol through the real router: every option, every error status, the guard
//! matrix, the view path and concurrency within a context. Functions are found by the
//! automatic registry (every `#[client]` in this test binary).

#[path = "../support/mod.rs"]
mod support;

mod api;
mod calls;
mod contexts;
mod errors;
mod forms;
mod guards;
mod hardening;
mod traces;
mod uploads;
mod views;

use axum::Router;
use mizan::{BearerTokens, Identity, Mizan};

/// The test API with bearer tokens `user`, `staff`, `root` and `editor`.
pub(crate) fn app() -> Router {
    builder().build().expect("the test graph is valid").router()
}

pub(crate) fn builder() -> mizan::Builder {
    let tokens = BearerTokens::new()
        .token("user", Identity::user("u1"))
        .token("staff", Identity::user("s1").with_staff())
        .token("root", Identity::user("r1").with_superuser())
        .token("editor", Identity::user("e1").with_role("editor"));
    Mizan::builder()
        .identity(tokens)
        .state(api::Store::default())
        .state(api::AllowList(vec!["e1", "s1"]))
        .state(forms::Members::default())
        .state(uploads::LastPath::default())
        .body_limit(64 * 1024)
}
