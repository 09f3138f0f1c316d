//! The HTTP side: routes and handlers.

mod body;
mod call;
mod ctx;
mod http_cache;
mod respond;
mod routes;
mod run;
mod view;

pub(crate) use http_cache::etag;
pub(crate) use routes::{Shared, build};
