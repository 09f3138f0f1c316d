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

pub(crate) use body::json_object;
pub(crate) use call::check_known;
pub(crate) use ctx::{check_params, unknown_param};
pub(crate) use http_cache::etag;
pub(crate) use routes::{Shared, build};
pub(crate) use run::{identify, invalidations, invoke};
