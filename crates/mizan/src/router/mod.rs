//! The HTTP side: routes and handlers.

mod body;
mod call;
mod ctx;
mod http_cache;
mod multipart;
mod respond;
mod routes;
mod run;
mod textual;
mod view;

pub(crate) use http_cache::etag;
pub(crate) use routes::{Shared, build};
