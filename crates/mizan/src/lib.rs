#![doc = include_str!("../README.md")]

mod api;
pub mod auth;
mod builder;
pub mod cache;
pub mod cli;
mod context;
mod cx;
mod error;
mod extract;
mod function;
pub mod invalidation;
mod json;
mod registry;
mod router;
pub mod schema;
mod serve;
mod sink;

#[doc(hidden)]
pub mod __private;

pub use api::Api;
pub use auth::{Anonymous, BearerTokens, Guard, Identity, IdentityResolver};
pub use builder::{BuildError, Builder, Mizan};
pub use context::{Context, valid_name};
pub use cx::Cx;
pub use error::{Error, FieldErrors, Result, validate};
pub use extract::{FromCx, Injected, State};
pub use function::{FunctionDef, Output};
/// The boxed future [`IdentityResolver::resolve`] returns.
pub use futures_util::future::BoxFuture;
pub use invalidation::Invalidation;
/// The wire protocol on its own (canonical JSON, parameters, invalidations, the schema
/// document): what codegen, the CLI and the edge proxy depend on.
pub use mizan_protocol as protocol;
pub use mizan_protocol::{Params, canonical_json};
pub use schema::{Diagnostic, Level};
pub use serve::{Server, serve};
pub use sink::InvalidationEvent;

#[doc = include_str!("../docs/client.md")]
pub use mizan_macros::client;

/// The protocol version this crate speaks (`spec/PROTOCOL.md`).
pub const PROTOCOL_VERSION: u32 = mizan_protocol::PROTOCOL_VERSION;

/// Builds [`Params`] from `name: value` pairs: `params! { project: a.project }`.
///
/// Values are serialized with serde; `null` values are dropped. A value that cannot be
/// serialized poisons the set, and an invalidation scoped by it widens to the whole
/// context (never narrower than asked) with an error in the log.
#[macro_export]
macro_rules! params {
    ($($name:ident : $value:expr),* $(,)?) => {
        $crate::Params::new()$(.push(::core::stringify!($name), &$value))*
    };
}

/// The default base path of the Mizan endpoints.
pub const DEFAULT_BASE_PATH: &str = "/api/mizan";

/// The default request body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;

/// The default limit of a context query string: 4 KiB.
pub const DEFAULT_QUERY_LIMIT: usize = 4 << 10;
